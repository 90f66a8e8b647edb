"""pos use cases, each given the unit of work it runs in (which commits when they return)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import lazyload

from bassin_common.copies import keep_copies
from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.money import ZERO, money, vat_included_in
from bassin_common.pagination import Page, read_page
from bassin_common.permissions import REFUND_SALES, SELL_ON_ACCOUNT, Permission
from bassin_common.uow import UnitOfWork
from pos import domain, events
from pos.domain import (
    ACCOUNT,
    CASH,
    DEFAULT_DISCOUNT_LIMIT,
    VOUCHER,
    CatalogueEntry,
    Payment,
    PricedLine,
    PricedSale,
    VatLine,
    price_sale,
)
from pos.journal import REFUND, SALE, Ticket, ZReport, expected_in_till, variances, verify_chain
from pos.models import (
    BillingSettings,
    CashSession,
    CatalogueArticle,
    CustomerCopy,
    Refund,
    RefundLine,
    RefundPayment,
    RefundVat,
    Sale,
    SaleLine,
    Shop,
    Voucher,
)


def record_sale(uow: UnitOfWork, data: dict[str, Any], allowed: list[str] | None = None) -> RecordedSale:
    """Price, store and announce a sale paid in full, as the next ticket of its shop's
    journal (numbered, hash-chained, in the shop's open cash session). The sale keeps the
    id of the request that recorded it (the till's ``Idempotency-Key``), for tracing; the
    service's RPC records a request once however often it arrives.

    ``allowed``: the rights beyond recording sales the caller's company grants it (the
    gateway reads them in the company's permission table); by default, its roles' defaults."""
    limited = not _may(uow, REFUND_SALES, allowed)
    location_id, discount_limit = _till(uow, data["location_id"], limited)
    customer_id = _known_customer(uow, data.get("customer_id"))
    priced = price_sale(
        location_id,
        data["lines"],
        data["payments"],
        _catalogue(uow, {line["article_id"] for line in data["lines"]}),
        customer_id=customer_id,
        discount_percent=data.get("discount_percent"),
        discount_amount=data.get("discount_amount"),
        discount_limit=discount_limit,
        may_sell_on_account=_may(uow, SELL_ON_ACCOUNT, allowed),
    )
    _redeem_vouchers(uow, priced.payments)
    sale = _store(uow, priced)
    uow.emit(events.SALE_COMPLETED, sale)
    return sale


def _redeem_vouchers(uow: UnitOfWork, payments: tuple[Payment, ...]) -> None:
    """Take each voucher payment off its voucher (its code as the payment's reference), in
    one atomic UPDATE each: a voucher is never spent twice, nor beyond what is left on it."""
    vouchers = Voucher.__table__
    for index, payment in enumerate(payments):
        if payment.method != VOUCHER:
            continue
        if not payment.reference:
            raise ValidationFailed.field(f"payments[{index}].reference", "the voucher's code")
        taken = uow.session.execute(
            update(vouchers)
            .where(
                vouchers.c.tenant_id == uow.tenant_id,
                vouchers.c.code == payment.reference.strip().upper(),
                vouchers.c.remaining >= payment.amount,
            )
            .values(remaining=vouchers.c.remaining - payment.amount)
            .returning(vouchers.c.remaining)
        ).first()
        if taken is None:
            left = uow.session.scalar(
                select(Voucher.remaining).where(Voucher.code == payment.reference.strip().upper())
            )
            message = "unknown voucher" if left is None else f"only {left} left on this voucher"
            raise ValidationFailed.field(f"payments[{index}].reference", message)


def price_cart(uow: UnitOfWork, data: dict[str, Any], allowed: list[str] | None = None) -> dict[str, Any]:
    """What the till shows while the cart fills: its lines priced, the discounts, the VAT
    per rate, what is still due and the change, from the payments so far. Writes nothing."""
    priced = domain.price_cart(
        data["lines"],
        _catalogue(uow, {line["article_id"] for line in data["lines"]}),
        data.get("discount_percent"),
        data.get("discount_amount"),
        None if _may(uow, REFUND_SALES, allowed) else _discount_limit(uow),
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


def _discount_limit(uow: UnitOfWork) -> Decimal:
    """How far below the catalogue a cashier may sell: the company's billing settings say."""
    limit = uow.session.scalar(select(BillingSettings.discount_limit))
    return DEFAULT_DISCOUNT_LIMIT if limit is None else limit


def _may(uow: UnitOfWork, permission: Permission, allowed: list[str] | None) -> bool:
    """Whether the caller holds ``permission``: as its company grants it (``allowed``, from
    the gateway) or by its roles' defaults, and never beyond the platform's limit."""
    roles = uow.context.roles
    granted = permission.allows(roles) if allowed is None else permission.name in allowed
    return granted and permission.within_limit(roles)


# The till's hot path reads and locks with statements of fixed text naming the tenant (row-level
# security applies as everywhere), run on the session's connection: building a select or an
# update per sale, loading ORM objects and the ORM's execution path cost more client CPU
# than the query itself (ADR 0008).
_CATALOGUE = text(
    "SELECT article_id, sku, name, sale_price, vat_rate, category FROM catalogue_articles "
    "WHERE tenant_id = :tenant_id AND article_id = ANY(:article_ids)"
)


def _catalogue(uow: UnitOfWork, article_ids: set[uuid.UUID]) -> dict[uuid.UUID, CatalogueEntry]:
    rows = uow.session.connection().execute(_CATALOGUE, {"tenant_id": uow.tenant_id, "article_ids": list(article_ids)})
    return {row.article_id: CatalogueEntry(*row) for row in rows}


def _known_customer(uow: UnitOfWork, customer_id: uuid.UUID | None) -> uuid.UUID | None:
    if customer_id is None:
        return None
    if uow.session.scalar(select(CustomerCopy.customer_id).where(CustomerCopy.customer_id == customer_id)) is None:
        raise ValidationFailed.field("customer_id", "unknown customer")
    return customer_id


_TILL = text(
    "SELECT (SELECT array_agg(location_id) FROM shops WHERE tenant_id = :tenant_id), "
    "(SELECT discount_limit FROM billing_settings WHERE tenant_id = :tenant_id LIMIT 1)"
)


def _till(uow: UnitOfWork, requested: uuid.UUID | None, limited: bool) -> tuple[uuid.UUID, Decimal | None]:
    """The sale's shop (as ``_till_location``) and, when ``limited``, how far below the
    catalogue a cashier may sell (``_discount_limit``), read in one query."""
    found, discount_limit = uow.session.connection().execute(_TILL, {"tenant_id": uow.tenant_id}).one()
    if not limited:
        discount_limit = None
    elif discount_limit is None:
        discount_limit = DEFAULT_DISCOUNT_LIMIT
    return _shop_among(found or [], requested), discount_limit


def _till_location(uow: UnitOfWork, requested: uuid.UUID | None) -> uuid.UUID:
    return _shop_among(list(uow.session.scalars(select(Shop.location_id))), requested)


def _shop_among(shops: list[uuid.UUID], requested: uuid.UUID | None) -> uuid.UUID:
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


# RETURNING reads the row as it is once the lock is granted (PostgreSQL re-reads the latest
# version of a row it waited for), so the open session comes with the number: a session the
# transaction it waited for opened or closed is seen. A subquery of cash_sessions here would
# read the statement's snapshot, taken before the wait (ADR 0008).
_TAKE_TICKET = text(
    "UPDATE shops SET last_ticket_number = last_ticket_number + 1 "
    "WHERE tenant_id = :tenant_id AND location_id = :location_id "
    "RETURNING last_ticket_number, last_ticket_hash, now(), open_cash_session_id"
)
_OPEN_SESSION = text(
    "SELECT id FROM cash_sessions WHERE tenant_id = :tenant_id AND location_id = :location_id AND closed_at IS NULL"
)
_RECORD_OPEN_SESSION = text(
    "UPDATE shops SET open_cash_session_id = :session_id WHERE tenant_id = :tenant_id AND location_id = :location_id"
)


def _next_ticket(uow: UnitOfWork, location_id: uuid.UUID) -> JournalEntry:
    """Take the shop's next ticket number (its row locked: tickets of a shop are written one
    after another, so numbers have no gaps and each chains to the one before), in the
    shop's open cash session — opened with no float when the till has none open."""
    where = {"tenant_id": uow.tenant_id, "location_id": location_id}
    connection = uow.session.connection()
    number, previous_hash, at, session_id = connection.execute(_TAKE_TICKET, where).one()
    if session_id is None:  # none open, or one opened before the shop's row recorded it
        session_id = connection.scalar(_OPEN_SESSION, where)
        if session_id is not None:
            connection.execute(_RECORD_OPEN_SESSION, {**where, "session_id": session_id})
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


# The sale, its lines, payments and VAT rows and the shop's chain in one statement of fixed
# text, whatever the number of rows (they travel as JSON): one round trip, no SQL compiled
# per sale, one prepared statement (ADR 0008). Foreign keys are checked at the end of the
# statement, once every row is in; the shop's row is already locked (``_next_ticket``).
_STORE_SALE = text(
    """
    WITH chain AS (
        UPDATE shops SET last_ticket_hash = :hash
        WHERE tenant_id = :tenant_id AND location_id = :location_id
    ), lines AS (
        INSERT INTO sale_lines (tenant_id, sale_id, position, article_id, description, quantity, unit_price,
                                vat_rate, total, catalogue_price, discount_percent, discount, category,
                                serial_number, register_on_pool_id)
        SELECT CAST(:tenant_id AS uuid), CAST(:id AS uuid), r.position, r.article_id, r.description, r.quantity,
               r.unit_price, r.vat_rate, r.total, r.catalogue_price, r.discount_percent, r.discount, r.category,
               r.serial_number, r.register_on_pool_id
        FROM jsonb_to_recordset(CAST(:lines AS jsonb)) AS r(
            position integer, article_id uuid, description text, quantity integer, unit_price numeric,
            vat_rate numeric, total numeric, catalogue_price numeric, discount_percent numeric, discount numeric,
            category text, serial_number text, register_on_pool_id uuid)
    ), payments AS (
        INSERT INTO sale_payments (tenant_id, sale_id, position, method, amount, reference)
        SELECT CAST(:tenant_id AS uuid), CAST(:id AS uuid), r.position, r.method, r.amount, r.reference
        FROM jsonb_to_recordset(CAST(:payments AS jsonb)) AS r(position integer, method text, amount numeric,
                                                               reference text)
    ), vat AS (
        INSERT INTO sale_vat (tenant_id, sale_id, rate, total, vat)
        SELECT CAST(:tenant_id AS uuid), CAST(:id AS uuid), r.rate, r.total, r.vat
        FROM jsonb_to_recordset(CAST(:vat_lines AS jsonb)) AS r(rate numeric, total numeric, vat numeric)
    )
    INSERT INTO sales (tenant_id, id, request_id, number, previous_hash, hash, location_id, cash_session_id,
                       customer_id, total, vat_total, cart_discount, discount_total, change_given, cashier_id,
                       completed_at)
    VALUES (:tenant_id, :id, :request_id, :number, :previous_hash, :hash, :location_id, :cash_session_id,
            :customer_id, :total, :vat_total, :cart_discount, :discount_total, :change_given, :cashier_id,
            :completed_at)
    """
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
    stored = {
        "id": sale_id,
        "number": entry.number,
        "hash": ticket.digest(),
        "location_id": priced.location_id,
        "cash_session_id": entry.cash_session_id,
        "customer_id": priced.customer_id,
        "total": cart.total,
        "vat_total": cart.vat_total,
        "cart_discount": cart.cart_discount,
        "discount_total": cart.discount_total,
        "change_given": settlement.change,
        "cashier_id": uow.context.user_id,
        "completed_at": entry.at,
    }
    uow.session.connection().execute(
        _STORE_SALE,
        {
            **stored,
            "tenant_id": tenant,
            "request_id": uow.context.request_id,
            "previous_hash": entry.previous_hash,
            "lines": json.dumps(
                [
                    {
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
                default=str,
            ),
            "payments": json.dumps(
                [
                    {"position": position, "method": p.method, "amount": p.amount, "reference": p.reference}
                    for position, p in enumerate(settlement.payments, start=1)
                ],
                default=str,
            ),
            "vat_lines": json.dumps(
                [{"rate": vat.rate, "total": vat.total, "vat": vat.vat} for vat in vat_lines], default=str
            ),
        },
    )
    return RecordedSale(**stored, lines=cart.lines, payments=settlement.payments, vat_lines=vat_lines)


def _open_session(uow: UnitOfWork, location_id: uuid.UUID, opening_float: Decimal) -> CashSession:
    """A new cash session of the shop, numbered after its last one (the shop's row is
    locked by the caller's UPDATE of it)."""
    shops, session_id = Shop.__table__, uuid.uuid4()
    number = uow.session.execute(
        update(shops)
        .where(shops.c.tenant_id == uow.tenant_id, shops.c.location_id == location_id)
        .values(last_session_number=shops.c.last_session_number + 1, open_cash_session_id=session_id)
        .returning(shops.c.last_session_number)
    ).scalar_one()
    session = CashSession(
        id=session_id,
        location_id=location_id,
        number=number,
        opening_float=opening_float,
        opened_by=uow.context.user_id,
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
    if query.get("category"):
        statement = statement.where(CatalogueArticle.category == query["category"])
    return read_page(uow.session, statement, (CatalogueArticle.name, CatalogueArticle.article_id), query)


def list_categories(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """The till's product tree: each category and its number of articles, by name."""
    statement = (
        select(CatalogueArticle.category, func.count())
        .where(CatalogueArticle.category.is_not(None))
        .group_by(CatalogueArticle.category)
    )
    found = read_page(uow.session, statement, (CatalogueArticle.category,), page)
    return Page([{"category": category, "articles": count} for category, count in found.items], found.next)


def keep_article(uow: UnitOfWork, article: dict[str, Any]) -> CatalogueArticle:
    """The till's copy of a catalogue article, created or brought up to date."""
    return _keep(uow, CatalogueArticle, CatalogueArticle.article_id, article["article_id"], article)


def keep_articles(uow: UnitOfWork, imported: dict[str, Any]) -> None:
    """The till's copies of articles imported together (``articles_imported``), each kept
    as ``keep_article`` keeps one (created, or brought up to date), in one statement."""
    rows = [{"tenant_id": uow.tenant_id, **article} for article in imported["articles"]]
    keep_copies(uow.session, CatalogueArticle, rows, key=["article_id"])


def keep_customer(uow: UnitOfWork, customer: dict[str, Any]) -> CustomerCopy:
    """The till's copy of a customer file (to attach a sale to it, sell on its account)."""
    return _keep(uow, CustomerCopy, CustomerCopy.customer_id, customer["customer_id"], _customer_copy(customer))


def _customer_copy(customer: dict[str, Any]) -> dict[str, Any]:
    kept = ("customer_id", "kind", "display_name", "email", "billing_address", "siren", "vat_number")
    return {key: customer.get(key) for key in kept}


def keep_imported_customers(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """customers_imported: each customer file kept as its ``customer_created`` would keep
    it — those kept already read in one query, the new ones written together."""
    copies = [_customer_copy(customer) for customer in data["customers"]]
    ids = [copy["customer_id"] for copy in copies]
    known = {
        row.customer_id: row
        for row in uow.session.scalars(select(CustomerCopy).where(CustomerCopy.customer_id.in_(ids)))
    }
    for copy in copies:
        if (row := known.get(copy["customer_id"])) is None:
            uow.session.add(CustomerCopy(**copy))
        else:
            for name, value in copy.items():
                setattr(row, name, value)


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


# --- cash sessions and the Z report ----------------------------------------------------------


def _lock_shop(uow: UnitOfWork, location_id: uuid.UUID, **changes: Any) -> None:
    """Lock the shop's row (with ``changes``, if any): tickets, openings and closings of a
    shop happen one at a time."""
    shops = Shop.__table__
    uow.session.execute(
        update(shops)
        .where(shops.c.tenant_id == uow.tenant_id, shops.c.location_id == location_id)
        .values(last_session_number=shops.c.last_session_number, **changes)
    )


def open_cash_session(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """Open the shop's till for the day with its float (409 while a session is open there)."""
    location_id = _till_location(uow, data["location_id"])
    _lock_shop(uow, location_id)
    already = uow.session.scalar(
        select(CashSession).where(CashSession.location_id == location_id, CashSession.closed_at.is_(None))
    )
    if already is not None:
        raise Conflict(f"cash session {already.number} is open at this shop: close it first")
    return session_report(uow, _open_session(uow, location_id, data["opening_float"]))


def close_cash_session(uow: UnitOfWork, session_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Close a session with the amounts counted per method: its Z report, what was expected
    per method (cash with the float) and the variances are kept with it."""
    session = _cash_session(uow, session_id)
    # Rolled back with the rest if the session turns out closed already (409 below).
    _lock_shop(uow, session.location_id, open_cash_session_id=None)
    uow.session.refresh(session)  # as it is now that no ticket can be added to it
    if session.closed_at is not None:
        raise Conflict(f"cash session {session.number} is already closed")
    counted: dict[str, Decimal] = {}
    for index, entry in enumerate(data["counted"]):
        if entry["method"] in counted:
            raise ValidationFailed.field(f"counted[{index}].method", "counted twice")
        counted[entry["method"]] = entry["amount"]
    report = z_report(uow, session)
    session.expected = {m: str(a) for m, a in expected_in_till(session.opening_float, report.by_method).items()}
    session.counted = {m: str(a) for m, a in counted.items()}
    session.closed_by = uow.context.user_id
    session.closed_at = uow.now()
    uow.session.flush()
    return session_report(uow, session, report)


def get_cash_session(uow: UnitOfWork, session_id: uuid.UUID) -> dict[str, Any]:
    return session_report(uow, _cash_session(uow, session_id))


def list_cash_sessions(uow: UnitOfWork, page: dict[str, Any]) -> Page[CashSession]:
    statement = select(CashSession)
    return read_page(uow.session, statement, (CashSession.opened_at, CashSession.id), page, descending=True)


def _cash_session(uow: UnitOfWork, session_id: uuid.UUID) -> CashSession:
    session = uow.session.scalar(select(CashSession).where(CashSession.id == session_id))
    if session is None:
        raise NotFound(f"cash session {session_id} not found")
    return session


def z_report(uow: UnitOfWork, session: CashSession) -> ZReport:
    """The session's totals, folded from its tickets one by one (``ZReport.add_ticket``)."""
    report = ZReport()
    for sale in uow.session.scalars(select(Sale).where(Sale.cash_session_id == session.id)):
        net: dict[str, Decimal] = {}
        for payment in sale.payments:
            net[payment.method] = net.get(payment.method, ZERO) + payment.amount
        if sale.change_given:
            net[CASH] = net.get(CASH, ZERO) - sale.change_given
        report.add_ticket(
            1,
            sale.total,
            sale.cashier_id,
            net.items(),
            [(vat.rate, vat.total, vat.vat) for vat in sale.vat_lines],
            [(line.category, line.total) for line in sale.lines],
        )
    for refund in uow.session.scalars(select(Refund).where(Refund.cash_session_id == session.id)):
        report.add_ticket(
            -1,
            refund.total,
            refund.cashier_id,
            [(payment.method, payment.amount) for payment in refund.payments],
            [(vat.rate, vat.total, vat.vat) for vat in refund.vat_lines],
            [(line.category, line.total) for line in refund.lines],
        )
    return report


def session_report(uow: UnitOfWork, session: CashSession, report: ZReport | None = None) -> dict[str, Any]:
    """A session as the API shows it: with its Z report (so far, while it is open) and,
    once closed, what was expected and counted per method and the variances."""
    report = report or z_report(uow, session)
    expected = {m: Decimal(a) for m, a in (session.expected or {}).items()}
    counted = {m: Decimal(a) for m, a in (session.counted or {}).items()}
    differences = variances(expected, counted) if session.closed_at else {}

    def amounts(by: dict[str, Decimal]) -> list[dict[str, Any]]:
        return [{"method": method, "amount": amount} for method, amount in sorted(by.items())]

    return {
        "id": session.id,
        "number": session.number,
        "location_id": session.location_id,
        "status": "closed" if session.closed_at else "open",
        "opening_float": session.opening_float,
        "opened_by": session.opened_by,
        "opened_at": session.opened_at,
        "closed_by": session.closed_by,
        "closed_at": session.closed_at,
        "z_report": {
            "sales_count": report.sales_count,
            "refunds_count": report.refunds_count,
            "sales_total": report.sales_total,
            "refunds_total": report.refunds_total,
            "net_total": report.net_total,
            "vat_total": report.vat_total,
            "by_method": amounts(report.by_method),
            "by_vat_rate": [
                {"rate": rate, "total": total, "vat": vat, "base": total - vat}
                for rate, (total, vat) in sorted(report.by_vat_rate.items())
            ],
            "by_category": [{"category": c, "total": t} for c, t in sorted(report.by_category.items())],
            "by_cashier": [{"cashier_id": c, "total": t} for c, t in sorted(report.by_cashier.items())],
        },
        "expected": amounts(expected),
        "counted": amounts(counted),
        "variances": amounts(differences),
        "variance_total": sum(differences.values(), ZERO),
    }


# --- refunds ---------------------------------------------------------------------------------


def refund_sale(uow: UnitOfWork, sale_id: uuid.UUID, data: dict[str, Any]) -> Refund:
    """Refund goods of a ticket (the return half of an exchange too): a new ticket of the
    journal reversing them, never an edit of the sale; the money goes back by the methods
    given, adding up to the refund exactly. Quantities beyond what is left to refund of a
    line are refused."""
    sale = uow.session.scalar(select(Sale).where(Sale.id == sale_id))
    if sale is None:
        raise NotFound(f"sale {sale_id} not found")
    entry = _next_ticket(uow, sale.location_id)  # the shop locked: refunds of a sale one at a time
    already: dict[int, tuple[int, Decimal]] = {}
    for line in uow.session.scalars(select(RefundLine).join(Refund).where(Refund.sale_id == sale.id)):
        quantity, amount = already.get(line.sale_line_position, (0, ZERO))
        already[line.sale_line_position] = (quantity + line.quantity, amount + line.total)
    sold = {line.position: line for line in sale.lines}
    returned = refund_lines(sold, already, data["lines"])
    total = sum((line["total"] for line in returned), ZERO)
    paid_back = sum((p["amount"] for p in data["payments"]), ZERO)
    if paid_back != total:
        raise ValidationFailed.field("payments", f"the refund is {total}: the money given back adds up to {paid_back}")
    for index, payment in enumerate(data["payments"]):
        if payment["method"] == ACCOUNT and sale.customer_id is None:
            raise ValidationFailed.field(f"payments[{index}].method", "an anonymous sale has no customer account")
    by_rate: dict[Decimal, Decimal] = {}
    for line in returned:
        by_rate[line["vat_rate"]] = by_rate.get(line["vat_rate"], ZERO) + line["total"]
    vat_lines = tuple(VatLine(rate, t, vat_included_in(t, rate)) for rate, t in sorted(by_rate.items()))
    refund = Refund(
        id=uuid.uuid4(),
        sale_id=sale.id,
        location_id=sale.location_id,
        cash_session_id=entry.cash_session_id,
        customer_id=sale.customer_id,
        number=entry.number,
        previous_hash=entry.previous_hash,
        total=total,
        vat_total=sum((vat.vat for vat in vat_lines), ZERO),
        reason=data["reason"],
        cashier_id=uow.context.user_id,
        refunded_at=entry.at,
    )
    refund.lines = [RefundLine(position=i, **line) for i, line in enumerate(returned, start=1)]
    refund.payments = [
        RefundPayment(
            position=i,
            method=p["method"],
            amount=p["amount"],
            reference=_voucher_code() if p["method"] == VOUCHER else None,
        )
        for i, p in enumerate(data["payments"], 1)
    ]
    refund.vat_lines = [RefundVat(rate=v.rate, total=v.total, vat=v.vat) for v in vat_lines]
    refund.hash = _chain(uow, sale.location_id, refund_ticket(refund))
    uow.session.add(refund)
    uow.session.flush()
    for payment in refund.payments:
        if payment.method == VOUCHER:  # the money given back as a voucher, spent later by its code
            voucher = Voucher(
                code=payment.reference, amount=payment.amount, remaining=payment.amount, customer_id=sale.customer_id
            )
            voucher.refund_id = refund.id
            uow.session.add(voucher)
    uow.session.flush()
    uow.emit(events.SALE_REFUNDED, refund)
    return refund


def _voucher_code() -> str:
    return f"BA-{secrets.token_hex(4).upper()}"


def refund_lines(
    sold: dict[int, SaleLine], already: dict[int, tuple[int, Decimal]], requested: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The refund's lines, each at its share of the sold line's total (what the customer
    paid, after discounts); the last units of a line take what is left of it, so a line
    refunded in several goes is refunded exactly its total."""
    errors: dict[str, list[str]] = {}
    returned: list[dict[str, Any]] = []
    asked: dict[int, int] = {}
    for index, request in enumerate(requested):
        line = sold.get(request["position"])
        if line is None:
            errors[f"lines[{index}].position"] = ["no such line on the ticket"]
            continue
        asked[line.position] = asked.get(line.position, 0) + request["quantity"]
        done, refunded = already.get(line.position, (0, ZERO))
        left = line.quantity - done
        if asked[line.position] > left:
            errors[f"lines[{index}].quantity"] = [f"only {left} left to refund on this line"]
            continue
        quantity = request["quantity"]
        before = asked[line.position] - quantity  # asked earlier in this refund
        if done + asked[line.position] == line.quantity:
            share = line.total - refunded - money(line.total * before / line.quantity)
        else:
            share = money(line.total * quantity / line.quantity)
        returned.append(
            {
                "sale_line_position": line.position,
                "article_id": line.article_id,
                "description": line.description,
                "quantity": quantity,
                "vat_rate": line.vat_rate,
                "total": share,
                "category": line.category,
            }
        )
    if errors:
        raise ValidationFailed.of(errors)
    return returned


def refund_ticket(refund: Refund) -> Ticket:
    return Ticket(
        REFUND,
        refund.number,
        str(refund.id),
        str(refund.location_id),
        refund.refunded_at,
        refund.total,
        refund.vat_total,
        tuple(
            (line.position, line.sale_line_position, line.article_id, line.quantity, line.total, line.vat_rate)
            for line in refund.lines
        ),
        tuple((p.method, p.amount, p.reference or "") for p in refund.payments),
        tuple((vat.rate, vat.total, vat.vat) for vat in refund.vat_lines),
        refund.previous_hash,
        refund.hash or "",
        str(refund.sale_id),
    )


def get_refund(uow: UnitOfWork, refund_id: uuid.UUID) -> Refund:
    refund = uow.session.scalar(select(Refund).where(Refund.id == refund_id))
    if refund is None:
        raise NotFound(f"refund {refund_id} not found")
    return refund


# --- verifying the journal -------------------------------------------------------------------


def verify_journal(uow: UnitOfWork, query: dict[str, Any]) -> dict[str, Any]:
    """Every shop's journal (or one's) checked ticket by ticket: each hash recomputed from the
    ticket's rows, each link to the previous ticket, no number missing, the last ticket the
    one the till recorded last. Read in pages, by shop."""
    shops = select(Shop)
    if query.get("location_id") is not None:
        shops = shops.where(Shop.location_id == query["location_id"])
    results = []
    for shop in uow.session.scalars(shops.order_by(Shop.code)):
        tickets = [
            sale_ticket(
                s.id,
                s.number,
                s.location_id,
                s.completed_at,
                s.total,
                s.vat_total,
                s.lines,
                s.payments,
                s.vat_lines,
                s.previous_hash or "",
                s.hash or "",
            )
            for s in uow.session.scalars(
                select(Sale).where(Sale.location_id == shop.location_id, Sale.number.is_not(None))
            )
        ]
        tickets += [
            refund_ticket(r) for r in uow.session.scalars(select(Refund).where(Refund.location_id == shop.location_id))
        ]
        problems = verify_chain(tickets, shop.last_ticket_number, shop.last_ticket_hash)
        results.append(
            {
                "location_id": shop.location_id,
                "tickets": len(tickets),
                "last_number": shop.last_ticket_number,
                "intact": not problems,
                "problems": [{"number": p.number, "problem": p.problem} for p in problems],
            }
        )
    if query.get("location_id") is not None and not results:
        raise ValidationFailed.field("location_id", "unknown shop")
    return {"intact": all(r["intact"] for r in results), "shops": results}
