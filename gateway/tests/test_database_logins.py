"""The gateway's database (identities, password hashes) is its own login's only (ADR 0033):
the services' runtime login may not read it, and the gateway's login may not read a
service's tables. Against the real PostgreSQL, with the logins the migration steps made."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from bassin_common.config import Settings
from bassin_common.database import psycopg_conninfo
from bassin_gateway.runtime import SERVICE_NAME


@pytest.fixture
def databases(migrate: Callable[[str], None], migrate_gateway: str, test_settings: Settings) -> tuple[str, str]:
    migrate("pos")  # a service's migration step: it makes the services' runtime login
    return test_settings.database_name(SERVICE_NAME), test_settings.database_name("pos")


def test_the_gateway_login_alone_reads_the_gateway_database(
    databases: tuple[str, str], migrate_gateway: str, runtime_settings: Settings
) -> None:
    gateway, pos = databases
    with psycopg.connect(psycopg_conninfo(migrate_gateway, gateway)) as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone()[0] >= 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE TABLE planted (id int)")  # owns nothing, creates nothing
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege)
    with psycopg.connect(psycopg_conninfo(runtime_settings.database_url, gateway)) as connection, refused:
        connection.execute("SELECT password_hash FROM users")
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege)
    with psycopg.connect(psycopg_conninfo(migrate_gateway, pos)) as connection, refused:
        connection.execute("SELECT count(*) FROM shops")
