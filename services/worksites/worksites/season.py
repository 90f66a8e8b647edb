"""The season auto-plan: every open project's remaining steps on the crews, minimising the
total lateness of the fillings against what each customer was promised (ADR 0023).

A constraint model solved by OR-Tools CP-SAT, in *working-day* time (day 0 is the season's
first working day; weekends and public holidays do not exist in it, so a step of n days is
an interval of length n and a lag of k days a gap of k):

- a step needing a skill is done by exactly one crew having it (an optional interval per
  such crew), a crew does one step at a time (no overlap), never on its unavailable days
  (fixed intervals in its no-overlap);
- finish-to-start with lag: start(next) >= end(previous) + lag;
- a blocked step starts after its block; started steps keep their crew and days;
- lateness(p) >= start(filling of p) - promised(p), >= 0; the objective is the sum of the
  lateness, then (a small second term) the sum of the filling dates, so that among plans
  equally late the earliest is chosen.

The greedy scheduler (``domain.plan``, projects by promised date) gives the solver its
first solution (a hint) and is the answer if the solver finds nothing better in time: the
planner always gets a valid proposal.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from ortools.sat.python import cp_model

from worksites.domain import FILLING_STEP, WORKING_DAYS, Crew, Plan, Slot, Task, WorkCalendar, plan

TIE_BREAK = 1  # weight of a day of filling date, against LATENESS_WEIGHT for a day of lateness


@dataclass(frozen=True)
class SeasonProject:
    id: Any
    tasks: tuple[Task, ...]
    promised_filling_date: date | None
    not_before: date | None = None  # the project's own start date, when the office set one


@dataclass
class SeasonPlan:
    slots: dict[Any, Slot]  # task id -> slot
    fillings: dict[Any, date | None]  # project id -> filling date
    lateness: dict[Any, int]  # project id -> working days late
    total_lateness: int
    solver: str  # "cp-sat optimal", "cp-sat feasible", "greedy"
    wall_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class Days:
    """Working days of the season as indices: 0 is the first working day on or after ``start``."""

    def __init__(self, start: date, calendar: WorkCalendar, count: int) -> None:
        first = calendar.first_working(start)
        self.dates = calendar.span(first, count)
        self.calendar = calendar

    def index(self, day: date) -> int:
        """The index of ``day``, or of the first working day after it (past the horizon: its length)."""
        return bisect.bisect_left(self.dates, day)

    def date(self, index: int) -> date:
        if index < len(self.dates):
            return self.dates[index]
        return self.calendar.add(self.dates[-1], index - len(self.dates) + 1)


def greedy(
    projects: Sequence[SeasonProject], crews: Sequence[Crew], start: date, calendar: WorkCalendar
) -> dict[Any, Plan]:
    """Projects one after the other by promised date (none: last), each with ``domain.plan``."""
    busy: dict[Any, dict[date, Any]] = {}
    plans: dict[Any, Plan] = {}
    order = sorted(projects, key=lambda p: (p.promised_filling_date or date.max, str(p.id)))
    for project in order:
        begin = max(start, project.not_before or start)
        result = plan(project.tasks, begin, crews, busy, calendar, strict=False)
        plans[project.id] = result
        busy = result.bookings
    return plans


def _lateness(filling: date | None, promised: date | None, days: Days) -> int:
    if filling is None or promised is None:
        return 0
    return max(0, days.index(filling) - days.index(promised))


def propose(
    projects: Sequence[SeasonProject],
    crews: Sequence[Crew],
    start: date,
    calendar: WorkCalendar = WORKING_DAYS,
    time_limit: float = 7.0,
    workers: int = 2,
) -> SeasonPlan:
    """The season's plan: every step of every project, on a crew with its skill."""
    first = greedy(projects, crews, start, calendar)
    last_end = max((s.end for p in first.values() for s in p.slots.values()), default=start)
    horizon = len(calendar.working_days(calendar.first_working(start), last_end)) + 1
    days = Days(start, calendar, max(horizon, 1))

    model = cp_model.CpModel()
    crew_intervals: dict[Any, list[cp_model.IntervalVar]] = {crew.id: [] for crew in crews}
    for crew in crews:
        blocked = sorted({days.index(d) for a, b in crew.unavailable for d in calendar.working_days(a, b)})
        for index in blocked:
            if index < horizon:
                crew_intervals[crew.id].append(model.NewFixedSizeIntervalVar(index, 1, f"off-{crew.id}-{index}"))
    starts: dict[Any, cp_model.IntVar] = {}
    ends: dict[Any, cp_model.IntVar] = {}
    chosen: dict[Any, dict[Any, cp_model.IntVar]] = {}
    lateness_terms, filling_terms = [], []
    fixed: dict[Any, Slot] = {}

    for project in projects:
        by_code = {t.code: t for t in project.tasks}
        earliest = days.index(max(start, project.not_before or start))
        hint = first[project.id].slots
        for task in project.tasks:
            if task.status in ("done", "in_progress"):
                slot = hint[task.id]
                fixed[task.id] = slot
                s, e = days.index(slot.start), days.index(slot.end + timedelta(days=1))
                starts[task.id], ends[task.id] = model.NewConstant(s), model.NewConstant(max(e, s))
                if task.status == "in_progress" and slot.crew_id in crew_intervals and e > s:
                    crew_intervals[slot.crew_id].append(model.NewFixedSizeIntervalVar(s, e - s, f"run-{task.id}"))
                continue
            low = earliest
            if task.not_before:
                low = max(low, days.index(task.not_before))
            start_var = model.NewIntVar(low, horizon, f"s-{task.id}")
            end_var = model.NewIntVar(low + task.duration_days, horizon + task.duration_days, f"e-{task.id}")
            model.Add(end_var == start_var + task.duration_days)
            starts[task.id], ends[task.id] = start_var, end_var
            model.AddHint(start_var, days.index(hint[task.id].start))
            if task.skill is not None:
                able = [c for c in crews if task.skill in c.skills]
                presences = {}
                for crew in able:
                    present = model.NewBoolVar(f"x-{task.id}-{crew.id}")
                    interval = model.NewOptionalIntervalVar(
                        start_var, task.duration_days, end_var, present, f"i-{task.id}-{crew.id}"
                    )
                    crew_intervals[crew.id].append(interval)
                    presences[crew.id] = present
                    model.AddHint(present, hint[task.id].crew_id == crew.id)
                model.AddExactlyOne(presences.values())
                chosen[task.id] = presences
        for task in project.tasks:
            for code, lag in task.depends_on:
                model.Add(starts[task.id] >= ends[by_code[code].id] + lag)
        filling = by_code.get(FILLING_STEP)
        if filling is not None:
            filling_terms.append(starts[filling.id])
            if project.promised_filling_date is not None:
                late = model.NewIntVar(0, horizon, f"late-{project.id}")
                model.Add(late >= starts[filling.id] - days.index(project.promised_filling_date))
                lateness_terms.append(late)
    for intervals in crew_intervals.values():
        model.AddNoOverlap(intervals)
    weight = (horizon + 1) * max(len(filling_terms), 1)  # a day of lateness outweighs every tie-break
    model.Minimize(weight * sum(lateness_terms) + TIE_BREAK * sum(filling_terms))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_search_workers = workers
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _from_greedy(projects, first, days, solver.WallTime())

    slots: dict[Any, Slot] = dict(fixed)
    for project in projects:
        for task in project.tasks:
            if task.id in fixed:
                continue
            s = solver.Value(starts[task.id])
            crew_id = next((c for c, x in chosen.get(task.id, {}).items() if solver.Value(x)), None)
            slots[task.id] = Slot(days.date(s), days.date(s + task.duration_days - 1), crew_id)
    result = _summary(projects, slots, days)
    greedy_result = _from_greedy(projects, first, days, 0)
    if greedy_result.total_lateness < result.total_lateness:  # never worse than the hint
        return replace(greedy_result, wall_seconds=solver.WallTime())
    label = "cp-sat optimal" if status == cp_model.OPTIMAL else "cp-sat feasible"
    return replace(result, solver=label, wall_seconds=solver.WallTime())


def _summary(projects: Sequence[SeasonProject], slots: dict[Any, Slot], days: Days) -> SeasonPlan:
    fillings, lateness = {}, {}
    for project in projects:
        filling = next((t for t in project.tasks if t.code == FILLING_STEP), None)
        fillings[project.id] = slots[filling.id].start if filling else None
        lateness[project.id] = _lateness(fillings[project.id], project.promised_filling_date, days)
    return SeasonPlan(slots, fillings, lateness, sum(lateness.values()), "")


def _from_greedy(projects: Sequence[SeasonProject], plans: dict[Any, Plan], days: Days, wall: float) -> SeasonPlan:
    slots = {task_id: slot for p in plans.values() for task_id, slot in p.slots.items()}
    return replace(_summary(projects, slots, days), solver="greedy", wall_seconds=wall)


def violations(
    projects: Sequence[SeasonProject], crews: Sequence[Crew], slots: dict[Any, Slot], calendar: WorkCalendar
) -> list[str]:
    """Every rule a plan breaks (an independent check, in dates, for tests and for safety)."""
    problems = []
    crews_by_id = {crew.id: crew for crew in crews}
    worked: dict[Any, dict[date, Any]] = {}
    for project in projects:
        by_code = {t.code: t for t in project.tasks}
        for task in project.tasks:
            slot = slots[task.id]
            days = calendar.working_days(slot.start, slot.end)
            if task.status == "pending" and len(days) != task.duration_days:
                problems.append(f"{task.id}: {len(days)} working days for a {task.duration_days}-day step")
            for code, lag in task.depends_on:
                allowed = calendar.add(slots[by_code[code].id].end, 1 + lag)
                if slot.start < allowed:
                    problems.append(f"{task.id} starts {slot.start}, before {allowed} ({code} + {lag})")
            if task.not_before and task.status == "pending" and slot.start < task.not_before:
                problems.append(f"{task.id} starts {slot.start} while blocked until {task.not_before}")
            if task.skill is None or task.status == "done":
                continue
            crew = crews_by_id.get(slot.crew_id)
            if crew is None or task.skill not in crew.skills:
                problems.append(f"{task.id} ({task.skill}) on crew {slot.crew_id} without that skill")
                continue
            for day in days:
                if not crew.available_on(day):
                    problems.append(f"{task.id}: crew {crew.name} unavailable on {day}")
                if (other := worked.setdefault(crew.id, {}).get(day)) is not None:
                    problems.append(f"crew {crew.name} on {other} and {task.id} on {day}")
                worked[crew.id][day] = task.id
    return problems
