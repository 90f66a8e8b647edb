"""Inventory rules, as plain Python: no database, no broker.

A stock level is *managed* when it has a maximum: that is the quantity a reorder
brings it back to. It *crosses below its minimum* when a change takes it from at or
above the minimum to under it — the one moment a reorder is needed. Further sales
while it stays under do not ask again; a restock above the minimum re-arms it. Raising
the minimum above the quantity on hand is a crossing as well.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

LOCATION_KINDS = ("shop", "warehouse", "van")


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


def newly_below_minimum(quantity: int, old_minimum: int, old_maximum: int, minimum: int, maximum: int) -> bool:
    """Raising a minimum above the stock is a crossing too: the level now needs a reorder."""
    was_below = old_maximum > 0 and quantity < old_minimum
    is_below = maximum > 0 and quantity < minimum
    return is_below and not was_below


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
