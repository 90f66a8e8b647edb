"""Which failures are the infrastructure's, for now, rather than the request's.

A failure is *transient* when the same work would succeed unchanged once a dependency is
back: the database or the broker unreachable, restarting or failing over, a connection
dropped, contention that ends by itself (a lock wait cut by ``lock_timeout``, a deadlock,
a serialization failure, a full connection pool). Such a failure says nothing about the
request, so:

- the RPC edge answers ``Unavailable`` (503, retry later) instead of a fault (500);
- an event consumer retries it without spending an attempt, so a PostgreSQL failover
  never sends events to the dead-letter queue (``bassin_common.consumer``).

A statement cut by ``statement_timeout`` is *not* transient: a query that always takes too
long would otherwise be retried for ever, out of operators' sight; it is a fault (500) at
the RPC edge and a counted attempt, then a dead letter, for a consumer. Domain errors
other than ``Unavailable`` are the request's, never transient.
"""

from __future__ import annotations

import socket

import amqp.exceptions
import kombu.exceptions
import psycopg
import sqlalchemy.exc

from bassin_common.errors import DomainError, PermanentFailure, Unavailable

# SQLSTATEs of a server that is going away or cannot take the work right now, and of
# contention that resolves itself. Class 08 (connection exceptions) is matched whole.
TRANSIENT_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown: the server is stopping (a failover, a restart)
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up or in recovery
        "53300",  # too_many_connections
        "25006",  # read_only_sql_transaction: a write reached a standby during a failover
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available: lock_timeout
    }
)

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    Unavailable,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no connection free in the pool
    psycopg.InterfaceError,  # "the connection is closed"
    amqp.exceptions.ConnectionError,
    kombu.exceptions.OperationalError,
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,  # socket.timeout: a connect or a publisher confirm that did not come
    socket.gaierror,  # a host name that does not resolve (a DNS switch during failover)
)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) is a dependency failing for now (see above)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (DomainError, PermanentFailure)) and not isinstance(current, Unavailable):
            return False
        if isinstance(current, _TRANSIENT_TYPES):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, psycopg.Error):
            sqlstate = current.sqlstate
            if sqlstate is not None and (sqlstate.startswith("08") or sqlstate in TRANSIENT_SQLSTATES):
                return True
            if sqlstate is None and isinstance(current, psycopg.OperationalError):
                return True  # no SQLSTATE: the connection itself failed (refused, dropped)
        # What an error wraps: SQLAlchemy's driver error, an explicit ``raise … from``.
        # Not ``__context__``: a bug raised while handling a lost connection is a bug.
        pending.extend([getattr(current, "orig", None), current.__cause__])
    return False
