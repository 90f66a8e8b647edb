"""What notifications publishes (ADR 0032): each action opened, closed or changed is written
to the outbox with the change, once — an event redelivered, a nightly scan run again or an
RPC repeated writes nothing more."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select, text

from bassin_common import idempotency, inbox
from bassin_common.events import Event
from notifications import schemas, usecases
from notifications.models import Action

DAY = date(2026, 5, 4)
CONSUMER = "notifications"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usecases, "today", lambda: DAY)


def announced(uow) -> list[tuple[str, dict[str, Any]]]:
    """The events of the test's company in the outbox, oldest first: (type, data)."""
    with uow() as work:
        rows = work.session.execute(
            text("SELECT routing_key, payload FROM outbox WHERE payload->>'tenant_id' = :tenant ORDER BY id"),
            {"tenant": str(uow.tenant_id)},
        ).all()
    return [(routing_key, payload["data"]) for routing_key, payload in rows]


def delivered(uow, event: Event) -> None:
    """``event`` handled as the service's consumer handles it: once, through the inbox."""
    with uow(roles=("system",)) as work:
        inbox.apply_once(work, CONSUMER, event, partial(usecases.on_event, event=event))


def first_contact(uow, contacted_on: date) -> tuple[str, Event]:
    customer_id = str(uuid.uuid4())
    created = {"customer_id": customer_id, "display_name": "M. Durand", "consent": {"email": True, "sms": False}}
    delivered(uow, Event("customer_created", uow.tenant_id, "customers", created))
    contact = {
        "lead_id": str(uuid.uuid4()),
        "customer_id": customer_id,
        "source": "salon",
        "contacted_on": contacted_on.isoformat(),
        "salesperson_id": None,
    }
    return customer_id, Event("first_contact_recorded", uow.tenant_id, "customers", contact)


def test_an_action_opened_by_an_event_is_announced_once_however_often_it_is_delivered(uow, end_of_life) -> None:
    customer_id, equipment_id = str(uuid.uuid4()), str(uuid.uuid4())
    data = end_of_life(customer_id, equipment_id)
    event = Event("equipment_end_of_life_approaching", uow.tenant_id, "customers", data)
    for _ in range(3):  # the same event redelivered
        delivered(uow, event)
    delivered(uow, Event(event.event_type, uow.tenant_id, "customers", data))  # published again: same action

    with uow() as work:
        [action] = work.session.scalars(select(Action)).all()
    [(kind, data)] = announced(uow)
    assert kind == "action_opened"
    assert (data["action_id"], data["customer_id"], data["status"]) == (str(action.id), customer_id, "open")
    assert data["title"] == action.title and data["version"] == 1


def test_an_action_opened_by_the_nightly_follow_up_scan_is_announced_once(uow, monkeypatch) -> None:
    customer_id, contact = first_contact(uow, DAY)
    delivered(uow, contact)
    assert announced(uow) == []  # the follow-up call waits for its day

    later = DAY + timedelta(days=3)
    monkeypatch.setattr(usecases, "today", lambda: later)
    for _ in range(2):  # the scheduler runs the scan again (a day caught up, a retry)
        with uow(roles=("system",)) as work:
            usecases.run_follow_up_scan(work, {"as_of": later})
    [(kind, data)] = announced(uow)
    assert (kind, data["customer_id"], data["assignee_role"]) == ("action_opened", customer_id, "sales")
    assert data["source_event_type"] == "first_contact_recorded"


def test_a_seasonal_campaign_announces_each_action_it_opens_once(uow) -> None:
    customer_id = str(uuid.uuid4())
    contract = {
        "contract_id": str(uuid.uuid4()),
        "customer_id": customer_id,
        "formula": "Sérénité",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }
    delivered(uow, Event("contract_signed", uow.tenant_id, "customers", contract))
    for _ in range(2):
        with uow(roles=("system",)) as work:
            usecases.run_campaign(work, {"campaign": "spring_opening", "as_of": DAY})
    [(kind, data)] = [(k, d) for k, d in announced(uow) if d["source_event_type"] == "spring_opening"]
    assert (kind, data["customer_id"]) == ("action_opened", customer_id)


def test_an_action_closed_snoozed_or_assigned_is_announced_once_per_request(uow) -> None:
    _, contact = first_contact(uow, DAY - timedelta(days=3))
    delivered(uow, contact)  # its day has come: opened at once
    with uow() as work:
        action_id = work.session.scalar(select(Action.id))

    def once(request_id: str, rpc: str, change: Any) -> None:
        """As the idempotent RPC runs it: a repeat of the request answers without running."""
        for _ in range(2):
            with uow(request_id=request_id) as work:
                idempotency.run_once(work, rpc, request_id, lambda work=work: schemas.ActionOutput().dump(change(work)))

    def status(version: int, status: str, **more: Any) -> Any:
        return lambda work: usecases.set_action_status(work, action_id, [str(version)], {"status": status, **more})

    once("snooze", "set_action_status", status(1, "snoozed", snoozed_until=DAY + timedelta(days=7)))
    once("assign", "assign_action", lambda work: usecases.assign_action(work, action_id, ["2"], {"role": "office"}))
    once("done", "set_action_status", status(3, "done"))

    kinds = [(kind, data["status"], data["version"]) for kind, data in announced(uow)]
    assert kinds == [
        ("action_opened", "open", 1),
        ("action_updated", "snoozed", 2),
        ("action_updated", "snoozed", 3),
        ("action_closed", "done", 4),
    ]
    assert announced(uow)[2][1]["assignee_role"] == "office"
