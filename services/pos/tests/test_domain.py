"""Till rules without database nor broker: prices from the catalogue or set by the cashier,
the VAT they contain, split payments adding up to the total, unknown articles named by
their line."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bassin_common.errors import ValidationFailed
from pos.domain import CatalogueEntry, price_sale

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
