"""Erasing a customer's personal data where copies of it wait to be published or replayed.

Events keep what they carried: once a customer is erased, an event still in the outbox
(published or set aside, replayable with ``bassin-outbox replay``) or in a consumer's
dead-letter queue (replayable with ``bassin-dead-letters replay``) would bring the name,
e-mail, phone or address back into a service. ``redacted`` is what such an event carries
after the erasure; ``redact_outbox`` rewrites the outbox rows in the erasure's own
transaction, ``redact_dead_letters`` the dead letters (re-queued redacted, in place).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from kombu import Connection
from sqlalchemy import text
from sqlalchemy.orm import Session

from bassin_common.registry import all_subscriptions
from bassin_common.signing import EVENT_SIGNATURE_HEADER, ContextSigner
from bassin_common.topology import dead_letter_queue, declared

ERASED = "effacé"
# The fields of customers' events that name or reach a person, and what replaces them.
PERSONAL: Mapping[str, Any] = {
    "display_name": ERASED,
    "email": None,
    "phone": None,
    "billing_address": {"line1": ERASED, "line2": None, "postcode": "00000", "city": ERASED, "country": "FR"},
    "siren": None,
    "vat_number": None,
    "subject": ERASED,
    "tags": [],
}


def redacted(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without the personal fields it holds (the others, ids included, kept)."""
    return {key: PERSONAL.get(key, value) for key, value in data.items()}


def carries(body: Any, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
    """Whether an event envelope is about this customer of this tenant."""
    return (
        isinstance(body, dict)
        and str(body.get("tenant_id")) == str(tenant_id)
        and isinstance(body.get("data"), dict)
        and str(body["data"].get("customer_id")) == str(customer_id)
    )


_CUSTOMER_ROWS = text(
    "SELECT id, payload FROM outbox WHERE payload->>'tenant_id' = :tenant "
    "AND payload->'data'->>'customer_id' = :customer FOR UPDATE"
)
_REWRITE = text("UPDATE outbox SET payload = CAST(:payload AS jsonb) WHERE id = :id")


def redact_outbox(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    """Rewrite this customer's events in the outbox without their personal data."""
    rows = session.execute(_CUSTOMER_ROWS, {"tenant": str(tenant_id), "customer": str(customer_id)}).all()
    for row_id, payload in rows:
        payload = {**payload, "data": redacted(payload["data"])}
        session.execute(_REWRITE, {"id": row_id, "payload": json.dumps(payload)})
    return len(rows)


def redact_dead_letters(amqp_uri: str, tenant_id: uuid.UUID, customer_id: uuid.UUID, signer: ContextSigner) -> int:
    """Re-queue, redacted, every dead letter about this customer, in whichever consumer's
    dead-letter queue it waits (those of the services installed here); the others are left
    as they were. A letter whose signature held is signed again once redacted, so it can
    still be replayed; one whose signature did not hold keeps it (and stays refused)."""
    changed = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for subscription in all_subscriptions():
            with connection.channel() as channel:
                queue = dead_letter_queue(subscription)(channel)
                if not declared(channel, queue):  # never declared here: it holds no dead letter
                    continue
                about_them = []
                while (message := queue.get(no_ack=False)) is not None:
                    try:
                        body = json.loads(message.body)
                    except (TypeError, ValueError):
                        body = None
                    if carries(body, tenant_id, customer_id):
                        about_them.append((message, body))
                    # the others stay unacked: back in the queue when the channel closes
                for message, body in about_them:  # re-queued after the reading, not read again
                    redacted_body = {**body, "data": redacted(body["data"])}
                    headers = dict(message.headers or {})
                    if signer.event_is_authentic(body, headers):
                        headers[EVENT_SIGNATURE_HEADER] = signer.sign_event(redacted_body)
                    producer.publish(
                        json.dumps(redacted_body),
                        exchange=queue.exchange.name,  # its consumer's own: never the default one
                        routing_key=queue.routing_key,
                        headers=headers,
                        content_type=message.content_type,
                        content_encoding=message.content_encoding,
                        delivery_mode="persistent",
                    )
                    message.ack()
                    changed += 1
    return changed
