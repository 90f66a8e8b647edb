"""Login sessions: refresh tokens with rotation and reuse detection, revocation, and the
check every authenticated request makes.

A login opens a session and gives a short-lived access token (a JWT naming the session)
and a refresh token (opaque, stored as its SHA-256). ``POST /auth/refresh`` spends the
refresh token and gives the next one with a new access token (rotation). A refresh token
presented a second time means that someone holds a copy — the client or a thief, the
gateway cannot tell — so the whole session is revoked (reuse detection): both must log in
again, and the thief's copy is worth nothing.

A session is live while it is not revoked (logout, reuse), its user is active, and it was
opened after the user's ``tokens_valid_after`` (moved by deactivation, new roles, a new
password). Both instants come from the database's clock, so no gateway's clock matters.
Every authenticated request checks it (``live_caller``, ``partner_caller``): one indexed
query, which also brings the tenant's permission table, so that a deactivated user or a
revoked session is refused at its next request, not when its token expires. (A process
trusts a check for a second, until it answers any write: ``bassin_gateway.callers``.)
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session

from bassin_common.permissions import PARTNER
from bassin_common.tenancy import RequestContext
from bassin_gateway.models import ApiKey, LoginSession, OneTimeToken, RefreshToken, TenantPermission, User
from bassin_gateway.tokens import AccessToken, digest, new_secret

PURGE_EVERY = 100  # sessions opened by a process between purges of expired rows
KEEP_EXPIRED = timedelta(days=1)
LOGOUT, REUSE = "logout", "reuse"

_opened = itertools.count(1)


@dataclass(frozen=True)
class Opened:
    """A new session, or one just refreshed: who it is for, and its next refresh token."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    roles: list[str]
    customer_id: uuid.UUID | None
    refresh_token: str


class SessionOver(Exception):
    """The refresh token opens nothing: unknown, expired, spent (``reused``), or its session
    or user is over."""

    def __init__(self, detail: str, reused: bool = False) -> None:
        super().__init__(detail)
        self.reused = reused


def open_session(session: Session, user: User, verified_hash: str, refresh_ttl: int) -> Opened | None:
    """A session for ``user``, who gave the password of ``verified_hash``; None if, while it
    was checked (without holding the database), the password changed or the user was
    deactivated. The user's row stays locked until commit, so a change of password, roles or
    activity made meanwhile waits and then ends this session too."""
    row = session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == verified_hash, User.active)
        .values(last_login_at=func.now())
        .returning(User.tenant_id, User.roles, User.customer_id)
    ).one_or_none()
    if row is None:
        return None
    login = LoginSession(user_id=user.id)
    session.add(login)
    session.flush()
    if next(_opened) % PURGE_EVERY == 0:
        purge_expired(session)
    refresh = _next_refresh_token(session, login.id, refresh_ttl)
    return Opened(login.id, user.id, row.tenant_id, list(row.roles), row.customer_id, refresh)


def rotate(session: Session, refresh_token: str, refresh_ttl: int) -> Opened:
    """Spend ``refresh_token`` for the next one. Raises ``SessionOver``; when the token was
    already spent, its session is revoked first (commit it, then refuse)."""
    fresh = (RefreshToken.expires_at > func.now()).label("fresh")
    live = (
        (LoginSession.revoked_at.is_(None)) & (LoginSession.created_at >= User.tokens_valid_after) & User.active
    ).label("live")
    row = session.execute(
        select(RefreshToken, LoginSession, User, fresh, live)
        .join(LoginSession, LoginSession.id == RefreshToken.session_id)
        .join(User, User.id == LoginSession.user_id)
        .where(RefreshToken.token_hash == digest(refresh_token))
        .with_for_update(of=RefreshToken)  # two refreshes with one token: the second sees it spent
    ).one_or_none()
    if row is None:
        raise SessionOver("unknown refresh token")
    token, login, user = row.RefreshToken, row.LoginSession, row.User
    if token.used_at is not None:
        revoke(session, login.id, REUSE)
        raise SessionOver("refresh token already used: the session is revoked", reused=True)
    if not row.fresh or not row.live:
        raise SessionOver("the session is over")
    token.used_at = func.now()
    refresh = _next_refresh_token(session, login.id, refresh_ttl)
    return Opened(login.id, user.id, user.tenant_id, list(user.roles), user.customer_id, refresh)


def revoke(session: Session, session_id: uuid.UUID, because: str) -> None:
    """End a session: its refresh tokens open nothing, its access tokens are refused."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_because=because)
    )


def session_of(session: Session, refresh_token: str) -> uuid.UUID | None:
    return session.scalar(select(RefreshToken.session_id).where(RefreshToken.token_hash == digest(refresh_token)))


def _next_refresh_token(session: Session, session_id: uuid.UUID, ttl: int) -> str:
    secret = new_secret()
    session.add(
        RefreshToken(
            token_hash=digest(secret),
            session_id=session_id,
            expires_at=func.now() + timedelta(seconds=ttl),
        )
    )
    session.flush()
    return secret


def purge_expired(session: Session) -> None:
    """Forget refresh tokens and links expired a day ago, and sessions left without a token
    (their last refresh token long expired, so their access tokens too)."""
    session.execute(delete(RefreshToken).where(RefreshToken.expires_at < func.now() - KEEP_EXPIRED))
    session.execute(delete(OneTimeToken).where(OneTimeToken.expires_at < func.now() - KEEP_EXPIRED))
    session.execute(
        delete(LoginSession).where(
            LoginSession.created_at < func.now() - KEEP_EXPIRED,
            ~exists().where(RefreshToken.session_id == LoginSession.id),
        )
    )


# --- the check of every authenticated request ------------------------------------------------
# Built once, with bound parameters: building a statement costs more CPU than running it.


def _grants_of(tenant_id: Any) -> Any:
    """The tenant's permission table as one JSON object (``{}`` when it chose nothing)."""
    return (
        select(
            func.coalesce(
                func.jsonb_object_agg(TenantPermission.permission, TenantPermission.roles), func.jsonb_build_object()
            )
        )
        .where(TenantPermission.tenant_id == tenant_id)
        .scalar_subquery()
    )


_LIVE_SESSION = (
    select(_grants_of(User.tenant_id))
    .select_from(LoginSession)
    .join(User, User.id == LoginSession.user_id)
    .where(
        LoginSession.id == bindparam("session_id"),
        User.id == bindparam("user_id"),
        User.tenant_id == bindparam("tenant_id"),
        User.active,
        LoginSession.revoked_at.is_(None),
        LoginSession.created_at >= User.tokens_valid_after,
    )
)
_LIVE_KEY = select(ApiKey.id, ApiKey.tenant_id, ApiKey.brand, _grants_of(ApiKey.tenant_id).label("grants")).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


def live_caller(connection: Connection, token: AccessToken) -> dict[str, list[str]] | None:
    """The tenant's permission table if ``token``'s session and user are live, else None."""
    context = token.context
    return connection.scalar(
        _LIVE_SESSION,
        {"session_id": token.session_id, "user_id": uuid.UUID(str(context.user_id)), "tenant_id": context.tenant_id},
    )


def partner_caller(
    connection: Connection, api_key: str, correlation_id: str
) -> tuple[RequestContext, dict[str, list[str]]] | None:
    """The caller an unrevoked API key stands for — the role partner, for its brand — and its
    tenant's permission table; None for any other key."""
    row = connection.execute(_LIVE_KEY, {"key_hash": digest(api_key)}).one_or_none()
    if row is None:
        return None
    context = RequestContext(
        tenant_id=row.tenant_id,
        user_id=str(row.id),
        roles=frozenset({PARTNER}),
        correlation_id=correlation_id,
        brand=row.brand,
    )
    return context, row.grants
