"""Publishing to RabbitMQ and settling messages, without letting the broker's absence take
a process down or hold it for long.

- ``confirmed_producer`` and ``publish_options``: a publish waits for the broker's
  confirm at most ``amqp_confirm_timeout`` seconds, and tries to reconnect once, at once,
  rather than nameko's default of three reconnections over about nine seconds: what
  publishes (the outbox relay, a consumer's retry copies, RPC replies) has its own way to
  try again later, and must not sit blocked meanwhile.
- ``ConfirmedBatches``: a batch of messages published at once on a channel in confirm
  mode, its confirms awaited together (the outbox relay: one round trip per batch).
- ``settle``: acknowledge or requeue a delivered message; if the connection it came on
  is gone, the broker has already taken it back and redelivers it, which is not an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from kombu import Connection, Producer
from nameko.amqp.publish import Publisher, get_producer

from bassin_common.config import Settings

log = logging.getLogger(__name__)

# kombu's retry policy (and connection options): one immediate reconnection, then fail.
FAIL_FAST: dict[str, Any] = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}


@contextmanager
def confirmed_producer(amqp_uri: str) -> Iterator[Any]:
    """A pooled kombu producer with publisher confirms that fails fast (see above)."""
    with get_producer(amqp_uri, confirms=True, transport_options=dict(FAIL_FAST)) as producer:
        yield producer


class FailFastPublisher(Publisher):
    """nameko's ``Publisher`` (what RPC replies go through) with the policy above."""

    transport_options = dict(FAIL_FAST)
    retry_policy = dict(FAIL_FAST)


def publish_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``Producer.publish``: bounded confirm wait, fast failure."""
    return {
        "retry": True,
        "retry_policy": dict(FAIL_FAST),
        "timeout": settings.amqp_confirm_timeout,
        "confirm_timeout": settings.amqp_confirm_timeout,
    }


def settle(action: Callable[[Any], None], message: Any) -> bool:
    """``action(message)`` (a consumer's ``ack_message`` or ``requeue_message``); False,
    logged, if the connection failed meanwhile: the broker redelivers the message."""
    try:
        action(message)
    except Exception as error:
        log.warning("could not settle a message (%s: %s); the broker will redeliver it", type(error).__name__, error)
        return False
    return True


class ConfirmedBatches:
    """A connection of one publisher's own, with one channel in confirm mode, on which a
    batch of messages is published all at once and its confirms awaited together: one round
    trip per batch, not one per message. For one green thread at a time.

    ``publish`` answers, for each message in its order, True (confirmed), False (refused by
    a negative confirm) or None (not known), with what interrupted the wait, if anything: a
    channel error (the broker refused one message, closed the channel and discarded those
    after it, without saying which; an exchange missing is found before any message is
    taken), a lost connection, or no answer within ``timeout`` seconds. After an
    interruption the connection is closed; the next batch opens another.
    """

    def __init__(self, amqp_uri: str, timeout: float) -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._connection: Any = None
        self._producer: Any = None
        self._published = 0  # delivery tags on this channel: the broker numbers from 1
        self._first = 1
        self._outcomes: dict[int, bool] = {}

    def _open(self) -> Any:
        if self._producer is None:
            connection = Connection(self.amqp_uri, transport_options=dict(FAIL_FAST))
            try:
                connection.ensure_connection(**FAIL_FAST)
                channel = connection.channel()
                channel.confirm_select()
            except BaseException:
                connection.release()
                raise
            channel.events["basic_ack"].add(partial(self._settle, True))
            channel.events["basic_nack"].add(partial(self._settle, False))
            self._connection, self._published = connection, 0
            self._producer = Producer(channel)
        return self._producer

    def _settle(self, outcome: bool, delivery_tag: int, multiple: bool) -> None:
        for tag in range(self._first if multiple else delivery_tag, delivery_tag + 1):
            self._outcomes.setdefault(tag, outcome)

    def publish(
        self, messages: Sequence[dict[str, Any]], timeout: float | None = None
    ) -> tuple[list[bool | None], BaseException | None]:
        """Publish ``messages`` (keyword arguments of ``Producer.publish``, the body as
        ``body``) in their order, then wait for their confirms (see the class)."""
        self._outcomes = {}
        interruption: BaseException | None = None
        try:
            producer = self._open()
            self._first = self._published + 1
            wait = self.timeout if timeout is None else timeout
            # Each exchange checked first, without waiting for an answer: a missing one
            # closes the channel before any message of the batch is taken, rather than
            # after some were routed whose confirms the closed channel would never bring
            # (they would be published again).
            for exchange in dict.fromkeys(message["exchange"] for message in messages):
                if exchange:
                    producer.channel.exchange_declare(exchange, "topic", passive=True, nowait=True)
            for message in messages:
                producer.publish(**message, retry=False, timeout=wait)
                self._published += 1
            deadline = time.monotonic() + wait
            while len(self._outcomes) < len(messages):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the broker confirmed {len(self._outcomes)} of {len(messages)} messages")
                self._connection.drain_events(timeout=remaining)
        except Exception as error:
            interruption = error
            self.close()
        first = self._first
        return [self._outcomes.get(first + n) for n in range(len(messages))], interruption

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception as error:  # already gone: nothing to release
                log.debug("closing a publishing connection: %s", error)
