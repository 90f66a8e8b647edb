"""The events customers publishes (an ``EventSpec`` each), and its views of those it consumes
(an ``EventView`` each). The fields follow docs/dev/event-contracts.md."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec

# The examples' ids: one customer of a pool shop near Nîmes.
CUSTOMER = "3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b01"
SITE = "8c7b6a59-4d3e-4f21-8a0b-1c2d3e4f5a02"

# --- published --------------------------------------------------------------------------


class Address(Schema):
    line1 = fields.String(required=True)
    line2 = fields.String(required=True, allow_none=True)
    postcode = fields.String(required=True)
    city = fields.String(required=True)
    country = fields.String(required=True)


class Consent(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class CustomerChanged(Schema):
    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    billing_address = fields.Nested(Address, required=True)
    siren = fields.String(required=True, allow_none=True)
    vat_number = fields.String(required=True, allow_none=True)
    consent = fields.Nested(Consent, required=True)
    tags = fields.List(fields.String())
    source = fields.String()
    salesperson_id = fields.UUID(allow_none=True)


CUSTOMER_EXAMPLE = {
    "customer_id": CUSTOMER,
    "kind": "private",
    "display_name": "DURAND Hélène",
    "email": "helene.durand@orange.fr",
    "phone": "06 12 34 56 78",
    "billing_address": {
        "line1": "12 chemin des Oliviers",
        "line2": None,
        "postcode": "30900",
        "city": "Nîmes",
        "country": "FR",
    },
    "siren": None,
    "vat_number": None,
    "consent": {"email": True, "sms": False},
    "tags": ["entretien"],
    "source": "walk_in",
    "salesperson_id": None,
}

CUSTOMER_CREATED = EventSpec(
    "customer_created",
    CustomerChanged,
    "A customer file was opened: who, how to reach them, their billing address and consents "
    "(pos keeps a copy for invoices).",
    example=CUSTOMER_EXAMPLE,
)
CUSTOMER_UPDATED = EventSpec(
    "customer_updated",
    CustomerChanged,
    "A customer file changed: the whole of what customer_created carries, as it is now.",
    example=CUSTOMER_EXAMPLE,
)
