"""Quorum consumer queues on the real broker, each test in a vhost of its own: the move
of classic queues while producers keep publishing, and a poison message (its handler
kills the process) dead-lettered after the delivery limit, with real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet
import pytest
from common_test_models import PLATFORM_TESTS, Widget
from kombu import Connection, Queue
from sqlalchemy import select

from bassin_common import deadletters, quorum, topology
from bassin_common.config import Settings, load_settings
from bassin_common.events import Event
from bassin_common.registry import ServiceInfo
from bassin_common.signing import EVENT_SIGNATURE_HEADER, ContextSigner
from bassin_common.tenancy import TENANT_KEY
from bassin_common.testing import DEFAULT_MANAGEMENT_URI, wait_until
from bassin_common.topology import Subscription

SUPPORT = Path(__file__).parent / "support"
SUBSCRIPTION = Subscription("elsewhere", "widget_ordered", PLATFORM_TESTS, "on_widget_ordered")
MANAGEMENT_URI = os.environ.get("BASSIN_RABBIT_MANAGEMENT_URI", DEFAULT_MANAGEMENT_URI)


def vhost_of(amqp_uri: str) -> str:
    return amqp_uri.rsplit("/", 1)[1]


def order(amqp_uri: str, names: list[str], tenant_id: uuid.UUID | None = None) -> None:
    """Publish ``widget_ordered`` events as a producer's relay does (persistent, confirmed,
    signed: a consumer dead-letters an unsigned event at once)."""
    exchange = topology.event_exchange("elsewhere")
    signer = ContextSigner.from_settings(load_settings())
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for name in names:
            message = Event("widget_ordered", tenant_id or uuid.uuid4(), "elsewhere", {"name": name}).to_message()
            producer.publish(
                message,
                exchange=exchange,
                routing_key="widget_ordered",
                serializer="json",
                headers={EVENT_SIGNATURE_HEADER: signer.sign_event(message)},
            )


def drain(amqp_uri: str, queue: str) -> list[dict[str, Any]]:
    bodies = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def queue_types(rabbit_manager: Any, vhost: str) -> dict[str, str]:
    return {queue["name"]: queue["type"] for queue in rabbit_manager.get_queues(vhost)}


# --- classic to quorum -----------------------------------------------------------------


def declare_as_before(amqp_uri: str, subscription: Subscription, retry_levels: int) -> None:
    """The queues as the platform declared them before ADR 0036: classic, no arguments."""
    exchange = topology.event_exchange(subscription.producer)
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        Queue(subscription.queue_name, exchange, routing_key=subscription.event_type, durable=True)(channel).declare()
        Queue(subscription.dead_letter_queue_name, durable=True)(channel).declare()
        for level in range(1, retry_levels + 1):
            topology.retry_queue(subscription, level)(channel).declare()


def test_classic_queues_become_quorum_queues_with_every_message_once_while_events_keep_coming(
    amqp_uri: str, rabbit_manager: Any, test_settings: Settings
) -> None:
    vhost = vhost_of(amqp_uri)
    declare_as_before(amqp_uri, SUBSCRIPTION, len(test_settings.retry_delays))
    waiting = [f"W-{index}" for index in range(300)]
    order(amqp_uri, waiting)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        for index in range(2):  # two dead letters, published as the consumer sets them aside
            connection.Producer().publish({"dead": index}, routing_key=SUBSCRIPTION.dead_letter_queue_name)
    assert queue_types(rabbit_manager, vhost)[SUBSCRIPTION.queue_name] == "classic"

    # A producer keeps publishing, one event after the other, before, during and after the move.
    late: list[str] = []
    moving = {"done": False}

    def keep_ordering() -> None:
        while not moving["done"]:
            name = f"late-{len(late)}"
            order(amqp_uri, [name])
            late.append(name)

    producer = eventlet.spawn(keep_ordering)
    wait_until(lambda: len(late) >= 3)
    before = len(late)
    with Connection(amqp_uri) as connection:
        migrated = quorum.migrate_subscriptions(connection, [SUBSCRIPTION], test_settings.retry_delays)
    during = len(late) - before
    moving["done"] = True
    producer.wait()

    assert migrated == [SUBSCRIPTION.dead_letter_queue_name, SUBSCRIPTION.queue_name]
    assert during > 0, "no event was published while the queues moved"
    types = queue_types(rabbit_manager, vhost)
    assert types[SUBSCRIPTION.queue_name] == types[SUBSCRIPTION.dead_letter_queue_name] == "quorum"
    assert not [name for name in types if name.endswith(quorum.HOLDING_SUFFIX)]
    names = Counter(body["data"]["name"] for body in drain(amqp_uri, SUBSCRIPTION.queue_name))
    assert set(names) == {*waiting, *late}  # every one: none lost
    assert all(names[name] == 1 for name in waiting)  # those waiting in Q: once
    # Published while the queues moved: once, or in migrate_queue's one race (a copy routed
    # to both at the switch that reaches Q late) twice, which the consumer's inbox ignores.
    assert set(names.values()) <= {1, 2}
    assert sorted(body["dead"] for body in drain(amqp_uri, SUBSCRIPTION.dead_letter_queue_name)) == [0, 1]

    # The new queue has the binding: an event published now reaches it; a second run moves nothing.
    order(amqp_uri, ["after"])
    assert [body["data"]["name"] for body in drain(amqp_uri, SUBSCRIPTION.queue_name)] == ["after"]
    with Connection(amqp_uri) as connection:
        assert quorum.migrate_subscriptions(connection, [SUBSCRIPTION], test_settings.retry_delays) == []


def test_a_queue_with_a_consumer_is_not_moved(amqp_uri: str, rabbit_manager: Any, test_settings: Settings) -> None:
    declare_as_before(amqp_uri, SUBSCRIPTION, 0)
    order(amqp_uri, ["W-1"])
    with Connection(amqp_uri) as consumer, Connection(amqp_uri) as connection:
        channel = consumer.channel()
        channel.basic_qos(0, 0, False)
        channel.basic_consume(SUBSCRIPTION.queue_name, callback=lambda message: None)
        with pytest.raises(quorum.MigrationBlocked, match="consumer"):
            quorum.migrate_queue(connection, topology.consumer_queue(SUBSCRIPTION))
    assert queue_types(rabbit_manager, vhost_of(amqp_uri))[SUBSCRIPTION.queue_name] == "classic"
    assert [body["data"]["name"] for body in drain(amqp_uri, SUBSCRIPTION.queue_name)] == ["W-1"]


# --- a poison message ------------------------------------------------------------------

DELIVERY_LIMIT = 2  # small, so the test is quick; the default is 5


class Supervisor:
    """Runs the test-only ``poison_probe`` service as a real process and, as a container
    orchestrator would, starts it again whenever it dies, keeping each exit code."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(SUPPORT), env.get("PYTHONPATH")]))}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.exits: list[int] = []

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "poison_probe"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def supervise(self) -> bool:
        """Restart the process if it died; True while it is up."""
        assert self.process is not None
        if (code := self.process.poll()) is not None:
            self.exits.append(code)
            self.start()
            return False
        return True

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def supervisor(process_environment: dict[str, str], tmp_path: Path) -> Iterator[Supervisor]:
    supervised = Supervisor(process_environment, tmp_path / "poison_probe.log")
    yield supervised
    supervised.stop()


def test_a_message_that_kills_its_consumer_is_dead_lettered_after_the_delivery_limit_and_the_service_goes_on(
    platform_database: str,
    process_environment: dict[str, str],
    supervisor: Supervisor,
    test_settings: Settings,
    sessions: Any,
    tenant_id: uuid.UUID,
    rabbit_manager: Any,
) -> None:
    from poison_probe import EXIT_CODE, POISON, PoisonProbe

    amqp_uri = process_environment["BASSIN_AMQP_URI"]
    vhost = vhost_of(amqp_uri)
    settings = test_settings.replace(
        amqp_uri=amqp_uri, delivery_limit=DELIVERY_LIMIT, rabbit_management_uri=MANAGEMENT_URI
    )
    (subscription,) = ServiceInfo.of(PoisonProbe).subscriptions
    assert subscription == SUBSCRIPTION
    with Connection(amqp_uri) as connection:  # the topology step of a release
        topology.prepare_and_declare(connection, settings, PLATFORM_TESTS, [subscription])

    def applied() -> dict[str, Any]:
        """The queue as the management API shows it, once it shows the policy (stats lag)."""
        queue = rabbit_manager.get_queue(vhost, subscription.queue_name)
        return queue if queue.get("policy") else {}

    queue = wait_until(applied)
    assert (queue["type"], queue["policy"]) == ("quorum", quorum.DELIVERY_LIMIT_POLICY)
    assert queue["effective_policy_definition"]["delivery-limit"] == DELIVERY_LIMIT

    supervisor.start()
    order(amqp_uri, [POISON], tenant_id)

    def dead_lettered() -> bool:
        supervisor.supervise()
        with Connection(amqp_uri) as connection:
            return deadletters.list_dead_letters(connection, [subscription]) != []

    wait_until(dead_lettered, timeout=240, interval=0.2)
    # The last crash may be seen just after its message reached the dead letters.
    wait_until(lambda: supervisor.supervise() and len(supervisor.exits) >= DELIVERY_LIMIT + 1, timeout=60)
    # Delivered once, then once again per allowed redelivery: each time the process died.
    assert supervisor.exits == [EXIT_CODE] * (DELIVERY_LIMIT + 1)
    with Connection(amqp_uri) as connection:
        (letter,) = deadletters.list_dead_letters(connection, [subscription])
    assert letter.queue == subscription.queue_name and letter.tenant_id == str(tenant_id)
    assert letter.event_type == "widget_ordered" and "delivery limit" in letter.error

    # The service is up, and consumes the next events as usual.
    order(amqp_uri, ["W-after-1", "W-after-2"], tenant_id)

    def widgets() -> list[str]:
        with sessions(info={TENANT_KEY: tenant_id}) as session:
            return sorted(session.scalars(select(Widget.name)))

    wait_until(lambda: supervisor.supervise() and widgets() == ["W-after-1", "W-after-2"], timeout=60)
    assert supervisor.exits == [EXIT_CODE] * (DELIVERY_LIMIT + 1)  # no crash since
