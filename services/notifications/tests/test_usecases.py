"""Use cases on the service's database, without a broker: events in, actions and deliveries
out, once; what the sender does with a delivery."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bassin_common.events import Event
from notifications import delivery, usecases
from notifications.models import Action, Contract, Customer, Delivery, DeliveryAttempt

DAY = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usecases, "today", lambda: DAY)


def receive(uow, event_type: str, data: dict[str, Any], producer: str = "customers") -> None:
    event = Event(event_type, uow.tenant_id, producer, data)
    with uow(roles=("system",)) as work:
        usecases.on_event(work, data, event=event)


def customer(uow, consent: bool = True) -> str:
    customer_id = str(uuid.uuid4())
    data = {
        "customer_id": customer_id,
        "display_name": "M. Durand",
        "email": "m.durand@example.fr",
        "phone": "+33612345678",
        "consent": {"email": consent, "sms": consent},
    }
    receive(uow, "customer_created", data)
    return customer_id


class Recorded:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    def send(self, outgoing: Delivery, settings: Any, partner: Any) -> str:
        self.sent.append(outgoing)
        return "recorded"


def test_the_same_fact_twice_gives_one_action_and_one_message(uow, end_of_life) -> None:
    customer_id, equipment_id = customer(uow), str(uuid.uuid4())
    for _ in range(2):  # two events (two ids) for the same equipment
        receive(uow, "equipment_end_of_life_approaching", end_of_life(customer_id, equipment_id))
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Action)) == 1
        assert work.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_a_consent_withdrawn_after_queueing_stops_the_message(uow, end_of_life) -> None:
    customer_id = customer(uow)
    receive(uow, "equipment_end_of_life_approaching", end_of_life(customer_id, str(uuid.uuid4())))
    receive(
        uow,
        "customer_updated",
        {
            "customer_id": customer_id,
            "display_name": "M. Durand",
            "email": "m.durand@example.fr",
            "phone": None,
            "consent": {"email": False, "sms": False},
        },
    )
    channels = Recorded()
    with uow() as work:
        queued = work.session.scalar(select(Delivery))
        assert delivery.deliver_one(work.session, queued.id, channels) == "skipped"
    assert channels.sent == []
    with uow() as work:
        assert "withdrew consent" in work.session.scalar(select(Delivery)).last_error


def test_a_failing_attempt_is_logged_and_retried_later_then_sent(
    uow, end_of_life, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASSIN_DELIVERY_RETRY_DELAYS", "0")
    customer_id = customer(uow)
    receive(uow, "equipment_end_of_life_approaching", end_of_life(customer_id, str(uuid.uuid4())))

    class Flaky(Recorded):
        def send(self, outgoing: Delivery, settings: Any, partner: Any) -> str:
            if not self.sent:
                self.sent.append(outgoing)
                raise ConnectionRefusedError("SMTP server down")
            return super().send(outgoing, settings, partner)

    channels = Flaky()
    with uow() as work:
        queued = work.session.scalar(select(Delivery))
        assert delivery.deliver_one(work.session, queued.id, channels) == "pending"
    with uow() as work:
        assert delivery.deliver_one(work.session, queued.id, channels) == "sent"
    with uow() as work:
        log = work.session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.number)).all()
        assert [(a.number, a.ok) for a in log] == [(1, False), (2, True)]
        assert "SMTP server down" in log[0].detail


def test_the_liner_to_order_when_the_structure_starts_is_one_office_action_naming_it(uow) -> None:
    """worksites' ``materials_order_due`` (the structure started: order the liner now) is an
    action for the office, naming the materials and the day to order by; once per step."""
    due = {
        "project_id": str(uuid.uuid4()),
        "task_id": str(uuid.uuid4()),
        "for_task_id": str(uuid.uuid4()),
        "for_step_code": "waterproofing",
        "lines": [
            {"article_id": None, "quantity": 52, "description": "Liner 75/100", "unit": "m2"},
            {"article_id": None, "quantity": 52, "description": "Underlay felt", "unit": "m2"},
        ],
        "order_by": "2026-05-11",
    }
    for _ in range(2):  # redelivered with another id
        receive(uow, "materials_order_due", due, producer="worksites")
    with uow() as work:
        [action] = work.session.scalars(select(Action)).all()
    assert action.title == (
        "Commander avant le 11/05/2026 : Liner 75/100 (52 m2), Underlay felt (52 m2) (étape waterproofing)"
    )
    assert (action.assignee_role, action.priority, action.source_event_type) == (
        "office",
        "high",
        "materials_order_due",
    )
    assert action.link == f"/worksites/projects/{due['project_id']}"


def test_an_import_of_customers_keeps_their_copies_and_contracts_as_their_own_events_would(uow) -> None:
    known = customer(uow, consent=False)
    new, contract = str(uuid.uuid4()), str(uuid.uuid4())
    people = [
        {"customer_id": known, "display_name": "M. Durand", "email": "durand@example.fr", "consent": {"email": True}},
        {"customer_id": new, "display_name": "Mme Fabre", "email": None, "phone": "0612345678", "consent": {}},
    ]
    term = {"formula": "Sérénité", "starts_on": "2026-04-01", "ends_on": "2027-03-31"}
    receive(
        uow,
        "customers_imported",
        {"customers": people, "contracts": [{"contract_id": contract, "customer_id": new, **term}]},
    )
    with uow() as work:
        copies = {str(c.id): c for c in work.session.scalars(select(Customer))}
        assert (copies[known].email, copies[known].consent_email) == ("durand@example.fr", True)  # brought up to date
        assert (copies[new].display_name, copies[new].phone) == ("Mme Fabre", "0612345678")
        assert str(work.session.scalar(select(Contract.customer_id))) == new
        assert work.session.scalar(select(func.count()).select_from(Action)) == 0  # copies only: no rule fires
