"""Events inventory publishes, and its own view of the events it consumes.

Published (version 1 each):
- ``location_created``: a stock location exists (pos keeps shops for the till).
- ``article_created``: a catalogue article exists (pos keeps a priced copy).
- ``stock_level_changed``: one article's quantity changed at one location.
- ``reorder_needed``: a managed level crossed below its minimum.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

LOCATION_CREATED = "location_created"
ARTICLE_CREATED = "article_created"
STOCK_LEVEL_CHANGED = "stock_level_changed"
REORDER_NEEDED = "reorder_needed"

MONEY = {"places": 2, "as_string": True}


class LocationCreated(Schema):
    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class ArticleCreated(Schema):
    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = fields.Decimal(required=True, **MONEY)
    vat_rate = fields.Decimal(required=True, **MONEY)
    supplier_id = fields.UUID(allow_none=True)


class StockLevelChanged(Schema):
    article_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    previous_quantity = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    reason = fields.String(required=True)
    reference = fields.String(allow_none=True)


class ReorderNeeded(Schema):
    class Meta:
        unknown = EXCLUDE

    article_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True, allow_none=True)
    quantity_on_hand = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    suggested_quantity = fields.Integer(required=True)


# --- consumed -----------------------------------------------------------------


class SoldLine(Schema):
    class Meta:
        unknown = EXCLUDE

    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)


class SaleCompletedView(Schema):
    """What inventory reads of pos's ``sale_completed``."""

    class Meta:
        unknown = EXCLUDE

    sale_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(SoldLine), required=True)
