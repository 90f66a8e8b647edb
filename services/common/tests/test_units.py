"""Shared mechanics that need no database nor broker."""

from __future__ import annotations

import uuid

import pytest

from bassin_common.config import load_settings
from bassin_common.errors import NotFound, PermanentFailure, ValidationFailed, flatten_marshmallow_errors
from bassin_common.events import Event
from bassin_common.tenancy import RequestContext
from bassin_common.topology import SUBSCRIPTIONS, find_subscription


def test_settings_come_from_defaults_then_yaml_then_environment(tmp_path) -> None:
    config = tmp_path / "bassin.yml"
    config.write_text("retry_delays: [2, 4]\nlog_level: ${LEVEL:DEBUG}\nmax_workers: 3\n")
    settings = load_settings({"BASSIN_CONFIG": str(config), "BASSIN_MAX_WORKERS": "7"})
    assert settings.retry_delays == (2.0, 4.0)
    assert settings.log_level == "DEBUG"
    assert settings.max_workers == 7  # the environment wins over the file
    assert settings.outbox_batch_size == 100  # a default
    assert load_settings({"BASSIN_RETRY_DELAYS": "0.5,1"}).retry_delays == (0.5, 1.0)
    assert load_settings({}).service_database_url("pos").endswith("/bassin_pos")


def test_unknown_settings_are_refused(tmp_path) -> None:
    config = tmp_path / "bassin.yml"
    config.write_text("retry_delay: 3\n")
    with pytest.raises(ValueError, match="retry_delay"):
        load_settings({"BASSIN_CONFIG": str(config)})


def test_marshmallow_errors_become_field_paths() -> None:
    nested = {"lines": {0: {"quantity": ["bad"]}, 2: {"article_id": ["unknown"]}}, "payments": ["required"]}
    assert flatten_marshmallow_errors(nested) == {
        "lines[0].quantity": ["bad"],
        "lines[2].article_id": ["unknown"],
        "payments": ["required"],
    }


def test_typed_errors_survive_the_rpc_wire_format() -> None:
    error = ValidationFailed("invalid", errors={"lines[0].quantity": ["must be positive"]})
    rebuilt = ValidationFailed.from_message(str(error))
    assert rebuilt.errors == {"lines[0].quantity": ["must be positive"]}
    assert NotFound.from_message(str(NotFound("sale 42 not found"))).detail == "sale 42 not found"


def test_an_event_round_trips_through_its_envelope() -> None:
    event = Event("sale_completed", uuid.uuid4(), "pos", {"sale_id": "x"}, correlation_id="c-1")
    message = event.to_message()
    assert set(message) == {
        "event_id",
        "event_type",
        "version",
        "tenant_id",
        "occurred_at",
        "producer",
        "correlation_id",
        "data",
    }
    assert Event.from_message(message) == event
    assert event.context.tenant_id == event.tenant_id and event.context.correlation_id == "c-1"


def test_a_malformed_envelope_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentFailure):
        Event.from_message({"event_type": "sale_completed", "data": {}})


def test_context_requires_a_tenant_and_checks_roles() -> None:
    from bassin_common.errors import Forbidden

    with pytest.raises(Forbidden):
        RequestContext.from_context_data({"user_id": "u"})
    context = RequestContext.from_context_data({"tenant_id": str(uuid.uuid4()), "roles": ["cashier"]})
    context.require_role("cashier", "manager")
    with pytest.raises(Forbidden):
        context.require_role("manager")


def test_every_handler_must_be_in_the_topology() -> None:
    assert find_subscription("pos", "sale_completed", "inventory", "on_sale_completed") in SUBSCRIPTIONS
    with pytest.raises(LookupError, match="SUBSCRIPTIONS"):
        find_subscription("pos", "sale_completed", "inventory", "on_something_else")
