"""Shared mechanics that need no database nor broker."""

from __future__ import annotations

import inspect
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
from marshmallow import fields
from nameko.exceptions import deserialize, serialize

import bassin_common.service  # noqa: F401  (registers the domain errors with nameko's serializer)
from bassin_common.config import load_settings
from bassin_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PermanentFailure,
    ValidationFailed,
    flatten_marshmallow_errors,
)
from bassin_common.events import Event, EventView
from bassin_common.permissions import MANAGE_STOCK, READ_BUSINESS_DATA, SYSTEM, USER_ROLES
from bassin_common.registry import ServiceInfo
from bassin_common.schemas import Money, StrictSchema, load_or_reject
from bassin_common.service import BassinService, consume, rpc
from bassin_common.tenancy import RequestContext
from bassin_common.topology import Subscription


def test_settings_come_from_defaults_then_yaml_then_environment(tmp_path) -> None:
    config = tmp_path / "bassin.yml"
    config.write_text("retry_delays: [2, 4]\nlog_level: ${LEVEL:DEBUG}\nmax_workers: 3\n")
    settings = load_settings({"BASSIN_CONFIG": str(config), "BASSIN_MAX_WORKERS": "7"})
    assert settings.retry_delays == (2.0, 4.0)
    assert settings.log_level == "DEBUG"
    assert settings.max_workers == 7  # the environment wins over the file
    assert settings.outbox_batch_size == 100  # a default
    assert load_settings({"BASSIN_RETRY_DELAYS": "0.5,1"}).retry_delays == (0.5, 1.0)
    assert load_settings({}).service_database_url("till").endswith("/bassin_till")


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


@pytest.mark.parametrize(
    "error",
    [
        ValidationFailed("invalid", {"lines[0].quantity": ["must be positive"]}),
        NotFound("sale 42 not found"),
        Forbidden("not allowed"),
        Conflict("exists"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_domain_errors_cross_the_rpc_wire_as_themselves(error) -> None:
    rebuilt = deserialize(serialize(error))
    assert type(rebuilt) is type(error)
    assert rebuilt.detail == error.detail
    if isinstance(error, ValidationFailed):
        assert rebuilt.errors == {"lines[0].quantity": ["must be positive"]}


def test_input_is_loaded_or_refused_with_every_field_named() -> None:
    class Payment(StrictSchema):
        amount = Money(required=True, positive=True)

    assert load_or_reject(Payment(), {"amount": "12.5"}) == {"amount": Decimal("12.50")}
    for payload, field in [
        ({"amount": "0"}, "amount"),
        ({"amount": "1e11"}, "amount"),
        ({"amount": "1", "tip": "2"}, "tip"),
        ({"amount": "1\x00"}, "amount"),
        ("not an object", "_schema"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            load_or_reject(Payment(), payload)
        assert field in refused.value.errors, (payload, refused.value.errors)


def test_an_event_round_trips_through_its_envelope() -> None:
    event = Event("sale_completed", uuid.uuid4(), "till", {"sale_id": "x"}, correlation_id="c-1")
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
    assert event.context.tenant_id == event.tenant_id and event.context.roles == {SYSTEM}


def test_a_malformed_envelope_or_data_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentFailure):
        Event.from_message({"event_type": "sale_completed", "data": {}})

    class View(EventView):
        sale_id = fields.UUID(required=True)

    event = Event("sale_completed", uuid.uuid4(), "till", {"sale_id": "not-a-uuid", "added_later": 1})
    with pytest.raises(PermanentFailure, match="malformed sale_completed"):
        event.seen_through(View())
    good = Event("sale_completed", uuid.uuid4(), "till", {"sale_id": str(uuid.uuid4()), "added_later": 1})
    assert set(good.seen_through(View()).data) == {"sale_id"}  # fields it does not read are ignored


def test_permissions_are_checked_against_the_callers_roles() -> None:
    with pytest.raises(Forbidden):
        RequestContext.from_context_data({"user_id": "u"})
    cashier = RequestContext.from_context_data({"tenant_id": str(uuid.uuid4()), "roles": ["cashier"]})
    cashier.require(READ_BUSINESS_DATA)
    with pytest.raises(Forbidden, match="manage"):
        cashier.require(MANAGE_STOCK)
    assert SYSTEM not in USER_ROLES  # no person acts as the system


class SomeView(EventView):
    thing_id = fields.UUID(required=True)


class Thing(StrictSchema):
    name = fields.String(required=True)
    price = Money(required=True)


class ProbeService(BassinService):
    name = "probe"

    @rpc(requires=MANAGE_STOCK, accepts=Thing, returns=Thing)
    def make(self, uow: object, shelf: str, thing: dict, note: str = "") -> dict:
        return {**thing, "name": f"{thing['name']} on {shelf}{note}"}

    on_thing_done = consume("elsewhere", "thing_done", SomeView, lambda uow, data: None)


class FakeDatabase:
    """What ``rpc`` uses of ``self.db``: the caller's context and a unit of work."""

    def __init__(self, *roles: str) -> None:
        self.context = RequestContext(uuid.uuid4(), roles=frozenset(roles))
        self.units: list[str] = []

    @contextmanager
    def unit_of_work(self):
        self.units.append("opened")
        yield "the unit of work"
        self.units.append("committed")


def call(roles: tuple[str, ...], *args, **kwargs):
    service = ProbeService()
    service.db = FakeDatabase(*roles)
    return ProbeService.make(service, *args, **kwargs), service.db.units


def test_an_rpc_checks_the_permission_loads_the_payload_and_dumps_the_result() -> None:
    result, units = call(("office",), "A3", {"name": "Pompe", "price": "529"}, note=" (promo)")
    assert result == {"name": "Pompe on A3 (promo)", "price": "529.00"}
    assert units == ["opened", "committed"]
    with pytest.raises(Forbidden):
        call(("cashier",), "A3", {"name": "Pompe", "price": "529"})
    with pytest.raises(ValidationFailed) as refused:
        call(("manager",), "A3", {"name": "Pompe", "price": "-1", "colour": "blue"})
    assert set(refused.value.errors) == {"price", "colour"}


def test_an_rpc_parses_ids_refuses_bad_ones_and_leaves_out_optional_ones() -> None:
    class Shelves(BassinService):
        name = "shelves"

        @rpc(requires=READ_BUSINESS_DATA, returns=Thing)
        def find(self, uow: object, shelf_id: uuid.UUID, near: uuid.UUID | None = None) -> dict:
            return {"name": f"{type(shelf_id).__name__} {type(near).__name__}", "price": "1"}

    service = Shelves()
    service.db = FakeDatabase("office")
    assert Shelves.find(service, str(uuid.uuid4()))["name"] == "UUID NoneType"
    assert Shelves.find(service, str(uuid.uuid4()), near=str(uuid.uuid4()))["name"] == "UUID UUID"
    with pytest.raises(NotFound):
        Shelves.find(service, "not-an-id")


def test_an_rpc_that_accepts_input_must_have_a_payload_argument() -> None:
    with pytest.raises(TypeError, match="payload"):

        @rpc(requires=READ_BUSINESS_DATA, accepts=Thing, returns=Thing)
        def lenient(self, uow: object, thing: dict | None = None) -> dict: ...


def test_an_rpc_declares_its_permission_and_schemas_and_hides_the_unit_of_work() -> None:
    declaration = ProbeService.make.rpc
    assert declaration.requires is MANAGE_STOCK
    assert declaration.accepts is Thing and isinstance(declaration.returns, Thing)
    assert list(inspect.signature(ProbeService.make).parameters) == ["self", "shelf", "thing", "note"]


def test_a_services_subscriptions_come_from_its_own_declarations() -> None:
    info = ServiceInfo.of(ProbeService)
    assert (info.name, info.package) == ("probe", __name__.partition(".")[0])
    assert info.nameko_target == f"{__name__}:ProbeService"
    [subscription] = info.subscriptions
    assert subscription == Subscription("elsewhere", "thing_done", "probe", "on_thing_done")
    assert subscription.view is SomeView
    assert subscription.queue_name == "evt-elsewhere-thing_done--probe.on_thing_done"
    assert subscription.retry_queue_name(2) == f"{subscription.queue_name}.retry.2"
