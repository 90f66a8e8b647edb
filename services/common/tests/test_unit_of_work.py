"""The unit of work commits what a use case did, with its events, or nothing at all."""

from __future__ import annotations

import uuid

import pytest
from common_test_models import WIDGET_MADE, Widget
from sqlalchemy import func, select, text

from bassin_common import french, inbox
from bassin_common.events import Event, InvalidEvent
from bassin_common.tenancy import TENANT_KEY, RequestContext
from bassin_common.testing import orm_executions, recorded_statements
from bassin_common.uow import UnitOfWork


def make_widget(uow: UnitOfWork, name: str) -> Widget:
    widget = Widget(name=name)
    uow.session.add(widget)
    uow.session.flush()
    uow.emit(WIDGET_MADE, {"widget_id": widget.id, "name": name})
    return widget


def outbox_rows(owner_sessions, tenant: uuid.UUID) -> list[dict]:
    with owner_sessions() as session:
        return list(
            session.scalars(text("SELECT payload FROM outbox WHERE payload->>'tenant_id' = :t"), {"t": str(tenant)})
        )


def widget_count(sessions, tenant: uuid.UUID) -> int:
    with sessions(info={TENANT_KEY: tenant}) as session:
        return session.scalar(select(func.count()).select_from(Widget))


def test_the_change_and_its_event_commit_together_when_the_use_case_returns(sessions, owner_sessions) -> None:
    context = RequestContext(uuid.uuid4(), "u-1", frozenset({"manager"}), "corr-1")
    with UnitOfWork(sessions, context, "tests") as uow:
        widget = make_widget(uow, "W-1")
    [event] = uow.emitted
    assert (event.event_type, event.version, event.producer) == ("widget_made", 1, "tests")
    assert event.data == {"widget_id": str(widget.id), "name": "W-1"}  # the wire form
    [payload] = outbox_rows(owner_sessions, context.tenant_id)
    assert payload["event_id"] == str(event.event_id) and payload["correlation_id"] == "corr-1"
    assert widget_count(sessions, context.tenant_id) == 1


def test_a_failing_use_case_leaves_neither_change_nor_event(sessions, owner_sessions) -> None:
    context = RequestContext(uuid.uuid4())
    with pytest.raises(RuntimeError), UnitOfWork(sessions, context, "tests") as uow:
        make_widget(uow, "W-1")
        raise RuntimeError("the use case failed after writing")
    assert widget_count(sessions, context.tenant_id) == 0
    assert outbox_rows(owner_sessions, context.tenant_id) == []


def test_an_event_its_schema_refuses_is_a_programming_error(sessions) -> None:
    with (
        pytest.raises(InvalidEvent, match="widget_made"),
        UnitOfWork(sessions, RequestContext(uuid.uuid4()), "t") as uow,
    ):
        uow.emit(WIDGET_MADE, {"name": "no id"})


def test_a_batch_of_events_applies_each_once_in_its_own_context(sessions, owner_sessions) -> None:
    tenant = uuid.uuid4()
    first, second, third = (
        Event("widget_ordered", tenant, "elsewhere", {"name": f"W-{n}"}, correlation_id=f"corr-{n}") for n in range(3)
    )
    with UnitOfWork(sessions, first.context, "tests") as uow:  # the first arrived before
        inbox.apply_once(uow, "tests.on_widget_ordered", first, lambda u, d: make_widget(u, d["name"]))
    batch = [first, second, second, third]  # a redelivery, and a duplicate in the batch
    with UnitOfWork(sessions, first.context, "tests") as uow:
        applied = inbox.apply_each_once(uow, "tests.on_widget_ordered", batch, lambda u, d: make_widget(u, d["name"]))
    assert applied == 2
    assert widget_count(sessions, tenant) == 3
    # What each event's use case emitted carries that event's correlation id.
    correlations = {row["data"]["name"]: row["correlation_id"] for row in outbox_rows(owner_sessions, tenant)}
    assert correlations == {"W-0": "corr-0", "W-1": "corr-1", "W-2": "corr-2"}
    with owner_sessions() as session:
        headers = session.scalars(
            text("SELECT headers->>'nameko.correlation_id' FROM outbox WHERE payload->>'tenant_id' = :t ORDER BY id"),
            {"t": str(tenant)},
        ).all()
    assert headers == ["corr-0", "corr-1", "corr-2"]


def test_a_unit_of_work_acts_for_one_tenant(sessions) -> None:
    uow = UnitOfWork(sessions, RequestContext(uuid.uuid4()), "tests")
    with pytest.raises(ValueError, match="one tenant"), uow, uow.acting_for(RequestContext(uuid.uuid4())):
        pass


def test_today_is_the_day_in_france_on_the_databases_clock(sessions) -> None:
    with UnitOfWork(sessions, RequestContext(uuid.uuid4()), "tests") as uow:
        now = uow.session.scalar(select(func.now()))
        assert uow.today() == french.business_day(now)


def test_an_event_is_applied_once_however_often_it_arrives(sessions) -> None:
    tenant = uuid.uuid4()
    event = Event("widget_ordered", tenant, "elsewhere", {"name": "W-9"})
    applied = []
    for _ in range(3):
        with UnitOfWork(sessions, event.context, "tests") as uow:
            applied.append(
                inbox.apply_once(uow, "tests.on_widget_ordered", event, lambda u, d: make_widget(u, d["name"]))
            )
    assert applied == [True, False, False]
    assert widget_count(sessions, tenant) == 1
    # Another consumer of the same event applies it too: the claim is per consumer.
    with UnitOfWork(sessions, event.context, "tests") as uow:
        assert inbox.claim(uow.session, "tests.on_widget_ordered_elsewhere", event)


def test_a_failed_application_does_not_claim_the_event(sessions) -> None:
    event = Event("widget_ordered", uuid.uuid4(), "elsewhere", {"name": "W-9"})

    def failing(uow: UnitOfWork, data: dict) -> None:
        make_widget(uow, data["name"])
        raise RuntimeError("broken rule")

    with pytest.raises(RuntimeError), UnitOfWork(sessions, event.context, "tests") as uow:
        inbox.apply_once(uow, "tests.on_widget_ordered", event, failing)
    with UnitOfWork(sessions, event.context, "tests") as uow:  # the retry applies it
        assert inbox.apply_once(uow, "tests.on_widget_ordered", event, lambda u, d: make_widget(u, d["name"]))
    assert widget_count(sessions, event.tenant_id) == 1


def test_a_consumers_claim_and_its_outbox_write_skip_the_orms_execution(sessions, owner_sessions) -> None:
    """Both are statements of fixed text: on the session's connection, they do without the
    ORM's execution path (its events, the tenant guard's), client CPU in every event
    applied (ADR 0008)."""
    incoming = Event("widget_ordered", uuid.uuid4(), "elsewhere", {"name": "W-1"})

    def announce(uow: UnitOfWork, data: dict) -> None:
        uow.emit(WIDGET_MADE, {"widget_id": uuid.uuid4(), "name": data["name"]})

    with (
        orm_executions(sessions) as through_the_orm,
        UnitOfWork(sessions, incoming.context, "tests", claims_first=True) as uow,
    ):
        assert inbox.apply_once(uow, "tests.on_widget_ordered", incoming, announce)
    assert through_the_orm == []
    [payload] = outbox_rows(owner_sessions, incoming.tenant_id)
    assert payload["data"]["name"] == "W-1"


def test_a_consumers_claim_tells_the_tenant_itself_one_statement_less_and_still_isolated(sessions) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    with UnitOfWork(sessions, RequestContext(theirs), "tests") as uow:
        make_widget(uow, "W-theirs")
    with recorded_statements(sessions.kw["bind"]) as statements:
        counts = []
        for claims_first in (False, True):
            statements.clear()
            event = Event("widget_ordered", mine, "elsewhere", {"name": f"W-{claims_first}"})
            with UnitOfWork(sessions, event.context, "tests", claims_first=claims_first) as uow:
                assert inbox.apply_once(uow, "tests.on_widget_ordered", event, lambda u, d: make_widget(u, d["name"]))
                # Row-level security knows the tenant: its own rows only (the ORM's filter aside).
                names = uow.session.scalars(text("SELECT name FROM widgets ORDER BY name")).all()
            counts.append(len(statements))
            told, claimed = (0, 0) if claims_first else (0, 1)
            assert "set_config" in statements[told] and "processed_events" in statements[claimed]
        assert names == ["W-False", "W-True"]
    assert counts[1] == counts[0] - 1
