"""Least privilege at run time, against the real PostgreSQL (issue #28, ADR 0033).

A service logs in with the runtime credentials: a login that is only a member of the
service role and owns nothing. Whatever SQL runs on such a connection (think of SQL
injected through a service), as the service role or after ``RESET ROLE``, with a forged
tenant or a forged housekeeping switch, it reads and writes no row of another tenant; with
the proof the service computes from its key, it reads its own tenant's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from bassin_common.config import Settings
from bassin_common.database import delete_in_batches, make_engine, psycopg_conninfo
from bassin_common.migrations import grant_component_login, grant_runtime_access
from bassin_common.tenancy import (
    DATABASE_SETTING,
    HOUSEKEEPING_SETTING,
    PROOF_SETTING,
    TENANT_KEY_OPTION,
    check_tenant_key,
    tell_tenant,
    tenant_proof,
)

INSUFFICIENT_PRIVILEGE = "42501"  # also what a row refused by a policy's WITH CHECK raises


@pytest.fixture(scope="module")
def runtime_database(platform_database: str, runtime_settings: Settings) -> str:
    """The platform tests' database, given its runtime login as a migration step does; the
    runtime login's libpq URL of it."""
    grant_runtime_access(platform_database, runtime_settings)
    grant_runtime_access(platform_database, runtime_settings)  # idempotent: a second release
    return psycopg_conninfo(runtime_settings.database_url, make_url(platform_database).database)


@pytest.fixture(scope="module")
def tenants(platform_database: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Two tenants with a widget and a processed request each, written as the owner."""
    alpha, beta = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(platform_database, poolclass=pool.NullPool)
    with engine.begin() as connection:
        for tenant in (alpha, beta):
            connection.execute(
                text("INSERT INTO widgets (id, tenant_id, name) VALUES (:id, :tenant, :name)"),
                {"id": uuid.uuid4(), "tenant": tenant, "name": f"W-{tenant.hex[:8]}"},
            )
            connection.execute(
                text(
                    "INSERT INTO processed_requests (tenant_id, rpc, request_id, fingerprint, created_at) "
                    "VALUES (:tenant, 'tests.rpc', :request, 'f', now() - interval '30 days')"
                ),
                {"tenant": tenant, "request": uuid.uuid4().hex},
            )
    engine.dispose()
    return alpha, beta


@pytest.fixture(params=["as the service role", "after RESET ROLE"])
def attacker(request, runtime_database: str, test_settings: Settings) -> Iterator[psycopg.Connection]:
    """A runtime connection as a service holds it (SET ROLE to the service role), or with
    that role reset by the SQL it runs."""
    with psycopg.connect(runtime_database) as connection:
        connection.execute(f'SET ROLE "{test_settings.database_role}"')
        if request.param == "after RESET ROLE":
            connection.execute("RESET ROLE")
        connection.commit()
        yield connection


def settle(connection: psycopg.Connection, tenant: uuid.UUID | str, proof: str) -> None:
    connection.execute(
        "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
        (DATABASE_SETTING, str(tenant), PROOF_SETTING, proof),
    )


def tenants_seen(connection: psycopg.Connection, table: str = "widgets") -> set[uuid.UUID]:
    return {row[0] for row in connection.execute(f"SELECT DISTINCT tenant_id FROM {table}")}


def test_the_runtime_login_is_only_a_member_of_the_service_role_and_owns_nothing(
    runtime_database: str, test_settings: Settings
) -> None:
    with psycopg.connect(runtime_database) as connection:
        login, superuser, bypass, inherits = connection.execute(
            "SELECT rolname, rolsuper, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = session_user"
        ).fetchone()
        member_of = connection.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = session_user"
        ).fetchall()
        owned = connection.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = session_user)"
        ).fetchone()[0]
    assert login.endswith("_runtime") and login != test_settings.database_role
    assert (superuser, bypass, inherits) == (False, False, True)
    assert member_of == [(test_settings.database_role,)]
    assert owned == 0


def test_with_the_proof_a_connection_reads_its_own_tenant_only(attacker, tenants, test_settings) -> None:
    alpha, _beta = tenants
    settle(attacker, alpha, tenant_proof(test_settings.database_tenant_key, alpha))
    assert tenants_seen(attacker) == {alpha}
    assert tenants_seen(attacker, "processed_requests") == {alpha}
    attacker.rollback()


def test_no_tenant_is_seen_without_a_setting(attacker, tenants) -> None:
    assert tenants_seen(attacker) == set()
    attacker.rollback()


@pytest.mark.parametrize(
    "forgery",
    ["another tenant, no proof", "another tenant with my proof", "another tenant, a made-up proof"],
)
def test_a_forged_tenant_setting_opens_no_row(attacker, tenants, test_settings, forgery) -> None:
    alpha, beta = tenants
    mine = tenant_proof(test_settings.database_tenant_key, alpha)
    proof = {
        "another tenant, no proof": "",
        "another tenant with my proof": mine,
        "another tenant, a made-up proof": tenant_proof("not-the-key-" * 4, beta),
    }[forgery]
    settle(attacker, alpha, mine)  # the service's own transaction, then the injected SQL:
    attacker.execute("SELECT set_config(%s, %s, false)", (DATABASE_SETTING, str(beta)))  # session-wide, too
    attacker.execute("SELECT set_config(%s, %s, true)", (PROOF_SETTING, proof))
    assert tenants_seen(attacker) == set()
    assert tenants_seen(attacker, "processed_requests") == set()
    # Nor may it write: an update or delete of the other tenant's rows touches none...
    assert attacker.execute("UPDATE widgets SET name = 'taken' WHERE tenant_id = %s", (beta,)).rowcount == 0
    assert attacker.execute("DELETE FROM widgets WHERE tenant_id = %s", (beta,)).rowcount == 0
    # ... and a row stamped with it is refused.
    with pytest.raises(psycopg.Error) as refused:
        attacker.execute("INSERT INTO widgets (id, tenant_id, name) VALUES (%s, %s, 'planted')", (uuid.uuid4(), beta))
    assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE
    attacker.rollback()


def test_a_forged_housekeeping_switch_opens_no_row(attacker, tenants) -> None:
    for forged in ("on", "true", "0" * 64):
        attacker.execute("SELECT set_config(%s, %s, true)", (HOUSEKEEPING_SETTING, forged))
        assert tenants_seen(attacker, "processed_requests") == set()
        assert attacker.execute("DELETE FROM processed_requests").rowcount == 0
    attacker.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM bassin_private.tenant_keys",  # the key
        "ALTER TABLE widgets DISABLE ROW LEVEL SECURITY",  # the policies
        "DROP POLICY tenant_isolation ON widgets",
        "SET ROLE postgres",  # another role's rights
        "CREATE OR REPLACE FUNCTION public.bassin_current_tenant() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'",
    ],
)
def test_the_walls_cannot_be_taken_down_from_a_runtime_connection(attacker, statement) -> None:
    with pytest.raises(psycopg.Error) as refused:
        attacker.execute(statement)
    assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE
    attacker.rollback()


def test_the_services_sessions_prove_their_tenant_and_the_purge_its_housekeeping(
    runtime_database: str, runtime_settings: Settings, platform_database: str, tenants
) -> None:
    """What the platform code does with the key: ``tell_tenant`` sees the tenant's rows;
    the relay's purge (``delete_in_batches``, housekeeping) reaches every tenant's."""
    alpha, beta = tenants
    url = make_url(runtime_settings.database_url).set(database=make_url(platform_database).database)
    engine = make_engine(
        url.render_as_string(hide_password=False), 1, role=runtime_settings.database_role, settings=runtime_settings
    )
    assert engine.get_execution_options()[TENANT_KEY_OPTION] == runtime_settings.database_tenant_key
    with engine.begin() as connection:
        tell_tenant(connection, beta)
        assert {row[0] for row in connection.execute(text("SELECT tenant_id FROM widgets"))} == {beta}
    assert delete_in_batches(engine, "processed_requests", "created_at", days=1) >= 2
    engine.dispose()
    with psycopg.connect(psycopg_conninfo(platform_database)) as owner:
        left = owner.execute(
            "SELECT count(*) FROM processed_requests WHERE tenant_id = ANY(%s)", ([alpha, beta],)
        ).fetchone()[0]
    assert left == 0


def test_a_process_whose_key_the_database_does_not_hold_is_not_ready(
    runtime_database: str, runtime_settings: Settings, platform_database: str
) -> None:
    """Its reads would be empty: the readiness check (``check_tenant_key``) says so instead."""
    url = make_url(runtime_settings.database_url).set(database=make_url(platform_database).database)
    for key, accepted in ((runtime_settings.database_tenant_key, True), ("a-key-never-stored-" * 3, False)):
        engine = make_engine(url.render_as_string(hide_password=False), 1, settings=runtime_settings)
        engine = engine.execution_options(**{TENANT_KEY_OPTION: key})
        with engine.connect() as connection:
            if accepted:
                check_tenant_key(connection)
            else:
                with pytest.raises(RuntimeError, match="tenant key"):
                    check_tenant_key(connection)
        engine.dispose()


def test_a_login_with_more_than_its_rights_is_refused_by_the_migration_step(
    runtime_database: str, runtime_settings: Settings, platform_database: str
) -> None:
    """The gateway's database is given to a login member of no role: the services' login,
    a member of bassin_service, named there by mistake, stops the migration step."""
    with pytest.raises(RuntimeError, match="other roles"):
        grant_component_login(platform_database, runtime_settings)
