"""pytest plugin shared by every Bassin test suite (registered as ``bassin``).

Isolation between tests, without recreating databases for each one:
- each pytest process gets its own databases, ``bassin_test_<pid>_<rand>_*``,
  created and migrated once, dropped at the end;
- each test gets its own RabbitMQ vhost (nameko's ``rabbit_config``), an empty outbox
  and inbox, and new tenants — tenant scoping keeps their rows apart.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before kombu, psycopg and sqlalchemy are imported

import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from kombu import Connection
from nameko import config as nameko_config
from nameko.standalone.rpc import ClusterRpcClient

from bassin_common.config import Settings, load_settings
from bassin_common.db import psycopg_conninfo
from bassin_common.events import Event
from bassin_common.infra import ensure_rabbit_management, resolve_infrastructure
from bassin_common.tenancy import RequestContext
from bassin_common.topology import declare_topology, event_exchange

TEST_ENVIRONMENT = {
    # Short delays keep retry and dead-letter tests quick; the mechanism is the same.
    "BASSIN_RETRY_DELAYS": "0.2,0.4",
    "BASSIN_OUTBOX_POLL_INTERVAL": "0.5",
    "BASSIN_LOG_FORMAT": "text",
}


def pytest_configure(config: pytest.Config) -> None:
    infra = resolve_infrastructure()
    os.environ["BASSIN_DATABASE_URL"] = infra.database_url
    os.environ["BASSIN_AMQP_URI"] = infra.amqp_uri
    for key, value in TEST_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    if not hasattr(config, "workerinput"):  # once, in the controlling process
        ensure_rabbit_management(infra.management_uri)
    config.option.RABBIT_AMQP_URI = infra.amqp_uri
    config.option.RABBIT_API_URI = infra.management_uri


def _admin_conninfo(settings: Settings) -> str:
    return psycopg_conninfo(settings.database_url, "postgres")


@pytest.fixture(scope="session")
def test_settings() -> Iterator[Settings]:
    prefix = f"bassin_test_{os.getpid()}_{secrets.token_hex(3)}_"
    settings = load_settings().replace(database_prefix=prefix)
    yield settings
    with psycopg.connect(_admin_conninfo(settings), autocommit=True) as conn:
        names = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)).fetchall()
        for (name,) in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrate(test_settings: Settings) -> Callable[[str, str], None]:
    """``migrate(service, package)``: create and migrate that service's test database once."""
    from bassin_common.migrations import upgrade

    done: set[str] = set()

    def run(service: str, package: str | None = None) -> None:
        if service not in done:
            upgrade(service, test_settings, package)
            done.add(service)

    return run


@pytest.fixture
def service_config(rabbit_config: None, test_settings: Settings) -> Iterator[dict[str, Any]]:
    """nameko config for service containers: this test's vhost and databases.

    Empties outbox and inbox tables left by earlier tests of this process, so that
    a relay in this test never publishes another test's events.
    """
    with psycopg.connect(_admin_conninfo(test_settings), autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (test_settings.database_prefix + "%",),
            )
        ]
    for name in names:
        with psycopg.connect(psycopg_conninfo(test_settings.database_url, name), autocommit=True) as conn:
            has_outbox = conn.execute("SELECT to_regclass('outbox')").fetchone()[0]
            if has_outbox:
                conn.execute("TRUNCATE outbox, processed_events")
    yield {
        "AMQP_URI": nameko_config["AMQP_URI"],
        "DATABASE_PREFIX": test_settings.database_prefix,
        "max_workers": 10,
    }


@pytest.fixture
def tenant_id() -> uuid.UUID:
    return uuid.uuid4()


def publish_event(amqp_uri: str, event: Event) -> None:
    """Publish an event as a producer's relay would (persistent, confirmed)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection, len(load_settings().retry_delays))
        connection.Producer().publish(
            event.to_message(),
            exchange=event_exchange(event.producer),
            routing_key=event.event_type,
            serializer="json",
            delivery_mode="persistent",
            headers={"nameko.tenant_id": str(event.tenant_id), "nameko.correlation_id": event.correlation_id or ""},
        )


@contextmanager
def rpc_client(tenant: uuid.UUID, roles: tuple[str, ...] = ("manager",), user_id: str = "test-user"):
    """A standalone RPC client calling as a user of ``tenant`` (what the gateway sends)."""
    context = RequestContext(tenant, user_id, frozenset(roles), f"test-{uuid.uuid4()}")
    with ClusterRpcClient(context_data=context.to_context_data(), timeout=30) as client:
        yield client


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate.__doc__ or predicate}")
        eventlet.sleep(interval)
