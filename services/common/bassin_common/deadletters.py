"""``bassin-dead-letters``: list and replay the events that exhausted their retries.

    bassin-dead-letters list                      # count and summary per queue
    bassin-dead-letters replay --queue Q          # every message of one queue
    bassin-dead-letters replay --event-id ID      # one event, wherever it is

Replaying puts the message back in its consumer queue with the attempt count reset.
Consumers are idempotent, so replaying an event that was in fact applied is harmless.

It sees the queues of the services installed where it runs: in production, run it in a
service's own image (``kubectl exec deploy/inventory -- bassin-dead-letters list``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kombu import Connection

from bassin_common.config import load_settings
from bassin_common.consumer import ATTEMPT_HEADER, ERROR_HEADER, FAILED_AT_HEADER, TRANSIENT_HEADER
from bassin_common.registry import all_subscriptions
from bassin_common.topology import Subscription, dead_letter_queue, declared, retry_exchange

# What the broker adds on dead-lettering and delivery (a replayed message starts afresh).
BROKER_HEADERS = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    event_id: str | None
    event_type: str | None
    tenant_id: str | None
    attempts: int
    error: str
    failed_at: str | None


def _describe(subscription: Subscription, message: Any) -> DeadLetter:
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = {}
    body = body if isinstance(body, dict) else {}
    headers = message.headers or {}
    error, failed_at = str(headers.get(ERROR_HEADER, "")), headers.get(FAILED_AT_HEADER)
    deaths = headers.get("x-death") or []
    if deaths and deaths[0].get("reason") == "delivery_limit":  # the last death: the queue's own
        error = (
            "delivery limit reached: delivered the policy's number of times and never settled "
            "(its handling kills or hangs the consumer's process)"
        )
        died = deaths[0].get("time")
        failed_at = died.replace(tzinfo=UTC).isoformat() if isinstance(died, datetime) else failed_at
    return DeadLetter(
        queue=subscription.queue_name,
        event_id=body.get("event_id"),
        event_type=body.get("event_type"),
        tenant_id=body.get("tenant_id"),
        attempts=int(headers.get(ATTEMPT_HEADER, 0)) + 1,
        error=error,
        failed_at=failed_at,
    )


def list_dead_letters(connection: Connection, subscriptions: Iterable[Subscription] | None = None) -> list[DeadLetter]:
    """Every dead letter of ``subscriptions`` (those of the installed services by default)."""
    found: list[DeadLetter] = []
    for subscription in all_subscriptions() if subscriptions is None else subscriptions:
        with connection.channel() as channel:
            queue = dead_letter_queue(subscription)(channel)
            if not declared(channel, queue):  # never declared here: it holds no dead letter
                continue
            while (message := queue.get(no_ack=False)) is not None:
                found.append(_describe(subscription, message))
            # Closing the channel without acking returns every message to the queue.
    return found


def replay(connection: Connection, queue_name: str | None = None, event_id: str | None = None) -> int:
    replayed = 0
    producer = connection.Producer()
    for subscription in all_subscriptions():
        if queue_name and queue_name not in (subscription.queue_name, subscription.dead_letter_queue_name):
            continue
        with connection.channel() as channel:
            queue = dead_letter_queue(subscription)(channel)
            if not declared(channel, queue):  # never declared here: it holds no dead letter
                continue
            while (message := queue.get(no_ack=False)) is not None:
                if event_id and _describe(subscription, message).event_id != event_id:
                    continue  # left unacked: returns to the queue when the channel closes
                headers = {
                    k: v
                    for k, v in (message.headers or {}).items()
                    if k not in (ATTEMPT_HEADER, ERROR_HEADER, FAILED_AT_HEADER, TRANSIENT_HEADER, *BROKER_HEADERS)
                }
                producer.publish(  # through the consumer's own exchange: never the default one
                    message.body,
                    exchange=retry_exchange(subscription.consumer).name,
                    routing_key=subscription.queue_name,
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode="persistent",
                )
                message.ack()
                replayed += 1
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bassin-dead-letters", description=__doc__.split("\n")[0])
    parser.add_argument("--amqp-uri", help="defaults to BASSIN_AMQP_URI")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="show dead letters")
    replay_parser = commands.add_parser("replay", help="put dead letters back in their queue")
    replay_parser.add_argument("--queue", help="consumer or dead-letter queue name")
    replay_parser.add_argument("--event-id", help="only this event")
    replay_parser.add_argument("--all", action="store_true", help="every dead letter of every queue")
    args = parser.parse_args(argv)

    amqp_uri = args.amqp_uri or load_settings().amqp_uri
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        if args.command == "list":
            letters = list_dead_letters(connection)
            for letter in letters:
                print(json.dumps(letter.__dict__))
            print(f"{len(letters)} dead letter(s)", file=sys.stderr)
            return 0
        if not (args.queue or args.event_id or args.all):
            parser.error("replay needs --queue, --event-id or --all")
        count = replay(connection, args.queue, args.event_id)
        print(f"replayed {count} message(s)")
        return 0
