"""The tenant guard on a real database: forgetting the tenant is impossible."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from bassin_common.db import make_engine, make_session_factory
from bassin_common.errors import TenantMissing
from bassin_common.tenancy import TENANT_KEY
from inventory.models import Article, Supplier


@pytest.fixture
def sessions(migrate, test_settings):
    migrate("inventory")
    engine = make_engine(test_settings.service_database_url("inventory"), pool_size=2)
    yield make_session_factory(engine)
    engine.dispose()


def article(sku: str) -> Article:
    return Article(sku=sku, name=sku, purchase_price=Decimal("1.00"), sale_price=Decimal("2.00"), vat_rate=20)


@pytest.fixture
def two_tenants(sessions):
    alpha, beta = uuid.uuid4(), uuid.uuid4()
    ids = {}
    for tenant in (alpha, beta):
        with sessions(info={TENANT_KEY: tenant}) as session:
            row = article(f"SKU-{tenant.hex[:6]}")
            supplier = Supplier(name="HydroSud")
            session.add_all([row, supplier])
            session.commit()
            ids[tenant] = (row.id, supplier.id)
    return alpha, beta, ids


def test_a_session_without_tenant_cannot_query_tenant_data(sessions) -> None:
    with sessions() as session, pytest.raises(TenantMissing):
        session.scalars(select(Article)).all()
    with sessions() as session, pytest.raises(TenantMissing):
        session.add(article("X"))
        session.flush()


def test_new_rows_are_stamped_and_other_tenants_rows_refused(sessions) -> None:
    tenant = uuid.uuid4()
    with sessions(info={TENANT_KEY: tenant}) as session:
        row = article("STAMPED")
        session.add(row)
        session.flush()
        assert row.tenant_id == tenant
        foreign = article("FOREIGN")
        foreign.tenant_id = uuid.uuid4()
        session.add(foreign)
        with pytest.raises(TenantMissing):
            session.flush()


def test_selects_gets_updates_and_deletes_see_only_the_sessions_tenant(sessions, two_tenants) -> None:
    alpha, beta, ids = two_tenants
    beta_article, beta_supplier = ids[beta]
    with sessions(info={TENANT_KEY: alpha}) as session:
        assert [a.id for a in session.scalars(select(Article))] == [ids[alpha][0]]
        assert session.get(Supplier, beta_supplier) is None
        assert session.execute(update(Article).where(Article.id == beta_article).values(name="pwned")).rowcount == 0
        assert session.execute(delete(Supplier).where(Supplier.id == beta_supplier)).rowcount == 0
        session.commit()
    with sessions(info={TENANT_KEY: beta}) as session:
        assert session.get(Article, beta_article).name != "pwned"
        assert session.get(Supplier, beta_supplier) is not None


def test_row_level_security_hides_other_tenants_even_from_raw_sql(migrate, test_settings, two_tenants) -> None:
    """The second wall: SQL that bypasses the ORM guard still sees one tenant only."""
    from sqlalchemy import text

    alpha, beta, ids = two_tenants
    engine = make_engine(test_settings.service_database_url("inventory"), 1, role=test_settings.database_role)
    sessions = make_session_factory(engine)
    try:
        with sessions(info={TENANT_KEY: alpha}) as session:
            skus = session.scalars(text("SELECT sku FROM articles")).all()
            assert skus == [f"SKU-{alpha.hex[:6]}"]
            changed = session.execute(text("UPDATE articles SET name = 'pwned' WHERE id = :id"), {"id": ids[beta][0]})
            assert changed.rowcount == 0
            with pytest.raises(Exception, match="row-level security"):
                session.execute(
                    text("INSERT INTO suppliers (id, tenant_id, name) VALUES (gen_random_uuid(), :other, 'intrus')"),
                    {"other": beta},
                )
        with sessions() as session:  # no tenant: nothing at all
            assert session.scalar(text("SELECT count(*) FROM articles")) == 0
    finally:
        engine.dispose()


def test_a_uniqueness_race_lost_is_a_conflict_not_a_crash(sessions) -> None:
    """Two writers pass a use case's own duplicate check; the database refuses the second."""
    from types import SimpleNamespace

    from bassin_common.db import DatabaseAccess
    from bassin_common.errors import Conflict
    from bassin_common.tenancy import RequestContext

    tenant = uuid.uuid4()
    worker = SimpleNamespace(
        context_data=RequestContext(tenant).to_context_data(), entrypoint=SimpleNamespace(method_name="test")
    )
    access = DatabaseAccess(sessions, "inventory", worker)
    with access.unit_of_work() as uow:
        uow.session.add(article("TWICE"))
        uow.commit()
    with pytest.raises(Conflict), access.unit_of_work() as uow:
        uow.session.add(article("TWICE"))
        uow.commit()
