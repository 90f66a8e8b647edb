"""Wire formats of the pos RPC API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from bassin_common.validation import MONEY_MAX
from pos.domain import PAYMENT_METHODS

MONEY = {"places": 2, "as_string": True}


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class SaleLineInput(StrictSchema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    # A cashier may sell at another price than the catalogue's (a discount, say).
    unit_price = fields.Decimal(load_default=None, validate=validate.Range(min=0, max=MONEY_MAX), **MONEY)


class PaymentInput(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False, max=MONEY_MAX), **MONEY)


class SaleInput(StrictSchema):
    location_id = fields.UUID(load_default=None)
    lines = fields.List(fields.Nested(SaleLineInput), required=True, validate=validate.Length(min=1, max=500))
    payments = fields.List(fields.Nested(PaymentInput), required=True, validate=validate.Length(min=1, max=20))


class SaleLineOutput(Schema):
    article_id = fields.UUID()
    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Decimal(**MONEY)
    vat_rate = fields.Decimal(**MONEY)
    total = fields.Decimal(**MONEY)


class PaymentOutput(Schema):
    method = fields.String()
    amount = fields.Decimal(**MONEY)


class SaleOutput(Schema):
    id = fields.UUID()
    location_id = fields.UUID()
    total = fields.Decimal(**MONEY)
    vat_total = fields.Decimal(**MONEY)
    cashier_id = fields.String(allow_none=True)
    completed_at = fields.DateTime()
    lines = fields.List(fields.Nested(SaleLineOutput))
    payments = fields.List(fields.Nested(PaymentOutput))
