"""PostgreSQL access: databases on demand, engines, and the unit of work.

``Database`` is the nameko DependencyProvider every service uses (nameko-sqlalchemy
does not support SQLAlchemy 2). A worker opens a ``UnitOfWork``: one session scoped
to one tenant, which records outgoing events in the outbox and incoming event ids
in the inbox inside the same transaction as the business change. Nothing is kept
unless ``commit()`` is called.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from marshmallow import Schema
from nameko import config as nameko_config
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.config import Settings, load_settings
from bassin_common.errors import Conflict
from bassin_common.events import Event, load_data
from bassin_common.tenancy import TENANT_KEY, RequestContext, install_tenant_guard
from bassin_common.topology import event_exchange

OUTBOX_CHANNEL = "bassin_outbox"
UNIQUE_VIOLATION = "23505"


def assert_cooperative_psycopg() -> None:
    """Fail fast if psycopg would block the eventlet hub (see bassin_common/__init__)."""
    from psycopg import waiting

    if getattr(waiting, "wait_c", None) is not None and waiting.wait is waiting.wait_c:
        raise RuntimeError(
            "psycopg uses its C wait function, which blocks eventlet: import bassin_common "
            "before psycopg or set PSYCOPG_WAIT_FUNC=wait_select"
        )


def psycopg_conninfo(database_url: str, database: str | None = None) -> str:
    """The libpq form of a SQLAlchemy URL, for plain psycopg connections; optionally
    for another database of the same server (``postgres`` for administration)."""
    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def ensure_database(database_url: str) -> bool:
    """Create the database named in ``database_url`` if missing; True if created."""
    name = make_url(database_url).database
    with psycopg.connect(psycopg_conninfo(database_url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.errors.DuplicateDatabase:
            return False  # created concurrently by another process
    return True


def make_engine(database_url: str, pool_size: int, role: str = "") -> Engine:
    """A pooled engine; with ``role``, every connection acts as that role (row-level security)."""
    engine = create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=2,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    if role:

        @event.listens_for(engine, "connect")
        def _act_as_service_role(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{role}"')
            dbapi_connection.commit()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    install_tenant_guard(factory)
    return factory


class UnitOfWork:
    """One transaction for one tenant: business rows, outbox rows and inbox rows."""

    def __init__(self, session: Session, context: RequestContext, producer: str, consumer: str) -> None:
        self.session = session
        self.context = context
        self.producer = producer
        self.consumer = consumer  # "<service>.<entrypoint>": the inbox key with event ids
        self._notified = False

    def emit(self, event_type: str, data: dict[str, Any], version: int = 1) -> Event:
        """Record an event to be published once this transaction commits."""
        event = Event(
            event_type=event_type,
            tenant_id=self.context.tenant_id,
            producer=self.producer,
            data=data,
            version=version,
            correlation_id=self.context.correlation_id,
        )
        headers = {
            f"nameko.{key}": value
            for key, value in self.context.to_context_data().items()
            if value is not None and key != "roles"
        }
        self.session.execute(
            text(
                "INSERT INTO outbox (event_id, exchange, routing_key, payload, headers) "
                "VALUES (:event_id, :exchange, :routing_key, CAST(:payload AS jsonb), "
                "CAST(:headers AS jsonb))"
            ),
            {
                "event_id": event.event_id,
                "exchange": event_exchange(self.producer).name,
                "routing_key": event_type,
                "payload": json.dumps(event.to_message()),
                "headers": json.dumps(headers),
            },
        )
        if not self._notified:
            # Delivered on commit only; wakes the relays without waiting for a poll.
            self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
            self._notified = True
        return event

    def first_delivery(self, event: Event) -> bool:
        """Claim ``event`` for this consumer; False if it was already processed.

        The claim commits with the effect, so a redelivery after a crash or a
        duplicate publish finds the row and does nothing. A concurrent duplicate
        waits on the primary key until the first commits, then sees the row.
        """
        claimed = self.session.execute(
            text(
                "INSERT INTO processed_events (consumer, event_id) VALUES (:consumer, :event_id) "
                "ON CONFLICT DO NOTHING RETURNING event_id"
            ),
            {"consumer": self.consumer, "event_id": event.event_id},
        ).first()
        return claimed is not None

    def commit(self) -> None:
        self.session.commit()


class DatabaseAccess:
    """What a worker sees as ``self.db``."""

    def __init__(self, factory: sessionmaker[Session], service: str, worker_ctx: Any):
        self._factory = factory
        self._service = service
        self._context_data = worker_ctx.context_data
        self._consumer = f"{service}.{worker_ctx.entrypoint.method_name}"

    @property
    def context(self) -> RequestContext:
        """The caller's context from nameko context data (RPC entrypoints)."""
        return RequestContext.from_context_data(self._context_data)

    @contextmanager
    def unit_of_work(self, context: RequestContext | None = None) -> Iterator[UnitOfWork]:
        context = context or self.context
        session = self._factory(info={TENANT_KEY: context.tenant_id})
        try:
            yield UnitOfWork(session, context, self._service, self._consumer)
        except IntegrityError as exc:
            # A uniqueness rule won a race against a use case's own check: the client's
            # concern (409), not a server fault. Other integrity errors are bugs: 500.
            if getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
                raise Conflict("this already exists (created concurrently?)") from exc
            raise
        finally:
            session.close()  # rolls back whatever was not committed

    def apply_once(self, event: Event, schema: Schema, use_case: Callable[[UnitOfWork, Any], Any]) -> None:
        """The idempotent consumer: validate ``event`` with the consumer's own schema and
        run ``use_case`` (which commits) unless this consumer already processed the event."""
        data = load_data(schema, event)
        with self.unit_of_work(event.context) as uow:
            if uow.first_delivery(event):
                use_case(uow, data)


class Database(DependencyProvider):
    """Engine per container; one session per unit of work, closed when the unit ends."""

    def setup(self) -> None:
        assert_cooperative_psycopg()
        self.settings = settings_from_nameko()
        service = self.container.service_name
        max_workers = int(nameko_config.get("max_workers", self.settings.max_workers))
        url = self.settings.service_database_url(service)
        self.engine = make_engine(url, max_workers, self.settings.database_role)
        self.factory = make_session_factory(self.engine)

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> DatabaseAccess:
        return DatabaseAccess(self.factory, self.container.service_name, worker_ctx)


def settings_from_nameko() -> Settings:
    """Settings from the environment, with nameko's AMQP_URI winning (tests patch it)."""
    settings = load_settings()
    if amqp_uri := nameko_config.get("AMQP_URI"):
        settings = settings.replace(amqp_uri=amqp_uri)
    if database_prefix := nameko_config.get("DATABASE_PREFIX"):
        settings = settings.replace(database_prefix=database_prefix)
    return settings
