"""Worksites use cases through units of work on the test database, without nameko nor
RabbitMQ: projects from orders (once per order), the defaults installed once, the
payment schedule's rules, the planner's refusals, tenant isolation."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bassin_common.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from conftest import construction_order
from worksites import events, schemas, usecases
from worksites.models import PoolType, Project, Task

EVERY_SKILL = ["earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing"]


def order(tenant_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    data = construction_order(tenant_id).data
    return events.OrderConfirmedView().load({**data, **changes})


def test_an_order_makes_one_project_however_often_it_comes(uow, tenant_id) -> None:
    confirmed = order(tenant_id)
    with uow() as work:
        project = usecases.create_project_from_order(work, confirmed)
        assert [e.event_type for e in work.emitted] == ["project_created"]
    with uow() as work:
        assert usecases.create_project_from_order(work, confirmed) is None
        assert work.emitted == []
        assert work.session.scalar(select(func.count()).select_from(Project)) == 1
        assert work.session.scalar(select(func.count()).where(Task.project_id == project.id)) == 13
        # the defaults were installed once, by the first order
        assert work.session.scalar(select(func.count()).select_from(PoolType)) == 30


def test_only_construction_orders_make_projects_and_an_unknown_pool_type_is_refused(uow, tenant_id) -> None:
    with uow() as work:
        assert usecases.create_project_from_order(work, order(tenant_id, kind="products")) is None
    unknown = order(tenant_id)
    unknown["pool"]["pool_type_code"] = "INCONNU"
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_project_from_order(work, unknown)
    assert "pool.pool_type_code" in refused.value.errors


def test_an_orders_schedule_naming_unknown_steps_falls_back_on_the_templates(uow, tenant_id) -> None:
    odd = order(tenant_id, payment_schedule=[{"step_code": "remise des clés", "percent": "100"}])
    with uow() as work:
        project = usecases.create_project_from_order(work, odd)
        schedule = {e["step_code"]: Decimal(e["percent"]) for e in project.payment_schedule}
    assert schedule == {"order": 30, "structure": 40, "waterproofing": 25, "filling": 5}


def test_a_called_milestone_cannot_be_changed(uow, tenant_id) -> None:
    with uow() as work:
        project = usecases.create_project_from_order(work, order(tenant_id))
        tasks = {t.code: t for t in work.session.scalars(select(Task).where(Task.project_id == project.id))}
        for code in ("permit", "layout", "earthworks", "drainage", "slab", "structure"):
            tasks[code].status = "done"
    changed = schemas.ProjectUpdate().load(
        {
            "payment_schedule": [
                {"step_code": "order", "percent": "20"},
                {"step_code": "structure", "percent": "50"},
                {"step_code": "filling", "percent": "30"},
            ]
        }
    )
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.update_project(work, project.id, ["1"], changed)
    assert "payment_schedule[1].percent" in refused.value.errors
    with pytest.raises(PreconditionFailed), uow() as work:
        usecases.update_project(work, project.id, ["7"], {"promised_filling_date": date(2026, 7, 1)})


def test_planning_needs_crews_with_the_skills_and_refuses_a_step_on_a_busy_crew(uow, tenant_id) -> None:
    with uow() as work:
        project = usecases.create_project_from_order(work, order(tenant_id))
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.plan_project(work, project.id, {"start_on": date(2026, 3, 2)})
    assert "skill" in refused.value.errors
    with uow() as work:
        crew = usecases.create_crew(work, schemas.CrewInput().load({"name": "A", "skills": EVERY_SKILL}))
        plan = usecases.plan_project(work, project.id, {"start_on": date(2026, 3, 2)})
    assert plan["filling_date"] == date(2026, 5, 11)
    with uow() as work:
        other = usecases.create_project_from_order(work, order(tenant_id))
        usecases.plan_project(work, other.id, {"start_on": date(2026, 3, 2)})
        layout = work.session.scalar(select(Task).where(Task.project_id == other.id, Task.code == "layout"))
    with pytest.raises(Conflict) as busy, uow() as work:
        usecases.move_task(work, other.id, layout.id, {"start_on": date(2026, 4, 14), "crew_id": crew["id"]})
    assert "2026-04-14" in str(busy.value)


def test_a_moves_preview_shows_its_consequences_and_saves_nothing(uow, tenant_id) -> None:
    with uow() as work:
        crew = usecases.create_crew(work, schemas.CrewInput().load({"name": "A", "skills": EVERY_SKILL}))
        project = usecases.create_project_from_order(work, order(tenant_id))
        usecases.plan_project(work, project.id, {"start_on": date(2026, 3, 2)})
        structure = work.session.scalar(select(Task).where(Task.project_id == project.id, Task.code == "structure"))
        planned = structure.planned_start
    later = {"start_on": date(2026, 4, 21), "crew_id": None}
    with uow() as work:
        preview = usecases.preview_move(work, project.id, structure.id, later)
    assert preview["possible"] and preview["refusals"] == []
    assert (preview["old_filling_date"], preview["filling_date"]) == (date(2026, 5, 11), date(2026, 5, 19))  # Ascension
    assert {m["code"] for m in preview["moved"]} >= {"structure", "hydraulics", "filling"}
    assert preview["crew_changes"] == []  # one crew: it keeps every step
    with uow() as work:  # nothing saved
        again = work.session.get(Task, structure.id)
        assert (again.planned_start, again.pinned_start) == (planned, None)
        assert usecases.get_project(work, project.id)["filling_date"] == date(2026, 5, 11)

    # Too early, and a crew elsewhere: said in data, nothing raised, nothing saved.
    with uow() as work:
        early = usecases.preview_move(work, project.id, structure.id, {"start_on": date(2026, 4, 1), "crew_id": None})
    assert not early["possible"] and early["moved"] == []
    assert early["refusals"][0] | {"detail": ""} == {
        "kind": "too_early",
        "step_code": "structure",
        "day": date(2026, 4, 1),
        "earliest": date(2026, 4, 14),
        "crew_name": None,
        "detail": "",
    }
    with uow() as work:
        other = usecases.create_project_from_order(work, order(tenant_id))
        usecases.plan_project(work, other.id, {"start_on": date(2026, 3, 2)})
        layout = work.session.scalar(select(Task).where(Task.project_id == other.id, Task.code == "layout"))
    with uow() as work:
        busy = usecases.preview_move(work, other.id, layout.id, {"start_on": date(2026, 4, 14), "crew_id": crew["id"]})
    assert not busy["possible"]
    assert (busy["refusals"][0]["kind"], busy["refusals"][0]["crew_name"]) == ("crew_busy", "A")
    assert busy["refusals"][0]["day"] == date(2026, 4, 14)
    # A wrong request is refused as the move itself would be: nothing to preview.
    with pytest.raises(ValidationFailed) as unknown, uow() as work:
        usecases.preview_move(work, other.id, layout.id, {"start_on": date(2026, 4, 14), "crew_id": uuid.uuid4()})
    assert "crew_id" in unknown.value.errors


def test_another_companys_project_is_not_found(uow, tenant_id) -> None:
    with uow() as work:
        project = usecases.create_project_from_order(work, order(tenant_id))
    with pytest.raises(NotFound), uow(tenant_id=uuid.uuid4()) as work:
        usecases.get_project(work, project.id)


def test_a_plan_that_cannot_be_made_any_more_never_stops_the_site(uow, tenant_id) -> None:
    with uow() as work:
        project = usecases.create_project_from_order(work, order(tenant_id))
        crew = usecases.create_crew(work, schemas.CrewInput().load({"name": "A", "skills": EVERY_SKILL}))
        usecases.plan_project(work, project.id, {"start_on": date(2026, 3, 2)})
    with uow() as work:  # the only crew stops doing masonry: the plan cannot be made again
        usecases.update_crew(work, crew["id"], ["1"], schemas.CrewInput().load({"name": "A", "skills": ["earthworks"]}))
        permit = work.session.scalar(select(Task).where(Task.project_id == project.id, Task.code == "permit"))
    with uow() as work:
        started = usecases.start_task(work, project.id, permit.id)
        assert [e.event_type for e in work.emitted] == ["task_started"]
    assert started["status"] == "in_progress"


def test_an_orders_handover_milestone_is_the_filling_steps(uow, tenant_id) -> None:
    schedule = [
        {"step_code": "order", "percent": "30"},
        {"step_code": "structure", "percent": "40"},
        {"step_code": "waterproofing", "percent": "20"},
        {"step_code": "handover", "percent": "10"},
    ]
    with uow() as work:
        project = usecases.create_project_from_order(work, order(tenant_id, payment_schedule=schedule))
        kept = {e["step_code"]: Decimal(e["percent"]) for e in project.payment_schedule}
    assert kept == {"order": 30, "structure": 40, "waterproofing": 20, "filling": 10}
