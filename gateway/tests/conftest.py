"""Fixtures of the gateway's tests: settings with a signing key, the gateway's test
database, an application on a stand-in RPC client, tokens of real users, and a TCP proxy in
front of RabbitMQ that a test can freeze or cut (the broker under an alarm, or gone)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import eventlet
import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.config import Settings
from bassin_common.database import make_engine
from bassin_common.tenancy import RequestContext
from bassin_gateway import identities
from bassin_gateway.app import create_app
from bassin_gateway.models import LoginSession
from bassin_gateway.runtime import gateway_sessions
from bassin_gateway.settings import GatewaySettings
from bassin_gateway.tokens import TokenService

SIGNING_KEY = secrets.token_urlsafe(48)


@pytest.fixture
def gateway_settings() -> Callable[..., GatewaySettings]:
    """``gateway_settings(**changes)``: the defaults, with a valid signing key."""

    def make(**changes: Any) -> GatewaySettings:
        return GatewaySettings(jwt_secret=SIGNING_KEY).replace(**changes)

    return make


class Reply:
    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def result(self) -> Any:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class StandInRpc:
    """Records each call's context and answers ``outcome`` (raised if an exception);
    ``publish_error`` is raised by ``call_async`` itself, as a failed publish is."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.calls: list[tuple[RequestContext, str, str, tuple, dict]] = []
        self.outcome: Any = {"id": "an-id"}
        self.publish_error: BaseException | None = None

    def call_async(self, context: RequestContext, service: str, method: str, *args: Any, **kwargs: Any) -> Reply:
        self.calls.append((context, service, method, args, kwargs))
        if self.publish_error is not None:
            raise self.publish_error
        return Reply(self.outcome)

    def call(self, context: RequestContext, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call_async(context, service, method, *args, **kwargs).result()


UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:9/bassin_gateway"


@pytest.fixture
def gateway_database(migrate_gateway: None, test_settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions of the gateway's test database, migrated."""
    sessions = gateway_sessions(test_settings)
    yield sessions
    sessions.kw["bind"].dispose()


@pytest.fixture
def unreachable_database(gateway_settings) -> Iterator[sessionmaker[Session]]:
    """Sessions of a database on a port where nothing listens."""
    settings = gateway_settings(database_connect_timeout=2)
    engine = make_engine(UNREACHABLE_DATABASE, 1, settings=settings)
    yield sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def stand_in_app(gateway_settings, gateway_database) -> Callable[..., tuple[Flask, StandInRpc]]:
    """``stand_in_app(sessions=None, **settings)``: the gateway on a stand-in RPC client;
    without ``sessions``, on the gateway's test database."""

    def make(sessions: sessionmaker[Session] | None = None, **changes: Any) -> tuple[Flask, StandInRpc]:
        settings = gateway_settings(**changes)
        rpc = StandInRpc(settings.rpc_timeout)
        sessions = sessions or gateway_database
        return create_app(rpc, sessions, TokenService.from_settings(settings), settings), rpc  # type: ignore[arg-type]

    return make


@pytest.fixture
def bearer(gateway_settings, gateway_database) -> Callable[..., dict[str, str]]:
    """``bearer(*roles)``: an Authorization header for a new user of a new tenant, with a
    session open in the gateway's test database (the gateway checks it on every request)."""

    def make(*roles: str) -> dict[str, str]:
        roles = roles or ("manager",)
        customer_id = uuid.uuid4() if "customer" in roles else None
        suffix = uuid.uuid4().hex[:12]
        with gateway_database() as session:
            tenant = identities.create_tenant(session, f"t-{suffix}", f"Piscines {suffix}")
            user = identities.create_user(
                session, tenant.id, f"u-{suffix}@example.fr", None, "Test", roles, customer_id=customer_id
            )
            login = LoginSession(user_id=user.id)
            session.add(login)
            session.commit()
        tokens = TokenService.from_settings(gateway_settings())
        token = tokens.issue(user.id, tenant.id, list(roles), login.id, customer_id)
        return {"Authorization": f"Bearer {token}"}

    return make


class BrokerProxy:
    """A TCP proxy in front of RabbitMQ. ``freeze()``: it stops passing bytes either way,
    as a broker blocked by an alarm stops reading and confirming; ``cut()``: it drops every
    connection and closes new ones at once, as a broker that is gone; ``restore()``."""

    def __init__(self, amqp_uri: str) -> None:
        parts = urlsplit(amqp_uri)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 5672)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        port = self.listener.getsockname()[1]
        credentials = parts.netloc.rpartition("@")[0]
        self.uri = urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))
        self.frozen = False
        self.cutting = False
        self._sockets: list[Any] = []
        self._pumps: list[Any] = []
        self._accepting = eventlet.spawn(self._accept)

    def freeze(self) -> None:
        self.frozen = True

    def cut(self) -> None:
        self.cutting = True
        for pump in self._pumps:  # closing a green socket does not wake its reader
            pump.kill()
        for sock in self._sockets:
            sock.close()
        self._pumps.clear()
        self._sockets.clear()

    def restore(self) -> None:
        self.frozen = self.cutting = False

    def close(self) -> None:
        self._accepting.kill()
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if self.cutting:
                client.close()
                continue
            upstream = eventlet.connect(self.upstream)
            self._sockets += [client, upstream]
            self._pumps += [eventlet.spawn(self._pump, client, upstream), eventlet.spawn(self._pump, upstream, client)]

    def _pump(self, source: Any, target: Any) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen:
                    eventlet.sleep(0.05)
                target.sendall(data)
        except OSError:
            pass
        finally:
            source.close()
            target.close()


@pytest.fixture
def broker_proxy(service_config: dict[str, Any]) -> Iterator[BrokerProxy]:
    proxy = BrokerProxy(service_config["AMQP_URI"])
    yield proxy
    proxy.close()


# --- identities: companies, users, logins through the API -------------------------------------

PASSWORD = "bonne-saison-2026"


class Identities:
    """Companies and users in the gateway's test database, and logins through an app."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def new_company(self) -> tuple[uuid.UUID, str]:
        """A company and its manager; returns (tenant id, the manager's e-mail)."""
        suffix = uuid.uuid4().hex[:12]
        with self.sessions() as session:
            tenant = identities.create_tenant(session, f"piscines-{suffix}", f"Piscines {suffix}")
            session.commit()
        return tenant.id, self.add_user(tenant.id, "manager")

    def add_user(self, tenant_id: uuid.UUID, *roles: str, customer_id: uuid.UUID | None = None) -> str:
        """A user with a password (``PASSWORD``); returns their e-mail."""
        email = f"{roles[0]}-{uuid.uuid4().hex[:12]}@example.fr"
        with self.sessions() as session:
            identities.create_user(session, tenant_id, email, PASSWORD, roles[0].title(), roles, customer_id)
            session.commit()
        return email

    @staticmethod
    def login(app: Flask, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """The login's answer (asserting it succeeded), with ``auth``: its Authorization header."""
        response = app.test_client().post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        return {**answer, "auth": {"Authorization": f"Bearer {answer['access_token']}"}}


@pytest.fixture
def people(gateway_database) -> Identities:
    return Identities(gateway_database)
