"""Partner manufacturers: their warranty returns, delivered to them and to no one else.

A partner is one brand of one company (``brand``: the routing key of sav's
``warranty_return_requested`` and ``warranty_return_status_changed``, a lower-case slug).
Each such event for that brand becomes a webhook delivery to the partner's URL, signed
with its own secret (``notifications.webhooks``), retried with backoff for 24 hours, every
attempt logged. What is sent is the return as sav publishes it for partners: no customer
name, address, e-mail or phone.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
import uuid
from typing import Any

from sqlalchemy import select

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from notifications import delivery, webhooks
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
    """Queue the event for the partner of its brand, if the company has one on webhooks."""
    partner = uow.session.scalar(select(Partner).where(Partner.brand == data["brand"], Partner.active.is_(True)))
    if partner is None or not partner.webhook_url:
        return 0
    from notifications.usecases import _wire

    payload = {"type": kind, "id": str(event_id), "data": _wire({k: data.get(k) for k in SHARED[kind]})}
    created = delivery.queue(
        uow,
        dedup_key=f"webhook:{partner.id}:{event_id}",
        channel="webhook",
        partner_id=partner.id,
        recipient=partner.webhook_url,
        subject=kind,
        payload=payload,
        source_event_type=kind,
    )
    return 1 if created is not None else 0


def post_webhook(outgoing: Delivery, partner: Partner) -> str:
    """POST one signed attempt; returns the answer's status; raises unless 2xx."""
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
    if uow.session.scalar(select(Partner.id).where(Partner.brand == data["brand"])) is not None:
        raise ValidationFailed.field("brand", "the company already has a partner for this brand")
    partner = Partner(**data, secret=f"whsec_{secrets.token_urlsafe(32)}", active=True, version=1)
    uow.session.add(partner)
    uow.session.flush()
    return {**_shown(partner), "secret": partner.secret}


def _shown(partner: Partner) -> dict[str, Any]:
    return {c: getattr(partner, c) for c in ("id", "brand", "name", "webhook_url", "active", "version", "created_at")}


def list_partners(uow: UnitOfWork, page: dict[str, Any]) -> Page[Any]:
    found = read_page(uow.session, select(Partner), (Partner.brand, Partner.id), page)
    return Page([_shown(p) for p in found.items], found.next)


def get_partner(uow: UnitOfWork, partner_id: uuid.UUID) -> Partner:
    partner = uow.session.scalar(select(Partner).where(Partner.id == partner_id))
    if partner is None:
        raise NotFound("no such partner")
    return partner
