"""A database of the platform's own, for its tests: the platform tables (outbox, inbox)
and two tenant-scoped tables that belong to no service (``common_test_models``)."""

from __future__ import annotations

from collections.abc import Iterator

import common_test_models
import pytest
from sqlalchemy import create_engine, pool
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.config import Settings
from bassin_common.database import make_engine, make_session_factory
from bassin_common.migrations import (
    PLATFORM_VERSION_TABLE,
    PLATFORM_VERSIONS,
    grant_service_role,
    prepare_database,
    runtime_login,
    upgrade_database,
)
from bassin_common.tenancy import isolate_tenant_tables, tenant_tables


@pytest.fixture(scope="session")
def platform_database(test_settings: Settings, runtime_settings: Settings) -> str:
    """Migrated like a service's: platform tables, the models' tables, their policies, the
    grants, and this process's runtime login (which services run with)."""
    url = test_settings.service_database_url(common_test_models.PLATFORM_TESTS)
    prepare_database(url, test_settings)
    upgrade_database(url, PLATFORM_VERSIONS, PLATFORM_VERSION_TABLE)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        common_test_models.Base.metadata.create_all(connection)
        isolate_tenant_tables(connection, tenant_tables(common_test_models.__name__))
        grant_service_role(connection, test_settings.database_role)
        runtime_login(connection, runtime_settings.database_url, test_settings.database_role)
    engine.dispose()
    return url


@pytest.fixture
def sessions(platform_database: str, test_settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions acting as the service role, as a service's do."""
    engine = make_engine(platform_database, pool_size=4, role=test_settings.database_role)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def owner_sessions(platform_database: str) -> Iterator[sessionmaker[Session]]:
    """Sessions as the database owner (a superuser here): row-level security does not apply."""
    engine = make_engine(platform_database, pool_size=2)
    yield make_session_factory(engine)
    engine.dispose()
