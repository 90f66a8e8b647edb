"""The event catalogue (docs/events/asyncapi.yaml) matches the schemas in the code."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from marshmallow import fields

from bassin_common.topology import SUBSCRIPTIONS

DOCS_EVENTS = Path(__file__).resolve().parents[2] / "docs" / "events"


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bassin_docs_events_generate", DOCS_EVENTS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_the_committed_catalogue_is_up_to_date(generator: ModuleType) -> None:
    committed = (DOCS_EVENTS / "asyncapi.yaml").read_text()
    assert committed == generator.render(), "run: .venv/bin/python docs/events/generate.py"


def test_generating_twice_gives_the_same_text(generator: ModuleType) -> None:
    assert generator.render() == generator.render()


def test_a_schema_change_shows_in_the_catalogue(generator: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from pos.events import SaleCompleted

    before = generator.render()
    monkeypatch.setitem(SaleCompleted._declared_fields, "cashier_note", fields.String())
    assert generator.render() != before


def test_every_subscription_is_in_the_catalogue(generator: ModuleType) -> None:
    document = yaml.safe_load(generator.render())
    for subscription in SUBSCRIPTIONS:
        channel = document["channels"][f"{subscription.producer}.events/{subscription.event_type}"]
        consumers = {(c["service"], c["handler"], c["queue"]) for c in channel["publish"]["x-consumers"]}
        assert (subscription.consumer, subscription.handler, subscription.queue_name) in consumers
        message = document["components"]["messages"][f"{subscription.producer}.{subscription.event_type}"]
        assert subscription.consumer in message["x-consumers"]


def test_every_message_is_the_envelope_around_its_data(generator: ModuleType) -> None:
    document = yaml.safe_load(generator.render())
    assert document["asyncapi"] == "2.6.0"
    schemas = document["components"]["schemas"]
    for key, message in document["components"]["messages"].items():
        producer, event_type = key.split(".")
        payload = message["payload"]
        assert payload["properties"]["event_type"]["const"] == event_type
        assert payload["properties"]["producer"]["const"] == producer
        assert set(payload["required"]) >= {"event_id", "event_type", "tenant_id", "occurred_at", "data"}
        assert payload["properties"]["data"]["$ref"].rsplit("/", 1)[1] in schemas
