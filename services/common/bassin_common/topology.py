"""The exchanges and queues of a service, derived from its own declarations.

A producer publishes to its topic exchange ``<producer>.events`` with the event type as
routing key. A consumer subscribes with ``consume(producer, event_type, View, use_case)``;
each subscription gets a durable queue bound to the producer's exchange, named as
nameko names its own (``evt-<producer>-<event>--<consumer>.<handler>``), and beside it:

  ``Q.retry.N``  holding queues, one per retry delay, whose messages expire back
                 into ``Q`` through the default exchange;
  ``Q.dead``     the dead-letter queue operators inspect and replay
                 (``bassin-dead-letters``).

``Q`` and ``Q.dead`` are quorum queues (replicated; ADR 0036): ``Q`` dead-letters into
``Q.dead`` a message delivered more often than the ``bassin-delivery-limit`` policy allows
(``bassin_common.quorum``), one whose handling kills the process each time. The retry
queues stay classic: they hold a copy for seconds, and expire it back into ``Q``.

nameko declares a consumer's queue only when the consumer starts, so an event published
before then would be dropped by the exchange. So every service declares its own exchange
and queues when it is migrated (``bassin-migrate``, before any service of a release
starts) and again at start, before its outbox relay publishes; ``bassin-topology``
declares those of every installed service. Declaring is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kombu import Connection, Exchange, Queue


@dataclass(frozen=True)
class Subscription:
    producer: str
    event_type: str
    consumer: str
    handler: str
    # The consumer's EventView of the data (what the contract tests load examples into).
    view: type[Any] | None = field(default=None, compare=False)

    @property
    def queue_name(self) -> str:
        # nameko's own naming for SERVICE_POOL handlers, so its tooling still reads it.
        return f"evt-{self.producer}-{self.event_type}--{self.consumer}.{self.handler}"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.queue_name}.dead"

    def retry_queue_name(self, attempt: int) -> str:
        return f"{self.queue_name}.retry.{attempt}"


def event_exchange(producer: str) -> Exchange:
    # Same attributes as nameko's get_event_exchange, so redeclaring never conflicts.
    return Exchange(f"{producer}.events", type="topic", durable=True, delivery_mode="persistent")


QUORUM = {"x-queue-type": "quorum"}


def consumer_queue(subscription: Subscription) -> Queue:
    return Queue(
        subscription.queue_name,
        exchange=event_exchange(subscription.producer),
        routing_key=subscription.event_type,
        durable=True,
        auto_delete=False,
        # Past the policy's delivery limit, into Q.dead (by argument: a policy cannot name
        # each queue's own dead letters).
        queue_arguments={
            **QUORUM,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": subscription.dead_letter_queue_name,
        },
    )


def retry_queue(subscription: Subscription, attempt: int) -> Queue:
    return Queue(
        subscription.retry_queue_name(attempt),
        durable=True,
        queue_arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": subscription.queue_name,
        },
    )


def dead_letter_queue(subscription: Subscription) -> Queue:
    return Queue(subscription.dead_letter_queue_name, durable=True, queue_arguments=dict(QUORUM))


def declare(connection: Connection, service: str, subscriptions: Iterable[Subscription], retry_levels: int) -> None:
    """Declare ``service``'s own exchange and, for each of its subscriptions, the
    producer's exchange, the consumer queue, its retry queues and its dead-letter queue.

    A consumer queue still classic (declared before they were quorum queues) fails here
    with PRECONDITION_FAILED: the topology step (``prepare_and_declare``) migrates it."""
    channel = connection.default_channel
    event_exchange(service)(channel).declare()
    for subscription in subscriptions:
        event_exchange(subscription.producer)(channel).declare()
        dead_letter_queue(subscription)(channel).declare()
        consumer_queue(subscription)(channel).declare()
        for attempt in range(1, retry_levels + 1):
            retry_queue(subscription, attempt)(channel).declare()


def prepare_and_declare(
    connection: Connection, settings: Any, service: str, subscriptions: Iterable[Subscription]
) -> list[str]:
    """The topology step of a release for one service: its classic queues migrated to
    quorum queues and the delivery-limit policy set (``bassin_common.quorum``), then
    everything declared. Returns the queues migrated."""
    from bassin_common import quorum

    subscriptions = list(subscriptions)
    migrated = quorum.prepare(connection, settings, subscriptions)
    declare(connection, service, subscriptions, len(settings.retry_delays))
    return migrated


def main(argv: list[str] | None = None) -> int:
    """``bassin-topology``: declare the exchange and queues of every installed service
    (migrating classic consumer queues to quorum queues, setting the delivery limit)."""
    import argparse

    from bassin_common.config import load_settings
    from bassin_common.registry import installed_services

    parser = argparse.ArgumentParser(prog="bassin-topology", description=main.__doc__)
    parser.add_argument("--amqp-uri", help="defaults to BASSIN_AMQP_URI")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.amqp_uri:
        settings = settings.replace(amqp_uri=args.amqp_uri)
    services = installed_services()
    with Connection(settings.amqp_uri) as connection:
        for service in services:
            for name in prepare_and_declare(connection, settings, service.name, service.subscriptions):
                print(f"{name}: migrated to a quorum queue")
    print(f"declared {sum(len(s.subscriptions) for s in services)} subscription(s) of {len(services)} service(s)")
    return 0
