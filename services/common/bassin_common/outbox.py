"""The transactional outbox: events are written with the change they announce, then
published by a relay.

Writing (``record``): a unit of work inserts its events into the ``outbox`` table in its
own transaction. A crash can no longer separate a change from its event.

Relaying (``OutboxRelay``, a nameko dependency in every service process): a batch of rows
is leased (``leased_until``, taken with ``FOR UPDATE SKIP LOCKED`` in one statement that
commits at once), so replicas share the work without publishing a row twice while it is
being handled, and no transaction stays open while the broker confirms. A claimed batch is
published persistent, in its order, on a channel in confirm mode
(``broker.ConfirmedBatches``), and its confirms are awaited together: one round trip per
batch. The rows the broker confirmed are marked in one ``UPDATE``, and only they; the lease
of the others is given back at once. A relay that dies mid-batch leaves its rows to the
next claim when their lease runs out (``amqp_confirm_timeout`` + ``outbox_lease_margin``).
A crash between the confirm and the mark republishes the row: consumers are idempotent
(``bassin_common.inbox``), so that is harmless (at-least-once delivery).

Once a unit of work that wrote events has committed, it wakes its own process's relay
(``OutboxRelay.wake``), which publishes after ``outbox_gather_window`` (10 ms: under load
the rows of several commits then share one claim and one mark); otherwise the relay polls every
``outbox_poll_interval`` seconds, which is how rows written elsewhere — another replica
whose relay died, ``bassin-outbox replay`` — are picked up. No ``NOTIFY``: it would cost a
statement per transaction and serialise commits on PostgreSQL's notification lock.
When the broker or the database fails, it retries with a backoff capped at
``outbox_max_backoff`` (2 s), so it resumes within about that once they are back.

A row the broker itself refuses (its exchange was deleted, the message is too large: a
channel error or a negative confirm for that message, not a lost connection) counts an
attempt, with its error; after ``outbox_max_attempts`` it is set aside (``set_aside_at``)
and the relay skips it, so it no longer holds back the rows behind it. Operators see and
re-queue such rows with ``bassin-outbox list`` and ``bassin-outbox replay``.

Once an hour the relay does the housekeeping of its database: it deletes published rows
(``outbox_retention_days``), the inbox's claims (``inbox_retention_days``) and the
processed RPC requests (``request_retention_days``) older than their retention.

The ``outbox`` table belongs to the platform's migrations (``bassin_common.migrations``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

import amqp.exceptions
import eventlet
from eventlet.event import Event as GreenEvent
from kombu import Connection
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bassin_common import idempotency, inbox, topology
from bassin_common.broker import FAIL_FAST, ConfirmedBatches, confirmed_producer, publish_options
from bassin_common.config import Settings, load_settings, settings_from_nameko
from bassin_common.database import (
    assert_cooperative_psycopg,
    delete_in_batches,
    make_engine,
)
from bassin_common.events import Event
from bassin_common.faults import is_transient
from bassin_common.logs import describe
from bassin_common.observability import METRICS
from bassin_common.signing import EVENT_SIGNATURE_HEADER, ContextSigner
from bassin_common.tenancy import RequestContext

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = 3600.0
# The broker refused this message itself; anything else (a lost connection, a timeout)
# is not the row's fault and counts no attempt.
REFUSALS: tuple[type[BaseException], ...] = (amqp.exceptions.ChannelError, amqp.exceptions.MessageNacked)
# Context fields that stay with the call: a consumer acts as the system (never with the
# caller's roles), on its own time (not the caller's deadline), as its own request.
_CALLER_ONLY = ("roles", "request_id", "deadline")

# The rows travel as one JSON document: arrays of thousands of JSON texts cost psycopg an
# escaping pass per element, a single text parameter costs nothing.
_RECORD = text(
    """
    INSERT INTO outbox (event_id, exchange, routing_key, payload, headers)
    SELECT CAST(r.value->'payload'->>'event_id' AS uuid), r.value->>'exchange', r.value->'payload'->>'event_type',
           r.value->'payload', CAST(:headers AS jsonb)
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS r(value, n)
    ORDER BY r.n
    """
)
# Each runs alone, committed at once (the relay's connection is in autocommit): two round
# trips a batch, where a claim's transaction took four (ADR 0008, "the relay's lease").
_CLAIM = text(
    "UPDATE outbox SET leased_until = now() + make_interval(secs => :lease) WHERE id IN ("
    " SELECT id FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL"
    " AND (leased_until IS NULL OR leased_until < now()) ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
    ") RETURNING id, exchange, routing_key, payload, headers"
)
_MARK_SENT = text("UPDATE outbox SET published_at = now(), leased_until = NULL WHERE id = ANY(:ids)")
_GIVE_BACK = text("UPDATE outbox SET leased_until = NULL WHERE id = ANY(:ids)")
_COUNT_REFUSAL = text(
    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, "
    "set_aside_at = CASE WHEN attempts + 1 >= :max_attempts THEN now() END "
    "WHERE id = :id RETURNING attempts, set_aside_at IS NOT NULL AS set_aside"
)


def message_headers(context: RequestContext) -> dict[str, Any]:
    """The caller's context as nameko headers, so consumers log and act with it."""
    return {
        f"nameko.{key}": value
        for key, value in context.to_context_data().items()
        if value is not None and key not in _CALLER_ONLY
    }


def record(session: Session, events: Sequence[Event], context: RequestContext) -> None:
    """Write ``events`` to the outbox in the session's transaction, in their order, in one
    statement however many there are (a price list emits thousands)."""
    if not events:
        return
    # On the session's connection, as the inbox's claim (bassin_common.inbox): client CPU.
    session.connection().execute(
        _RECORD,
        {
            "rows": json.dumps(
                [{"exchange": topology.event_exchange(e.producer).name, "payload": e.to_message()} for e in events]
            ),
            "headers": json.dumps(message_headers(context)),
        },
    )


class OutboxPublisher:
    """Publishes one batch of pending rows; usable without nameko (tests, CLI)."""

    def __init__(self, engine: Engine, amqp_uri: str, batch_size: int, settings: Settings | None = None) -> None:
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size
        self.settings = settings or Settings()
        # Each event is signed as it is published (bassin_common.signing): its consumers
        # refuse one that does not come from a holder of the key.
        self.signer = ContextSigner.from_settings(self.settings)
        self._batches: ConfirmedBatches | None = None  # opened by the first batch

    def publish_pending(self) -> int:
        """Publish a batch; returns how many rows the broker confirmed. A row it refused
        counts an attempt and the batch goes on; a lost broker stops the batch (raised
        after what was confirmed is marked)."""
        confirmed: list[int] = []
        refused: list[tuple[Any, BaseException]] = []
        failure: Exception | None = None
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            claim = {"limit": self.batch_size, "lease": self.lease_seconds()}
            rows = sorted(conn.execute(_CLAIM, claim).all(), key=lambda row: row.id)
            if not rows:
                return 0
            try:
                self._publish(rows, confirmed, refused)
            except Exception as exc:  # the broker went away mid-batch
                failure = exc
            if confirmed:
                # What the broker confirmed is marked even if a later row failed: it is not
                # published again on the next attempt.
                conn.execute(_MARK_SENT, {"ids": confirmed})
            for row, error in refused:
                self._count_refusal(conn, row, error)
            if unsettled := sorted({row.id for row in rows} - set(confirmed)):
                conn.execute(_GIVE_BACK, {"ids": unsettled})  # refused or not confirmed: next batch
        if failure is not None:
            raise failure
        return len(confirmed)

    def lease_seconds(self) -> float:
        """How long a claimed batch is this relay's: longer than its publish may take."""
        return self._wait_limit() + self.settings.outbox_lease_margin

    def _publish(self, rows: list[Any], confirmed: list[int], refused: list[tuple[Any, BaseException]]) -> None:
        """The whole batch at once, in its order on one channel, its confirms awaited
        together. A negative confirm names its row. A channel the broker closed (a refusal
        that does not say which message) leaves the rows not yet confirmed to the one by one
        path, which finds the refused row; the rows after it go on as before."""
        if not rows:
            return
        batches = self._batches
        if batches is None:
            batches = self._batches = ConfirmedBatches(self.amqp_uri, self.settings.amqp_confirm_timeout)
        outcomes, interruption = batches.publish([self._message(row) for row in rows], timeout=self._wait_limit())
        unknown = []
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome is True:
                self._published(row, confirmed)
            elif outcome is False:
                refused.append((row, amqp.exceptions.MessageNacked("negative confirm from the broker")))
            else:
                unknown.append(row)
        if interruption is None:
            return
        if not isinstance(interruption, REFUSALS):
            raise interruption  # the broker away or silent: the rows not confirmed stay pending
        log.info("outbox: the broker refused a message of a batch (%s); the rest one by one", describe(interruption))
        self._publish_one_by_one(unknown, confirmed, refused)

    def _wait_limit(self) -> float:
        return self.settings.amqp_confirm_timeout

    def _message(self, row: Any) -> dict[str, Any]:
        """A row as ``Producer.publish``'s arguments, its event signed."""
        return {
            "body": row.payload,
            "exchange": row.exchange,
            "routing_key": row.routing_key,
            "headers": {**row.headers, EVENT_SIGNATURE_HEADER: self.signer.sign_event(row.payload)},
            "serializer": "json",
            "delivery_mode": "persistent",
            "message_id": row.payload["event_id"],
        }

    def _published(self, row: Any, confirmed: list[int]) -> None:
        confirmed.append(row.id)
        METRICS.events_published.inc(service=row.exchange.removesuffix(".events"), event_type=row.routing_key)

    def _publish_one_by_one(
        self, rows: list[Any], confirmed: list[int], refused: list[tuple[Any, BaseException]]
    ) -> None:
        """Each row with its own confirm wait: a refusal is then that row's."""
        options = publish_options(self.settings)
        give_up_at = time.monotonic() + self._wait_limit()
        pending = list(rows)
        while pending and time.monotonic() < give_up_at:
            # A refusal closes the channel: the rest of the batch goes on a fresh one.
            with confirmed_producer(self.amqp_uri) as producer:
                while pending and time.monotonic() < give_up_at:
                    row = pending.pop(0)
                    try:
                        producer.publish(**self._message(row), **options)
                    except Exception as error:
                        # kombu's retry wraps a negative confirm in its OperationalError.
                        refusal = error if isinstance(error, REFUSALS) else error.__cause__
                        if not isinstance(refusal, REFUSALS):
                            raise
                        refused.append((row, refusal))
                        break
                    self._published(row, confirmed)

    def close(self) -> None:
        """Close the relay's publishing connection (the next batch opens another)."""
        if self._batches is not None:
            self._batches.close()

    def _count_refusal(self, conn: Any, row: Any, error: BaseException) -> None:
        params = {"id": row.id, "error": describe(error), "max_attempts": self.settings.outbox_max_attempts}
        attempts, set_aside = conn.execute(_COUNT_REFUSAL, params).one()
        where = f"outbox row {row.id} ({row.routing_key} to {row.exchange}, event {row.payload.get('event_id')})"
        if set_aside:
            log.error("%s set aside after %d refusals: %s; see bassin-outbox list", where, attempts, params["error"])
        else:
            log.warning(
                "%s refused by the broker (%d/%d): %s", where, attempts, params["max_attempts"], params["error"]
            )

    def purge_published(self) -> int:
        return delete_in_batches(self.engine, "outbox", "published_at", self.settings.outbox_retention_days)

    def housekeeping(self) -> None:
        """Delete what has outlived its retention: published rows, inbox claims, processed requests."""
        self.purge_published()
        inbox.purge(self.engine, self.settings.inbox_retention_days)
        idempotency.purge(self.engine, self.settings.request_retention_days)


class OutboxRelay(DependencyProvider):
    """Runs the relay loop in the service container; ``self.outbox`` in the service."""

    def setup(self) -> None:
        assert_cooperative_psycopg()
        self.settings: Settings = settings_from_nameko()
        url = self.settings.service_database_url(self.container.service_name)
        self.engine = make_engine(url, pool_size=1, role=self.settings.database_role, settings=self.settings)
        self.publisher = OutboxPublisher(
            self.engine, self.settings.amqp_uri, self.settings.outbox_batch_size, self.settings
        )
        self._stopping = False
        self._declared = False
        self._thread: Any = None
        self._woken = GreenEvent()

        # This service's queues first, before any consumer starts (every extension is set
        # up before any starts): it may be the first of a release to run. With the broker
        # away, the relay's thread ensures them before it publishes anything.
        try:
            self._declare()
        except Exception as error:
            log.warning("could not ensure the exchanges and queues yet (%s); the relay will", describe(error))

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def _declare(self) -> None:
        from bassin_common.registry import ServiceInfo  # the registry reads service classes

        service = ServiceInfo.of(self.container.service_cls)
        with Connection(self.settings.amqp_uri, transport_options=dict(FAIL_FAST)) as connection:
            topology.ensure(connection, service.name, service.subscriptions, len(self.settings.retry_delays))
        self._declared = True

    def stop(self) -> None:
        self._stopping = True
        self.wake()  # an idle relay stops now, not at the end of its poll interval
        if self._thread is not None:
            self._thread.wait()  # finishes the batch in flight (graceful shutdown)
        self.publisher.close()
        self.engine.dispose()

    def kill(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()

    def get_dependency(self, worker_ctx: Any) -> OutboxPublisher:
        return self.publisher

    def wake(self) -> None:
        """Rows were just committed in this process: publish them now, not at the next poll."""
        if not self._woken.ready():
            self._woken.send()

    def _run(self) -> None:
        first_wait = min(self.settings.outbox_poll_interval, self.settings.outbox_max_backoff)
        backoff = first_wait
        last_housekeeping = 0.0
        while not self._stopping:
            try:
                if not self._declared:
                    self._declare()
                self._woken = GreenEvent()  # a wake-up from now on is for rows not yet claimed
                published = self.publisher.publish_pending()
                if time.monotonic() - last_housekeeping > HOUSEKEEPING_INTERVAL:
                    self.publisher.housekeeping()
                    last_housekeeping = time.monotonic()
                backoff = first_wait
                if published < self.publisher.batch_size:
                    with eventlet.Timeout(self.settings.outbox_poll_interval, False):
                        self._woken.wait()
                        # Woken by a commit: others are likely on their way; one batch for all.
                        eventlet.sleep(self.settings.outbox_gather_window)
            except Exception as error:
                if is_transient(error):  # the broker or the database away: expected, no traceback
                    log.warning("outbox relay: %s; retrying in %.1fs", describe(error), backoff)
                else:
                    log.exception("outbox relay failed; retrying in %.1fs", backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, self.settings.outbox_max_backoff)


# --- bassin-outbox: rows set aside ---------------------------------------------------------

_SET_ASIDE = text(
    "SELECT id, event_id, exchange, routing_key, payload->>'tenant_id' AS tenant_id, attempts, last_error, "
    "created_at, set_aside_at FROM outbox WHERE set_aside_at IS NOT NULL ORDER BY id"
)
_REPLAY = text(
    "UPDATE outbox SET set_aside_at = NULL, attempts = 0, last_error = NULL, leased_until = NULL "
    "WHERE set_aside_at IS NOT NULL AND (:all OR id = :id OR event_id = CAST(:event_id AS uuid))"
)


def set_aside(engine: Engine) -> list[dict[str, Any]]:
    """The rows the relay set aside, oldest first."""
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(_SET_ASIDE)]


def replay(engine: Engine, row_id: int | None = None, event_id: str | None = None) -> int:
    """Put set-aside rows back in line (all of them without ``row_id`` nor ``event_id``),
    with a full set of attempts; returns how many. Their relay takes them at its next poll."""
    with engine.begin() as conn:
        params = {"all": row_id is None and event_id is None, "id": row_id, "event_id": event_id}
        return conn.execute(_REPLAY, params).rowcount


def main(argv: list[str] | None = None) -> int:
    """``bassin-outbox``: list and replay the outbox rows the broker kept refusing."""
    from bassin_common.registry import find_service, installed_services

    parser = argparse.ArgumentParser(prog="bassin-outbox", description=main.__doc__)
    parser.add_argument("--service", help="one installed service (default: every one installed here)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="show the rows set aside, one JSON line each")
    replay_parser = commands.add_parser("replay", help="put rows set aside back in line")
    replay_parser.add_argument("--id", type=int, help="only this row")
    replay_parser.add_argument("--event-id", help="only this event")
    replay_parser.add_argument("--all", action="store_true", help="every row set aside")
    args = parser.parse_args(argv)
    if args.command == "replay" and not (args.id or args.event_id or args.all):
        parser.error("replay needs --id, --event-id or --all")

    settings = load_settings()
    services = [find_service(args.service)] if args.service else list(installed_services())
    total = 0
    for service in services:
        url = settings.service_database_url(service.name)
        engine = make_engine(url, pool_size=1, role=settings.database_role, settings=settings)
        try:
            if args.command == "replay":
                total += replay(engine, args.id, args.event_id)
                continue
            for row in set_aside(engine):
                print(json.dumps({"service": service.name, **row}, default=str))
                total += 1
        finally:
            engine.dispose()
    print(f"{total} row(s) {'set aside' if args.command == 'list' else 'replayed'}", file=sys.stderr)
    return 0
