"""Events pos publishes, and its own view of those it consumes.

Published:
- ``sale_completed`` (v1): a sale was paid at a till; inventory takes the goods out.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

SALE_COMPLETED = "sale_completed"
MONEY = {"places": 2, "as_string": True}


class SaleCompletedLine(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **MONEY)
    vat_rate = fields.Decimal(required=True, **MONEY)
    total = fields.Decimal(required=True, **MONEY)


class SaleCompletedPayment(Schema):
    method = fields.String(required=True)
    amount = fields.Decimal(required=True, **MONEY)


class SaleCompleted(Schema):
    sale_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    total = fields.Decimal(required=True, **MONEY)
    vat_total = fields.Decimal(required=True, **MONEY)
    lines = fields.List(fields.Nested(SaleCompletedLine), required=True)
    payments = fields.List(fields.Nested(SaleCompletedPayment), required=True)
    completed_at = fields.DateTime(required=True)


# --- consumed -----------------------------------------------------------------


class ArticleCreatedView(Schema):
    class Meta:
        unknown = EXCLUDE

    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = fields.Decimal(required=True)
    vat_rate = fields.Decimal(required=True)


class LocationCreatedView(Schema):
    class Meta:
        unknown = EXCLUDE

    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
