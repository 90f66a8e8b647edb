"""PostgreSQL: databases on demand, pooled engines, tenant-guarded session factories.

Plain SQLAlchemy and psycopg; the nameko provider that hands sessions to workers is in
``bassin_common.service``.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bassin_common import green_wait
from bassin_common.config import Settings, load_settings
from bassin_common.tenancy import TENANT_KEY_OPTION, as_housekeeping, install_tenant_guard

# TCP keepalives and a user timeout: a connection whose server vanished (a failover) is
# noticed within about 30 s, waiting for an answer or sending, instead of after the
# kernel's hours of keepalive or retransmission.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30000,  # ms
}


# In a process eventlet has monkey-patched (services, the gateway, the tests), psycopg waits
# through the hub; the command-line tools keep psycopg's own wait.
green_wait.install_in_green_process()


def assert_cooperative_psycopg() -> None:
    """Fail fast if psycopg would block the eventlet hub: it must wait through the hub
    (``bassin_common.green_wait``), which this module installs when it is imported after
    ``eventlet.monkey_patch()``."""
    from psycopg import waiting

    if waiting.wait is not green_wait.wait_on_hub:
        raise RuntimeError(
            f"psycopg waits with {getattr(waiting.wait, '__name__', waiting.wait)}, not through eventlet's hub: "
            "call eventlet.monkey_patch() before anything imports psycopg or bassin_common.database"
        )


def psycopg_conninfo(database_url: str, database: str | None = None) -> str:
    """The libpq form of a SQLAlchemy URL, for plain psycopg connections; optionally
    for another database of the same server (``postgres`` for administration)."""
    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def connect_arguments(settings: Settings | None = None, *, migrating: bool = False) -> dict[str, Any]:
    """libpq parameters of every connection the platform opens: the connect timeout and
    keepalives, and the server-side limits of ``settings`` (their defaults without it).

    A migration may rewrite a large table, and waits for its locks rather than failing a
    release half-way: it gets no statement, lock or idle-in-transaction limit at all (set
    explicitly, so that a limit set on the role or database does not apply either).
    """
    settings = settings or Settings()
    limits = {
        "statement_timeout": 0 if migrating else settings.database_statement_timeout,
        "lock_timeout": 0 if migrating else settings.database_lock_timeout,
        "idle_in_transaction_session_timeout": 0 if migrating else settings.database_idle_in_transaction_timeout,
    }
    options = " ".join(f"-c {name}={round(seconds * 1000)}" for name, seconds in limits.items())
    # libpq takes whole seconds and treats anything under 2 as 2.
    return {"connect_timeout": max(2, math.ceil(settings.database_connect_timeout)), "options": options, **_KEEPALIVES}


def ensure_database(database_url: str, settings: Settings | None = None) -> bool:
    """Create the database named in ``database_url`` if missing; True if created."""
    name = make_url(database_url).database
    conninfo = psycopg_conninfo(database_url, "postgres")
    with psycopg.connect(conninfo, autocommit=True, **connect_arguments(settings, migrating=True)) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.errors.DuplicateDatabase:
            return False  # created concurrently by another process
    return True


def make_engine(
    database_url: str,
    pool_size: int,
    role: str = "",
    settings: Settings | None = None,
    *,
    synchronous_commit: bool = True,
) -> Engine:
    """A pooled engine; with ``role``, every connection acts as that role (row-level security).

    Every connection has the timeouts of ``settings`` (``connect_arguments``), their
    defaults when none are given: no statement, lock wait or forgotten transaction of a
    service holds a connection, or its locks, for ever. Its transactions prove their tenant
    with the tenant key of ``settings`` (the environment's when none are given).

    ``synchronous_commit=False`` is for an engine whose commits may be lost in a crash of
    PostgreSQL without harm (the outbox relay's bookkeeping, ``bassin_common.outbox``): its
    connections start with ``synchronous_commit = off`` (a startup option: no statement),
    and a commit returns without waiting for its WAL to reach the disk. Never for business
    transactions.
    """
    tenant_key = (settings or load_settings()).database_tenant_key
    connect_args = connect_arguments(settings)
    if not synchronous_commit:
        connect_args["options"] += " -c synchronous_commit=off"
    engine = create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=2,
        # No pre-ping: it costs a round trip per transaction. A connection the server
        # dropped fails its next use once; SQLAlchemy then discards the whole pool, and the
        # failure is transient (503 to a caller, a retry for a consumer): faults.py.
        pool_recycle=1800,
        connect_args=connect_args,
        execution_options={TENANT_KEY_OPTION: tenant_key},
    )
    if role:

        @event.listens_for(engine, "connect")
        def _act_as_service_role(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{role}"')
            dbapi_connection.commit()

    return engine


def delete_in_batches(engine: Engine, table: str, older_than: str, days: float, batch: int = 5000) -> int:
    """Delete the rows of ``table`` whose ``older_than`` column is more than ``days`` old, a
    batch per transaction (each far under the statement timeout), every tenant's (a
    housekeeping transaction: ``tenancy.allow_housekeeping``); returns how many."""
    statement = text(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
        f"WHERE {older_than} < now() - make_interval(secs => :seconds) LIMIT :batch))"
    )
    deleted = 0
    while True:
        with engine.begin() as connection:
            as_housekeeping(connection)
            count = connection.execute(statement, {"seconds": days * 86400, "batch": batch}).rowcount
        deleted += count
        if count < batch:
            return deleted


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    install_tenant_guard(factory)
    return factory
