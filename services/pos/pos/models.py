"""Till tables: local read copies of the catalogue and shops, and the sales."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Numeric, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bassin_common.tenancy import TenantScoped


class Base(DeclarativeBase):
    pass


class CatalogueArticle(TenantScoped, Base):
    """pos's copy of an inventory article, kept from ``article_created`` events."""

    __tablename__ = "catalogue_articles"

    article_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    sale_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class Shop(TenantScoped, Base):
    """pos's copy of the inventory locations of kind ``shop``: where tills stand."""

    __tablename__ = "shops"

    location_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))


class Sale(TenantScoped, Base):
    __tablename__ = "sales"
    __table_args__ = (Index("sales_request_id", "tenant_id", "request_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The id of the request that recorded the sale (the till's Idempotency-Key), for tracing.
    # Not unique: the platform de-duplicates requests (processed_requests), for a while.
    request_id: Mapped[str | None] = mapped_column(String(100))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.location_id"))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    cashier_id: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lines: Mapped[list[SaleLine]] = relationship(order_by="SaleLine.position", lazy="selectin")
    payments: Mapped[list[SalePayment]] = relationship(order_by="SalePayment.position", lazy="selectin")


class SaleLine(TenantScoped, Base):
    __tablename__ = "sale_lines"

    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogue_articles.article_id"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class SalePayment(TenantScoped, Base):
    __tablename__ = "sale_payments"

    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
