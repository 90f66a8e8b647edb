"""PostgreSQL: databases on demand, pooled engines, tenant-guarded session factories.

Plain SQLAlchemy and psycopg; the nameko provider that hands sessions to workers is in
``bassin_common.service``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.tenancy import install_tenant_guard


def assert_cooperative_psycopg() -> None:
    """Fail fast if psycopg would block the eventlet hub (see bassin_common/__init__)."""
    from psycopg import waiting

    if getattr(waiting, "wait_c", None) is not None and waiting.wait is waiting.wait_c:
        raise RuntimeError(
            "psycopg uses its C wait function, which blocks eventlet: import bassin_common "
            "before psycopg or set PSYCOPG_WAIT_FUNC=wait_select"
        )


def psycopg_conninfo(database_url: str, database: str | None = None) -> str:
    """The libpq form of a SQLAlchemy URL, for plain psycopg connections; optionally
    for another database of the same server (``postgres`` for administration)."""
    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def ensure_database(database_url: str) -> bool:
    """Create the database named in ``database_url`` if missing; True if created."""
    name = make_url(database_url).database
    with psycopg.connect(psycopg_conninfo(database_url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.errors.DuplicateDatabase:
            return False  # created concurrently by another process
    return True


def make_engine(database_url: str, pool_size: int, role: str = "") -> Engine:
    """A pooled engine; with ``role``, every connection acts as that role (row-level security)."""
    engine = create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=2,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    if role:

        @event.listens_for(engine, "connect")
        def _act_as_service_role(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{role}"')
            dbapi_connection.commit()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    install_tenant_guard(factory)
    return factory
