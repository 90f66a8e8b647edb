"""The transactional outbox: events are written with the change they announce, then
published by a relay.

Writing (``record``): a unit of work inserts its events into the ``outbox`` table in its
own transaction and issues ``NOTIFY bassin_outbox``, which PostgreSQL delivers only if
that transaction commits. A crash can no longer separate a change from its event.

Relaying (``OutboxRelay``, a nameko dependency in every service process): rows are
claimed with ``FOR UPDATE SKIP LOCKED``, so replicas share the work without publishing a
row twice while it is being handled. Each message is published persistent with
publisher confirms; the row is marked only after the broker confirmed. A crash between
the confirm and the mark republishes the row on restart: consumers are idempotent
(``bassin_common.inbox``), so that is harmless (at-least-once delivery).

The relay sleeps on ``LISTEN bassin_outbox`` and polls every ``outbox_poll_interval``
seconds anyway, because a NOTIFY that nobody hears — the relay reconnecting, say — is lost.

The ``outbox`` table belongs to the platform's migrations (``bassin_common.migrations``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import eventlet
import psycopg
from kombu import Connection
from nameko.amqp.publish import get_producer
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, column, insert, table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.types import Uuid

from bassin_common import topology
from bassin_common.config import Settings, settings_from_nameko
from bassin_common.database import assert_cooperative_psycopg, make_engine, psycopg_conninfo
from bassin_common.events import Event
from bassin_common.tenancy import RequestContext

log = logging.getLogger(__name__)

CHANNEL = "bassin_outbox"
RETENTION_DAYS = 7
MAX_BACKOFF_SECONDS = 30.0

_OUTBOX = table(
    "outbox",
    column("event_id", Uuid),
    column("exchange"),
    column("routing_key"),
    column("payload", JSONB),
    column("headers", JSONB),
)
_NOTIFY = text(f"NOTIFY {CHANNEL}")
_CLAIM = text(
    "SELECT id, exchange, routing_key, payload, headers FROM outbox "
    "WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
)
_MARK_SENT = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")
_PURGE_OLD = text("DELETE FROM outbox WHERE published_at < now() - make_interval(days => :days)")


def message_headers(context: RequestContext) -> dict[str, Any]:
    """The caller's context as nameko headers, so consumers log and act with it."""
    return {
        f"nameko.{key}": value
        for key, value in context.to_context_data().items()
        if value is not None and key != "roles"  # a consumer acts as the system, never with the caller's roles
    }


def record(session: Session, events: Sequence[Event], context: RequestContext) -> None:
    """Write ``events`` to the outbox in the session's transaction and wake the relays on commit."""
    if not events:
        return
    headers = message_headers(context)
    session.execute(
        insert(_OUTBOX),
        [
            {
                "event_id": event.event_id,
                "exchange": topology.event_exchange(event.producer).name,
                "routing_key": event.event_type,
                "payload": event.to_message(),
                "headers": headers,
            }
            for event in events
        ],
    )
    session.execute(_NOTIFY)


class OutboxPublisher:
    """Publishes one batch of pending rows; usable without nameko (tests, CLI)."""

    def __init__(self, engine: Engine, amqp_uri: str, batch_size: int) -> None:
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size

    def publish_pending(self) -> int:
        confirmed: list[int] = []
        failure: Exception | None = None
        with self.engine.begin() as conn:
            rows = conn.execute(_CLAIM, {"limit": self.batch_size}).all()
            if not rows:
                return 0
            try:
                self._publish(rows, confirmed)
            except Exception as exc:  # the broker refused or went away mid-batch
                failure = exc
            if confirmed:
                # What the broker confirmed is marked even if a later row failed: it is not
                # published again on the next attempt.
                conn.execute(_MARK_SENT, {"ids": confirmed})
        if failure is not None:
            raise failure
        return len(confirmed)

    def _publish(self, rows: list[Any], confirmed: list[int]) -> None:
        with get_producer(self.amqp_uri, confirms=True) as producer:
            for row in rows:
                producer.publish(
                    row.payload,
                    exchange=row.exchange,
                    routing_key=row.routing_key,
                    headers=row.headers,
                    serializer="json",
                    delivery_mode="persistent",
                    message_id=row.payload["event_id"],
                    retry=True,
                    retry_policy={"max_retries": 3},
                )
                confirmed.append(row.id)

    def purge_published(self) -> int:
        with self.engine.begin() as conn:
            return conn.execute(_PURGE_OLD, {"days": RETENTION_DAYS}).rowcount


class OutboxRelay(DependencyProvider):
    """Runs the relay loop in the service container; ``self.outbox`` in the service."""

    def setup(self) -> None:
        assert_cooperative_psycopg()
        self.settings: Settings = settings_from_nameko()
        url = self.settings.service_database_url(self.container.service_name)
        self.listen_conninfo = psycopg_conninfo(url)
        self.engine = make_engine(url, pool_size=1, role=self.settings.database_role)
        self.publisher = OutboxPublisher(self.engine, self.settings.amqp_uri, self.settings.outbox_batch_size)
        self._stopping = False
        self._thread: Any = None

    def start(self) -> None:
        from bassin_common.registry import ServiceInfo  # the registry reads service classes

        # This service's queues first: it may be the first of a release to run.
        service = ServiceInfo.of(self.container.service_cls)
        with Connection(self.settings.amqp_uri) as connection:
            topology.declare(connection, service.name, service.subscriptions, len(self.settings.retry_delays))
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.wait()  # finishes the batch in flight (graceful shutdown)
        self.engine.dispose()

    def kill(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()

    def get_dependency(self, worker_ctx: Any) -> OutboxPublisher:
        return self.publisher

    def _run(self) -> None:
        backoff = self.settings.outbox_poll_interval
        listener: psycopg.Connection | None = None
        last_purge = 0.0
        while not self._stopping:
            try:
                if listener is None or listener.closed:
                    listener = psycopg.connect(self.listen_conninfo, autocommit=True)
                    listener.execute(f"LISTEN {CHANNEL}")
                published = self.publisher.publish_pending()
                if time.monotonic() - last_purge > 3600:
                    self.publisher.purge_published()
                    last_purge = time.monotonic()
                backoff = self.settings.outbox_poll_interval
                if published < self.publisher.batch_size:
                    self._wait_for_notify(listener)
            except Exception:
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                if listener is not None:
                    listener.close()
                listener = None
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        if listener is not None:
            listener.close()

    def _wait_for_notify(self, listener: psycopg.Connection) -> None:
        for _ in listener.notifies(timeout=self.settings.outbox_poll_interval, stop_after=1):
            pass
