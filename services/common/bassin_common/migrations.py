"""Migrations, the same way for every database.

A service database is migrated in three steps (``migrate_service``), all idempotent:

1. the platform's own tables (outbox, inbox, processed RPC requests), from ``bassin_common/alembic/platform``,
   tracked in the ``bassin_platform_version`` table, so the platform evolves them once
   for every service;
2. the service's revisions, from ``<package>/migrations`` (no ``env.py`` nor template
   there: the shared ones in ``bassin_common/alembic`` serve every service);
3. row-level security on every table of its ``TenantScoped`` models, then the grants of
   the role services act as (ADR 0003).

``bassin-migrate SERVICE`` does that and declares the service's exchange and queues
(``bassin_common.topology``): a release's migration step runs before any of its
services, so no event is published before its consumers' queues exist.

``bassin-migrate gateway --package bassin_gateway`` migrates a database that belongs to
no registered service (the gateway's identities): step 2 only.
``bassin-migrate SERVICE --new-revision "what changes"`` writes a new, empty revision.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from kombu import Connection
from sqlalchemy import pool

from bassin_common import topology
from bassin_common.config import Settings, load_settings
from bassin_common.database import connect_arguments, ensure_database
from bassin_common.registry import ServiceInfo, find_service
from bassin_common.tenancy import isolate_tenant_tables

ENVIRONMENT = Path(__file__).parent / "alembic"
PLATFORM_VERSIONS = ENVIRONMENT / "platform"
PLATFORM_VERSION_TABLE = "bassin_platform_version"
ROLE_EXISTS = {"42710", "23505"}  # duplicate_object, unique_violation


def alembic_config(
    database_url: str, versions: Path, version_table: str = "alembic_version", settings: Settings | None = None
) -> Config:
    config = Config()
    config.attributes["settings"] = settings
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("version_table", version_table)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def run_env() -> None:
    """Body of the shared ``env.py`` (online mode only)."""
    config = context.config
    engine = migration_engine(config.get_main_option("sqlalchemy.url"), config.attributes.get("settings"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            transaction_per_migration=True,
            version_table=config.get_main_option("version_table"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def migration_engine(database_url: str, settings: Settings | None = None) -> sa.Engine:
    """An engine for migrating: the connect timeout, but no statement, lock or idle limit
    (a migration may rewrite a large table; it must not be cut half-way)."""
    return sa.create_engine(
        database_url, poolclass=pool.NullPool, connect_args=connect_arguments(settings, migrating=True)
    )


def upgrade_database(
    database_url: str, versions: Path, version_table: str = "alembic_version", settings: Settings | None = None
) -> None:
    """Create the database if missing and migrate it to the head of ``versions``."""
    ensure_database(database_url, settings)
    command.upgrade(alembic_config(database_url, versions, version_table, settings), "head")


def migrate_service(service: ServiceInfo, settings: Settings) -> None:
    """The database steps of a service's migration (see the module docstring)."""
    database_url = settings.service_database_url(service.name)
    upgrade_database(database_url, PLATFORM_VERSIONS, PLATFORM_VERSION_TABLE, settings)
    if service.migrations.is_dir():
        command.upgrade(alembic_config(database_url, service.migrations, settings=settings), "head")
    engine = migration_engine(database_url, settings)
    with engine.begin() as connection:
        isolate_tenant_tables(connection, service.tenant_tables)
    if settings.database_role:
        with engine.begin() as connection:
            grant_service_role(connection, settings.database_role)
    engine.dispose()


def declare_topology(service: ServiceInfo, settings: Settings) -> list[str]:
    """The service's exchange and queues, its classic queues migrated to quorum queues
    first (``topology.prepare_and_declare``); returns the queues migrated."""
    with Connection(settings.amqp_uri) as connection:
        return topology.prepare_and_declare(connection, settings, service.name, service.subscriptions)


def grant_service_role(connection: sa.Connection, role: str) -> None:
    """Create the (login-less) role services act as, and let it use this database's tables.

    Run after every migration, so tables added later are granted too. Not a superuser
    and without BYPASSRLS: row-level security applies to it.
    """
    exists = connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
    if not exists:
        try:
            with connection.begin_nested():
                connection.execute(sa.text(f'CREATE ROLE "{role}" NOLOGIN NOBYPASSRLS'))
        except sa.exc.DBAPIError as error:
            # Roles are the cluster's: two databases migrated at once (one job per service)
            # may both try; the loser sees a duplicate (42710, or 23505 from the catalog).
            if getattr(error.orig, "sqlstate", None) not in ROLE_EXISTS:
                raise
    connection.execute(sa.text(f'GRANT "{role}" TO CURRENT_USER'))
    connection.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
    connection.execute(sa.text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
    connection.execute(sa.text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))


def tenant_column() -> sa.Column:
    """The ``tenant_id`` column of every tenant-owned table (see ``TenantScoped``)."""
    return sa.Column("tenant_id", sa.Uuid, nullable=False, index=True)


def created_at(name: str = "created_at") -> sa.Column:
    """A timestamp column set by the database when the row is written."""
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def new_revision(versions: Path, message: str) -> Path:
    """Write an empty revision after the last one, numbered 0001, 0002…"""
    existing = sorted(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    number = f"{len(existing) + 1:04d}"
    config = alembic_config("postgresql://unused", versions)
    script = command.revision(config, message, rev_id=number)
    return Path(script.path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bassin-migrate", description=__doc__.split("\n")[0])
    parser.add_argument("name", help="a registered service's name, or with --package the database's")
    parser.add_argument("--package", help="Python package holding migrations/, for a database of no service")
    parser.add_argument("--new-revision", metavar="MESSAGE", help="write a new empty revision instead")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.package:
        versions = Path(__import__(args.package).__file__).parent / "migrations"
        if args.new_revision:
            print(new_revision(versions, args.new_revision))
            return 0
        upgrade_database(settings.service_database_url(args.name), versions, settings=settings)
        print(f"{args.name}: migrated")
        return 0
    service = find_service(args.name)
    if args.new_revision:
        service.migrations.mkdir(parents=True, exist_ok=True)
        print(new_revision(service.migrations, args.new_revision))
        return 0
    migrate_service(service, settings)
    for queue in declare_topology(service, settings):
        print(f"{queue}: migrated to a quorum queue")
    print(f"{service.name}: migrated, {len(service.subscriptions)} subscription(s) declared")
    return 0
