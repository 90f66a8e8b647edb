"""Logging in: an e-mail and a password for a short-lived bearer token.

Limited per client address, per account and in password hashes at once (429 with
``Retry-After``; see ``bassin_gateway.logins``). No database connection is held while
the password hashes: the user is looked up, the session closed, the password checked,
then a new session records the outcome.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from bassin_common.errors import ValidationFailed
from bassin_gateway import identities
from bassin_gateway.app import bassin, json_body
from bassin_gateway.logins import AccountLocked, LoginLimits
from bassin_gateway.models import User
from bassin_gateway.problems import problem

routes = Blueprint("auth", __name__, url_prefix="/api/v1/auth")

MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024


@routes.post("/login")
def login():
    email, password = _credentials(json_body())
    limits = bassin("logins")
    address = request.remote_addr or ""
    limits.addresses.take(address)
    try:
        user = _verified_user(limits, identities.normalized_email(email), password)
    except AccountLocked:
        raise  # a failure too: the address's token stays spent
    except BaseException:
        limits.addresses.give_back(address)  # the gateway's trouble, not the client's
        raise
    if user is None:
        return problem(401, "Unauthorized", "wrong e-mail or password")
    limits.addresses.give_back(address)
    tokens = bassin("tokens")
    return jsonify(
        access_token=tokens.issue(user.id, user.tenant_id, list(user.roles)),
        token_type="Bearer",
        expires_in=tokens.ttl_seconds,
        user={"id": str(user.id), "email": user.email, "full_name": user.full_name, "roles": user.roles},
    )


def _verified_user(limits: LoginLimits, account: str, password: str) -> User | None:
    """The user if ``password`` is theirs; the failure recorded otherwise. No database
    connection is held while the password hashes."""
    sessions = bassin("sessions")
    with sessions() as session:
        user = identities.find_user(session, account)
        limits.check_account(session, account)
    with limits.hashing_slot():
        valid, new_hash = identities.check_password(user, password)
    with sessions() as session:
        if not valid or user is None:
            limits.record_failure(session, account)
            session.commit()
            return None
        limits.clear_failures(session, account)
        if new_hash:
            identities.replace_hash(session, user, new_hash)
        session.commit()
    return user


def _credentials(body: dict) -> tuple[str, str]:
    errors = {f: ["required"] for f in ("email", "password") if not isinstance(body.get(f), str) or not body[f]}
    if errors:
        raise ValidationFailed("email and password are required", errors)
    email, password = body["email"], body["password"]
    if len(email) > MAX_EMAIL_LENGTH or not email.isprintable():
        errors["email"] = ["not an e-mail address"]
    if len(password) > MAX_PASSWORD_LENGTH:
        errors["password"] = [f"at most {MAX_PASSWORD_LENGTH} characters"]
    if errors:
        raise ValidationFailed.of(errors)
    return email, password
