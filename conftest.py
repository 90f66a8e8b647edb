"""Fixtures for tests that cross services: the whole stack in one process, and
services as separate processes for crash and restart tests."""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from amqp.exceptions import ChannelError
from flask.testing import FlaskClient
from kombu import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import Rule

from bassin_common.config import Settings
from bassin_common.database import psycopg_conninfo
from bassin_common.migrations import grant_component_login, upgrade_database
from bassin_common.registry import installed_services
from bassin_common.testing import pooled_vhost, rpc_client, wait_until
from bassin_common.vhost_pool import VhostPool
from bassin_gateway import identities
from bassin_gateway.app import create_app
from bassin_gateway.rpc import RpcClient
from bassin_gateway.runtime import GATEWAY_MIGRATIONS, SERVICE_NAME, gateway_sessions
from bassin_gateway.settings import load_gateway_settings
from bassin_gateway.tokens import TokenService


def _share_url_builders() -> None:
    """Let every test's gateway share werkzeug's URL builder functions.

    Each test builds a gateway of its own (``create_app``: fresh caches, limits, RPC
    client), and werkzeug compiles two URL builder functions for each of its ~260 rules,
    by generating and compiling Python code: 75 of the 105 ms of CPU an app took to build.
    A builder is a plain function of the rule's parsed template (``_trace``) that reaches
    its rule, converters and map only through its ``self`` argument (werkzeug binds it to
    each rule), so the function compiled for one app is the one another app's identical
    rule would compile: it is compiled once per process. A rule with defaults, whose values
    werkzeug may fold into the code, is compiled as werkzeug does. Requests are matched and
    dispatched as in production: matching does not use the builders (nor does the gateway
    build URLs, ``url_for``).
    """
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:  # another werkzeug: compile as it does
        return
    builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}

    def shared_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        trace = getattr(rule, "_trace", None)
        if rule.defaults or trace is None:
            return compile_builder(rule, append_unknown)
        key = (rule.rule, tuple(trace), append_unknown)
        if (builder := builders.get(key)) is None:
            builder = builders[key] = compile_builder(rule, append_unknown)
        return builder

    shared_builder.__wrapped__ = compile_builder  # type: ignore[attr-defined]  # werkzeug's, for its test
    Rule._compile_builder = shared_builder  # type: ignore[method-assign]


_share_url_builders()

# CPython collects its young generation every 700 net allocations and, every hundred of
# those, once the old generation has grown by a quarter, all of it: here some 400,000
# objects (every service's and the gateway's modules, the tests), 80 to 200 ms a walk.
# Each test builds objects that live until its end (a gateway app, service containers,
# engines): they reach the old generation and keep calling those walks, which took a
# third of the gateway tests' CPU (8 of 23 s). Ten times the young threshold makes a
# third as many walks (13 from 36; 2.6 s of collection in all, from 8); the peak memory
# did not change (630 MB). The processes a test starts (``ServiceProcess``,
# ``GatewayProcess``) keep Python's defaults.
GC_YOUNG_THRESHOLD = 7000


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


REPO = Path(__file__).parent
RABBITMQCTL = shutil.which("rabbitmqctl")
PG_CTLCLUSTER = shutil.which("pg_ctlcluster")
PASSWORD = "piscine-2026!"
TEST_SIGNING_KEY = secrets.token_urlsafe(48)  # the gateway refuses to run without a key of its own
# Every process refuses the development context key: the tests' in-process callers and the
# processes they start (which inherit this environment) share one of their own.
os.environ.setdefault("BASSIN_CONTEXT_KEYS", secrets.token_urlsafe(48))


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
        """A POST as the till or the office sends it: with a fresh Idempotency-Key unless the
        test gives its own (or ``None``, to send none)."""
        headers = {**self.auth, "Idempotency-Key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        return self.client.post(url, headers={k: v for k, v in headers.items() if v is not None}, **kwargs)

    def put(self, url: str, **kwargs: Any):
        return self.client.put(url, headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def edit(self, url: str, read_from: str | None = None, **kwargs: Any):
        """A PUT as a screen sends it: with the ETag of ``read_from`` (``url`` unless given),
        read just before, as ``If-Match``."""
        etag = self.get(read_from or url).headers["ETag"]
        return self.put(url, headers={"If-Match": etag, **kwargs.pop("headers", {})}, **kwargs)

    def every(self, url: str) -> list[dict[str, Any]]:
        """Every item of a list of the API, read page after page."""

        def page(query: dict[str, Any]) -> dict[str, Any]:
            response = self.get(url, query_string=query)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

        return every_item(page)

    def stock_level(self) -> dict[str, Any]:
        """The article's stock at the shop, with its ``ETag``."""
        response = self.get(f"/api/v1/inventory/articles/{self.article['id']}/stock/{self.shop['id']}")
        assert response.status_code == 200, response.get_json()
        return {**response.get_json(), "etag": response.headers["ETag"]}

    def shop_quantity(self) -> int:
        return self.stock_level()["quantity"]

    def sale_payload(self, quantity: int = 1) -> dict[str, Any]:
        total = f"{39.90 * quantity:.2f}"
        return {
            "lines": [{"article_id": self.article["id"], "quantity": quantity}],
            "payments": [{"method": "card", "amount": total}],
        }


def every_item(read_page: Callable[[dict[str, Any]], dict[str, Any]], limit: int = 200) -> list[dict[str, Any]]:
    """Every item of a list, ``read_page(query)`` after ``read_page(query)`` as a client reads
    them: the largest pages, each next one from the previous page's ``next`` (as ``cursor``)."""
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": limit}
    while True:
        page = read_page(query)
        items += page["items"]
        if page["next"] is None:
            return items
        query = {**query, "cursor": page["next"]}


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
            return any(a["article_id"] == article_id for a in every_item(rpc.pos.list_catalogue))

    wait_until(till_knows_article)


@pytest.fixture(scope="session")
def migrate_gateway(test_settings: Settings) -> Iterator[str]:
    """The gateway's database migrated as its migration step does, with the gateway's own
    login (ADR 0033); yields that login's server URL (dropped at the end)."""
    database = test_settings.service_database_url(SERVICE_NAME)
    upgrade_database(database, GATEWAY_MIGRATIONS)
    login = f"{test_settings.database_prefix}gateway"
    url = make_url(test_settings.database_url).set(username=login, password=secrets.token_urlsafe(24))
    login_url = url.render_as_string(hide_password=False)
    grant_component_login(database, test_settings.replace(database_url=login_url))
    yield login_url
    with psycopg.connect(psycopg_conninfo(database), autocommit=True) as connection:
        connection.execute(f'DROP OWNED BY "{login}"')
    with psycopg.connect(psycopg_conninfo(database, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP ROLE IF EXISTS "{login}"')


@pytest.fixture
def gateway_app(migrate_gateway: str, service_config: dict[str, Any], test_settings: Settings):
    settings = load_gateway_settings().replace(
        database_prefix=test_settings.database_prefix,
        amqp_uri=service_config["AMQP_URI"],
        jwt_secret=TEST_SIGNING_KEY,
    )
    rpc = RpcClient(settings.amqp_uri, timeout=30).start()
    sessions = gateway_sessions(settings.replace(database_url=migrate_gateway))  # its own login, as deployed
    app = create_app(rpc, sessions, TokenService.from_settings(settings), settings)
    yield app, settings, sessions
    rpc.stop()
    sessions.kw["bind"].dispose()


@pytest.fixture
def rabbit_uri(request: pytest.FixtureRequest, vhost_pool: VhostPool) -> Iterator[str]:
    """This test's vhost, in place of nameko's fixture (which ``rabbit_config`` uses):
    vhosts with the installed topology are reused (``bassin_common.vhost_pool``)."""
    with pooled_vhost(request, vhost_pool) as amqp_uri:
        yield amqp_uri


@pytest.fixture
def installed(migrate: Callable[[str], None], service_config: dict[str, Any], installed_topology: str) -> list[type]:
    """Every registered service migrated, and its queues declared on this test's vhost, as
    a release's migration step does; returns their nameko classes."""
    for service in installed_services():
        migrate(service.name)
    return [service.service_class for service in installed_services()]


@pytest.fixture
def stack(gateway_app, installed: list[type], service_config: dict[str, Any], runner_factory) -> Stack:
    """The gateway and every registered service in this process, on this test's vhost and databases."""
    runner = runner_factory(service_config, *installed)
    runner.start()
    app, settings, sessions = gateway_app
    return Stack(settings, app.test_client(), sessions)


class ChildProcess:
    """A Bassin process run as in production, its output kept in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self._told_to_stop: subprocess.Popen[bytes] | None = None  # the process SIGTERM was sent to
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bassin-{name}-{uuid.uuid4().hex[:6]}.log"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def assert_alive(self) -> None:
        assert self.process and self.process.poll() is None, f"{self.name} died:\n{self.log_tail()}"

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> None:
        """SIGTERM, without waiting: processes told at once stop side by side (``stop`` then
        waits for each), not one graceful shutdown after the other. Sent once per process: a
        second SIGTERM would cut the gateway's drain short."""
        if self.process and self.process.poll() is None and self._told_to_stop is not self.process:
            self.process.send_signal(signal.SIGTERM)
            self._told_to_stop = self.process

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# How long a process started by a test may take to be ready: a bound, not a measure. Seven
# processes starting at once on 2 cores, beside another group's system, have needed more
# than a minute.
STARTUP_SECONDS = 180.0


class ServiceProcess(ChildProcess):
    """One service run by ``bassin-run``."""

    def __init__(self, service: str, env: dict[str, str], probe_uri: str | None = None) -> None:
        """``probe_uri``: the broker URI ``wait_ready`` asks with (the test's), else the process's."""
        super().__init__(service, [sys.executable, "-m", "bassin_common.run", service], env)
        self.service = service
        self.probe_uri = probe_uri or env["BASSIN_AMQP_URI"]

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Ready when its RPC queue has a consumer: it has declared everything and listens.

        Asked over AMQP (a passive declare answers with the queue's consumer count), not
        through the management API, whose queue listing the broker builds from every queue
        of the vhost (some 200 with the installed topology), each poll."""
        with Connection(self.probe_uri) as connection:

            def consuming() -> bool:
                self.assert_alive()
                channel = connection.channel()
                try:
                    return channel.queue_declare(f"rpc-{self.service}", passive=True).consumer_count > 0
                except ChannelError:  # not declared yet (the broker closed the channel)
                    return False
                finally:
                    if channel.is_open:
                        channel.close()

            wait_until(consuming, timeout=timeout)


class GatewayProcess(ChildProcess):
    """The gateway run by ``bassin-gateway`` on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        super().__init__(
            "gateway", [sys.executable, "-m", "bassin_gateway.server"], {**env, "BASSIN_GATEWAY_PORT": str(self.port)}
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        def answering() -> bool:
            self.assert_alive()
            try:
                return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answering, timeout=timeout)


@pytest.fixture
def process_environment(service_config: dict[str, Any], test_settings: Settings) -> dict[str, str]:
    """What a Bassin process of this test needs: its vhost, its databases, a signing key."""
    return {
        **os.environ,
        "BASSIN_AMQP_URI": service_config["AMQP_URI"],
        "BASSIN_DATABASE_PREFIX": test_settings.database_prefix,
        "BASSIN_LOG_FORMAT": "json",
        "BASSIN_JWT_SECRET": TEST_SIGNING_KEY,
    }


@pytest.fixture
def service_process(
    process_environment: dict[str, str], service_config: dict[str, Any]
) -> Iterator[Callable[[str], ServiceProcess]]:
    started: list[ServiceProcess] = []

    def make(service: str, amqp_uri: str | None = None) -> ServiceProcess:
        """``amqp_uri``: the service's own broker user's (``broker_users``), else the test's."""
        runtime = {"BASSIN_DATABASE_URL": service_config["DATABASE_URL"]}  # the runtime login, as deployed
        if amqp_uri is not None:
            runtime["BASSIN_AMQP_URI"] = amqp_uri
        process = ServiceProcess(service, {**process_environment, **runtime}, process_environment["BASSIN_AMQP_URI"])
        started.append(process)
        return process

    yield make
    for process in started:
        process.terminate()
    for process in started:
        process.stop()


@dataclass
class LiveStack:
    """Every registered service and the gateway as separate processes, and one company
    (a manager, a shop, a supplier, one managed article) created through the HTTP API."""

    url: str
    gateway: GatewayProcess
    services: dict[str, ServiceProcess]
    settings: Settings
    vhost: str
    tenant_id: uuid.UUID
    token: str = ""
    shop: dict[str, Any] = field(default_factory=dict)
    article: dict[str, Any] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def processes(self) -> list[ChildProcess]:
        return [*self.services.values(), self.gateway]

    def sale(self, quantity: int = 1) -> dict[str, Any]:
        return {
            "lines": [{"article_id": self.article["id"], "quantity": quantity}],
            "payments": [{"method": "card", "amount": f"{Decimal('39.90') * quantity}"}],
        }

    def sell(self, key: str, quantity: int = 1, timeout: float = 15) -> requests.Response:
        headers = {**self.auth, "Idempotency-Key": key}
        return requests.post(f"{self.url}/api/v1/pos/sales", json=self.sale(quantity), headers=headers, timeout=timeout)

    def every(self, url: str) -> list[dict[str, Any]]:
        """Every item of a list of the API, read page after page."""

        def page(query: dict[str, Any]) -> dict[str, Any]:
            response = requests.get(f"{self.url}{url}", params=query, headers=self.auth, timeout=15)
            response.raise_for_status()
            return response.json()

        return every_item(page)

    def shop_quantity(self) -> int:
        level = requests.get(
            f"{self.url}/api/v1/inventory/articles/{self.article['id']}/stock/{self.shop['id']}",
            headers=self.auth,
            timeout=15,
        )
        level.raise_for_status()
        return level.json()["quantity"]


@pytest.fixture
def live_stack(
    installed: list[type],
    migrate_gateway: str,
    process_environment: dict[str, str],
    broker_users: dict[str, str],
    service_process,
    rabbit_manager,
    test_settings: Settings,
) -> Iterator[LiveStack]:
    """Each process logs in to RabbitMQ as its own user, as in production (the users are
    set up before the processes, so deleted only once they have stopped)."""
    vhost = process_environment["BASSIN_AMQP_URI"].rsplit("/", 1)[1]
    services = {
        service.name: service_process(service.name, broker_users[service.name]) for service in installed_services()
    }
    for process in services.values():
        process.start()
    for process in services.values():
        process.wait_ready()
    gateway = GatewayProcess(
        {
            **process_environment,
            "BASSIN_DATABASE_URL": migrate_gateway,
            "BASSIN_RPC_TIMEOUT": "5",
            "BASSIN_AMQP_URI": broker_users["gateway"],
        }
    )
    gateway.start()
    try:
        gateway.wait_ready()
        sessions = gateway_sessions(test_settings)
        suffix = uuid.uuid4().hex[:10]
        with sessions() as session:
            tenant = identities.create_tenant(session, f"piscines-{suffix}", f"Piscines {suffix}")
            email = f"gerant-{suffix}@example.fr"
            identities.create_user(session, tenant.id, email, PASSWORD, "Gérant", ["manager"])
            session.commit()
        sessions.kw["bind"].dispose()
        stack = LiveStack(gateway.url, gateway, services, test_settings, vhost, tenant.id)
        login = requests.post(f"{stack.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
        stack.token = login.json()["access_token"]
        stack.shop = _created(stack, "locations", {"code": "MAG", "name": "Magasin", "kind": "shop"})
        supplier = _created(stack, "suppliers", {"name": "HydroSud Distribution"})
        stack.article = _created(
            stack,
            "articles",
            {
                "sku": "CHL-GAL-5KG",
                "name": "Chlore lent galets 5 kg",
                "supplier_id": supplier["id"],
                "purchase_price": "24.00",
                "sale_price": "39.90",
                "stock": [{"location_id": stack.shop["id"], "quantity": 100_000, "minimum": 0, "maximum": 0}],
            },
        )
        wait_for_till(tenant.id, stack.article["id"])
        yield stack
    finally:
        for process in [gateway, *services.values()]:
            process.terminate()
        gateway.stop()


def _created(stack: LiveStack, collection: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {**stack.auth, "Idempotency-Key": str(uuid.uuid4())}
    response = requests.post(f"{stack.url}/api/v1/inventory/{collection}", json=body, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


# --- faults of the infrastructure (the local servers; tests restore them) -------------


@contextmanager
def broker_stopped() -> Iterator[None]:
    """RabbitMQ's application stopped for the block (``rabbitmqctl stop_app``), then started."""
    subprocess.run([RABBITMQCTL, "stop_app"], check=True, capture_output=True, timeout=60)
    try:
        yield
    finally:
        subprocess.run([RABBITMQCTL, "start_app"], check=True, capture_output=True, timeout=120)
        subprocess.run([RABBITMQCTL, "await_startup"], check=True, capture_output=True, timeout=120)


def restart_postgres() -> None:
    """PostgreSQL restarted without a clean shutdown, as after a crash."""
    (version,) = [path.name for path in Path("/etc/postgresql").iterdir()]
    command = [PG_CTLCLUSTER, "--skip-systemctl-redirect", version, "main", "restart", "-m", "immediate"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


# --- pos (#22) ---------------------------------------------------------------------------------


def known_customer(stack: Stack | LiveStack, company: Company | LiveStack, display_name: str = "M. Loïc Bérard") -> str:
    """A customer in pos's copy of the customer files. Until the customers service declares
    ``customer_created`` (#20) pos cannot subscribe to it: pos's use case is run on its
    database, with the event's data as customers will publish it."""
    from bassin_common.database import make_engine, make_session_factory
    from bassin_common.events import Event
    from bassin_common.tenancy import RequestContext
    from bassin_common.uow import UnitOfWork
    from pos import usecases
    from pos.events import CustomerView

    data = {"customer_id": str(uuid.uuid4()), "kind": "private", "display_name": display_name, "email": None}
    event = Event("customer_created", company.tenant_id, "customers", data).seen_through(CustomerView())
    sessions = make_session_factory(make_engine(stack.settings.service_database_url("pos"), pool_size=1))
    try:
        with UnitOfWork(sessions, RequestContext(company.tenant_id, roles=frozenset({"system"})), "pos") as uow:
            usecases.keep_customer(uow, event.data)
    finally:
        sessions.kw["bind"].dispose()
    return data["customer_id"]


# --- worksites: a construction order confirmed by customers, as its event ---------------------


def construction_order(
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
    pool_type_code: str = "BET-R8",
    promised_filling_date: str | None = "2026-06-01",
) -> Any:
    """customers' ``order_confirmed`` for an 8 x 4 m concrete pool, 39,000.00 EUR incl. VAT,
    30 % at order, 40 % structure, 25 % waterproofing, 5 % handover."""
    from bassin_common.events import Event

    return Event(
        "order_confirmed",
        tenant_id,
        "customers",
        {
            "order_id": str(order_id or uuid.uuid4()),
            "quote_id": str(uuid.uuid4()),
            "customer_id": str(customer_id or uuid.uuid4()),
            "site_id": str(site_id or uuid.uuid4()),
            "kind": "construction",
            "confirmed_at": "2026-02-10T09:12:00+00:00",
            "lines": [
                {
                    "article_id": None,
                    "description": "Piscine béton 8 x 4 m",
                    "quantity": "1",
                    "unit_price_excl_vat": "32500.00",
                    "vat_rate": "20.00",
                    "total_excl_vat": "32500.00",
                }
            ],
            "total_excl_vat": "32500.00",
            "vat_total": "6500.00",
            "total_incl_vat": "39000.00",
            "pool": {
                "pool_type_code": pool_type_code,
                "shape": "rectangle",
                "length_m": "8.00",
                "width_m": "4.00",
                "mean_depth_m": "1.40",
                "volume_m3": "44.80",
                "coating": "liner 75/100 bleu",
                "filtration": "sable",
                "treatment": "électrolyse au sel",
                "options": ["volet roulant immergé"],
            },
            "payment_schedule": [
                {"step_code": "order", "percent": "30.00"},
                {"step_code": "structure", "percent": "40.00"},
                {"step_code": "waterproofing", "percent": "25.00"},
                {"step_code": "filling", "percent": "5.00"},
            ],
            "promised_filling_date": promised_filling_date,
        },
    )


def new_project(stack: Stack, company: Company, **order: Any) -> dict[str, Any]:
    """A project of ``company``, made from a construction order's event, as read through the API."""
    from bassin_common.testing import publish_event

    event = construction_order(company.tenant_id, **order)
    publish_event(stack.settings.amqp_uri, event)

    def project_made() -> Any:
        items = company.get("/api/v1/worksites/projects").get_json()["items"]
        return next((p for p in items if p["order_id"] == event.data["order_id"]), None)

    summary = wait_until(project_made)
    return company.get(f"/api/v1/worksites/projects/{summary['id']}").get_json()
