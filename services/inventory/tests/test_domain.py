"""Inventory's rules without database nor broker: when a stock level crosses below its
minimum (once), how much a reorder asks, basket lines topped up never lowered, coherent
thresholds, and raising a minimum above the stock as a crossing."""

import uuid
from decimal import Decimal

import pytest

from inventory.domain import (
    StockChange,
    needs_reorder,
    order_status,
    price_change_percent,
    price_excluding_vat,
    remaining_to_receive,
    reorder_quantity,
    topped_up_quantity,
    valid_gtin,
    validate_thresholds,
)

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


# --- reordering with what is on order, in packs -------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "maximum", "on_hand", "on_order", "needed"),
    [
        (500, 900, 444, 0, True),
        (500, 900, 444, 456, False),  # ordered already: on hand + on order is over the minimum
        (500, 900, 444, 40, True),
        (500, 900, 500, 0, False),  # at the minimum is not under it
        (500, 0, 10, 0, False),  # unmanaged
    ],
)
def test_a_level_needs_a_reorder_when_on_hand_plus_on_order_is_under_its_minimum(
    minimum: int, maximum: int, on_hand: int, on_order: int, needed: bool
) -> None:
    assert needs_reorder(minimum, maximum, on_hand, on_order) is needed


def test_the_need_is_maximum_minus_on_hand_minus_on_order_in_whole_packs() -> None:
    assert reorder_quantity(900, 444, 0) == 456  # not 401, the need frozen at the crossing
    assert reorder_quantity(900, 444, 40) == 416
    assert reorder_quantity(900, 444, 40, pack_size=12) == 420
    assert reorder_quantity(900, 444, 40, pack_size=4) == 416
    assert reorder_quantity(900, 950, 0, pack_size=12) == 0


# --- catalogue ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("3760123450010", True),
        ("3760123450011", False),  # wrong check digit
        ("4006381333931", True),
        ("96385074", True),  # EAN-8
        ("036000291452", True),  # UPC-A
        ("376012345001", False),  # 12 digits, wrong check
        ("37601234500\uff110", False),  # a full-width digit is not ASCII
        ("ABC", False),
    ],
)
def test_barcodes_are_gtins_with_their_check_digit(code: str, valid: bool) -> None:
    assert valid_gtin(code) is valid


def test_a_shelf_price_without_vat_and_a_price_change_in_percent() -> None:
    assert price_excluding_vat(Decimal("39.90"), Decimal("20.00")) == Decimal("33.25")
    assert price_excluding_vat(Decimal("10.55"), Decimal("5.50")) == Decimal("10.00")
    assert price_change_percent(Decimal("24.00"), Decimal("30.00")) == Decimal("25.00")
    assert price_change_percent(Decimal("24.00"), Decimal("18.00")) == Decimal("-25.00")
    assert price_change_percent(None, Decimal("18.00")) is None


def test_an_order_is_received_when_every_line_is() -> None:
    assert order_status([(10, 0), (5, 0)]) == "sent"
    assert order_status([(10, 4), (5, 0)]) == "partially_received"
    assert order_status([(10, 10), (5, 5)]) == "received"
    assert remaining_to_receive(10, 4) == 6
