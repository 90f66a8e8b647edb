"""``event_consumer``: nameko event handlers that retry with backoff, then dead-letter.
Services use it through ``bassin_common.service.consume``, which makes the handler
apply a use case once per event.

The declaration is the subscription: the service's queues are derived from it
(``bassin_common.topology``), and the handler receives the event with its ``data``
loaded through the consumer's own view (``EventView``).

nameko acknowledges a message whose handler raised (the event is lost) or, with
``requeue_on_error``, redelivers it at once, forever. Here a failure republishes
the message to the subscription's retry queue for its attempt; when that queue's
message expires, RabbitMQ dead-letters it back into the consumer queue. After the
last delay, or at once for a ``PermanentFailure`` (a malformed event), it goes to the
dead-letter queue with the error, for ``bassin-dead-letters`` to show and replay.

The original is acknowledged only after its copy was confirmed by the broker;
if that publish fails the original is requeued, never dropped.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

import eventlet
from marshmallow import Schema
from nameko.amqp.publish import get_producer
from nameko.events import SERVICE_POOL, EventHandler
from nameko.messaging import Consumer

from bassin_common.config import settings_from_nameko
from bassin_common.errors import PermanentFailure
from bassin_common.events import Event, EventView
from bassin_common.topology import Subscription, consumer_queue, dead_letter_queue, retry_queue

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-bassin-attempt"
ERROR_HEADER = "x-bassin-error"
FAILED_AT_HEADER = "x-bassin-failed-at"
DIVERT_FAILURE_PAUSE = 5.0


class ReliableEventHandler(EventHandler):
    def __init__(self, source_service: str, event_type: str, view: type[EventView], **kwargs: Any) -> None:
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )
        self.view = view

    def subscription(self, consumer: str, handler: str) -> Subscription:
        return Subscription(self.source_service, self.event_type, consumer, handler, self.view)

    def setup(self) -> None:
        self.settings = settings_from_nameko()
        self.view_schema: Schema = self.view()
        self.queue_subscription = self.subscription(self.container.service_name, self.method_name)
        self.queue = consumer_queue(self.queue_subscription)
        Consumer.setup(self)  # not EventHandler.setup: the queue is the subscription's
        # kombu acknowledges (drops) a message it cannot decode; dead-letter it instead.
        self.consumer.on_decode_error = self._on_undecodable

    def _on_undecodable(self, message: Any, error: Exception) -> None:
        self._divert(message, attempt=0, error=PermanentFailure(f"undecodable message: {error}"))

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            event = Event.from_message(body).seen_through(self.view_schema)
        except PermanentFailure as exc:
            self._divert(message, attempt=0, error=exc)
            return
        super().handle_message(event, message)

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None):
        if exc_info is None:
            self.consumer.ack_message(message)
        else:
            attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
            self._divert(message, attempt, exc_info[1])
        return result, exc_info

    def _divert(self, message: Any, attempt: int, error: BaseException) -> None:
        delays = self.settings.retry_delays
        permanent = isinstance(error, PermanentFailure)
        headers = dict(message.headers or {})
        headers[ERROR_HEADER] = "".join(traceback.format_exception_only(error)).strip()[:2000]
        headers[FAILED_AT_HEADER] = datetime.now(UTC).isoformat()
        name = self.queue_subscription.queue_name
        if not permanent and attempt < len(delays):
            target = retry_queue(self.queue_subscription, attempt + 1)
            expiration: float | None = delays[attempt]
            headers[ATTEMPT_HEADER] = attempt + 1
            log.warning(
                "%s failed (attempt %d), retrying in %.1fs: %s", name, attempt + 1, expiration, headers[ERROR_HEADER]
            )
        else:
            target = dead_letter_queue(self.queue_subscription)
            expiration = None
            log.error("%s dead-lettered after %d attempt(s): %s", name, attempt + 1, headers[ERROR_HEADER])
        try:
            with get_producer(self.settings.amqp_uri, confirms=True) as producer:
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=target.name,
                    declare=[target],  # a copy sent to a missing queue would vanish silently
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode="persistent",
                    expiration=expiration,
                )
        except Exception:
            # Keep the original (never drop it), but not in a tight redelivery loop.
            log.exception("could not divert a failed message; requeueing it in %ss", DIVERT_FAILURE_PAUSE)
            eventlet.sleep(DIVERT_FAILURE_PAUSE)
            self.consumer.requeue_message(message)
            return
        self.consumer.ack_message(message)


event_consumer = ReliableEventHandler.decorator
