"""Who is asking, for which tenant — and the one place where tenant data gets scoped.

The gateway resolves the caller and sends ``tenant_id``, ``user_id``, ``roles``,
``correlation_id``, ``request_id`` and ``deadline`` in nameko context data; event envelopes
carry the tenant and the correlation id. Services
never filter on ``tenant_id`` by hand, on two walls:

1. ``install_tenant_guard`` adds the criterion to every ORM statement touching a
   ``TenantScoped`` model, stamps new rows, and refuses to run at all when the session
   has no tenant;
2. PostgreSQL row-level security: every table of a ``TenantScoped`` model gets a forced
   policy (``isolate_tenant_tables``, run by every migration), and each transaction tells
   the database its tenant, so the service role sees no other tenant's rows even
   through raw SQL. The tenant travels with a proof, its HMAC under the deployment's
   tenant key, which the policies verify (``bassin_current_tenant()``, ADR 0033): SQL
   injected through a service's connection cannot name another tenant with ``set_config``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.sql.util import find_tables
from sqlalchemy.types import Uuid

from bassin_common.errors import Forbidden, TenantMissing
from bassin_common.permissions import Permission

TENANT_KEY = "tenant_id"
DATABASE_SETTING = "bassin.tenant_id"
# The HMAC of the tenant under the tenant key (``tenant_proof``): without it the policies
# see no tenant at all.
PROOF_SETTING = "bassin.tenant_proof"
POLICY = "tenant_isolation"
# A transaction that sets this to its proof (``as_housekeeping``) may read and delete every
# tenant's rows of the tables that allow it (``allow_housekeeping``): the relay's purges.
HOUSEKEEPING_SETTING = "bassin.housekeeping"
# The engine's execution option holding the tenant key (``database.make_engine``).
TENANT_KEY_OPTION = "bassin_tenant_key"
# Where the database keeps the tenant keys: a schema only the tables' owner may use.
PRIVATE_SCHEMA = "bassin_private"


@dataclass(frozen=True)
class RequestContext:
    """Who calls, for which tenant; from the gateway also ``request_id`` (the client's
    ``Idempotency-Key``, or an id the gateway gives the HTTP request: what idempotent RPCs
    de-duplicate on) and ``deadline`` (UNIX time, seconds, when the caller stops waiting).

    A customer's portal account calls with ``customer_id``, the one customer whose data it
    may see; a partner (a manufacturer's API key) with ``brand``, the one brand whose data
    it may see (its ``user_id`` is the key's id). A service scopes what such a caller reads
    by these, as it scopes every caller by ``tenant_id``."""

    tenant_id: uuid.UUID
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    correlation_id: str | None = None
    request_id: str | None = None
    deadline: float | None = None
    customer_id: uuid.UUID | None = None
    brand: str | None = None

    @classmethod
    def from_context_data(cls, data: Mapping[str, Any]) -> RequestContext:
        raw_tenant = data.get("tenant_id")
        if not raw_tenant:
            raise Forbidden("no tenant in the call context")
        return cls(
            tenant_id=uuid.UUID(str(raw_tenant)),
            user_id=data.get("user_id"),
            roles=frozenset(_as_list(data.get("roles"))),
            correlation_id=data.get("correlation_id"),
            request_id=str(data["request_id"]) if data.get("request_id") else None,
            deadline=_as_time(data.get("deadline")),
            customer_id=uuid.UUID(str(data["customer_id"])) if data.get("customer_id") else None,
            brand=str(data["brand"]) if data.get("brand") else None,
        )

    def to_context_data(self) -> dict[str, Any]:
        return {
            "tenant_id": str(self.tenant_id),
            "user_id": self.user_id,
            "roles": sorted(self.roles),
            "correlation_id": self.correlation_id,
            "request_id": self.request_id,
            "deadline": self.deadline,
            "customer_id": str(self.customer_id) if self.customer_id else None,
            "brand": self.brand,
        }

    def require(self, permission: Permission) -> None:
        """Refuse an action beyond the platform's limit for the caller's roles. Which of the
        roles a tenant lets take it is the gateway's check (``Permission.allows``)."""
        if not permission.within_limit(self.roles):
            raise Forbidden(f"not allowed to {permission.action} (roles: {', '.join(sorted(permission.grantable))})")

    def caller_gave_up(self, now: float | None = None) -> bool:
        """Whether the caller's deadline has passed: nobody waits for the answer any more."""
        return self.deadline is not None and (time.time() if now is None else now) > self.deadline


def _as_time(raw: Any) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None  # a deadline that cannot be read is no deadline (the AMQP expiry remains)


def _as_list(raw: Any) -> Iterable[str]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return [part for part in raw.split(",") if part]
    return [str(part) for part in raw]


class TenantScoped:
    """Mixin for every model owned by a tenant."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True, nullable=False)


def _tenant_of(session: Session) -> uuid.UUID | None:
    return session.info.get(TENANT_KEY)


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    """Whether the statement reads or writes a tenant table, as an entity or only in its
    FROM clause (``select(func.count()).select_from(Model)``)."""
    if any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers):
        return True
    tenant_tables = {cls.__table__ for cls in _tenant_scoped_models()}
    return any(table in tenant_tables for table in find_tables(state.statement, include_joins=True))


def _tenant_scoped_models() -> list[type]:
    found, pending = [], list(TenantScoped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if hasattr(cls, "__table__"):
            found.append(cls)
    return found


def install_tenant_guard(session_factory: Any) -> None:
    """Scope every ORM statement of sessions from ``session_factory`` to their tenant."""

    @event.listens_for(session_factory, "do_orm_execute")
    def _scope_statement(state: ORMExecuteState) -> None:
        if not (state.is_select or state.is_update or state.is_delete):
            return
        tenant = _tenant_of(state.session)
        if tenant is None:
            if _touches_tenant_data(state):
                raise TenantMissing("query on tenant data from a session without a tenant")
            return
        # Added to every statement of a tenant's session: it filters each tenant table the
        # statement names, as an entity, in a join or only in its FROM clause.
        state.statement = state.statement.options(
            with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant, include_aliases=True)
        )

    @event.listens_for(session_factory, "after_begin")
    def _tell_the_database(session: Session, _transaction: Any, connection: Any) -> None:
        # The second wall: row-level security policies read these (transaction-local) settings.
        # A session whose first statement tells them itself skips this one; until it has run,
        # the policies see no tenant: no row visible, none writable (closed, not open).
        if (tenant := _tenant_of(session)) is not None and not session.info.get(TOLD_BY_FIRST_STATEMENT):
            tell_tenant(connection, tenant)

    @event.listens_for(session_factory, "before_flush")
    def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
        tenant = _tenant_of(session)
        for obj in session.new:
            if not isinstance(obj, TenantScoped):
                continue
            if tenant is None:
                raise TenantMissing(f"new {type(obj).__name__} in a session without a tenant")
            if obj.tenant_id is None:
                obj.tenant_id = tenant
            elif obj.tenant_id != tenant:
                raise TenantMissing(f"{type(obj).__name__} of another tenant in this session")


# --- row-level security -----------------------------------------------------------------


def _proof(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def tenant_proof(key: str, tenant: uuid.UUID | str) -> str:
    """What ``bassin_current_tenant()`` recomputes: the tenant's HMAC-SHA256 under ``key``."""
    return _proof(key, f"tenant:{tenant}")


def _tenant_key(connection: Connection) -> str:
    key = connection.get_execution_options().get(TENANT_KEY_OPTION)
    if not key:
        raise RuntimeError("no database tenant key: set BASSIN_DATABASE_TENANT_KEY (ADR 0033)")
    return key


# The settings' values as a select list, ``tell_tenant``'s statement and the part of a
# consumer's inbox claim that tells the tenant in the same statement (``bassin_common.inbox``).
TENANT_SETTINGS = f"set_config('{DATABASE_SETTING}', :tenant, true), set_config('{PROOF_SETTING}', :proof, true)"
_TELL_TENANT = text(f"SELECT {TENANT_SETTINGS}")

# Session info: this session's first statement tells the tenant itself (a consumer's inbox
# claim), so beginning its transaction need not (one round trip less per event applied).
TOLD_BY_FIRST_STATEMENT = "tenant_told_by_first_statement"


def tenant_settings(connection: Connection, tenant: uuid.UUID) -> dict[str, str]:
    """The parameters of ``TENANT_SETTINGS`` for ``tenant``, with the proof the policies check."""
    return {"tenant": str(tenant), "proof": tenant_proof(_tenant_key(connection), tenant)}


def tell_tenant(connection: Connection, tenant: uuid.UUID) -> None:
    """Tell the current transaction's policies its tenant, with the proof they check."""
    connection.execute(_TELL_TENANT, tenant_settings(connection, tenant))


def tenant_tables(package: str) -> list[str]:
    """Tables of the ``TenantScoped`` models defined in ``package`` (import its models first)."""
    return sorted(
        {
            cls.__table__.name
            for cls in _tenant_scoped_models()
            if cls.__module__ == package or cls.__module__.startswith(f"{package}.")
        }
    )


# ``(SELECT f())`` is an initplan: the function runs once per statement, not once per row.
_VISIBLE = "tenant_id = (SELECT bassin_current_tenant())"


def isolate_tenant_tables(connection: Connection, tables: Iterable[str]) -> list[str]:
    """Give each table the forced tenant policy, where it lacks it; returns the tables changed.

    Rows of other tenants do not exist for the service role: without the transaction's
    setting no row is visible and none may be written. FORCE applies the policy to the
    table's owner too. Idempotent, so every migration runs it.
    """
    changed = []
    for table in tables:
        if table in policed_tables(connection):
            continue
        connection.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
        connection.execute(text(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY'))
        connection.execute(text(f'CREATE POLICY {POLICY} ON "{table}" USING ({_VISIBLE}) WITH CHECK ({_VISIBLE})'))
        changed.append(table)
    return changed


def policed_tables(connection: Connection) -> set[str]:
    """Tables with row-level security enabled and forced, and the tenant policy."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = :policy "
            "WHERE n.nspname = 'public' AND c.relrowsecurity AND c.relforcerowsecurity"
        ),
        {"policy": POLICY},
    )
    return {row[0] for row in rows}


def tables_with_tenant_column(connection: Connection) -> set[str]:
    rows = connection.execute(
        text(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        )
    )
    return {row[0] for row in rows}


_HOUSEKEEPING = "(SELECT bassin_housekeeping())"


def allow_housekeeping(connection: Connection, table: str) -> None:
    """Let a transaction that declared itself housekeeping (``as_housekeeping``) read and
    delete the rows of every tenant in ``table``, a tenant table the platform purges across
    tenants (``processed_requests``); it still cannot insert or update them. Permissive
    policies add up: every other transaction sees its tenant's rows only."""
    for command in ("SELECT", "DELETE"):
        name = f"housekeeping_{command.lower()}"
        connection.execute(text(f'CREATE POLICY {name} ON "{table}" FOR {command} USING ({_HOUSEKEEPING})'))


def check_tenant_key(connection: Connection) -> None:
    """Raise unless the database accepts this process's tenant proofs (a readiness check: a
    service whose key the migration step did not store would see no row of any tenant)."""
    tell_tenant(connection, uuid.UUID(int=0))
    if connection.scalar(text("SELECT bassin_current_tenant()")) is None:
        raise RuntimeError("the database refuses this process's tenant key: run the migration step (ADR 0033)")


def as_housekeeping(connection: Connection) -> None:
    """Declare the current transaction housekeeping (see ``allow_housekeeping``), with the
    proof ``bassin_housekeeping()`` checks."""
    proof = _proof(_tenant_key(connection), "housekeeping")
    connection.execute(text(f"SELECT set_config('{HOUSEKEEPING_SETTING}', :proof, true)"), {"proof": proof})


# --- the proof, in the database ---------------------------------------------------------------

# SECURITY DEFINER: they run as their owner (the migration user), the only one who may read
# the keys; a fixed search_path, so that no object of the caller's is resolved in them.
# PL/pgSQL rather than SQL: its statement's plan is kept for the session, where a SQL
# function's would be planned again for every statement calling it (measured: ADR 0033).
_PROOF_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION public.bassin_current_tenant() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tenant text := current_setting('{tenant}', true);
BEGIN
  IF tenant <> '' AND EXISTS (
    SELECT FROM {private}.tenant_keys k
    WHERE encode({crypto}.hmac(convert_to('tenant:' || tenant, 'UTF8'), k.key, 'sha256'), 'hex')
          = current_setting('{proof}', true))
  THEN
    RETURN tenant::uuid;
  END IF;
  RETURN NULL;
END
$$""",
    """
CREATE OR REPLACE FUNCTION public.bassin_housekeeping() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN EXISTS (
    SELECT FROM {private}.tenant_keys k
    WHERE encode({crypto}.hmac(convert_to('housekeeping', 'UTF8'), k.key, 'sha256'), 'hex')
          = current_setting('{housekeeping}', true));
END
$$""",
)


def prepare_tenant_proof(connection: Connection) -> None:
    """The functions the policies call and the table of keys they read (idempotent).

    Run before any policy is created (the policies name the functions): pgcrypto (a
    trusted extension) in the private schema, which nobody but the owner may use.
    """
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PRIVATE_SCHEMA}"))
    connection.execute(text(f"REVOKE ALL ON SCHEMA {PRIVATE_SCHEMA} FROM PUBLIC"))
    connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA {PRIVATE_SCHEMA}"))
    crypto = connection.scalar(
        text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pgcrypto'")
    )
    connection.execute(text(f"CREATE TABLE IF NOT EXISTS {PRIVATE_SCHEMA}.tenant_keys (key bytea PRIMARY KEY)"))
    connection.execute(text(f"REVOKE ALL ON {PRIVATE_SCHEMA}.tenant_keys FROM PUBLIC"))
    names = {
        "private": PRIVATE_SCHEMA,
        "crypto": crypto,
        "tenant": DATABASE_SETTING,
        "proof": PROOF_SETTING,
        "housekeeping": HOUSEKEEPING_SETTING,
    }
    for function in _PROOF_FUNCTIONS:
        connection.exec_driver_sql(function.format(**names))


def store_tenant_keys(connection: Connection, keys: Iterable[str]) -> None:
    """Make ``keys`` (the current one, and the previous one during a rotation) the only
    keys whose proofs the policies accept."""
    wanted = sorted({key.encode() for key in keys if key})
    connection.execute(text(f"DELETE FROM {PRIVATE_SCHEMA}.tenant_keys WHERE NOT (key = ANY(:keys))"), {"keys": wanted})
    for key in wanted:
        connection.execute(
            text(f"INSERT INTO {PRIVATE_SCHEMA}.tenant_keys (key) VALUES (:key) ON CONFLICT DO NOTHING"), {"key": key}
        )


def require_tenant_proof(connection: Connection) -> list[str]:
    """Give the policies made before the proof existed (``bassin.tenant_id`` alone, or
    ``bassin.housekeeping = 'on'``) the checked expressions; returns the tables changed."""
    rows = connection.execute(
        text(
            "SELECT c.relname, p.polname, pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p "
            "JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND p.polname IN (:tenant, 'housekeeping_select', 'housekeeping_delete')"
        ),
        {"tenant": POLICY},
    ).all()
    changed = []
    for table, policy, expression in rows:
        if policy == POLICY and "bassin_current_tenant" not in expression:
            connection.execute(text(f'ALTER POLICY {policy} ON "{table}" USING ({_VISIBLE}) WITH CHECK ({_VISIBLE})'))
        elif policy != POLICY and "bassin_housekeeping" not in expression:
            connection.execute(text(f'ALTER POLICY {policy} ON "{table}" USING ({_HOUSEKEEPING})'))
        else:
            continue
        changed.append(table)
    return changed
