"""The unit of work: one transaction, for one tenant, around one use case.

    with UnitOfWork(sessions, context, producer="inventory") as uow:
        usecases.create_location(uow, data)      # uses uow.session, calls uow.emit(...)

Everything the use case does — its rows, the events it emits (written to the outbox) and,
for a consumer, the claim of the event it handles (the inbox) — commits together when the
``with`` block ends without an error, and is rolled back otherwise. Use cases never commit:
a forgotten commit cannot lose an effect, and a failure cannot half-write one.

A use case that wants to try something and recover from its failure (a unique index
racing a retry, say) does it in ``uow.session.begin_nested()``: a savepoint, not a rollback
of the whole unit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bassin_common import outbox
from bassin_common.errors import Conflict
from bassin_common.events import Event, EventSpec
from bassin_common.french import business_day
from bassin_common.tenancy import TENANT_KEY, TOLD_BY_FIRST_STATEMENT, RequestContext

UNIQUE_VIOLATION = "23505"


class Relay(Protocol):
    """The outbox relay of this process (``outbox.OutboxRelay``; an ``OutboxPublisher``
    will do without nameko), which publishes a unit's events once they are committed."""

    def lease_for(self, rows: int) -> outbox.Lease | None: ...

    def hand(self, rows: Sequence[Any], lease: outbox.Lease | None) -> None: ...


class UnitOfWork:
    session: Session

    def __init__(
        self,
        sessions: sessionmaker[Session],
        context: RequestContext,
        producer: str,
        relay: Relay | None = None,
        claims_first: bool = False,
    ) -> None:
        self.context = context
        # A unit whose first statement is a claim that tells the transaction its tenant
        # itself — a consumer's inbox claim (``bassin_common.inbox``), an idempotent RPC's
        # request claim (``bassin_common.idempotency``): one round trip less.
        self._claims_first = claims_first
        self.producer = producer
        self.emitted: list[Event] = []  # in emission order; what tests inspect
        self._emitted_for: list[RequestContext] = []  # the context each event was emitted in
        self._sessions = sessions
        # This process's relay: a unit's events are written leased to it and handed to it
        # once committed, and it publishes them without claiming them (ADR 0008). Without
        # one (tests, command-line tools), they are written free and any relay claims them.
        self._relay = relay

    def __enter__(self) -> UnitOfWork:
        info: dict[str, Any] = {TENANT_KEY: self.context.tenant_id}
        if self._claims_first:
            info[TOLD_BY_FIRST_STATEMENT] = True
        self.session = self._sessions(info=info)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        lease = self._relay.lease_for(len(self.emitted)) if self._relay is not None and self.emitted else None
        rows: list[Any] = []
        try:
            if error is None:
                for context, events in self._emitted_by_context():
                    rows += outbox.record(self.session, events, context, lease)
                self.session.commit()
        except IntegrityError as failure:
            error = failure
        finally:
            self.session.close()  # rolls back whatever was not committed
        if isinstance(error, IntegrityError) and getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            # A uniqueness rule won a race against the use case's own check: the caller's
            # concern (409), not a server fault. Other integrity errors are bugs.
            raise Conflict("this already exists (created concurrently?)") from error
        if error is not None and exc_type is None:
            raise error
        if error is None and self.emitted and self._relay is not None:
            self._relay.hand(rows, lease)  # committed: never on a rollback

    @property
    def tenant_id(self) -> Any:
        return self.context.tenant_id

    def now(self) -> datetime:
        """This transaction's start on the database's clock (PostgreSQL's ``now()``): what
        this work stamps its rows with, the same however often it is asked."""
        return self.session.scalar(select(func.now()))

    def today(self) -> date:
        """The day in France of ``now()``: what this work dates its documents with,
        consistent with the timestamps it writes."""
        return business_day(self.now())

    @contextmanager
    def acting_for(self, context: RequestContext) -> Iterator[UnitOfWork]:
        """Run part of this unit in another context of the same tenant: a consumer's batch
        applies each event in its own (its correlation id goes on what that part emits)."""
        if context.tenant_id != self.context.tenant_id:
            raise ValueError("a unit of work acts for one tenant")
        outer, self.context = self.context, context
        try:
            yield self
        finally:
            self.context = outer

    def _emitted_by_context(self) -> list[tuple[RequestContext, list[Event]]]:
        """The emitted events in runs of the context each was emitted in."""
        runs: list[tuple[RequestContext, list[Event]]] = []
        for event, context in zip(self.emitted, self._emitted_for, strict=True):
            if runs and runs[-1][0] is context:
                runs[-1][1].append(event)
            else:
                runs.append((context, [event]))
        return runs

    def emit(self, spec: EventSpec, data: Any) -> Event:
        """Record an event (``data``: a mapping, or an object the spec's schema dumps); it
        is written to the outbox with this unit's changes and published by the relay once
        they are committed."""
        event = Event(
            event_type=spec.event_type,
            tenant_id=self.context.tenant_id,
            producer=self.producer,
            data=spec.serialize(data),
            version=spec.version,
            correlation_id=self.context.correlation_id,
        )
        self.emitted.append(event)
        self._emitted_for.append(self.context)
        return event
