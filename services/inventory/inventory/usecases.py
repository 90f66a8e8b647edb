"""Inventory use cases, each given the unit of work it runs in.

The service class calls these; they load and store through the ORM (scoped to the
unit of work's tenant by ``bassin_common.tenancy``), apply ``domain`` rules and emit
events. They never commit: the unit of work does, when the use case returns.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from bassin_common import documents, mail
from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from inventory import events, pricelists
from inventory.domain import (
    Known,
    StockChange,
    catalogue_problem,
    needs_reorder,
    new_article_problem,
    order_status,
    preferred_offer,
    price_change_percent,
    price_excluding_vat,
    remaining_to_receive,
    reorder_quantity,
    topped_up_quantity,
)
from inventory.models import (
    Article,
    Barcode,
    Category,
    Location,
    PriceChange,
    PriceListMapping,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ServicePart,
    StockCount,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierBasketLine,
    SupplierOffer,
)


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


def create_category(uow: UnitOfWork, data: dict[str, Any]) -> Category:
    """A node of the product tree, under ``parent_id`` (a root without)."""
    path, depth = data["name"], 0
    if data["parent_id"] is not None:
        parent = uow.session.get(Category, data["parent_id"])
        if parent is None or parent.tenant_id != uow.tenant_id:
            raise ValidationFailed.field("parent_id", "unknown category")
        path, depth = f"{parent.path} / {data['name']}", parent.depth + 1
    category = Category(path=path, depth=depth, **data)
    uow.session.add(category)
    uow.session.flush()
    return category


def list_categories(uow: UnitOfWork, page: dict[str, Any]) -> Page[Category]:
    """The tree, depth first: each node after its parent, siblings by name."""
    return read_page(uow.session, select(Category), (Category.path, Category.id), page)


def _known(uow: UnitOfWork, articles: list[dict[str, Any]], article_id: uuid.UUID | None = None) -> Known:
    """What the catalogue holds of what ``articles`` name (``domain.Known``), in one query
    per kind whatever their number; barcodes of ``article_id`` (being edited) are its own."""
    session = uow.session

    def found(column: Any, wanted: set[Any], *where: Any) -> set[Any]:
        return set(session.scalars(select(column).where(column.in_(wanted), *where))) if wanted else set()

    suppliers = {offer["supplier_id"] for article in articles for offer in article.get("offers", [])}
    suppliers |= {article["supplier_id"] for article in articles if article.get("supplier_id")}
    eans = {ean for article in articles for ean in article.get("barcodes", [])}
    return Known(
        categories=found(Category.id, {a["category_id"] for a in articles if a.get("category_id")}),
        suppliers=found(Supplier.id, suppliers),
        products=found(
            Article.id, {p["article_id"] for a in articles for p in a.get("parts", [])}, Article.kind == "product"
        ),
        locations=set(session.scalars(select(Location.id))) if any(a.get("stock") for a in articles) else set(),
        skus=found(Article.sku, {article["sku"] for article in articles if "sku" in article}),
        barcodes=found(Barcode.ean, eans, *([Barcode.article_id != article_id] if article_id else [])),
    )


def _check_catalogue_fields(uow: UnitOfWork, data: dict[str, Any], article_id: uuid.UUID | None) -> None:
    """What the schema cannot check alone (``domain.catalogue_problem``)."""
    if problem := catalogue_problem(data, _known(uow, [data], article_id), article_id):
        raise ValidationFailed.field(*problem)


def _write_details(uow: UnitOfWork, article: Article, data: dict[str, Any], source: str) -> None:
    """Barcodes, offers and default parts as given, replacing those the article had; the
    preferred offer's supplier and price copied on the article; price history."""
    session = uow.session
    old_offers = {
        offer.supplier_id: offer
        for offer in session.scalars(select(SupplierOffer).where(SupplierOffer.article_id == article.id))
    }
    session.execute(delete(Barcode).where(Barcode.article_id == article.id))
    session.execute(delete(SupplierOffer).where(SupplierOffer.article_id == article.id))
    session.execute(delete(ServicePart).where(ServicePart.service_id == article.id))
    session.flush()
    for ean in dict.fromkeys(data["barcodes"]):
        session.add(Barcode(ean=ean, article_id=article.id, tenant_id=uow.tenant_id))
    now = uow.now()
    for offer in data["offers"]:
        old = old_offers.get(offer["supplier_id"])
        changed = old is None or old.purchase_price != offer["purchase_price"]
        session.add(
            SupplierOffer(article_id=article.id, price_updated_at=now if changed else old.price_updated_at, **offer)
        )
        if changed:
            session.add(
                PriceChange(
                    article_id=article.id,
                    supplier_id=offer["supplier_id"],
                    kind="purchase",
                    old_price=old.purchase_price if old else None,
                    new_price=offer["purchase_price"],
                    source=source,
                )
            )
    for part in data["parts"]:
        session.add(ServicePart(service_id=article.id, part_id=part["article_id"], quantity=part["quantity"]))
    preferred = preferred_offer(data["offers"])
    article.supplier_id = preferred["supplier_id"] if preferred else None
    if preferred:
        article.purchase_price = preferred["purchase_price"]
    elif "purchase_price" in data:
        article.purchase_price = data["purchase_price"]


ARTICLE_FIELDS = (
    "name",
    "description",
    "category_id",
    "brand",
    "unit",
    "kind",
    "stocked",
    "active",
    "duration_minutes",
    "sale_price",
    "vat_rate",
)


def create_article(uow: UnitOfWork, data: dict[str, Any]) -> Article:
    """A new article, checked by the rules of ``domain.new_article_problem``, written with
    its offers, barcodes, parts, price history and opening stock; ``article_created``."""
    if problem := new_article_problem(data, _known(uow, [data])):
        raise ValidationFailed.field(*problem)
    created = _insert_articles(uow, [data])[0]
    uow.emit(events.ARTICLE_CREATED, created)
    return _article(uow, created["article_id"])


def import_articles(uow: UnitOfWork, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Many new articles at once (the demo company, a catalogue taken over): each checked
    by the rules of ``create_article``, in order, against the catalogue and the articles
    before it (a SKU or a barcode is used once), then all written together in a few
    set-based statements. One ``articles_imported`` event carries, for each, what its
    ``article_created`` would have. The first article refused refuses them all (its index
    named: ``articles[12].sku``). Their ids, in the order given."""
    known = _known(uow, articles)
    for index, data in enumerate(articles):
        if problem := new_article_problem(data, known):
            raise ValidationFailed.field(f"articles[{index}].{problem[0]}", problem[1])
        known.take(data)
    created = _insert_articles(uow, articles)
    uow.emit(events.ARTICLES_IMPORTED, {"articles": created})
    return [{"id": article["article_id"], "sku": article["sku"]} for article in created]


def _insert_articles(uow: UnitOfWork, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write new articles that passed ``domain.new_article_problem``: one multi-row INSERT
    per table (articles, barcodes, offers, default parts, price history, stock levels and
    their opening movements), whatever their number; a level opened below its minimum
    puts its line in the supplier basket. Returns each one's ``article_created`` data."""
    tenant = uow.tenant_id
    tables: dict[type[Any], list[dict[str, Any]]] = {
        model: [] for model in (Article, Barcode, SupplierOffer, ServicePart, PriceChange, StockLevel, StockMovement)
    }
    created, levels = [], []
    for data in articles:
        article_id = uuid.uuid4()
        preferred = preferred_offer(data["offers"])
        tables[Article].append(
            {
                "id": article_id,
                "tenant_id": tenant,
                "sku": data["sku"],
                **{key: data[key] for key in ARTICLE_FIELDS if key in data},
                "supplier_id": preferred["supplier_id"] if preferred else None,
                "purchase_price": preferred["purchase_price"] if preferred else data.get("purchase_price"),
            }
        )
        owned = {"tenant_id": tenant, "article_id": article_id}
        tables[Barcode] += [{**owned, "ean": ean} for ean in dict.fromkeys(data["barcodes"])]
        for offer in data["offers"]:
            tables[SupplierOffer].append({**owned, **offer})
            tables[PriceChange].append(
                {**owned, "supplier_id": offer["supplier_id"], "kind": "purchase", "old_price": None}
                | {"new_price": offer["purchase_price"], "source": "created"}
            )
        tables[ServicePart] += [
            {"tenant_id": tenant, "service_id": article_id, "part_id": part["article_id"], "quantity": part["quantity"]}
            for part in data["parts"]
        ]
        tables[PriceChange].append(
            {**owned, "supplier_id": None, "kind": "sale", "old_price": None}
            | {"new_price": data["sale_price"], "source": "created"}
        )
        for level in data["stock"]:
            tables[StockLevel].append({**owned, **level})
            tables[StockMovement].append(
                {**owned, "location_id": level["location_id"], "delta": level["quantity"]}
                | {"quantity_after": level["quantity"], "reason": "initial", "reference": None}
            )
            quantity, limits = level["quantity"], (level["minimum"], level["maximum"])
            levels.append(StockChange(article_id, level["location_id"], quantity, quantity, *limits))
        created.append(
            {
                "article_id": article_id,
                "sku": data["sku"],
                "name": data["name"],
                "sale_price": data["sale_price"],
                "vat_rate": data["vat_rate"],
                "supplier_id": preferred["supplier_id"] if preferred else None,
            }
        )
    for model, rows in tables.items():
        if rows:
            uow.session.execute(insert(model), rows)
    for level in levels:  # opened below its minimum: the basket knows at once
        keep_basket_current(uow, level)
    return created


def update_article(uow: UnitOfWork, article_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> dict[str, Any]:
    """Change what the catalogue says of an article (not its SKU nor its stock), if it is
    still at a version the caller read; copies elsewhere hear of a new price, name or VAT
    rate (``article_price_changed``)."""
    article = uow.session.scalar(
        select(Article).where(Article.id == article_id).with_for_update().execution_options(populate_existing=True)
    )
    if article is None:
        raise NotFound(f"article {article_id} not found")
    require_version(article.version, if_match, "article")
    if data["kind"] != article.kind:
        raise ValidationFailed.field("kind", "a product stays a product, a service a service")
    if (
        data["kind"] == "product"
        and not data.get("stocked", True)
        and uow.session.scalar(
            select(StockLevel.article_id).where(StockLevel.article_id == article_id, StockLevel.quantity != 0).limit(1)
        )
    ):
        raise ValidationFailed.field("stocked", "the article still has stock somewhere")
    _check_catalogue_fields(uow, data, article_id)
    preferred = preferred_offer(data["offers"])
    if preferred is not None:
        for offer in data["offers"]:
            offer["preferred"] = offer is preferred
    before = (article.name, article.sale_price, article.vat_rate, article.purchase_price)
    old_sale_price = article.sale_price
    for key in ARTICLE_FIELDS:
        if key in data:
            setattr(article, key, data[key])
    _write_details(uow, article, data, "edit")
    article.version += 1
    if article.sale_price != old_sale_price:
        article.price_updated_at = uow.now()
        uow.session.add(
            PriceChange(
                article_id=article.id,
                kind="sale",
                old_price=old_sale_price,
                new_price=article.sale_price,
                source="edit",
            )
        )
    uow.session.flush()
    if (article.name, article.sale_price, article.vat_rate, article.purchase_price) != before:
        announce_price(uow, article)
    return get_article(uow, article_id)


def announce_price(uow: UnitOfWork, article: Article) -> None:
    uow.emit(
        events.ARTICLE_PRICE_CHANGED,
        {
            "article_id": article.id,
            "sku": article.sku,
            "name": article.name,
            "sale_price": article.sale_price,
            "vat_rate": article.vat_rate,
            "purchase_price": article.purchase_price,
            "changed_at": datetime.now(UTC),
        },
    )


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
        "location_kind": location.kind,
        "quantity": level.quantity,
        "reserved": level.reserved,
        "available": level.quantity - level.reserved,
        "minimum": level.minimum,
        "maximum": level.maximum,
        "version": level.version,
    }


def get_article(uow: UnitOfWork, article_id: uuid.UUID) -> dict[str, Any]:
    """The whole article: catalogue fields, barcodes, supplier offers (preferred first),
    default parts (a service), and its stock at every location."""
    article = _article(uow, article_id)
    session = uow.session
    rows = session.execute(
        select(StockLevel, Location)
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.article_id == article_id)
        .order_by(Location.code)
    ).all()
    offers = session.execute(
        select(SupplierOffer, Supplier.name)
        .join(Supplier, Supplier.id == SupplierOffer.supplier_id)
        .where(SupplierOffer.article_id == article_id)
        .order_by(SupplierOffer.preferred.desc(), Supplier.name)
    ).all()
    parts = session.execute(
        select(ServicePart, Article.sku, Article.name)
        .join(Article, Article.id == ServicePart.part_id)
        .where(ServicePart.service_id == article_id)
        .order_by(Article.sku)
    ).all()
    category = session.get(Category, article.category_id) if article.category_id else None
    return {
        **{c.key: getattr(article, c.key) for c in Article.__table__.columns},
        "category_path": category.path if category else None,
        "sale_price_excl_vat": price_excluding_vat(article.sale_price, article.vat_rate),
        "barcodes": sorted(session.scalars(select(Barcode.ean).where(Barcode.article_id == article_id))),
        "offers": [
            {**{c.key: getattr(offer, c.key) for c in SupplierOffer.__table__.columns}, "supplier_name": name}
            for offer, name in offers
        ],
        "parts": [
            {"article_id": part.part_id, "sku": sku, "name": name, "quantity": part.quantity}
            for part, sku, name in parts
        ],
        "stock": [_stock_entry(level, location) for level, location in rows],
    }


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
    level.minimum, level.maximum, level.version = minimum, maximum, level.version + 1
    uow.session.flush()
    keep_basket_current(uow, StockChange(article_id, location_id, level.quantity, level.quantity, minimum, maximum))
    return _stock_entry(level, location)


_MOVE = text(
    """
    WITH level AS (
        INSERT INTO stock_levels (tenant_id, article_id, location_id, quantity, minimum, maximum)
        VALUES (:tenant_id, :article_id, :location_id, CAST(:delta AS integer), 0, 0)
        ON CONFLICT (article_id, location_id) DO UPDATE SET quantity = stock_levels.quantity + :delta,
            reserved = GREATEST(stock_levels.reserved + :reserved_delta, 0)
        WHERE stock_levels.tenant_id = :tenant_id
        RETURNING quantity, minimum, maximum
    ), movement AS (
        INSERT INTO stock_movements (tenant_id, article_id, location_id, delta, quantity_after, reason, reference)
        SELECT :tenant_id, :article_id, :location_id, CAST(:delta AS integer), quantity, :reason, :reference
        FROM level
    )
    SELECT quantity, minimum, maximum FROM level
    """
)


def move_stock(
    uow: UnitOfWork,
    article_id: uuid.UUID,
    location_id: uuid.UUID,
    delta: int,
    reason: str,
    reference: str | None,
    reserved_delta: int = 0,
) -> StockChange:
    """Add ``delta`` (negative: take out) and write the ledger's movement, in one atomic
    statement: no read-then-write race, and one round trip.

    An article not stocked at the location yet gets a level there (negative after a
    sale: the sale happened, a receipt or a count will correct the shelf).
    Core SQL, so the tenant is named here (row-level security checks it too).
    """
    after, minimum, maximum = uow.session.execute(
        _MOVE,
        {
            "tenant_id": uow.context.tenant_id,
            "article_id": article_id,
            "location_id": location_id,
            "delta": delta,
            "reserved_delta": reserved_delta,
            "reason": reason,
            "reference": reference,
        },
    ).one()
    return StockChange(article_id, location_id, after - delta, after, minimum, maximum)


def decrement_stock(
    uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID, quantity: int, reason: str, reference: str
) -> StockChange:
    return move_stock(uow, article_id, location_id, -quantity, reason, reference)


_UNSTOCKED = text(
    "SELECT id FROM articles WHERE id = ANY(CAST(:ids AS uuid[])) AND stocked IS FALSE AND tenant_id = :tenant_id"
)


def _stocked(uow: UnitOfWork, article_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``article_ids`` whose stock is kept (a service, or a product sold without
    keeping stock, moves nothing); unknown ids count as stocked (the sale happened).
    Core SQL with the tenant named (row-level security checks it too)."""
    unstocked = set(uow.session.scalars(_UNSTOCKED, {"ids": article_ids, "tenant_id": uow.context.tenant_id}))
    return set(article_ids) - unstocked


def _totals(lines: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    totals: dict[uuid.UUID, int] = {}
    for line in lines:
        totals[line["article_id"]] = totals.get(line["article_id"], 0) + line["quantity"]
    return totals


# ``move_stock`` for several articles at one location in one statement: the articles not
# stocked are left out (unknown ids count as stocked), each level is upserted in article id
# order (the global lock order), each gets its ledger movement, and the levels come back.
_MOVE_LINES = text(
    """
    WITH wanted AS (
        SELECT w.article_id, w.delta, w.reserved_delta
        FROM unnest(CAST(:article_ids AS uuid[]), CAST(:deltas AS integer[]), CAST(:reserved_deltas AS integer[]))
            AS w(article_id, delta, reserved_delta)
        WHERE NOT EXISTS (
            SELECT 1 FROM articles a
            WHERE a.id = w.article_id AND a.stocked IS FALSE AND a.tenant_id = :tenant_id
        )
    ), level AS (
        INSERT INTO stock_levels (tenant_id, article_id, location_id, quantity, minimum, maximum)
        SELECT :tenant_id, article_id, :location_id, delta, 0, 0 FROM wanted ORDER BY article_id
        ON CONFLICT (article_id, location_id) DO UPDATE SET quantity = stock_levels.quantity + EXCLUDED.quantity,
            reserved = GREATEST(
                stock_levels.reserved
                + (SELECT w.reserved_delta FROM wanted w WHERE w.article_id = EXCLUDED.article_id),
                0
            )
        WHERE stock_levels.tenant_id = :tenant_id
        RETURNING article_id, quantity, minimum, maximum
    ), movement AS (
        INSERT INTO stock_movements (tenant_id, article_id, location_id, delta, quantity_after, reason, reference)
        SELECT :tenant_id, level.article_id, :location_id, wanted.delta, level.quantity, :reason, :reference
        FROM level JOIN wanted USING (article_id)
    )
    SELECT level.article_id, wanted.delta, level.quantity, level.minimum, level.maximum
    FROM level JOIN wanted USING (article_id)
    ORDER BY level.article_id
    """
)


def _apply_lines(
    uow: UnitOfWork,
    location_id: uuid.UUID,
    lines: list[dict[str, Any]],
    sign: int,
    reason: str,
    reference: str,
    reserved_sign: int = 0,
) -> list[StockChange]:
    """Move each stocked article of ``lines`` at ``location_id``, all in one statement
    (``move_stock``'s, for every line at once). Rows are locked in one global order (by
    article id): two events of the same articles in another order would otherwise
    deadlock, and one of them would burn a retry. Core SQL, so the tenant is named here
    (row-level security checks it too), run on the session's connection: the ORM's execution
    path adds nothing to a text statement but client CPU on every sale (ADR 0008)."""
    totals = _totals(lines)
    if not totals:
        return []
    article_ids = sorted(totals)
    connection = uow.session.connection()
    rows = connection.execute(
        _MOVE_LINES,
        {
            "tenant_id": uow.context.tenant_id,
            "location_id": location_id,
            "article_ids": article_ids,
            "deltas": [sign * totals[article_id] for article_id in article_ids],
            "reserved_deltas": [reserved_sign * totals[article_id] for article_id in article_ids],
            "reason": reason,
            "reference": reference,
        },
    ).all()
    changes = [
        StockChange(article_id, location_id, after - delta, after, minimum, maximum)
        for article_id, delta, after, minimum, maximum in rows
    ]
    _announce(uow, changes, reason, reference)
    return changes


def apply_sale(uow: UnitOfWork, sale: dict[str, Any]) -> list[StockChange]:
    return _apply_lines(uow, sale["location_id"], sale["lines"], -1, "sale", str(sale["sale_id"]))


def apply_refund(uow: UnitOfWork, refund: dict[str, Any]) -> list[StockChange]:
    """Refunded goods come back on the shelf of the shop that refunds them."""
    reference = str(refund.get("refund_id") or refund["sale_id"])
    return _apply_lines(uow, refund["location_id"], refund["lines"], 1, "refund", reference)


def apply_parts_used(uow: UnitOfWork, intervention: dict[str, Any]) -> list[StockChange]:
    """Parts a technician used on an intervention leave the location named: their van."""
    return _apply_lines(
        uow,
        intervention["location_id"],
        intervention["lines"],
        -1,
        "intervention",
        str(intervention["intervention_id"]),
    )


def apply_materials_reserved(uow: UnitOfWork, reservation: dict[str, Any]) -> list[StockChange]:
    """A worksite sets materials aside: reserved grows, on hand stays (no movement)."""
    changes = []
    totals = _totals(reservation["lines"])
    for article_id in sorted(_stocked(uow, list(totals))):
        uow.session.execute(
            text(
                "INSERT INTO stock_levels (tenant_id, article_id, location_id, quantity, reserved, minimum, maximum) "
                "VALUES (:tenant_id, :article_id, :location_id, 0, :quantity, 0, 0) "
                "ON CONFLICT (article_id, location_id) DO UPDATE SET reserved = stock_levels.reserved + :quantity "
                "WHERE stock_levels.tenant_id = :tenant_id"
            ),
            {
                "tenant_id": uow.tenant_id,
                "article_id": article_id,
                "location_id": reservation["location_id"],
                "quantity": totals[article_id],
            },
        )
    return changes


def apply_order_confirmed(uow: UnitOfWork, order: dict[str, Any]) -> list[StockChange]:
    """A customer's products order is reserved at the company's shop (the first by code):
    its articles stay on hand but are no longer available. Construction and service orders
    reserve through their worksite (``materials_reserved``); free-text lines reserve nothing."""
    if order["kind"] != "products":
        return []
    shop = uow.session.scalar(select(Location.id).where(Location.kind == "shop").order_by(Location.code).limit(1))
    lines = [
        {"article_id": line["article_id"], "quantity": math.ceil(line["quantity"])}
        for line in order["lines"]
        if line["article_id"] is not None and line["quantity"] > 0
    ]
    if shop is None or not lines:
        return []
    return apply_materials_reserved(uow, {"location_id": shop, "lines": lines})


def apply_materials_consumed(uow: UnitOfWork, consumption: dict[str, Any]) -> list[StockChange]:
    """A worksite used materials: they leave the location, and their reservation with them."""
    reference = f"{consumption['project_id']}/{consumption['task_id']}"
    return _apply_lines(uow, consumption["location_id"], consumption["lines"], -1, "worksite", reference, -1)


def _announce(uow: UnitOfWork, changes: list[StockChange], reason: str, reference: str | None) -> None:
    """One ``stock_levels_changed`` for the levels this use case changed, in the order they
    were applied (one event per transaction, not one per level: ADR 0008); then each level
    that fell is checked against its minimum (``reorder_needed``). Emitted in the unit's
    current context: a consumer's batch applies each event in its own (``acting_for``), so
    each sale of a batch has its own event, with its correlation."""
    if not changes:
        return
    uow.emit(
        events.STOCK_LEVELS_CHANGED,
        {
            "reason": reason,
            "reference": reference,
            "levels": [
                {
                    "article_id": change.article_id,
                    "location_id": change.location_id,
                    "quantity": change.after,
                    "previous_quantity": change.before,
                    "minimum": change.minimum,
                    "maximum": change.maximum,
                }
                for change in changes
            ],
        },
    )
    for change in changes:
        if change.after < change.before:
            keep_basket_current(uow, change)


# What a reorder needs, in one round trip of fixed text naming the tenant (row-level
# security checks it too): the quantity on order at the location, and the article's
# preferred offer (at most one: a unique index; NULLs without one). Every sale leaving a
# level below its minimum asks it; until the need was ordered, these were two statements,
# the offer a per-call ORM select under the tenant guard: 20-50 % more client CPU for such
# a sale (ADR 0008).
_REORDER_FACTS = text(
    """
    SELECT (
        SELECT COALESCE(SUM(quantity - received), 0) FROM purchase_order_lines
        WHERE article_id = :article_id AND location_id = :location_id AND tenant_id = :tenant_id
    ) AS on_order, offer.supplier_id, offer.pack_size
    FROM (VALUES (1)) AS one
    LEFT JOIN supplier_offers offer
        ON offer.article_id = :article_id AND offer.preferred AND offer.tenant_id = :tenant_id
    """
)

_BASKET_UPSERT = text(
    """
    INSERT INTO supplier_basket_lines (id, tenant_id, supplier_id, article_id, location_id, quantity, status)
    VALUES (:id, :tenant_id, :supplier_id, :article_id, :location_id, :quantity, 'open')
    ON CONFLICT (tenant_id, supplier_id, article_id, location_id) WHERE status = 'open'
    DO UPDATE SET quantity = GREATEST(supplier_basket_lines.quantity, EXCLUDED.quantity), updated_at = now()
    RETURNING id, (xmax = 0) AS inserted
    """
)


def keep_basket_current(uow: UnitOfWork, change: StockChange) -> uuid.UUID | None:
    """After the stock fell (or a threshold rose): if on hand plus on order is under the
    minimum, the (supplier, article, location) basket line holds maximum - on hand - on
    order, in whole packs — opened now (``reorder_needed``) or grown if open already.

    Sales of one level are serialised by its row lock, held until commit, so the last
    sale's computation is the lowest stock's, and GREATEST keeps the largest need."""
    if change.maximum <= 0 or change.after >= change.minimum:
        return None  # on order only adds: nothing to check (the common sale)
    params = {"article_id": change.article_id, "location_id": change.location_id, "tenant_id": uow.tenant_id}
    connection = uow.session.connection()  # text statements: see _apply_lines
    on_order, supplier_id, pack_size = connection.execute(_REORDER_FACTS, params).one()
    if not needs_reorder(change.minimum, change.maximum, change.after, on_order):
        return None
    if pack_size is None:  # no preferred offer: whole units
        pack_size = 1
    quantity = reorder_quantity(change.maximum, change.after, on_order, pack_size)
    line_id, inserted = connection.execute(
        _BASKET_UPSERT, {**params, "id": uuid.uuid4(), "supplier_id": supplier_id, "quantity": quantity}
    ).one()
    if inserted:
        uow.emit(
            events.REORDER_NEEDED,
            {
                "article_id": change.article_id,
                "location_id": change.location_id,
                "supplier_id": supplier_id,
                "quantity_on_hand": change.after,
                "minimum": change.minimum,
                "maximum": change.maximum,
                "suggested_quantity": quantity,
            },
        )
    return line_id


def add_to_supplier_basket(
    uow: UnitOfWork,
    supplier_id: uuid.UUID | None,
    article_id: uuid.UUID,
    quantity: int,
    location_id: uuid.UUID | None = None,
) -> SupplierBasketLine:
    """Add a line for (supplier, article, location), or top up the open one."""
    session = uow.session
    line = session.scalar(
        select(SupplierBasketLine)
        .where(
            SupplierBasketLine.article_id == article_id,
            SupplierBasketLine.supplier_id.is_not_distinct_from(supplier_id),
            SupplierBasketLine.location_id.is_not_distinct_from(location_id),
            SupplierBasketLine.status == "open",
        )
        .with_for_update()
    )
    if line is None:
        line = SupplierBasketLine(
            supplier_id=supplier_id, article_id=article_id, location_id=location_id, quantity=quantity
        )
        session.add(line)
    else:
        line.quantity = topped_up_quantity(line.quantity, quantity)
    session.flush()
    return line


def _basket_line_dict(
    line: SupplierBasketLine, article: Article, supplier: Supplier | None, location: Location | None
) -> dict[str, Any]:
    return {
        "id": line.id,
        "supplier_id": line.supplier_id,
        "supplier_name": supplier.name if supplier else None,
        "article_id": line.article_id,
        "sku": article.sku,
        "article_name": article.name,
        "location_id": line.location_id,
        "location_code": location.code if location else None,
        "quantity": line.quantity,
        "status": line.status,
        "version": line.version,
        "updated_at": line.updated_at,
    }


def _basket_statement() -> Any:
    return (
        select(SupplierBasketLine, Article, Supplier, Location)
        .join(Article, Article.id == SupplierBasketLine.article_id)
        .outerjoin(Supplier, Supplier.id == SupplierBasketLine.supplier_id)
        .outerjoin(Location, Location.id == SupplierBasketLine.location_id)
    )


def supplier_basket(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """The open lines by supplier name (lines without a supplier last), then SKU."""
    statement = _basket_statement().where(SupplierBasketLine.status == "open")
    order = (Supplier.name.is_(None), func.coalesce(Supplier.name, ""), Article.sku, SupplierBasketLine.id)
    found = read_page(uow.session, statement, order, page)
    return Page([_basket_line_dict(*row) for row in found.items], found.next)


def get_basket_line(uow: UnitOfWork, line_id: uuid.UUID) -> dict[str, Any]:
    row = uow.session.execute(_basket_statement().where(SupplierBasketLine.id == line_id)).first()
    if row is None:
        raise NotFound(f"basket line {line_id} not found")
    return _basket_line_dict(*row)


def update_basket_line(
    uow: UnitOfWork, line_id: uuid.UUID, if_match: list[str], data: dict[str, Any]
) -> dict[str, Any]:
    """The buyer's edit of an open line: its quantity (0 drops it from the basket)."""
    line = uow.session.scalar(
        select(SupplierBasketLine)
        .where(SupplierBasketLine.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if line is None:
        raise NotFound(f"basket line {line_id} not found")
    require_version(line.version, if_match, "basket line")
    if line.status != "open":
        raise Conflict("this line is no longer in the basket (ordered or dropped)")
    line.quantity = data["quantity"]
    line.version += 1
    if data["quantity"] == 0:
        line.status = "dropped"
    uow.session.flush()
    return get_basket_line(uow, line_id)


# --- transfers and counts --------------------------------------------------------------------


def _known_location(uow: UnitOfWork, location_id: uuid.UUID, field: str) -> Location:
    location = uow.session.get(Location, location_id)
    if location is None or location.tenant_id != uow.tenant_id:
        raise ValidationFailed.field(field, "unknown location")
    return location


def _stocked_article(uow: UnitOfWork, article_id: uuid.UUID, field: str) -> Article:
    article = uow.session.get(Article, article_id)
    if article is None or article.tenant_id != uow.tenant_id:
        raise ValidationFailed.field(field, "unknown article")
    if not article.stocked:
        raise ValidationFailed.field(field, "this article is not stocked")
    return article


_LOCK_LEVEL = text(
    "INSERT INTO stock_levels (tenant_id, article_id, location_id, quantity, minimum, maximum) "
    "VALUES (:tenant_id, :article_id, :location_id, 0, 0, 0) "
    "ON CONFLICT (article_id, location_id) DO UPDATE SET quantity = stock_levels.quantity "
    "WHERE stock_levels.tenant_id = :tenant_id RETURNING quantity"
)


def lock_level(uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID) -> int:
    """Lock an article's level at a location (made, empty, if missing) until commit; its quantity."""
    params = {"tenant_id": uow.tenant_id, "article_id": article_id, "location_id": location_id}
    return uow.session.execute(_LOCK_LEVEL, params).scalar_one()


def transfer_stock(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """Move goods from one location to another (the shop restocks a van): two movements of
    one transfer, in one transaction. Both levels are locked in one global order first, so
    that two opposite transfers cannot deadlock; what is not on hand cannot leave."""
    source, target = data["from_location_id"], data["to_location_id"]
    if source == target:
        raise ValidationFailed.field("to_location_id", "the same location as from_location_id")
    _stocked_article(uow, data["article_id"], "article_id")
    _known_location(uow, source, "from_location_id")
    _known_location(uow, target, "to_location_id")
    article_id, quantity = data["article_id"], data["quantity"]
    levels = {location_id: lock_level(uow, article_id, location_id) for location_id in sorted((source, target))}
    on_hand = levels[source]
    if on_hand < quantity:
        raise ValidationFailed.field("quantity", f"only {on_hand} on hand at the source")
    transfer_id = uuid.uuid4()
    out = move_stock(uow, article_id, source, -quantity, "transfer_out", str(transfer_id))
    into = move_stock(uow, article_id, target, quantity, "transfer_in", str(transfer_id))
    _announce(uow, [out, into], "transfer", str(transfer_id))
    return {
        "id": transfer_id,
        "article_id": article_id,
        "from_location_id": source,
        "to_location_id": target,
        "quantity": quantity,
        "from_quantity": out.after,
        "to_quantity": into.after,
    }


def record_count(uow: UnitOfWork, data: dict[str, Any]) -> StockCount:
    """An inventory (inventaire) at one location: each counted quantity replaces what the
    books said by an adjustment movement of the difference; the variance report is kept."""
    location_id = data["location_id"]
    _known_location(uow, location_id, "location_id")
    seen: set[uuid.UUID] = set()
    for index, line in enumerate(data["lines"]):
        _stocked_article(uow, line["article_id"], f"lines[{index}].article_id")
        if line["article_id"] in seen:
            raise ValidationFailed.field(f"lines[{index}].article_id", "counted twice")
        seen.add(line["article_id"])
    count = StockCount(location_id=location_id, note=data.get("note"), lines=[], id=uuid.uuid4())
    report, changes = [], []
    for line in sorted(data["lines"], key=lambda line: line["article_id"]):
        article_id = line["article_id"]
        expected = lock_level(uow, article_id, location_id)
        variance = line["counted"] - expected
        if variance:
            changes.append(move_stock(uow, article_id, location_id, variance, "count", str(count.id)))
        report.append(
            {"article_id": str(article_id), "expected": expected, "counted": line["counted"], "variance": variance}
        )
    _announce(uow, changes, "count", str(count.id))
    count.lines = report
    uow.session.add(count)
    uow.session.flush()
    return count


def get_count(uow: UnitOfWork, count_id: uuid.UUID) -> StockCount:
    count = uow.session.get(StockCount, count_id)
    if count is None or count.tenant_id != uow.tenant_id:
        raise NotFound(f"stock count {count_id} not found")
    return count


def location_stock(uow: UnitOfWork, location_id: uuid.UUID, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """Everything stocked at one location (a van's load), by SKU."""
    location = uow.session.get(Location, location_id)
    if location is None or location.tenant_id != uow.tenant_id:
        raise NotFound(f"location {location_id} not found")
    statement = (
        select(StockLevel, Article)
        .join(Article, Article.id == StockLevel.article_id)
        .where(StockLevel.location_id == location_id)
    )
    found = read_page(uow.session, statement, (Article.sku, Article.id), page)
    return Page(
        [
            {
                **_stock_entry(level, location),
                "article_id": article.id,
                "sku": article.sku,
                "article_name": article.name,
            }
            for level, article in found.items
        ],
        found.next,
    )


def search_articles(uow: UnitOfWork, search: dict[str, Any]) -> Page[Article]:
    """Articles whose SKU or name contains ``search["q"]`` (or with that barcode), in a
    category's branch, of a kind; by SKU, a page at a time."""
    statement = select(Article)
    if query := search["q"]:  # % and _ are searched for, not wildcards
        statement = statement.where(
            Article.sku.icontains(query, autoescape=True)
            | Article.name.icontains(query, autoescape=True)
            | Article.id.in_(select(Barcode.article_id).where(Barcode.ean == query))
        )
    if barcode := search.get("barcode"):
        statement = statement.where(Article.id.in_(select(Barcode.article_id).where(Barcode.ean == barcode)))
    if (category_id := search.get("category_id")) is not None:
        path = uow.session.scalar(select(Category.path).where(Category.id == category_id))
        if path is None:
            raise ValidationFailed.field("category_id", "unknown category")
        branch = select(Category.id).where(
            (Category.path == path) | Category.path.startswith(f"{path} / ", autoescape=True)
        )
        statement = statement.where(Article.category_id.in_(branch))
    if kind := search.get("kind"):
        statement = statement.where(Article.kind == kind)
    if search.get("active") is not None:
        statement = statement.where(Article.active.is_(search["active"]))
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


# --- purchasing ------------------------------------------------------------------------------


def _next_number(uow: UnitOfWork, name: str) -> int:
    """The company's next number of ``name``, taken in the caller's transaction: a rolled
    back order gives its number back, so numbers have no gaps (orders queue on the row)."""
    return uow.session.execute(
        text(
            "INSERT INTO counters (tenant_id, name, last) VALUES (:tenant_id, :name, 1) "
            "ON CONFLICT (tenant_id, name) DO UPDATE SET last = counters.last + 1 RETURNING last"
        ),
        {"tenant_id": uow.tenant_id, "name": name},
    ).scalar_one()


def create_purchase_order(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """The buyer validates a supplier's part of the basket (all its open lines, or those
    named): one purchase order, numbered without gaps, its lines out of the basket and
    counted as on order; ``purchase_order_sent`` tells the others."""
    supplier = uow.session.get(Supplier, data["supplier_id"])
    if supplier is None or supplier.tenant_id != uow.tenant_id:
        raise ValidationFailed.field("supplier_id", "unknown supplier")
    statement = select(SupplierBasketLine).where(
        SupplierBasketLine.supplier_id == supplier.id,
        SupplierBasketLine.status == "open",
        SupplierBasketLine.location_id.is_not(None),
        SupplierBasketLine.quantity > 0,
    )
    if data.get("line_ids"):
        statement = statement.where(SupplierBasketLine.id.in_(data["line_ids"]))
    lines = uow.session.scalars(
        statement.order_by(SupplierBasketLine.id).with_for_update().execution_options(populate_existing=True)
    ).all()
    if data.get("line_ids"):
        found = {line.id for line in lines}
        for index, line_id in enumerate(data["line_ids"]):
            if line_id not in found:
                raise ValidationFailed.field(f"line_ids[{index}]", "not an open line of this supplier's basket")
    if not lines:
        raise ValidationFailed.field("supplier_id", "nothing to order from this supplier: its basket is empty")
    offers = {
        offer.article_id: offer
        for offer in uow.session.scalars(
            select(SupplierOffer).where(
                SupplierOffer.supplier_id == supplier.id,
                SupplierOffer.article_id.in_([line.article_id for line in lines]),
            )
        )
    }
    lead_times = [offers[line.article_id].lead_time_days for line in lines if line.article_id in offers]
    lead_times = [days for days in lead_times if days is not None]
    today = uow.today()
    order = PurchaseOrder(
        id=uuid.uuid4(),
        number=f"CF-{_next_number(uow, 'purchase_order'):06d}",
        supplier_id=supplier.id,
        status="sent",
        expected_on=today + timedelta(days=max(lead_times)) if lead_times else None,
        created_by=str(uow.context.user_id) if uow.context.user_id else None,
    )
    uow.session.add(order)
    uow.session.flush()
    for line in lines:
        offer = offers.get(line.article_id)
        uow.session.add(
            PurchaseOrderLine(
                purchase_order_id=order.id,
                article_id=line.article_id,
                location_id=line.location_id,
                quantity=line.quantity,
                unit_price=offer.purchase_price if offer else None,
                supplier_reference=offer.supplier_reference if offer else None,
            )
        )
        line.status, line.purchase_order_id = "ordered", order.id
    uow.session.flush()
    result = get_purchase_order(uow, order.id)
    uow.emit(
        events.PURCHASE_ORDER_SENT,
        {
            "purchase_order_id": order.id,
            "number": order.number,
            "supplier_id": supplier.id,
            "lines": [
                {"article_id": line["article_id"], "location_id": line["location_id"], "quantity": line["quantity"]}
                for line in result["lines"]
            ],
            "expected_on": order.expected_on,
        },
    )
    return result


def _order_dict(uow: UnitOfWork, order: PurchaseOrder, supplier_name: str, today: date) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "supplier_id": order.supplier_id,
        "supplier_name": supplier_name,
        "status": order.status,
        "expected_on": order.expected_on,
        "late": order.status != "received" and order.expected_on is not None and order.expected_on < today,
        "created_at": order.created_at,
        "emailed_at": order.emailed_at,
    }


def get_purchase_order(uow: UnitOfWork, order_id: uuid.UUID) -> dict[str, Any]:
    row = uow.session.execute(
        select(PurchaseOrder, Supplier.name)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.id == order_id)
    ).first()
    if row is None:
        raise NotFound(f"purchase order {order_id} not found")
    order, supplier_name = row
    lines = uow.session.execute(
        select(PurchaseOrderLine, Article.sku, Article.name, Location.code)
        .join(Article, Article.id == PurchaseOrderLine.article_id)
        .join(Location, Location.id == PurchaseOrderLine.location_id)
        .where(PurchaseOrderLine.purchase_order_id == order_id)
        .order_by(Article.sku, Location.code)
    ).all()
    today = uow.today()
    return {
        **_order_dict(uow, order, supplier_name, today),
        "lines": [
            {
                "id": line.id,
                "article_id": line.article_id,
                "sku": sku,
                "article_name": name,
                "supplier_reference": line.supplier_reference,
                "location_id": line.location_id,
                "location_code": code,
                "quantity": line.quantity,
                "received": line.received,
                "unit_price": line.unit_price,
            }
            for line, sku, name, code in lines
        ],
        "receipts": [
            {
                "id": receipt.id,
                "delivery_note": receipt.delivery_note,
                "received_at": receipt.received_at,
                "lines": receipt.lines,
            }
            for receipt in uow.session.scalars(
                select(Receipt).where(Receipt.purchase_order_id == order_id).order_by(Receipt.received_at, Receipt.id)
            )
        ],
    }


def list_purchase_orders(uow: UnitOfWork, query: dict[str, Any]) -> Page[dict[str, Any]]:
    """Purchase orders, newest first; ``status`` filters (``open``: not fully received)."""
    statement = select(PurchaseOrder, Supplier.name).join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
    if status := query.get("status"):
        statement = statement.where(
            PurchaseOrder.status != "received" if status == "open" else PurchaseOrder.status == status
        )
    found = read_page(uow.session, statement, (PurchaseOrder.created_at, PurchaseOrder.id), query, descending=True)
    today = uow.today()
    return Page([_order_dict(uow, order, name, today) for order, name in found.items], found.next)


def receive_goods(uow: UnitOfWork, order_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """A delivery against a purchase order, whole or partial: each line restocks its
    location (a ``receipt`` movement) and counts as received; the order is received when
    every line is. More than is still due on a line is refused, naming it."""
    order = uow.session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"purchase order {order_id} not found")
    if order.status == "received":
        raise Conflict(f"purchase order {order.number} is received in full already")
    lines = {
        (line.article_id, line.location_id): line
        for line in uow.session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == order_id).with_for_update()
        )
    }
    received: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for index, item in enumerate(data["lines"]):
        key = (item["article_id"], item["location_id"])
        line = lines.get(key)
        if line is None:
            raise ValidationFailed.field(f"lines[{index}].article_id", "not ordered for this location on this order")
        received[key] = received.get(key, 0) + item["quantity"]
        if received[key] > remaining_to_receive(line.quantity, line.received):
            due = remaining_to_receive(line.quantity, line.received)
            raise ValidationFailed.field(f"lines[{index}].quantity", f"more than the {due} still due on this line")
    receipt = Receipt(
        id=uuid.uuid4(),
        purchase_order_id=order.id,
        delivery_note=data.get("delivery_note"),
        lines=[
            {"article_id": str(a), "location_id": str(loc), "quantity": q} for (a, loc), q in sorted(received.items())
        ],
    )
    uow.session.add(receipt)
    changes = []
    for (article_id, location_id), quantity in sorted(received.items()):
        lines[(article_id, location_id)].received += quantity
        changes.append(move_stock(uow, article_id, location_id, quantity, "receipt", str(receipt.id)))
    _announce(uow, changes, "receipt", str(receipt.id))
    order.status = order_status([(line.quantity, line.received) for line in lines.values()])
    uow.session.flush()
    uow.emit(
        events.GOODS_RECEIVED,
        {"purchase_order_id": order.id, "receipt_id": receipt.id, "lines": receipt.lines},
    )
    return get_purchase_order(uow, order_id)


# --- supplier price lists --------------------------------------------------------------------

DEFAULT_PRICE_JUMP = Decimal("15.00")  # percent: a change larger than this is flagged
REPORT_LIMIT = 1000  # problem lines listed in a report (all are counted)


@dataclasses.dataclass
class PriceListAssessment:
    """What a price list would do: offers to reprice, offers to add, unknown references,
    price jumps over the threshold, and the lines that could not be read."""

    lines: int = 0
    problems: list[pricelists.Problem] = dataclasses.field(default_factory=list)
    updates: list[tuple[pricelists.Line, uuid.UUID, Decimal]] = dataclasses.field(
        default_factory=list
    )  # line, article, old
    unchanged: int = 0
    new_offers: list[tuple[pricelists.Line, uuid.UUID]] = dataclasses.field(default_factory=list)
    unknown: list[pricelists.Line] = dataclasses.field(default_factory=list)
    jumps: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _price_list_settings(
    uow: UnitOfWork, supplier_id: uuid.UUID, data: dict[str, Any]
) -> tuple[Supplier, dict, str | None, Decimal]:
    supplier = uow.session.get(Supplier, supplier_id)
    if supplier is None or supplier.tenant_id != uow.tenant_id:
        raise NotFound(f"supplier {supplier_id} not found")
    saved = uow.session.get(PriceListMapping, supplier_id)
    mapping = {k: v for k, v in (data.get("mapping") or (saved.mapping if saved else None) or {}).items() if v}
    if not mapping:
        raise ValidationFailed.field("mapping", "required the first time: which column holds what")
    delimiter = data.get("delimiter") or (saved.delimiter if saved else None)
    threshold = data.get("price_jump_percent") or (saved.price_jump_percent if saved else DEFAULT_PRICE_JUMP)
    return supplier, mapping, delimiter, threshold


def _read_price_list(
    data: dict[str, Any], mapping: dict[str, str], delimiter: str | None
) -> tuple[list[pricelists.Line], list[pricelists.Problem]]:
    if data.get("format") == "xlsx":
        return pricelists.parse_xlsx(data["content"], mapping)
    return pricelists.parse(data["content"], mapping, delimiter)


def assess_price_list(
    uow: UnitOfWork, supplier: Supplier, lines: list[pricelists.Line], threshold: Decimal
) -> PriceListAssessment:
    session = uow.session
    result = PriceListAssessment(lines=len(lines))
    offers = session.execute(
        select(SupplierOffer.supplier_reference, SupplierOffer.article_id, SupplierOffer.purchase_price).where(
            SupplierOffer.supplier_id == supplier.id
        )
    ).all()
    by_reference = {reference: (article_id, price) for reference, article_id, price in offers if reference}
    price_of_article = {article_id: price for _, article_id, price in offers}
    skus = {line.sku for line in lines if line.sku and line.reference not in by_reference}
    eans = {line.ean for line in lines if line.ean and line.reference not in by_reference}
    by_sku = dict(session.execute(select(Article.sku, Article.id).where(Article.sku.in_(skus))).all()) if skus else {}
    by_ean = (
        dict(session.execute(select(Barcode.ean, Barcode.article_id).where(Barcode.ean.in_(eans))).all())
        if eans
        else {}
    )
    for line in lines:
        if line.reference in by_reference:
            article_id, old = by_reference[line.reference]
        else:
            article_id = by_sku.get(line.sku) or by_ean.get(line.ean)
            if article_id is None:
                result.unknown.append(line)
                continue
            old = price_of_article.get(article_id)
            if old is None:
                result.new_offers.append((line, article_id))
                continue
        if old == line.price:
            result.unchanged += 1
            continue
        change = price_change_percent(old, line.price)
        if change is not None and abs(change) > threshold:
            result.jumps.append(
                {
                    "line": line.number,
                    "reference": line.reference,
                    "article_id": article_id,
                    "old_price": old,
                    "new_price": line.price,
                    "change_percent": change,
                }
            )
        result.updates.append((line, article_id, old))
    return result


def _report(assessment: PriceListAssessment, threshold: Decimal, **applied: Any) -> dict[str, Any]:
    return {
        "lines": assessment.lines + len(assessment.problems),
        "readable": assessment.lines,
        "price_changes": len(assessment.updates),
        "unchanged": assessment.unchanged,
        "new_offers": len(assessment.new_offers),
        "unknown": len(assessment.unknown),
        "price_jump_percent": threshold,
        "jumps": assessment.jumps[:REPORT_LIMIT],
        "jump_count": len(assessment.jumps),
        "problems": [problem.__dict__ for problem in assessment.problems[:REPORT_LIMIT]],
        "problem_count": len(assessment.problems),
        "unknown_lines": [
            {"line": line.number, "reference": line.reference, "name": line.name, "sku": line.sku}
            for line in assessment.unknown[:REPORT_LIMIT]
        ],
        **applied,
    }


def preview_price_list(uow: UnitOfWork, supplier_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """What importing this file would do, line by line, without changing anything."""
    supplier, mapping, delimiter, threshold = _price_list_settings(uow, supplier_id, data)
    lines, problems = _read_price_list(data, mapping, delimiter)
    assessment = assess_price_list(uow, supplier, lines, threshold)
    assessment.problems = problems
    return _report(assessment, threshold, applied=False)


_UPDATE_OFFERS = text(
    """
    UPDATE supplier_offers AS o SET purchase_price = v.price, price_updated_at = now(),
        supplier_reference = v.reference, pack_size = COALESCE(v.pack_size, o.pack_size)
    FROM unnest(CAST(:article_ids AS uuid[]), CAST(:prices AS numeric[]), CAST(:references AS text[]),
                CAST(:pack_sizes AS integer[])) AS v(article_id, price, reference, pack_size)
    WHERE o.article_id = v.article_id AND o.supplier_id = :supplier_id AND o.tenant_id = :tenant_id
    """
)
_INSERT_OFFERS = text(
    """
    INSERT INTO supplier_offers (tenant_id, article_id, supplier_id, supplier_reference, purchase_price, pack_size,
                                 preferred)
    SELECT :tenant_id, v.article_id, :supplier_id, v.reference, v.price, COALESCE(v.pack_size, 1),
           NOT EXISTS (SELECT 1 FROM supplier_offers p WHERE p.article_id = v.article_id AND p.preferred)
    FROM unnest(CAST(:article_ids AS uuid[]), CAST(:prices AS numeric[]), CAST(:references AS text[]),
                CAST(:pack_sizes AS integer[])) AS v(article_id, price, reference, pack_size)
    """
)
_PRICE_HISTORY = text(
    """
    INSERT INTO price_changes (tenant_id, article_id, supplier_id, kind, old_price, new_price, source)
    SELECT :tenant_id, v.article_id, :supplier_id, 'purchase', v.old, v.price, 'price_list'
    FROM unnest(CAST(:article_ids AS uuid[]), CAST(:olds AS numeric[]), CAST(:prices AS numeric[]))
        AS v(article_id, old, price)
    """
)
_PREFERRED_PRICES = text(
    """
    UPDATE articles AS a SET purchase_price = o.purchase_price, supplier_id = o.supplier_id
    FROM unnest(CAST(:article_ids AS uuid[])) AS t(article_id)
    JOIN supplier_offers o ON o.article_id = t.article_id AND o.supplier_id = :supplier_id AND o.preferred
    WHERE a.id = t.article_id AND a.tenant_id = :tenant_id
      AND (a.purchase_price IS DISTINCT FROM o.purchase_price OR a.supplier_id IS DISTINCT FROM o.supplier_id)
    RETURNING a.id, a.sku, a.name, a.sale_price, a.vat_rate, a.purchase_price
    """
)


def _offer_arrays(rows: list[tuple[pricelists.Line, uuid.UUID]]) -> dict[str, list[Any]]:
    return {
        "article_ids": [article_id for _, article_id in rows],
        "prices": [line.price for line, _ in rows],
        "references": [line.reference for line, _ in rows],
        "pack_sizes": [line.pack_size for line, _ in rows],
    }


def apply_price_list(uow: UnitOfWork, supplier_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Import the file in one transaction: reprice the supplier's offers (each change in
    the price history), add the offers of articles found by SKU or barcode, create the
    unknown articles or skip them (``unknown``), apply the price jumps only when accepted;
    articles whose preferred offer moved announce ``article_price_changed``. The mapping
    is saved for the supplier's next list. Bad lines are skipped and reported."""
    supplier, mapping, delimiter, threshold = _price_list_settings(uow, supplier_id, data)
    lines, problems = _read_price_list(data, mapping, delimiter)
    assessment = assess_price_list(uow, supplier, lines, threshold)
    assessment.problems = problems
    params = {"tenant_id": uow.tenant_id, "supplier_id": supplier.id}
    jumped = {jump["line"] for jump in assessment.jumps} if not data["accept_price_jumps"] else set()
    updates = [(line, article_id, old) for line, article_id, old in assessment.updates if line.number not in jumped]
    session = uow.session
    if updates:
        session.execute(_UPDATE_OFFERS, {**params, **_offer_arrays([(line, a) for line, a, _ in updates])})
    new_offers = list(assessment.new_offers)
    created = 0
    if data["unknown"] == "create":
        created_offers = _create_articles(uow, supplier, assessment)
        new_offers += created_offers
        created = len(created_offers)
    if new_offers:
        session.execute(_INSERT_OFFERS, {**params, **_offer_arrays(new_offers)})
    history = [(a, old, line.price) for line, a, old in updates] + [(a, None, line.price) for line, a in new_offers]
    if history:
        session.execute(
            _PRICE_HISTORY,
            {
                **params,
                "article_ids": [h[0] for h in history],
                "olds": [h[1] for h in history],
                "prices": [h[2] for h in history],
            },
        )
    touched = [h[0] for h in history]
    changed_at = datetime.now(UTC)
    for row in session.execute(_PREFERRED_PRICES, {**params, "article_ids": touched}).all() if touched else []:
        uow.emit(
            events.ARTICLE_PRICE_CHANGED,
            {
                "article_id": row.id,
                "sku": row.sku,
                "name": row.name,
                "sale_price": row.sale_price,
                "vat_rate": row.vat_rate,
                "purchase_price": row.purchase_price,
                "changed_at": changed_at,
            },
        )
    saved = session.get(PriceListMapping, supplier.id)
    if saved is None:
        saved = PriceListMapping(supplier_id=supplier.id)
        session.add(saved)
    saved.mapping, saved.delimiter, saved.price_jump_percent = mapping, delimiter or "", threshold
    session.flush()
    return _report(
        assessment,
        threshold,
        applied=True,
        repriced=len(updates),
        offers_added=len(new_offers) - created,
        articles_created=created,
        skipped_jumps=len(jumped),
    )


def _create_articles(
    uow: UnitOfWork, supplier: Supplier, assessment: PriceListAssessment
) -> list[tuple[pricelists.Line, uuid.UUID]]:
    """Unknown references as new articles (SKU: the file's, else the supplier's reference),
    priced at the file's retail price; a line that cannot make one becomes a problem."""
    wanted = {(line.sku or line.reference): line for line in assessment.unknown}
    taken = set(uow.session.scalars(select(Article.sku).where(Article.sku.in_(wanted)))) if wanted else set()
    made: list[tuple[pricelists.Line, uuid.UUID]] = []
    for sku, line in wanted.items():
        missing = "name" if not line.name else "retail_price" if line.retail_price is None else None
        if missing or sku in taken:
            message = f"no {missing} to create the article" if missing else f"SKU {sku} is another article's"
            assessment.problems.append(pricelists.Problem(line.number, line.reference, missing or "sku", message))
            continue
        article = Article(
            id=uuid.uuid4(),
            sku=sku,
            name=line.name,
            sale_price=line.retail_price,
            vat_rate=Decimal("20.00"),
            purchase_price=line.price,
            supplier_id=supplier.id,
            kind="product",
        )
        uow.session.add(article)
        made.append((line, article.id))
    uow.session.flush()
    for line, article_id in made:
        uow.emit(
            events.ARTICLE_CREATED,
            {
                "article_id": article_id,
                "sku": line.sku or line.reference,
                "name": line.name,
                "sale_price": line.retail_price,
                "vat_rate": Decimal("20.00"),
                "supplier_id": supplier.id,
            },
        )
    return made


def price_history(uow: UnitOfWork, article_id: uuid.UUID, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """An article's price changes, newest first, with the supplier's name for purchase prices."""
    _article(uow, article_id)
    statement = (
        select(PriceChange, Supplier.name)
        .outerjoin(Supplier, Supplier.id == PriceChange.supplier_id)
        .where(PriceChange.article_id == article_id)
    )
    found = read_page(uow.session, statement, (PriceChange.id,), page, descending=True)
    return Page(
        [
            {**{c.key: getattr(change, c.key) for c in PriceChange.__table__.columns}, "supplier_name": name}
            for change, name in found.items
        ],
        found.next,
    )


# --- purchase order documents ----------------------------------------------------------------


def purchase_order_pdf(uow: UnitOfWork, order_id: uuid.UUID, company_name: str) -> tuple[dict[str, Any], bytes]:
    """The order as the supplier receives it: a PDF (French formats), and the order."""
    order = get_purchase_order(uow, order_id)
    supplier = uow.session.get(Supplier, order["supplier_id"])
    total = sum((line["unit_price"] * line["quantity"] for line in order["lines"] if line["unit_price"]), Decimal("0"))
    pdf = documents.render_pdf(
        "inventory",
        "purchase_order.html",
        company=documents.Company(company_name),
        order=order,
        supplier_email=supplier.email,
        total=total,
    )
    return order, pdf


def email_purchase_order(
    uow: UnitOfWork, order_id: uuid.UUID, company_name: str, mailer: mail.Mailer
) -> dict[str, Any]:
    """Send the order's PDF to the supplier's address, then record when (sent again on
    request: each sending moves ``emailed_at``). Sent before the record commits: were the
    commit to fail, the supplier would have the order and the screen would offer to send
    it again — never the reverse, an order marked sent that no one received."""
    order, pdf = purchase_order_pdf(uow, order_id, company_name)
    supplier = uow.session.get(Supplier, order["supplier_id"])
    if not supplier.email:
        raise ValidationFailed.field("supplier_id", "the supplier has no e-mail address to send the order to")
    mailer.send(
        mail.Message(
            to=supplier.email,
            subject=f"Bon de commande {order['number']} — {company_name}",
            body=(
                f"Bonjour,\n\nVeuillez trouver ci-joint notre bon de commande {order['number']}.\n\n"
                f"Cordialement,\n{company_name}\n"
            ),
            attachments=(mail.Attachment(f"{order['number']}.pdf", "application/pdf", pdf),),
        )
    )
    record = uow.session.get(PurchaseOrder, order_id)
    record.emailed_at = uow.now()
    uow.session.flush()
    return get_purchase_order(uow, order_id)
