"""Identities. The gateway is where tenants are resolved, so these tables are not
``TenantScoped``: a login looks a user up by e-mail before any tenant is known.

Secrets handed to a client — refresh tokens, one-time links, API keys — are random (256
bits) and stored only as their SHA-256 (``tokens.digest``): a copy of the database lets no
one use them. Passwords, chosen by people, are argon2id hashes (``identities``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    """A pool professional's company."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # the version of its permission table, as its ETag (changed by each PUT /permissions)
    permissions_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class User(Base):
    """A person: staff (staff roles), or a customer's portal account (the role ``customer``
    alone, bound to one ``customer_id``). Invited users have no password until they choose
    one through their invitation's link."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column()
    # Sessions opened before this instant are over (deactivation, new roles, new password).
    tokens_valid_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # its ETag: roles, active
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginFailures(Base):
    """Failed logins per account (an e-mail address, known or not), shared by every
    gateway replica: the lock that follows them grows with each further failure."""

    __tablename__ = "login_failures"

    account: Mapped[str] = mapped_column(String(254), primary_key=True)  # the e-mail, lower case
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    """One login and everything it leads to: the family of its refresh tokens, and the
    access tokens issued with them (which name it: ``sid``). Revoked by logout, by the reuse
    of a spent refresh token, or — for all of a user's sessions at once — by the user's
    ``tokens_valid_after`` moving past its ``created_at``."""

    __tablename__ = "login_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The database's clock, as ``tokens_valid_after``: the two are compared.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_because: Mapped[str | None] = mapped_column(String(20))  # logout, reuse


class RefreshToken(Base):
    """A refresh token of a session, usable once: using it spends it and gives the next."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OneTimeToken(Base):
    """The secret of an e-mailed link: an invitation or a password reset; used once, expiring."""

    __tablename__ = "one_time_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invitation, password_reset
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A partner's (a manufacturer's) API key: acts as the role ``partner`` for one brand of
    one tenant. Shown once, when created; revoked, never deleted."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    brand: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))  # the key's first characters, to recognise it
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TenantPermission(Base):
    """A tenant's choice of the roles that may take one action, within the platform's
    limits (``bassin_common.permissions``); an action without a row has its default roles."""

    __tablename__ = "tenant_permissions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(60), primary_key=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    updated_by: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DashboardLayout(Base):
    """The dashboard's widgets a user chose, in the order chosen (issue #26): kept on the
    server so that they follow the user from the shop's PC to the office's."""

    __tablename__ = "dashboard_layouts"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    widgets: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
