"""Billing rules, as plain Python: an invoice's totals and VAT per rate (amounts without
VAT, as invoices state them), a deposit of a construction project (a payment request),
numbers of a series, due dates.

VAT on an invoice is computed per rate on the sum of that rate's lines (one rounding per
rate, as the invoice prints it), so the totals always reconcile: total excl. VAT + VAT =
total incl. VAT, each the sum of its rates'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bassin_common.errors import ValidationFailed
from bassin_common.money import ZERO, money, vat_on

INVOICE, DEPOSIT, CREDIT_NOTE = "invoice", "deposit", "credit_note"
DRAFT, CHECKED, ISSUED, SENT, PARTIALLY_PAID, PAID = "draft", "checked", "issued", "sent", "partially_paid", "paid"
SERIES_PREFIX = {INVOICE: "FA", DEPOSIT: "FA", CREDIT_NOTE: "AV"}  # deposits are invoices: one series
STANDARD_RATES = (Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10"), Decimal("0.00"))


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price_excl_vat: Decimal  # may be negative: a deposit deducted
    vat_rate: Decimal
    article_id: object = None

    @property
    def total_excl_vat(self) -> Decimal:
        return money(self.quantity * self.unit_price_excl_vat)


@dataclass(frozen=True)
class Totals:
    vat_lines: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, base, VAT)

    @property
    def total_excl_vat(self) -> Decimal:
        return sum((base for _rate, base, _vat in self.vat_lines), ZERO)

    @property
    def vat_total(self) -> Decimal:
        return sum((vat for _rate, _base, vat in self.vat_lines), ZERO)

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + self.vat_total


def totals(lines: list[Line]) -> Totals:
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, ZERO) + line.total_excl_vat
    return Totals(tuple((rate, base, vat_on(base, rate)) for rate, base in sorted(by_rate.items())))


def deposit(project_total_excl_vat: Decimal, project_total_incl_vat: Decimal, percent: Decimal) -> Totals:
    """A payment request of ``percent`` of a project: its amount without VAT and with VAT are
    that share of the project's (so the deposits of a 100 % schedule add up to the order,
    give or take the cents of rounding), at the project's VAT rate."""
    if not ZERO < percent <= 100:
        raise ValidationFailed.field("milestone_percent", "a milestone is more than 0 % and at most 100 %")
    base = money(project_total_excl_vat * percent / 100)
    with_vat = money(project_total_incl_vat * percent / 100)
    return Totals(((project_rate(project_total_excl_vat, project_total_incl_vat), base, with_vat - base),))


def project_rate(total_excl_vat: Decimal, total_incl_vat: Decimal) -> Decimal:
    """The VAT rate of a project from its totals: the standard rate they match, else the
    effective rate (a project mixing rates)."""
    if not total_excl_vat:
        return ZERO
    effective = (total_incl_vat - total_excl_vat) * 100 / total_excl_vat
    nearest = min(STANDARD_RATES, key=lambda rate: abs(rate - effective))
    matches = abs(vat_on(total_excl_vat, nearest) - (total_incl_vat - total_excl_vat)) <= Decimal("0.01")
    return nearest if matches else money(effective)


def series_of(kind: str, issued_on: date) -> str:
    return f"{SERIES_PREFIX[kind]}{issued_on.year}"


def number_in(series: str, number: int) -> str:
    """``FA2026-00042``: the series (its prefix and year) and the number, gapless within it."""
    return f"{series}-{number:05d}"


def due_date(issued_on: date, payment_terms_days: int) -> date:
    return issued_on + timedelta(days=payment_terms_days)


def status_after_payment(total: Decimal, paid: Decimal, credited: Decimal, current: str) -> str:
    if paid + credited >= total:
        return PAID
    if paid > 0:
        return PARTIALLY_PAID
    return current
