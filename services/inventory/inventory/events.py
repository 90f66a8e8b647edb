"""The events inventory publishes, and its views of the events it consumes."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import Money, Percentage

SHOP, ARTICLE = "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11", "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"
SUPPLIER = "a3d2c1b0-9f8e-4d7c-8b6a-5e4f3a2b1c33"

# --- published --------------------------------------------------------------------------


class LocationCreated(Schema):
    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


LOCATION_CREATED = EventSpec(
    "location_created",
    LocationCreated,
    "A stock location exists: the shop, a warehouse or a van (pos keeps the shops for its tills).",
    example={"location_id": SHOP, "code": "MAG", "name": "Magasin", "kind": "shop"},
)


class ArticleCreated(Schema):
    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = Money(required=True)
    vat_rate = Percentage(required=True)
    supplier_id = fields.UUID(allow_none=True)


ARTICLE_CREATED = EventSpec(
    "article_created",
    ArticleCreated,
    "A catalogue article exists, with its VAT-inclusive sale price (pos keeps a priced copy for the till).",
    example={
        "article_id": ARTICLE,
        "sku": "CHL-GAL-5KG",
        "name": "Chlore lent galets 5 kg",
        "sale_price": "39.90",
        "vat_rate": "20.00",
        "supplier_id": SUPPLIER,
    },
)


class StockLevelChanged(Schema):
    article_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    previous_quantity = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    reason = fields.String(required=True)
    reference = fields.String(allow_none=True)


STOCK_LEVEL_CHANGED = EventSpec(
    "stock_level_changed",
    StockLevelChanged,
    "One article's quantity changed at one location (a sale, a receipt, a count), with its thresholds.",
    example={
        "article_id": ARTICLE,
        "location_id": SHOP,
        "quantity": 849,
        "previous_quantity": 852,
        "minimum": 850,
        "maximum": 1200,
        "reason": "sale",
        "reference": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6",
    },
)


class ReorderNeeded(Schema):
    article_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True, allow_none=True)
    quantity_on_hand = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    suggested_quantity = fields.Integer(required=True)


REORDER_NEEDED = EventSpec(
    "reorder_needed",
    ReorderNeeded,
    "A managed stock level crossed below its minimum, once per crossing; the supplier basket already holds "
    "the line that brings it back to its maximum.",
    example={
        "article_id": ARTICLE,
        "location_id": SHOP,
        "supplier_id": SUPPLIER,
        "quantity_on_hand": 849,
        "minimum": 850,
        "maximum": 1200,
        "suggested_quantity": 351,
    },
)

# --- consumed ---------------------------------------------------------------------------


class SoldLine(EventView):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)


class SaleCompletedView(EventView):
    """What inventory reads of pos's ``sale_completed``: which goods left which shop."""

    sale_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(SoldLine), required=True)
