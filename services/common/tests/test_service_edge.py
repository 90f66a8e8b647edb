"""The service edge in a real nameko container, on PostgreSQL and RabbitMQ, when the
infrastructure misbehaves: a reply that cannot be published, broker connections cut, a
caller that gave up, a database failing for a while under an event consumer.

The service is the platform's own test service, on the platform tests' database
(``common_test_models``): an idempotent RPC making widgets and a consumer making them from
events, whose use case fails as a test tells it to.
"""

from __future__ import annotations

import gc
import json
import time
import uuid
from collections import Counter
from typing import Any
from unittest import mock

import psycopg
import pytest
import sqlalchemy.exc
from common_test_models import PLATFORM_TESTS, Widget, WidgetIn, WidgetOrdered, WidgetOut
from eventlet.event import Event as GreenEvent
from kombu import Connection
from nameko.containers import ServiceContainer
from nameko.rpc import Responder
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bassin_common.database import psycopg_conninfo
from bassin_common.errors import Unavailable
from bassin_common.events import Event
from bassin_common.permissions import MANAGE_STOCK
from bassin_common.service import BassinService, consume, rpc
from bassin_common.tenancy import TENANT_KEY
from bassin_common.testing import publish_event, rpc_client, wait_until
from bassin_common.topology import Subscription
from bassin_common.uow import UnitOfWork

# name -> what the use case raises on each of its next calls; and every call, by name
FAILURES: dict[str, list[Exception]] = {}
CALLS: Counter[str] = Counter()
HOLDS: dict[str, GreenEvent] = {}  # name -> what its use case waits for


def make_widget(uow: UnitOfWork, data: dict[str, Any]) -> Widget:
    CALLS[data["name"]] += 1
    if FAILURES.get(data["name"]):
        raise FAILURES[data["name"]].pop(0)
    if data["name"] in HOLDS:
        HOLDS[data["name"]].wait()
    widget = Widget(name=data["name"])
    uow.session.add(widget)
    uow.session.flush()
    return widget


class EdgeService(BassinService):
    name = PLATFORM_TESTS  # its database is the platform tests'

    @rpc(requires=MANAGE_STOCK, accepts=WidgetIn, returns=WidgetOut, idempotent=True)
    def make(self, uow: UnitOfWork, widget: dict[str, Any]) -> Widget:
        return make_widget(uow, widget)

    on_widget_ordered = consume(
        "elsewhere", "widget_ordered", WidgetOrdered, make_widget, applies_to=lambda data: data["name"] != "not-ours"
    )


QUEUE = Subscription("elsewhere", "widget_ordered", PLATFORM_TESTS, "on_widget_ordered").queue_name


@pytest.fixture
def edge(platform_database: str, service_config: dict[str, Any], container_factory: Any) -> ServiceContainer:
    FAILURES.clear()
    CALLS.clear()
    HOLDS.clear()
    container = container_factory(EdgeService, service_config)
    container.start()
    return container


def widgets(sessions: Any, tenant: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    with sessions(info={TENANT_KEY: tenant}) as session:
        return sorted(session.execute(select(Widget.id, Widget.name)).tuples(), key=lambda widget: widget[1])


def widget_names(sessions: Any, tenant: uuid.UUID) -> list[str]:
    return [name for _, name in widgets(sessions, tenant)]


def messages_in(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def alive(container: ServiceContainer) -> bool:
    return not container._died.ready()


def test_a_reply_that_cannot_be_published_leaves_the_container_alive_and_is_answered_once(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID, caplog: Any, amqp_uri: str
) -> None:
    publish = Responder.send_response
    lost = ConnectionResetError(104, "Connection reset by peer: pyamqp://guest:s3cret@rabbit:5672/")

    def broker_gone_once(responder: Responder, *args: Any) -> Any:
        if not getattr(broker_gone_once, "failed", False):
            broker_gone_once.failed = True  # type: ignore[attr-defined]
            raise lost
        return publish(responder, *args)

    with (
        mock.patch.object(Responder, "send_response", autospec=True, side_effect=broker_gone_once),
        rpc_client(tenant_id, request_id="ticket-1") as client,
    ):
        answer = client.platform_tests.make({"name": "W-1"})  # redelivered, then answered
    assert alive(edge)
    assert CALLS["W-1"] == 1  # the redelivery got the stored response: the use case ran once
    [(widget_id, name)] = widgets(sessions, tenant_id)
    assert answer == {"id": str(widget_id), "name": name}
    [warning] = [r.getMessage() for r in caplog.records if "could not publish the reply" in r.getMessage()]
    assert "s3cret" not in warning and "guest:***@rabbit" in warning
    # The container still serves, and the request was acknowledged in the end.
    with rpc_client(tenant_id, request_id="ticket-2") as client:
        assert client.platform_tests.make({"name": "W-2"})["name"] == "W-2"
    assert messages_in(amqp_uri, f"rpc-{PLATFORM_TESTS}") == 0


def test_the_container_reconnects_after_its_broker_connections_are_cut(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID, rabbit_manager: Any, amqp_uri: str, caplog: Any
) -> None:
    with rpc_client(tenant_id, request_id="before") as client:
        client.platform_tests.make({"name": "W-before"})
    vhost = amqp_uri.rsplit("/", 1)[-1]

    def open_connections() -> list[str]:
        """The service's connections, once the management API lists them (it lags a little)."""
        return [c["name"] for c in rabbit_manager.get_connections() if c.get("vhost") == vhost]

    connections = wait_until(open_connections, timeout=30, interval=0.5)
    for name in connections:  # what a broker restart does to the service's connections
        rabbit_manager._delete("connections", name)

    def consumers_lost_their_connections() -> bool:
        return sum("Connection to broker lost" in r.getMessage() for r in caplog.records) >= 2  # RPC and event

    wait_until(consumers_lost_their_connections)

    def answered() -> bool:
        try:
            with rpc_client(tenant_id, request_id="after") as client:
                return client.platform_tests.make({"name": "W-after"})["name"] == "W-after"
        except Exception:  # the broker is still sorting out the cut connections
            return False

    wait_until(answered, timeout=30, interval=0.5)
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-event"}))
    wait_until(lambda: "W-event" in widget_names(sessions, tenant_id), timeout=30)
    assert alive(edge)
    assert widget_names(sessions, tenant_id) == ["W-after", "W-before", "W-event"]


def test_a_request_whose_caller_gave_up_is_never_executed(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID
) -> None:
    with (
        rpc_client(tenant_id, request_id="late", deadline=time.time() - 0.5) as client,
        pytest.raises(Unavailable, match="stopped waiting"),
    ):
        client.platform_tests.make({"name": "W-late"})
    with rpc_client(tenant_id, request_id="in-time", deadline=time.time() + 30) as client:
        client.platform_tests.make({"name": "W-in-time"})
    assert (CALLS["W-late"], widget_names(sessions, tenant_id)) == (0, ["W-in-time"])


def test_a_database_failing_for_a_while_under_a_consumer_delays_the_event_but_never_dead_letters_it(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID, amqp_uri: str, test_settings: Any
) -> None:
    attempts = len(test_settings.retry_delays) + 1  # what a failing handler gets before the dead letters
    failover = psycopg.OperationalError("connection to server at 10.0.0.5 failed: Connection refused")
    FAILURES["W-failover"] = [sqlalchemy.exc.OperationalError("SELECT 1", {}, failover) for _ in range(attempts + 3)]
    FAILURES["W-bug"] = [RuntimeError("a bug") for _ in range(attempts + 3)]
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-failover"}))
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-bug"}))
    wait_until(lambda: "W-failover" in widget_names(sessions, tenant_id), timeout=30)
    assert CALLS["W-failover"] == attempts + 4  # every transient failure retried, then applied
    # A failure of the handler itself still gets its attempts, then the dead-letter queue.
    wait_until(lambda: messages_in(amqp_uri, f"{QUEUE}.dead") == 1, timeout=30)
    assert CALLS["W-bug"] == attempts
    assert widget_names(sessions, tenant_id) == ["W-failover"]
    with Connection(amqp_uri) as connection:
        dead = connection.channel().basic_get(f"{QUEUE}.dead", no_ack=True)  # as declared: a quorum queue
        assert json.loads(dead.body)["data"] == {"name": "W-bug"}


def test_an_idempotent_rpc_answers_a_repeat_with_the_first_response(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID
) -> None:
    with rpc_client(tenant_id, request_id="ticket-9") as client:
        first = client.platform_tests.make({"name": "W-9"})
        assert client.platform_tests.make({"name": "W-9"}) == first
    with rpc_client(tenant_id) as client:  # an internal caller, no request id: runs
        client.platform_tests.make({"name": "W-10"})
    assert (CALLS["W-9"], widget_names(sessions, tenant_id)) == (1, ["W-10", "W-9"])


def test_events_delivered_meanwhile_are_applied_as_one_batch_and_a_failing_one_alone(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID, amqp_uri: str, test_settings: Any
) -> None:
    handler = next(e for e in edge.entrypoints if getattr(e, "method_name", None) == "on_widget_ordered")
    HOLDS["W-hold"] = GreenEvent()
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-hold"}))
    wait_until(lambda: CALLS["W-hold"] == 1, timeout=30)  # the consumer is busy with it
    FAILURES["W-bug"] = [RuntimeError("a bug") for _ in range(len(test_settings.retry_delays) + 2)]
    for name in ("W-a", "W-bug", "W-b"):
        publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": name}))
    wait_until(lambda: len(handler._gathered) == 3, timeout=30)  # the next batch, waiting
    HOLDS["W-hold"].send()
    wait_until(lambda: len(widget_names(sessions, tenant_id)) == 3, timeout=30)
    # The batch failed on W-bug and was rolled back (W-a had run in it); then each event
    # was applied alone: the good ones once, the bad one retried, then dead-lettered.
    wait_until(lambda: messages_in(amqp_uri, f"{QUEUE}.dead") == 1, timeout=30)
    assert widget_names(sessions, tenant_id) == ["W-a", "W-b", "W-hold"]
    assert (CALLS["W-a"], CALLS["W-b"]) == (2, 1)
    assert messages_in(amqp_uri, QUEUE) == 0
    with Connection(amqp_uri) as connection:
        dead = connection.channel().basic_get(f"{QUEUE}.dead", no_ack=True)  # as declared: a quorum queue
        assert json.loads(dead.body)["data"] == {"name": "W-bug"}

    # A batch that succeeds commits all its events at once; each is acknowledged.
    HOLDS["W-hold-2"] = GreenEvent()
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-hold-2"}))
    wait_until(lambda: CALLS["W-hold-2"] == 1, timeout=30)
    for name in ("W-c", "W-d"):
        publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": name}))
    wait_until(lambda: len(handler._gathered) == 2, timeout=30)
    HOLDS["W-hold-2"].send()
    wait_until(lambda: "W-d" in widget_names(sessions, tenant_id), timeout=30)
    assert (CALLS["W-c"], CALLS["W-d"]) == (1, 1)
    wait_until(lambda: messages_in(amqp_uri, QUEUE) == 0, timeout=30)


def test_an_event_that_does_not_concern_the_handler_is_acknowledged_without_a_transaction(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID, amqp_uri: str
) -> None:
    ignored = Event("widget_ordered", tenant_id, "elsewhere", {"name": "not-ours"})
    publish_event(amqp_uri, ignored)
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-ours"}))
    wait_until(lambda: "W-ours" in widget_names(sessions, tenant_id), timeout=30)
    wait_until(lambda: messages_in(amqp_uri, QUEUE) == 0, timeout=30)  # both acknowledged
    assert CALLS["not-ours"] == 0
    with sessions() as session:  # no claim in the inbox: nothing was applied, nothing to remember
        claimed = session.scalar(
            text("SELECT count(*) FROM processed_events WHERE event_id = :id"), {"id": ignored.event_id}
        )
    assert claimed == 0
    assert messages_in(amqp_uri, f"{QUEUE}.dead") == 0


def test_a_killed_container_releases_its_database_connections(
    edge: ServiceContainer, platform_database: str, runtime_settings: Any
) -> None:
    """nameko kills a container when a dependency fails (and test runners kill theirs):
    its connections are closed then, not whenever the garbage collector gets to them."""
    tenant = uuid.uuid4()
    with rpc_client(tenant) as rpc:
        rpc.platform_tests.make({"name": "before the kill"})
    login = make_url(runtime_settings.database_url).username

    def connections() -> int:
        with psycopg.connect(psycopg_conninfo(platform_database)) as watcher:
            return watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND datname = current_database()", (login,)
            ).fetchone()[0]

    assert connections() > 0
    gc.disable()  # no collection may close them for the container
    try:
        edge.kill()
        assert connections() == 0
    finally:
        gc.enable()
