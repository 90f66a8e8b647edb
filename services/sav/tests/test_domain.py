"""SAV's rules without a database: warranty coverage and its boundaries, slots, the slip's
hash, the manufacturer returns' workflow."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sav import domain
from sav.domain import Contract, Equipment, Handover, WorkingHours, add_years, coverage

DAY = timedelta(days=1)
PAC = Equipment("heat_pump", "Zodiac", "Z550iQ", date(2025, 4, 12), date(2027, 4, 12))
ROBOT = Equipment("robot_cleaner", "Dolphin", "S300i", date(2024, 6, 1), date(2026, 6, 1))
HANDOVER = Handover(date(2024, 6, 15))
CONTRACT = Contract("Sérénité", date(2026, 1, 1), date(2026, 12, 31))


def test_a_manufacturer_warranty_covers_through_its_last_day_and_not_the_next() -> None:
    last_day_in = coverage(date(2027, 4, 12), "heat_pump", PAC, None, [])
    assert (last_day_in.covered_by, last_day_in.until) == ("manufacturer_warranty", date(2027, 4, 12))
    assert last_day_in.reason == "sous garantie constructeur Zodiac jusqu'au 2027-04-12"
    first_day_out = coverage(date(2027, 4, 13), "heat_pump", PAC, None, [])
    assert first_day_out.covered_by == "none"
    assert first_day_out.reason == (
        "hors garantie : garantie constructeur Zodiac expirée le 2027-04-12, pas de contrat d'entretien"
    )
    # Not before it was installed either (a wrong date typed in the ticket).
    assert coverage(date(2025, 4, 11), "heat_pump", PAC, None, []).covered_by == "none"
    assert coverage(date(2025, 4, 12), "heat_pump", PAC, None, []).covered_by == "manufacturer_warranty"


def test_an_equipment_without_a_known_warranty_is_not_covered_by_its_manufacturer() -> None:
    unknown = Equipment("filtration_pump", "Hayward", "Max-Flo", date(2025, 1, 1), None)
    found = coverage(date(2025, 2, 1), "filtration_pump", unknown, None, [])
    assert found.covered_by == "none"
    assert "aucune garantie constructeur connue" in found.reason


@pytest.mark.parametrize(
    ("category", "last_day_in", "guarantee"),
    [
        ("robot_cleaner", None, None),  # a movable good: under no construction guarantee
        ("other", date(2025, 6, 15), "garantie de parfait achèvement"),
        ("heat_pump", date(2026, 6, 15), "garantie biennale de bon fonctionnement"),
        ("filtration_pump", date(2026, 6, 15), "garantie biennale de bon fonctionnement"),
        ("structure", date(2034, 6, 15), "garantie décennale"),
        ("buried_pipes", date(2034, 6, 15), "garantie décennale"),
        (None, date(2034, 6, 15), "garantie décennale"),  # a pool ticket: the structure
    ],
)
def test_the_legal_guarantees_run_from_the_handover_by_category(category, last_day_in, guarantee) -> None:
    if last_day_in is None:
        assert domain.legal_guarantee(category, HANDOVER, HANDOVER.handover_on) is None
        return
    inside = coverage(last_day_in, category, None, HANDOVER, [])
    assert (inside.covered_by, inside.until) == ("legal_guarantee", last_day_in)
    assert inside.reason == f"sous {guarantee} jusqu'au {last_day_in.isoformat()} (réception du 2024-06-15)"
    outside = coverage(last_day_in + DAY, category, None, HANDOVER, [])
    assert outside.covered_by != "legal_guarantee" or outside.until > last_day_in


def test_a_heat_pump_after_its_biennale_is_no_longer_under_a_legal_guarantee() -> None:
    found = coverage(date(2026, 6, 16), "heat_pump", None, HANDOVER, [])
    assert found.covered_by == "none"
    assert found.reason == (
        "hors garantie : garanties légales de construction échues (réception du 2024-06-15), pas de contrat d'entretien"
    )
    assert coverage(date(2024, 6, 14), "heat_pump", None, HANDOVER, []).covered_by == "none"  # before the handover


def test_the_manufacturer_comes_before_the_legal_guarantee_and_the_contract() -> None:
    assert coverage(date(2026, 3, 1), "heat_pump", PAC, HANDOVER, [CONTRACT]).covered_by == "manufacturer_warranty"
    assert coverage(date(2027, 5, 1), "structure", None, HANDOVER, [CONTRACT]).covered_by == "legal_guarantee"


def test_a_maintenance_contract_covers_from_its_first_to_its_last_day() -> None:
    old_pump = Equipment("filtration_pump", "Hayward", "Max-Flo", date(2015, 1, 1), date(2017, 1, 1))
    for day, covered_by in [
        (date(2025, 12, 31), "none"),
        (date(2026, 1, 1), "contract"),
        (date(2026, 12, 31), "contract"),
        (date(2027, 1, 1), "none"),
    ]:
        found = coverage(day, "filtration_pump", old_pump, None, [CONTRACT])
        assert found.covered_by == covered_by, day
    inside = coverage(date(2026, 12, 31), "filtration_pump", old_pump, None, [CONTRACT])
    assert inside.reason == "couvert par le contrat d'entretien « Sérénité » jusqu'au 2026-12-31"
    after = coverage(date(2027, 1, 1), "filtration_pump", old_pump, None, [CONTRACT])
    assert "contrat d'entretien « Sérénité » terminé le 2026-12-31" in after.reason
    before = coverage(date(2025, 12, 31), "filtration_pump", old_pump, None, [CONTRACT])
    assert "contrat d'entretien pas encore commencé" in before.reason


def test_a_29_february_handover_ends_its_year_on_the_28th() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    leap = Handover(date(2024, 2, 29))
    assert coverage(date(2025, 2, 28), "other", None, leap, []).covered_by == "legal_guarantee"
    assert coverage(date(2025, 3, 1), "other", None, leap, []).covered_by == "none"


def test_a_robot_out_of_warranty_is_covered_by_nothing_but_a_contract() -> None:
    assert coverage(date(2026, 6, 2), "robot_cleaner", ROBOT, HANDOVER, []).covered_by == "none"
    assert coverage(date(2026, 6, 2), "robot_cleaner", ROBOT, HANDOVER, [CONTRACT]).covered_by == "contract"


# --- slots ------------------------------------------------------------------------------------


def at(hour: int, minute: int = 0, day: date = date(2026, 7, 15)) -> datetime:
    return datetime.combine(day, time(hour, minute), domain.TIMEZONE)


def test_back_to_back_slots_do_not_overlap_and_crossing_ones_do() -> None:
    assert not domain.overlaps(at(8), at(9), at(9), at(10))
    assert not domain.overlaps(at(9), at(10), at(8), at(9))
    assert domain.overlaps(at(8), at(9, 1), at(9), at(10))
    assert domain.overlaps(at(8), at(12), at(9), at(10))  # one inside the other


def test_working_hours_are_local_and_inclusive_of_their_bounds() -> None:
    hours = WorkingHours(time(8), time(17), frozenset({1, 2, 3, 4, 5}))
    assert domain.outside_working_hours(at(8), at(17), hours) is None  # a Wednesday, the whole day
    assert domain.outside_working_hours(at(8).astimezone(UTC), at(9).astimezone(UTC), hours) is None
    assert "working hours" in domain.outside_working_hours(at(7, 59), at(9), hours)
    assert "working hours" in domain.outside_working_hours(at(16), at(17, 1), hours)
    saturday = date(2026, 7, 18)
    assert "does not work on Saturdays" in domain.outside_working_hours(
        at(9, day=saturday), at(10, day=saturday), hours
    )
    assert "end after" in domain.outside_working_hours(at(10), at(10), hours)


def test_free_slots_fit_the_working_hours_around_what_is_booked() -> None:
    hours = WorkingHours(time(8), time(12), frozenset({1, 2, 3, 4, 5}))
    wednesday = at(8).date()
    booked = [(at(9), at(10, 30))]
    slots = domain.free_slots(wednesday, hours, booked, 60)
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in slots] == [
        ("08:00", "09:00"),
        ("10:30", "11:30"),
        ("11:00", "12:00"),
    ]
    assert [a.strftime("%H:%M") for a, _ in domain.free_slots(wednesday, hours, booked, 60, not_before=at(10, 45))] == [
        "11:00"
    ]
    assert domain.free_slots(date(2026, 7, 18), hours, [], 60) == []  # a Saturday
    assert domain.free_slots(wednesday, hours, [], 300) == []  # longer than the day


# --- the slip ------------------------------------------------------------------------------------


def test_the_slip_hash_ignores_key_order_and_sees_any_change() -> None:
    slip = {"report": "Condensateur remplacé", "parts": [{"article_id": "a", "quantity": 1}], "labour_minutes": 75}
    reordered = {"labour_minutes": 75, "parts": [{"quantity": 1, "article_id": "a"}], "report": "Condensateur remplacé"}
    assert domain.slip_hash(slip) == domain.slip_hash(reordered)
    assert len(domain.slip_hash(slip)) == 64
    assert domain.slip_hash({**slip, "report": "Condensateur remplacé."}) != domain.slip_hash(slip)
    assert domain.slip_hash({**slip, "labour_minutes": 76}) != domain.slip_hash(slip)


# --- returns ----------------------------------------------------------------------------------


def test_a_return_follows_its_workflow() -> None:
    path = ["requested", "accepted", "part_shipped", "credited", "closed"]
    for current, new in itertools.pairwise(path):
        assert domain.return_transition_error(current, new) is None
    assert domain.return_transition_error("requested", "refused") is None
    assert domain.return_transition_error("refused", "closed") is None
    assert "cannot become credited" in domain.return_transition_error("requested", "credited")
    assert "none (closed)" in domain.return_transition_error("closed", "accepted")


def test_brands_become_routing_slugs() -> None:
    assert domain.slug("Zodiac") == "zodiac"
    assert domain.slug("Pool Technologie / Poolex") == "pool-technologie-poolex"
    assert domain.slug("Hayward Électrique") == "hayward-electrique"


# --- question trees -----------------------------------------------------------------------------


def choice(value: str, next_key: str | None = None, **more) -> dict:
    return {"value": value, "label": value, "next": next_key, "service_code": None, "parts": [], **more}


PAC_TREE = [
    {
        "key": "code_shown",
        "text": "L'afficheur indique-t-il un code erreur ?",
        "kind": "choice",
        "choices": [choice("yes", "which_code"), choice("no", "fan_turns")],
        "next": None,
    },
    {
        "key": "which_code",
        "text": "Lequel ?",
        "kind": "choice",
        "choices": [
            choice("E03", service_code="DIAG-PAC", parts=[{"article_id": "a1", "quantity": 1}]),
            choice("other", "describe"),
        ],
        "next": None,
    },
    {"key": "describe", "text": "Décrivez le code affiché", "kind": "text", "choices": [], "next": None},
    {
        "key": "fan_turns",
        "text": "Le ventilateur tourne-t-il ?",
        "kind": "choice",
        "choices": [choice("yes", service_code="ENT-PAC"), choice("no", service_code="DIAG-PAC")],
        "next": None,
    },
]


def test_a_tree_s_branches_lead_to_their_suggestions() -> None:
    assert domain.tree_errors(PAC_TREE) == {}
    walked = domain.walk(
        PAC_TREE, [{"question": "code_shown", "answer": "yes"}, {"question": "which_code", "answer": "E03"}]
    )
    assert walked.complete and walked.next_question is None
    assert (walked.service_code, walked.parts) == ("DIAG-PAC", [{"article_id": "a1", "quantity": 1}])
    assert [a["text"] for a in walked.answers] == ["L'afficheur indique-t-il un code erreur ?", "Lequel ?"]
    other = domain.walk(
        PAC_TREE, [{"question": "code_shown", "answer": "no"}, {"question": "fan_turns", "answer": "yes"}]
    )
    assert other.complete and other.service_code == "ENT-PAC"
    partial = domain.walk(
        PAC_TREE, [{"question": "code_shown", "answer": "yes"}, {"question": "which_code", "answer": "other"}]
    )
    assert not partial.complete and partial.next_question["key"] == "describe"
    assert domain.walk(PAC_TREE, []).next_question["key"] == "code_shown"


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ([{"question": "code_shown", "answer": "peut-être"}], "answers[0].answer", "one of: yes, no"),
        ([{"question": "which_code", "answer": "E03"}], "answers[0].question", "the question asked is code_shown"),
        (
            [{"question": "code_shown", "answer": "no"}, {"question": "which_code", "answer": "E03"}],
            "answers[1].question",
            "fan_turns",
        ),
        (
            [
                {"question": "code_shown", "answer": "yes"},
                {"question": "which_code", "answer": "other"},
                {"question": "describe", "answer": "  "},
            ],
            "answers[2].answer",
            "required",
        ),
        (
            [
                {"question": "code_shown", "answer": "no"},
                {"question": "fan_turns", "answer": "no"},
                {"question": "x", "answer": "y"},
            ],
            "answers[2]",
            "ended",
        ),
    ],
)
def test_an_invalid_answer_is_named(answers, field, message) -> None:
    with pytest.raises(ValueError) as refused:
        domain.walk(PAC_TREE, answers)
    named, why = refused.value.args[0]
    assert named == field and message in why


def test_a_tree_that_points_nowhere_loops_or_repeats_itself_is_refused() -> None:
    broken = [dict(q) for q in PAC_TREE]
    broken[3] = {**broken[3], "choices": [choice("yes", "nowhere"), choice("no")]}
    assert domain.tree_errors(broken) == {"questions[3].choices[0].next": ["no question nowhere"]}
    looping = [dict(q) for q in PAC_TREE]
    looping[2] = {**looping[2], "next": "code_shown"}
    assert domain.tree_errors(looping) == {
        "questions": ["the questions loop: code_shown → which_code → describe → code_shown"]
    }
    twice = [*PAC_TREE, {**PAC_TREE[2]}]
    assert domain.tree_errors(twice) == {"questions[4].key": ["used by another question"]}
    lonely = [{**PAC_TREE[0], "choices": [choice("yes")]}]
    assert domain.tree_errors(lonely) == {"questions[0].choices": ["a choice question has at least two choices"]}
