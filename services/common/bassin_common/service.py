"""The nameko edge of a Bassin service: its base class, its entrypoints, its database.

    class InventoryService(BassinService):
        name = "inventory"

        @rpc(requires=MANAGE_STOCK, accepts=schemas.LocationInput, returns=schemas.LocationOutput)
        def create_location(self, uow: UnitOfWork, location: dict) -> Location:
            return usecases.create_location(uow, location)

        on_sale_completed = consume("pos", "sale_completed", events.SaleCompletedView, usecases.apply_sale)

A service class is an adapter of one-line methods. ``rpc`` does the rest, the same way for
every call: it checks the caller's permission, loads the last argument with the
``accepts`` schema (refusing bad input with every field named), opens a unit of work in
the caller's context (committed when the method returns), and dumps the result with the
``returns`` schema. The declaration — permission, input and output schemas — stays on the
entrypoint (``RpcDeclaration``), for the API's documentation to read.

``consume`` subscribes a use case to an event: the event's data, loaded through the
consumer's view, is applied once however often it is delivered (``bassin_common.inbox``),
retried with backoff when the use case fails, then dead-lettered (``consumer``). There is
no other way for a service to handle an event, so none can forget to be idempotent.
Domain errors (``bassin_common.errors``) cross RPC as themselves: ``rpc`` declares them
expected (logged as the caller's mistake, a warning, not as a fault of the service) and
they are registered with nameko's serializer, so the caller gets the same type back.

The edge also survives the infrastructure (ADR 0002, 0004):

- a call whose context is not signed by a Bassin component is refused (``Forbidden``)
  before anything runs (``bassin_common.signing``, ADR 0035);
- a call whose caller has stopped waiting (its context's ``deadline`` passed) is not run;
- a transient failure (the database or the broker unreachable: ``bassin_common.faults``)
  reaches the caller as ``Unavailable`` (503, retry later), not as a fault;
- ``rpc(..., idempotent=True)`` runs a call once per request id (``bassin_common.idempotency``);
- a reply that cannot be published (the broker gone) is logged and its request requeued
  rather than acknowledged, and the container lives on (nameko's own consumer lets the
  exception kill it): the broker redelivers the request, and an idempotent RPC answers
  it with the response it stored, without running again.
"""

from __future__ import annotations

import inspect
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, partial, wraps
from typing import Any, get_args, get_type_hints

import eventlet
from marshmallow import Schema
from nameko import config as nameko_config
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange
from sqlalchemy import text

from bassin_common import idempotency, inbox, wire  # noqa: F401  (wire: domain errors cross RPC as themselves)
from bassin_common.broker import FailFastPublisher, settle
from bassin_common.config import Settings, settings_from_nameko
from bassin_common.consumer import event_consumer
from bassin_common.database import assert_cooperative_psycopg, make_engine, make_session_factory
from bassin_common.errors import DOMAIN_ERRORS, DomainError, Unavailable, ValidationFailed
from bassin_common.events import Event, EventView
from bassin_common.faults import is_transient
from bassin_common.logs import LogContext, describe
from bassin_common.observability import Observability
from bassin_common.outbox import OutboxRelay
from bassin_common.permissions import Permission
from bassin_common.schemas import load_or_reject, parse_id
from bassin_common.signing import ContextSigner
from bassin_common.tenancy import RequestContext
from bassin_common.uow import UnitOfWork

__all__ = ["BassinService", "Database", "RpcDeclaration", "consume", "rpc"]

log = logging.getLogger(__name__)

REPLY_FAILURE_PAUSE = 1.0  # seconds before a request whose reply failed goes back to the queue


class ReplyingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, except for a reply it cannot publish: logged, the request
    requeued instead of acknowledged (redelivered, now or once the broker is back), and
    the container kept alive. Replies are published without waiting for a confirm, and do
    not sit through nameko's reconnection attempts."""

    def setup(self) -> None:
        super().setup()
        self.settings: Settings = settings_from_nameko()

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        responder = Responder(
            self.amqp_uri,
            get_rpc_exchange(),
            message,
            ssl=nameko_config.get(AMQP_SSL_CONFIG_KEY),
            login_method=nameko_config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        timeout = self.settings.amqp_confirm_timeout
        # No confirm to wait for: a reply lost with the broker is a caller's timeout, retried
        # with the same request id; a connection already gone still fails the publish here.
        responder.publisher_cls = partial(FailFastPublisher, use_confirms=False, timeout=timeout)  # type: ignore[assignment]
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception as error:
            log.warning(
                "could not publish the reply to %s (%s); requeueing the request in %ss",
                message.delivery_info.get("routing_key"),
                describe(error),
                REPLY_FAILURE_PAUSE,
            )
            eventlet.sleep(REPLY_FAILURE_PAUSE)  # not a tight loop if the broker stays away
            settle(self.consumer.requeue_message, message)
            return result, exc_info
        settle(self.consumer.ack_message, message)
        return result, exc_info


class BassinRpc(Rpc):
    """nameko's ``Rpc`` entrypoint on ``ReplyingRpcConsumer``. Every RPC of a service must
    use it (``rpc`` below, ``edge_rpc``): the consumer is shared per class, and two
    consumers of one queue would each receive calls meant for the other's methods."""

    rpc_consumer = ReplyingRpcConsumer()


edge_rpc = BassinRpc.decorator


@contextmanager
def _transient_as_unavailable(call: str) -> Iterator[None]:
    try:
        yield
    except DomainError:
        raise
    except Exception as error:
        if not is_transient(error):
            raise
        log.warning("%s: a dependency is unreachable: %s", call, describe(error))
        raise Unavailable("a database or the message broker is unreachable right now; try again shortly") from error


@dataclass(frozen=True)
class RpcDeclaration:
    """What an RPC method promises: who may call it, what it takes, what it gives back."""

    requires: Permission
    accepts: type[Schema] | None
    returns: Schema


def rpc(
    *,
    requires: Permission,
    accepts: type[Schema] | None = None,
    returns: type[Schema] | Schema,
    idempotent: bool = False,
) -> Callable[[Callable[..., Any]], Any]:
    """An RPC entrypoint around a method ``(self, uow, *arguments)``.

    On the wire the method takes its arguments without ``uow``. An argument annotated
    ``uuid.UUID`` arrives as text and is parsed (one that is not an id names nothing: 404).
    With ``accepts``, that schema loads the payload: the last argument without a default.
    ``returns`` may be a schema instance (``Output(many=True)`` for a list).
    ``idempotent``: a call runs once per request id of its context, repeats get the first
    response (``bassin_common.idempotency``); every create and command should say so.
    """
    declaration = RpcDeclaration(requires, accepts, returns() if isinstance(returns, type) else returns)
    # One instance per RPC, not per call: building a schema binds its fields (and, at its
    # first load, its nested schemas') — about 3 % of pos's CPU per sale. A schema keeps
    # no state between loads (nothing here sets its ``context``).
    accepting = accepts() if accepts is not None else None

    def decorate(method: Callable[..., Any]) -> Any:
        itself, _uow, *arguments = inspect.signature(method).parameters.values()
        on_the_wire = inspect.Signature([itself, *arguments])
        hints = get_type_hints(method)
        ids = [p.name for p in arguments if uuid.UUID in (hints.get(p.name), *get_args(hints.get(p.name)))]
        payload = next((p.name for p in reversed(arguments) if p.default is p.empty), None)
        if accepts is not None and payload is None:
            raise TypeError(f"{method.__qualname__}: accepts= needs a payload argument without a default")

        def checked(self: Any, context: RequestContext, args: Any, kwargs: Any) -> inspect.BoundArguments:
            """The call's permission checked, its ids parsed and its payload loaded."""
            context.require(requires)
            call = on_the_wire.bind(self, *args, **kwargs)
            for name in ids:
                if call.arguments.get(name) is not None:  # an optional id may be left out
                    call.arguments[name] = parse_id(call.arguments[name])
            if accepting is not None:
                call.arguments[payload] = load_or_reject(accepting, call.arguments[payload])
            return call

        def run_in(self: Any, uow: UnitOfWork, args: list[Any], dump: bool = True) -> Any:
            """The call, checked and loaded as above, run in a unit of work already open
            (``BassinService.seed``); its result dumped with ``returns`` (unless not
            wanted: dumping reads what the result shows, queries that a batch can spare)."""
            call = checked(self, uow.context, args, {})
            result = method(self, uow, *call.args[1:], **call.kwargs)
            return declaration.returns.dump(result) if dump else None

        @wraps(method)
        def entrypoint(self: Any, *args: Any, **kwargs: Any) -> Any:
            context = self.db.context
            if context.caller_gave_up():
                late = time.time() - (context.deadline or 0)
                log.warning("%s not run: its caller stopped waiting %.1fs ago", method.__name__, late)
                raise Unavailable("the caller stopped waiting before this request was run")
            # What the caller sent, before parsing: what a repeat of the request must match.
            sent = (
                {k: v for k, v in on_the_wire.bind(self, *args, **kwargs).arguments.items() if k != itself.name}
                if idempotent
                else {}
            )
            call = checked(self, context, args, kwargs)
            claims_first = idempotent and idempotency.claims(context)
            with _transient_as_unavailable(method.__name__), self.db.unit_of_work(claims_first=claims_first) as uow:

                def respond() -> Any:
                    return declaration.returns.dump(method(self, uow, *call.args[1:], **call.kwargs))

                if not idempotent:
                    return respond()
                return idempotency.run_once(uow, method.__name__, idempotency.fingerprint(sent), respond)

        entrypoint.__signature__ = on_the_wire  # what nameko checks callers against
        entrypoint.rpc = declaration  # type: ignore[attr-defined]
        entrypoint.run_in = run_in  # type: ignore[attr-defined]
        return edge_rpc(expected_exceptions=DOMAIN_ERRORS)(entrypoint)

    return decorate


def consume(
    producer: str,
    event_type: str,
    view: type[EventView],
    use_case: Callable[[UnitOfWork, Any], Any],
    applies_to: Callable[[Any], bool] | None = None,
) -> Callable[[Any, Event], None]:
    """A handler applying ``use_case(uow, data)`` once per ``producer``'s ``event_type``;
    assign it to a class attribute, whose name names the handler (and its queue).
    ``applies_to(data)`` False: the use case would do nothing with that event, which is
    acknowledged without a transaction (``bassin_common.consumer``)."""

    def handler(self: Any, *events: Event) -> None:
        self.db.apply_each_once(events, use_case)

    handler.use_case = use_case  # type: ignore[attr-defined]
    handler.applies_to = applies_to  # type: ignore[attr-defined]
    return event_consumer(producer, event_type, view, batched=True, applies_to=applies_to)(handler)


def _resolved(value: Any, named: dict[str, Any]) -> Any:
    """``value`` with each ``"@name"`` text replaced by that result's id, and each
    ``"@name.path.0.id"`` by that path in it."""
    if isinstance(value, str) and value.startswith("@"):
        name, *path = value[1:].split(".")
        found: Any = named[name]
        for step in path or ["id"]:
            found = found[int(step)] if isinstance(found, list) else found[step]
        return found
    if isinstance(value, list):
        return [_resolved(item, named) for item in value]
    if isinstance(value, dict):
        return {key: _resolved(item, named) for key, item in value.items()}
    return value


class DatabaseAccess:
    """What a worker sees as ``self.db``."""

    def __init__(self, provider: Database, worker_ctx: Any):
        self._provider = provider
        self._context_data = worker_ctx.context_data
        self._consumer = f"{provider.container.service_name}.{worker_ctx.entrypoint.method_name}"

    @cached_property
    def context(self) -> RequestContext:
        """The caller's context from nameko context data (RPC entrypoints), once its
        signature is checked: ``Forbidden`` when it is missing or wrong."""
        return self._provider.signer.verified(self._context_data)

    def unit_of_work(self, context: RequestContext | None = None, claims_first: bool = False) -> UnitOfWork:
        provider = self._provider
        return UnitOfWork(
            provider.sessions,
            context or self.context,
            provider.container.service_name,
            provider.relay,
            claims_first=claims_first,
        )

    def apply_once(self, event: Event, use_case: Callable[[UnitOfWork, Any], Any]) -> bool:
        """The idempotent consumer: run ``use_case(uow, event.data)`` in the event's tenant
        unless this handler already processed the event; the claim commits with the effect
        (and, the unit's first statement, tells the transaction its tenant)."""
        with self.unit_of_work(event.context, claims_first=True) as uow:
            return inbox.apply_once(uow, self._consumer, event, use_case)

    def apply_each_once(self, events: Sequence[Event], use_case: Callable[[UnitOfWork, Any], Any]) -> int:
        """``apply_once`` for a consumer's batch: one transaction per run of one tenant's
        events (all of them commit, or none); returns how many ran."""
        applied = 0
        for tenant_events in inbox.by_tenant(events):
            with self.unit_of_work(tenant_events[0].context, claims_first=True) as uow:
                applied += inbox.apply_each_once(uow, self._consumer, tenant_events, use_case)
        return applied

    def ping(self) -> bool:
        with self._provider.engine.connect() as connection:
            return connection.scalar(text("SELECT 1")) == 1


class Database(DependencyProvider):
    """An engine per container (a pool the size of the worker pool) and its session factory."""

    def setup(self) -> None:
        assert_cooperative_psycopg()
        settings = settings_from_nameko()
        url = settings.service_database_url(self.container.service_name)
        self.engine = make_engine(url, settings.max_workers, settings.database_role, settings)
        self.sessions = make_session_factory(self.engine)
        self.signer = ContextSigner.from_settings(settings)
        relays = [d for d in self.container.dependencies if isinstance(d, OutboxRelay)]
        self.relay = relays[0] if relays else None

    def stop(self) -> None:
        self.engine.dispose()

    def kill(self) -> None:
        # A killed container (nameko kills on a dependency's failure, and test runners at
        # teardown) closes its connections too, not when the engine is garbage collected:
        # until then they held PostgreSQL's connection slots.
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> DatabaseAccess:
        return DatabaseAccess(self, worker_ctx)


class BassinService:
    """Base of every Bassin nameko service: its database, its outbox relay, its log context."""

    name: str

    db = Database()
    outbox = OutboxRelay()
    log_context = LogContext()
    observability = Observability()

    @edge_rpc(expected_exceptions=DOMAIN_ERRORS)
    def seed(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """Run a batch of this service's own RPCs in ONE unit of work: the demo loader's
        fast path (``bassin_dev.demo``), thousands of records in one call and one commit.

        Each operation ``{"call": "create_pool", "args": [...], "as": "p1", "full": False}``
        is checked, loaded and run exactly as that RPC alone (its permission for the
        caller, its input schema, its use case, its events to the outbox); a text argument
        ``"@p1.sites.0.id"`` is a path into the result of an earlier operation of the batch
        named ``as``. It grants nothing the caller could not do call by call. Returns each
        named result's ``id`` (its whole result with ``"full": true``); any failure rolls
        the whole batch back, naming the operation."""
        named: dict[str, Any] = {}
        returned: dict[str, Any] = {}
        with _transient_as_unavailable("seed"), self.db.unit_of_work() as uow:
            for index, operation in enumerate(operations):
                entrypoint = getattr(type(self), operation["call"], None)
                if not hasattr(entrypoint, "run_in"):
                    raise ValidationFailed(f"operation {index}: {operation['call']} is not an RPC of {self.name}")
                try:
                    arguments = _resolved(operation.get("args", []), named)
                except (KeyError, IndexError, TypeError) as missing:
                    raise ValidationFailed(f"operation {index}: no earlier result has {missing}") from None
                try:
                    result = entrypoint.run_in(self, uow, arguments, dump="as" in operation)
                except DomainError as error:
                    error.args = (f"operation {index} ({operation['call']}): {error.detail}", *error.args[1:])
                    raise
                if name := operation.get("as"):
                    named[name] = result
                    returned[name] = result if operation.get("full") else (result or {}).get("id")
        return returned

    @edge_rpc
    def health(self) -> dict[str, Any]:
        """Liveness of this service and its database, for operators and the start command."""
        return {"service": self.name, "database": "ok" if self.db.ping() else "failing"}
