"""The season auto-plan (CP-SAT), checked by an independent validator."""

from __future__ import annotations

import time
from datetime import date, timedelta

from worksites import defaults
from worksites.domain import Crew, Task, WorkCalendar
from worksites.season import SeasonProject, propose, violations

CAL = WorkCalendar()
SEASON = date(2026, 3, 2)


def project_tasks(prefix: str, structure: str) -> tuple[Task, ...]:
    return tuple(
        Task(
            f"{prefix}:{s['step_code']}",
            s["step_code"],
            s["duration_days"],
            tuple((d["step_code"], d["lag_days"]) for d in s["depends_on"]),
            s["skill"],
        )
        for s in defaults.template(structure)
    )


def test_a_hand_made_case_gets_its_known_optimum() -> None:
    """One crew, three one-step projects. By promised date (the greedy order) the long one
    goes first and the two short ones are 9 days late each (18); the optimum puts the
    short ones first: the long one is 2 days late, nothing else."""
    crew = Crew("x", "Équipe X", frozenset({"finishing"}))

    def one_step(name: str, days: int, promised: date) -> SeasonProject:
        return SeasonProject(name, (Task(name, "filling", days, (), "finishing"),), promised)

    projects = [
        one_step("long", 10, date(2026, 3, 2)),
        one_step("short-1", 1, date(2026, 3, 3)),
        one_step("short-2", 1, date(2026, 3, 4)),
    ]
    result = propose(projects, [crew], SEASON, CAL, time_limit=5)
    assert result.solver == "cp-sat optimal"
    assert result.total_lateness == 2
    assert result.fillings == {"short-1": date(2026, 3, 2), "short-2": date(2026, 3, 3), "long": date(2026, 3, 4)}
    assert violations(projects, [crew], result.slots, CAL) == []


def season_of_25() -> tuple[list[SeasonProject], list[Crew]]:
    structures = ["concrete", "blocks", "panels", "polyester_shell", "kit"]
    projects = []
    for n in range(25):
        tasks = project_tasks(f"p{n}", structures[n % 5])
        if n == 3:  # a drought order: no filling before mid-July
            tasks = tuple(
                Task(**{**t.__dict__, "not_before": date(2026, 7, 15)}) if t.code == "filling" else t for t in tasks
            )
        promised = SEASON + timedelta(days=70 + 6 * n)
        projects.append(SeasonProject(f"p{n}", tasks, promised))
    crews = [
        Crew("c1", "Terrassement Roux", frozenset({"earthworks"})),
        Crew("c2", "Maçonnerie Durand", frozenset({"masonry"}), ((date(2026, 5, 4), date(2026, 5, 15)),)),
        Crew("c3", "Maçonnerie Petit", frozenset({"masonry", "plumbing", "earthworks"})),
        Crew("c4", "Étanchéité Blanc", frozenset({"waterproofing", "finishing"})),
        Crew("c5", "Électricité Moreau (sous-traitant)", frozenset({"electrics", "plumbing", "finishing"})),
    ]
    return projects, crews


def test_25_projects_and_5_crews_within_10_seconds_without_breaking_a_rule() -> None:
    projects, crews = season_of_25()
    began = time.monotonic()
    result = propose(projects, crews, SEASON, CAL)
    elapsed = time.monotonic() - began
    print(
        f"\nseason auto-plan: 25 projects, 5 crews: {elapsed:.2f} s, solver {result.solver}, "
        f"total lateness {result.total_lateness} working days"
    )
    assert elapsed < 10
    assert violations(projects, crews, result.slots, CAL) == []
    assert result.fillings["p3"] >= date(2026, 7, 15)
    assert len(result.slots) == sum(len(p.tasks) for p in projects)


def test_the_validator_catches_what_it_checks() -> None:
    projects, crews = season_of_25()
    result = propose(projects[:2], crews, SEASON, CAL, time_limit=2)
    slots = dict(result.slots)
    slab, structure = slots["p0:slab"], slots["p0:structure"]
    slots["p0:structure"] = type(structure)(slab.start, structure.end, structure.crew_id)
    slots["p1:earthworks"] = type(slots["p1:earthworks"])(
        slots["p1:earthworks"].start, slots["p1:earthworks"].end, "c2"
    )
    found = violations(projects[:2], crews, slots, CAL)
    assert any("p0:structure starts" in v for v in found)
    assert any("p1:earthworks (earthworks) on crew c2" in v for v in found)
