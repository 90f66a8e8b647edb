"""The exchanges and queues of a service, derived from its own declarations.

A producer publishes to its topic exchange ``<producer>.events`` with the event type as
routing key. A consumer subscribes with ``consume(producer, event_type, View, use_case)``;
each subscription gets a durable queue bound to the producer's exchange, named as
nameko names its own (``evt-<producer>-<event>--<consumer>.<handler>``), and beside it:

  ``Q.retry.N``  holding queues, one per retry delay, whose messages expire back
                 into ``Q`` through the default exchange;
  ``Q.dead``     the dead-letter queue operators inspect and replay
                 (``bassin-dead-letters``).

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


def consumer_queue(subscription: Subscription) -> Queue:
    return Queue(
        subscription.queue_name,
        exchange=event_exchange(subscription.producer),
        routing_key=subscription.event_type,
        durable=True,
        auto_delete=False,
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
    return Queue(subscription.dead_letter_queue_name, durable=True)


def declare(connection: Connection, service: str, subscriptions: Iterable[Subscription], retry_levels: int) -> None:
    """Declare ``service``'s own exchange and, for each of its subscriptions, the
    producer's exchange, the consumer queue, its retry queues and its dead-letter queue."""
    channel = connection.default_channel
    event_exchange(service)(channel).declare()
    for subscription in subscriptions:
        event_exchange(subscription.producer)(channel).declare()
        consumer_queue(subscription)(channel).declare()
        dead_letter_queue(subscription)(channel).declare()
        for attempt in range(1, retry_levels + 1):
            retry_queue(subscription, attempt)(channel).declare()


def main(argv: list[str] | None = None) -> int:
    """``bassin-topology``: declare the exchange and queues of every installed service."""
    import argparse

    from bassin_common.config import load_settings
    from bassin_common.registry import installed_services

    parser = argparse.ArgumentParser(prog="bassin-topology", description=main.__doc__)
    parser.add_argument("--amqp-uri", help="defaults to BASSIN_AMQP_URI")
    args = parser.parse_args(argv)
    settings = load_settings()
    services = installed_services()
    with Connection(args.amqp_uri or settings.amqp_uri) as connection:
        for service in services:
            declare(connection, service.name, service.subscriptions, len(settings.retry_delays))
    print(f"declared {sum(len(s.subscriptions) for s in services)} subscription(s) of {len(services)} service(s)")
    return 0
