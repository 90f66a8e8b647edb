"""Till rules without database nor broker: prices from the catalogue or set by the cashier,
the VAT they contain, split payments adding up to the total, unknown articles named by
their line."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bassin_common.errors import Forbidden, ValidationFailed
from pos.domain import CatalogueEntry, price_cart, price_sale, share_out

SHOP = uuid.uuid4()
CHLORE = CatalogueEntry(uuid.uuid4(), "CHL-GAL-5KG", "Chlore lent galets 5 kg", Decimal("39.90"), Decimal("20.00"))
POMPE = CatalogueEntry(uuid.uuid4(), "POMPE", "Pompe 0,75 CV", Decimal("529.00"), Decimal("20.00"))
CATALOGUE = {entry.article_id: entry for entry in (CHLORE, POMPE)}


def line(entry: CatalogueEntry, quantity: int, unit_price: Decimal | None = None) -> dict:
    return {"article_id": entry.article_id, "quantity": quantity, "unit_price": unit_price}


def pay(method: str, amount: str) -> dict:
    return {"method": method, "amount": Decimal(amount)}


def test_a_sale_is_priced_from_the_catalogue_with_the_vat_it_contains() -> None:
    sale = price_sale(SHOP, [line(CHLORE, 3), line(POMPE, 1)], [pay("card", "648.70")], CATALOGUE)
    assert sale.total == Decimal("648.70")
    assert [sold.total for sold in sale.lines] == [Decimal("119.70"), Decimal("529.00")]
    assert sale.vat_total == Decimal("19.95") + Decimal("88.17")
    assert sale.lines[0].description == "Chlore lent galets 5 kg"


def test_the_cashier_may_set_another_price() -> None:
    sale = price_sale(SHOP, [line(CHLORE, 2, Decimal("35.00"))], [pay("cash", "70.00")], CATALOGUE)
    assert sale.total == Decimal("70.00")


def test_split_payments_must_add_up_to_the_total() -> None:
    price_sale(SHOP, [line(POMPE, 1)], [pay("cheque", "300.00"), pay("card", "229.00")], CATALOGUE)
    with pytest.raises(ValidationFailed) as refused:
        price_sale(SHOP, [line(POMPE, 1)], [pay("cheque", "300.00")], CATALOGUE)
    assert list(refused.value.errors) == ["payments"]


def test_unknown_articles_are_named_by_position() -> None:
    with pytest.raises(ValidationFailed) as refused:
        price_sale(SHOP, [line(CHLORE, 1), {"article_id": uuid.uuid4(), "quantity": 1}], [pay("card", "1")], CATALOGUE)
    assert list(refused.value.errors) == ["lines[1].article_id"]


# --- discounts, VAT per rate, change, the customer's account -----------------------------------

CUSTOMER = uuid.uuid4()
ANTICALCAIRE = CatalogueEntry(uuid.uuid4(), "ANTI-CALC", "Anticalcaire 1 L", Decimal("12.50"), Decimal("5.50"))
FULL = {**CATALOGUE, ANTICALCAIRE.article_id: ANTICALCAIRE}


def discounted(entry: CatalogueEntry, quantity: int, percent: str) -> dict:
    return {**line(entry, quantity), "discount_percent": Decimal(percent)}


def test_a_line_discount_and_a_cart_discount_share_out_to_the_cent() -> None:
    cart = price_cart(
        [discounted(CHLORE, 3, "5.00"), line(POMPE, 1), line(ANTICALCAIRE, 1)], FULL, discount_amount=Decimal("10.00")
    )
    # 119.70 - 5.99 = 113.71; subtotal 113.71 + 529.00 + 12.50 = 655.21; 10.00 shared pro rata
    assert cart.subtotal == Decimal("655.21")
    assert [sold.discount for sold in cart.lines] == [Decimal("7.73"), Decimal("8.07"), Decimal("0.19")]
    assert cart.total == Decimal("645.21") == sum(sold.total for sold in cart.lines)
    assert [(v.rate, v.total, v.vat) for v in cart.vat_lines] == [
        (Decimal("5.50"), Decimal("12.31"), Decimal("0.64")),
        (Decimal("20.00"), Decimal("632.90"), Decimal("105.48")),
    ]
    assert cart.vat_total == Decimal("106.12")


def test_a_cart_discount_is_a_percentage_or_an_amount_not_both() -> None:
    assert price_cart([line(POMPE, 1)], FULL, discount_percent=Decimal("5")).total == Decimal("502.55")
    with pytest.raises(ValidationFailed) as refused:
        price_cart([line(POMPE, 1)], FULL, discount_percent=Decimal("5"), discount_amount=Decimal("1"))
    assert list(refused.value.errors) == ["discount_amount"]
    with pytest.raises(ValidationFailed) as refused:
        price_cart([line(CHLORE, 1)], FULL, discount_amount=Decimal("40.00"))
    assert list(refused.value.errors) == ["discount_amount"]


@pytest.mark.parametrize(
    ("requested", "cart_percent", "allowed"),
    [
        ([discounted(POMPE, 1, "10.00")], None, True),  # at the limit
        ([discounted(POMPE, 1, "10.01")], None, False),
        ([line(CHLORE, 1, Decimal("35.00"))], None, False),  # a price 12 % below the catalogue's
        ([line(CHLORE, 1, Decimal("36.00"))], None, True),
        ([line(POMPE, 1)], Decimal("10.50"), False),  # the cart's discount
        ([discounted(POMPE, 1, "5.00")], Decimal("5.00"), True),  # 9.75 % in all
    ],
)
def test_discounts_beyond_the_limit_need_the_right(
    requested: list, cart_percent: Decimal | None, allowed: bool
) -> None:
    limit = Decimal("10.00")
    if allowed:
        price_cart(requested, FULL, discount_percent=cart_percent, discount_limit=limit)
    else:
        with pytest.raises(Forbidden):
            price_cart(requested, FULL, discount_percent=cart_percent, discount_limit=limit)
    price_cart(requested, FULL, discount_percent=cart_percent, discount_limit=None)  # with the right: any


def test_cash_beyond_the_total_is_change_other_methods_may_not_exceed_it() -> None:
    sale = price_sale(SHOP, [line(CHLORE, 1)], [pay("card", "20.00"), pay("cash", "50.00")], CATALOGUE)
    assert sale.settlement.change == Decimal("30.10")
    assert sale.settlement.net_by_method() == {"card": Decimal("20.00"), "cash": Decimal("19.90")}
    with pytest.raises(ValidationFailed) as refused:
        price_sale(SHOP, [line(CHLORE, 1)], [pay("card", "45.00"), pay("cash", "5.00")], CATALOGUE)
    assert "only cash may exceed the total" in refused.value.errors["payments"][0]


def test_the_customer_account_needs_a_customer_and_the_right() -> None:
    on_account = [pay("account", "39.90")]
    with pytest.raises(ValidationFailed) as refused:
        price_sale(SHOP, [line(CHLORE, 1)], on_account, CATALOGUE)
    assert list(refused.value.errors) == ["payments[0].method"]
    with pytest.raises(Forbidden):
        price_sale(SHOP, [line(CHLORE, 1)], on_account, CATALOGUE, customer_id=CUSTOMER, may_sell_on_account=False)
    sale = price_sale(SHOP, [line(CHLORE, 1)], on_account, CATALOGUE, customer_id=CUSTOMER)
    assert sale.settlement.net_by_method() == {"account": Decimal("39.90")}


def test_equipment_registered_on_a_pool_needs_the_customer() -> None:
    pump = {**line(POMPE, 1), "serial_number": "PMP-2026-004512", "register_on_pool_id": uuid.uuid4()}
    with pytest.raises(ValidationFailed) as refused:
        price_sale(SHOP, [pump], [pay("card", "529.00")], CATALOGUE)
    assert list(refused.value.errors) == ["lines[0].register_on_pool_id"]
    sale = price_sale(SHOP, [pump], [pay("card", "529.00")], CATALOGUE, customer_id=CUSTOMER)
    assert sale.lines[0].serial_number == "PMP-2026-004512"


def test_share_out_gives_the_last_cents_to_the_largest_remainders() -> None:
    assert share_out(Decimal("0.10"), [Decimal("1.00")] * 3) == [Decimal("0.04"), Decimal("0.03"), Decimal("0.03")]
    assert share_out(Decimal("0.00"), [Decimal("5.00")]) == [Decimal("0.00")]
