"""The events pos publishes, and its views of the events it consumes."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import Money, Percentage

# --- published --------------------------------------------------------------------------


class SaleCompletedLine(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    unit_price = Money(required=True)
    vat_rate = Percentage(required=True)
    total = Money(required=True)


class SaleCompletedPayment(Schema):
    method = fields.String(required=True)
    amount = Money(required=True)


class SaleCompleted(Schema):
    sale_id = fields.UUID(required=True, attribute="id")  # dumped from the stored sale itself
    location_id = fields.UUID(required=True)
    total = Money(required=True)
    vat_total = Money(required=True)
    lines = fields.List(fields.Nested(SaleCompletedLine), required=True)
    payments = fields.List(fields.Nested(SaleCompletedPayment), required=True)
    completed_at = fields.DateTime(required=True)


SALE_COMPLETED = EventSpec(
    "sale_completed",
    SaleCompleted,
    "A sale was paid at a till: its lines (VAT-inclusive prices) and payments; inventory takes the goods out.",
    example={
        "sale_id": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6",
        "location_id": "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11",
        "total": "119.70",
        "vat_total": "19.95",
        "lines": [
            {
                "article_id": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22",
                "quantity": 3,
                "unit_price": "39.90",
                "vat_rate": "20.00",
                "total": "119.70",
            }
        ],
        "payments": [{"method": "cash", "amount": "50.00"}, {"method": "card", "amount": "69.70"}],
        "completed_at": "2026-07-14T10:32:05.120000+00:00",
    },
)

# --- consumed ---------------------------------------------------------------------------


class ArticleCreatedView(EventView):
    """What the till keeps of a new catalogue article."""

    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = fields.Decimal(required=True)
    vat_rate = fields.Decimal(required=True)


class LocationCreatedView(EventView):
    """A location; the till keeps those of kind ``shop``."""

    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
