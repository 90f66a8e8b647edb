"""The till's journal and its day, as plain Python: tamper-evident tickets and the Z report.

French till rules (the "NF525" requirements of inalterability, security, keeping and
archiving) ask that a recorded ticket is never edited nor deleted — a mistake is reversed
by another ticket — and that any alteration can be detected. Each ticket of a shop (a
sale or a refund) takes the next number, without gaps, and carries the SHA-256 of its
content together with the previous ticket's hash. Changing any ticket breaks its own hash;
deleting one leaves a gap or breaks the next one's link; deleting the last ones leaves the
shop's counter (its last number and hash) pointing past the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from bassin_common.money import ZERO

GENESIS = "0" * 64  # the "previous hash" of a shop's first ticket
SALE, REFUND = "sale", "refund"


@dataclass(frozen=True)
class Ticket:
    """What a ticket's hash covers. ``lines`` and ``payments`` are tuples of plain values
    (ids, quantities, amounts), ``vat`` the (rate, total, VAT) of each rate."""

    kind: str
    number: int
    ticket_id: str
    location_id: str
    at: datetime
    total: Decimal
    vat_total: Decimal
    lines: tuple[tuple[object, ...], ...]
    payments: tuple[tuple[object, ...], ...]
    vat: tuple[tuple[object, ...], ...]
    previous_hash: str
    hash: str = ""  # as stored; empty while being computed
    reference: str = ""  # a refund's: the sale it reverses

    def digest(self) -> str:
        """The hash the ticket must carry: SHA-256 over its content and ``previous_hash``."""
        content = {
            "kind": self.kind,
            "number": self.number,
            "id": self.ticket_id,
            "location_id": self.location_id,
            "at": self.at.astimezone(UTC).isoformat(),
            "total": str(self.total),
            "vat_total": str(self.vat_total),
            "lines": [[str(value) for value in line] for line in self.lines],
            "payments": [[str(value) for value in payment] for payment in self.payments],
            "vat": [[str(value) for value in rate] for rate in self.vat],
            "previous_hash": self.previous_hash,
            "reference": self.reference,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    number: int
    problem: str


def verify_chain(tickets: Iterable[Ticket], last_number: int, last_hash: str) -> list[Problem]:
    """Every break in a shop's journal: ``tickets`` (any order) against the shop's counter
    (the number and hash of its last ticket). An empty list: the journal is intact."""
    problems: list[Problem] = []
    expected_number, expected_previous = 1, GENESIS
    for ticket in sorted(tickets, key=lambda t: t.number):
        if ticket.number > expected_number:
            problems.append(_missing(expected_number, ticket.number - 1))
        elif ticket.previous_hash != expected_previous:
            link = f"not chained to ticket {ticket.number - 1} (it was altered or replaced)"
            problems.append(Problem(ticket.number, link))
        if ticket.digest() != ticket.hash:
            problems.append(Problem(ticket.number, f"ticket {ticket.number} was altered after it was recorded"))
        expected_number, expected_previous = ticket.number + 1, ticket.hash
    if expected_number - 1 < last_number:
        problems.append(_missing(expected_number, last_number))
    elif expected_number - 1 == last_number and expected_previous != last_hash:
        problems.append(Problem(last_number, f"ticket {last_number} is not the one the till recorded last"))
    return problems


def _missing(first: int, last: int) -> Problem:
    tickets = f"ticket {first}" if first == last else f"tickets {first} to {last}"
    return Problem(first, f"{tickets} missing (deleted?)")


# --- the Z report ------------------------------------------------------------------------


def _add(totals: dict, key: object, amount: Decimal) -> None:
    totals[key] = totals.get(key, ZERO) + amount


@dataclass
class ZReport:
    """A cash session's totals: per payment method (net of change, refunds out), per VAT
    rate (total, VAT), per category and per cashier; counted against expected per method."""

    sales_count: int = 0
    refunds_count: int = 0
    sales_total: Decimal = ZERO
    refunds_total: Decimal = ZERO
    by_method: dict[str, Decimal] = field(default_factory=dict)
    by_vat_rate: dict[Decimal, tuple[Decimal, Decimal]] = field(default_factory=dict)  # rate: (total, vat)
    by_category: dict[str, Decimal] = field(default_factory=dict)
    by_cashier: dict[str, Decimal] = field(default_factory=dict)

    @property
    def net_total(self) -> Decimal:
        return self.sales_total - self.refunds_total

    @property
    def vat_total(self) -> Decimal:
        return sum((vat for _total, vat in self.by_vat_rate.values()), ZERO)

    def add_ticket(
        self,
        sign: int,
        total: Decimal,
        cashier: str | None,
        methods: Iterable[tuple[str, Decimal]],
        vat: Iterable[tuple[Decimal, Decimal, Decimal]],
        categories: Iterable[tuple[str | None, Decimal]],
    ) -> None:
        """One ticket: ``sign`` 1 for a sale, -1 for a refund; its net amount per method,
        its (rate, total, VAT) per rate and its lines' (category, total)."""
        if sign > 0:
            self.sales_count, self.sales_total = self.sales_count + 1, self.sales_total + total
        else:
            self.refunds_count, self.refunds_total = self.refunds_count + 1, self.refunds_total + total
        _add(self.by_cashier, cashier or "—", sign * total)
        for method, amount in methods:
            _add(self.by_method, method, sign * amount)
        for rate, rate_total, rate_vat in vat:
            before_total, before_vat = self.by_vat_rate.get(rate, (ZERO, ZERO))
            self.by_vat_rate[rate] = (before_total + sign * rate_total, before_vat + sign * rate_vat)
        for category, line_total in categories:
            _add(self.by_category, category or "—", sign * line_total)


def expected_in_till(opening_float: Decimal, by_method: dict[str, Decimal]) -> dict[str, Decimal]:
    """What should be counted per method at closing: the float plus the cash taken, and
    each other method's takings (not the customer's account nor vouchers: nothing to count,
    the till recorded them)."""
    expected = {method: amount for method, amount in by_method.items() if method not in ("account", "voucher")}
    expected["cash"] = opening_float + by_method.get("cash", ZERO)
    return expected


def variances(expected: dict[str, Decimal], counted: dict[str, Decimal]) -> dict[str, Decimal]:
    """Counted minus expected, per method (a method counted but not expected, or the
    reverse, is a variance too)."""
    return {method: counted.get(method, ZERO) - expected.get(method, ZERO) for method in sorted({*expected, *counted})}
