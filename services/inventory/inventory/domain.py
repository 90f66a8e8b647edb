"""Inventory rules, as plain Python: no database, no broker.

A stock level is *managed* when it has a maximum: that is the quantity a reorder
brings it back to. It *needs a reorder* when what is on hand plus what is already on
order falls under its minimum; the need is then what brings it back to its maximum
(maximum - on hand - on order), rounded up to the supplier's pack size. The basket line
of that (supplier, article, location) is kept current while it is open: it grows as the
stock keeps falling, it never shrinks by itself (the buyer may have raised it). Once
ordered, the order counts as "on order", so the minimum re-arms by itself when the
goods arrive or when the stock falls again below what the order covers.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bassin_common.money import money, vat_included_in

LOCATION_KINDS = ("shop", "warehouse", "van")
UNITS = ("piece", "kg", "L", "m²", "m")
ARTICLE_KINDS = ("product", "service")
# What moved the stock, in the ledger.
REASONS = (
    "initial",
    "sale",
    "refund",
    "intervention",
    "worksite",
    "receipt",
    "transfer_out",
    "transfer_in",
    "count",
)


@dataclass(frozen=True)
class StockChange:
    article_id: uuid.UUID
    location_id: uuid.UUID
    before: int
    after: int
    minimum: int
    maximum: int

    @property
    def is_managed(self) -> bool:
        return self.maximum > 0

    @property
    def crossed_below_minimum(self) -> bool:
        return self.is_managed and self.before >= self.minimum > self.after

    @property
    def quantity_to_reach_maximum(self) -> int:
        return max(self.maximum - self.after, 0)


def needs_reorder(minimum: int, maximum: int, on_hand: int, on_order: int) -> bool:
    """Whether a level is short: managed, and on hand plus on order under the minimum."""
    return maximum > 0 and on_hand + on_order < minimum


def reorder_quantity(maximum: int, on_hand: int, on_order: int, pack_size: int = 1) -> int:
    """What brings a level back to its maximum, counting what is on order, in whole packs."""
    need = max(maximum - on_hand - on_order, 0)
    return math.ceil(need / pack_size) * pack_size if pack_size > 1 else need


def topped_up_quantity(current_line_quantity: int | None, needed: int) -> int:
    """An open basket line grows to cover the need; it never shrinks by itself.

    The buyer may already have raised it by hand; a new need only raises it further.
    """
    return max(current_line_quantity or 0, needed)


def validate_thresholds(minimum: int, maximum: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if minimum < 0:
        errors["minimum"] = ["must be zero or more"]
    if maximum and maximum < minimum:
        errors["maximum"] = ["must be at least the minimum (or 0 for an unmanaged level)"]
    return errors


# --- catalogue ------------------------------------------------------------------------------


def valid_gtin(code: str) -> bool:
    """An EAN-8, UPC-A (12), EAN-13 or GTIN-14 with its check digit right."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14) or not code.isascii():
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def price_excluding_vat(price_including_vat: Decimal, vat_rate: Decimal) -> Decimal:
    return money(price_including_vat - vat_included_in(price_including_vat, vat_rate))


def price_change_percent(old: Decimal | None, new: Decimal) -> Decimal | None:
    """How much a price moved, in percent of the old one (None without an old price)."""
    if old is None or old == 0:
        return None
    return money((new - old) * 100 / old)


def remaining_to_receive(ordered: int, received: int) -> int:
    return max(ordered - received, 0)


def order_status(lines: list[tuple[int, int]]) -> str:
    """A purchase order's status from its lines' (ordered, received)."""
    if all(received >= ordered for ordered, received in lines):
        return "received"
    if any(received for _, received in lines):
        return "partially_received"
    return "sent"


# --- the catalogue's references: what an article names must exist --------------------------

Problem = tuple[str, str]  # (field, message): the first rule an article breaks


@dataclass
class Known:
    """What the company's catalogue holds that an article may name or must not reuse: the
    ids of its categories, suppliers, products (a service's default parts) and locations,
    and the SKUs and barcodes already taken. An article accepted in a batch takes its SKU
    and barcodes (``take``), so the next one of the batch cannot reuse them."""

    categories: set[uuid.UUID] = field(default_factory=set)
    suppliers: set[uuid.UUID] = field(default_factory=set)
    products: set[uuid.UUID] = field(default_factory=set)
    locations: set[uuid.UUID] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)
    barcodes: set[str] = field(default_factory=set)

    def take(self, article: dict[str, Any]) -> None:
        self.skus.add(article["sku"])
        self.barcodes.update(article["barcodes"])


def preferred_offer(offers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The offer marked preferred, else the first one."""
    return next((offer for offer in offers if offer["preferred"]), offers[0] if offers else None)


def with_legacy_offer(article: dict[str, Any]) -> Problem | None:
    """``supplier_id`` + ``purchase_price`` (the first API's shape) becomes the preferred
    offer, unless that supplier has one already; exactly one offer ends up preferred."""
    supplier_id = article.pop("supplier_id", None)
    if supplier_id is not None and not any(offer["supplier_id"] == supplier_id for offer in article["offers"]):
        if article.get("purchase_price") is None:
            return "purchase_price", "needed with supplier_id (the supplier's price)"
        article["offers"].insert(
            0,
            {
                "supplier_id": supplier_id,
                "purchase_price": article["purchase_price"],
                "supplier_reference": None,
                "pack_size": 1,
                "lead_time_days": None,
                "preferred": not any(offer["preferred"] for offer in article["offers"]),
            },
        )
    preferred = preferred_offer(article["offers"])
    if preferred is not None:
        for offer in article["offers"]:
            offer["preferred"] = offer is preferred
    return None


def catalogue_problem(article: dict[str, Any], known: Known, article_id: uuid.UUID | None = None) -> Problem | None:
    """What the schema cannot check alone: the ids it names exist in the company, its
    barcodes are free, a service is not stocked (``stocked`` set to False) and only a
    service has default parts and a duration. ``known.barcodes``: those of other articles."""
    if article.get("category_id") is not None and article["category_id"] not in known.categories:
        return "category_id", "unknown category"
    for index, offer in enumerate(article["offers"]):
        if offer["supplier_id"] not in known.suppliers:
            return f"offers[{index}].supplier_id", "unknown supplier"
    for index, ean in enumerate(article["barcodes"]):
        if ean in known.barcodes:
            return f"barcodes[{index}]", "already the barcode of another article"
    if article["kind"] == "service":
        article["stocked"] = False
        if article.get("stock"):
            return "stock", "a service is not stocked"
    elif article["parts"]:
        return "parts", "only a service has default parts"
    elif article.get("duration_minutes") is not None:
        return "duration_minutes", "only a service has a duration"
    for index, part in enumerate(article["parts"]):
        if part["article_id"] not in known.products or part["article_id"] == article_id:
            return f"parts[{index}].article_id", "unknown product"
    return None


def new_article_problem(article: dict[str, Any], known: Known) -> Problem | None:
    """The rules of a new article, in the order a caller fixes them: its SKU is free, the
    supplier it names exists (and comes with its price), its catalogue fields
    (``catalogue_problem``), its opening stock is at known locations, once each. The
    article is completed on the way (``offers``, ``barcodes``, ``parts``, ``stock``
    defaulted; the legacy supplier made an offer)."""
    for key in ("offers", "barcodes", "parts", "stock"):
        article.setdefault(key, [])
    if article["sku"] in known.skus:
        return "sku", "already used by another article"
    if article.get("supplier_id") and article["supplier_id"] not in known.suppliers:
        return "supplier_id", "unknown supplier"
    problem = with_legacy_offer(article) or catalogue_problem(article, known)
    if problem:
        return problem
    seen: set[uuid.UUID] = set()
    for index, level in enumerate(article["stock"]):
        if level["location_id"] not in known.locations:
            return f"stock[{index}].location_id", "unknown location"
        if level["location_id"] in seen:
            return f"stock[{index}].location_id", "location given twice"
        seen.add(level["location_id"])
    return None
