"""Worksites use cases, each given the unit of work it runs in (which commits when they return).

Planning reads every crew's bookings and writes a project's; two planners of one company
planning at once would each see the crews free: the crews' rows are locked first
(``_lock_crews``), so plans of one company are made one after the other.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from eventlet import tpool
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from bassin_common.copies import keep_copies
from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from worksites import defaults, domain, events, season
from worksites.models import (
    Crew,
    DefaultsInstalled,
    KnownArticle,
    KnownCustomer,
    KnownLocation,
    PoolType,
    Project,
    SeasonProposal,
    Task,
    TaskNote,
    TaskPhoto,
)

log = logging.getLogger(__name__)
SOLVER_MARGIN = 1.5  # seconds kept, out of the caller's deadline, for the model, the greedy plan and the answer

# --- documents in JSONB: decimals and dates as strings ----------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | uuid.UUID):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _today() -> date:
    return datetime.now(UTC).date()


# --- copies of inventory's articles and locations ---------------------------------------


def remember_article(uow: UnitOfWork, article: dict[str, Any]) -> None:
    if uow.session.get(KnownArticle, article["article_id"]) is None:
        uow.session.add(KnownArticle(id=article["article_id"], sku=article["sku"], name=article["name"]))


def remember_articles(uow: UnitOfWork, imported: dict[str, Any]) -> None:
    """Articles inventory created together, each remembered as ``remember_article``, at once."""
    rows = [
        {"tenant_id": uow.tenant_id, "id": a["article_id"], "sku": a["sku"], "name": a["name"]}
        for a in imported["articles"]
    ]
    keep_copies(uow.session, KnownArticle, rows, key=["id"], update=False)


def remember_location(uow: UnitOfWork, location: dict[str, Any]) -> None:
    if uow.session.get(KnownLocation, location["location_id"]) is None:
        uow.session.add(KnownLocation(id=location["location_id"], code=location["code"], name=location["name"]))


def remember_customer(uow: UnitOfWork, customer: dict[str, Any]) -> None:
    """Keep the customer's name and address current (created or updated, in any order)."""
    _remember_customers(uow, [customer])


def remember_imported_customers(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """customers_imported: each customer remembered as its ``customer_created`` would be."""
    _remember_customers(uow, data["customers"])


def _remember_customers(uow: UnitOfWork, customers: list[dict[str, Any]]) -> None:
    """The customers' names and addresses, in one statement."""
    rows = [
        {
            "id": customer["customer_id"],
            "tenant_id": uow.tenant_id,
            "display_name": customer["display_name"],
            "address": {k: v or "" for k, v in customer["billing_address"].items()},
        }
        for customer in customers
    ]
    statement = insert(KnownCustomer).values(rows)
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"display_name": statement.excluded.display_name, "address": statement.excluded.address},
        )
    )


def _customers(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, KnownCustomer]:
    return {c.id: c for c in uow.session.scalars(select(KnownCustomer).where(KnownCustomer.id.in_(ids)))} if ids else {}


def _check_articles(uow: UnitOfWork, steps: list[dict[str, Any]]) -> None:
    named = {
        (i, j): m["article_id"] for i, s in enumerate(steps) for j, m in enumerate(s["materials"]) if m["article_id"]
    }
    known = set(uow.session.scalars(select(KnownArticle.id).where(KnownArticle.id.in_(set(named.values())))))
    for (i, j), article_id in named.items():
        if article_id not in known:
            raise ValidationFailed.field(f"steps[{i}].materials[{j}].article_id", "unknown article")


# --- pool types -------------------------------------------------------------------------


def ensure_defaults(uow: UnitOfWork) -> None:
    """Give the company the default pool types, once (a company that deleted or renamed
    them does not get them back). Concurrent first calls: one inserts the marker and the
    types, the others wait on the marker's unique key, then do nothing."""
    if uow.session.scalar(select(DefaultsInstalled.id)) is not None:
        return
    inserted = uow.session.execute(
        insert(DefaultsInstalled)
        .values(id=uuid.uuid4(), tenant_id=uow.tenant_id)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
        .returning(DefaultsInstalled.id)
    ).first()
    if inserted is None:
        return
    existing = set(uow.session.scalars(select(PoolType.code)))
    for pool_type in defaults.pool_types():
        if pool_type["code"] not in existing:
            uow.session.add(PoolType(**{**pool_type, "steps": _plain(pool_type["steps"])}))
    uow.session.flush()


def list_pool_types(uow: UnitOfWork, page: dict[str, Any]) -> Page[PoolType]:
    ensure_defaults(uow)
    return read_page(uow.session, select(PoolType), (PoolType.code, PoolType.id), page)


def _pool_type(uow: UnitOfWork, pool_type_id: uuid.UUID, *, for_update: bool = False) -> PoolType:
    statement = select(PoolType).where(PoolType.id == pool_type_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found = uow.session.scalar(statement)
    if found is None:
        raise NotFound(f"pool type {pool_type_id} not found")
    return found


def get_pool_type(uow: UnitOfWork, pool_type_id: uuid.UUID) -> PoolType:
    return _pool_type(uow, pool_type_id)


def create_pool_type(uow: UnitOfWork, data: dict[str, Any]) -> PoolType:
    ensure_defaults(uow)
    if uow.session.scalar(select(PoolType.id).where(PoolType.code == data["code"])):
        raise ValidationFailed.field("code", "already used by another pool type")
    _check_articles(uow, data["steps"])
    pool_type = PoolType(**{**data, "steps": _plain(data["steps"])})
    uow.session.add(pool_type)
    uow.session.flush()
    return pool_type


def update_pool_type(uow: UnitOfWork, pool_type_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> PoolType:
    pool_type = _pool_type(uow, pool_type_id, for_update=True)
    require_version(pool_type.version, if_match, "pool type")
    if data["code"] != pool_type.code and uow.session.scalar(select(PoolType.id).where(PoolType.code == data["code"])):
        raise ValidationFailed.field("code", "already used by another pool type")
    _check_articles(uow, data["steps"])
    for key, value in data.items():
        setattr(pool_type, key, _plain(value) if key == "steps" else value)
    pool_type.version += 1
    uow.session.flush()
    return pool_type


# --- crews ------------------------------------------------------------------------------


def _crew_row(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "skills": sorted(set(data["skills"])), "unavailable": _plain(data.get("unavailable", []))}


def crew_view(crew: Crew) -> dict[str, Any]:
    """A crew as the API shows it: its periods' days (text in its JSON document) as dates."""
    periods = [
        {**p, "first_day": date.fromisoformat(p["first_day"]), "last_day": date.fromisoformat(p["last_day"])}
        for p in crew.unavailable or []
    ]
    return {**{c.key: getattr(crew, c.key) for c in Crew.__table__.columns}, "unavailable": periods}


def create_crew(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    crew = Crew(**_crew_row(data))
    uow.session.add(crew)
    uow.session.flush()
    return crew_view(crew)


def list_crews(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    found = read_page(uow.session, select(Crew), (Crew.name, Crew.id), page)
    return Page([crew_view(crew) for crew in found.items], found.next)


def _crew(uow: UnitOfWork, crew_id: uuid.UUID, *, for_update: bool = False) -> Crew:
    statement = select(Crew).where(Crew.id == crew_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    crew = uow.session.scalar(statement)
    if crew is None:
        raise NotFound(f"crew {crew_id} not found")
    return crew


def get_crew(uow: UnitOfWork, crew_id: uuid.UUID) -> dict[str, Any]:
    return crew_view(_crew(uow, crew_id))


def update_crew(uow: UnitOfWork, crew_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> dict[str, Any]:
    """Change a crew; its planned steps stay where they are (re-plan the projects to move them)."""
    crew = _crew(uow, crew_id, for_update=True)
    require_version(crew.version, if_match, "crew")
    for key, value in _crew_row(data).items():
        setattr(crew, key, value)
    crew.version += 1
    uow.session.flush()
    return crew_view(crew)


def crew_agenda(uow: UnitOfWork, crew_id: uuid.UUID, period: dict[str, Any]) -> dict[str, Any]:
    crew = _crew(uow, crew_id)
    monday = _today() - timedelta(days=_today().weekday())
    period = {
        "first_day": period["first_day"] or monday,
        "last_day": period["last_day"] or (period["first_day"] or monday) + timedelta(days=6),
    }
    if not 0 <= (period["last_day"] - period["first_day"]).days <= 92:
        raise ValidationFailed.field("last_day", "from first_day to at most 92 days after it")
    rows = uow.session.execute(
        select(Task, Project)
        .join(Project, Project.id == Task.project_id)
        .where(
            Task.crew_id == crew_id,
            Task.planned_start <= period["last_day"],
            Task.planned_end >= period["first_day"],
        )
        .order_by(Task.planned_start, Task.id)
    ).all()
    customers = _customers(uow, {project.customer_id for _, project in rows})
    entries = [
        {
            "customer_name": customers[project.customer_id].display_name if project.customer_id in customers else None,
            "city": customers[project.customer_id].address.get("city") if project.customer_id in customers else None,
            "project_id": project.id,
            "task_id": task.id,
            "step_code": task.code,
            "step_name": task.name,
            "customer_id": project.customer_id,
            "site_id": project.site_id,
            "start": task.planned_start,
            "end": task.planned_end,
            "status": task.status,
        }
        for task, project in rows
    ]
    return {"crew": crew_view(crew), "entries": entries}


def _domain_crew(crew: Crew) -> domain.Crew:
    periods = tuple(
        (date.fromisoformat(p["first_day"]), date.fromisoformat(p["last_day"])) for p in crew.unavailable or []
    )
    return domain.Crew(crew.id, crew.name, frozenset(crew.skills), periods)


# --- projects from orders ---------------------------------------------------------------


def create_project_from_order(uow: UnitOfWork, order: dict[str, Any]) -> Project | None:
    """A confirmed construction order becomes a project: its pool type's template
    instantiated for this pool (materials scaled), the payment schedule from the order
    (the template's milestones when the order gives none). Once per order: a second
    delivery, or a second event for the same order, changes nothing."""
    if order["kind"] != "construction":
        return None
    if uow.session.scalar(select(Project).where(Project.order_id == order["order_id"])) is not None:
        return None
    pool = order["pool"]
    if pool is None:
        raise ValidationFailed.field("pool", "a construction order names its pool")
    ensure_defaults(uow)
    pool_type = uow.session.scalar(select(PoolType).where(PoolType.code == pool["pool_type_code"]))
    if pool_type is None:
        raise ValidationFailed.field("pool.pool_type_code", f"unknown pool type {pool['pool_type_code']}")
    size = domain.PoolSize(Decimal(pool["length_m"]), Decimal(pool["width_m"]), Decimal(pool["mean_depth_m"]))
    codes = [step["step_code"] for step in pool_type.steps]
    schedule = domain.schedule_of_order(order["payment_schedule"])
    if not schedule or domain.schedule_errors(schedule, codes):
        # An order's schedule naming steps this template lacks is not lost: the office sees
        # the template's milestones and edits them (the order's stays in the order).
        schedule = _template_schedule(pool_type.steps)
    project = Project(
        order_id=order["order_id"],
        quote_id=order["quote_id"],
        customer_id=order["customer_id"],
        site_id=order["site_id"],
        pool_type_code=pool_type.code,
        pool=_plain(pool),
        total_excl_vat=order["total_excl_vat"],
        total_incl_vat=order["total_incl_vat"],
        payment_schedule=_plain(schedule),
        promised_filling_date=order["promised_filling_date"],
        status="open",
    )
    uow.session.add(project)
    uow.session.flush()
    for position, step in enumerate(pool_type.steps, start=1):
        uow.session.add(
            Task(
                project_id=project.id,
                position=position,
                code=step["step_code"],
                name=step["name"],
                duration_days=step["duration_days"],
                depends_on=step["depends_on"],
                skill=step["skill"],
                sub_steps=step["sub_steps"],
                materials=_plain(domain.scaled_materials(step["materials"], size)),
                order_trigger=step["order_trigger"],
                status="pending",
            )
        )
    uow.session.flush()
    uow.emit(
        events.PROJECT_CREATED,
        {
            "project_id": project.id,
            "order_id": project.order_id,
            "customer_id": project.customer_id,
            "site_id": project.site_id,
            "pool_type_code": project.pool_type_code,
        },
    )
    return project


def _template_schedule(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    milestones = [
        {"step_code": s["step_code"], "percent": s["milestone_percent"]} for s in steps if s.get("milestone_percent")
    ]
    rest = Decimal(100) - sum((Decimal(m["percent"]) for m in milestones), Decimal(0))
    return ([{"step_code": domain.ORDER_MILESTONE, "percent": str(rest)}] if rest > 0 else []) + milestones


# --- reading projects -------------------------------------------------------------------


def _project(uow: UnitOfWork, project_id: uuid.UUID, *, for_update: bool = False) -> Project:
    statement = select(Project).where(Project.id == project_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    project = uow.session.scalar(statement)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def _tasks(uow: UnitOfWork, project_id: uuid.UUID) -> list[Task]:
    return list(
        uow.session.scalars(
            select(Task)
            .where(Task.project_id == project_id)
            .order_by(Task.position)
            .execution_options(populate_existing=True)
        )
    )


def _filling_date(tasks: list[Task]) -> date | None:
    return next((t.planned_start for t in tasks if t.code == domain.FILLING_STEP), None)


def _percent(project: Project, step_code: str) -> Decimal | None:
    return next((Decimal(e["percent"]) for e in project.payment_schedule if e["step_code"] == step_code), None)


def project_view(uow: UnitOfWork, project: Project, tasks: list[Task] | None = None) -> dict[str, Any]:
    tasks = tasks if tasks is not None else _tasks(uow, project.id)
    done = {t.code for t in tasks if t.status == "done"}
    schedule = [
        {
            "step_code": e["step_code"],
            "percent": Decimal(e["percent"]),
            "amount_incl_vat": domain.milestone_amount(project.total_incl_vat, Decimal(e["percent"])),
            "called": e["step_code"] == domain.ORDER_MILESTONE or e["step_code"] in done,
        }
        for e in project.payment_schedule
    ]
    columns = {c.key: getattr(project, c.key) for c in Project.__table__.columns}
    return {
        **columns,
        "customer_name": _name(_customers(uow, {project.customer_id}), project.customer_id),
        "payment_schedule": schedule,
        "filling_date": _filling_date(tasks),
        "guarantees": domain.guarantee_dates(project.handover_on) if project.handover_on else None,
        "tasks": [{**_task_view(t), "milestone_percent": _percent(project, t.code)} for t in tasks],
    }


def _task_view(task: Task) -> dict[str, Any]:
    return {c.key: getattr(task, c.key) for c in Task.__table__.columns}


def get_project(uow: UnitOfWork, project_id: uuid.UUID) -> dict[str, Any]:
    return project_view(uow, _project(uow, project_id))


def list_projects(uow: UnitOfWork, search: dict[str, Any]) -> Page[dict[str, Any]]:
    statement = select(Project)
    if search["status"]:
        statement = statement.where(Project.status == search["status"])
    if search.get("customer_id"):
        statement = statement.where(Project.customer_id == search["customer_id"])
    found = read_page(uow.session, statement, (Project.created_at, Project.id), search, descending=True)
    fillings = dict(
        uow.session.execute(
            select(Task.project_id, Task.planned_start).where(
                Task.project_id.in_([p.id for p in found.items]), Task.code == domain.FILLING_STEP
            )
        ).all()
    )
    customers = _customers(uow, {p.customer_id for p in found.items})
    return Page(
        [
            {**_columns(p), "filling_date": fillings.get(p.id), "customer_name": _name(customers, p.customer_id)}
            for p in found.items
        ],
        found.next,
    )


def _name(customers: dict[uuid.UUID, KnownCustomer], customer_id: uuid.UUID) -> str | None:
    return customers[customer_id].display_name if customer_id in customers else None


def _columns(project: Project) -> dict[str, Any]:
    return {c.key: getattr(project, c.key) for c in Project.__table__.columns}


def update_project(uow: UnitOfWork, project_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> dict[str, Any]:
    project = _project(uow, project_id, for_update=True)
    require_version(project.version, if_match, "project")
    tasks = _tasks(uow, project_id)
    if "payment_schedule" in data:
        schedule = [{"step_code": e["step_code"], "percent": e["percent"]} for e in data["payment_schedule"]]
        if errors := domain.schedule_errors(schedule, [t.code for t in tasks]):
            raise ValidationFailed.of(errors)
        called = {t.code for t in tasks if t.status == "done"}
        before = {e["step_code"]: Decimal(e["percent"]) for e in project.payment_schedule}
        for index, entry in enumerate(schedule):
            if entry["step_code"] in called and before.get(entry["step_code"]) != entry["percent"]:
                raise ValidationFailed.field(
                    f"payment_schedule[{index}].percent", "this step is done: its payment was already called"
                )
        project.payment_schedule = _plain(schedule)
    if data.get("location_id") and uow.session.get(KnownLocation, data["location_id"]) is None:
        raise ValidationFailed.field("location_id", "unknown stock location")
    for key in ("location_id", "promised_filling_date"):
        if key in data:
            setattr(project, key, data[key])
    project.version += 1
    uow.session.flush()
    return project_view(uow, project, tasks)


# --- planning ---------------------------------------------------------------------------


def _lock_crews(uow: UnitOfWork) -> list[Crew]:
    return list(
        uow.session.scalars(select(Crew).order_by(Crew.id).with_for_update().execution_options(populate_existing=True))
    )


def _busy_elsewhere(uow: UnitOfWork, project_id: uuid.UUID, calendar: domain.WorkCalendar) -> dict[Any, dict]:
    """Per crew, the days it works on other projects' steps not done yet."""
    busy: dict[Any, dict[date, str]] = {}
    rows = uow.session.execute(
        select(Task.crew_id, Task.planned_start, Task.planned_end, Task.code, Task.project_id).where(
            Task.project_id != project_id,
            Task.crew_id.is_not(None),
            Task.status != "done",
            Task.planned_start.is_not(None),
        )
    ).all()
    for crew_id, start, end, code, other in rows:
        for day in calendar.working_days(start, end):
            busy.setdefault(crew_id, {})[day] = f"step {code} of project {other}"
    return busy


def _scheduler_task(task: Task) -> domain.Task:
    return domain.Task(
        id=task.id,
        code=task.code,
        duration_days=task.duration_days,
        depends_on=tuple((d["step_code"], d["lag_days"]) for d in task.depends_on),
        skill=task.skill,
        status=task.status,
        started_on=task.started_at.date() if task.started_at else None,
        completed_on=task.completed_at.date() if task.completed_at else None,
        pinned_start=task.pinned_start,
        crew_id=task.crew_id if (task.pinned_crew or task.status != "pending") else None,
        not_before=(task.blocked_until + timedelta(days=1)) if task.blocked_until else None,
    )


def replan(
    uow: UnitOfWork, project: Project, tasks: list[Task], *, strict: bool | frozenset[Any] = True
) -> dict[str, Any]:
    """Plan the project's steps from its start date; write the slots; report what moved."""
    calendar = domain.WorkCalendar()
    crews = [_domain_crew(c) for c in _lock_crews(uow)]
    before = {t.id: domain.Slot(t.planned_start, t.planned_end, t.crew_id) if t.planned_start else None for t in tasks}
    old_filling = _filling_date(tasks)
    plan = domain.plan(
        [_scheduler_task(t) for t in tasks],
        project.start_on,
        crews,
        _busy_elsewhere(uow, project.id, calendar),
        calendar,
        today=_today(),
        strict=strict,
    )
    for task in tasks:
        slot = plan.slots[task.id]
        task.planned_start, task.planned_end, task.crew_id = slot.start, slot.end, slot.crew_id
    uow.session.flush()
    planned = [_scheduler_task(t) for t in tasks]
    moves, filling = domain.replan_report(planned, before, plan)
    return {
        "moved": [m.__dict__ for m in moves],
        "crew_changes": [c.__dict__ for c in domain.crew_changes(planned, before, plan)],
        "old_filling_date": old_filling,
        "filling_date": filling,
        "project": project_view(uow, project, tasks),
    }


def plan_project(uow: UnitOfWork, project_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    project = _project(uow, project_id, for_update=True)
    if project.status == "completed":
        raise Conflict("this project is completed")
    project.start_on = data["start_on"]
    tasks = _tasks(uow, project_id)
    for task in tasks:  # planned afresh from the new start: the earlier choices go
        if task.status == "pending":
            task.pinned_start, task.pinned_crew = None, False
    return replan(uow, project, tasks)


def _task(tasks: list[Task], task_id: uuid.UUID) -> Task:
    task = next((t for t in tasks if t.id == task_id), None)
    if task is None:
        raise NotFound(f"step {task_id} not found in this project")
    return task


def _planned(project: Project) -> None:
    if project.start_on is None:
        raise Conflict("plan the project first (its start date)")


def move_task(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Move a step to a date (and a crew): refused when it would start before its
    predecessors allow or its crew works elsewhere then; the steps after it follow."""
    project = _project(uow, project_id, for_update=True)
    tasks = _tasks(uow, project_id)
    task = _task(tasks, task_id)
    _planned(project)
    if task.status != "pending":
        raise Conflict(f"step {task.code} has started: it cannot be moved")
    if data["crew_id"] is not None and task.skill is None:
        raise ValidationFailed.field("crew_id", f"step {task.code} needs no crew")
    if data["crew_id"] is not None and uow.session.scalar(select(Crew.id).where(Crew.id == data["crew_id"])) is None:
        raise ValidationFailed.field("crew_id", "unknown crew")  # before the row points at it
    task.pinned_start = data["start_on"]
    task.pinned_crew = data["crew_id"] is not None
    if task.pinned_crew:  # else its crew stays as planned until the re-plan chooses (the report compares)
        task.crew_id = data["crew_id"]
    if data["start_on"] < project.start_on:
        project.start_on = data["start_on"]
    return replan(uow, project, tasks, strict=frozenset({task.id}))  # the others' earlier moves are wishes


def preview_move(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """What moving a step would do, saved nowhere (the planner shows it before the move is
    confirmed): the steps that move, the new filling date, the crews that change, or why it
    cannot go there (its predecessors, its crew elsewhere or away, no crew free). A wrong
    request (an unknown crew, a step already started) is refused as the move itself is."""
    savepoint = uow.session.begin_nested()
    refusal = None
    try:
        answer = {**move_task(uow, project_id, task_id, data), "possible": True, "refusals": []}
    except (ValidationFailed, Conflict) as error:
        refusal = domain.refusal_of(error)
        if refusal is None:
            raise
    finally:
        savepoint.rollback()
    if refusal is None:
        return answer
    project = _project(uow, project_id)
    tasks = _tasks(uow, project_id)
    filling = _filling_date(tasks)
    return {
        "possible": False,
        "refusals": [refusal.__dict__],
        "moved": [],
        "crew_changes": [],
        "old_filling_date": filling,
        "filling_date": filling,
        "project": project_view(uow, project, tasks),
    }


def block_task(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    project = _project(uow, project_id, for_update=True)
    tasks = _tasks(uow, project_id)
    task = _task(tasks, task_id)
    if task.status == "done":
        raise Conflict(f"step {task.code} is done: it cannot be blocked")
    task.blocked_reason, task.blocked_until = data["reason"], data["until"]
    if task.pinned_start and data["until"] and task.pinned_start <= data["until"]:
        task.pinned_start = None  # the block moves it: the planner's date no longer holds
    uow.emit(
        events.PROJECT_BLOCKED,
        {"project_id": project.id, "task_id": task.id, "reason": data["reason"], "until": data["until"]},
    )
    return _replan_if_planned(uow, project, tasks)


def _replan_if_planned(uow: UnitOfWork, project: Project, tasks: list[Task]) -> dict[str, Any]:
    """Re-plan after what happened on site; a plan that cannot be made any more (no crew left
    with a skill) never stops the site: the steps keep their dates, the planner is told."""
    if project.start_on is not None:
        try:
            with uow.session.begin_nested():
                return replan(uow, project, tasks, strict=False)
        except (ValidationFailed, Conflict) as reason:
            log.warning("project %s not re-planned: %s", project.id, reason)
    uow.session.flush()
    return {"moved": [], "old_filling_date": None, "filling_date": None, "project": project_view(uow, project, tasks)}


def unblock_task(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID) -> dict[str, Any]:
    project = _project(uow, project_id, for_update=True)
    tasks = _tasks(uow, project_id)
    task = _task(tasks, task_id)
    if task.blocked_reason is None:
        raise Conflict(f"step {task.code} is not blocked")
    task.blocked_reason, task.blocked_until = None, None
    return _replan_if_planned(uow, project, tasks)


# --- execution --------------------------------------------------------------------------


def _task_event(project: Project, task: Task, at: datetime) -> dict[str, Any]:
    return {
        "project_id": project.id,
        "task_id": task.id,
        "step_code": task.code,
        "order_id": project.order_id,
        "customer_id": project.customer_id,
        "at": at,
    }


def _catalogue_lines(task: Task) -> list[dict[str, Any]]:
    return [{"article_id": m["article_id"], "quantity": m["quantity"]} for m in task.materials if m.get("article_id")]


def start_task(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID) -> dict[str, Any]:
    """Start a step: its predecessors must be done and it must not be blocked. Reserves
    its catalogue materials at the project's stock location and, when the template says so,
    raises the order of another step's materials now (the liner when the structure starts)."""
    project = _project(uow, project_id, for_update=True)
    tasks = _tasks(uow, project_id)
    task = _task(tasks, task_id)
    if task.status != "pending":
        raise Conflict(f"step {task.code} is already {task.status.replace('_', ' ')}")
    if task.blocked_reason and (task.blocked_until is None or task.blocked_until >= _today()):
        until = f" until {task.blocked_until}" if task.blocked_until else ""
        raise Conflict(f"step {task.code} is blocked{until}: {task.blocked_reason}")
    by_code = {t.code: t for t in tasks}
    if waiting := [d["step_code"] for d in task.depends_on if by_code[d["step_code"]].status != "done"]:
        raise Conflict(f"step {task.code} waits for {', '.join(waiting)} to be done")
    now = datetime.now(UTC)
    task.status, task.started_at = "in_progress", now
    task.blocked_reason = task.blocked_until = None
    project.status = "in_progress"
    uow.emit(events.TASK_STARTED, _task_event(project, task, now))
    if project.location_id and (lines := _catalogue_lines(task)):
        uow.emit(
            events.MATERIALS_RESERVED,
            {"project_id": project.id, "task_id": task.id, "location_id": project.location_id, "lines": lines},
        )
    if task.order_trigger:
        target = by_code[task.order_trigger["for_step"]]
        needed_on = target.planned_start or now.date()
        order_by = max(now.date(), needed_on - timedelta(days=task.order_trigger["lead_days"]))
        uow.emit(
            events.MATERIALS_ORDER_DUE,
            {
                "project_id": project.id,
                "task_id": task.id,
                "for_task_id": target.id,
                "for_step_code": target.code,
                "lines": target.materials,
                "order_by": order_by,
            },
        )
    return _after_progress(uow, project, tasks, task)


def _after_progress(uow: UnitOfWork, project: Project, tasks: list[Task], task: Task) -> dict[str, Any]:
    """The plan follows the site's reality (a step started or ended early or late)."""
    _replan_if_planned(uow, project, tasks)
    return {**_task_view(task), "milestone_percent": _percent(project, task.code)}


def complete_task(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID) -> dict[str, Any]:
    """Complete a started step: its materials are consumed from stock, and when it is a
    payment milestone ``task_completed`` carries its percent (pos calls the payment)."""
    project = _project(uow, project_id, for_update=True)
    tasks = _tasks(uow, project_id)
    task = _task(tasks, task_id)
    if task.code == domain.FILLING_STEP:
        raise Conflict("the filling step is completed by the handover report")
    _complete(uow, project, task)
    return _after_progress(uow, project, tasks, task)


def _complete(uow: UnitOfWork, project: Project, task: Task) -> None:
    if task.status != "in_progress":
        raise Conflict(f"step {task.code} is {task.status.replace('_', ' ')}: only a started step can be completed")
    now = datetime.now(UTC)
    task.status, task.completed_at = "done", now
    uow.emit(
        events.TASK_COMPLETED,
        {
            **_task_event(project, task, now),
            "milestone_percent": _percent(project, task.code),
            "project_total_excl_vat": project.total_excl_vat,
            "project_total_incl_vat": project.total_incl_vat,
        },
    )
    if project.location_id and (lines := _catalogue_lines(task)):
        uow.emit(
            events.MATERIALS_CONSUMED,
            {"project_id": project.id, "task_id": task.id, "location_id": project.location_id, "lines": lines},
        )


def hand_over(uow: UnitOfWork, project_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """The handover report (PV de réception): every other step done and the filling step
    started, it completes the filling step, records the reserves and the equipment, starts
    the legal guarantees, and sends the pool and its equipment to the customer file."""
    project = _project(uow, project_id, for_update=True)
    tasks = _tasks(uow, project_id)
    if project.status == "completed":
        raise Conflict("this project was already handed over")
    if unfinished := [t.code for t in tasks if t.code != domain.FILLING_STEP and t.status != "done"]:
        raise Conflict(f"steps not done yet: {', '.join(unfinished)}")
    filling = next((t for t in tasks if t.code == domain.FILLING_STEP), None)
    if filling is None or filling.status != "in_progress":
        raise Conflict("start the filling step before the handover")
    if data["handover_on"] > _today():
        raise ValidationFailed.field("handover_on", "the handover report cannot be dated in the future")
    if data["handover_on"] < filling.started_at.date():
        raise ValidationFailed.field("handover_on", "before the filling step started")
    _complete(uow, project, filling)
    project.status, project.handover_on = "completed", data["handover_on"]
    project.reserves, project.equipment = data["reserves"], data["equipment"]
    uow.session.flush()
    uow.emit(
        events.PROJECT_COMPLETED,
        {
            "project_id": project.id,
            "order_id": project.order_id,
            "customer_id": project.customer_id,
            "site_id": project.site_id,
            "handover_on": project.handover_on,
            "reserves": project.reserves,
            "pool": {"options": [], "volume_m3": None, "coating": None, "filtration": None, "treatment": None}
            | project.pool,
            "equipment": project.equipment,
            "guarantees": domain.guarantee_dates(project.handover_on),
        },
    )
    return project_view(uow, project, tasks)


def handover_report(uow: UnitOfWork, project_id: uuid.UUID, company_name: str) -> dict[str, Any]:
    """The handover report (PV de réception) of a handed-over project, as a PDF to print
    and sign: the pool, the steps, the equipment, the reserves, the guarantees' dates."""
    from bassin_common.documents import Company, render_pdf  # WeasyPrint: only where printed

    project = _project(uow, project_id)
    if project.handover_on is None:
        raise Conflict("this project has not been handed over yet")
    tasks = _tasks(uow, project_id)
    pdf = render_pdf(
        "worksites",
        "handover_report.html",
        company=Company(company_name),
        project=project,
        pool={"shape": None, "volume_m3": None, "coating": None, "filtration": None, "treatment": None} | project.pool,
        customer=_customers(uow, {project.customer_id}).get(project.customer_id),
        tasks=tasks,
        equipment=project.equipment or [],
        reserves=project.reserves or [],
        guarantees=domain.guarantee_dates(project.handover_on),
    )
    return {
        "filename": f"pv-reception-{project.handover_on.isoformat()}-{str(project.id)[:8]}.pdf",
        "content_type": "application/pdf",
        "data": base64.b64encode(pdf).decode(),
    }


# --- notes ------------------------------------------------------------------------------


def add_note(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, data: dict[str, Any]) -> TaskNote:
    _project(uow, project_id)
    task = _task(_tasks(uow, project_id), task_id)
    note = TaskNote(task_id=task.id, author=uow.context.user_id, text=data["text"])
    uow.session.add(note)
    uow.session.flush()
    return note


def list_notes(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, page: dict[str, Any]) -> Page[TaskNote]:
    _project(uow, project_id)
    _task(_tasks(uow, project_id), task_id)
    statement = select(TaskNote).where(TaskNote.task_id == task_id)
    return read_page(uow.session, statement, (TaskNote.created_at, TaskNote.id), page)


# --- photos ---------------------------------------------------------------------------


def add_photo(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, data: dict[str, Any]) -> TaskPhoto:
    _project(uow, project_id)
    task = _task(_tasks(uow, project_id), task_id)
    try:
        image = base64.b64decode(data["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.field("data", "not base64") from None
    if problem := domain.photo_problem(data["content_type"], image):
        raise ValidationFailed.field("data", problem)
    photo = TaskPhoto(
        task_id=task.id,
        content_type=data["content_type"],
        data=image,
        size=len(image),
        caption=data["caption"],
        author=uow.context.user_id,
    )
    uow.session.add(photo)
    uow.session.flush()
    return photo


def list_photos(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, page: dict[str, Any]) -> Page[Any]:
    """A step's photos, oldest first, without their bytes."""
    _project(uow, project_id)
    _task(_tasks(uow, project_id), task_id)
    columns = [c for c in TaskPhoto.__table__.columns if c.key != "data"]
    statement = select(*columns).where(TaskPhoto.task_id == task_id)
    found = read_page(uow.session, statement, (TaskPhoto.created_at, TaskPhoto.id), page)
    return Page([dict(zip([c.key for c in columns], row, strict=True)) for row in found.items], found.next)


def get_photo(uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, photo_id: uuid.UUID) -> dict[str, Any]:
    _project(uow, project_id)
    _task(_tasks(uow, project_id), task_id)
    photo = uow.session.scalar(select(TaskPhoto).where(TaskPhoto.id == photo_id, TaskPhoto.task_id == task_id))
    if photo is None:
        raise NotFound(f"photo {photo_id} not found")
    return {
        **{c.key: getattr(photo, c.key) for c in TaskPhoto.__table__.columns},
        "data": base64.b64encode(photo.data).decode(),
    }


# --- the portal -------------------------------------------------------------------------


def _own_project(uow: UnitOfWork, project_id: uuid.UUID) -> Project:
    project = _project(uow, project_id)
    if uow.context.customer_id is None or project.customer_id != uow.context.customer_id:
        raise NotFound(f"project {project_id} not found")
    return project


def _portal_view(uow: UnitOfWork, project: Project) -> dict[str, Any]:
    tasks = _tasks(uow, project.id)
    done = sum(t.status == "done" for t in tasks)
    return {
        **_columns(project),
        "filling_date": _filling_date(tasks),
        "progress_percent": round(100 * done / len(tasks)) if tasks else 0,
        "tasks": [_task_view(t) for t in tasks],
    }


def portal_list_projects(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    if uow.context.customer_id is None:
        return Page([], None)
    statement = select(Project).where(Project.customer_id == uow.context.customer_id)
    found = read_page(uow.session, statement, (Project.created_at, Project.id), page, descending=True)
    return Page([_portal_view(uow, p) for p in found.items], found.next)


def portal_get_project(uow: UnitOfWork, project_id: uuid.UUID) -> dict[str, Any]:
    return _portal_view(uow, _own_project(uow, project_id))


# --- the season auto-plan ---------------------------------------------------------------


def season_plan_view(proposal: SeasonProposal) -> dict[str, Any]:
    """A proposal as the API shows it: the dates its JSON documents hold as text, as dates."""

    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    return {
        **{c.key: getattr(proposal, c.key) for c in SeasonProposal.__table__.columns},
        "projects": [
            {
                **line,
                "promised_filling_date": day(line["promised_filling_date"]),
                "filling_date": day(line["filling_date"]),
            }
            for line in proposal.projects
        ],
        "assignments": [{**a, "start": day(a["start"]), "end": day(a["end"])} for a in proposal.assignments],
    }


def propose_season_plan(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """A plan of every open project's remaining steps, kept as a proposal: nothing moves
    until the planner accepts it. The solver runs in a thread of its own (``tpool``), so
    the service keeps answering while it searches."""
    projects = list(uow.session.scalars(select(Project).where(Project.status != "completed").order_by(Project.id)))
    if not projects:
        raise ValidationFailed.field("start_on", "no open project to plan")
    tasks_by_project: dict[uuid.UUID, list[Task]] = {p.id: [] for p in projects}
    for task in uow.session.scalars(
        select(Task).where(Task.project_id.in_(tasks_by_project)).order_by(Task.project_id, Task.position)
    ):
        tasks_by_project[task.project_id].append(task)
    crews = [_domain_crew(c) for c in _lock_crews(uow)]
    season_projects = [
        season.SeasonProject(p.id, tuple(_scheduler_task(t) for t in tasks_by_project[p.id]), p.promised_filling_date)
        for p in projects
    ]
    needed = {t.skill for p in season_projects for t in p.tasks if t.skill and t.status == "pending"}
    if missing := sorted(needed - {skill for crew in crews for skill in crew.skills}):
        raise ValidationFailed.field("start_on", f"no crew has the skill(s) {', '.join(missing)}")
    # Answer before the caller stops waiting (its deadline), whatever time it allowed.
    limit = data["time_limit_seconds"]
    if uow.context.deadline is not None:
        limit = max(1.0, min(limit, uow.context.deadline - time.time() - SOLVER_MARGIN))
    result = tpool.execute(season.propose, season_projects, crews, data["start_on"], domain.WORKING_DAYS, limit)
    assignments = [
        {
            "task_id": task.id,
            "project_id": task.project_id,
            "step_code": task.code,
            "start": result.slots[task.id].start,
            "end": result.slots[task.id].end,
            "crew_id": result.slots[task.id].crew_id,
            "status": task.status,
        }
        for tasks in tasks_by_project.values()
        for task in tasks
    ]
    summary = [
        {
            "project_id": p.id,
            "promised_filling_date": p.promised_filling_date,
            "filling_date": result.fillings[p.id],
            "lateness_days": result.lateness[p.id],
        }
        for p in projects
    ]
    proposal = SeasonProposal(
        status="proposed",
        season_start=data["start_on"],
        assignments=_plain(assignments),
        projects=_plain(summary),
        total_lateness_days=result.total_lateness,
        solver=f"{result.solver} ({result.wall_seconds:.1f} s)",
    )
    uow.session.add(proposal)
    uow.session.flush()
    return season_plan_view(proposal)


def _proposal(uow: UnitOfWork, proposal_id: uuid.UUID, *, for_update: bool = False) -> SeasonProposal:
    statement = select(SeasonProposal).where(SeasonProposal.id == proposal_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    proposal = uow.session.scalar(statement)
    if proposal is None:
        raise NotFound(f"season plan {proposal_id} not found")
    return proposal


def get_season_plan(uow: UnitOfWork, proposal_id: uuid.UUID) -> dict[str, Any]:
    return season_plan_view(_proposal(uow, proposal_id))


def accept_season_plan(uow: UnitOfWork, proposal_id: uuid.UUID) -> dict[str, Any]:
    """Apply a proposal: each pending step gets its date and crew (kept by later re-plans as
    the planner's choice). Refused when a step has started, or a project was added or
    handed over, since it was made: the season changed, propose again."""
    proposal = _proposal(uow, proposal_id, for_update=True)
    if proposal.status != "proposed":
        raise Conflict(f"this season plan is {proposal.status}")
    _lock_crews(uow)
    open_projects = {p.id: p for p in uow.session.scalars(select(Project).where(Project.status != "completed"))}
    planned = {uuid.UUID(a["task_id"]): a for a in proposal.assignments}
    tasks = list(uow.session.scalars(select(Task).where(Task.project_id.in_(open_projects))))
    if {t.id for t in tasks} != set(planned):
        raise Conflict("projects were added or completed since this plan was made: propose again")
    if changed := [t.code for t in tasks if t.status != planned[t.id]["status"]]:
        raise Conflict(f"steps started or completed since this plan was made ({', '.join(changed)}): propose again")
    for task in tasks:
        if task.status != "pending":
            continue
        assignment = planned[task.id]
        start, end = date.fromisoformat(assignment["start"]), date.fromisoformat(assignment["end"])
        crew_id = uuid.UUID(assignment["crew_id"]) if assignment["crew_id"] else None
        task.planned_start, task.planned_end, task.crew_id = start, end, crew_id
        task.pinned_start, task.pinned_crew = start, crew_id is not None
    for project in open_projects.values():
        starts = [t.planned_start for t in tasks if t.project_id == project.id and t.planned_start]
        if starts:
            project.start_on = min(starts) if project.start_on is None else min(project.start_on, min(starts))
    for other in uow.session.scalars(
        select(SeasonProposal).where(SeasonProposal.status == "proposed", SeasonProposal.id != proposal.id)
    ):
        other.status = "superseded"
    proposal.status = "accepted"
    uow.session.flush()
    return season_plan_view(proposal)
