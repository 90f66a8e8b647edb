"""Worksites rules, as plain Python: no database, no broker.

- A **construction template** is a list of steps (``StepTemplate``): duration in working
  days, finish-to-start dependencies with a lag (working days), the crew skill it needs,
  the materials it consumes (scaled by the pool's size), whether it is a payment milestone
  (percent) and whether starting it must trigger the order of another step's materials,
  and how long before that step they are needed (lead time, calendar days).
- The **scheduler** (``plan``) places a project's steps on working days: each step starts
  the working day after its predecessors end plus their lag, not before the day it is
  blocked until, with a crew having its skill that is free (not on another site, not
  unavailable) for the whole step. Steps already started or done keep their real dates;
  a step moved by the planner keeps its date, refused with a reason when it would start
  before a predecessor allows or its crew is elsewhere.
- ``replan_report`` tells which steps moved and the new filling date, ``crew_changes``
  which steps changed crew; a refused move carries a ``Refusal`` (why, which day, which
  crew) that the planner's preview shows before anything is saved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from bassin_common.errors import Conflict, ValidationFailed
from bassin_common.french import business_day

SKILLS = ("earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing")
STRUCTURES = ("concrete", "blocks", "panels", "polyester_shell", "kit")
SHAPES = ("rectangle", "oval", "freeform", "l_shape", "round")
SCALES = ("pool", "m2", "ml", "m3")  # per pool, per m² of water, per metre of perimeter, per m³
FILLING_STEP = "filling"
ORDER_MILESTONE = "order"  # a payment schedule's share called at the order, not at a step
# Other names a quote may give a milestone's step (DOMAIN.md: "5 % at handover").
STEP_ALIASES = {"handover": FILLING_STEP, "reception": FILLING_STEP, "walls": "structure", "liner": "waterproofing"}
GUARANTEES = {"perfect_completion": 1, "proper_functioning": 2, "ten_year": 10}  # years after handover
MAX_PHOTO_BYTES = 700_000  # a phone photo resized for the site report (the request limit is 1 MB of base64)
IMAGE_SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/webp": (b"RIFF",)}
HORIZON_DAYS = 730  # how far the scheduler looks for a free crew before giving up
REFUSALS = ("too_early", "crew_busy", "crew_unavailable", "no_crew_free", "skill_missing")


@dataclass(frozen=True)
class Refusal:
    """Why a step cannot go where the planner put it, in data (the screens say it in French)."""

    kind: str  # one of REFUSALS
    step_code: str | None = None
    day: date | None = None  # the day that does not work
    earliest: date | None = None  # too_early: the first day the predecessors or the block allow
    crew_name: str | None = None
    detail: str = ""


def refused(error: ValidationFailed | Conflict, refusal: Refusal) -> ValidationFailed | Conflict:
    """``error`` carrying ``refusal`` (its message unchanged: the API's answer stays as it was)."""
    error.refusal = refusal  # type: ignore[union-attr]
    return error


def refusal_of(error: ValidationFailed | Conflict) -> Refusal | None:
    """The refusal an error of the scheduler carries (None: a wrong request, not a plan's limit)."""
    return getattr(error, "refusal", None)


# --- working days -----------------------------------------------------------------------


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@cache
def french_public_holidays(year: int) -> frozenset[date]:
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [sunday + timedelta(days=1), sunday + timedelta(days=39), sunday + timedelta(days=50)]
    return frozenset([date(year, m, d) for m, d in fixed] + moving)


@dataclass(frozen=True)
class WorkCalendar:
    """Monday to Friday, French public holidays excepted (``holidays=False``: none)."""

    holidays: bool = True

    def is_working(self, day: date) -> bool:
        return day.weekday() < 5 and not (self.holidays and day in french_public_holidays(day.year))

    def first_working(self, day: date) -> date:
        """``day`` if it is a working day, else the next one."""
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def add(self, day: date, working_days: int) -> date:
        """The working day ``working_days`` after ``day`` (a working day) counting only working days."""
        day = self.first_working(day)
        for _ in range(working_days):
            day = self.first_working(day + timedelta(days=1))
        return day

    def span(self, start: date, duration: int) -> list[date]:
        """The ``duration`` working days from ``start`` (a working day)."""
        days = [self.first_working(start)]
        while len(days) < duration:
            days.append(self.first_working(days[-1] + timedelta(days=1)))
        return days

    def working_days(self, first: date, last: date) -> list[date]:
        """The working days from ``first`` to ``last``, both included."""
        days, day = [], first
        while day <= last:
            if self.is_working(day):
                days.append(day)
            day += timedelta(days=1)
        return days


WORKING_DAYS = WorkCalendar()


# --- templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolSize:
    length_m: Decimal
    width_m: Decimal
    mean_depth_m: Decimal

    def factor(self, scale: str) -> Decimal:
        return {
            "pool": Decimal(1),
            "m2": self.length_m * self.width_m,
            "ml": 2 * (self.length_m + self.width_m),
            "m3": self.length_m * self.width_m * self.mean_depth_m,
        }[scale]


def scaled_quantity(quantity: Decimal, scale: str, size: PoolSize) -> int:
    """A template's quantity for this pool, in whole units (rounded up: one never orders 0.4 liner)."""
    return math.ceil(Decimal(quantity) * size.factor(scale))


def scaled_materials(materials: Iterable[Mapping[str, Any]], size: PoolSize) -> list[dict[str, Any]]:
    return [
        {
            "article_id": line.get("article_id"),
            "description": line["description"],
            "unit": line.get("unit", "u"),
            "quantity": scaled_quantity(line["quantity"], line.get("scale", "pool"), size),
        }
        for line in materials
    ]


def template_errors(steps: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """What is wrong with a template (field path → messages); empty when it can be used."""
    errors: dict[str, list[str]] = {}
    codes = [step["step_code"] for step in steps]
    if not steps:
        errors["steps"] = ["a template needs at least one step"]
    total = Decimal(0)
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if codes.count(step["step_code"]) > 1:
            errors.setdefault(f"{where}.step_code", []).append("used by another step")
        for d, dependency in enumerate(step.get("depends_on", [])):
            if dependency["step_code"] not in codes:
                errors.setdefault(f"{where}.depends_on[{d}].step_code", []).append("no step has this code")
            elif dependency["step_code"] == step["step_code"]:
                errors.setdefault(f"{where}.depends_on[{d}].step_code", []).append("a step cannot wait for itself")
        trigger = step.get("order_trigger")
        if trigger and trigger["for_step"] not in codes:
            errors.setdefault(f"{where}.order_trigger.for_step", []).append("no step has this code")
        if step.get("milestone_percent") is not None:
            total += Decimal(step["milestone_percent"])
    if total > 100:
        errors.setdefault("steps", []).append(f"milestones add up to {total} %, more than 100 %")
    if not errors and (cycle := dependency_cycle(steps)):
        errors["steps"] = [f"dependencies go round in a circle: {' → '.join(cycle)}"]
    return errors


def dependency_cycle(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """A cycle of step codes in the dependencies, or [] when there is none."""
    waits = {step["step_code"]: [d["step_code"] for d in step.get("depends_on", [])] for step in steps}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(code: str, path: list[str]) -> list[str]:
        state[code] = 1
        for before in waits.get(code, []):
            if state.get(before) == 1:
                return [*path[path.index(before) :], code, before] if before in path else [code, before]
            if state.get(before) is None and (found := visit(before, [*path, code])):
                return found
        state[code] = 2
        return []

    for code in waits:
        if state.get(code) is None and (found := visit(code, [])):
            return found
    return []


def schedule_errors(schedule: Sequence[Mapping[str, Any]], step_codes: Iterable[str]) -> dict[str, list[str]]:
    """A payment schedule: percents summing to 100, each at a step of the project (or ``order``)."""
    errors: dict[str, list[str]] = {}
    known = {*step_codes, ORDER_MILESTONE}
    seen: set[str] = set()
    for index, entry in enumerate(schedule):
        if entry["step_code"] not in known:
            errors[f"payment_schedule[{index}].step_code"] = ["no step of the project has this code"]
        elif entry["step_code"] in seen:
            errors[f"payment_schedule[{index}].step_code"] = ["given twice"]
        seen.add(entry["step_code"])
    total = sum((Decimal(entry["percent"]) for entry in schedule), Decimal(0))
    if schedule and total != 100:
        errors.setdefault("payment_schedule", []).append(f"percents add up to {total}, not 100")
    return errors


def photo_problem(content_type: str, data: bytes) -> str | None:
    """Why these bytes are not a photo of that type (None: they are)."""
    if not data:
        return "empty"
    if len(data) > MAX_PHOTO_BYTES:
        return f"{len(data)} bytes: at most {MAX_PHOTO_BYTES} (resize the photo)"
    if not data.startswith(IMAGE_SIGNATURES[content_type]) or (content_type == "image/webp" and data[8:12] != b"WEBP"):
        return f"not a {content_type} image"
    return None


def schedule_of_order(schedule: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """An order's payment schedule with its steps named as the templates name them."""
    return [{"step_code": STEP_ALIASES.get(e["step_code"], e["step_code"]), "percent": e["percent"]} for e in schedule]


def guarantee_dates(handover_on: date) -> dict[str, date]:
    """The legal guarantees that start at the handover report (1, 2 and 10 years)."""
    return {name: _years_after(handover_on, years) for name, years in GUARANTEES.items()}


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def milestone_amount(total: Decimal, percent: Decimal) -> Decimal:
    return (total * percent / 100).quantize(Decimal("0.01"))


# --- the scheduler ----------------------------------------------------------------------


@dataclass(frozen=True)
class Crew:
    id: Any
    name: str
    skills: frozenset[str]
    unavailable: tuple[tuple[date, date], ...] = ()  # inclusive periods (leave, another job)

    def available_on(self, day: date) -> bool:
        return not any(first <= day <= last for first, last in self.unavailable)


@dataclass(frozen=True)
class Task:
    """A step of a project as the scheduler sees it."""

    id: Any
    code: str
    duration_days: int
    depends_on: tuple[tuple[str, int], ...] = ()  # (step code, lag in working days)
    skill: str | None = None
    status: str = "pending"  # pending, in_progress, done
    started_on: date | None = None
    completed_on: date | None = None
    pinned_start: date | None = None  # moved there by the planner: kept
    crew_id: Any = None  # the crew chosen by the planner (kept), or None: any crew with the skill
    not_before: date | None = None  # blocked until


@dataclass(frozen=True)
class Slot:
    start: date
    end: date  # the last working day, included
    crew_id: Any


@dataclass
class Plan:
    slots: dict[Any, Slot]
    filling_date: date | None
    bookings: dict[Any, dict[date, Any]] = field(default_factory=dict)  # crew → day → task id


def plan(
    tasks: Sequence[Task],
    start_on: date,
    crews: Sequence[Crew],
    busy: Mapping[Any, Mapping[date, str]] | None = None,
    calendar: WorkCalendar = WorkCalendar(),
    today: date | None = None,
    strict: bool | frozenset[Any] = True,
) -> Plan:
    """Place every task: dependencies, lags, blocks, crew skills and availability respected.

    ``busy`` gives, per crew, the days it already works elsewhere (day → what, for the
    refusal's reason). ``strict=False`` (re-planning after the site's reality changed)
    keeps a moved step's date only as a wish: no earlier than its predecessors now allow;
    a set of task ids holds those steps' dates exactly and the others' as wishes.
    Raises ``ValidationFailed`` for a step moved before its predecessors
    allow, ``Conflict`` for a crew given two sites at once, ``ValidationFailed`` when no crew
    has a step's skill."""
    by_code = {task.code: task for task in tasks}
    booked: dict[Any, dict[date, Any]] = {crew.id: dict(busy.get(crew.id, {})) if busy else {} for crew in crews}
    crews_by_id = {crew.id: crew for crew in crews}
    slots: dict[Any, Slot] = {}
    for task in topological(tasks):
        earliest = calendar.first_working(start_on)
        for code, lag in task.depends_on:
            before = slots[by_code[code].id]
            earliest = max(earliest, calendar.add(before.end, 1 + lag))
        if task.not_before:
            earliest = max(earliest, calendar.first_working(task.not_before))
        if task.status in ("done", "in_progress"):
            slot = _actual_slot(task, calendar, today or task.started_on)
        elif task.pinned_start and not (strict is True or (strict and task.id in strict)):
            slot = _place(task, max(earliest, task.pinned_start), crews, crews_by_id, booked, calendar, exact=False)
        elif task.pinned_start:
            if task.pinned_start < earliest:
                message = (
                    f"step {task.code} cannot start on {task.pinned_start}: its predecessors or its block "
                    f"allow {earliest} at the earliest"
                )
                raise refused(
                    ValidationFailed.field("start_on", message),
                    Refusal("too_early", task.code, task.pinned_start, earliest, detail=message),
                )
            slot = _place(task, task.pinned_start, crews, crews_by_id, booked, calendar, exact=True)
        else:
            slot = _place(task, earliest, crews, crews_by_id, booked, calendar, exact=False)
        slots[task.id] = slot
        if slot.crew_id is not None and task.status != "done":
            for day in calendar.working_days(slot.start, slot.end):
                booked.setdefault(slot.crew_id, {})[day] = task.id
    filling = by_code.get(FILLING_STEP)
    return Plan(slots, slots[filling.id].start if filling else None, booked)


def _actual_slot(task: Task, calendar: WorkCalendar, today: date | None) -> Slot:
    start = task.started_on or today or business_day()
    if task.status == "done":
        return Slot(start, task.completed_on or start, task.crew_id)
    planned_end = calendar.add(start, task.duration_days - 1)
    return Slot(start, max(planned_end, calendar.first_working(today or start)), task.crew_id)


def _place(
    task: Task,
    earliest: date,
    crews: Sequence[Crew],
    crews_by_id: Mapping[Any, Crew],
    booked: dict[Any, dict[date, Any]],
    calendar: WorkCalendar,
    *,
    exact: bool,
) -> Slot:
    if task.skill is None:
        start = calendar.first_working(earliest)
        return Slot(start, calendar.add(start, task.duration_days - 1), None)
    if task.crew_id is not None:
        crew = crews_by_id.get(task.crew_id)
        if crew is None:
            raise ValidationFailed.field("crew_id", "unknown crew")
        if task.skill not in crew.skills:
            message = f"crew {crew.name} lacks the skill {task.skill!r}"
            raise refused(
                ValidationFailed.field("crew_id", message),
                Refusal("skill_missing", task.code, crew_name=crew.name, detail=message),
            )
        candidates = [crew]
    else:
        candidates = sorted((c for c in crews if task.skill in c.skills), key=lambda c: c.name)
        if not candidates:
            raise ValidationFailed.field("skill", f"no crew has the skill {task.skill!r} needed by step {task.code}")
    best: tuple[date, Crew] | None = None
    for crew in candidates:
        if exact:
            clash = _clash(crew, calendar.span(earliest, task.duration_days), booked)
            if clash is None:
                best = min(best, (earliest, crew), key=lambda b: b[0]) if best else (earliest, crew)
            elif task.crew_id is not None or len(candidates) == 1:
                day, reason = clash
                message = f"crew {crew.name} cannot work step {task.code} on {day}: {reason}"
                kind = "crew_unavailable" if reason == UNAVAILABLE else "crew_busy"
                raise refused(Conflict(message), Refusal(kind, task.code, day, crew_name=crew.name, detail=message))
            continue
        start = _first_free_start(crew, task.duration_days, earliest, booked, calendar)
        if best is None or start < best[0]:
            best = (start, crew)
    if best is None:
        message = f"no crew with the skill {task.skill!r} is free for step {task.code} from {earliest}"
        raise refused(Conflict(message), Refusal("no_crew_free", task.code, earliest, detail=message))
    start, crew = best
    return Slot(start, calendar.add(start, task.duration_days - 1), crew.id)


UNAVAILABLE = "the crew is unavailable"


def _clash(crew: Crew, days: Sequence[date], booked: Mapping[Any, Mapping[date, Any]]) -> tuple[date, str] | None:
    for day in days:
        if not crew.available_on(day):
            return day, UNAVAILABLE
        if day in booked.get(crew.id, {}):
            return day, f"already booked ({booked[crew.id][day]})"
    return None


def _first_free_start(
    crew: Crew, duration: int, earliest: date, booked: Mapping[Any, Mapping[date, Any]], calendar: WorkCalendar
) -> date:
    start = calendar.first_working(earliest)
    limit = earliest + timedelta(days=HORIZON_DAYS)
    while start < limit:
        clash = _clash(crew, calendar.span(start, duration), booked)
        if clash is None:
            return start
        start = calendar.first_working(clash[0] + timedelta(days=1))
    raise Conflict(f"crew {crew.name} has no free {duration} working days within two years of {earliest}")


def topological(tasks: Sequence[Task]) -> list[Task]:
    """Tasks so that each comes after those it depends on, template order otherwise."""
    done: set[str] = set()
    ordered: list[Task] = []
    remaining = list(tasks)
    while remaining:
        ready = next((t for t in remaining if all(code in done for code, _ in t.depends_on)), None)
        if ready is None:
            raise ValidationFailed.field("steps", "the steps' dependencies go round in a circle")
        ordered.append(ready)
        done.add(ready.code)
        remaining.remove(ready)
    return ordered


@dataclass(frozen=True)
class Move:
    task_id: Any
    code: str
    old_start: date | None
    new_start: date


def replan_report(
    tasks: Sequence[Task], before: Mapping[Any, Slot | None], after: Plan
) -> tuple[list[Move], date | None]:
    """Which steps a re-plan moves (old start → new start), and the new filling date."""
    moves = [
        Move(task.id, task.code, old.start if old else None, after.slots[task.id].start)
        for task in tasks
        if (old := before.get(task.id)) is None or old.start != after.slots[task.id].start
    ]
    return moves, after.filling_date


@dataclass(frozen=True)
class CrewChange:
    task_id: Any
    code: str
    old_crew_id: Any
    new_crew_id: Any


def crew_changes(tasks: Sequence[Task], before: Mapping[Any, Slot | None], after: Plan) -> list[CrewChange]:
    """The steps a re-plan gives to another crew (a planned step's crew before → after)."""
    return [
        CrewChange(task.id, task.code, old.crew_id, after.slots[task.id].crew_id)
        for task in tasks
        if (old := before.get(task.id)) is not None and old.crew_id != after.slots[task.id].crew_id
    ]
