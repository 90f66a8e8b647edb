"""The exchanges and queues of a service, derived from its own declarations.

A producer publishes to its topic exchange ``<producer>.events`` with the event type as
routing key. A consumer subscribes with ``consume(producer, event_type, View, use_case)``;
each subscription gets a durable queue bound to the producer's exchange, named as
nameko names its own (``evt-<producer>-<event>--<consumer>.<handler>``), and beside it:

  ``Q.retry.N``  holding queues, one per retry delay, whose messages expire back
                 into ``Q`` through the default exchange;
  ``Q.dead``     the dead-letter queue operators inspect and replay
                 (``bassin-dead-letters``).

The consumer publishes a failed message to one of these through its own direct exchange
``<consumer>.retry``, to which each is bound by its name: never through the default
exchange, on which a write permission would let it put messages in any queue
(``bassin_common.broker_users``: each component's RabbitMQ user and permissions).

``Q`` and ``Q.dead`` are quorum queues (replicated; ADR 0036): ``Q`` dead-letters into
``Q.dead`` a message delivered more often than the ``bassin-delivery-limit`` policy allows
(``bassin_common.quorum``), one whose handling kills the process each time. The retry
queues stay classic: they hold a copy for seconds, and expire it back into ``Q``.

nameko declares a consumer's queue only when the consumer starts, so an event published
before then would be dropped by the exchange. So every service's exchange and queues are
declared when it is migrated (``bassin-migrate``, before any service of a release starts;
``bassin-topology`` declares those of every installed service), as an administrator.
Declaring is idempotent. At start, before its consumers and its relay, a service
``ensure``s them: it checks each one (passively, which takes no permission), declares
only what is missing (a developer's broker user may; a service's own user may not) and
binds its own queues again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from amqp.exceptions import ChannelError
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


def retry_exchange(consumer: str) -> Exchange:
    """Where ``consumer`` publishes its failed messages and its operators replay them: bound
    to each of its consumer, retry and dead-letter queues by the queue's name."""
    return Exchange(f"{consumer}.retry", type="direct", durable=True, delivery_mode="persistent")


def retry_queue(subscription: Subscription, attempt: int) -> Queue:
    name = subscription.retry_queue_name(attempt)
    return Queue(
        name,
        exchange=retry_exchange(subscription.consumer),
        routing_key=name,
        durable=True,
        queue_arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": subscription.queue_name,
        },
    )


def dead_letter_queue(subscription: Subscription) -> Queue:
    name = subscription.dead_letter_queue_name
    return Queue(
        name,
        exchange=retry_exchange(subscription.consumer),
        routing_key=name,
        durable=True,
        queue_arguments=dict(QUORUM),
    )


def declare(connection: Connection, service: str, subscriptions: Iterable[Subscription], retry_levels: int) -> None:
    """Declare ``service``'s own exchange and, for each of its subscriptions, the
    producer's exchange, the consumer queue, its retry queues and its dead-letter queue.

    A consumer queue still classic (declared before they were quorum queues) fails here
    with PRECONDITION_FAILED: the topology step (``prepare_and_declare``) migrates it."""
    channel = connection.default_channel
    event_exchange(service)(channel).declare()
    retry_exchange(service)(channel).declare()
    for subscription in subscriptions:
        event_exchange(subscription.producer)(channel).declare()
        dead_letter_queue(subscription)(channel).declare()
        consumer_queue(subscription)(channel).declare()
        _bind_for_replay(channel, subscription)
        for attempt in range(1, retry_levels + 1):
            retry_queue(subscription, attempt)(channel).declare()


def declared(channel: Any, queue: Queue) -> bool:
    """Whether ``queue`` exists, checked passively (no permission needed); a channel the
    broker closed for a missing queue is reopened by py-amqp."""
    try:
        channel.queue_declare(queue.name, passive=True)
    except ChannelError:
        return False
    return True


def _bind_for_replay(channel: Any, subscription: Subscription) -> None:
    """The consumer queue also bound to its consumer's retry exchange, by its name: how a
    dead letter is put back (``bassin-dead-letters replay``) without the default exchange."""
    name = subscription.queue_name
    channel.queue_bind(name, retry_exchange(subscription.consumer).name, name)


def ensure(connection: Connection, service: str, subscriptions: Iterable[Subscription], retry_levels: int) -> None:
    """What ``declare`` declares, checked: each exchange and queue that exists is left as it
    is (a passive declare needs no permission), one that is missing is declared (refused,
    ACCESS_REFUSED, to a service's own broker user: run ``bassin-topology``), and the
    service's own queues are bound again (a queue of an older release may lack a binding)."""
    subscriptions = list(subscriptions)
    exchanges = [event_exchange(service), retry_exchange(service)]
    exchanges += [event_exchange(s.producer) for s in subscriptions]
    queues = [consumer_queue(s) for s in subscriptions] + [dead_letter_queue(s) for s in subscriptions]
    queues += [retry_queue(s, attempt) for s in subscriptions for attempt in range(1, retry_levels + 1)]
    channel = connection.channel()
    try:
        for entity in [*exchanges, *queues]:
            try:
                if isinstance(entity, Exchange):
                    channel.exchange_declare(entity.name, entity.type, passive=True)
                else:
                    channel.queue_declare(entity.name, passive=True)
            except ChannelError:  # missing: the channel is closed; declare it on a new one
                channel = connection.channel()
                entity(channel).declare()
        for queue in queues:
            channel.queue_bind(queue.name, queue.exchange.name, queue.routing_key)
        for subscription in subscriptions:
            _bind_for_replay(channel, subscription)
    finally:
        channel.close()


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
