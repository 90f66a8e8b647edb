"""Tenants, users and their passwords (argon2id); invitations and password resets (one-time
links); partners' API keys; each tenant's permission table.

Accounts are of two kinds: staff (one or more staff roles) and a customer's portal account
(the role ``customer`` alone, bound to one customer id). Partners — manufacturers — have no
account of a person: they call with API keys, each for one brand.

Every change of who a user is — deactivated, other roles, a new password — moves the
user's ``tokens_valid_after`` to the database's clock: every session opened before is over
at once, its access tokens included (``sessions``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.permissions import BY_NAME, CUSTOMER, MANAGER, SYSTEM, USER_ROLES, validate_grants
from bassin_common.versions import require_version
from bassin_gateway.models import ApiKey, OneTimeToken, Tenant, TenantPermission, User
from bassin_gateway.tokens import API_KEY_PREFIX, digest, new_secret

# argon2id with RFC 9106's and OWASP's second recommended set: 19 MiB, 2 passes, 1 lane
# (about 30 ms of CPU). The memory is what counts in a 384 MiB pod: logins hash at most
# ``login_hashing_slots`` (4) passwords at once, so 76 MiB at worst. Hashes made with other
# parameters (argon2-cffi's defaults, 64 MiB, before) still verify and are remade at login.
ARGON2_MEMORY_KIB = 19 * 1024
_hasher = PasswordHasher(time_cost=2, memory_cost=ARGON2_MEMORY_KIB, parallelism=1)
# Verifying against this keeps a login for an unknown e-mail as slow as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash("no such user")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200
INVITATION, PASSWORD_RESET = "invitation", "password_reset"
BRAND = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
API_KEY_SHOWN = len(API_KEY_PREFIX) + 6  # characters of a key kept to recognise it by


def _off_the_hub(function: Callable[..., Any], *args: Any) -> Any:
    """argon2 takes ~0.1 s of CPU in C: run it in a real thread, or every request in the
    gateway would wait for each login."""
    return tpool.execute(function, *args)


# --- tenants and users ---------------------------------------------------------------------


def create_tenant(session: Session, slug: str, name: str) -> Tenant:
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        raise Conflict(f"tenant {slug} exists")
    tenant = Tenant(slug=slug, name=name)
    session.add(tenant)
    session.flush()
    return tenant


def create_user(
    session: Session,
    tenant_id: uuid.UUID,
    email: str,
    password: str | None,
    full_name: str,
    roles: Iterable[str],
    customer_id: uuid.UUID | None = None,
) -> User:
    """A user of ``tenant_id``; without ``password``, an invited one (no login until they
    choose it through their invitation). ``roles``: staff roles, or ``customer`` alone with
    ``customer_id``."""
    roles = list(dict.fromkeys(roles))
    errors = account_errors(email, full_name, roles, customer_id)
    if password is not None:
        errors.update(password_errors(password))
    if errors:
        raise ValidationFailed.of(errors)
    email = normalized_email(email)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(f"a user with e-mail {email} exists")
    user = User(
        tenant_id=tenant_id,
        email=email,
        full_name=full_name,
        password_hash=hash_password(password) if password is not None else None,
        roles=roles,
        customer_id=customer_id,
    )
    session.add(user)
    session.flush()
    return user


def account_errors(email: Any, full_name: Any, roles: Any, customer_id: uuid.UUID | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(email, str) or "@" not in email or len(email) > MAX_EMAIL_LENGTH or not email.isprintable():
        errors["email"] = ["not an e-mail address"]
    if not isinstance(full_name, str) or not 0 < len(full_name) <= MAX_NAME_LENGTH:
        errors["full_name"] = [f"1 to {MAX_NAME_LENGTH} characters"]
    errors.update(roles_errors(roles, customer_id))
    return errors


def roles_errors(roles: Any, customer_id: uuid.UUID | None) -> dict[str, list[str]]:
    """Staff roles (at least one), or ``customer`` alone with a customer id."""
    if not isinstance(roles, list) or not roles or not all(isinstance(role, str) for role in roles):
        return {"roles": ["at least one role"]}
    if unknown := sorted(set(roles) - set(USER_ROLES)):
        return {"roles": [f"unknown role(s): {', '.join(unknown)} (a person holds {', '.join(USER_ROLES)})"]}
    if CUSTOMER in roles:
        if len(set(roles)) > 1:
            return {"roles": ["a customer's portal account holds the role customer alone"]}
        if customer_id is None:
            return {"customer_id": ["required for a customer's portal account"]}
    elif customer_id is not None:
        return {"customer_id": ["for a customer's portal account only"]}
    return {}


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalized_email(email)))


def normalized_email(email: str) -> str:
    return email.strip().lower()


def tenant_user(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False) -> User:
    """A user of ``tenant_id``; another tenant's is not found."""
    query = select(User).where(User.id == user_id, User.tenant_id == tenant_id)
    user = session.scalar(query.with_for_update() if lock else query)
    if user is None:
        raise NotFound("no such user")
    return user


def list_users(session: Session, tenant_id: uuid.UUID, page: dict[str, Any]) -> Page[User]:
    """A page (``PageQuery``) of the tenant's users, by e-mail."""
    return read_page(session, select(User).where(User.tenant_id == tenant_id), (User.email, User.id), page)


def lock_tenant(session: Session, tenant_id: uuid.UUID) -> None:
    """Serialise the changes to a tenant's users (the last active manager stays one)."""
    session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


def change_roles(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, roles: Any, if_match: list[str]) -> User:
    """New roles for a staff user (a portal account stays a customer's) if unchanged since
    the caller read it (``if_match``); their sessions end."""
    lock_tenant(session, tenant_id)
    user = tenant_user(session, tenant_id, user_id, lock=True)
    require_version(user.version, if_match, "user")
    if user.customer_id is not None:
        raise ValidationFailed.field("roles", "a customer's portal account keeps the role customer")
    if errors := roles_errors(roles, None):
        raise ValidationFailed.of(errors)
    roles = list(dict.fromkeys(roles))
    if set(roles) != set(user.roles):
        _keep_a_manager(session, user, roles=roles, active=user.active)
        user.roles = roles
        user.version += 1
        end_sessions(session, user)
    session.flush()
    return user


def set_active(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, active: bool) -> User:
    """Deactivate (their sessions end at once) or reactivate a user."""
    lock_tenant(session, tenant_id)
    user = tenant_user(session, tenant_id, user_id, lock=True)
    if user.active != active:
        _keep_a_manager(session, user, roles=user.roles, active=active)
        user.active = active
        user.version += 1
        end_sessions(session, user)
    session.flush()
    return user


def _keep_a_manager(session: Session, user: User, roles: list[str], active: bool) -> None:
    """Refuse a change that would leave the tenant without an active manager (the tenant is
    locked, so two managers cannot each remove the other at once)."""
    if MANAGER not in user.roles or not user.active or (MANAGER in roles and active):
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.tenant_id == user.tenant_id,
            User.id != user.id,
            User.active,
            User.roles.any(MANAGER),
            User.password_hash.is_not(None),
        )
    )
    if not others:
        raise Conflict("the company's last active manager must stay one: make someone else manager first")


def end_sessions(session: Session, user: User) -> None:
    """Every session of ``user`` opened until now is over, access tokens included."""
    user.tokens_valid_after = func.clock_timestamp()


# --- passwords -------------------------------------------------------------------------------


def password_errors(password: Any) -> dict[str, list[str]]:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return {"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]}
    if len(password) > MAX_PASSWORD_LENGTH:
        return {"password": [f"at most {MAX_PASSWORD_LENGTH} characters"]}
    return {}


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, computed off the hub; call it with no database
    session open, within a hashing slot (``LoginLimits.hashing_slot``)."""
    return _off_the_hub(_hasher.hash, password)


def check_password(user: User | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` is ``user``'s, and the new hash to store when the user's was
    made with other parameters. An unknown, invited or inactive user costs the same time
    as a wrong password. Hashes off the hub; call it with no database session open."""
    known = user.password_hash if user is not None and user.password_hash else None
    try:
        _off_the_hub(_hasher.verify, known or _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if user is None or known is None or not user.active:
        return False, None
    if _hasher.check_needs_rehash(known):
        return True, _off_the_hub(_hasher.hash, password)
    return True, None


def replace_hash(session: Session, user: User, new_hash: str) -> None:
    """Store a remade hash, unless the password changed meanwhile."""
    session.execute(
        update(User).where(User.id == user.id, User.password_hash == user.password_hash).values(password_hash=new_hash)
    )


# --- one-time links: invitations and password resets ---------------------------------------


def issue_link(session: Session, user: User, purpose: str, hours: float) -> str:
    """A new one-time secret for ``user``'s ``purpose``, valid ``hours``; only its digest is kept."""
    secret = new_secret()
    session.add(
        OneTimeToken(
            token_hash=digest(secret),
            user_id=user.id,
            purpose=purpose,
            expires_at=func.now() + timedelta(hours=hours),
        )
    )
    session.flush()
    return secret


def recent_link(session: Session, user: User, purpose: str, within: timedelta) -> bool:
    """Whether ``user`` was sent a link for ``purpose`` less than ``within`` ago."""
    return bool(
        session.scalar(
            select(func.count())
            .select_from(OneTimeToken)
            .where(
                OneTimeToken.user_id == user.id,
                OneTimeToken.purpose == purpose,
                OneTimeToken.created_at > func.now() - within,
            )
        )
    )


def set_password_by_link(session: Session, secret: str, purpose: str, new_hash: str) -> User | None:
    """Spend the link ``secret`` (unused, unexpired, for ``purpose``) and give its active user
    ``new_hash``; every other link of theirs is spent too, and their sessions end. None when
    the link is unknown, used, expired or its user deactivated."""
    user_id = session.scalar(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == digest(secret),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(OneTimeToken.user_id)
    )
    if user_id is None:
        return None
    user = session.scalar(select(User).where(User.id == user_id, User.active).with_for_update())
    if user is None:
        return None
    user.password_hash = new_hash
    end_sessions(session, user)
    session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.user_id == user.id, OneTimeToken.used_at.is_(None))
        .values(used_at=func.now())
    )
    session.flush()
    return user


# --- partners' API keys ------------------------------------------------------------------------


def create_api_key(
    session: Session, tenant_id: uuid.UUID, brand: Any, name: Any, created_by: str | None
) -> tuple[ApiKey, str]:
    """A key for ``brand`` (a slug: lower-case letters, digits, hyphens); the key itself is
    returned this once, and only its digest kept."""
    errors = {}
    if not isinstance(brand, str) or not BRAND.fullmatch(brand):
        errors["brand"] = ["a slug: 1 to 60 lower-case letters, digits and inner hyphens (e.g. hayward)"]
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_LENGTH:
        errors["name"] = [f"1 to {MAX_NAME_LENGTH} characters"]
    if errors:
        raise ValidationFailed.of(errors)
    secret = new_secret(API_KEY_PREFIX)
    key = ApiKey(
        tenant_id=tenant_id,
        brand=brand,
        name=name,
        key_hash=digest(secret),
        prefix=secret[:API_KEY_SHOWN],
        created_by=uuid.UUID(created_by) if created_by else None,
    )
    session.add(key)
    session.flush()
    return key, secret


def list_api_keys(session: Session, tenant_id: uuid.UUID, page: dict[str, Any]) -> Page[ApiKey]:
    """A page (``PageQuery``) of the tenant's API keys, oldest first."""
    return read_page(session, select(ApiKey).where(ApiKey.tenant_id == tenant_id), (ApiKey.created_at, ApiKey.id), page)


def tenant_api_key(session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id))
    if key is None:
        raise NotFound("no such API key")
    return key


def revoke_api_key(session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key: its next call is refused. Revoking it again changes nothing."""
    key = tenant_api_key(session, tenant_id, key_id)
    if key.revoked_at is None:
        key.revoked_at = func.now()
        session.flush()
        session.refresh(key)
    return key


# --- each tenant's permission table ------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One action of a tenant's table: the roles that hold it, and the platform's limits."""

    name: str
    action: str
    roles: list[str]
    default: list[str]
    grantable: list[str]
    required: list[str]
    customised: bool


def tenant_grants(session: Session, tenant_id: uuid.UUID) -> dict[str, list[str]]:
    """The actions whose roles the tenant chose, and those roles."""
    rows = session.execute(
        select(TenantPermission.permission, TenantPermission.roles).where(TenantPermission.tenant_id == tenant_id)
    )
    return {name: roles for name, roles in rows if name in BY_NAME}


def permission_table(session: Session, tenant_id: uuid.UUID) -> list[Grant]:
    chosen = tenant_grants(session, tenant_id)
    return [
        Grant(
            name=name,
            action=permission.action,
            roles=sorted(chosen.get(name, permission.roles - {SYSTEM})),
            default=sorted(permission.roles - {SYSTEM}),
            grantable=sorted(permission.grantable - {SYSTEM}),
            required=sorted(permission.required),
            customised=name in chosen,
        )
        for name, permission in BY_NAME.items()
    ]


def replace_grants(
    session: Session, tenant_id: uuid.UUID, grants: Any, updated_by: str | None, if_match: list[str]
) -> None:
    """The tenant's table becomes ``grants`` (``{action: [roles]}``) if unchanged since the
    caller read it (``if_match``): an action it does not name goes back to its default
    roles. Refused, naming the action, beyond the limits."""
    if not isinstance(grants, dict):
        raise ValidationFailed.field("_schema", "an object: {action: [roles]}")
    checked = validate_grants(grants)
    tenant = session.scalar(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
    if tenant is None:  # the caller's company was removed under them
        raise NotFound("no such company")
    require_version(tenant.permissions_version, if_match, "permission table")
    tenant.permissions_version += 1
    session.execute(delete(TenantPermission).where(TenantPermission.tenant_id == tenant_id))
    for name, roles in checked.items():
        default = BY_NAME[name].roles - {SYSTEM}
        if roles != default:
            session.add(
                TenantPermission(
                    tenant_id=tenant_id,
                    permission=name,
                    roles=sorted(roles),
                    updated_by=uuid.UUID(updated_by) if updated_by else None,
                )
            )
    session.flush()
