"""Alembic, the same way for every service.

Each service keeps its revisions in ``<service>/migrations/versions`` and a two-line
``env.py`` calling ``run_env``. ``upgrade`` creates the service's database when it
does not exist yet, then migrates it to head; the start command and the tests call it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import pool
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.config import Settings
from bassin_common.db import ensure_database


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrations_dir(package: str) -> Path:
    """Where a service package keeps its alembic environment: ``<package>/migrations``."""
    return Path(importlib.import_module(package).__file__).parent / "migrations"


def upgrade(service: str, settings: Settings, package: str | None = None) -> None:
    """Create the service's database if missing, migrate it to head, grant the service role."""
    database_url = settings.service_database_url(service)
    ensure_database(database_url)
    command.upgrade(alembic_config(migrations_dir(package or service), database_url), "head")
    if settings.database_role and _has_tenant_isolation(database_url):
        grant_service_role(database_url, settings.database_role)


def _has_tenant_isolation(database_url: str) -> bool:
    """Databases behind row-level security are the ones services use through their role.

    The gateway's (identities, password hashes) has none, and the role gets nothing there.
    """
    engine = sa.create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        found = connection.scalar(sa.text("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relrowsecurity)"))
    engine.dispose()
    return bool(found)


def grant_service_role(database_url: str, role: str) -> None:
    """Create the (login-less) role services act as, and let it use this database's tables.

    Run after every migration, so tables added later are granted too. Not a superuser
    and without BYPASSRLS: row-level security applies to it.
    """
    engine = sa.create_engine(database_url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
        if not exists:
            try:
                with connection.begin_nested():
                    connection.execute(sa.text(f'CREATE ROLE "{role}" NOLOGIN NOBYPASSRLS'))
            except sa.exc.ProgrammingError:
                pass  # created concurrently by another service's migration
        connection.execute(sa.text(f'GRANT "{role}" TO CURRENT_USER'))
        connection.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        connection.execute(sa.text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
        connection.execute(sa.text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    engine.dispose()


def isolate_tenants(*tables: str) -> None:
    """Row-level security on tenant tables: rows of other tenants do not exist for the service role.

    The setting is transaction-local and set by ``tenancy``; without it, no row is visible
    and none may be written. FORCE applies the policy to the table owner too.
    """
    visible = "tenant_id = NULLIF(current_setting('bassin.tenant_id', true), '')::uuid"
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({visible}) WITH CHECK ({visible})")


def end_tenant_isolation(*tables: str) -> None:
    """Undo ``isolate_tenants`` (downgrades)."""
    for table in tables:
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def run_env() -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def tenant_column() -> sa.Column:
    """The ``tenant_id`` column of every tenant-owned table (see ``TenantScoped``)."""
    return sa.Column("tenant_id", sa.Uuid, nullable=False, index=True)


def create_messaging_tables() -> None:
    """The outbox and inbox tables every service has; call from its first revision."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("exchange", sa.Text, nullable=False),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def main(argv: list[str] | None = None) -> int:
    """``bassin-migrate SERVICE [--package PKG]``: create and migrate one service's database."""
    import argparse

    from bassin_common.config import load_settings

    parser = argparse.ArgumentParser(prog="bassin-migrate", description=main.__doc__)
    parser.add_argument("service", help="service name: inventory, pos, gateway…")
    parser.add_argument("--package", help="Python package holding migrations/ (default: the service name)")
    args = parser.parse_args(argv)
    upgrade(args.service, load_settings(), args.package)
    print(f"{args.service}: migrated")
    return 0
