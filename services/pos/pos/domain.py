"""Till rules, as plain Python: pricing a sale and checking that it is paid.

Amounts are ``Decimal`` with two places (never floats). Prices are VAT-inclusive,
as on a shop shelf; the VAT contained is derived per line for the receipt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from bassin_common.errors import ValidationFailed
from bassin_common.money import money, vat_included_in
from bassin_common.schemas import MONEY_MAX

PAYMENT_METHODS = ("cash", "card", "cheque", "transfer", "voucher")


@dataclass(frozen=True)
class CatalogueEntry:
    article_id: uuid.UUID
    sku: str
    name: str
    sale_price: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class PricedLine:
    article_id: uuid.UUID
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal

    @property
    def total(self) -> Decimal:
        return money(self.unit_price * self.quantity)

    @property
    def vat_amount(self) -> Decimal:
        return vat_included_in(self.total, self.vat_rate)


@dataclass(frozen=True)
class Payment:
    method: str
    amount: Decimal


@dataclass(frozen=True)
class PricedSale:
    location_id: uuid.UUID
    lines: tuple[PricedLine, ...]
    payments: tuple[Payment, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def vat_total(self) -> Decimal:
        return sum((line.vat_amount for line in self.lines), Decimal("0.00"))


def price_sale(
    location_id: uuid.UUID,
    requested_lines: list[dict],
    requested_payments: list[dict],
    catalogue: dict[uuid.UUID, CatalogueEntry],
) -> PricedSale:
    """Price each line from the catalogue (or the cashier's price) and check payments.

    Raises ``ValidationFailed`` naming every field at fault.
    """
    errors: dict[str, list[str]] = {}
    lines = []
    for index, requested in enumerate(requested_lines):
        entry = catalogue.get(requested["article_id"])
        if entry is None:
            errors[f"lines[{index}].article_id"] = ["unknown article"]
            continue
        unit_price = requested.get("unit_price")
        lines.append(
            PricedLine(
                article_id=entry.article_id,
                description=entry.name,
                quantity=requested["quantity"],
                unit_price=money(entry.sale_price if unit_price is None else unit_price),
                vat_rate=entry.vat_rate,
            )
        )
    payments = tuple(Payment(p["method"], money(p["amount"])) for p in requested_payments)
    if not errors:
        sale = PricedSale(location_id, tuple(lines), payments)
        if any(line.total > MONEY_MAX for line in lines) or sale.total > MONEY_MAX:
            errors["lines"] = [f"the sale may not exceed {MONEY_MAX}"]
        paid = sum((p.amount for p in payments), Decimal("0.00"))
        if paid != sale.total:
            errors["payments"] = [f"payments add up to {paid} but the sale totals {sale.total}"]
    if errors:
        raise ValidationFailed.of(errors)
    return sale
