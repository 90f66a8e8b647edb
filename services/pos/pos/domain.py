"""Till rules, as plain Python: pricing a cart (discounts, VAT per rate) and settling it
with split payments (change for cash, the customer's account).

Amounts are ``Decimal`` with two places (never floats). Prices are VAT-inclusive, as on
a shop shelf; the VAT a ticket contains is derived once per VAT rate, from the total of
that rate's lines, as the receipt prints it.

How a cart is priced, so that everything reconciles to the cent:

1. each line: ``gross = unit price * quantity`` (the catalogue's price unless the cashier
   set one), less its own discount (``gross * line %``, rounded);
2. the cart discount (a percentage of the subtotal, or an amount) is shared among the
   lines pro rata, the remaining cents going to the largest remainders, so that the lines'
   totals add up to the ticket's total exactly;
3. VAT per rate: the VAT contained in the total of the rate's lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from bassin_common.errors import Forbidden, ValidationFailed
from bassin_common.money import CENT, ZERO, money, vat_included_in
from bassin_common.schemas import MONEY_MAX

PAYMENT_METHODS = ("cash", "card", "cheque", "transfer", "voucher", "account")
CASH, ACCOUNT, VOUCHER = "cash", "account", "voucher"
# How far below the catalogue's price a cashier may sell without the right to give larger
# discounts (``refund_sales``): on a line, and on the whole cart.
DEFAULT_DISCOUNT_LIMIT = Decimal("10.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CatalogueEntry:
    article_id: uuid.UUID
    sku: str
    name: str
    sale_price: Decimal
    vat_rate: Decimal
    category: str | None = None


@dataclass(frozen=True)
class PricedLine:
    article_id: uuid.UUID
    description: str
    quantity: int
    unit_price: Decimal  # VAT included, before discounts
    vat_rate: Decimal
    catalogue_price: Decimal | None = None  # the catalogue's unit price when sold (the discount's reference)
    discount_percent: Decimal = ZERO  # the line's own discount
    discount: Decimal = ZERO  # the line's own discount plus its share of the cart's, in euros
    category: str | None = None
    serial_number: str | None = None
    register_on_pool_id: uuid.UUID | None = None

    @property
    def gross(self) -> Decimal:
        return money(self.unit_price * self.quantity)

    @property
    def total(self) -> Decimal:
        """What the customer pays for the line, VAT included, after every discount."""
        return self.gross - self.discount


@dataclass(frozen=True)
class VatLine:
    """One VAT rate of a ticket: its lines' total (VAT included), the VAT in it, the rest."""

    rate: Decimal
    total: Decimal
    vat: Decimal

    @property
    def base(self) -> Decimal:
        return self.total - self.vat


@dataclass(frozen=True)
class Payment:
    method: str
    amount: Decimal
    reference: str | None = None  # a cheque's number, a voucher's code, a transfer's reference


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[PricedLine, ...]
    cart_discount: Decimal  # the cart discount, in euros, shared among the lines

    @property
    def subtotal(self) -> Decimal:
        """The lines after their own discounts, before the cart's."""
        return self.total + self.cart_discount

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def vat_lines(self) -> tuple[VatLine, ...]:
        by_rate: dict[Decimal, Decimal] = {}
        for line in self.lines:
            by_rate[line.vat_rate] = by_rate.get(line.vat_rate, ZERO) + line.total
        return tuple(VatLine(rate, total, vat_included_in(total, rate)) for rate, total in sorted(by_rate.items()))

    @property
    def vat_total(self) -> Decimal:
        return sum((vat.vat for vat in self.vat_lines), ZERO)


@dataclass(frozen=True)
class Settlement:
    """How a cart is paid: the payments as tendered, the change given back in cash."""

    payments: tuple[Payment, ...]
    change: Decimal

    @property
    def tendered(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    def net_by_method(self) -> dict[str, Decimal]:
        """What each method brought in, the change taken from the cash."""
        net: dict[str, Decimal] = {}
        for payment in self.payments:
            net[payment.method] = net.get(payment.method, ZERO) + payment.amount
        if self.change:
            net[CASH] -= self.change
        return net


@dataclass(frozen=True)
class PricedSale:
    location_id: uuid.UUID
    cart: PricedCart
    settlement: Settlement
    customer_id: uuid.UUID | None = None

    @property
    def lines(self) -> tuple[PricedLine, ...]:
        return self.cart.lines

    @property
    def payments(self) -> tuple[Payment, ...]:
        return self.settlement.payments

    @property
    def total(self) -> Decimal:
        return self.cart.total

    @property
    def vat_total(self) -> Decimal:
        return self.cart.vat_total


def price_cart(
    requested_lines: list[dict],
    catalogue: dict[uuid.UUID, CatalogueEntry],
    discount_percent: Decimal | None = None,
    discount_amount: Decimal | None = None,
    discount_limit: Decimal | None = None,
) -> PricedCart:
    """Price each line from the catalogue (or the cashier's price), apply the line and cart
    discounts; ``discount_limit`` (a percentage, ``None``: no limit) bounds how far below
    the catalogue a line or the cart may go. Raises ``ValidationFailed`` naming every field
    at fault, ``Forbidden`` for a discount beyond the limit."""
    errors: dict[str, list[str]] = {}
    lines: list[PricedLine] = []
    for index, requested in enumerate(requested_lines):
        entry = catalogue.get(requested["article_id"])
        if entry is None:
            errors[f"lines[{index}].article_id"] = ["unknown article"]
            continue
        unit_price = requested.get("unit_price")
        unit_price = money(entry.sale_price if unit_price is None else unit_price)
        percent = requested.get("discount_percent") or ZERO
        gross = money(unit_price * requested["quantity"])
        lines.append(
            PricedLine(
                article_id=entry.article_id,
                description=entry.name,
                quantity=requested["quantity"],
                unit_price=unit_price,
                vat_rate=entry.vat_rate,
                catalogue_price=money(entry.sale_price),
                discount_percent=money(percent),
                discount=money(gross * percent / HUNDRED),
                category=entry.category,
                serial_number=requested.get("serial_number"),
                register_on_pool_id=requested.get("register_on_pool_id"),
            )
        )
    if errors:
        raise ValidationFailed.of(errors)
    if any(line.gross > MONEY_MAX for line in lines) or sum(line.gross for line in lines) > MONEY_MAX:
        raise ValidationFailed.field("lines", f"the sale may not exceed {MONEY_MAX}")
    subtotal = sum((line.total for line in lines), ZERO)
    if discount_percent is not None and discount_amount is not None:
        raise ValidationFailed.field("discount_amount", "give a cart discount as a percentage or an amount, not both")
    cart_discount = money(subtotal * discount_percent / HUNDRED) if discount_percent is not None else ZERO
    if discount_amount is not None:
        if discount_amount > subtotal:
            raise ValidationFailed.field("discount_amount", f"more than the cart's {subtotal}")
        cart_discount = money(discount_amount)
    shares = share_out(cart_discount, [line.total for line in lines])
    priced = PricedCart(
        tuple(_with_discount(line, line.discount + share) for line, share in zip(lines, shares, strict=True)),
        cart_discount,
    )
    if discount_limit is not None:
        _within_limit(priced, discount_limit)
    return priced


def _with_discount(line: PricedLine, discount: Decimal) -> PricedLine:
    return PricedLine(**{**line.__dict__, "discount": discount})


def _within_limit(cart: PricedCart, limit: Decimal) -> None:
    """Refuse a line (its price and own discount) or a cart sold further below the
    catalogue than ``limit`` percent (of the catalogue's price, rounded to the cent as
    discounts are)."""
    for index, line in enumerate(cart.lines):
        reference = money(line.catalogue_price * line.quantity) if line.catalogue_price is not None else ZERO
        own = line.gross - money(line.gross * line.discount_percent / HUNDRED)
        if reference - own > money(reference * limit / HUNDRED):
            raise Forbidden(f"lines[{index}]: a discount beyond {limit} % needs the right to give larger discounts")
    reference = sum((money((line.catalogue_price or ZERO) * line.quantity) for line in cart.lines), ZERO)
    if reference - cart.total > money(reference * limit / HUNDRED):
        raise Forbidden(f"a cart discount beyond {limit} % needs the right to give larger discounts")


def share_out(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split in cents pro rata to ``weights`` (largest remainders get the last
    cents, the first line on a tie): the shares add up to ``amount`` exactly and none
    exceeds its weight when ``amount`` does not exceed their sum."""
    whole = sum(weights, ZERO)
    if not amount or not whole:
        return [ZERO for _ in weights]
    exact = [amount * weight / whole for weight in weights]
    shares = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    left = int((amount - sum(shares, ZERO)) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:left]:
        shares[index] += CENT
    return shares


def settle(total: Decimal, requested_payments: Iterable[dict], customer_id: uuid.UUID | None) -> Settlement:
    """Check that the payments pay ``total`` in full: only cash may exceed it (the change);
    the customer's account needs a customer. ``ValidationFailed`` names the field at fault."""
    payments = tuple(Payment(p["method"], money(p["amount"]), p.get("reference")) for p in requested_payments)
    for index, payment in enumerate(payments):
        if payment.method == ACCOUNT and customer_id is None:
            raise ValidationFailed.field(f"payments[{index}].method", "a sale on account needs a customer")
    tendered = sum((p.amount for p in payments), ZERO)
    if tendered < total:
        raise ValidationFailed.field(
            "payments", f"payments add up to {tendered} but the sale totals {total}: {total - tendered} still due"
        )
    change = tendered - total
    cash = sum((p.amount for p in payments if p.method == CASH), ZERO)
    if change > cash:
        raise ValidationFailed.field(
            "payments", f"payments add up to {tendered} for a total of {total}: only cash may exceed the total"
        )
    return Settlement(payments, change)


def price_sale(
    location_id: uuid.UUID,
    requested_lines: list[dict],
    requested_payments: list[dict],
    catalogue: dict[uuid.UUID, CatalogueEntry],
    *,
    customer_id: uuid.UUID | None = None,
    discount_percent: Decimal | None = None,
    discount_amount: Decimal | None = None,
    discount_limit: Decimal | None = None,
    may_sell_on_account: bool = True,
) -> PricedSale:
    """A cart priced and paid in full (``price_cart``, ``settle``); putting it on the
    customer's account needs ``may_sell_on_account`` (else ``Forbidden``)."""
    if not may_sell_on_account and any(p["method"] == ACCOUNT for p in requested_payments):
        raise Forbidden("not allowed to put a sale on a customer's account")
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(requested_lines):
        if line.get("register_on_pool_id") is not None and customer_id is None:
            errors[f"lines[{index}].register_on_pool_id"] = ["equipment goes on a customer's pool: attach the customer"]
    if errors:
        raise ValidationFailed.of(errors)
    cart = price_cart(requested_lines, catalogue, discount_percent, discount_amount, discount_limit)
    return PricedSale(location_id, cart, settle(cart.total, requested_payments, customer_id), customer_id)
