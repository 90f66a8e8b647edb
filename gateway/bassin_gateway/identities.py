"""Tenants, users and their passwords (argon2id)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bassin_common.errors import Conflict, ValidationFailed
from bassin_common.permissions import USER_ROLES
from bassin_gateway.models import Tenant, User

# argon2id with RFC 9106's and OWASP's second recommended set: 19 MiB, 2 passes, 1 lane
# (about 30 ms of CPU). The memory is what counts in a 384 MiB pod: logins hash at most
# ``login_hashing_slots`` (4) passwords at once, so 76 MiB at worst. Hashes made with other
# parameters (argon2-cffi's defaults, 64 MiB, before) still verify and are remade at login.
ARGON2_MEMORY_KIB = 19 * 1024
_hasher = PasswordHasher(time_cost=2, memory_cost=ARGON2_MEMORY_KIB, parallelism=1)
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
    email = normalized_email(email)
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


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalized_email(email)))


def normalized_email(email: str) -> str:
    return email.strip().lower()


def check_password(user: User | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` is ``user``'s, and the new hash to store when the user's was
    made with other parameters. An unknown or inactive user costs the same time as a
    wrong password. Hashes off the hub; call it with no database session open."""
    try:
        _off_the_hub(_hasher.verify, user.password_hash if user else _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if user is None or not user.active:
        return False, None
    if _hasher.check_needs_rehash(user.password_hash):
        return True, _off_the_hub(_hasher.hash, password)
    return True, None


def replace_hash(session: Session, user: User, new_hash: str) -> None:
    """Store a remade hash, unless the password changed meanwhile."""
    session.execute(
        update(User).where(User.id == user.id, User.password_hash == user.password_hash).values(password_hash=new_hash)
    )
