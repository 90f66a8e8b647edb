"""The transactional outbox: events are written with the change they announce, then
published by a relay.

Writing (``record``): a unit of work inserts its events into the ``outbox`` table in its
own transaction. A crash can no longer separate a change from its event.

Relaying (``OutboxRelay``, a nameko dependency in every service process): a row is
published while it is leased to one relay (``leased_until``), so replicas share the work
without publishing a row twice while it is being handled, and no transaction stays open
while the broker confirms. The writer's relay publishes what its process wrote: a unit of
work of a service process inserts its rows already leased to its process's relay
(``amqp_confirm_timeout`` + ``outbox_lease_margin``) and gets them back from the insert,
the same one statement; once it has committed, and only then, it hands them to that relay
in memory (``OutboxRelay.hand``), which publishes them without claiming them. Other rows —
written elsewhere, by a unit without a relay (tests, command-line tools) or with more
events than a batch, left by a relay that died, put back by ``bassin-outbox replay`` — are
claimed: leased with ``FOR UPDATE SKIP LOCKED`` in one statement that commits at once.
A batch (the rows handed, plus a claim when none were or every ``outbox_poll_interval``)
is published persistent, in its order, on a channel in confirm mode
(``broker.ConfirmedBatches``), and its confirms are awaited together: one round trip per
batch. The rows the broker confirmed are marked in one ``UPDATE``, and only they; the lease
of the others is given back at once. A handed row not published within
``outbox_lease_margin`` of its insert (its confirm could come after its lease) is given
back and claimed again, in order. A relay that dies mid-batch, or with rows handed to it,
leaves them to the next claim when their lease runs out. A crash between the confirm and
the mark republishes the row: consumers are idempotent (``bassin_common.inbox``), so that
is harmless (at-least-once delivery). For the same reason the relay's connection commits
with ``synchronous_commit = off``: losing its last statements in a crash of PostgreSQL
only republishes rows or frees their lease early (``OutboxRelay.setup``).

A commit with events wakes its process's relay, which publishes after
``outbox_gather_window`` (10 ms: under load the rows of several commits then share one
batch and one mark); otherwise the relay polls every ``outbox_poll_interval`` seconds. No
``NOTIFY``: it would cost a statement per transaction and serialise commits on
PostgreSQL's notification lock. Stopping, the relay publishes the rows handed to it
before it ends. When the broker or the database fails, it retries with a backoff capped
at ``outbox_max_backoff`` (2 s), so it resumes within about that once they are back.

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
from dataclasses import dataclass
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
# escaping pass per element, a single text parameter costs nothing. With a ``:lease`` (the
# writer's own relay will publish them) the rows are inserted leased to it, from the
# statement's start, and returned; without (NULL) they are inserted free, for a claim.
_INSERT = """
    INSERT INTO outbox (event_id, exchange, routing_key, payload, headers, leased_until)
    SELECT CAST(r.value->'payload'->>'event_id' AS uuid), r.value->>'exchange', r.value->'payload'->>'event_type',
           r.value->'payload', CAST(:headers AS jsonb),
           statement_timestamp() + make_interval(secs => CAST(:lease AS double precision))
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS r(value, n)
    ORDER BY r.n
    """
_RECORD = text(_INSERT)
_RECORD_LEASED = text(_INSERT + " RETURNING id, exchange, routing_key, payload, headers")
# Each runs alone, committed at once (the relay's connection is in autocommit, and does not
# wait for its commits to reach the disk: OutboxRelay.setup): a claim and a mark a batch,
# the mark alone for the rows handed by this process's units of work (ADR 0008).
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


@dataclass(frozen=True)
class Lease:
    """The lease a unit of work takes on the rows it writes for its process's relay
    (``OutboxPublisher.lease_for``): ``seconds`` from their insert, during which no other
    relay claims them. The relay publishes them from memory only until ``publish_by``
    (``time.monotonic()``), so that their confirm is in before the lease runs out."""

    seconds: float
    publish_by: float


def record(session: Session, events: Sequence[Event], context: RequestContext, lease: Lease | None = None) -> list[Any]:
    """Write ``events`` to the outbox in the session's transaction, in their order, in one
    statement however many there are (a price list emits thousands).

    With a ``lease``, the rows are inserted leased and returned (``id``, ``exchange``,
    ``routing_key``, ``payload``, ``headers``), for the unit of work to hand to its relay
    once committed (``OutboxPublisher.hand``); without, they wait for a claim and none are
    returned."""
    if not events:
        return []
    params = {
        "rows": json.dumps(
            [{"exchange": topology.event_exchange(e.producer).name, "payload": e.to_message()} for e in events]
        ),
        "headers": json.dumps(message_headers(context)),
        "lease": lease.seconds if lease is not None else None,
    }
    # On the session's connection, as the inbox's claim (bassin_common.inbox): client CPU.
    if lease is None:
        session.connection().execute(_RECORD, params)
        return []
    return session.connection().execute(_RECORD_LEASED, params).all()


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
        # Rows this process's units of work wrote leased and handed over (``hand``), each
        # with the time by which it must be published; the next batches take them in turn.
        self._handed: list[tuple[float, Any]] = []
        self._claimed_at = -float("inf")  # time.monotonic() of the last claim

    def lease_for(self, rows: int) -> Lease | None:
        """The lease a unit of work takes on the ``rows`` it writes, for this relay to publish
        them when they are handed over; None when they would not fit one batch (a price
        list's thousands): they are then written free and claimed."""
        if rows > self.batch_size:
            return None
        return Lease(self.lease_seconds(), time.monotonic() + self.settings.outbox_lease_margin)

    def hand(self, rows: Sequence[Any], lease: Lease | None) -> None:
        """Rows a unit of work of this process committed under ``lease`` (``record``): the
        next batch publishes them without claiming them. Without a lease, the unit wrote
        its rows free: the claim takes them."""
        if lease is not None:
            self._handed.extend((lease.publish_by, row) for row in rows)

    @property
    def handed(self) -> int:
        """How many handed rows wait for a batch."""
        return len(self._handed)

    def publish_pending(self) -> int:
        """Publish a batch: the rows handed over (``hand``) and, when there were none or the
        poll is due (``outbox_poll_interval``), rows claimed from the table (written
        elsewhere, left by a relay that died, replayed); returns how many rows the broker
        confirmed. A row it refused counts an attempt and the batch goes on; a lost broker
        stops the batch (raised after what was confirmed is marked)."""
        try:
            return self._publish_batch()
        except BaseException:
            # Rows of a failed batch may be left unconfirmed and leased: the handed rows
            # behind them must not overtake them. Forgotten here, they go back to the
            # claim, in their order, when their lease runs out (or at once: given back
            # with the batch when the broker failed).
            self._handed.clear()
            raise

    def _publish_batch(self) -> int:
        confirmed: list[int] = []
        refused: list[tuple[Any, BaseException]] = []
        failure: Exception | None = None
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rows = self._take_handed(conn)
            if not rows or self._poll_due():
                rows += self._claim(conn, self.batch_size - len(rows))
            if not rows:
                return 0
            rows.sort(key=lambda row: row.id)
            try:
                self._publish(rows, confirmed, refused)
            except Exception as exc:  # the broker went away mid-batch
                failure = exc
                rows += [row for _, row in self._handed]  # given back below: claimed again in order
                self._handed.clear()
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

    def _take_handed(self, conn: Any) -> list[Any]:
        """The next batch of handed rows. If one of them can no longer be confirmed before
        its lease runs out (this relay fell that far behind), every handed row is given
        back instead: the claim that follows takes them again, in their order, with a
        fresh lease."""
        batch, self._handed = self._handed[: self.batch_size], self._handed[self.batch_size :]
        if batch and min(publish_by for publish_by, _ in batch) < time.monotonic():
            late = [row.id for _, row in batch + self._handed]
            self._handed = []
            conn.execute(_GIVE_BACK, {"ids": late})
            return []
        return [row for _, row in batch]

    def _poll_due(self) -> bool:
        return time.monotonic() - self._claimed_at >= self.settings.outbox_poll_interval

    def _claim(self, conn: Any, limit: int) -> list[Any]:
        if limit <= 0:
            return []
        self._claimed_at = time.monotonic()
        return conn.execute(_CLAIM, {"limit": limit, "lease": self.lease_seconds()}).all()

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
        # The relay's statements (claim, mark, give back, count a refusal, housekeeping)
        # commit without waiting for the disk: a crash of PostgreSQL may lose the last of
        # them, and none of those losses breaks a guarantee. A lost mark republishes its
        # rows (at-least-once: consumers are idempotent, bassin_common.inbox); a lost
        # lease or give-back only lets another relay take the rows, as at a lease's end;
        # a lost refusal count is one more attempt; a lost purge is redone. The rows
        # themselves are written by business transactions, which keep synchronous commits.
        self.engine = make_engine(
            url, pool_size=1, role=self.settings.database_role, settings=self.settings, synchronous_commit=False
        )
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
            self._thread.wait()  # finishes the batch in flight and the rows handed (graceful shutdown)
        self.publisher.close()
        self.engine.dispose()

    def kill(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()
        self.engine.dispose()  # as ``Database.kill``

    def get_dependency(self, worker_ctx: Any) -> OutboxPublisher:
        return self.publisher

    def lease_for(self, rows: int) -> Lease | None:
        """The lease a unit of work of this process takes on the rows it writes
        (``OutboxPublisher.lease_for``)."""
        return self.publisher.lease_for(rows)

    def hand(self, rows: Sequence[Any], lease: Lease | None) -> None:
        """A unit of work of this process committed events: publish them now, not at the
        next poll; ``rows``, leased under ``lease``, without claiming them (none when they
        were written free: the claim takes them)."""
        self.publisher.hand(rows, lease)
        self.wake()

    def wake(self) -> None:
        """Publish now, not at the next poll (rows were handed, or the relay stops)."""
        if not self._woken.ready():
            self._woken.send()

    def _run(self) -> None:
        first_wait = min(self.settings.outbox_poll_interval, self.settings.outbox_max_backoff)
        backoff = first_wait
        last_housekeeping = 0.0
        # Stopping, it still publishes what was handed to it (the last workers' rows).
        while not self._stopping or self.publisher.handed:
            try:
                if not self._declared:
                    self._declare()
                self._woken = GreenEvent()  # a wake-up from now on is for rows not yet taken
                published = self.publisher.publish_pending()
                if time.monotonic() - last_housekeeping > HOUSEKEEPING_INTERVAL:
                    self.publisher.housekeeping()
                    last_housekeeping = time.monotonic()
                backoff = first_wait
                if published < self.publisher.batch_size and not self._stopping:
                    with eventlet.Timeout(self.settings.outbox_poll_interval, False):
                        if not self.publisher.handed:
                            self._woken.wait()
                        # Rows were handed (during the last batch, or now): others are likely
                        # on their way; one batch for all. Skipping this wait when rows were
                        # already handed shrank the batches (1.3 rows per mark against 1.9).
                        eventlet.sleep(self.settings.outbox_gather_window)
            except Exception as error:
                if is_transient(error):  # the broker or the database away: expected, no traceback
                    log.warning("outbox relay: %s; retrying in %.1fs", describe(error), backoff)
                else:
                    log.exception("outbox relay failed; retrying in %.1fs", backoff)
                if self._stopping:
                    return  # the rows still handed keep their lease; any relay takes them after it
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
