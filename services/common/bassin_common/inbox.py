"""The inbox: a consumer applies each event once, however often it is delivered.

RabbitMQ delivers at least once (a relay republishes after a crash, the broker redelivers
after a consumer dies), so every consumer records ``(consumer, event_id)`` in its
database's ``processed_events`` table in the same transaction as the event's effect.
A redelivery finds the row and does nothing; a concurrent duplicate waits on the
primary key until the first commits, then finds it.

Claims are kept ``inbox_retention_days`` (30 by default; the outbox relay's hourly
housekeeping purges older ones): longer than any redelivery, retry, or republication of
published outbox rows (kept 7 days), so a duplicate always finds its claim. A dead letter
replayed after that window is applied even if an earlier copy had been (ADR 0002).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bassin_common.database import delete_in_batches
from bassin_common.events import Event
from bassin_common.tenancy import TENANT_KEY, TENANT_SETTINGS, tenant_settings

if TYPE_CHECKING:  # the unit of work writes the outbox, whose relay purges this table
    from bassin_common.uow import UnitOfWork

_CLAIM_EACH = text(
    "INSERT INTO processed_events (consumer, event_id) "
    "SELECT :consumer, id FROM unnest(CAST(:event_ids AS uuid[])) AS id ON CONFLICT DO NOTHING RETURNING event_id"
)
# The same, telling the transaction its tenant first: the uncorrelated subquery is a
# one-time filter, run once before any row is inserted (and true: set_config returns the
# value set). ``processed_events`` has no tenant policy; what follows the claim has.
_TELL_AND_CLAIM_EACH = text(
    "INSERT INTO processed_events (consumer, event_id) "
    "SELECT :consumer, id FROM unnest(CAST(:event_ids AS uuid[])) AS id "
    f"WHERE (SELECT num_nonnulls({TENANT_SETTINGS}) = 2) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


def claim(session: Session, consumer: str, event: Event) -> bool:
    """Mark ``event`` processed by ``consumer`` in this transaction; False if it already was."""
    return bool(claim_each(session, consumer, [event]))


def claim_each(session: Session, consumer: str, events: Sequence[Event]) -> set[str]:
    """``claim`` for several events in one statement; the ids (text) of those not processed yet.

    In a session of a tenant, the statement also tells the transaction its tenant (the row-
    level security settings): a consumer's unit of work opened with ``TOLD_BY_FIRST_STATEMENT``
    claims first and so needs no statement of its own for them (``tell_tenant``)."""
    parameters: dict[str, Any] = {"consumer": consumer, "event_ids": [str(e.event_id) for e in events]}
    # On the session's connection (its transaction): a text statement gains nothing from the
    # ORM's execution and its events, which cost client CPU in every consumer (ADR 0008).
    connection = session.connection()
    if (tenant := session.info.get(TENANT_KEY)) is None:
        return {str(event_id) for (event_id,) in connection.execute(_CLAIM_EACH, parameters)}
    parameters |= tenant_settings(connection, tenant)
    return {str(event_id) for (event_id,) in connection.execute(_TELL_AND_CLAIM_EACH, parameters)}


def apply_once(uow: UnitOfWork, consumer: str, event: Event, use_case: Callable[[UnitOfWork, Any], Any]) -> bool:
    """Run ``use_case(uow, event.data)`` unless ``consumer`` already processed ``event``.

    The claim commits with the use case's effect when the unit of work ends.
    """
    if not claim(uow.session, consumer, event):
        return False
    use_case(uow, event.data)
    return True


def apply_each_once(
    uow: UnitOfWork, consumer: str, events: Sequence[Event], use_case: Callable[[UnitOfWork, Any], Any]
) -> int:
    """``apply_once`` for several events of the unit's tenant (a consumer's batch), their
    claims in one statement; each event's use case acts in the event's own context (its
    correlation id goes on what it emits). Returns how many ran."""
    if len(events) == 1:
        return int(apply_once(uow, consumer, events[0], use_case))
    new = claim_each(uow.session, consumer, events)
    applied = 0
    for event in events:
        if str(event.event_id) in new:
            new.discard(str(event.event_id))  # the same event twice in a batch: once
            with uow.acting_for(event.context):
                use_case(uow, event.data)
            applied += 1
    return applied


def by_tenant(events: Sequence[Event]) -> list[list[Event]]:
    """``events`` in runs of one tenant each, in their order."""
    runs: list[list[Event]] = []
    for event in events:
        if runs and runs[-1][0].tenant_id == event.tenant_id:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def purge(engine: Engine, days: float) -> int:
    """Forget claims older than ``days``; returns how many."""
    return delete_in_batches(engine, "processed_events", "processed_at", days)
