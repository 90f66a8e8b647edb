"""pos use cases, each given the unit of work it runs in (which commits when they return)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import lazyload

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from pos import events
from pos.domain import CatalogueEntry, Payment, PricedLine, PricedSale, price_sale
from pos.models import CatalogueArticle, Sale, SaleLine, SalePayment, Shop


def record_sale(uow: UnitOfWork, data: dict[str, Any]) -> RecordedSale:
    """Price, store and announce a paid sale. The sale keeps the id of the request that
    recorded it (the till's ``Idempotency-Key``), for tracing; the service's RPC records a
    request once however often it arrives (``rpc(..., idempotent=True)``)."""
    location_id = _till_location(uow, data["location_id"])
    article_ids = {line["article_id"] for line in data["lines"]}
    catalogue = {
        row.article_id: CatalogueEntry(row.article_id, row.sku, row.name, row.sale_price, row.vat_rate)
        for row in uow.session.scalars(select(CatalogueArticle).where(CatalogueArticle.article_id.in_(article_ids)))
    }
    priced = price_sale(location_id, data["lines"], data["payments"], catalogue)
    sale = _store(uow, priced)
    uow.emit(events.SALE_COMPLETED, sale)
    return sale


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
    location_id: uuid.UUID
    total: Decimal
    vat_total: Decimal
    cashier_id: str | None
    completed_at: datetime
    lines: tuple[PricedLine, ...]
    payments: tuple[Payment, ...]


def _store(uow: UnitOfWork, priced: PricedSale) -> RecordedSale:
    """Three INSERTs (the sale, its lines, its payments): the till's hot path, so plain Core
    statements on the tables, not the ORM's unit of work nor its bulk inserts (a fifth of
    pos's CPU per sale, profiled). The tenant is named, as Core needs."""
    sale_id, tenant = uuid.uuid4(), uow.context.tenant_id
    completed_at = uow.session.execute(
        insert(Sale.__table__)
        .values(
            id=sale_id,
            tenant_id=tenant,
            request_id=uow.context.request_id,
            location_id=priced.location_id,
            total=priced.total,
            vat_total=priced.vat_total,
            cashier_id=uow.context.user_id,
        )
        .returning(Sale.__table__.c.completed_at)
    ).scalar_one()
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
            }
            for position, line in enumerate(priced.lines, start=1)
        ],
    )
    uow.session.execute(
        insert(SalePayment.__table__),
        [
            {"tenant_id": tenant, "sale_id": sale_id, "position": position, "method": p.method, "amount": p.amount}
            for position, p in enumerate(priced.payments, start=1)
        ],
    )
    return RecordedSale(
        sale_id,
        priced.location_id,
        priced.total,
        priced.vat_total,
        uow.context.user_id,
        completed_at,
        priced.lines,
        priced.payments,
    )


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


def list_catalogue(uow: UnitOfWork, page: dict[str, Any]) -> Page[CatalogueArticle]:
    return read_page(uow.session, select(CatalogueArticle), (CatalogueArticle.name, CatalogueArticle.article_id), page)


def keep_article(uow: UnitOfWork, article: dict[str, Any]) -> CatalogueArticle:
    """The till's copy of a catalogue article, created or brought up to date."""
    return _keep(uow, CatalogueArticle, CatalogueArticle.article_id, article["article_id"], article)


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
