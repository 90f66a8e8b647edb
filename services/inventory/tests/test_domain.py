"""Inventory's rules without database nor broker: when a stock level crosses below its
minimum (once), how much a reorder asks, basket lines topped up never lowered, coherent
thresholds, and raising a minimum above the stock as a crossing."""

import uuid

import pytest

from inventory.domain import StockChange, newly_below_minimum, topped_up_quantity, validate_thresholds

ARTICLE, SHOP = uuid.uuid4(), uuid.uuid4()


def change(before: int, after: int, minimum: int = 850, maximum: int = 1200) -> StockChange:
    return StockChange(ARTICLE, SHOP, before, after, minimum, maximum)


@pytest.mark.parametrize(
    ("before", "after", "crossed"),
    [
        (851, 850, False),  # at the minimum is not below it
        (850, 849, True),  # the crossing
        (860, 800, True),  # a big sale jumps across
        (849, 848, False),  # already below: no second reorder
        (900, 899, False),
    ],
)
def test_reorder_is_needed_once_when_crossing_below_minimum(before: int, after: int, crossed: bool) -> None:
    assert change(before, after).crossed_below_minimum is crossed


def test_unmanaged_level_never_asks_for_a_reorder() -> None:
    assert not change(0, -1, minimum=0, maximum=0).crossed_below_minimum


def test_reorder_brings_stock_back_to_the_maximum() -> None:
    assert change(850, 849).quantity_to_reach_maximum == 351
    assert change(10, 1300, minimum=5, maximum=1200).quantity_to_reach_maximum == 0


def test_basket_line_is_topped_up_never_lowered() -> None:
    assert topped_up_quantity(None, 40) == 40
    assert topped_up_quantity(30, 40) == 40
    assert topped_up_quantity(60, 40) == 60  # the buyer raised it by hand


def test_thresholds_must_be_coherent() -> None:
    assert validate_thresholds(5, 10) == {}
    assert validate_thresholds(5, 0) == {}
    assert "minimum" in validate_thresholds(-1, 10)
    assert "maximum" in validate_thresholds(10, 5)


def test_raising_the_minimum_above_the_stock_asks_for_a_reorder_once() -> None:
    assert newly_below_minimum(12, old_minimum=10, old_maximum=60, minimum=15, maximum=60)
    assert not newly_below_minimum(12, old_minimum=15, old_maximum=60, minimum=20, maximum=60)  # already below
    assert not newly_below_minimum(12, old_minimum=10, old_maximum=60, minimum=12, maximum=60)  # at it
    assert newly_below_minimum(12, old_minimum=0, old_maximum=0, minimum=15, maximum=40)  # newly managed
