"""Wire formats of the pos RPC API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from bassin_common.schemas import Money, Percentage, StrictSchema
from pos.domain import PAYMENT_METHODS


class SaleLineInput(StrictSchema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    # A cashier may sell at another price than the catalogue's (a discount, say).
    unit_price = Money(load_default=None)


class PaymentInput(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount = Money(required=True, positive=True)


class SaleInput(StrictSchema):
    location_id = fields.UUID(load_default=None)
    lines = fields.List(fields.Nested(SaleLineInput), required=True, validate=validate.Length(min=1, max=500))
    payments = fields.List(fields.Nested(PaymentInput), required=True, validate=validate.Length(min=1, max=20))


class SaleLineOutput(Schema):
    article_id = fields.UUID()
    description = fields.String()
    quantity = fields.Integer()
    unit_price = Money()
    vat_rate = Percentage()
    total = Money()


class PaymentOutput(Schema):
    method = fields.String()
    amount = Money()


class SaleOutput(Schema):
    id = fields.UUID()
    location_id = fields.UUID()
    total = Money()
    vat_total = Money()
    cashier_id = fields.String(allow_none=True)
    completed_at = fields.DateTime()
    lines = fields.List(fields.Nested(SaleLineOutput))
    payments = fields.List(fields.Nested(PaymentOutput))


class CatalogueEntryOutput(Schema):
    """What the till knows of an article."""

    article_id = fields.UUID()
    sku = fields.String()
    name = fields.String()
    sale_price = Money()
