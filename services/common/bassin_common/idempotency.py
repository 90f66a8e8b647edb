"""Idempotent RPCs: a request is executed once, however often it arrives.

An RPC request arrives more than once when a client retries after a timeout, or when the
broker redelivers it because its reply could not be published (``bassin_common.service``).
The gateway gives every request an id — the client's ``Idempotency-Key``, or one of its own
per HTTP request — in the call's context (``RequestContext.request_id``). An RPC declared
``rpc(..., idempotent=True)`` records, in the same transaction as its use case,
``(tenant, rpc, request id)`` with a fingerprint of the call's arguments and the response
it gave (``processed_requests``, a platform table in every service database):

- the first arrival claims the key, runs the use case and stores the response;
- a repeat with the same arguments gets the stored response; the use case does not run;
- a repeat with other arguments is refused (``ValidationFailed`` on ``Idempotency-Key``);
- a concurrent repeat waits on the table's primary key until the first commits, then gets
  its response (or, if the first rolled back, runs itself).

A call without a request id (an internal caller, a test) runs normally. A use case that
fails leaves no record: its transaction is rolled back, so the next arrival runs it again.

Rows are kept ``request_retention_days`` (the outbox relay's hourly housekeeping purges
them): a key reused later creates again. Responses are tenant data: queries name the unit
of work's tenant, and the table has the tenant policy of row-level security like every
tenant table, plus one that lets the housekeeping purge every tenant's rows (ADR 0002).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.database import delete_in_batches
from bassin_common.errors import ValidationFailed
from bassin_common.tenancy import TENANT_SETTINGS, RequestContext, tenant_settings

if TYPE_CHECKING:  # the unit of work writes the outbox, whose relay purges this table
    from bassin_common.uow import UnitOfWork

KEY_FIELD = "Idempotency-Key"  # how the caller knows the request id (the gateway's header)
MAX_REQUEST_ID = 100

_KEY = "tenant_id = :tenant_id AND rpc = :rpc AND request_id = :request_id"
# The claim, telling the transaction its tenant first (as a consumer's inbox claim does,
# ``bassin_common.inbox``): the uncorrelated subquery is a one-time filter, run before the
# row is produced, so the table's own policy checks the row against the tenant just set. An
# RPC's unit of work opened with ``claims_first`` so needs no statement of its own for them.
_CLAIM = text(
    "INSERT INTO processed_requests (tenant_id, rpc, request_id, fingerprint) "
    "SELECT CAST(:tenant_id AS uuid), :rpc, :request_id, :fingerprint "
    f"WHERE (SELECT num_nonnulls({TENANT_SETTINGS}) = 2) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)
_FIRST = text(f"SELECT fingerprint, response FROM processed_requests WHERE {_KEY}")
_RESPOND = text(f"UPDATE processed_requests SET response = :response WHERE {_KEY}").bindparams(
    bindparam("response", type_=JSONB)
)


def fingerprint(arguments: Mapping[str, Any]) -> str:
    """A digest of a call's arguments as they came over the wire, by name."""
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claims(context: RequestContext) -> bool:
    """Whether ``run_once`` in this context starts with its claim, which tells the transaction
    its tenant (a unit of work opened ``claims_first`` then sends no statement of its own)."""
    return context.request_id is not None


def run_once(uow: UnitOfWork, rpc: str, arguments_fingerprint: str, respond: Callable[[], Any]) -> Any:
    """``respond()`` (the use case, its result dumped to JSON values) once per request id of
    the unit of work's context; a repeat returns the first response (see the module doc)."""
    request_id = uow.context.request_id
    if request_id is None:  # not ``claims``
        return respond()
    if len(request_id) > MAX_REQUEST_ID:
        raise ValidationFailed.field(KEY_FIELD, f"at most {MAX_REQUEST_ID} characters")
    key = {"tenant_id": uow.context.tenant_id, "rpc": rpc, "request_id": request_id}
    # On the session's connection (its transaction), as the inbox's claim: client CPU.
    connection = uow.session.connection()
    told = tenant_settings(connection, uow.context.tenant_id)
    if connection.execute(_CLAIM, {**key, **told, "fingerprint": arguments_fingerprint}).first() is None:
        # Taken, by a committed request (or one that committed while this insert waited).
        first = connection.execute(_FIRST, key).one()
        if first.fingerprint != arguments_fingerprint:
            raise ValidationFailed.field(KEY_FIELD, "reused with a different request")
        return first.response
    response = respond()
    connection.execute(_RESPOND, {**key, "response": response})
    return response


def purge(engine: Engine, days: float) -> int:
    """Forget requests processed more than ``days`` ago; returns how many."""
    return delete_in_batches(engine, "processed_requests", "created_at", days)
