"""Partner manufacturers: their warranty returns, delivered to them and to no one else.

A partner is one brand of one company (``brand``: the routing key of sav's
``warranty_return_requested`` and ``warranty_return_status_changed``, a lower-case slug).
Each such event for that brand becomes a webhook delivery to the partner's URL, signed
with its own secret (``notifications.webhooks``), retried with backoff for 24 hours, every
attempt logged. What is sent is the return as sav publishes it for partners: no customer
name, address, e-mail or phone.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from sqlalchemy import select

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from notifications import delivery, domain, partner_amqp, webhooks
from notifications.models import Delivery, Partner

TIMEOUT = 10.0
# The fields a manufacturer receives, per event (anything else the event carries stays here).
SHARED = {
    "warranty_return_requested": (
        "return_id",
        "ticket_id",
        "brand",
        "category",
        "model",
        "serial_number",
        "installed_on",
        "fault_description",
        "error_code",
        "requested_at",
    ),
    "warranty_return_status_changed": ("return_id", "brand", "status", "note", "at"),
}


def deliver_return_event(uow: UnitOfWork, kind: str, data: dict[str, Any], event_id: uuid.UUID) -> int:
    """Queue the event for the partner of its brand, by webhook and/or on its AMQP queue."""
    partner = uow.session.scalar(select(Partner).where(Partner.brand == data["brand"], Partner.active.is_(True)))
    if partner is None:
        return 0
    payload = {"type": kind, "id": str(event_id), "data": domain.as_json({k: data.get(k) for k in SHARED[kind]})}
    queued = 0
    for channel, recipient in (("webhook", partner.webhook_url), ("amqp", partner.amqp_queue)):
        if not recipient:
            continue
        created = delivery.queue(
            uow,
            dedup_key=f"{channel}:{partner.id}:{event_id}",
            channel=channel,
            partner_id=partner.id,
            recipient=recipient,
            subject=kind,
            payload=payload,
            source_event_type=kind,
        )
        queued += created is not None
    return queued


def check_destination(url: str) -> None:
    """Refuse a webhook to this platform's own network (loopback, private, link-local
    addresses: the broker's management API, a database...) unless the operator allows it
    (``BASSIN_WEBHOOK_ALLOW_PRIVATE=1``, for development and tests)."""
    if os.environ.get("BASSIN_WEBHOOK_ALLOW_PRIVATE") == "1":
        return
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        raise RuntimeError(f"cannot resolve {host}: {error}") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise delivery.PermanentDeliveryError(f"{host} is an internal address ({ip}): not a partner's endpoint")


def post_webhook(outgoing: Delivery, partner: Partner) -> str:
    """POST one signed attempt; returns the answer's status; raises unless 2xx."""
    check_destination(outgoing.recipient)
    body = json.dumps(outgoing.payload, separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(
        outgoing.recipient,
        data=body,
        headers=webhooks.headers(partner.secret, str(outgoing.id), body),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"HTTP {error.code} from the partner") from None


# --- the company's partners ------------------------------------------------------------------------


def create_partner(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """A partner, its webhook secret and, with ``amqp``, its queue and broker user (the
    secret and the password are shown here only)."""
    if uow.session.scalar(select(Partner.id).where(Partner.brand == data["brand"])) is not None:
        raise ValidationFailed.field("brand", "the company already has a partner for this brand")
    on_amqp = data.pop("amqp", False)
    partner = Partner(**data, secret=f"whsec_{secrets.token_urlsafe(32)}", active=True, version=1)
    uow.session.add(partner)
    uow.session.flush()
    shown = {**_shown(partner), "secret": partner.secret}
    if on_amqp:  # after the row: a failure here rolls it back (provisioning is idempotent)
        access = partner_amqp.provision(uow.tenant_id, partner.brand)
        partner.amqp_queue = access["amqp_queue"]
        shown.update(access)
    return shown


def _shown(partner: Partner) -> dict[str, Any]:
    shown = ("id", "brand", "name", "webhook_url", "amqp_queue", "active", "version", "created_at")
    return {c: getattr(partner, c) for c in shown}


def list_partners(uow: UnitOfWork, page: dict[str, Any]) -> Page[Any]:
    found = read_page(uow.session, select(Partner), (Partner.brand, Partner.id), page)
    return Page([_shown(p) for p in found.items], found.next)


def get_partner(uow: UnitOfWork, partner_id: uuid.UUID) -> Partner:
    partner = uow.session.scalar(select(Partner).where(Partner.id == partner_id))
    if partner is None:
        raise NotFound("no such partner")
    return partner


# --- the manufacturer itself (its API key's brand): its endpoint and secret ----------------------


def own_partner(uow: UnitOfWork, lock: bool = False) -> Partner:
    """The partner of the caller's brand (NotFound when the company has none for it)."""
    if uow.context.brand is None:
        raise NotFound("this caller is no partner")
    statement = select(Partner).where(Partner.brand == uow.context.brand)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    partner = uow.session.scalar(statement)
    if partner is None:
        raise NotFound(f"no partner for the brand {uow.context.brand} in this company")
    return partner


def get_own_partner(uow: UnitOfWork) -> dict[str, Any]:
    return _shown(own_partner(uow))


def set_own_webhook(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """The partner points its deliveries at another URL (none: webhooks stop)."""
    partner = own_partner(uow, lock=True)
    partner.webhook_url = data["webhook_url"]
    partner.version += 1
    uow.session.flush()
    return _shown(partner)


def rotate_own_secret(uow: UnitOfWork) -> dict[str, Any]:
    """A new signing secret, shown here only; every delivery from now on is signed with it
    (the old one stops at once, retries of earlier deliveries included)."""
    partner = own_partner(uow, lock=True)
    partner.secret = f"whsec_{secrets.token_urlsafe(32)}"
    partner.version += 1
    uow.session.flush()
    return {**_shown(partner), "secret": partner.secret}
