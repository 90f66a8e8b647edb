"""pytest plugin shared by every Bassin test suite (registered as ``bassin``).

Isolation between tests, without recreating databases for each one:
- each pytest process gets its own databases, ``bassin_test_<pid>_<rand>_*``,
  created and migrated once, dropped at the end;
- each test gets its own RabbitMQ vhost (nameko's ``rabbit_config``; the repository's
  ``conftest.py`` takes it from ``vhost_pool``: a test with the installed topology may
  get one an earlier test used, brought back to the topology as declared, see
  ``bassin_common.vhost_pool``), an empty outbox and inbox, and new tenants — tenant
  scoping keeps their rows apart.

Where the servers are comes from the environment (``./bassin test`` resolves it and
sets ``BASSIN_DATABASE_URL``, ``BASSIN_AMQP_URI``, ``BASSIN_RABBIT_MANAGEMENT_URI``);
without it, the local servers' defaults.

Credentials, as in a deployment (ADR 0033): migrations run with the server's URL (the
tables' owner, ``test_settings.database_url``, which tests also use to look at every
tenant's rows), services with ``runtime_settings``: a runtime login of this pytest
process's own, ``bassin_test_<pid>_<rand>_runtime``, made by the first migration and
dropped at the end. Each pytest process has its own tenant key.

Fixtures: ``test_settings``, ``runtime_settings``, ``migrate``, ``service_config``, ``tenant_id``,
``vhost_pool``, ``installed_topology`` (every installed service's exchanges and queues),
``smtp_server`` (a real SMTP server, aiosmtpd, whose received messages a test reads),
``broker_users`` (each component's own RabbitMQ user on the test's vhost), and,
made per service by ``unit_of_work_fixture(name)``, ``uow``: units of work on that
service's test database without nameko nor RabbitMQ, whose emitted events a test can
inspect.
"""

from __future__ import annotations

import eventlet

import bassin_common  # noqa: F401  (first: quiets eventlet's notice, picks psycopg's wait function)

eventlet.monkey_patch()  # before kombu, psycopg and sqlalchemy are imported

import email.policy
import mailbox
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kombu import Connection
from nameko import config as nameko_config
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from bassin_common import topology
from bassin_common.config import Settings, load_settings
from bassin_common.database import make_engine, make_session_factory, psycopg_conninfo
from bassin_common.events import Event, EventSpec
from bassin_common.migrations import migrate_service
from bassin_common.registry import find_service, installed_services
from bassin_common.signing import EVENT_SIGNATURE_HEADER, ContextSigner
from bassin_common.tenancy import RequestContext
from bassin_common.topology import Subscription
from bassin_common.uow import UnitOfWork
from bassin_common.vhost_pool import VhostPool

DEFAULT_MANAGEMENT_URI = "http://guest:guest@127.0.0.1:15672"
TEST_ENVIRONMENT = {
    # Short delays keep retry and dead-letter tests quick; the mechanism is the same.
    "BASSIN_RETRY_DELAYS": "0.2,0.4",
    "BASSIN_OUTBOX_POLL_INTERVAL": "0.5",
    "BASSIN_LOG_FORMAT": "text",
}


def pytest_configure(config: pytest.Config) -> None:
    for key, value in TEST_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("BASSIN_DATABASE_TENANT_KEY", secrets.token_hex(32))
    settings = load_settings()
    config.option.RABBIT_AMQP_URI = settings.amqp_uri
    config.option.RABBIT_API_URI = os.environ.get("BASSIN_RABBIT_MANAGEMENT_URI", DEFAULT_MANAGEMENT_URI)


def _admin_conninfo(settings: Settings) -> str:
    return psycopg_conninfo(settings.database_url, "postgres")


def _admin_connection(settings: Settings, attempts: int = 30) -> psycopg.Connection:
    """A connection to clean up with, waiting a while for one on a server that is full
    (a shared machine): what is not dropped stays behind."""
    for attempt in range(attempts):
        try:
            return psycopg.connect(_admin_conninfo(settings), autocommit=True)
        except psycopg.OperationalError:
            if attempt + 1 == attempts:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def _runtime_user(prefix: str) -> str:
    return f"{prefix}runtime"


@pytest.fixture(scope="session")
def test_settings() -> Iterator[Settings]:
    """This process's databases, on the server's URL: the migration step's (the owner's)."""
    prefix = f"bassin_test_{os.getpid()}_{secrets.token_hex(3)}_"
    settings = load_settings()
    owner_url = settings.migration_database_url or settings.database_url
    settings = settings.replace(database_prefix=prefix, database_url=owner_url, migration_database_url="")
    yield settings
    with _admin_connection(settings) as conn:
        names = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)).fetchall()
        for (name,) in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # Its grants went with the databases; the role is the cluster's.
        conn.execute(f'DROP ROLE IF EXISTS "{_runtime_user(prefix)}"')


@pytest.fixture(scope="session")
def runtime_settings(test_settings: Settings) -> Settings:
    """What services run with: this process's runtime login (``database_url``), the owner's
    URL as the migration step's."""
    runtime = make_url(test_settings.database_url).set(
        username=_runtime_user(test_settings.database_prefix), password=secrets.token_urlsafe(24)
    )
    return test_settings.replace(
        database_url=runtime.render_as_string(hide_password=False), migration_database_url=test_settings.database_url
    )


@pytest.fixture(scope="session")
def migrate(runtime_settings: Settings) -> Callable[[str], None]:
    """``migrate(service)``: create and migrate a registered service's test database, once,
    as a release's migration step does (the runtime login included)."""
    done: set[str] = set()

    def run(service: str) -> None:
        if service not in done:
            migrate_service(find_service(service), runtime_settings)
            done.add(service)

    return run


@pytest.fixture
def service_config(
    rabbit_config: None, test_settings: Settings, runtime_settings: Settings
) -> Iterator[dict[str, Any]]:
    """nameko config for service containers: this test's vhost and databases, reached with
    the runtime login.

    Empties the platform tables (outbox, inbox, processed requests) left by earlier tests
    of this process, so that a relay in this test never publishes another test's events.
    With ``DELETE``, not ``TRUNCATE``: the tables hold a few rows, and a ``TRUNCATE``
    makes new files for each table and index (about 50 ms a database, 15 with ``DELETE``;
    eight databases, some 200 tests a process).
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
            if conn.execute("SELECT to_regclass('processed_requests')").fetchone()[0]:
                conn.execute("DELETE FROM outbox; DELETE FROM processed_events; DELETE FROM processed_requests")
    yield {
        "AMQP_URI": nameko_config["AMQP_URI"],
        "DATABASE_URL": runtime_settings.database_url,
        "DATABASE_PREFIX": test_settings.database_prefix,
        "max_workers": 10,
    }


@pytest.fixture
def tenant_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(scope="session")
def service_sessions(runtime_settings: Settings) -> Iterator[Callable[[str], sessionmaker[Session]]]:
    """``service_sessions(service)``: tenant-guarded sessions on a service's test database,
    with the runtime login, acting as the service role (row-level security applies), one
    engine per service."""
    engines: dict[str, Engine] = {}
    factories: dict[str, sessionmaker[Session]] = {}

    def sessions(service: str) -> sessionmaker[Session]:
        if service not in factories:
            url = runtime_settings.service_database_url(service)
            engines[service] = make_engine(
                url, pool_size=2, role=runtime_settings.database_role, settings=runtime_settings
            )
            factories[service] = make_session_factory(engines[service])
        return factories[service]

    yield sessions
    for engine in engines.values():
        engine.dispose()


class UnitsOfWork:
    """Opens units of work on one service's test database, for one tenant by default."""

    def __init__(self, service: str, sessions: sessionmaker[Session], tenant_id: uuid.UUID) -> None:
        self.service = service
        self.tenant_id = tenant_id
        self._sessions = sessions

    def __call__(
        self,
        roles: tuple[str, ...] = ("manager",),
        tenant_id: uuid.UUID | None = None,
        user_id: str = "test-user",
        request_id: str | None = None,
        claims_first: bool = False,
    ) -> UnitOfWork:
        """``claims_first``: as an idempotent RPC opens its unit (``bassin_common.idempotency``)."""
        context = RequestContext(
            tenant_id or self.tenant_id, user_id, frozenset(roles), f"test-{uuid.uuid4()}", request_id
        )
        return UnitOfWork(self._sessions, context, self.service, claims_first=claims_first)


def unit_of_work_fixture(service: str) -> Any:
    """The ``uow`` fixture of a service's tests; in its ``conftest.py``:

        uow = unit_of_work_fixture("inventory")

    then ``with uow() as work: usecases.create_location(work, data)`` and
    ``work.emitted`` lists the events it emitted.
    """

    @pytest.fixture
    def uow(migrate: Callable[[str], None], service_sessions: Any, tenant_id: uuid.UUID) -> UnitsOfWork:
        migrate(service)
        return UnitsOfWork(service, service_sessions(service), tenant_id)

    return uow


def declare_installed_topology(amqp_uri: str) -> None:
    """Every installed service's exchange and queues, as the migration step of a release
    declares them: events published from then on wait for their consumers.

    Each service's on a connection of its own, side by side: some 200 queues and bindings,
    each declaration a round trip, took seconds one after the other (in every test with
    the installed services). Declaring is idempotent, so a producer's exchange declared
    by two consumers at once is one exchange."""
    retry_levels = len(load_settings().retry_delays)

    def declare(service: Any) -> None:
        with Connection(amqp_uri) as connection:
            topology.declare(connection, service.name, service.subscriptions, retry_levels)

    for _ in eventlet.GreenPool().imap(declare, installed_services()):
        pass
    _declared_topologies.add(amqp_uri)


# The broker URIs (each test's own vhost) whose installed topology this process declared:
# ``publish_event`` declares it once per vhost, not at every event.
_declared_topologies: set[str] = set()


@pytest.fixture(scope="session")
def vhost_pool(rabbit_manager: Any, pytestconfig: pytest.Config) -> Iterator[VhostPool]:
    """This process's vhosts (``bassin_common.vhost_pool``), all deleted at the end."""
    pool = VhostPool(
        rabbit_manager,
        pytestconfig.getoption("RABBIT_AMQP_URI"),
        declare=declare_installed_topology,
        forget=_declared_topologies.discard,
    )
    yield pool
    pool.close()
    _vhost_counts.append(pool.counts())


_vhost_counts: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for counts in _vhost_counts:
        terminalreporter.write_line(f"RabbitMQ vhosts: {counts}")


@contextmanager
def pooled_vhost(request: pytest.FixtureRequest, pool: VhostPool) -> Iterator[str]:
    """The AMQP URI of a test's vhost from ``pool``: a new one, or, for a test with the
    installed topology (the ``installed_topology`` fixture), one an earlier test left and
    that was reset to the topology as declared; given back after the test.

    For the repository's root ``conftest.py``, whose ``rabbit_uri`` fixture replaces
    nameko's with this: a conftest's fixture always wins over a plugin's, where two
    plugins' order depends on how their packages were installed."""
    vhost = pool.acquire(reusable="installed_topology" in request.fixturenames)
    amqp_uri = pool.uri(vhost)
    try:
        yield amqp_uri
    finally:
        pool.release(vhost, declared=amqp_uri in _declared_topologies)


@pytest.fixture
def installed_topology(rabbit_config: None) -> str:
    """Every installed service's exchanges and queues on this test's vhost, as a release's
    migration step declares them (already there on a vhost reused); its AMQP URI."""
    amqp_uri = nameko_config["AMQP_URI"]
    if amqp_uri not in _declared_topologies:
        declare_installed_topology(amqp_uri)
    return amqp_uri


@pytest.fixture
def broker_users(rabbit_config: None) -> Iterator[dict[str, str]]:
    """Each component's own RabbitMQ user on this test's vhost, as a release makes them
    (``bassin_common.broker_users``): the AMQP URI each component connects with, by
    component name. The users are this test's (a unique prefix) and deleted after it."""
    from bassin_common import broker_users as users

    amqp_uri = nameko_config["AMQP_URI"]
    management = users.Management(os.environ.get("BASSIN_RABBIT_MANAGEMENT_URI", DEFAULT_MANAGEMENT_URI))
    prefix = f"test-{secrets.token_hex(4)}-"
    permissions = users.component_permissions()
    passwords = {component: secrets.token_urlsafe(16) for component in permissions}
    names = users.apply(management, users.vhost_of(amqp_uri), passwords, permissions, prefix)
    try:
        yield {
            component: users.component_uri(amqp_uri, users.username(component, prefix), passwords[component])
            for component in permissions
        }
    finally:
        for name in names:
            management.delete_user(name)


def publish_event(amqp_uri: str, event: Event, signature: str | None = None) -> None:
    """Publish an event as a producer's relay would (persistent, confirmed, signed with the
    settings' context key); ``signature`` replaces the signature, to forge one.

    The installed topology is declared first, once per vhost (a test that deletes one of
    its queues and publishes again declares it again itself)."""
    if amqp_uri not in _declared_topologies:
        declare_installed_topology(amqp_uri)
    message = event.to_message()
    signature = ContextSigner.from_settings(load_settings()).sign_event(message) if signature is None else signature
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        topology.event_exchange(event.producer)(connection.default_channel).declare()
        connection.Producer().publish(
            message,
            exchange=topology.event_exchange(event.producer),
            routing_key=event.event_type,
            serializer="json",
            delivery_mode="persistent",
            headers={
                "nameko.tenant_id": str(event.tenant_id),
                "nameko.correlation_id": event.correlation_id or "",
                EVENT_SIGNATURE_HEADER: signature,
            },
        )


@contextmanager
def rpc_client(
    tenant: uuid.UUID,
    roles: tuple[str, ...] = ("manager",),
    user_id: str = "test-user",
    request_id: str | None = None,
    deadline: float | None = None,
):
    """A standalone RPC client calling as a user of ``tenant`` (what the gateway sends,
    signed as the gateway signs it); every call it makes carries ``request_id`` and
    ``deadline`` when given."""
    context = RequestContext(tenant, user_id, frozenset(roles), f"test-{uuid.uuid4()}", request_id, deadline)
    context_data = ContextSigner.from_settings(load_settings()).signed_context_data(context)
    with ClusterRpcClient(context_data=context_data, timeout=30) as client:
        yield client


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` sends while the block runs, in order (a test that
    bounds the round trips of a path: clear the list between the parts it counts)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def backends_waiting_on_a_lock(database_url: str) -> int:
    """How many backends of that database wait for a lock (a row another transaction holds):
    what a test polls, with ``wait_until``, before releasing the holder."""
    with psycopg.connect(psycopg_conninfo(database_url), autocommit=True) as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        return connection.execute(query).fetchone()[0]


def someone_waits_on_a_lock(database_url: str) -> bool:
    """Whether a backend of that database waits for a lock (``backends_waiting_on_a_lock``)."""
    return backends_waiting_on_a_lock(database_url) > 0


@contextmanager
def orm_executions(sessions: Session | sessionmaker[Session]) -> Iterator[list[str]]:
    """The statements run through the ORM's execution path (``Session.execute`` and its
    events, the tenant guard's among them) by a session, or the sessions of a factory
    opened while the block runs: what a path of fixed-text statements avoids (ADR 0008)."""
    statements: list[str] = []

    def record(state: ORMExecuteState) -> None:
        statements.append(str(state.statement))

    event.listen(sessions, "do_orm_execute", record)
    try:
        yield statements
    finally:
        event.remove(sessions, "do_orm_execute", record)


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


# --- event contracts --------------------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    """One consumer's subscription to one producer's event."""

    subscription: Subscription
    spec: EventSpec | None  # None: the producer is not installed here, or does not declare the event

    @property
    def id(self) -> str:
        s = self.subscription
        return f"{s.producer}.{s.event_type}->{s.consumer}.{s.handler}"


def published_events() -> list[tuple[str, EventSpec]]:
    """``(producer, spec)`` for every event of every installed service."""
    return [(service.name, spec) for service in installed_services() for spec in service.published]


def event_contracts() -> list[Contract]:
    specs = {(producer, spec.event_type): spec for producer, spec in published_events()}
    return [
        Contract(subscription, specs.get((subscription.producer, subscription.event_type)))
        for service in installed_services()
        for subscription in service.subscriptions
    ]


def check_example(spec: EventSpec) -> None:
    """A producer's example is exactly what its schema produces, and its schema accepts it."""
    schema = spec.schema()
    errors = schema.validate(spec.example)
    assert not errors, f"{spec.event_type}'s example does not match its schema: {errors}"
    assert schema.dump(schema.load(spec.example)) == dict(spec.example), (
        f"{spec.event_type}'s example is not in its wire form (dump(load(example)) differs)"
    )


def check_contract(contract: Contract) -> None:
    """The producer's example loads into the consumer's view: the consumer can read it."""
    subscription = contract.subscription
    assert contract.spec is not None, (
        f"{subscription.consumer}.{subscription.handler} consumes {subscription.producer}/"
        f"{subscription.event_type}, which {subscription.producer} does not declare in its events.py"
    )
    assert subscription.view is not None
    errors = subscription.view().validate(contract.spec.example)
    assert not errors, (
        f"{subscription.consumer} cannot read {subscription.producer}'s {subscription.event_type}: {errors}"
    )


# --- a real SMTP server ----------------------------------------------------------------------


class SmtpServer:
    """aiosmtpd writing what it receives to a Maildir, in a process of its own (it runs on
    asyncio, the tests on eventlet)."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.maildir = directory / "maildir"
        self.handler = ["-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", *self.handler],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._listening, timeout=20)

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def received(self) -> list[EmailMessage]:
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.iterkeys()]

    def wait_for(self, to: str) -> EmailMessage:
        def arrived() -> EmailMessage | None:
            return next((message for message in self.received() if message["To"] == to), None)

        return wait_until(arrived, timeout=20)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def smtp_server(tmp_path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path)
    yield server
    server.stop()
