"""pos use cases, each given the unit of work it runs in (which commits when they return)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import lazyload

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.money import ZERO
from bassin_common.pagination import Page, read_page
from bassin_common.permissions import REFUND_SALES, SELL_ON_ACCOUNT, Permission
from bassin_common.uow import UnitOfWork
from pos import domain, events
from pos.domain import (
    CASH,
    DEFAULT_DISCOUNT_LIMIT,
    CatalogueEntry,
    Payment,
    PricedLine,
    PricedSale,
    VatLine,
    price_sale,
)
from pos.journal import SALE, Ticket
from pos.models import (
    CashSession,
    CatalogueArticle,
    CustomerCopy,
    Sale,
    SaleLine,
    SalePayment,
    SaleVat,
    Shop,
)


def record_sale(uow: UnitOfWork, data: dict[str, Any], allowed: list[str] | None = None) -> RecordedSale:
    """Price, store and announce a sale paid in full, as the next ticket of its shop's
    journal (numbered, hash-chained, in the shop's open cash session). The sale keeps the
    id of the request that recorded it (the till's ``Idempotency-Key``), for tracing; the
    service's RPC records a request once however often it arrives.

    ``allowed``: the rights beyond recording sales the caller's company grants it (the
    gateway reads them in the company's permission table); by default, its roles' defaults."""
    location_id = _till_location(uow, data["location_id"])
    customer_id = _known_customer(uow, data.get("customer_id"))
    priced = price_sale(
        location_id,
        data["lines"],
        data["payments"],
        _catalogue(uow, {line["article_id"] for line in data["lines"]}),
        customer_id=customer_id,
        discount_percent=data.get("discount_percent"),
        discount_amount=data.get("discount_amount"),
        discount_limit=None if _may(uow, REFUND_SALES, allowed) else DEFAULT_DISCOUNT_LIMIT,
        may_sell_on_account=_may(uow, SELL_ON_ACCOUNT, allowed),
    )
    sale = _store(uow, priced)
    uow.emit(events.SALE_COMPLETED, sale)
    return sale


def price_cart(uow: UnitOfWork, data: dict[str, Any], allowed: list[str] | None = None) -> dict[str, Any]:
    """What the till shows while the cart fills: its lines priced, the discounts, the VAT
    per rate, what is still due and the change, from the payments so far. Writes nothing."""
    priced = domain.price_cart(
        data["lines"],
        _catalogue(uow, {line["article_id"] for line in data["lines"]}),
        data.get("discount_percent"),
        data.get("discount_amount"),
        None if _may(uow, REFUND_SALES, allowed) else DEFAULT_DISCOUNT_LIMIT,
    )
    tendered = sum((p["amount"] for p in data["payments"]), ZERO)
    cash = sum((p["amount"] for p in data["payments"] if p["method"] == CASH), ZERO)
    change = max(ZERO, min(tendered - priced.total, cash))
    return {
        "lines": priced.lines,
        "subtotal": priced.subtotal,
        "cart_discount": priced.cart_discount,
        "discount_total": priced.discount_total,
        "total": priced.total,
        "vat_total": priced.vat_total,
        "vat_lines": priced.vat_lines,
        "tendered": tendered,
        "due": max(ZERO, priced.total - tendered),
        "change": change,
        "paid_in_full": tendered >= priced.total and tendered - priced.total <= cash,
    }


def _may(uow: UnitOfWork, permission: Permission, allowed: list[str] | None) -> bool:
    """Whether the caller holds ``permission``: as its company grants it (``allowed``, from
    the gateway) or by its roles' defaults, and never beyond the platform's limit."""
    roles = uow.context.roles
    granted = permission.allows(roles) if allowed is None else permission.name in allowed
    return granted and permission.within_limit(roles)


def _catalogue(uow: UnitOfWork, article_ids: set[uuid.UUID]) -> dict[uuid.UUID, CatalogueEntry]:
    rows = uow.session.scalars(select(CatalogueArticle).where(CatalogueArticle.article_id.in_(article_ids)))
    return {
        row.article_id: CatalogueEntry(row.article_id, row.sku, row.name, row.sale_price, row.vat_rate, row.category)
        for row in rows
    }


def _known_customer(uow: UnitOfWork, customer_id: uuid.UUID | None) -> uuid.UUID | None:
    if customer_id is None:
        return None
    if uow.session.scalar(select(CustomerCopy.customer_id).where(CustomerCopy.customer_id == customer_id)) is None:
        raise ValidationFailed.field("customer_id", "unknown customer")
    return customer_id


def _till_location(uow: UnitOfWork, requested: uuid.UUID | None) -> uuid.UUID:
    shops = list(uow.session.scalars(select(Shop.location_id)))
    if requested is not None:
        if requested not in shops:
            raise ValidationFailed.field("location_id", "unknown shop")
        return requested
    if len(shops) == 1:
        return shops[0]
    raise ValidationFailed.field(
        "location_id", "no shop is set up yet" if not shops else "several shops: say which one"
    )


@dataclass(frozen=True)
class RecordedSale:
    """A sale as stored, what the till is answered and ``sale_completed`` carries."""

    id: uuid.UUID
    number: int
    hash: str
    location_id: uuid.UUID
    cash_session_id: uuid.UUID
    customer_id: uuid.UUID | None
    total: Decimal
    vat_total: Decimal
    cart_discount: Decimal
    discount_total: Decimal
    change_given: Decimal
    cashier_id: str | None
    completed_at: datetime
    lines: tuple[PricedLine, ...]
    payments: tuple[Payment, ...]
    vat_lines: tuple[VatLine, ...]


@dataclass(frozen=True)
class JournalEntry:
    """The next ticket's place in its shop's journal, the shop's row locked until commit."""

    number: int
    previous_hash: str
    at: datetime
    cash_session_id: uuid.UUID


def _next_ticket(uow: UnitOfWork, location_id: uuid.UUID) -> JournalEntry:
    """Take the shop's next ticket number (its row locked: tickets of a shop are written one
    after another, so numbers have no gaps and each chains to the one before), in the
    shop's open cash session — opened with no float when the till has none open."""
    shops = Shop.__table__
    number, previous_hash, at = uow.session.execute(
        update(shops)
        .where(shops.c.tenant_id == uow.tenant_id, shops.c.location_id == location_id)
        .values(last_ticket_number=shops.c.last_ticket_number + 1)
        .returning(shops.c.last_ticket_number, shops.c.last_ticket_hash, func.now())
    ).one()
    session_id = uow.session.scalar(
        select(CashSession.id).where(CashSession.location_id == location_id, CashSession.closed_at.is_(None))
    )
    if session_id is None:
        session_id = _open_session(uow, location_id, ZERO).id
    return JournalEntry(number, previous_hash, at, session_id)


def _chain(uow: UnitOfWork, location_id: uuid.UUID, ticket: Ticket) -> str:
    """The ticket's hash, recorded as the shop's last."""
    digest = ticket.digest()
    shops = Shop.__table__
    uow.session.execute(
        update(shops)
        .where(shops.c.tenant_id == uow.tenant_id, shops.c.location_id == location_id)
        .values(last_ticket_hash=digest)
    )
    return digest


def sale_ticket(
    sale_id: uuid.UUID,
    number: int,
    location_id: uuid.UUID,
    at: datetime,
    total: Decimal,
    vat_total: Decimal,
    lines: Any,
    payments: Any,
    vat_lines: Any,
    previous_hash: str,
    hash: str = "",
) -> Ticket:
    """What a sale's hash covers (from the priced sale when recording it, from its rows
    when verifying)."""
    return Ticket(
        SALE,
        number,
        str(sale_id),
        str(location_id),
        at,
        total,
        vat_total,
        tuple(
            (position, line.article_id, line.quantity, line.unit_price, line.discount, line.total, line.vat_rate)
            for position, line in enumerate(lines, start=1)
        ),
        tuple((p.method, p.amount, p.reference or "") for p in payments),
        tuple((vat.rate, vat.total, vat.vat) for vat in vat_lines),
        previous_hash,
        hash,
    )


def _store(uow: UnitOfWork, priced: PricedSale) -> RecordedSale:
    """The sale as the next ticket of its shop, in plain Core INSERTs (the till's hot path:
    not the ORM's unit of work, a fifth of pos's CPU per sale, profiled). The tenant is
    named, as Core needs."""
    sale_id, tenant = uuid.uuid4(), uow.context.tenant_id
    entry = _next_ticket(uow, priced.location_id)
    cart, settlement = priced.cart, priced.settlement
    vat_lines = cart.vat_lines
    ticket = sale_ticket(
        sale_id,
        entry.number,
        priced.location_id,
        entry.at,
        cart.total,
        cart.vat_total,
        cart.lines,
        settlement.payments,
        vat_lines,
        entry.previous_hash,
    )
    digest = _chain(uow, priced.location_id, ticket)
    uow.session.execute(
        insert(Sale.__table__).values(
            id=sale_id,
            tenant_id=tenant,
            request_id=uow.context.request_id,
            location_id=priced.location_id,
            total=cart.total,
            vat_total=cart.vat_total,
            cashier_id=uow.context.user_id,
            completed_at=entry.at,
            number=entry.number,
            previous_hash=entry.previous_hash,
            hash=digest,
            cash_session_id=entry.cash_session_id,
            customer_id=priced.customer_id,
            cart_discount=cart.cart_discount,
            discount_total=cart.discount_total,
            change_given=settlement.change,
        )
    )
    uow.session.execute(
        insert(SaleLine.__table__),
        [
            {
                "tenant_id": tenant,
                "sale_id": sale_id,
                "position": position,
                "article_id": line.article_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "vat_rate": line.vat_rate,
                "total": line.total,
                "catalogue_price": line.catalogue_price,
                "discount_percent": line.discount_percent,
                "discount": line.discount,
                "category": line.category,
                "serial_number": line.serial_number,
                "register_on_pool_id": line.register_on_pool_id,
            }
            for position, line in enumerate(cart.lines, start=1)
        ],
    )
    if settlement.payments:
        uow.session.execute(
            insert(SalePayment.__table__),
            [
                {
                    "tenant_id": tenant,
                    "sale_id": sale_id,
                    "position": position,
                    "method": p.method,
                    "amount": p.amount,
                    "reference": p.reference,
                }
                for position, p in enumerate(settlement.payments, start=1)
            ],
        )
    uow.session.execute(
        insert(SaleVat.__table__),
        [
            {"tenant_id": tenant, "sale_id": sale_id, "rate": vat.rate, "total": vat.total, "vat": vat.vat}
            for vat in vat_lines
        ],
    )
    return RecordedSale(
        id=sale_id,
        number=entry.number,
        hash=digest,
        location_id=priced.location_id,
        cash_session_id=entry.cash_session_id,
        customer_id=priced.customer_id,
        total=cart.total,
        vat_total=cart.vat_total,
        cart_discount=cart.cart_discount,
        discount_total=cart.discount_total,
        change_given=settlement.change,
        cashier_id=uow.context.user_id,
        completed_at=entry.at,
        lines=cart.lines,
        payments=settlement.payments,
        vat_lines=vat_lines,
    )


def _open_session(uow: UnitOfWork, location_id: uuid.UUID, opening_float: Decimal) -> CashSession:
    """A new cash session of the shop, numbered after its last one (the shop's row is
    locked by the caller's UPDATE of it)."""
    shops = Shop.__table__
    number = uow.session.execute(
        update(shops)
        .where(shops.c.tenant_id == uow.tenant_id, shops.c.location_id == location_id)
        .values(last_session_number=shops.c.last_session_number + 1)
        .returning(shops.c.last_session_number)
    ).scalar_one()
    session = CashSession(
        location_id=location_id, number=number, opening_float=opening_float, opened_by=uow.context.user_id
    )
    uow.session.add(session)
    uow.session.flush()
    return session


def get_sale(uow: UnitOfWork, sale_id: uuid.UUID) -> Sale:
    sale = uow.session.scalar(select(Sale).where(Sale.id == sale_id))
    if sale is None:
        raise NotFound(f"sale {sale_id} not found")
    return sale


def list_sales(uow: UnitOfWork, query: dict[str, Any]) -> Page[Sale]:
    """The company's sales, newest first, those completed in ``[since, until)`` when given."""
    statement = select(Sale).options(lazyload(Sale.lines), lazyload(Sale.payments))  # a summary: not read
    if query["since"] is not None:
        statement = statement.where(Sale.completed_at >= query["since"])
    if query["until"] is not None:
        statement = statement.where(Sale.completed_at < query["until"])
    return read_page(uow.session, statement, (Sale.completed_at, Sale.id), query, descending=True)


def list_catalogue(uow: UnitOfWork, query: dict[str, Any]) -> Page[CatalogueArticle]:
    """The till's articles by name; with ``q``, those whose name contains it or whose
    reference is it (a barcode scanned)."""
    statement = select(CatalogueArticle)
    if query.get("q"):
        pattern = "%" + query["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(CatalogueArticle.name.ilike(pattern), func.upper(CatalogueArticle.sku) == query["q"].upper())
        )
    return read_page(uow.session, statement, (CatalogueArticle.name, CatalogueArticle.article_id), query)


def keep_article(uow: UnitOfWork, article: dict[str, Any]) -> CatalogueArticle:
    """The till's copy of a catalogue article, created or brought up to date."""
    return _keep(uow, CatalogueArticle, CatalogueArticle.article_id, article["article_id"], article)


def keep_customer(uow: UnitOfWork, customer: dict[str, Any]) -> CustomerCopy:
    """The till's copy of a customer file (to attach a sale to it, sell on its account)."""
    copy = {key: customer[key] for key in ("customer_id", "kind", "display_name", "email")}
    return _keep(uow, CustomerCopy, CustomerCopy.customer_id, customer["customer_id"], copy)


def keep_shop(uow: UnitOfWork, location: dict[str, Any]) -> Shop | None:
    """A location: the till keeps it, created or brought up to date, if it is a shop."""
    if location["kind"] != "shop":
        return None
    copy = {"location_id": location["location_id"], "code": location["code"], "name": location["name"]}
    return _keep(uow, Shop, Shop.location_id, location["location_id"], copy)


def _keep(uow: UnitOfWork, model: type[Any], key: Any, key_value: Any, values: dict[str, Any]) -> Any:
    row = uow.session.scalar(select(model).where(key == key_value))
    if row is None:
        row = model(**values)
        uow.session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    uow.session.flush()
    return row
