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
last delay, or at once for a ``PermanentFailure`` (a malformed event, or one whose
signature is missing or wrong: ``bassin_common.signing``, checked before anything else), it
goes to the dead-letter queue with the error, for ``bassin-dead-letters`` to show and replay.

A *transient* failure (``bassin_common.faults``: the database or the broker unreachable,
a failover in progress) is the infrastructure's, not the event's: it goes to a retry
queue without spending an attempt, climbing the same delays and then staying at the
longest, for as long as it takes. So a PostgreSQL failover of a minute or two delays
events but never dead-letters them; only failures of the handler itself are counted.

The original is acknowledged only after its copy was confirmed by the broker;
if that publish fails the original is requeued, never dropped.

A handler declared ``batched`` (every ``consume`` subscription) takes a batch of events
(``handler(self, *events)``): the deliveries that arrived while the previous batch was
being applied, up to the prefetch count, go to ONE worker, which applies them in one
transaction (``DatabaseAccess.apply_once``), and each is acknowledged once it committed.
If the batch fails, each of its events is applied again alone, and only the one that fails
alone is retried or dead-lettered as above. One batch at a time per handler: two
concurrent batches would lock the same rows in different orders. Under load this is what
spreads a transaction, a worker and the inbox over several events (ADR 0008).

A handler may say which events concern it (``applies_to(data)``, a business rule of the
consuming service): one that does not is acknowledged as soon as its signature and data
are checked, with no worker, transaction or inbox claim. Its use case would change
nothing, so applying it "once" needs no record (customers and an anonymous till sale).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import eventlet
from eventlet.event import Event as GreenEvent
from marshmallow import Schema
from nameko.containers import ContainerBeingKilled
from nameko.events import SERVICE_POOL, EventHandler
from nameko.messaging import Consumer, decode_from_headers

from bassin_common.broker import confirmed_producer, publish_options, settle
from bassin_common.config import settings_from_nameko
from bassin_common.errors import PermanentFailure
from bassin_common.events import Event, EventView
from bassin_common.faults import is_transient
from bassin_common.logs import describe
from bassin_common.observability import METRICS
from bassin_common.signing import ContextSigner
from bassin_common.topology import Subscription, consumer_queue, dead_letter_queue, retry_queue

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-bassin-attempt"
ERROR_HEADER = "x-bassin-error"
FAILED_AT_HEADER = "x-bassin-failed-at"
TRANSIENT_HEADER = "x-bassin-transient-failures"  # they count no attempt; they pick the delay
DIVERT_FAILURE_PAUSE = 5.0


class ReliableEventHandler(EventHandler):
    def __init__(
        self,
        source_service: str,
        event_type: str,
        view: type[EventView],
        batched: bool = False,
        applies_to: Callable[[Any], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )
        self.view = view
        self.batched = batched
        self.applies_to = applies_to

    def subscription(self, consumer: str, handler: str) -> Subscription:
        return Subscription(self.source_service, self.event_type, consumer, handler, self.view)

    def setup(self) -> None:
        self.settings = settings_from_nameko()
        self.view_schema: Schema = self.view()
        self.signer = ContextSigner.from_settings(self.settings)
        self.queue_subscription = self.subscription(self.container.service_name, self.method_name)
        self.queue = consumer_queue(self.queue_subscription)
        # The producer's exchange is only checked, not declared: declaring it would take a
        # configure permission on another service's exchange (``broker_users``).
        self.queue.exchange.passive = True
        Consumer.setup(self)  # not EventHandler.setup: the queue is the subscription's
        # kombu acknowledges (drops) a message it cannot decode; dead-letter it instead.
        self.consumer.on_decode_error = self._on_undecodable
        self._gathered: list[tuple[Event, Any]] = []  # received, waiting for the next batch
        self._applying = False

    def _on_undecodable(self, message: Any, error: Exception) -> None:
        self._divert(message, attempt=0, error=PermanentFailure(f"undecodable message: {error}"))

    def handle_message(self, body: Any, message: Any) -> None:
        if not self.signer.event_is_authentic(body, message.headers):
            forged = PermanentFailure("event refused: its signature is missing or wrong (not from a Bassin producer)")
            self._divert(message, attempt=0, error=forged)
            return
        try:
            event = Event.from_message(body).seen_through(self.view_schema)
        except PermanentFailure as exc:
            self._divert(message, attempt=0, error=exc)
            return
        if self.applies_to is not None and not self.applies_to(event.data):
            # Nothing to apply, so nothing to remember having applied: no worker, no claim.
            METRICS.events_consumed.inc(
                service=self.container.service_name, handler=self.method_name, outcome="not_concerned"
            )
            settle(self.consumer.ack_message, message)
            return
        self._gather(event, message)

    # --- batches -------------------------------------------------------------------------

    def _gather(self, event: Event, message: Any) -> None:
        """Hand ``event`` to a worker: alone, or in the next batch of a batched handler."""
        if not self.batched:
            super().handle_message(event, message)
            return
        self._gathered.append((event, message))
        if not self._applying:
            self._applying = True
            identifier = f"{type(self).__name__}.batches[{self.container.service_name}.{self.method_name}]"
            self.container.spawn_managed_thread(self._apply_batches, identifier=identifier)

    def _apply_batches(self) -> None:
        """Apply what was gathered, a batch at a time, until nothing is left."""
        try:
            while self._gathered:
                batch, self._gathered = self._gathered, []
                if len(batch) > 1 and self._run(batch, partial(self._settle_batch, batch)):
                    continue
                for event, message in batch:  # alone, or again alone after the batch failed
                    self._run([(event, message)], partial(self.handle_result, message))
        finally:
            self._applying = False

    def _run(self, batch: list[tuple[Event, Any]], handle_result: Any) -> bool:
        """Run one worker on ``batch``'s events; True if it succeeded."""
        done = GreenEvent()

        def finished(worker_ctx: Any, result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
            outcome = handle_result(worker_ctx, result, exc_info)
            done.send(exc_info is None)
            return outcome

        _, first = batch[0]
        try:
            self.container.spawn_worker(
                self,
                tuple(event for event, _ in batch),
                {},
                context_data=decode_from_headers(first.headers),
                handle_result=finished,
            )
        except ContainerBeingKilled:
            for _, message in batch:
                settle(self.consumer.requeue_message, message)
            return True  # nothing more to do with them here
        return done.wait()

    def _settle_batch(
        self, batch: list[tuple[Event, Any]], worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        """A batch committed: acknowledge each of its messages. One that failed: nothing yet
        (each of its events is applied again alone)."""
        if exc_info is None:
            for _, message in batch:
                settle(self.consumer.ack_message, message)
        else:
            log.warning(
                "%s: a batch of %d events failed (%s); applying each alone",
                self.queue_subscription.queue_name,
                len(batch),
                describe(exc_info[1]),
            )
        return result, exc_info

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None):
        if exc_info is None:
            settle(self.consumer.ack_message, message)
        else:
            attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
            self._divert(message, attempt, exc_info[1])
        return result, exc_info

    def _divert(self, message: Any, attempt: int, error: BaseException) -> None:
        delays = self.settings.retry_delays
        permanent = isinstance(error, PermanentFailure)
        transient = not permanent and is_transient(error)
        headers = dict(message.headers or {})
        headers[ERROR_HEADER] = describe(error)
        headers[FAILED_AT_HEADER] = datetime.now(UTC).isoformat()
        name = self.queue_subscription.queue_name
        counted = {"service": self.container.service_name, "handler": self.method_name}
        if transient and not delays:  # no retry queue to wait in: wait here
            log.warning("%s could not reach a dependency; requeueing in %ss", name, DIVERT_FAILURE_PAUSE)
            self._requeue_later(message)
            return
        if transient:
            failures = int(headers.get(TRANSIENT_HEADER, 0)) + 1
            level = min(failures, len(delays))  # the delays, then the longest for ever
            target = retry_queue(self.queue_subscription, level)
            expiration: float | None = delays[level - 1]
            headers[TRANSIENT_HEADER] = failures
            METRICS.retries.inc(cause="transient", **counted)
            log.warning(
                "%s could not reach a dependency (%d time(s); attempts left unchanged), retrying in %.1fs: %s",
                name,
                failures,
                expiration,
                headers[ERROR_HEADER],
            )
        elif not permanent and attempt < len(delays):
            target = retry_queue(self.queue_subscription, attempt + 1)
            expiration = delays[attempt]
            headers[ATTEMPT_HEADER] = attempt + 1
            METRICS.retries.inc(cause="failure", **counted)
            log.warning(
                "%s failed (attempt %d), retrying in %.1fs: %s", name, attempt + 1, expiration, headers[ERROR_HEADER]
            )
        else:
            target = dead_letter_queue(self.queue_subscription)
            expiration = None
            METRICS.dead_letters.inc(**counted)
            log.error("%s dead-lettered after %d attempt(s): %s", name, attempt + 1, headers[ERROR_HEADER])
        try:
            with confirmed_producer(self.settings.amqp_uri) as producer:
                # A copy sent to a missing queue would vanish silently: check it is there
                # (passively: the topology is declared beforehand, ``topology.ensure``).
                producer.channel.queue_declare(target.name, passive=True)
                producer.publish(
                    message.body,
                    exchange=target.exchange,
                    routing_key=target.routing_key,
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode="persistent",
                    expiration=expiration,
                    **publish_options(self.settings),
                )
        except Exception as failure:
            # Keep the original (never drop it), but not in a tight redelivery loop.
            log.warning(
                "could not divert a failed message (%s); requeueing it in %ss",
                describe(failure),
                DIVERT_FAILURE_PAUSE,
            )
            self._requeue_later(message)
            return
        settle(self.consumer.ack_message, message)

    def _requeue_later(self, message: Any) -> None:
        eventlet.sleep(DIVERT_FAILURE_PAUSE)
        settle(self.consumer.requeue_message, message)


event_consumer = ReliableEventHandler.decorator
