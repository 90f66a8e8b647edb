"""Property-based tests of the till's arithmetic (hypothesis): for any cart — any prices,
quantities, VAT rates, line and cart discounts — and any split of its payments, the lines
add up to the total, the VAT per rate adds up to the VAT total, bases plus VAT give the
total, the payments less the change pay it exactly, all to the cent; and a Z report of any
set of tickets equals the sum of those tickets, per method, per VAT rate, per category and
per cashier."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bassin_common.money import ZERO
from pos.domain import PAYMENT_METHODS, CatalogueEntry, PricedSale, price_cart, price_sale
from pos.journal import ZReport

SHOP, CUSTOMER = uuid.uuid4(), uuid.uuid4()
RATES = [Decimal("0.00"), Decimal("2.10"), Decimal("5.50"), Decimal("10.00"), Decimal("20.00")]
CATEGORIES = [None, "Traitement de l'eau", "Filtration", "Robots"]


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) / 100)


entries = st.builds(
    lambda price, rate, category: CatalogueEntry(uuid.uuid4(), "REF", "Article", price, rate, category),
    cents(0, 250_000),
    st.sampled_from(RATES),
    st.sampled_from(CATEGORIES),
)


@st.composite
def carts(draw: st.DrawFn) -> tuple[dict, list[dict], dict]:
    """A catalogue, the lines asked for and the cart discount (an amount up to the subtotal)."""
    catalogue = {entry.article_id: entry for entry in draw(st.lists(entries, min_size=1, max_size=6))}
    ids = list(catalogue)
    lines = [
        {
            "article_id": draw(st.sampled_from(ids)),
            "quantity": draw(st.integers(1, 50)),
            "unit_price": draw(st.none() | cents(0, 250_000)),
            "discount_percent": draw(st.none() | cents(0, 10_000)),
        }
        for _ in range(draw(st.integers(1, 8)))
    ]
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    discount = {}
    if kind == "percent":
        discount["discount_percent"] = draw(cents(0, 10_000))
    elif kind == "amount":
        subtotal = price_cart(lines, catalogue).subtotal
        discount["discount_amount"] = draw(cents(0, int(subtotal * 100)))
    return catalogue, lines, discount


@st.composite
def split(draw: st.DrawFn, total: Decimal) -> list[dict]:
    """``total`` paid in 1 to 5 parts by any methods, maybe with extra cash (change)."""
    parts = draw(st.integers(1, 5))
    cuts = sorted(draw(st.lists(st.integers(0, int(total * 100)), min_size=parts - 1, max_size=parts - 1)))
    amounts = [Decimal(b - a) / 100 for a, b in zip([0, *cuts], [*cuts, int(total * 100)], strict=True)]
    payments = [
        {"method": draw(st.sampled_from(PAYMENT_METHODS)), "amount": amount} for amount in amounts if amount > 0
    ]
    extra_cash = draw(cents(0, 10_000))
    if extra_cash:
        payments.append({"method": "cash", "amount": extra_cash})
    return payments


@st.composite
def sales(draw: st.DrawFn) -> PricedSale:
    catalogue, lines, discount = draw(carts())
    payments = draw(split(price_cart(lines, catalogue, **discount).total))
    return price_sale(SHOP, lines, payments, catalogue, customer_id=CUSTOMER, **discount)


def two_places(amount: Decimal) -> bool:
    return amount == amount.quantize(Decimal("0.01"))


@settings(max_examples=300, deadline=None)
@given(sales())
def test_totals_vat_and_payments_reconcile_to_the_cent(sale: PricedSale) -> None:
    cart, settlement = sale.cart, sale.settlement
    assert cart.total == sum((line.total for line in cart.lines), ZERO)
    assert cart.total == cart.subtotal - cart.cart_discount
    assert cart.discount_total == sum((line.gross for line in cart.lines), ZERO) - cart.total
    assert all(ZERO <= line.discount <= line.gross for line in cart.lines)
    assert cart.vat_total == sum((vat.vat for vat in cart.vat_lines), ZERO)
    assert sum((vat.base + vat.vat for vat in cart.vat_lines), ZERO) == cart.total
    for vat in cart.vat_lines:
        assert vat.total == sum((line.total for line in cart.lines if line.vat_rate == vat.rate), ZERO)
    assert settlement.tendered - settlement.change == cart.total
    assert sum(settlement.net_by_method().values(), ZERO) == cart.total
    cash = sum((p.amount for p in settlement.payments if p.method == "cash"), ZERO)
    assert ZERO <= settlement.change <= cash
    amounts = [cart.total, cart.vat_total, settlement.change, *(line.total for line in cart.lines)]
    assert all(two_places(amount) for amount in amounts)


def z_report_of(tickets: list[tuple[int, PricedSale, str]]) -> ZReport:
    report = ZReport()
    for sign, sale, cashier in tickets:
        report.add_ticket(
            sign,
            sale.total,
            cashier,
            sale.settlement.net_by_method().items(),
            [(vat.rate, vat.total, vat.vat) for vat in sale.cart.vat_lines],
            [(line.category, line.total) for line in sale.lines],
        )
    return report


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 1, -1]), sales(), st.sampled_from(["julie", "marc"])), max_size=12))
def test_a_z_report_equals_the_sum_of_its_tickets(tickets: list[tuple[int, PricedSale, str]]) -> None:
    report = z_report_of(tickets)
    net = sum((sign * sale.total for sign, sale, _ in tickets), ZERO)
    assert report.net_total == net
    assert report.sales_count + report.refunds_count == len(tickets)
    assert sum(report.by_method.values(), ZERO) == net
    assert sum(report.by_category.values(), ZERO) == net
    assert sum(report.by_cashier.values(), ZERO) == net
    assert sum((total for total, _vat in report.by_vat_rate.values()), ZERO) == net
    assert report.vat_total == sum((sign * sale.vat_total for sign, sale, _ in tickets), ZERO)
    for method in PAYMENT_METHODS:
        expected = sum((sign * sale.settlement.net_by_method().get(method, ZERO) for sign, sale, _ in tickets), ZERO)
        assert report.by_method.get(method, ZERO) == expected
