"""Quorum queues for the consumers: the delivery-limit policy and the move from classic queues.

A subscription's consumer queue ``Q`` and its dead letters ``Q.dead`` are quorum queues
(``bassin_common.topology``, ADR 0036): replicated over the broker's nodes, and with a
delivery limit. RabbitMQ 3.10 sets that limit only by policy: ``bassin-delivery-limit``
matches the consumer queues (not ``Q.retry.N`` nor ``Q.dead``) and says how many times a
message may be delivered without being settled. A message whose handling kills the
process is never acknowledged, so it is delivered again and again; past the limit the
queue dead-letters it into ``Q.dead`` (the queue's own arguments name it), where
``bassin-dead-letters`` shows it with the reason ``delivery_limit``.

The topology step (``bassin-migrate SERVICE``, ``bassin-topology``, ``./bassin start``)
calls ``prepare`` before it declares anything: every queue that exists as a classic queue
where a quorum queue is wanted is moved without losing a message (``migrate_queue``), then
the policy is applied through the management HTTP API (idempotent). The services
themselves never migrate: a service started on a classic queue fails to declare it
(``PRECONDITION_FAILED``) and says to run the topology step.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import amqp
from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Exchange, Queue

from bassin_common import topology
from bassin_common.config import Settings
from bassin_common.topology import Subscription

log = logging.getLogger(__name__)

DELIVERY_LIMIT_POLICY = "bassin-delivery-limit"
# The consumer queues, evt-<producer>-<event>--<consumer>.<handler>; not Q.retry.N nor Q.dead.
CONSUMER_QUEUE_PATTERN = r"^evt-.+--[^.]+\.[^.]+$"
POLICY_PRIORITY = 10  # one policy applies to a queue, the highest's: above a catch-all default
MANAGEMENT_OFF = "off"  # the policy is managed elsewhere (prod: the operator's Policy resource)
HOLDING_SUFFIX = ".migrating"
# Not copied when a message is moved: its expiration (it is due now), and the count the
# quorum queue keeps itself.
DROPPED_PROPERTIES = {"expiration"}
DELIVERY_COUNT = "x-delivery-count"
# How long the switch back to Q waits for the broker to enqueue what it routed to both
# queues just before the holding queue lost its binding (see migrate_queue).
SWITCH_SETTLE_SECONDS = 1.0


class MigrationBlocked(RuntimeError):
    """A queue cannot be moved now (consumers still attached, retries still pending)."""


def delivery_limit_policy(limit: int) -> dict[str, Any]:
    """The policy's body for the management API (``PUT /api/policies/VHOST/NAME``).

    At-least-once dead-lettering (RabbitMQ 3.10) keeps a message in ``Q`` until ``Q.dead``
    confirmed it; it requires ``overflow: reject-publish``, which does nothing without a
    length limit."""
    return {
        "pattern": CONSUMER_QUEUE_PATTERN,
        "apply-to": "queues",  # 3.10 knows no "quorum_queues"; every matching queue is one
        "priority": POLICY_PRIORITY,
        "definition": {
            "delivery-limit": limit,
            "dead-letter-strategy": "at-least-once",
            "overflow": "reject-publish",
        },
    }


def management_uri(settings: Settings) -> str | None:
    """The management API's base URL: the setting, else the AMQP URI's host and
    credentials on port 15672; None when the policy is managed elsewhere."""
    if settings.rabbit_management_uri == MANAGEMENT_OFF:
        return None
    if settings.rabbit_management_uri:
        return settings.rabbit_management_uri.rstrip("/")
    amqp = urlsplit(settings.amqp_uri)
    credentials = f"{amqp.username or 'guest'}:{amqp.password or 'guest'}@"
    return f"http://{credentials}{amqp.hostname or '127.0.0.1'}:15672"


def apply_policy(base_uri: str, vhost: str, limit: int) -> None:
    """Create or update ``bassin-delivery-limit`` in ``vhost`` (a PUT: idempotent)."""
    parts = urlsplit(base_uri)
    url = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path.rstrip('/')}"
    request = urllib.request.Request(
        f"{url}/api/policies/{quote(vhost, safe='')}/{DELIVERY_LIMIT_POLICY}",
        data=json.dumps(delivery_limit_policy(limit)).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    token = base64.b64encode(f"{parts.username or ''}:{parts.password or ''}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except OSError as error:  # URLError and HTTPError (without the password in the message)
        raise RuntimeError(
            f"could not set the policy {DELIVERY_LIMIT_POLICY} through RabbitMQ's management API at {url} "
            f"({error}); enable the plugin (rabbitmq-plugins enable rabbitmq_management), set "
            f"BASSIN_RABBIT_MANAGEMENT_URI, or set it to '{MANAGEMENT_OFF}' where the policy is managed elsewhere"
        ) from None


# --- classic to quorum ------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    exchange: Exchange
    routing_key: str


def is_classic(connection: Connection, name: str) -> bool:
    """True if the queue ``name`` exists and is a classic queue.

    AMQP does not tell a queue's type; redeclaring it as a classic queue without
    arguments succeeds only on one (the classic queues Bassin declared before had none),
    and fails on a quorum queue (on a channel of its own, which that failure closes)."""
    if _depth(connection, name) is None:
        return False
    channel = connection.channel()
    try:
        channel.queue_declare(name, durable=True, auto_delete=False, arguments={"x-queue-type": "classic"})
    except PreconditionFailed:
        return False
    finally:
        _close_quietly(channel)
    return True


def _close_quietly(channel: Any) -> None:
    with contextlib.suppress(Exception):  # already closed by the broker's error
        channel.close()


def _identity(message: Any) -> bytes:
    # Two copies of one publish (routed to two queues during a switch) are byte-identical;
    # two events never are (each has its event_id). An event published twice by a relay
    # that lost a confirm is kept once: consumers would have ignored the second anyway.
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    return hashlib.sha256(body).digest()


def move_messages(connection: Connection, source: str, target: str, seen: set[bytes] | None = None) -> int:
    """Move every message of ``source`` into ``target``: each copy published with a
    publisher confirm before its original is acknowledged, so a failure at any point
    leaves every message in one queue or both, never in none. With ``seen``, a message
    whose identical copy was already moved is acknowledged without being copied again.
    Returns how many were copied."""
    moved = 0
    with connection.channel() as channel:
        while (message := channel.basic_get(source, no_ack=False)) is not None:
            identity = _identity(message)
            if seen is None or identity not in seen:
                properties = {k: v for k, v in message.properties.items() if k not in DROPPED_PROPERTIES}
                headers = properties.get("application_headers") or {}
                properties["application_headers"] = {k: v for k, v in headers.items() if k != DELIVERY_COUNT}
                copy = amqp.Message(message.body, **{**properties, "delivery_mode": 2})
                channel.basic_publish_confirm(copy, exchange="", routing_key=target)  # raises unless confirmed
                moved += 1
                if seen is not None:
                    seen.add(identity)
            channel.basic_ack(message.delivery_tag)
    return moved


def _depth(connection: Connection, name: str) -> tuple[int, int] | None:
    """(messages, consumers) of a queue, None if it does not exist."""
    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(name, passive=True)
        return messages, consumers
    except NotFound:
        return None
    finally:
        _close_quietly(channel)


def migrate_queue(
    connection: Connection,
    wanted: Queue,
    bindings: Iterable[Binding] = (),
    feeders: Iterable[str] = (),
    wait_for_feeders: float = 0.0,
    pause: Callable[[float], None] = time.sleep,
    settle: float = SWITCH_SETTLE_SECONDS,
) -> int:
    """Replace the classic queue named ``wanted.name`` by ``wanted`` (a quorum queue)
    without losing a message, while producers keep publishing; returns how many messages
    it holds from the old queue and from the switch.

    1. A holding quorum queue ``Q.migrating`` takes ``Q``'s bindings; then ``Q`` loses them.
       From then on new messages reach only the holding queue (those routed in between reach
       both: the identical copies are dropped in step 5).
    2. ``Q``'s messages are moved into it (copy confirmed, then original acknowledged).
    3. ``feeders`` (the retry queues, which expire into ``Q`` by name) must be empty first:
       with the consumers stopped nothing enters them, and what they hold expires into ``Q``
       within the longest delay (``wait_for_feeders`` seconds). ``Q`` is deleted (refused by the
       broker if a consumer is attached or a message arrived), and declared again as ``wanted``.
    4. ``Q`` takes the bindings back, then the holding queue loses them; after ``settle``
       seconds, what ``Q`` received meanwhile goes into the holding queue too.
    5. Every message of the holding queue is moved into ``Q``, each identical copy once;
       the holding queue is deleted.

    Never a message lost; a message twice only in one race: one routed to both queues at
    the instant of the switch in step 4 whose copy reaches ``Q`` more than ``settle``
    seconds later (the broker routes, then enqueues: under load the two are apart). Its
    copies are then one in ``Q`` and one moved from the holding queue; the consumer's
    inbox ignores the second (the same ``event_id``).

    Every step is idempotent: a migration interrupted at any point is finished by running
    it again (the topology step does whenever it finds a classic ``Q`` or a holding queue).
    """
    name = wanted.name
    holding = Queue(name + HOLDING_SUFFIX, durable=True, queue_arguments={"x-queue-type": "quorum"})
    bindings = list(bindings)
    classic = is_classic(connection, name)
    state = _depth(connection, name)
    if classic and state and state[1]:
        raise MigrationBlocked(f"{name} has {state[1]} consumer(s): stop the services that consume it first")
    channel = connection.channel()
    try:
        holding(channel).declare()
        for binding in bindings:
            binding.exchange(channel).declare()
            channel.queue_bind(holding.name, binding.exchange.name, binding.routing_key)
        if classic:
            for binding in bindings:
                channel.queue_unbind(name, binding.exchange.name, binding.routing_key)
            move_messages(connection, name, holding.name)
            deadline = time.monotonic() + wait_for_feeders
            while any((_depth(connection, feeder) or (0, 0))[0] for feeder in feeders):
                if time.monotonic() > deadline:
                    raise MigrationBlocked(f"the retry queues of {name} still hold messages: run it again shortly")
                pause(0.5)
            move_messages(connection, name, holding.name)  # what the retry queues gave back meanwhile
            try:
                channel.queue_delete(name, if_unused=True, if_empty=True)
            except PreconditionFailed as refused:
                raise MigrationBlocked(f"{name} could not be replaced ({refused}): run it again") from None
        wanted(channel).declare()
        for binding in bindings:
            channel.queue_bind(name, binding.exchange.name, binding.routing_key)
            channel.queue_unbind(holding.name, binding.exchange.name, binding.routing_key)
        pause(settle)  # what was routed to both before the unbind reaches Q before Q is emptied
        if classic or not state or not state[1]:
            move_messages(connection, name, holding.name)  # routed to Q while both were bound
        moved = move_messages(connection, holding.name, name, seen=set())
        # Unbound, it receives nothing more (quorum queues refuse a delete "if empty").
        if (_depth(connection, holding.name) or (0, 0))[0]:
            raise MigrationBlocked(f"{holding.name} received messages during the move: run it again")
        channel.queue_delete(holding.name)
    finally:
        _close_quietly(channel)
    return moved


def migrate_subscriptions(
    connection: Connection, subscriptions: Iterable[Subscription], retry_delays: Iterable[float]
) -> list[str]:
    """Move each subscription's classic ``Q.dead`` and ``Q`` (or finish a migration left
    half-done) to quorum queues; returns the names moved."""
    delays = list(retry_delays)
    migrated: list[str] = []
    for subscription in subscriptions:
        consumer_bindings = [Binding(topology.event_exchange(subscription.producer), subscription.event_type)]
        retry_queues = [subscription.retry_queue_name(level) for level in range(1, len(delays) + 1)]
        for wanted, bindings, feeders in (
            (topology.dead_letter_queue(subscription), [], []),
            (topology.consumer_queue(subscription), consumer_bindings, retry_queues),
        ):
            unfinished = _depth(connection, wanted.name + HOLDING_SUFFIX) is not None
            if unfinished or is_classic(connection, wanted.name):
                wait = max(delays, default=0.0) + 5
                count = migrate_queue(connection, wanted, bindings, feeders, wait_for_feeders=wait)
                log.info("%s: now a quorum queue, with %d message(s) moved", wanted.name, count)
                migrated.append(wanted.name)
    return migrated


def prepare(connection: Connection, settings: Settings, subscriptions: Iterable[Subscription]) -> list[str]:
    """The quorum part of the topology step, before ``topology.declare``: migrate what is
    classic, set the delivery-limit policy; returns the queues migrated."""
    migrated = migrate_subscriptions(connection, subscriptions, settings.retry_delays)
    if (base := management_uri(settings)) is not None:
        apply_policy(base, connection.virtual_host or "/", settings.delivery_limit)
    return migrated
