"""Inventory use cases, each given the unit of work it runs in.

The service class calls these; they load and store through the ORM (scoped to the
unit of work's tenant by ``bassin_common.tenancy``), apply ``domain`` rules and emit
events. They never commit: the unit of work does, when the use case returns.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from inventory import events
from inventory.domain import StockChange, newly_below_minimum, topped_up_quantity
from inventory.models import Article, Location, StockLevel, StockMovement, Supplier, SupplierBasketLine


def create_location(uow: UnitOfWork, data: dict[str, Any]) -> Location:
    if uow.session.scalar(select(Location.id).where(Location.code == data["code"])):
        raise ValidationFailed.field("code", "already used by another location")
    location = Location(**data)
    uow.session.add(location)
    uow.session.flush()
    uow.emit(events.LOCATION_CREATED, {"location_id": location.id, **data})
    return location


def create_supplier(uow: UnitOfWork, data: dict[str, Any]) -> Supplier:
    supplier = Supplier(**data)
    uow.session.add(supplier)
    uow.session.flush()
    return supplier


def create_article(uow: UnitOfWork, data: dict[str, Any]) -> Article:
    stock = data.pop("stock")
    session = uow.session
    if session.scalar(select(Article.id).where(Article.sku == data["sku"])):
        raise ValidationFailed.field("sku", "already used by another article")
    if data["supplier_id"] and session.get(Supplier, data["supplier_id"]) is None:
        raise ValidationFailed.field("supplier_id", "unknown supplier")
    known_locations = set(session.scalars(select(Location.id)))
    seen: set[uuid.UUID] = set()
    for index, level in enumerate(stock):
        if level["location_id"] not in known_locations:
            problem = "unknown location"
        elif level["location_id"] in seen:
            problem = "location given twice"
        else:
            seen.add(level["location_id"])
            continue
        raise ValidationFailed.field(f"stock[{index}].location_id", problem)
    article = Article(**data)
    session.add(article)
    session.flush()
    for level in stock:
        session.add(StockLevel(article_id=article.id, **level))
        session.add(
            StockMovement(
                article_id=article.id,
                location_id=level["location_id"],
                delta=level["quantity"],
                quantity_after=level["quantity"],
                reason="initial",
            )
        )
    uow.emit(events.ARTICLE_CREATED, {"article_id": article.id, **data})
    return article


def _article(uow: UnitOfWork, article_id: uuid.UUID) -> Article:
    article = uow.session.get(Article, article_id)
    # session.get may answer from the identity map without a query; check the tenant.
    if article is None or article.tenant_id != uow.context.tenant_id:
        raise NotFound(f"article {article_id} not found")
    return article


def _stock_entry(level: StockLevel, location: Location) -> dict[str, Any]:
    return {
        "location_id": level.location_id,
        "location_code": location.code,
        "location_name": location.name,
        "quantity": level.quantity,
        "minimum": level.minimum,
        "maximum": level.maximum,
        "version": level.version,
    }


def get_article(uow: UnitOfWork, article_id: uuid.UUID) -> dict[str, Any]:
    article = _article(uow, article_id)
    rows = uow.session.execute(
        select(StockLevel, Location)
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.article_id == article_id)
        .order_by(Location.code)
    ).all()
    stock = [_stock_entry(level, location) for level, location in rows]
    return {**{c.key: getattr(article, c.key) for c in Article.__table__.columns}, "stock": stock}


def get_stock_level(uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID) -> dict[str, Any]:
    """An article's stock at one location, with its version (its ETag)."""
    return _stock_entry(*_stock_level(uow, article_id, location_id))


def _stock_level(
    uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID, *, for_update: bool = False
) -> tuple[StockLevel, Location]:
    statement = (
        select(StockLevel, Location)
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.article_id == article_id, StockLevel.location_id == location_id)
    )
    if for_update:  # and read again once locked, even if this session had loaded it
        statement = statement.with_for_update(of=StockLevel).execution_options(populate_existing=True)
    row = uow.session.execute(statement).first()
    if row is None:
        raise NotFound(f"no stock of article {article_id} at location {location_id}")
    return row.tuple()


def set_thresholds(
    uow: UnitOfWork,
    article_id: uuid.UUID,
    location_id: uuid.UUID,
    if_match: list[str],
    minimum: int,
    maximum: int,
) -> dict[str, Any]:
    """Change a level's thresholds if it is still at a version of ``if_match`` (the ETags the
    caller read), compared with the level's row locked: of two edits made from the same
    version, the second waits for the first, then finds the version moved and fails."""
    level, location = _stock_level(uow, article_id, location_id, for_update=True)
    require_version(level.version, if_match, "stock level")
    needs_reorder = newly_below_minimum(level.quantity, level.minimum, level.maximum, minimum, maximum)
    level.minimum, level.maximum, level.version = minimum, maximum, level.version + 1
    if needs_reorder:
        reorder(uow, StockChange(article_id, location_id, level.quantity, level.quantity, minimum, maximum))
    return _stock_entry(level, location)


_DECREMENT = text(
    """
    WITH level AS (
        INSERT INTO stock_levels (tenant_id, article_id, location_id, quantity, minimum, maximum)
        VALUES (:tenant_id, :article_id, :location_id, -CAST(:quantity AS integer), 0, 0)
        ON CONFLICT (article_id, location_id) DO UPDATE SET quantity = stock_levels.quantity - :quantity
        WHERE stock_levels.tenant_id = :tenant_id
        RETURNING quantity, minimum, maximum
    ), movement AS (
        INSERT INTO stock_movements (tenant_id, article_id, location_id, delta, quantity_after, reason, reference)
        SELECT :tenant_id, :article_id, :location_id, -CAST(:quantity AS integer), quantity, :reason, :reference
        FROM level
    )
    SELECT quantity, minimum, maximum FROM level
    """
)


def decrement_stock(
    uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID, quantity: int, reason: str, reference: str
) -> StockChange:
    """Take ``quantity`` out and write the ledger's movement, in one atomic statement: no
    read-then-write race, and one round trip.

    An article not stocked at the location yet gets a level there, negative: the
    sale happened, the shelf count will be corrected by a receipt or an inventory.
    Core SQL, so the tenant is named here (row-level security checks it too).
    """
    after, minimum, maximum = uow.session.execute(
        _DECREMENT,
        {
            "tenant_id": uow.context.tenant_id,
            "article_id": article_id,
            "location_id": location_id,
            "quantity": quantity,
            "reason": reason,
            "reference": reference,
        },
    ).one()
    return StockChange(article_id, location_id, after + quantity, after, minimum, maximum)


def apply_sale(uow: UnitOfWork, sale: dict[str, Any]) -> list[StockChange]:
    sold: dict[uuid.UUID, int] = {}
    for line in sale["lines"]:
        sold[line["article_id"]] = sold.get(line["article_id"], 0) + line["quantity"]
    changes = []
    # Rows locked in one global order (by article id): two sales of the same articles in
    # another order would otherwise deadlock, and one of them would burn a retry.
    for article_id in sorted(sold):
        change = decrement_stock(uow, article_id, sale["location_id"], sold[article_id], "sale", str(sale["sale_id"]))
        _announce(uow, change, "sale", str(sale["sale_id"]))
        changes.append(change)
    return changes


def _announce(uow: UnitOfWork, change: StockChange, reason: str, reference: str) -> None:
    uow.emit(
        events.STOCK_LEVEL_CHANGED,
        {
            "article_id": change.article_id,
            "location_id": change.location_id,
            "quantity": change.after,
            "previous_quantity": change.before,
            "minimum": change.minimum,
            "maximum": change.maximum,
            "reason": reason,
            "reference": reference,
        },
    )
    if change.crossed_below_minimum:
        reorder(uow, change)


def reorder(uow: UnitOfWork, change: StockChange) -> SupplierBasketLine:
    """A level crossed below its minimum: the supplier basket gets the quantity that brings it
    back to its maximum, in the same transaction, and ``reorder_needed`` tells the others."""
    supplier_id = uow.session.scalar(select(Article.supplier_id).where(Article.id == change.article_id))
    line = add_to_supplier_basket(uow, supplier_id, change.article_id, change.quantity_to_reach_maximum)
    uow.emit(
        events.REORDER_NEEDED,
        {
            "article_id": change.article_id,
            "location_id": change.location_id,
            "supplier_id": supplier_id,
            "quantity_on_hand": change.after,
            "minimum": change.minimum,
            "maximum": change.maximum,
            "suggested_quantity": change.quantity_to_reach_maximum,
        },
    )
    return line


def add_to_supplier_basket(
    uow: UnitOfWork, supplier_id: uuid.UUID | None, article_id: uuid.UUID, quantity: int
) -> SupplierBasketLine:
    """Add a line for (supplier, article), or top up the open one."""
    session = uow.session
    line = session.scalar(
        select(SupplierBasketLine)
        .where(
            SupplierBasketLine.article_id == article_id,
            SupplierBasketLine.supplier_id.is_not_distinct_from(supplier_id),
            SupplierBasketLine.status == "open",
        )
        .with_for_update()
    )
    if line is None:
        line = SupplierBasketLine(supplier_id=supplier_id, article_id=article_id, quantity=quantity)
        session.add(line)
    else:
        line.quantity = topped_up_quantity(line.quantity, quantity)
    session.flush()
    return line


def supplier_basket(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """The open lines by supplier name (lines without a supplier last), then SKU."""
    statement = (
        select(SupplierBasketLine, Article, Supplier)
        .join(Article, Article.id == SupplierBasketLine.article_id)
        .outerjoin(Supplier, Supplier.id == SupplierBasketLine.supplier_id)
        .where(SupplierBasketLine.status == "open")
    )
    order = (Supplier.name.is_(None), func.coalesce(Supplier.name, ""), Article.sku, SupplierBasketLine.id)
    found = read_page(uow.session, statement, order, page)
    lines = [
        {
            "id": line.id,
            "supplier_id": line.supplier_id,
            "supplier_name": supplier.name if supplier else None,
            "article_id": line.article_id,
            "sku": article.sku,
            "article_name": article.name,
            "quantity": line.quantity,
            "status": line.status,
            "updated_at": line.updated_at,
        }
        for line, article, supplier in found.items
    ]
    return Page(lines, found.next)


def search_articles(uow: UnitOfWork, search: dict[str, Any]) -> Page[Article]:
    """Articles whose SKU or name contains ``search["q"]``, by SKU; a page at a time."""
    statement = select(Article)
    if query := search["q"]:  # % and _ are searched for, not wildcards
        statement = statement.where(
            Article.sku.icontains(query, autoescape=True) | Article.name.icontains(query, autoescape=True)
        )
    return read_page(uow.session, statement, (Article.sku, Article.id), search)


def list_locations(uow: UnitOfWork, page: dict[str, Any]) -> Page[Location]:
    return read_page(uow.session, select(Location), (Location.code, Location.id), page)


def list_suppliers(uow: UnitOfWork, page: dict[str, Any]) -> Page[Supplier]:
    return read_page(uow.session, select(Supplier), (Supplier.name, Supplier.id), page)


def movements(uow: UnitOfWork, article_id: uuid.UUID, page: dict[str, Any]) -> Page[StockMovement]:
    """An article's ledger, newest movement first (404 for an article the company lacks)."""
    _article(uow, article_id)
    statement = select(StockMovement).where(StockMovement.article_id == article_id)
    return read_page(uow.session, statement, (StockMovement.id,), page, descending=True)
