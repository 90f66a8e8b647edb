"""Sessions and passwords: logging in and out, refreshing, choosing a password through an
e-mailed link (an invitation or a reset). Open to anonymous callers.

Logins are limited per client address, per account and in password hashes at once (429
with ``Retry-After``; see ``bassin_gateway.logins``); so is choosing a password (per address
and in hashes), and a reset request spends the address's allowance too. No database
connection is held while a password hashes: the user is looked up, the session closed, the
password checked or hashed, then a new session records the outcome.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import jsonify, request
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.errors import ValidationFailed
from bassin_common.schemas import load_or_reject
from bassin_gateway import identities, mail
from bassin_gateway import sessions as login_sessions
from bassin_gateway.app import bassin, json_body
from bassin_gateway.identities import INVITATION, PASSWORD_RESET
from bassin_gateway.logins import AccountLocked, LoginLimits
from bassin_gateway.models import User
from bassin_gateway.own_routes import GatewayApi
from bassin_gateway.problems import problem
from bassin_gateway.schemas import (
    ChosenPasswordInput,
    LoginInput,
    PasswordResetInput,
    RefreshInput,
    UserOutput,
)
from bassin_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

api = GatewayApi("auth")
routes = api.blueprint

# One reset e-mail per account in this time, however often it is asked for.
RESET_EMAIL_INTERVAL = timedelta(minutes=1)
ACCEPTED = "if an active account has this e-mail address, a link to choose a new password was sent to it"


@api.view(
    "POST",
    "/login",
    None,
    summary="Log in: an access token (15 minutes) and a refresh token",
    request="bassin_gateway.schemas:LoginInput",
    response="bassin_gateway.schemas:SessionOutput",
    statuses=(401, 422, 429),
)
def login():
    credentials = load_or_reject(LoginInput(), json_body())
    limits = bassin("logins")
    address = request.remote_addr or ""
    limits.addresses.take(address)
    try:
        verified = _verified_user(limits, identities.normalized_email(credentials["email"]), credentials["password"])
    except AccountLocked:
        raise  # a failure too: the address's token stays spent
    except BaseException:
        limits.addresses.give_back(address)  # the gateway's trouble, not the client's
        raise
    if verified is None:
        return problem(401, "Unauthorized", "wrong e-mail or password")
    limits.addresses.give_back(address)
    return _session_answer(*verified)


def _verified_user(limits: LoginLimits, account: str, password: str) -> tuple[login_sessions.Opened, User] | None:
    """A new session for the user if ``password`` is theirs; the failure recorded otherwise.
    No database connection is held while the password hashes."""
    sessions = bassin("sessions")
    with sessions() as session:
        user = identities.find_user(session, account)
        limits.check_account(session, account)
    with limits.hashing_slot():
        valid, new_hash = identities.check_password(user, password)
    with sessions() as session:
        opened = None
        if valid and user is not None:
            opened = login_sessions.open_session(session, user, user.password_hash, _settings().refresh_ttl_seconds)
        if opened is None or user is None:
            limits.record_failure(session, account)
            session.commit()
            return None
        limits.clear_failures(session, account)
        if new_hash:
            identities.replace_hash(session, user, new_hash)
        session.commit()
    return opened, user


@api.view(
    "POST",
    "/refresh",
    None,
    summary="Spend a refresh token for a new access token and the next refresh token",
    request="bassin_gateway.schemas:RefreshInput",
    response="bassin_gateway.schemas:SessionOutput",
    statuses=(401, 422),
)
def refresh():
    presented = load_or_reject(RefreshInput(), json_body())["refresh_token"]
    with bassin("sessions")() as session:
        try:
            opened = login_sessions.rotate(session, presented, _settings().refresh_ttl_seconds)
        except login_sessions.SessionOver as over:
            session.commit()  # a reused token's session stays revoked
            if over.reused:
                log.warning("a refresh token was presented twice: its session is revoked")
            return problem(401, "Unauthorized", str(over))
        user = session.get(User, opened.user_id)
        session.commit()
    return _session_answer(opened, user)


@api.view(
    "POST",
    "/logout",
    None,
    summary="End the session of a refresh token: it and the session's access tokens stop working at once",
    request="bassin_gateway.schemas:RefreshInput",
    status=204,
    statuses=(422,),
)
def logout():
    presented = load_or_reject(RefreshInput(), json_body())["refresh_token"]
    with bassin("sessions")() as session:
        if (session_id := login_sessions.session_of(session, presented)) is not None:
            login_sessions.revoke(session, session_id, login_sessions.LOGOUT)
            session.commit()
    return "", 204  # an unknown token too: there is nothing left to end (RFC 7009)


def _session_answer(opened: login_sessions.Opened, user: User) -> Any:
    tokens, settings = bassin("tokens"), _settings()
    access = tokens.issue(opened.user_id, opened.tenant_id, opened.roles, opened.session_id, opened.customer_id)
    answer = {  # SessionOutput
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": tokens.ttl_seconds,
        "refresh_token": opened.refresh_token,
        "refresh_expires_in": settings.refresh_ttl_seconds,
        "user": {**UserOutput().dump(user), "roles": opened.roles},
    }
    return jsonify(answer)


# --- choosing a password through an e-mailed link -----------------------------------------


@api.view(
    "POST",
    "/password-reset",
    None,
    summary="Ask for a link to choose a new password, sent by e-mail (always 202: says nothing of the address)",
    request="bassin_gateway.schemas:PasswordResetInput",
    response="bassin_gateway.schemas:Accepted",
    status=202,
    statuses=(422, 429),
)
def request_password_reset():
    email = identities.normalized_email(load_or_reject(PasswordResetInput(), json_body())["email"])
    bassin("logins").addresses.take(request.remote_addr or "")  # each one spends the address's allowance
    # Looked up and sent after the answer: it takes as long for an address with an account
    # as for one without.
    mail.run_later(_send_reset_link, bassin("sessions"), _settings(), bassin("mailer"), email)
    return jsonify(detail=ACCEPTED), 202


def _send_reset_link(sessions: sessionmaker[Session], settings: GatewaySettings, mailer: mail.Mailer, email: str):
    with sessions() as session:
        user = identities.find_user(session, email)
        if user is None or not user.active:
            return
        if identities.recent_link(session, user, PASSWORD_RESET, RESET_EMAIL_INTERVAL):
            return
        secret = identities.issue_link(session, user, PASSWORD_RESET, settings.password_reset_ttl_hours)
        session.commit()
    link = mail.link(settings, "password-reset", secret)
    mailer.send(mail.password_reset(user.email, user.full_name, link, settings.password_reset_ttl_hours))


@api.view(
    "POST",
    "/password-reset/confirm",
    None,
    summary="Choose a new password with the link's token; every session of the account ends",
    request="bassin_gateway.schemas:ChosenPasswordInput",
    status=204,
    statuses=(422, 429),
)
def confirm_password_reset():
    return _choose_password(PASSWORD_RESET)


@api.view(
    "POST",
    "/invitation/accept",
    None,
    summary="Accept an invitation: choose the account's password with the link's token",
    request="bassin_gateway.schemas:ChosenPasswordInput",
    status=204,
    statuses=(422, 429),
)
def accept_invitation():
    return _choose_password(INVITATION)


def _choose_password(purpose: str):
    chosen = load_or_reject(ChosenPasswordInput(), json_body())
    limits = bassin("logins")
    address = request.remote_addr or ""
    limits.addresses.take(address)
    try:
        with limits.hashing_slot():
            new_hash = identities.hash_password(chosen["password"])
        with bassin("sessions")() as session:
            user = identities.set_password_by_link(session, chosen["token"], purpose, new_hash)
            if user is not None:
                limits.clear_failures(session, user.email)  # a locked account is open again
            session.commit()
    except BaseException:
        limits.addresses.give_back(address)
        raise
    if user is None:  # a failure: the address's token stays spent
        raise ValidationFailed.field("token", "unknown, already used or expired link: ask for a new one")
    limits.addresses.give_back(address)
    return "", 204


def _settings() -> GatewaySettings:
    return bassin("settings")
