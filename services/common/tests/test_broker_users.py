"""Each component's own RabbitMQ user, against the real broker: it publishes to its own
events exchange and no other, consumes its own queues and no other, and can start.

The test's vhost (nameko's ``rabbit_config``) and users (``broker_users``) are its own,
deleted after it. Publishes are confirmed, so a refusal is observed where it happens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection
from nameko import config as nameko_config

from bassin_common import deadletters, topology
from bassin_common.broker_users import GATEWAY, SCHEDULER
from bassin_common.config import load_settings
from bassin_common.registry import ServiceInfo, installed_services
from bassin_common.testing import declare_installed_topology

SERVICES: dict[str, ServiceInfo] = {service.name: service for service in installed_services()}
# A service that subscribes to events, and another one (the platform names none itself).
CONSUMER = next(service for service in SERVICES.values() if service.subscriptions)
OTHER = next(name for name in SERVICES if name != CONSUMER.name)


@contextmanager
def channel(uri: str) -> Iterator[Any]:
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        yield connection.channel()


def publish(uri: str, exchange: str, routing_key: str) -> None:
    with channel(uri) as opened:
        opened.basic_publish(opened.prepare_message(b"{}"), exchange=exchange, routing_key=routing_key)


def refused(action: Any, *args: Any) -> bool:
    try:
        action(*args)
    except AccessRefused as refusal:
        assert refusal.reply_code == 403
        return True
    return False


@pytest.fixture
def topology_declared(rabbit_config: None) -> None:
    """What the release's one-shot step declares, as an administrator."""
    declare_installed_topology(nameko_config["AMQP_URI"])


def test_a_service_publishes_its_own_events_and_no_other_services(
    topology_declared: None, broker_users: dict[str, str]
) -> None:
    for name in SERVICES:
        publish(broker_users[name], f"{name}.events", "anything_happened")  # confirmed: accepted
        others = [other for other in SERVICES if other != name]
        assert all(refused(publish, broker_users[name], f"{other}.events", "sale_completed") for other in others)
    for client in (GATEWAY, SCHEDULER):
        assert all(refused(publish, broker_users[client], f"{name}.events", "sale_completed") for name in SERVICES)


def test_no_component_puts_a_message_straight_into_a_queue(
    topology_declared: None, broker_users: dict[str, str]
) -> None:
    """The default exchange routes to any queue by its name: nobody may write to it, so no
    one forges an event into another service's consumer queue."""
    queue = CONSUMER.subscriptions[0].queue_name
    assert all(refused(publish, uri, "", queue) for uri in broker_users.values())


def test_a_service_consumes_its_own_queues_and_no_other_services(
    topology_declared: None, broker_users: dict[str, str]
) -> None:
    def get(uri: str, queue: str) -> None:
        with channel(uri) as opened:
            opened.basic_get(queue)

    me = CONSUMER.name
    for name in (me, OTHER):  # what nameko's RPC consumer declares, as the service
        with channel(broker_users[name]) as opened:
            opened.exchange_declare("nameko-rpc", "topic", durable=True, auto_delete=False)
            opened.queue_declare(f"rpc-{name}", durable=True, auto_delete=False)
            opened.queue_bind(f"rpc-{name}", "nameko-rpc", f"{name}.*")
    own = CONSUMER.subscriptions[0]
    get(broker_users[me], own.queue_name)
    get(broker_users[me], own.dead_letter_queue_name)
    get(broker_users[me], f"rpc-{me}")
    foreign = [s for name, service in SERVICES.items() if name != me for s in service.subscriptions]
    assert foreign
    assert all(refused(get, broker_users[me], s.queue_name) for s in foreign)
    assert refused(get, broker_users[me], f"rpc-{OTHER}")
    assert refused(get, broker_users[GATEWAY], f"rpc-{OTHER}")


def test_a_service_cannot_subscribe_to_what_it_does_not_consume_nor_delete_an_exchange(
    topology_declared: None, broker_users: dict[str, str]
) -> None:
    me = CONSUMER.name
    subscribed = {s.producer for s in CONSUMER.subscriptions}
    unsubscribed = next(name for name in SERVICES if name not in subscribed and name != me)

    def bind(exchange: str) -> None:
        with channel(broker_users[me]) as opened:
            opened.queue_bind(CONSUMER.subscriptions[0].queue_name, exchange, "#")

    def delete(exchange: str) -> None:
        with channel(broker_users[me]) as opened:
            opened.exchange_delete(exchange)

    assert refused(bind, f"{unsubscribed}.events")
    assert refused(delete, f"{OTHER}.events")
    assert refused(delete, f"{me}.events")


def test_each_service_starts_with_its_own_user_and_retries_through_its_own_exchange(
    topology_declared: None, broker_users: dict[str, str]
) -> None:
    """What a service does at start (``topology.ensure``: check, bind its own queues) and
    when a handler fails (a copy to its retry queue through ``<service>.retry``)."""
    retry_levels = len(load_settings().retry_delays)
    for name, service in SERVICES.items():
        with Connection(broker_users[name]) as connection:
            topology.ensure(connection, name, service.subscriptions, retry_levels)
    target = topology.retry_queue(CONSUMER.subscriptions[0], 1)
    publish(broker_users[CONSUMER.name], target.exchange.name, target.routing_key)
    with channel(broker_users[CONSUMER.name]) as opened:
        assert opened.basic_get(target.name, no_ack=True) is not None
    # Another service cannot use this one's retry exchange to reach its queues.
    assert refused(publish, broker_users[OTHER], target.exchange.name, target.routing_key)


def test_a_missing_exchange_is_not_declared_by_a_service_user(broker_users: dict[str, str]) -> None:
    """Without the topology step, a service's own user cannot declare it: it says so."""
    with Connection(broker_users[CONSUMER.name]) as connection, pytest.raises(AccessRefused):
        topology.ensure(connection, CONSUMER.name, CONSUMER.subscriptions, 1)


def test_a_service_replays_its_own_dead_letters_with_its_own_user(
    topology_declared: None, broker_users: dict[str, str]
) -> None:
    """``bassin-dead-letters`` runs in the service's own image, as its own user."""
    subscription = CONSUMER.subscriptions[0]
    dead = topology.dead_letter_queue(subscription)
    publish(broker_users[CONSUMER.name], dead.exchange.name, dead.routing_key)
    with Connection(broker_users[CONSUMER.name], transport_options={"confirm_publish": True}) as connection:
        assert deadletters.replay(connection, queue_name=subscription.queue_name) == 1
    with channel(broker_users[CONSUMER.name]) as opened:
        assert opened.basic_get(subscription.queue_name, no_ack=True) is not None
