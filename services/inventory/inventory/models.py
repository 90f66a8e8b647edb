"""Inventory tables. Every row belongs to a tenant (``TenantScoped``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bassin_common.tenancy import TenantScoped


class Base(DeclarativeBase):
    pass


class Location(TenantScoped, Base):
    """Where stock is kept: the shop, a warehouse (dépôt), a technician's van."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))


class Supplier(TenantScoped, Base):
    __tablename__ = "suppliers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))  # where purchase orders are sent


class Category(TenantScoped, Base):
    """A node of the catalogue's tree (the till's product tree): ``path`` is its names from
    the root, joined by " / ", the order the tree is read in."""

    __tablename__ = "categories"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1000))
    depth: Mapped[int] = mapped_column(default=0)


class Article(TenantScoped, Base):
    """A catalogue item: a product (stocked or not) or a standard service (prestation)."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("tenant_id", "sku"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    # The preferred supplier and its purchase price, copied from the preferred offer.
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suppliers.id"))
    purchase_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    sale_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("categories.id"))
    brand: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(10), default="piece", server_default="piece")
    kind: Mapped[str] = mapped_column(String(10), default="product", server_default="product")
    stocked: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    duration_minutes: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    price_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Barcode(TenantScoped, Base):
    """An EAN/GTIN of an article: one article per code in a company."""

    __tablename__ = "article_barcodes"

    ean: Mapped[str] = mapped_column(String(14), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"))


class SupplierOffer(TenantScoped, Base):
    """What one supplier sells an article for, under its own reference; one is preferred."""

    __tablename__ = "supplier_offers"

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"), primary_key=True)
    supplier_reference: Mapped[str | None] = mapped_column(String(60))
    purchase_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    pack_size: Mapped[int] = mapped_column(default=1, server_default="1")
    lead_time_days: Mapped[int | None]
    preferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    price_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ServicePart(TenantScoped, Base):
    """A part a standard service uses by default (an opening: a bag of chlore choc...)."""

    __tablename__ = "service_parts"

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    quantity: Mapped[int]


class PriceChange(TenantScoped, Base):
    """The price history: one row per change of a sale or purchase price, never edited."""

    __tablename__ = "price_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"))
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suppliers.id"))
    kind: Mapped[str] = mapped_column(String(10))  # sale | purchase
    old_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    new_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    source: Mapped[str] = mapped_column(String(20))  # created | edit | price_list
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StockLevel(TenantScoped, Base):
    """Quantity of one article at one location, with the thresholds that drive reorders."""

    __tablename__ = "stock_levels"

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    quantity: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    minimum: Mapped[int] = mapped_column(default=0)
    maximum: Mapped[int] = mapped_column(default=0)
    # The version of what a person edits (the thresholds), raised by each such edit: the
    # level's ETag. Sales and receipts move the quantity without touching it, so an edit
    # is refused only when another edit came first, not whenever the till sold something.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class StockMovement(TenantScoped, Base):
    """The ledger: one row per change of a stock level, never updated nor deleted."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    delta: Mapped[int]
    quantity_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupplierBasketLine(TenantScoped, Base):
    """What the buyer is about to order; one open line per supplier, article and location."""

    __tablename__ = "supplier_basket_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suppliers.id"))
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="open")
    purchase_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("purchase_orders.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Counter(TenantScoped, Base):
    """A company's numbering (purchase orders): the last number given, taken under lock."""

    __tablename__ = "counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    last: Mapped[int]


class PurchaseOrder(TenantScoped, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(20))
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"))
    status: Mapped[str] = mapped_column(String(20), default="sent")  # sent | partially_received | received
    expected_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(100))  # the user id, as the context gives it
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PurchaseOrderLine(TenantScoped, Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    purchase_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_orders.id"))
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0, server_default="0")
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    supplier_reference: Mapped[str | None] = mapped_column(String(60))


class Receipt(TenantScoped, Base):
    __tablename__ = "receipts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    purchase_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_orders.id"))
    delivery_note: Mapped[str | None] = mapped_column(String(60))
    lines: Mapped[list] = mapped_column(JSON)  # [{article_id, location_id, quantity}]
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StockCount(TenantScoped, Base):
    """An inventory (inventaire) of some articles at one location, applied when recorded."""

    __tablename__ = "stock_counts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    note: Mapped[str | None] = mapped_column(String(300))
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    lines: Mapped[list] = mapped_column(JSON)  # [{article_id, expected, counted, variance}]


class PriceListMapping(TenantScoped, Base):
    """How a supplier's price list reads: which column holds what, saved for next season."""

    __tablename__ = "price_list_mappings"

    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"), primary_key=True)
    mapping: Mapped[dict] = mapped_column(JSON)
    delimiter: Mapped[str] = mapped_column(String(1))
    price_jump_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
