"""Every exchange and queue of Bassin, declared from this one definition.

nameko declares a consumer's queue only when the consumer starts, so an event
published before then is dropped by the exchange. Bassin declares the whole
topology up front — at migration time, and again by every service at start-up,
before its outbox relay publishes anything — so a queue exists from the moment
the system is installed. To subscribe a handler to an event, add a line to
``SUBSCRIPTIONS``; ``event_consumer`` refuses to start a handler missing from it.

For each subscription queue ``Q`` there are also:
  ``Q.retry.N``  holding queues, one per retry delay, whose messages expire back
                 into ``Q`` through the default exchange;
  ``Q.dead``     the dead-letter queue operators inspect and replay
                 (``bassin-dead-letters``).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue

from bassin_common.config import load_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    producer: str
    event_type: str
    consumer: str
    handler: str

    @property
    def queue_name(self) -> str:
        # nameko's own naming for SERVICE_POOL handlers, so its tooling still reads it.
        return f"evt-{self.producer}-{self.event_type}--{self.consumer}.{self.handler}"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.queue_name}.dead"

    def retry_queue_name(self, attempt: int) -> str:
        return f"{self.queue_name}.retry.{attempt}"


# Every service that publishes events has its exchange, subscribers or not (yet):
# publishing to an exchange that does not exist would fail.
PRODUCERS = ("customers", "worksites", "sav", "inventory", "pos", "notifications")

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("pos", "sale_completed", "inventory", "on_sale_completed"),
    Subscription("inventory", "reorder_needed", "inventory", "on_reorder_needed"),
    Subscription("inventory", "article_created", "pos", "on_article_created"),
    Subscription("inventory", "location_created", "pos", "on_location_created"),
)


def find_subscription(producer: str, event_type: str, consumer: str, handler: str) -> Subscription:
    wanted = Subscription(producer, event_type, consumer, handler)
    if wanted not in SUBSCRIPTIONS:
        raise LookupError(
            f"{consumer}.{handler} handles {producer}/{event_type} but is not in "
            "bassin_common.topology.SUBSCRIPTIONS: add it there"
        )
    return wanted


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


def declare_topology(connection: Connection, retry_levels: int) -> None:
    """Declare every exchange and queue (idempotent)."""
    channel = connection.default_channel
    for producer in sorted(set(PRODUCERS) | {s.producer for s in SUBSCRIPTIONS}):
        event_exchange(producer)(channel).declare()
    for subscription in SUBSCRIPTIONS:
        consumer_queue(subscription)(channel).declare()
        dead_letter_queue(subscription)(channel).declare()
        for attempt in range(1, retry_levels + 1):
            retry_queue(subscription, attempt)(channel).declare()


def declare_from_settings(amqp_uri: str | None = None) -> None:
    settings = load_settings()
    with Connection(amqp_uri or settings.amqp_uri) as connection:
        declare_topology(connection, len(settings.retry_delays))
    log.info("declared topology: %d subscriptions", len(SUBSCRIPTIONS))


def main() -> None:
    parser = argparse.ArgumentParser(description="Declare Bassin's exchanges and queues.")
    parser.add_argument("--amqp-uri", help="defaults to BASSIN_AMQP_URI")
    args = parser.parse_args()
    declare_from_settings(args.amqp_uri)
    print(f"declared {len(SUBSCRIPTIONS)} subscriptions")
