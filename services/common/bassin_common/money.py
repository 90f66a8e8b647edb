"""Money, the same way in every service: euros as ``Decimal`` with two places, rounded half
up (as French invoices and receipts do), never floats; VAT rates are data (percentages)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """``value`` rounded to the cent, half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_included_in(amount_with_vat: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a VAT-inclusive amount (a shop's shelf price)."""
    return money(amount_with_vat * rate / (100 + rate))


def vat_on(amount_without_vat: Decimal, rate: Decimal) -> Decimal:
    """The VAT owed on an amount without VAT (a quote's or an invoice's line)."""
    return money(amount_without_vat * rate / 100)
