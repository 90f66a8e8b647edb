"""Fixtures for tests that cross services: the whole stack in one process, and
services as separate processes for crash and restart tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.config import Settings
from bassin_common.migrations import upgrade_database
from bassin_common.registry import installed_services
from bassin_common.testing import declare_installed_topology, rpc_client, wait_until
from bassin_gateway import identities
from bassin_gateway.app import create_app
from bassin_gateway.rpc import RpcClient
from bassin_gateway.runtime import GATEWAY_MIGRATIONS, SERVICE_NAME, gateway_sessions
from bassin_gateway.settings import load_gateway_settings
from bassin_gateway.tokens import TokenService

REPO = Path(__file__).parent
PASSWORD = "piscine-2026!"


@dataclass
class Company:
    """A tenant with a manager logged in, a shop, a supplier and one managed article."""

    tenant_id: uuid.UUID
    client: FlaskClient
    token: str
    shop: dict[str, Any] = field(default_factory=dict)
    supplier: dict[str, Any] = field(default_factory=dict)
    article: dict[str, Any] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kwargs: Any):
        return self.client.get(url, headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, url: str, **kwargs: Any):
        return self.client.post(url, headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def put(self, url: str, **kwargs: Any):
        return self.client.put(url, headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def shop_quantity(self) -> int:
        article = self.get(f"/api/v1/inventory/articles/{self.article['id']}").get_json()
        return next(s["quantity"] for s in article["stock"] if s["location_id"] == self.shop["id"])

    def sale_payload(self, quantity: int = 1) -> dict[str, Any]:
        total = f"{39.90 * quantity:.2f}"
        return {
            "lines": [{"article_id": self.article["id"], "quantity": quantity}],
            "payments": [{"method": "card", "amount": total}],
        }


@dataclass
class Stack:
    settings: Settings
    client: FlaskClient
    sessions: sessionmaker[Session]

    def new_tenant(self, roles: tuple[str, ...] = ("manager",)) -> tuple[uuid.UUID, str, str]:
        """A tenant and one user; returns (tenant id, e-mail, token)."""
        suffix = uuid.uuid4().hex[:10]
        with self.sessions() as session:
            tenant = identities.create_tenant(session, f"piscines-{suffix}", f"Piscines {suffix}")
            email = f"gerant-{suffix}@example.fr"
            identities.create_user(session, tenant.id, email, PASSWORD, "Gérant", roles)
            session.commit()
        response = self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return tenant.id, email, response.get_json()["access_token"]

    def new_user(self, tenant_id: uuid.UUID, roles: tuple[str, ...]) -> str:
        """Another user of an existing tenant; returns its token."""
        email = f"user-{uuid.uuid4().hex[:10]}@example.fr"
        with self.sessions() as session:
            identities.create_user(session, tenant_id, email, PASSWORD, "Employé", roles)
            session.commit()
        response = self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        return response.get_json()["access_token"]

    def new_company(self, stock: int = 1000, minimum: int = 850, maximum: int = 1200) -> Company:
        tenant_id, _, token = self.new_tenant()
        company = Company(tenant_id, self.client, token)
        company.shop = company.post(
            "/api/v1/inventory/locations", json={"code": "MAG", "name": "Magasin", "kind": "shop"}
        ).get_json()
        company.supplier = company.post(
            "/api/v1/inventory/suppliers", json={"name": "HydroSud Distribution"}
        ).get_json()
        response = company.post(
            "/api/v1/inventory/articles",
            json={
                "sku": "CHL-GAL-5KG",
                "name": "Chlore lent galets 5 kg",
                "supplier_id": company.supplier["id"],
                "purchase_price": "24.00",
                "sale_price": "39.90",
                "stock": [
                    {"location_id": company.shop["id"], "quantity": stock, "minimum": minimum, "maximum": maximum}
                ],
            },
        )
        assert response.status_code == 201, response.get_json()
        company.article = response.get_json()
        wait_for_till(tenant_id, company.article["id"])
        return company


def count_rows(stack: Stack, service: str, table: str, tenant_id: uuid.UUID) -> int:
    """Rows of one tenant in a service's table, read as the database owner (no RLS)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.settings.service_database_url(service))
    with engine.connect() as connection:
        count = connection.scalar(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant_id})
    engine.dispose()
    return count


def wait_for_till(tenant_id: uuid.UUID, article_id: str) -> None:
    """Wait until pos holds its copy of the article (events are asynchronous)."""

    def till_knows_article() -> bool:
        with rpc_client(tenant_id) as rpc:
            return any(a["article_id"] == article_id for a in rpc.pos.list_catalogue())

    wait_until(till_knows_article)


@pytest.fixture(scope="session")
def migrate_gateway(test_settings: Settings) -> None:
    upgrade_database(test_settings.service_database_url(SERVICE_NAME), GATEWAY_MIGRATIONS)


@pytest.fixture
def gateway_app(migrate_gateway: None, service_config: dict[str, Any], test_settings: Settings):
    settings = load_gateway_settings().replace(
        database_prefix=test_settings.database_prefix, amqp_uri=service_config["AMQP_URI"]
    )
    rpc = RpcClient(settings.amqp_uri, timeout=30).start()
    sessions = gateway_sessions(settings)
    app = create_app(rpc, sessions, TokenService.from_settings(settings))
    yield app, settings, sessions
    rpc.stop()
    sessions.kw["bind"].dispose()


@pytest.fixture
def installed(migrate: Callable[[str], None], service_config: dict[str, Any]) -> list[type]:
    """Every registered service migrated, and its queues declared on this test's vhost, as
    a release's migration step does; returns their nameko classes."""
    for service in installed_services():
        migrate(service.name)
    declare_installed_topology(service_config["AMQP_URI"])
    return [service.service_class for service in installed_services()]


@pytest.fixture
def stack(gateway_app, installed: list[type], service_config: dict[str, Any], runner_factory) -> Stack:
    """The gateway and every registered service in this process, on this test's vhost and databases."""
    runner = runner_factory(service_config, *installed)
    runner.start()
    app, settings, sessions = gateway_app
    return Stack(settings, app.test_client(), sessions)


class ServiceProcess:
    """One service run by ``bassin-run`` in its own process, as in production."""

    def __init__(self, service: str, env: dict[str, str]) -> None:
        self.service = service
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bassin-{service}-{uuid.uuid4().hex[:6]}.log"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bassin_common.run", self.service],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )

    def wait_ready(self, rabbit_manager: Any, vhost: str, timeout: float = 60) -> None:
        """Ready when its RPC queue has a consumer: it has declared everything and listens."""

        def consuming() -> bool:
            assert self.process and self.process.poll() is None, self.log_path.read_text()[-3000:]
            queues = {q["name"]: q for q in rabbit_manager.get_queues(vhost)}
            return queues.get(f"rpc-{self.service}", {}).get("consumers", 0) > 0

        wait_until(consuming, timeout=timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def service_process(
    service_config: dict[str, Any], test_settings: Settings
) -> Iterator[Callable[[str], ServiceProcess]]:
    env = {
        **os.environ,
        "BASSIN_AMQP_URI": service_config["AMQP_URI"],
        "BASSIN_DATABASE_PREFIX": test_settings.database_prefix,
        "BASSIN_LOG_FORMAT": "json",
    }
    started: list[ServiceProcess] = []

    def make(service: str) -> ServiceProcess:
        process = ServiceProcess(service, env)
        started.append(process)
        return process

    yield make
    for process in started:
        process.stop()
