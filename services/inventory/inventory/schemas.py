"""Wire formats of the inventory RPC API (what the gateway sends and receives)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.schemas import INTEGER_MAX, Money, Percentage, StrictSchema
from inventory.domain import LOCATION_KINDS, validate_thresholds

QUANTITY = validate.Range(min=-INTEGER_MAX, max=INTEGER_MAX)
THRESHOLD = validate.Range(min=0, max=INTEGER_MAX)


class LocationInput(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))


class LocationOutput(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class SupplierInput(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SupplierOutput(Schema):
    id = fields.UUID()
    name = fields.String()


class ThresholdsInput(StrictSchema):
    minimum = fields.Integer(required=True, strict=True, validate=THRESHOLD)
    maximum = fields.Integer(required=True, strict=True, validate=THRESHOLD)

    @validates_schema
    def thresholds_are_coherent(self, data: dict, **_: object) -> None:
        if errors := validate_thresholds(data.get("minimum", 0), data.get("maximum", 0)):
            raise ValidationError(errors)


class StockLevelInput(ThresholdsInput):
    location_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    minimum = fields.Integer(load_default=0, strict=True, validate=THRESHOLD)
    maximum = fields.Integer(load_default=0, strict=True, validate=THRESHOLD)


class ArticleInput(StrictSchema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=60))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    supplier_id = fields.UUID(load_default=None, allow_none=True)
    purchase_price = Money(required=True)
    sale_price = Money(required=True)
    vat_rate = Percentage(load_default=Decimal("20.00"))
    stock = fields.List(fields.Nested(StockLevelInput), load_default=list)


class ArticleSearch(StrictSchema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=INTEGER_MAX))


class ArticleSummary(Schema):
    id = fields.UUID()
    sku = fields.String()
    name = fields.String()
    supplier_id = fields.UUID(allow_none=True)
    sale_price = Money()
    vat_rate = Percentage()


class StockLevelOutput(Schema):
    location_id = fields.UUID()
    location_code = fields.String()
    location_name = fields.String()
    quantity = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer()


class ArticleOutput(ArticleSummary):
    """The whole article: its summary, what it costs, and its stock at every location."""

    purchase_price = Money()
    stock = fields.List(fields.Nested(StockLevelOutput))


class BasketLineOutput(Schema):
    id = fields.UUID()
    supplier_id = fields.UUID(allow_none=True)
    supplier_name = fields.String(allow_none=True)
    article_id = fields.UUID()
    sku = fields.String()
    article_name = fields.String()
    quantity = fields.Integer()
    status = fields.String()
    updated_at = fields.DateTime()


class MovementOutput(Schema):
    id = fields.Integer()
    article_id = fields.UUID()
    location_id = fields.UUID()
    delta = fields.Integer()
    quantity_after = fields.Integer()
    reason = fields.String()
    reference = fields.String(allow_none=True)
    created_at = fields.DateTime()
