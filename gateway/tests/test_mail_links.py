"""Invitations and password resets end to end through a real SMTP server (aiosmtpd, in a
process of its own: it runs on asyncio, this process on eventlet): the link is read from
the e-mail received, and works once (issue #19)."""

from __future__ import annotations

import logging
import re
import uuid
from email.message import EmailMessage

import eventlet
import pytest
from sqlalchemy import select, update

from bassin_common.testing import wait_until
from bassin_gateway.mail import ConsoleMailer, Message, SmtpMailer
from bassin_gateway.models import OneTimeToken

NEW_PASSWORD = "nouvelle-saison-2027"
TOKEN_IN_LINK = re.compile(r"https://app\.bassin\.test/(invitation|password-reset)#token=([A-Za-z0-9_-]+)")


@pytest.fixture
def mailing_app(stand_in_app, smtp_server):
    """The gateway sending its e-mails to the test's SMTP server."""
    return stand_in_app(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security="none",
        public_url="https://app.bassin.test/",
    )[0]


def link_token(message: EmailMessage, page: str) -> str:
    found = TOKEN_IN_LINK.search(message.get_content())
    assert found and found[1] == page, message.get_content()
    return found[2]


def test_an_invited_staff_user_chooses_a_password_through_the_emailed_link(mailing_app, smtp_server, people):
    client = mailing_app.test_client()
    _, manager = people.new_company()
    boss = people.login(mailing_app, manager)
    address = f"technicien-{uuid.uuid4().hex[:8]}@example.fr"
    invited = client.post(
        "/api/v1/users",
        json={"email": address, "full_name": "Luc Bernard", "roles": ["technician"]},
        headers=boss["auth"],
    )
    assert invited.status_code == 201 and invited.get_json()["status"] == "invited"
    login = {"email": address, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/login", json=login).status_code == 401  # no password yet

    message = smtp_server.wait_for(address)
    assert message["Subject"].startswith("Invitation à rejoindre Piscines ")
    assert "Bonjour Luc Bernard" in message.get_content() and "72 heures" in message.get_content()
    token = link_token(message, "invitation")
    accept = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/invitation/accept", json=accept).status_code == 204
    session = client.post("/api/v1/auth/login", json=login)
    assert session.status_code == 200 and session.get_json()["user"]["roles"] == ["technician"]

    again = client.post("/api/v1/auth/invitation/accept", json={**accept, "password": "quelqu-un-d-autre"})
    assert again.status_code == 422 and "token" in again.get_json()["errors"]  # used once only
    reset = {"token": token, "password": "quelqu-un-d-autre"}
    assert client.post("/api/v1/auth/password-reset/confirm", json=reset).status_code == 422  # not a reset link
    listed = client.get(f"/api/v1/users/{invited.get_json()['id']}", headers=boss["auth"]).get_json()
    assert listed["status"] == "active"


def test_a_customer_invited_to_the_portal_sees_its_own_customer(mailing_app, smtp_server, people):
    client = mailing_app.test_client()
    _, manager = people.new_company()
    boss = people.login(mailing_app, manager)
    customer_id, address = uuid.uuid4(), f"client-{uuid.uuid4().hex[:8]}@example.fr"
    body = {"email": address, "full_name": "Mme Durand", "roles": ["customer"], "customer_id": str(customer_id)}
    assert client.post("/api/v1/users", json=body, headers=boss["auth"]).status_code == 201

    message = smtp_server.wait_for(address)
    assert message["Subject"].startswith("Votre espace client Piscines ")
    token = link_token(message, "invitation")
    assert (
        client.post("/api/v1/auth/invitation/accept", json={"token": token, "password": NEW_PASSWORD}).status_code
        == 204
    )
    portal = people.login(mailing_app, address, NEW_PASSWORD)
    me = client.get("/api/v1/portal/me", headers=portal["auth"]).get_json()
    assert me["customer_id"] == str(customer_id) and me["email"] == address
    assert client.get("/api/v1/users", headers=portal["auth"]).status_code == 403


def test_a_password_is_reset_through_the_emailed_link_and_every_session_ends(mailing_app, smtp_server, people):
    client = mailing_app.test_client()
    tenant, _ = people.new_company()
    address = people.add_user(tenant, "office")
    before = people.login(mailing_app, address)

    asked = client.post("/api/v1/auth/password-reset", json={"email": address.upper()})
    assert asked.status_code == 202
    message = smtp_server.wait_for(address)
    assert message["Subject"] == "Réinitialisation de votre mot de passe Bassin"
    assert "1 heure" in message.get_content()
    token = link_token(message, "password-reset")

    too_short = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "court"})
    assert too_short.status_code == 422 and "password" in too_short.get_json()["errors"]
    chosen = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/confirm", json=chosen).status_code == 204
    assert client.get("/api/v1/inventory/locations", headers=before["auth"]).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": before["refresh_token"]}).status_code == 401
    old = client.post("/api/v1/auth/login", json={"email": address, "password": "bonne-saison-2026"})
    assert old.status_code == 401
    people.login(mailing_app, address, NEW_PASSWORD)
    assert client.post("/api/v1/auth/password-reset/confirm", json=chosen).status_code == 422  # once


def test_a_reset_for_an_unknown_address_is_answered_the_same_and_sends_nothing(mailing_app, smtp_server, people):
    client = mailing_app.test_client()
    tenant, _ = people.new_company()
    known = people.add_user(tenant, "sales")
    unknown = client.post("/api/v1/auth/password-reset", json={"email": f"personne-{uuid.uuid4().hex}@example.fr"})
    known_answer = client.post("/api/v1/auth/password-reset", json={"email": known})
    assert unknown.status_code == known_answer.status_code == 202
    assert unknown.get_json() == known_answer.get_json()
    smtp_server.wait_for(known)
    # Asked again at once: still 202, but one e-mail a minute per account at most.
    assert client.post("/api/v1/auth/password-reset", json={"email": known}).status_code == 202
    eventlet.sleep(1)
    assert len(smtp_server.received()) == 1


def test_an_expired_link_opens_nothing(mailing_app, smtp_server, people, gateway_database):
    client = mailing_app.test_client()
    tenant, _ = people.new_company()
    address = people.add_user(tenant, "cashier")
    client.post("/api/v1/auth/password-reset", json={"email": address})
    token = link_token(smtp_server.wait_for(address), "password-reset")
    with gateway_database() as session:
        session.execute(update(OneTimeToken).values(expires_at=OneTimeToken.created_at))
        session.commit()
        assert token not in session.scalars(select(OneTimeToken.token_hash)).all()  # only its digest is kept
    expired = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert expired.status_code == 422


def test_without_an_smtp_host_messages_are_logged_in_console_mode(stand_in_app, people, caplog):
    app, _ = stand_in_app(public_url="https://app.bassin.test")
    tenant, _ = people.new_company()
    address = people.add_user(tenant, "office")
    with caplog.at_level(logging.WARNING, logger="bassin_gateway.mail"):
        assert app.test_client().post("/api/v1/auth/password-reset", json={"email": address}).status_code == 202
        logged = wait_until(lambda: [r.getMessage() for r in caplog.records if address in r.getMessage()])
    assert "CONSOLE MAIL MODE" in logged[0] and "NOT sent" in logged[0]
    assert TOKEN_IN_LINK.search(logged[0])


def test_the_smtp_mailer_refuses_an_unknown_security_and_console_mode_never_sends() -> None:
    with pytest.raises(ValueError, match="BASSIN_SMTP_SECURITY"):
        SmtpMailer("smtp.example.fr", 587, "a@b.fr", security="ssl")
    ConsoleMailer().send(Message("a@b.fr", "Objet", "Corps"))  # logs, and nothing else
