"""Tenancy on a real database: forgetting the tenant is impossible, and the database
hides other tenants' rows even from SQL that bypasses the ORM."""

from __future__ import annotations

import uuid

import pytest
from common_test_models import Gadget, Widget
from sqlalchemy import delete, func, select, text, update

from bassin_common.errors import Conflict, TenantMissing
from bassin_common.tenancy import (
    TENANT_KEY,
    RequestContext,
    isolate_tenant_tables,
    policed_tables,
    tables_with_tenant_column,
)
from bassin_common.uow import UnitOfWork


@pytest.fixture
def two_tenants(sessions):
    alpha, beta = uuid.uuid4(), uuid.uuid4()
    ids = {}
    for tenant in (alpha, beta):
        with sessions(info={TENANT_KEY: tenant}) as session:
            widget, gadget = Widget(name=f"W-{tenant.hex[:6]}"), Gadget(label="G")
            session.add_all([widget, gadget])
            session.commit()
            ids[tenant] = (widget.id, gadget.id)
    return alpha, beta, ids


def test_a_session_without_tenant_cannot_query_tenant_data(sessions) -> None:
    with sessions() as session, pytest.raises(TenantMissing):
        session.scalars(select(Widget)).all()
    with sessions() as session, pytest.raises(TenantMissing):
        session.add(Widget(name="X"))
        session.flush()


def test_new_rows_are_stamped_and_other_tenants_rows_refused(sessions) -> None:
    tenant = uuid.uuid4()
    with sessions(info={TENANT_KEY: tenant}) as session:
        row = Widget(name="STAMPED")
        session.add(row)
        session.flush()
        assert row.tenant_id == tenant
        session.add(Widget(name="FOREIGN", tenant_id=uuid.uuid4()))
        with pytest.raises(TenantMissing):
            session.flush()


def test_selects_gets_updates_and_deletes_see_only_the_sessions_tenant(sessions, two_tenants) -> None:
    alpha, beta, ids = two_tenants
    beta_widget, beta_gadget = ids[beta]
    with sessions(info={TENANT_KEY: alpha}) as session:
        assert [w.id for w in session.scalars(select(Widget))] == [ids[alpha][0]]
        assert session.get(Gadget, beta_gadget) is None
        assert session.execute(update(Widget).where(Widget.id == beta_widget).values(name="pwned")).rowcount == 0
        assert session.execute(delete(Gadget).where(Gadget.id == beta_gadget)).rowcount == 0
        session.commit()
    with sessions(info={TENANT_KEY: beta}) as session:
        assert session.get(Widget, beta_widget).name != "pwned"
        assert session.get(Gadget, beta_gadget) is not None


def test_the_guard_alone_scopes_counts_and_joins(owner_sessions, two_tenants) -> None:
    """As the table owner (a superuser here) row-level security does not apply: the ORM
    guard must filter statements that name a tenant table only in their FROM clause."""
    alpha, _beta, _ids = two_tenants
    counting = select(func.count()).select_from(Widget)
    with owner_sessions(info={TENANT_KEY: alpha}) as session:
        assert session.scalar(counting) == 1
        assert session.scalar(select(func.count(Gadget.id)).join(Widget, Widget.tenant_id == Gadget.tenant_id)) == 1
    with owner_sessions() as session, pytest.raises(TenantMissing):
        session.scalar(counting)


def test_row_level_security_hides_other_tenants_even_from_raw_sql(sessions, two_tenants) -> None:
    """The second wall: SQL that bypasses the ORM guard still sees one tenant only."""
    alpha, beta, ids = two_tenants
    with sessions(info={TENANT_KEY: alpha}) as session:
        assert session.scalars(text("SELECT name FROM widgets")).all() == [f"W-{alpha.hex[:6]}"]
        changed = session.execute(text("UPDATE widgets SET name = 'pwned' WHERE id = :id"), {"id": ids[beta][0]})
        assert changed.rowcount == 0
        with pytest.raises(Exception, match="row-level security"):
            session.execute(
                text("INSERT INTO gadgets (id, tenant_id, label) VALUES (gen_random_uuid(), :other, 'intrus')"),
                {"other": beta},
            )
    with sessions() as session:  # no tenant: nothing at all
        assert session.scalar(text("SELECT count(*) FROM widgets")) == 0


def test_every_table_of_a_tenant_scoped_model_gets_its_policy_and_a_missing_one_is_seen(
    owner_sessions, platform_database
) -> None:
    with owner_sessions() as session:
        connection = session.connection()
        assert {"widgets", "gadgets"} <= policed_tables(connection)
        # A tenant table made by hand, with no model: the check that guards every service sees it.
        connection.execute(text("CREATE TABLE stray (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)"))
        assert "stray" in tables_with_tenant_column(connection) - policed_tables(connection)
        assert isolate_tenant_tables(connection, ["stray"]) == ["stray"]
        assert isolate_tenant_tables(connection, ["stray", "widgets"]) == []  # idempotent
        assert "stray" in policed_tables(connection)
        session.rollback()


def test_a_uniqueness_race_lost_is_a_conflict_not_a_crash(sessions) -> None:
    """Two writers pass a use case's own duplicate check; the database refuses the second."""
    context = RequestContext(uuid.uuid4())
    with UnitOfWork(sessions, context, "tests") as uow:
        uow.session.add(Widget(name="TWICE"))
    with pytest.raises(Conflict), UnitOfWork(sessions, context, "tests") as uow:
        uow.session.add(Widget(name="TWICE"))


def test_a_migration_that_loses_the_race_to_create_the_service_role_goes_on(platform_database) -> None:
    """One migration job per service, started together: both try to create the role (it
    is the cluster's). Here the second is held until the first commits, then must go on."""
    import subprocess
    import sys

    import psycopg

    from bassin_common.database import psycopg_conninfo
    from bassin_common.testing import wait_until

    role = f"bassin_race_{uuid.uuid4().hex[:8]}"
    BLOCKED_CREATE_ROLE = (  # noqa: N806
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'CREATE ROLE%%'"
    )
    second = (
        "import bassin_common, sqlalchemy as sa; from bassin_common.migrations import grant_service_role;"
        f"engine = sa.create_engine({platform_database!r}, poolclass=sa.pool.NullPool);"
        f"connection = engine.connect(); grant_service_role(connection, {role!r}); connection.commit()"
    )
    with psycopg.connect(psycopg_conninfo(platform_database)) as first:
        first.execute(f'CREATE ROLE "{role}" NOLOGIN')  # not committed yet
        process = subprocess.Popen([sys.executable, "-c", second], stderr=subprocess.PIPE, text=True)
        try:
            with psycopg.connect(psycopg_conninfo(platform_database), autocommit=True) as observer:

                def second_waits_for_the_first() -> bool:
                    """The second migration blocks on the first's uncommitted role."""
                    return observer.execute(BLOCKED_CREATE_ROLE).fetchone()[0] > 0

                wait_until(second_waits_for_the_first)
            first.commit()
            assert process.wait(timeout=30) == 0, process.stderr.read()[-2000:]
        finally:
            process.kill()
            with psycopg.connect(psycopg_conninfo(platform_database), autocommit=True) as cleanup:
                for statement in (
                    f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
                    f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"',
                    f'REVOKE USAGE ON SCHEMA public FROM "{role}"',
                    f'DROP ROLE IF EXISTS "{role}"',
                ):
                    cleanup.execute(statement)
