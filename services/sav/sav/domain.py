"""sav rules, as plain Python: no database, no broker.

- ``coverage``: who pays for a ticket's work, decided when the ticket opens — the
  manufacturer's warranty, the builder's legal construction guarantees (from the handover
  report), a maintenance contract, or nobody — with the French sentence the office reads.
- ``add_years`` and the guarantee periods: a period of N years from a day ends on the day
  bearing the same date N years later (that day still covered; art. 641-642 of the French
  code of civil procedure), a 29 February ending on the 28th.
- Scheduling: half-open slots, so back-to-back interventions do not overlap; working hours.
- The signed slip: its canonical content and SHA-256 fingerprint.
- Manufacturer returns: their status workflow.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# --- coverage ---------------------------------------------------------------------------------

NONE, MANUFACTURER, LEGAL, CONTRACT = "none", "manufacturer_warranty", "legal_guarantee", "contract"
COVERAGES = (NONE, MANUFACTURER, LEGAL, CONTRACT)

# Equipment categories SAV knows: the customer file's (pump, robot, controller,
# pvc_membrane...) and the finer ones a worksite's handover names; any other is "other".
CATEGORIES = (
    "heat_pump",
    "pump",
    "filtration_pump",
    "robot",
    "controller",
    "pvc_membrane",
    "sand_filter",
    "cartridge_filter",
    "salt_chlorinator",
    "robot_cleaner",
    "multiport_valve",
    "liner",
    "structure",
    "buried_pipes",
    "technical_room_pipes",
    "coping",
    "lighting",
    "cover",
    "other",
)

# The legal construction guarantees (France), from the handover report (PV de réception):
# "parfait achèvement" covers any defect for a year; "bon fonctionnement" (biennale) the
# equipment that can be removed without damaging the work, for two; "décennale" the
# structure and what makes the pool unfit for use, for ten. What falls under which is a
# tenant's default table: a robot cleaner, a movable good, is under none of them.
PARFAIT_ACHEVEMENT = ("garantie de parfait achèvement", 1)
BIENNALE = ("garantie biennale de bon fonctionnement", 2)
DECENNALE = ("garantie décennale", 10)
BIENNALE_CATEGORIES = frozenset(
    {
        "heat_pump",
        "pump",
        "controller",
        "filtration_pump",
        "sand_filter",
        "cartridge_filter",
        "salt_chlorinator",
        "multiport_valve",
        "technical_room_pipes",
        "coping",
        "lighting",
        "cover",
    }
)
DECENNALE_CATEGORIES = frozenset({"structure", "buried_pipes", "liner", "pvc_membrane"})
NOT_UNDER_CONSTRUCTION_GUARANTEES = frozenset({"robot_cleaner", "robot"})


def add_years(start: date, years: int) -> date:
    """The day bearing ``start``'s date ``years`` later (28 February for a 29 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True)
class Equipment:
    category: str
    brand: str
    model: str
    installed_on: date | None
    warranty_ends_on: date | None  # the manufacturer's warranty, last day covered


@dataclass(frozen=True)
class Handover:
    """A pool built by the company, handed over on ``handover_on``."""

    handover_on: date


@dataclass(frozen=True)
class Contract:
    formula: str
    starts_on: date
    ends_on: date  # last day covered


@dataclass(frozen=True)
class Coverage:
    covered_by: str
    reason: str  # French: shown to the office as is
    until: date | None = None  # the last day covered, when covered


def _day(value: date) -> str:
    return value.isoformat()


def legal_guarantee(category: str | None, handover: Handover, on: date) -> tuple[str, date] | None:
    """The longest-running legal guarantee covering a ``category`` defect on day ``on``
    (None: a pool-level defect of unknown category), with its last day; or None."""
    if category in NOT_UNDER_CONSTRUCTION_GUARANTEES or on < handover.handover_on:
        return None
    candidates = [PARFAIT_ACHEVEMENT]
    if category in BIENNALE_CATEGORIES:
        candidates.append(BIENNALE)
    if category in DECENNALE_CATEGORIES or category is None:
        candidates.append(DECENNALE)
    running = [(name, add_years(handover.handover_on, years)) for name, years in candidates]
    running = [(name, until) for name, until in running if on <= until]
    return max(running, key=lambda item: item[1]) if running else None


def under_manufacturer_warranty(equipment: Equipment, on: date) -> bool:
    """From installation to the warranty's last day, both included."""
    if equipment.warranty_ends_on is None or on > equipment.warranty_ends_on:
        return False
    return equipment.installed_on is None or on >= equipment.installed_on


def coverage(
    on: date,
    category: str | None,
    equipment: Equipment | None,
    handover: Handover | None,
    contracts: list[Contract],
) -> Coverage:
    """Who covers a defect reported on day ``on``.

    First the manufacturer's warranty of the equipment (the manufacturer pays the part,
    a return follows), then the legal construction guarantees of a pool the company built
    (the company owes the repair), then an active maintenance contract; else nobody, with
    the reason why (what ended, and when).
    """
    if equipment is not None and under_manufacturer_warranty(equipment, on):
        return Coverage(
            MANUFACTURER,
            f"sous garantie constructeur {equipment.brand} jusqu'au {_day(equipment.warranty_ends_on)}",
            equipment.warranty_ends_on,
        )
    if handover is not None and (legal := legal_guarantee(category, handover, on)) is not None:
        name, until = legal
        return Coverage(LEGAL, f"sous {name} jusqu'au {_day(until)} (réception du {_day(handover.handover_on)})", until)
    active = [c for c in contracts if c.starts_on <= on <= c.ends_on]
    if active:
        contract = max(active, key=lambda c: c.ends_on)
        return Coverage(
            CONTRACT,
            f"couvert par le contrat d'entretien « {contract.formula} » jusqu'au {_day(contract.ends_on)}",
            contract.ends_on,
        )
    return Coverage(NONE, _why_not_covered(on, category, equipment, handover, contracts))


def _why_not_covered(
    on: date, category: str | None, equipment: Equipment | None, handover: Handover | None, contracts: list[Contract]
) -> str:
    reasons = []
    if equipment is not None:
        if equipment.warranty_ends_on is None:
            reasons.append(f"aucune garantie constructeur connue pour ce matériel {equipment.brand}")
        else:
            reasons.append(f"garantie constructeur {equipment.brand} expirée le {_day(equipment.warranty_ends_on)}")
    if handover is not None:
        reasons.append(f"garanties légales de construction échues (réception du {_day(handover.handover_on)})")
    ended = [c for c in contracts if c.ends_on < on]
    if ended:
        last = max(ended, key=lambda c: c.ends_on)
        reasons.append(f"contrat d'entretien « {last.formula} » terminé le {_day(last.ends_on)}")
    elif not any(c.starts_on > on for c in contracts):
        reasons.append("pas de contrat d'entretien")
    else:
        reasons.append("contrat d'entretien pas encore commencé")
    return "hors garantie : " + ", ".join(reasons)


# --- tickets ---------------------------------------------------------------------------------

CHANNELS = ("phone", "shop", "portal", "email", "technician")  # technician: proposed on site, from the phone
PLANNED = "contract"  # the channel of a visit generated from a maintenance contract
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last days of a month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def contract_runs_in(starts_on: date, ends_on: date, year: int, month: int) -> bool:
    """Whether a contract covers at least one day of the month."""
    first, last = month_bounds(year, month)
    return starts_on <= last and ends_on >= first


PRIORITIES = ("low", "normal", "urgent")


def ticket_number(year: int, sequence: int) -> str:
    return f"SAV-{year}-{sequence:05d}"


def slug(text: str) -> str:
    """A brand as the partners' routing key: lower-case ASCII, words joined by '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# --- scheduling ------------------------------------------------------------------------------

TIMEZONE = ZoneInfo("Europe/Paris")  # the tenant's, by default


@dataclass(frozen=True)
class WorkingHours:
    starts: time
    ends: time
    days: frozenset[int]  # ISO weekdays, 1 = Monday


def overlaps(start_a: datetime, end_a: datetime, start_b: datetime, end_b: datetime) -> bool:
    """Half-open slots [start, end): one ending when the other starts does not overlap."""
    return start_a < end_b and start_b < end_a


def outside_working_hours(starts_at: datetime, ends_at: datetime, hours: WorkingHours) -> str | None:
    """Why a slot is not within the technician's working hours (local time), or None."""
    start, end = starts_at.astimezone(TIMEZONE), ends_at.astimezone(TIMEZONE)
    if end <= start:
        return "the slot must end after it starts"
    if start.date() != end.date():
        return "an intervention starts and ends on the same day"
    if start.isoweekday() not in hours.days:
        return f"the technician does not work on {start.strftime('%A')}s"
    if start.time() < hours.starts or end.time() > hours.ends:
        return f"outside the technician's working hours ({hours.starts:%H:%M}-{hours.ends:%H:%M})"
    return None


def free_slots(
    day: date,
    hours: WorkingHours,
    booked: Sequence[tuple[datetime, datetime]],
    minutes: int,
    step_minutes: int = 30,
    not_before: datetime | None = None,
) -> list[tuple[datetime, datetime]]:
    """The slots of ``minutes`` a technician can still take on a (local) day: starting every
    ``step_minutes`` from the start of the working hours, ending by their end, overlapping
    nothing ``booked``, not starting before ``not_before`` (now, for today)."""
    if day.isoweekday() not in hours.days:
        return []
    length, step = timedelta(minutes=minutes), timedelta(minutes=step_minutes)
    start = datetime.combine(day, hours.starts, TIMEZONE)
    closing = datetime.combine(day, hours.ends, TIMEZONE)
    slots = []
    while start + length <= closing:
        free = not any(overlaps(start, start + length, first, last) for first, last in booked)
        if free and (not_before is None or start >= not_before):
            slots.append((start, start + length))
        start += step
    return slots


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A local day as an instant range [midnight, next midnight)."""
    start = datetime.combine(day, time(0), TIMEZONE)
    return start, datetime.combine(day + timedelta(days=1), time(0), TIMEZONE)


# --- the signed slip -------------------------------------------------------------------------


def canonical_slip(content: dict[str, Any]) -> bytes:
    """The slip's content as the bytes its hash covers: JSON with sorted keys, no spaces,
    UTF-8 — the same content gives the same bytes, whatever the order it was built in."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def slip_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_slip(content)).hexdigest()


# --- manufacturer returns --------------------------------------------------------------------

RETURN_STATUSES = ("requested", "accepted", "refused", "part_shipped", "credited", "closed")
RETURN_TRANSITIONS = {
    "requested": frozenset({"accepted", "refused"}),
    "accepted": frozenset({"part_shipped", "refused"}),
    "part_shipped": frozenset({"credited"}),
    "credited": frozenset({"closed"}),
    "refused": frozenset({"closed"}),
    "closed": frozenset(),
}


def return_transition_error(current: str, new: str) -> str | None:
    if new in RETURN_TRANSITIONS[current]:
        return None
    allowed = ", ".join(sorted(RETURN_TRANSITIONS[current])) or "none (closed)"
    return f"a return {current} cannot become {new}; allowed: {allowed}"


# --- qualification question trees ------------------------------------------------------------


@dataclass(frozen=True)
class Walked:
    """Where a ticket's answers lead in a question tree."""

    answers: list[dict[str, Any]]  # [{question, text, answer}] in order
    complete: bool  # the last answer ends the tree
    next_question: dict[str, Any] | None  # the question to ask next, when not complete
    service_code: str | None  # the standard service the answers suggest (the deepest one)
    parts: list[dict[str, Any]]  # the parts they suggest, quantities of an article added


def tree_errors(questions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """What is wrong with a question tree (its first question is where it starts): each
    ``next`` names a question of the tree, a choice question has distinct values, and no
    path comes back to a question it went through."""
    errors: dict[str, list[str]] = {}
    keys = [q["key"] for q in questions]
    for index, question in enumerate(questions):
        if keys.index(question["key"]) != index:
            errors[f"questions[{index}].key"] = ["used by another question"]
        if question["kind"] == "choice":
            values = [choice["value"] for choice in question["choices"]]
            if len(values) < 2:
                errors[f"questions[{index}].choices"] = ["a choice question has at least two choices"]
            elif len(set(values)) != len(values):
                errors[f"questions[{index}].choices"] = ["each choice's value is different"]
            targets = [(f"questions[{index}].choices[{i}].next", c["next"]) for i, c in enumerate(question["choices"])]
        else:
            if question["choices"]:
                errors[f"questions[{index}].choices"] = ["only a choice question has choices"]
            targets = [(f"questions[{index}].next", question["next"])]
        for field, target in targets:
            if target is not None and target not in keys:
                errors[field] = [f"no question {target}"]
    if not errors and (loop := _a_loop(questions)):
        errors["questions"] = [f"the questions loop: {' → '.join(loop)}"]
    return errors


def _following(question: dict[str, Any]) -> list[str]:
    if question["kind"] == "choice":
        return [c["next"] for c in question["choices"] if c["next"] is not None]
    return [question["next"]] if question["next"] is not None else []


def _a_loop(questions: list[dict[str, Any]]) -> list[str] | None:
    by_key = {q["key"]: q for q in questions}
    done: set[str] = set()

    def visit(key: str, path: list[str]) -> list[str] | None:
        if key in path:
            return [*path[path.index(key) :], key]
        if key in done:
            return None
        for following in _following(by_key[key]):
            if loop := visit(following, [*path, key]):
                return loop
        done.add(key)
        return None

    return next((loop for q in questions if (loop := visit(q["key"], []))), None)


def walk(questions: list[dict[str, Any]], answers: list[dict[str, Any]]) -> Walked:
    """Follow ``answers`` ([{question, answer}]) from the tree's first question. Raises
    ``ValueError((field, message))`` for the first answer that is not to the question
    asked, or not one of its choices."""
    by_key = {q["key"]: q for q in questions}
    current: dict[str, Any] | None = questions[0]
    walked: list[dict[str, Any]] = []
    service_code: str | None = None
    parts: dict[str, int] = {}
    for index, given in enumerate(answers):
        if current is None:
            raise ValueError((f"answers[{index}]", "the questions ended with the previous answer"))
        if given["question"] != current["key"]:
            raise ValueError((f"answers[{index}].question", f"the question asked is {current['key']}"))
        answer = given["answer"].strip()
        if current["kind"] == "choice":
            choice = next((c for c in current["choices"] if c["value"] == answer), None)
            if choice is None:
                allowed = ", ".join(c["value"] for c in current["choices"])
                raise ValueError((f"answers[{index}].answer", f"one of: {allowed}"))
            service_code = choice.get("service_code") or service_code
            for part in choice.get("parts", []):
                parts[str(part["article_id"])] = parts.get(str(part["article_id"]), 0) + part["quantity"]
            following = choice["next"]
        else:
            if not answer:
                raise ValueError((f"answers[{index}].answer", "an answer is required"))
            following = current["next"]
        walked.append({"question": current["key"], "text": current["text"], "answer": answer})
        current = by_key[following] if following is not None else None
    suggested = [{"article_id": article, "quantity": quantity} for article, quantity in sorted(parts.items())]
    return Walked(walked, current is None, current, service_code, suggested)
