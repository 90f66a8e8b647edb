"""The event catalogue (docs/events/asyncapi.yaml) says what the services declare."""

from __future__ import annotations

import pytest
import yaml
from marshmallow import fields

from bassin_common.registry import installed_services
from bassin_dev import catalogue

SERVICES = installed_services()


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(catalogue.render(SERVICES))


def test_generating_twice_gives_the_same_text() -> None:
    assert catalogue.render(SERVICES) == catalogue.render(SERVICES)


def test_a_schema_change_shows_in_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    from pos.events import SaleCompleted

    before = catalogue.render(SERVICES)
    monkeypatch.setitem(SaleCompleted._declared_fields, "cashier_note", fields.String())
    assert catalogue.render(SERVICES) != before


def test_every_declared_event_and_subscription_is_in_the_catalogue(document: dict) -> None:
    assert set(document["x-services"]) == {service.name for service in SERVICES}
    for service in SERVICES:
        assert document["x-services"][service.name]["exchange"] == f"{service.name}.events"
        for spec in service.published:
            message = document["components"]["messages"][f"{service.name}.{spec.event_type}"]
            assert message["title"] == f"{spec.event_type} (v{spec.version})"
            assert message["summary"] == spec.description
            assert message["examples"][0]["payload"]["data"] == dict(spec.example)
        for subscription in service.subscriptions:
            channel = document["channels"][f"{subscription.producer}.events/{subscription.event_type}"]
            consumers = {(c["service"], c["handler"], c["queue"]) for c in channel["publish"]["x-consumers"]}
            assert (subscription.consumer, subscription.handler, subscription.queue_name) in consumers


def test_every_message_is_the_envelope_around_its_data(document: dict) -> None:
    assert document["asyncapi"] == "2.6.0"
    schemas = document["components"]["schemas"]
    for key, message in document["components"]["messages"].items():
        producer, event_type = key.split(".")
        payload = message["payload"]
        assert payload["properties"]["event_type"]["const"] == event_type
        assert payload["properties"]["producer"]["const"] == producer
        assert set(payload["required"]) >= {"event_id", "event_type", "tenant_id", "occurred_at", "data"}
        assert payload["properties"]["data"]["$ref"].rsplit("/", 1)[1] in schemas
        assert set(message["examples"][0]["payload"]) == set(payload["properties"])


def test_a_subscription_to_an_undeclared_event_is_refused() -> None:
    from bassin_common.registry import ServiceInfo
    from bassin_common.service import BassinService, consume
    from inventory.events import SaleCompletedView

    class Confused(BassinService):
        name = "confused"
        on_sale_voided = consume("pos", "sale_voided", SaleCompletedView, lambda uow, data: None)

    with pytest.raises(LookupError, match="sale_voided"):
        catalogue.render((*SERVICES, ServiceInfo.of(Confused)))
