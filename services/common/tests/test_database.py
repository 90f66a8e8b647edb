"""Every connection the platform opens has its timeouts, on a real server: a statement, a
lock wait or a forgotten transaction cannot hold a connection for ever; a migration is not
cut; and what the limits raise is classified as the consumers and the RPC edge expect."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy.exc
from sqlalchemy import text

from bassin_common.config import Settings
from bassin_common.database import make_engine, psycopg_conninfo
from bassin_common.faults import is_transient
from bassin_common.migrations import migration_engine

LIMITS = Settings(database_statement_timeout=1.0, database_lock_timeout=0.5, database_idle_in_transaction_timeout=30)


def shown(engine, setting: str) -> str:
    with engine.connect() as connection:
        return connection.scalar(text(f"SHOW {setting}"))


def test_a_service_connection_has_the_limits_of_its_settings_and_a_migration_none(
    platform_database, test_settings
) -> None:
    engine = make_engine(platform_database, pool_size=1, role=test_settings.database_role, settings=LIMITS)
    defaults = make_engine(platform_database, pool_size=1)
    migrating = migration_engine(platform_database, LIMITS)
    try:
        assert [
            shown(engine, s) for s in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
        ] == [
            "1s",
            "500ms",
            "30s",
        ]
        assert shown(defaults, "statement_timeout") == "15s"  # the documented default, without settings
        assert shown(migrating, "statement_timeout") == shown(migrating, "lock_timeout") == "0"
    finally:
        for each in (engine, defaults, migrating):
            each.dispose()


def test_a_statement_cut_by_its_timeout_is_a_fault_and_a_lock_wait_cut_is_transient(platform_database) -> None:
    engine = make_engine(platform_database, pool_size=1, settings=LIMITS)
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError) as cut, engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(3)"))
        assert cut.value.orig.sqlstate == "57014" and not is_transient(cut.value)
        with psycopg.connect(psycopg_conninfo(platform_database)) as holder:
            holder.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(sqlalchemy.exc.OperationalError) as waited, engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM outbox"))
            holder.rollback()
        assert waited.value.orig.sqlstate == "55P03" and is_transient(waited.value)
    finally:
        engine.dispose()
