"""Till tables: local read copies of the catalogue, shops and customers; the tickets (sales
and refunds, numbered and hash-chained per shop) and the cash sessions they belong to."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, Numeric, String, func
from sqlalchemy.dialects.postgresql import JSONB
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
    category: Mapped[str | None] = mapped_column(String(200))
    purchase_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))


class CustomerCopy(TenantScoped, Base):
    """pos's copy of a customer file, kept from ``customer_created`` / ``customer_updated``."""

    __tablename__ = "customers"

    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    # What an invoice names of the buyer (French mentions, Factur-X).
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    siren: Mapped[str | None] = mapped_column(String(9))
    vat_number: Mapped[str | None] = mapped_column(String(20))


class Shop(TenantScoped, Base):
    """pos's copy of the inventory locations of kind ``shop``: where tills stand."""

    __tablename__ = "shops"

    location_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    # The till's journal: the last ticket's number and hash (each ticket, sale or refund,
    # takes the next number and chains to the last hash, with this row locked).
    last_ticket_number: Mapped[int] = mapped_column(default=0)
    last_ticket_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    last_session_number: Mapped[int] = mapped_column(default=0)
    # The shop's open cash session, kept with this row locked by whoever opens or closes one,
    # so that taking a ticket number (an UPDATE of this row) also says which session the
    # ticket goes to, as of the moment the lock was granted. NULL: none open, or not recorded
    # yet (shops from before migration 0010): a ticket then looks in cash_sessions.
    # No foreign key: cash_sessions already refers to this table.
    open_cash_session_id: Mapped[uuid.UUID | None] = mapped_column()


class CashSession(TenantScoped, Base):
    """A till's day: opened with a float, closed with the amounts counted per method."""

    __tablename__ = "cash_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.location_id"))
    number: Mapped[int]
    opening_float: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    opened_by: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counted: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # {method: "amount"}
    expected: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # {method: "amount"}, cash with the float


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
    number: Mapped[int | None]  # the ticket's number at its shop (sales before the journal have none)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    cash_session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cash_sessions.id"))
    customer_id: Mapped[uuid.UUID | None]
    cart_discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    discount_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    change_given: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))

    lines: Mapped[list[SaleLine]] = relationship(order_by="SaleLine.position", lazy="selectin")
    payments: Mapped[list[SalePayment]] = relationship(order_by="SalePayment.position", lazy="selectin")
    vat_lines: Mapped[list[SaleVat]] = relationship(order_by="SaleVat.rate", lazy="selectin")


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
    catalogue_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    category: Mapped[str | None] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    register_on_pool_id: Mapped[uuid.UUID | None]


class SaleVat(TenantScoped, Base):
    """A ticket's VAT per rate: its lines' total at that rate and the VAT it contains."""

    __tablename__ = "sale_vat"

    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), primary_key=True)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    @property
    def base(self) -> Decimal:
        return self.total - self.vat


class SalePayment(TenantScoped, Base):
    __tablename__ = "sale_payments"

    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reference: Mapped[str | None] = mapped_column(String(100))


class Refund(TenantScoped, Base):
    """A refund (or the return half of an exchange) of a ticket: itself a ticket of the
    journal, never an edit of the sale."""

    __tablename__ = "refunds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.location_id"))
    cash_session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cash_sessions.id"))
    customer_id: Mapped[uuid.UUID | None]
    number: Mapped[int]
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(String(500))
    cashier_id: Mapped[str | None] = mapped_column(String(100))
    refunded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[RefundLine]] = relationship(order_by="RefundLine.position", lazy="selectin")
    payments: Mapped[list[RefundPayment]] = relationship(order_by="RefundPayment.position", lazy="selectin")
    vat_lines: Mapped[list[RefundVat]] = relationship(order_by="RefundVat.rate", lazy="selectin")


class RefundLine(TenantScoped, Base):
    __tablename__ = "refund_lines"

    refund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("refunds.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    sale_line_position: Mapped[int]
    article_id: Mapped[uuid.UUID]
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    category: Mapped[str | None] = mapped_column(String(200))


class RefundVat(TenantScoped, Base):
    __tablename__ = "refund_vat"

    refund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("refunds.id"), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), primary_key=True)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    @property
    def base(self) -> Decimal:
        return self.total - self.vat


class RefundPayment(TenantScoped, Base):
    """Money given back: cash, card, or a voucher / the customer's account (a credit)."""

    __tablename__ = "refund_payments"

    refund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("refunds.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reference: Mapped[str | None] = mapped_column(String(100))  # the voucher given, for ``voucher``


class Voucher(TenantScoped, Base):
    """A voucher (bon d'achat): money a refund gave back as credit, spent at the till by its code."""

    __tablename__ = "vouchers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    remaining: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    customer_id: Mapped[uuid.UUID | None]
    refund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refunds.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- billing ---------------------------------------------------------------------------------


class BillingSettings(TenantScoped, Base):
    """The company as its invoices and tickets show it (letterhead, legal mentions), its
    payment terms, and the till's discount limit. One row per company, made on first use."""

    __tablename__ = "billing_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[list[str]] = mapped_column(JSONB, default=list)
    siren: Mapped[str] = mapped_column(String(20), default="")
    siret: Mapped[str] = mapped_column(String(20), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    legal_form: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    late_payment_terms: Mapped[str] = mapped_column(String(500), default="")
    discount_limit: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("10.00"))
    labour_rate: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("55.00"))  # per hour, without VAT
    travel_rate: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.60"))  # per km, without VAT
    service_vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20.00"))
    version: Mapped[int] = mapped_column(default=1)


class InvoiceCounter(TenantScoped, Base):
    """The last number given in a series: taken with its row locked, in the issuing transaction."""

    __tablename__ = "invoice_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int]


class Invoice(TenantScoped, Base):
    """An invoice, a deposit invoice (a construction payment request) or a credit note.

    draft → checked → issued (numbered) → sent; paid or partially paid as payments come;
    overdue when its due date has passed with a balance left (read, not stored)."""

    __tablename__ = "invoices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))  # invoice | deposit | credit_note
    status: Mapped[str] = mapped_column(String(20), default="draft")
    series: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[uuid.UUID]
    customer_name: Mapped[str] = mapped_column(String(300))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(30))  # manual | sale | intervention | payment_request
    source_key: Mapped[str | None] = mapped_column(String(200))  # what it was made from, once
    sale_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sales.id"))
    project_id: Mapped[uuid.UUID | None]
    order_id: Mapped[uuid.UUID | None]
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    credited_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_incl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    credited_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    notes: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    issued_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_to: Mapped[str | None] = mapped_column(String(320))
    overdue_announced_on: Mapped[date | None] = mapped_column(Date)  # invoice_overdue published, once
    version: Mapped[int] = mapped_column(default=1)

    lines: Mapped[list[InvoiceLine]] = relationship(order_by="InvoiceLine.position", lazy="selectin")
    vat_lines: Mapped[list[InvoiceVat]] = relationship(order_by="InvoiceVat.rate", lazy="selectin")
    payments: Mapped[list[InvoicePayment]] = relationship(order_by="InvoicePayment.received_at", lazy="selectin")

    @property
    def balance(self) -> Decimal:
        return self.total_incl_vat - self.paid_total - self.credited_total


class InvoiceLine(TenantScoped, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[uuid.UUID | None]
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class InvoiceVat(TenantScoped, Base):
    __tablename__ = "invoice_vat"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), primary_key=True)
    base: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    @property
    def total(self) -> Decimal:
        return self.base + self.vat


class InvoicePayment(TenantScoped, Base):
    __tablename__ = "invoice_payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    customer_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(100))
    received_on: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
