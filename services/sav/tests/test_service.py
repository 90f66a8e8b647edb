"""The sav service in a real nameko container, on PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import eventlet
import pytest

from bassin_common.errors import NotFound
from bassin_common.events import Event
from bassin_common.testing import publish_event, rpc_client, wait_until
from sav.service import SavService


def test_the_service_answers_with_its_database(sav) -> None:
    with rpc_client(uuid.uuid4()) as rpc:
        assert rpc.sav.health() == {"service": "sav", "database": "ok"}


# --- local copies, from events on the broker ----------------------------------------------------


@pytest.fixture
def wired_sav(migrate, service_config, container_factory):
    migrate("sav")
    container = container_factory(SavService, service_config)
    container.start()
    return container


def event(producer: str, event_type: str, tenant_id: uuid.UUID, data: dict) -> Event:
    return Event(event_type=event_type, tenant_id=tenant_id, producer=producer, data=data)


def test_published_facts_open_a_ticket_under_the_legal_guarantee_and_apply_once(
    wired_sav, amqp_uri, tenant_id: uuid.UUID
) -> None:
    customer, pool, pump, project = (str(uuid.uuid4()) for _ in range(4))
    today = date.today()
    handover = (today - timedelta(days=400)).isoformat()
    created = event(
        "customers",
        "customer_created",
        tenant_id,
        {
            "customer_id": customer,
            "kind": "private",
            "display_name": "M. Garcia",
            "email": "garcia@example.fr",
            "phone": None,
            "billing_address": {
                "line1": "1 rue du Puits",
                "line2": None,
                "postcode": "34000",
                "city": "Montpellier",
                "country": "FR",
            },
            "siren": None,
            "vat_number": None,
            "consent": {"email": True, "sms": True},
        },
    )
    installed = event(
        "customers",
        "equipment_installed",
        tenant_id,
        {
            "equipment_id": pump,
            "customer_id": customer,
            "pool_id": pool,
            "category": "filtration_pump",
            "brand": "Hayward",
            "model": "Max-Flo XL",
            "serial_number": "HAY-7781",
            "installed_on": handover,
            "warranty_ends_on": (today - timedelta(days=35)).isoformat(),  # its 1-year warranty is over
        },
    )
    completed = event(
        "worksites",
        "project_completed",
        tenant_id,
        {
            "project_id": project,
            "order_id": str(uuid.uuid4()),
            "customer_id": customer,
            "site_id": str(uuid.uuid4()),
            "handover_on": handover,
            "reserves": [],
            "pool": {},
            "equipment": [
                {
                    "category": "filtration_pump",
                    "brand": "Hayward",
                    "model": "Max-Flo XL",
                    "serial_number": "HAY-7781",
                    "warranty_months": 12,
                }
            ],
        },
    )
    for message in (created, installed, completed, created, installed, completed):  # each delivered twice
        publish_event(amqp_uri, message)

    def ticket() -> dict | None:
        with rpc_client(tenant_id) as rpc:
            try:
                equipment = rpc.sav.get_equipment(pump)
            except NotFound:
                return None
            if equipment["covered_by"] != "legal_guarantee":
                return None  # the handover has not landed yet
            return rpc.sav.open_ticket({"serial_number": "HAY-7781", "channel": "shop", "description": "Fuit."})

    opened = wait_until(ticket)
    assert opened["customer_name"] == "M. Garcia"
    assert opened["covered_by"] == "legal_guarantee"
    assert opened["coverage_reason"].startswith("sous garantie biennale de bon fonctionnement jusqu'au ")
    eventlet.sleep(0.5)
    with rpc_client(tenant_id) as rpc:
        assert [t["customer_id"] for t in rpc.sav.list_tickets({})["items"]] == [customer]
