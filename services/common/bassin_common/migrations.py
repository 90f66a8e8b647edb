"""Migrations, the same way for every database.

A service database is migrated in three steps (``migrate_service``), all idempotent:

1. the platform's own tables (outbox, inbox, processed RPC requests), from ``bassin_common/alembic/platform``,
   tracked in the ``bassin_platform_version`` table, so the platform evolves them once
   for every service;
2. the service's revisions, from ``<package>/migrations`` (no ``env.py`` nor template
   there: the shared ones in ``bassin_common/alembic`` serve every service);
3. row-level security on every table of its ``TenantScoped`` models, then the grants of
   the role services act as (ADR 0003) and the runtime login services connect with: the
   user of ``database_url``, created from it, only a member of that role (ADR 0033).

Before step 1, the tenant proof (``tenancy.prepare_tenant_proof``): the functions the
policies call, and the deployment's tenant key(s) they check proofs with.

The migration step connects with ``migration_database_url`` (the tables' owner); the
services, with ``database_url`` only.

``bassin-migrate SERVICE`` does that and declares the service's exchange and queues
(``bassin_common.topology``): a release's migration step runs before any of its
services, so no event is published before its consumers' queues exist.

``bassin-migrate gateway --package bassin_gateway`` migrates a database that belongs to
no registered service (the gateway's identities): step 2, then its component's own login
(``grant_component_login``: no row-level security there, and no grant to the services).
``bassin-migrate SERVICE --new-revision "what changes"`` writes a new, empty revision.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from kombu import Connection
from sqlalchemy import pool
from sqlalchemy.engine import make_url

from bassin_common import topology
from bassin_common.config import Settings, load_settings
from bassin_common.database import connect_arguments, ensure_database
from bassin_common.registry import ServiceInfo, find_service
from bassin_common.tenancy import (
    isolate_tenant_tables,
    prepare_tenant_proof,
    require_tenant_proof,
    store_tenant_keys,
)

ENVIRONMENT = Path(__file__).parent / "alembic"
PLATFORM_VERSIONS = ENVIRONMENT / "platform"
PLATFORM_VERSION_TABLE = "bassin_platform_version"
ROLE_EXISTS = {"42710", "23505"}  # duplicate_object, unique_violation
MINIMUM_TENANT_KEY_LENGTH = 32
# tuple concurrently updated (XX000), unique_violation, deadlock_detected
ROLE_RACES = {"XX000", "23505", "40P01"}
ROLE_UPDATE_ATTEMPTS = 5


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
    database_url = settings.migration_service_database_url(service.name)
    prepare_database(database_url, settings)
    upgrade_database(database_url, PLATFORM_VERSIONS, PLATFORM_VERSION_TABLE, settings)
    if service.migrations.is_dir():
        command.upgrade(alembic_config(database_url, service.migrations, settings=settings), "head")
    engine = migration_engine(database_url, settings)
    with engine.begin() as connection:
        isolate_tenant_tables(connection, service.tenant_tables)
        require_tenant_proof(connection)
    engine.dispose()
    grant_runtime_access(database_url, settings)


def prepare_database(database_url: str, settings: Settings) -> None:
    """Create the database if missing, with the tenant proof's functions and keys (before
    any revision creates a policy naming them). Refuses a missing or short key."""
    keys = [settings.database_tenant_key, settings.database_previous_tenant_key]
    if len(settings.database_tenant_key) < MINIMUM_TENANT_KEY_LENGTH:
        raise ValueError(
            f"BASSIN_DATABASE_TENANT_KEY must be set to {MINIMUM_TENANT_KEY_LENGTH}+ random characters (ADR 0033)"
        )
    ensure_database(database_url, settings)
    engine = migration_engine(database_url, settings)
    with engine.begin() as connection:
        prepare_tenant_proof(connection)
        store_tenant_keys(connection, keys)
    engine.dispose()


def grant_runtime_access(database_url: str, settings: Settings) -> None:
    """The grants of the role services act as, and the runtime login (``runtime_login``)."""
    if not settings.database_role:
        return
    engine = migration_engine(database_url, settings)
    with engine.begin() as connection:
        grant_service_role(connection, settings.database_role)
        runtime_login(connection, settings.database_url, settings.database_role)
    engine.dispose()


def grant_component_login(database_url: str, settings: Settings) -> None:
    """A database of no registered service, without row-level security (the gateway's, with
    the password hashes): its component's own login (``database_url``'s user), member of
    no role, gets the use of its tables; ``bassin_service``, so every service's login, none."""
    engine = migration_engine(database_url, settings)
    with engine.begin() as connection:
        if login := runtime_login(connection, settings.database_url, None):
            _grant_tables(connection, login)
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
    _create_role(connection, role, "NOLOGIN NOBYPASSRLS")
    connection.execute(sa.text(f'GRANT "{role}" TO CURRENT_USER'))
    _grant_tables(connection, role)


def _grant_tables(connection: sa.Connection, role: str) -> None:
    connection.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
    connection.execute(sa.text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
    connection.execute(sa.text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))


def _create_role(connection: sa.Connection, role: str, attributes: str) -> None:
    exists = connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
    if not exists:
        try:
            with connection.begin_nested():
                connection.execute(sa.text(f'CREATE ROLE "{role}" {attributes}'))
        except sa.exc.DBAPIError as error:
            # Roles are the cluster's: two databases migrated at once (one job per service)
            # may both try; the loser sees a duplicate (42710, or 23505 from the catalog).
            if getattr(error.orig, "sqlstate", None) not in ROLE_EXISTS:
                raise


def runtime_login(connection: sa.Connection, runtime_url: str, service_role: str | None) -> str | None:
    """Create or update the login of ``runtime_url`` (its password too) as a member of
    ``service_role`` only (None: of no role), inheriting its rights and no others: not a
    superuser, no BYPASSRLS, owner of nothing. Returns its name; None when ``runtime_url``'s
    user is the migration user itself (a single-URL development set-up: nothing to create).

    ``RESET ROLE`` then leads back to a user with the service role's rights, under the same
    policies: harmless. The password is sent hashed (SCRAM), never in clear text.

    A migration user without CREATEROLE (CloudNativePG's database owner) cannot create nor
    alter it: the login must then exist already (the operator's managed role, with its
    password), and is only granted the service role here (ADMIN OPTION suffices).
    """
    url = make_url(runtime_url)
    user = url.username
    if not user or user == connection.scalar(sa.text("SELECT current_user")):
        return None
    manages_roles = connection.scalar(
        sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    )
    alter = ""
    if manages_roles:
        _create_role(connection, user, "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
        password = ""
        if url.password:
            pgconn = connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
            verifier = pgconn.encrypt_password(str(url.password).encode(), user.encode()).decode()
            password = " PASSWORD '{}'".format(verifier.replace("'", "''"))
        alter = f'ALTER ROLE "{user}" WITH LOGIN INHERIT{password}'
    elif not connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :user"), {"user": user}):
        raise RuntimeError(
            f"the migration user may not create roles: create the runtime login {user} first (docs/operations.md)"
        )
    for attempt in range(ROLE_UPDATE_ATTEMPTS):
        try:
            with connection.begin_nested():
                if alter:  # a driver statement: the SCRAM verifier holds colons, not bind parameters
                    connection.exec_driver_sql(alter)
                if service_role:
                    connection.execute(sa.text(f'GRANT "{service_role}" TO "{user}"'))
            break
        except sa.exc.DBAPIError as error:
            # The role is the cluster's: migrations of several databases at once (compose
            # runs them side by side) update its catalog row together; the loser retries.
            if attempt + 1 == ROLE_UPDATE_ATTEMPTS or getattr(error.orig, "sqlstate", None) not in ROLE_RACES:
                raise
            time.sleep(0.2 * (attempt + 1))
    problems = connection.execute(
        sa.text(
            "SELECT r.rolsuper OR r.rolbypassrls, "
            "EXISTS (SELECT FROM pg_class WHERE relowner = r.oid) "
            "OR EXISTS (SELECT FROM pg_namespace WHERE nspowner = r.oid) "
            "OR EXISTS (SELECT FROM pg_proc WHERE proowner = r.oid) "
            "OR EXISTS (SELECT FROM pg_database WHERE datdba = r.oid), "
            "ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "      WHERE m.member = r.oid AND g.rolname IS DISTINCT FROM :service_role) "
            "FROM pg_roles r WHERE r.rolname = :user"
        ),
        {"user": user, "service_role": service_role},
    ).one()
    privileged, owner, other_roles = problems
    if privileged or owner or other_roles:
        raise RuntimeError(
            f"the runtime login {user} must not be a superuser, bypass row-level security, own "
            f"anything or belong to any role but {service_role or 'none'} (ADR 0033): superuser or "
            f"BYPASSRLS {privileged}, owner {owner}, other roles {other_roles}"
        )
    return user


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
        database_url = settings.migration_service_database_url(args.name)
        upgrade_database(database_url, versions, settings=settings)
        grant_component_login(database_url, settings)
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
