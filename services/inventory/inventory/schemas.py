"""Wire formats of the inventory RPC API (what the gateway sends and receives)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import INTEGER_MAX, Money, Percentage, StrictSchema
from inventory.domain import LOCATION_KINDS, validate_thresholds
from inventory.events import ARTICLE, SHOP, SUPPLIER

QUANTITY = validate.Range(min=-INTEGER_MAX, max=INTEGER_MAX)
THRESHOLD = validate.Range(min=0, max=INTEGER_MAX)

# The fields' examples (metadata, for the API document) are one pool shop's data, with the
# ids of the events' examples.
SALE_ID = "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6"


class LocationInput(StrictSchema):
    """Where stock is kept: the shop, a warehouse (dépôt) or a technician's van."""

    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": "MAG", "description": "Unique in the company."},
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Magasin de Nîmes"}
    )
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS), metadata={"example": "shop"})


class LocationOutput(Schema):
    id = fields.UUID(metadata={"example": SHOP})
    code = fields.String(metadata={"example": "MAG"})
    name = fields.String(metadata={"example": "Magasin de Nîmes"})
    kind = fields.String(metadata={"example": "shop"})


class SupplierInput(StrictSchema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "HydroSud Distribution"}
    )


class SupplierOutput(Schema):
    id = fields.UUID(metadata={"example": SUPPLIER})
    name = fields.String(metadata={"example": "HydroSud Distribution"})


class ThresholdsInput(StrictSchema):
    """A stock level's reorder thresholds: under ``minimum``, the basket gets what brings the
    level back to ``maximum``; ``maximum`` 0 means the level is not managed."""

    minimum = fields.Integer(required=True, strict=True, validate=THRESHOLD, metadata={"example": 10})
    maximum = fields.Integer(required=True, strict=True, validate=THRESHOLD, metadata={"example": 60})

    @validates_schema
    def thresholds_are_coherent(self, data: dict, **_: object) -> None:
        if errors := validate_thresholds(data.get("minimum", 0), data.get("maximum", 0)):
            raise ValidationError(errors)


class StockLevelInput(ThresholdsInput):
    location_id = fields.UUID(required=True, metadata={"example": SHOP})
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY, metadata={"example": 40})
    minimum = fields.Integer(load_default=0, strict=True, validate=THRESHOLD, metadata={"example": 10})
    maximum = fields.Integer(load_default=0, strict=True, validate=THRESHOLD, metadata={"example": 60})


class ArticleInput(StrictSchema):
    """A new catalogue article, with its opening stock at some locations."""

    sku = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "CHL-GAL-5KG"})
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata={"example": "Chlore lent galets 5 kg"}
    )
    supplier_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": SUPPLIER})
    purchase_price = Money(required=True, metadata={"example": "24.00", "description": "Excluding VAT."})
    sale_price = Money(required=True, metadata={"example": "39.90", "description": "Including VAT: the shelf price."})
    vat_rate = Percentage(load_default=Decimal("20.00"), metadata={"example": "20.00"})
    stock = fields.List(fields.Nested(StockLevelInput), load_default=list)


class ArticleSearch(PageQuery):
    """Articles whose SKU or name contains ``q`` (any case), by SKU, a page at a time."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"example": "chlore", "description": "Text searched in the SKU and the name; empty: every article."},
    )


class ArticleSummary(Schema):
    id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    supplier_id = fields.UUID(allow_none=True, metadata={"example": SUPPLIER})
    sale_price = Money(metadata={"example": "39.90"})
    vat_rate = Percentage(metadata={"example": "20.00"})


class StockLevelOutput(Schema):
    """An article's stock at one location, and the version of its thresholds (its ``ETag``)."""

    location_id = fields.UUID(metadata={"example": SHOP})
    location_code = fields.String(metadata={"example": "MAG"})
    location_name = fields.String(metadata={"example": "Magasin de Nîmes"})
    quantity = fields.Integer(metadata={"example": 38})
    minimum = fields.Integer(metadata={"example": 10})
    maximum = fields.Integer(metadata={"example": 60})
    version = fields.Integer(
        metadata={
            "example": 3,
            "description": "Changes with each change of the thresholds (not with sales): the level's ETag.",
        }
    )


class ArticleOutput(ArticleSummary):
    """The whole article: its summary, what it costs, and its stock at every location."""

    purchase_price = Money(metadata={"example": "24.00"})
    stock = fields.List(fields.Nested(StockLevelOutput))


class BasketLineOutput(Schema):
    """An article to order from a supplier (none chosen yet: null), topped up by reorders."""

    id = fields.UUID(metadata={"example": "e7f6a5b4-c3d2-4e1f-8a9b-0c1d2e3f4a5b"})
    supplier_id = fields.UUID(allow_none=True, metadata={"example": SUPPLIER})
    supplier_name = fields.String(allow_none=True, metadata={"example": "HydroSud Distribution"})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    article_name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    quantity = fields.Integer(metadata={"example": 50})
    status = fields.String(metadata={"example": "open"})
    updated_at = fields.DateTime(metadata={"example": "2026-07-14T10:32:05.120000+00:00"})


class MovementOutput(Schema):
    """One change of a stock level, in the ledger (never edited)."""

    id = fields.Integer(metadata={"example": 1042})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    location_id = fields.UUID(metadata={"example": SHOP})
    delta = fields.Integer(metadata={"example": -2})
    quantity_after = fields.Integer(metadata={"example": 38})
    reason = fields.String(metadata={"example": "sale", "description": "initial, sale…"})
    reference = fields.String(
        allow_none=True, metadata={"example": SALE_ID, "description": "The sale's id, for a sale."}
    )
    created_at = fields.DateTime(metadata={"example": "2026-07-14T10:32:05.120000+00:00"})
