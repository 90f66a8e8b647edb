"""Shared mechanics that need no database nor broker."""

from __future__ import annotations

import inspect
import logging
import socket
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from decimal import Decimal

import amqp.exceptions
import psycopg
import pytest
import sqlalchemy.exc
from marshmallow import fields
from nameko.exceptions import deserialize, serialize

import bassin_common.service  # noqa: F401  (registers the domain errors with nameko's serializer)
from bassin_common.config import Settings, load_settings
from bassin_common.database import connect_arguments
from bassin_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PermanentFailure,
    Unavailable,
    ValidationFailed,
    flatten_marshmallow_errors,
)
from bassin_common.events import Event, EventView
from bassin_common.faults import is_transient
from bassin_common.logs import JsonFormatter, TextFormatter, mask_secrets
from bassin_common.outbox import message_headers
from bassin_common.permissions import MANAGE_STOCK, READ_BUSINESS_DATA, SYSTEM, USER_ROLES
from bassin_common.registry import ServiceInfo
from bassin_common.schemas import Money, Percentage, StrictSchema, load_or_reject
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
        Unavailable("the database is unreachable"),
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


class Priced(StrictSchema):
    price = Money(required=True)
    vat_rate = Percentage(load_default=None)


@pytest.mark.parametrize("amount", ["12.345", "39.9049", "0.001", "1e-3", 12.345])
def test_an_amount_with_more_than_two_decimals_is_refused_with_its_field_named(amount) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(Priced(), {"price": amount})
    assert refused.value.errors == {"price": ["at most 2 decimal places"]}
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(Priced(), {"price": "1", "vat_rate": amount})
    assert refused.value.errors == {"vat_rate": ["at most 2 decimal places"]}


@pytest.mark.parametrize(
    ("amount", "loaded"),
    [("12.3", "12.30"), ("12", "12.00"), ("12.30", "12.30"), ("12.300", "12.30"), (12.3, "12.30"), ("1E+2", "100.00")],
)
def test_an_amount_that_two_places_hold_exactly_is_valid(amount, loaded) -> None:
    assert load_or_reject(Priced(), {"price": amount, "vat_rate": amount}) == {
        "price": Decimal(loaded),
        "vat_rate": Decimal(loaded),
    }
    with pytest.raises(ValidationFailed) as refused:  # too many digits to hold: invalid, not a crash
        load_or_reject(Priced(), {"price": "1e100000"})
    assert list(refused.value.errors) == ["price"]


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


def test_the_call_context_carries_the_request_id_and_deadline_but_events_do_not() -> None:
    sent = {"tenant_id": str(uuid.uuid4()), "roles": ["cashier"], "request_id": "ticket-42", "deadline": 1.8e9}
    context = RequestContext.from_context_data(sent)
    assert (context.request_id, context.deadline) == ("ticket-42", 1.8e9)
    assert RequestContext.from_context_data(context.to_context_data()) == context
    assert RequestContext.from_context_data({**sent, "deadline": "1800000000.5"}).deadline == 1800000000.5
    assert not context.caller_gave_up(now=1.8e9 - 1) and context.caller_gave_up(now=1.8e9 + 1)
    assert not RequestContext(context.tenant_id).caller_gave_up()  # no deadline: internal callers
    # An event's consumer acts on its own time and as itself: neither travels in its headers.
    assert set(message_headers(context)) == {"nameko.tenant_id"}


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

    def __init__(self, *roles: str, deadline: float | None = None) -> None:
        self.context = RequestContext(uuid.uuid4(), roles=frozenset(roles), deadline=deadline)
        self.units: list[str] = []

    @contextmanager
    def unit_of_work(self, claims_first: bool = False):
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


def test_an_rpc_whose_caller_stopped_waiting_is_not_run() -> None:
    service = ProbeService()
    service.db = FakeDatabase("office", deadline=time.time() - 1)
    with pytest.raises(Unavailable, match="stopped waiting"):
        ProbeService.make(service, "A3", {"name": "Pompe", "price": "529"})
    assert service.db.units == []  # no unit of work was even opened
    service.db = FakeDatabase("office", deadline=time.time() + 30)
    assert ProbeService.make(service, "A3", {"name": "Pompe", "price": "529"})["price"] == "529.00"


def dbapi_error(kind: type[sqlalchemy.exc.DBAPIError], driver_error: Exception) -> Exception:
    return kind("SELECT 1", {}, driver_error)


def sqlstate_error(sqlstate: str) -> psycopg.Error:
    return psycopg.errors.lookup(sqlstate)(f"sqlstate {sqlstate}")


# Factories: an exception raised in one test must not carry its traceback into another.
TRANSIENT: dict[str, Callable[[], BaseException]] = {
    "connection refused": lambda: dbapi_error(
        sqlalchemy.exc.OperationalError, psycopg.OperationalError("connection refused")
    ),
    "server shutting down": lambda: dbapi_error(sqlalchemy.exc.OperationalError, sqlstate_error("57P01")),
    "connection lost (08006)": lambda: dbapi_error(sqlalchemy.exc.OperationalError, sqlstate_error("08006")),
    "lock_timeout": lambda: dbapi_error(sqlalchemy.exc.OperationalError, sqlstate_error("55P03")),
    "deadlock": lambda: dbapi_error(sqlalchemy.exc.OperationalError, sqlstate_error("40P01")),
    "write on a standby": lambda: dbapi_error(sqlalchemy.exc.InternalError, sqlstate_error("25006")),
    "connection closed": lambda: dbapi_error(
        sqlalchemy.exc.InterfaceError, psycopg.InterfaceError("connection is closed")
    ),
    "pool exhausted": lambda: sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
    "disconnect": lambda: sqlalchemy.exc.DisconnectionError("gone"),
    "broker reset": lambda: ConnectionResetError(104, "Connection reset by peer"),
    "broker refused": lambda: amqp.exceptions.RecoverableConnectionError("connection refused"),
    "confirm timeout": lambda: TimeoutError("timed out"),
    "dns": lambda: socket.gaierror(-2, "Name or service not known"),
    "unavailable": lambda: Unavailable("a dependency is unreachable"),
}
NOT_TRANSIENT: dict[str, Callable[[], BaseException]] = {
    "statement_timeout": lambda: dbapi_error(sqlalchemy.exc.OperationalError, sqlstate_error("57014")),
    "unique violation": lambda: dbapi_error(sqlalchemy.exc.IntegrityError, sqlstate_error("23505")),
    "syntax error": lambda: dbapi_error(sqlalchemy.exc.ProgrammingError, sqlstate_error("42601")),
    "exchange not found": lambda: amqp.exceptions.NotFound("NOT_FOUND - no exchange"),
    "a bug": lambda: KeyError("lines"),
    "the caller's mistake": lambda: ValidationFailed.field("quantity", "must be positive"),
    "a malformed event": lambda: PermanentFailure("malformed"),
}


@pytest.mark.parametrize("case", list(TRANSIENT))
def test_a_dependency_failing_for_now_is_transient(case: str) -> None:
    assert is_transient(TRANSIENT[case]())
    try:
        raise RuntimeError("the use case gave up") from TRANSIENT[case]()
    except RuntimeError as wrapped:
        assert is_transient(wrapped)  # what it was raised from counts


@pytest.mark.parametrize("case", list(NOT_TRANSIENT))
def test_a_failure_of_the_request_or_the_code_is_not_transient(case: str) -> None:
    assert not is_transient(NOT_TRANSIENT[case]())
    try:
        try:
            raise TRANSIENT["connection refused"]()
        except Exception:
            raise NOT_TRANSIENT[case]()  # noqa: B904  (the point: raised while handling a lost connection)
    except Exception as error:
        assert not is_transient(error)


def test_an_rpc_answers_unavailable_when_a_dependency_fails_for_now_and_lets_bugs_through() -> None:
    failure: list[Exception] = []

    class Flaky(BassinService):
        name = "flaky"

        @rpc(requires=READ_BUSINESS_DATA, returns=Thing)
        def read(self, uow: object) -> dict:
            raise failure[0]

    service = Flaky()
    service.db = FakeDatabase("office")
    failure.append(TRANSIENT["connection refused"]())
    with pytest.raises(Unavailable) as unavailable:
        Flaky.read(service)
    assert "connection refused" not in str(unavailable.value)  # nothing of the infrastructure leaks
    failure[0] = NOT_TRANSIENT["statement_timeout"]()
    with pytest.raises(sqlalchemy.exc.OperationalError):
        Flaky.read(service)
    failure[0] = NotFound("no such thing")
    with pytest.raises(NotFound):
        Flaky.read(service)


def test_every_database_connection_gets_the_timeouts_and_migrations_none_that_cut_them() -> None:
    settings = Settings(
        database_connect_timeout=3.5,
        database_statement_timeout=15,
        database_lock_timeout=0.5,
        database_idle_in_transaction_timeout=60,
    )
    service = connect_arguments(settings)
    assert service["connect_timeout"] == 4
    assert service["options"].split(" -c ") == [
        "-c statement_timeout=15000",
        "lock_timeout=500",
        "idle_in_transaction_session_timeout=60000",
    ]
    assert connect_arguments()["options"] == connect_arguments(Settings())["options"]  # the defaults apply
    migrating = connect_arguments(settings, migrating=True)
    assert migrating["connect_timeout"] == 4
    assert migrating["options"] == "-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0"


SECRET_URLS = (
    "pyamqp://bassin:s3cr%2Ft@rabbit:5672/",
    "postgresql+psycopg://svc:hunter2@db:5432/bassin_pos",
    "host=db user=svc password=hunter2 dbname=bassin_pos",
)


def test_passwords_are_masked_in_every_log_line_and_error_text() -> None:
    assert mask_secrets(" ".join(SECRET_URLS)) == (
        "pyamqp://bassin:***@rabbit:5672/ postgresql+psycopg://svc:***@db:5432/bassin_pos "
        "host=db user=svc password=*** dbname=bassin_pos"
    )
    assert mask_secrets("amqp://rabbit:5672/ and amqp://user@rabbit/") == "amqp://rabbit:5672/ and amqp://user@rabbit/"
    try:
        raise ConnectionError(f"could not reach {SECRET_URLS[0]}")
    except ConnectionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("kombu", logging.WARNING, __file__, 1, "connecting to %s", (SECRET_URLS[1],), exc_info)
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert "s3cr" not in line and "hunter2" not in line, line
        assert "svc:***@db" in line and "bassin:***@rabbit" in line


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


def test_an_event_missing_a_required_field_is_refused_even_nested() -> None:
    from marshmallow import Schema

    from bassin_common.events import EventSpec, InvalidEvent

    class Line(Schema):
        article_id = fields.UUID(required=True)
        quantity = fields.Integer(required=True)

    class Sold(Schema):
        sale_id = fields.UUID(required=True)
        note = fields.String(required=True, allow_none=True)
        lines = fields.List(fields.Nested(Line), required=True)

    spec = EventSpec("sold", Sold, "Sold (a test event).", example={})
    article = uuid.uuid4()
    complete = {"sale_id": uuid.uuid4(), "note": None, "lines": [{"article_id": article, "quantity": 2}]}
    assert spec.serialize(complete)["lines"] == [{"article_id": str(article), "quantity": 2}]
    with pytest.raises(InvalidEvent, match=r"lines\[0\]\.quantity"):
        spec.serialize({**complete, "lines": [{"article_id": article}]})
    with pytest.raises(InvalidEvent, match="note"):
        spec.serialize({k: v for k, v in complete.items() if k != "note"})
