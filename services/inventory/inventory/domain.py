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
from dataclasses import dataclass
from decimal import Decimal

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
