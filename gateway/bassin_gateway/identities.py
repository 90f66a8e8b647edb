"""Tenants, users and their passwords (argon2id)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bassin_common.errors import Conflict, ValidationFailed
from bassin_common.permissions import USER_ROLES
from bassin_gateway.models import Tenant, User

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown e-mail as slow as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash("no such user")


def _off_the_hub(function: Callable[..., Any], *args: Any) -> Any:
    """argon2 takes ~0.1 s of CPU in C: run it in a real thread, or every request in the
    gateway would wait for each login."""
    return tpool.execute(function, *args)


def create_tenant(session: Session, slug: str, name: str) -> Tenant:
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        raise Conflict(f"tenant {slug} exists")
    tenant = Tenant(slug=slug, name=name)
    session.add(tenant)
    session.flush()
    return tenant


def create_user(
    session: Session, tenant_id: uuid.UUID, email: str, password: str, full_name: str, roles: Iterable[str]
) -> User:
    roles = list(roles)
    errors = {}
    if unknown := sorted(set(roles) - set(USER_ROLES)):
        errors["roles"] = [f"unknown role(s): {', '.join(unknown)}"]
    if len(password) < 10:
        errors["password"] = ["at least 10 characters"]
    if "@" not in email:
        errors["email"] = ["not an e-mail address"]
    if errors:
        raise ValidationFailed.of(errors)
    email = email.strip().lower()
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(f"a user with e-mail {email} exists")
    user = User(
        tenant_id=tenant_id,
        email=email,
        full_name=full_name,
        password_hash=_off_the_hub(_hasher.hash, password),
        roles=roles,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    try:
        _off_the_hub(_hasher.verify, user.password_hash if user else _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _off_the_hub(_hasher.hash, password)
    return user
