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


class ArticlesImported(Schema):
    articles = fields.List(fields.Nested(ArticleCreated), required=True)


ARTICLES_IMPORTED = EventSpec(
    "articles_imported",
    ArticlesImported,
    "Catalogue articles were created together (import_articles: the demo company, a catalogue taken over): "
    "for each, what its article_created would have carried, in one event instead of one per article. A "
    "consumer of article_created consumes this one too, applying each item as it applies article_created "
    "(ADR 0029).",
    example={"articles": [ARTICLE_CREATED.example]},
)


class ChangedLevel(Schema):
    article_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    previous_quantity = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)


class StockLevelsChanged(Schema):
    reason = fields.String(required=True)
    reference = fields.String(allow_none=True)
    levels = fields.List(fields.Nested(ChangedLevel), required=True)


STOCK_LEVELS_CHANGED = EventSpec(
    "stock_levels_changed",
    StockLevelsChanged,
    "Stock quantities changed in one transaction (a sale, a refund, parts used, materials consumed, a "
    "receipt, a count, a transfer), with each level's thresholds: one event for the transaction instead "
    "of one per level, the levels in the order they were applied. reason is what moved the stock, as the "
    "ledger names it (sale, refund, intervention, worksite, receipt, count), or transfer (its levels: the "
    "source's, then the target's); reference is the sale, refund, intervention, worksite task, receipt, "
    "count or transfer. It replaces stock_level_changed (one per level), which no service consumed: retired "
    "without a compatibility period (ADR 0008).",
    example={
        "reason": "sale",
        "reference": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6",
        "levels": [
            {
                "article_id": ARTICLE,
                "location_id": SHOP,
                "quantity": 849,
                "previous_quantity": 852,
                "minimum": 850,
                "maximum": 1200,
            }
        ],
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


class ArticlePriceChanged(Schema):
    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = Money(required=True)
    vat_rate = Percentage(required=True)
    purchase_price = Money(required=True, allow_none=True)
    changed_at = fields.DateTime(required=True)


ARTICLE_PRICE_CHANGED = EventSpec(
    "article_price_changed",
    ArticlePriceChanged,
    "An article's sale price (VAT incl.), VAT rate, purchase price or name changed: copies (the till, quotes) "
    "take the new values.",
    example={
        "article_id": ARTICLE,
        "sku": "CHL-GAL-5KG",
        "name": "Chlore lent galets 5 kg",
        "sale_price": "42.90",
        "vat_rate": "20.00",
        "purchase_price": "25.80",
        "changed_at": "2027-03-01T08:15:00+00:00",
    },
)


class OrderedLine(Schema):
    article_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)


class PurchaseOrderSent(Schema):
    purchase_order_id = fields.UUID(required=True)
    number = fields.String(required=True)
    supplier_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(OrderedLine), required=True)
    expected_on = fields.Date(required=True, allow_none=True)


PURCHASE_ORDER = "f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a44"
PURCHASE_ORDER_SENT = EventSpec(
    "purchase_order_sent",
    PurchaseOrderSent,
    "The buyer validated a supplier's basket: a numbered purchase order, its lines counted as on order.",
    example={
        "purchase_order_id": PURCHASE_ORDER,
        "number": "CF-000042",
        "supplier_id": SUPPLIER,
        "lines": [{"article_id": ARTICLE, "location_id": SHOP, "quantity": 456}],
        "expected_on": "2026-07-21",
    },
)


class GoodsReceived(Schema):
    purchase_order_id = fields.UUID(required=True)
    receipt_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(OrderedLine), required=True)


GOODS_RECEIVED = EventSpec(
    "goods_received",
    GoodsReceived,
    "A delivery against a purchase order (partial or full) restocked these locations.",
    example={
        "purchase_order_id": PURCHASE_ORDER,
        "receipt_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c55",
        "lines": [{"article_id": ARTICLE, "location_id": SHOP, "quantity": 200}],
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


class RefundedLine(EventView):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)


class SaleRefundedView(EventView):
    """What inventory reads of pos's ``sale_refunded``: goods back on the refunding shop's shelf."""

    sale_id = fields.UUID(required=True)
    refund_id = fields.UUID(load_default=None)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(RefundedLine), required=True)


class PartsUsedView(EventView):
    """What inventory reads of sav's ``parts_used``: parts out of the technician's van."""

    intervention_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(SoldLine), required=True)


class MaterialsView(EventView):
    """What inventory reads of worksites' ``materials_reserved`` / ``materials_consumed``."""

    project_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(SoldLine), required=True)


class OrderedArticle(EventView):
    article_id = fields.UUID(allow_none=True, load_default=None)  # None: a line of free text
    quantity = fields.Decimal(required=True)


class OrderConfirmedView(EventView):
    """What inventory reads of customers' ``order_confirmed``: what a products order sets aside."""

    order_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    lines = fields.List(fields.Nested(OrderedArticle), required=True)
