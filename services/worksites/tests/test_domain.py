"""The scheduler and the template rules, without a database or a broker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bassin_common.errors import Conflict, ValidationFailed
from worksites import defaults
from worksites.domain import (
    SKILLS,
    Crew,
    PoolSize,
    Task,
    WorkCalendar,
    easter,
    guarantee_dates,
    plan,
    replan_report,
    scaled_quantity,
    schedule_errors,
    template_errors,
)

CAL = WorkCalendar()
MONDAY = date(2026, 3, 2)
EVERYONE = Crew("all", "Équipe A", frozenset(SKILLS))


def tasks_of(steps: list[dict]) -> list[Task]:
    return [
        Task(
            s["step_code"],
            s["step_code"],
            s["duration_days"],
            tuple((d["step_code"], d["lag_days"]) for d in s["depends_on"]),
            s["skill"],
        )
        for s in steps
    ]


def test_working_days_skip_weekends_and_french_public_holidays() -> None:
    assert easter(2026) == date(2026, 4, 5)
    assert not CAL.is_working(date(2026, 4, 6))  # Easter Monday
    assert not CAL.is_working(date(2026, 5, 14))  # Ascension
    assert CAL.add(date(2026, 4, 3), 1) == date(2026, 4, 7)  # Friday + 1: over the weekend and Easter Monday
    assert WorkCalendar(holidays=False).add(date(2026, 4, 3), 1) == date(2026, 4, 6)


def test_finish_to_start_with_lag() -> None:
    tasks = [
        Task("a", "slab", 2, (), "masonry"),
        Task("b", "structure", 3, (("slab", 3),), "masonry"),  # 3 working days of curing
    ]
    result = plan(tasks, date(2026, 3, 4), [EVERYONE], calendar=WorkCalendar(holidays=False))
    assert result.slots["a"].start == date(2026, 3, 4) and result.slots["a"].end == date(2026, 3, 5)
    # ends Thursday 5; +1 working day = Friday 6, +3 lag = Wednesday 11
    assert result.slots["b"].start == date(2026, 3, 11)
    assert result.slots["b"].end == date(2026, 3, 13)


def test_the_13_step_concrete_template_gives_the_right_filling_date() -> None:
    steps = defaults.template("concrete")
    assert len(steps) == 13
    result = plan(tasks_of(steps), MONDAY, [EVERYONE])
    # permit 20 wd (2 → 27 March); layout 30; earthworks 31 → 2 April; drainage 3; slab 7-8
    # (Easter Monday 6); structure 14-20 (3 days curing); hydraulics 21-22; technical room
    # 23-24; backfill 27-28 (2 days lag); waterproofing 29-30; coping 4-6 May (1 May off);
    # safety 7; filling 11 (8 May off).
    assert result.slots["structure"].start == date(2026, 4, 14)
    assert result.slots["technical_room"].start == date(2026, 4, 23)
    assert result.filling_date == date(2026, 5, 11)


def test_re_planning_after_a_delay_shows_what_moved_and_the_new_filling_date() -> None:
    tasks = tasks_of(defaults.template("concrete"))
    first = plan(tasks, MONDAY, [EVERYONE])
    delayed = [t if t.code != "structure" else Task(**{**t.__dict__, "pinned_start": date(2026, 4, 21)}) for t in tasks]
    second = plan(delayed, MONDAY, [EVERYONE])
    moves, filling = replan_report(delayed, first.slots, second)
    moved = {m.code for m in moves}
    assert moved == {
        "structure",
        "hydraulics",
        "backfill",
        "waterproofing",
        "coping",
        "technical_room",
        "safety_device",
        "filling",
    }
    assert "slab" not in moved and "permit" not in moved
    # structure 21-27 April, hydraulics 28-29, backfill 5-6 May (lag, 1 May), waterproofing 7 and
    # 11 (8 May), coping 12-15 (Ascension on the 14th), safety 18: filling on the 19th, 6 working days later.
    assert filling == date(2026, 5, 19)


def test_a_step_moved_before_its_predecessor_allows_is_refused_with_a_reason() -> None:
    tasks = [
        Task("a", "slab", 2, (), "masonry"),
        Task("b", "structure", 3, (("slab", 3),), "masonry", pinned_start=MONDAY),
    ]
    with pytest.raises(ValidationFailed) as refused:
        plan(tasks, MONDAY, [EVERYONE])
    assert "predecessors" in str(refused.value.errors["start_on"])


def test_a_crew_on_two_sites_is_refused_and_the_free_one_is_taken() -> None:
    busy = {"all": {date(2026, 3, 3): "step slab of project X"}}
    pinned = [Task("a", "slab", 2, (), "masonry", pinned_start=MONDAY, crew_id="all")]
    with pytest.raises(Conflict) as refused:
        plan(pinned, MONDAY, [EVERYONE], busy)
    assert "2026-03-03" in str(refused.value) and "project X" in str(refused.value)
    other = Crew("other", "Équipe B", frozenset({"masonry"}))
    free = plan([Task("a", "slab", 2, (), "masonry")], MONDAY, [EVERYONE, other], busy)
    assert free.slots["a"].crew_id == "other" and free.slots["a"].start == MONDAY
    alone = plan([Task("a", "slab", 2, (), "masonry")], MONDAY, [EVERYONE], busy)
    assert alone.slots["a"].start == date(2026, 3, 4)  # waits for the crew


def test_crew_skills_and_unavailability_are_respected() -> None:
    digger = Crew("d", "Terrassier", frozenset({"earthworks"}), ((date(2026, 3, 2), date(2026, 3, 6)),))
    result = plan([Task("a", "earthworks", 3, (), "earthworks")], MONDAY, [digger])
    assert result.slots["a"].start == date(2026, 3, 9)
    with pytest.raises(ValidationFailed) as refused:
        plan([Task("a", "slab", 2, (), "masonry")], MONDAY, [digger])
    assert "masonry" in str(refused.value.errors["skill"])


def test_a_blocked_step_waits_for_the_end_of_its_block() -> None:
    tasks = [
        Task("a", "coping", 1, (), "masonry"),
        Task("b", "filling", 1, (("coping", 0),), "finishing", not_before=date(2026, 3, 16)),
    ]
    result = plan(tasks, MONDAY, [EVERYONE])
    assert result.slots["b"].start == date(2026, 3, 16)
    assert result.filling_date == date(2026, 3, 16)


def test_started_and_done_steps_keep_their_real_dates() -> None:
    tasks = [
        Task("a", "slab", 2, (), "masonry", status="done", started_on=MONDAY, completed_on=date(2026, 3, 5)),
        Task("b", "structure", 1, (("slab", 0),), "masonry"),
    ]
    result = plan(tasks, MONDAY, [EVERYONE])
    assert result.slots["a"].end == date(2026, 3, 5) and result.slots["b"].start == date(2026, 3, 6)


def test_materials_scale_with_the_pool() -> None:
    size = PoolSize(Decimal("8"), Decimal("4"), Decimal("1.4"))
    assert scaled_quantity(Decimal("1.6"), "m2", size) == 52  # 51.2 m² of liner, rounded up
    assert scaled_quantity(Decimal("3"), "ml", size) == 72
    assert scaled_quantity(Decimal("1"), "pool", size) == 1
    assert scaled_quantity(Decimal("1"), "m3", size) == 45


def test_template_and_schedule_rules() -> None:
    steps = defaults.template("concrete")
    assert template_errors(steps) == {}
    looping = [
        {**s, "depends_on": [{"step_code": "filling", "lag_days": 0}]} if s["step_code"] == "permit" else s
        for s in steps
    ]
    assert "circle" in template_errors(looping)["steps"][0]
    unknown = [*steps[:1], {**steps[1], "depends_on": [{"step_code": "nope", "lag_days": 0}]}]
    assert "steps[1].depends_on[0].step_code" in template_errors(unknown)
    codes = [s["step_code"] for s in steps]
    good = [{"step_code": "order", "percent": 30}, {"step_code": "structure", "percent": 70}]
    assert schedule_errors(good, codes) == {}
    assert "payment_schedule" in schedule_errors([{"step_code": "structure", "percent": 50}], codes)
    assert "payment_schedule[0].step_code" in schedule_errors([{"step_code": "x", "percent": 100}], codes)


def test_default_pool_types_are_thirty_usable_templates() -> None:
    types = defaults.pool_types()
    assert len(types) == 30 and len({t["code"] for t in types}) == 30
    assert all(template_errors(t["steps"]) == {} for t in types)


def test_guarantees_run_from_the_handover() -> None:
    assert guarantee_dates(date(2026, 6, 12)) == {
        "perfect_completion": date(2027, 6, 12),
        "proper_functioning": date(2028, 6, 12),
        "ten_year": date(2036, 6, 12),
    }
    assert guarantee_dates(date(2028, 2, 29))["perfect_completion"] == date(2029, 2, 28)


def test_only_the_step_being_moved_must_hold_its_date_the_earlier_moves_are_wishes() -> None:
    tasks = [
        Task("a", "slab", 2, (), "masonry"),
        Task("b", "structure", 3, (("slab", 0),), "masonry", pinned_start=date(2026, 3, 4)),  # an earlier choice
    ]
    moved = [Task(**{**tasks[0].__dict__, "pinned_start": date(2026, 3, 9)}), tasks[1]]
    with pytest.raises(ValidationFailed):
        plan(moved, MONDAY, [EVERYONE])  # every pin held exactly: the structure's cannot be
    result = plan(moved, MONDAY, [EVERYONE], strict=frozenset({"a"}))
    assert result.slots["a"].start == date(2026, 3, 9)
    assert result.slots["b"].start == date(2026, 3, 11)  # follows the slab instead
