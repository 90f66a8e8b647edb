"""Publishing to RabbitMQ and settling messages, without letting the broker's absence take
a process down or hold it for long.

- ``confirmed_producer`` and ``publish_options``: a publish waits for the broker's
  confirm at most ``amqp_confirm_timeout`` seconds, and tries to reconnect once, at once,
  rather than nameko's default of three reconnections over about nine seconds: what
  publishes (the outbox relay, a consumer's retry copies, RPC replies) has its own way to
  try again later, and must not sit blocked meanwhile.
- ``settle``: acknowledge or requeue a delivered message; if the connection it came on
  is gone, the broker has already taken it back and redelivers it, which is not an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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
