"""customers tables. Every tenant-owned model mixes in ``TenantScoped``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bassin_common.tenancy import TenantScoped


class Base(DeclarativeBase):
    pass


class Customer(TenantScoped, Base):
    """A customer file (fiche client): a private person or a company."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    sort_name: Mapped[str] = mapped_column(String(200))  # folded: the list's order
    siren: Mapped[str | None] = mapped_column(String(9))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    emails: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{address, label}]
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{number, label}]
    preferred_channel: Mapped[str | None] = mapped_column(String(10))
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    billing_line1: Mapped[str] = mapped_column(String(200))
    billing_line2: Mapped[str | None] = mapped_column(String(200))
    billing_postcode: Mapped[str] = mapped_column(String(10))
    billing_city: Mapped[str] = mapped_column(String(100))
    billing_country: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(20))
    salesperson_id: Mapped[uuid.UUID | None]
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Site(TenantScoped, Base):
    """Where a customer's pool is: an address and how to get in."""

    __tablename__ = "sites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    label: Mapped[str] = mapped_column(String(100))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    access_notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TimelineEntry(TenantScoped, Base):
    """One line of a customer's timeline: a note, a call, a sale, an intervention, a quote..."""

    __tablename__ = "timeline_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(100))


class SearchTerm(TenantScoped, Base):
    """One word a customer is found by (folded: no accents, lower case), compared by prefix
    through a b-tree in the "C" collation; an equipment's serial number names its equipment."""

    __tablename__ = "search_terms"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    term: Mapped[str] = mapped_column(String(60, collation="C"))
    sort_name: Mapped[str] = mapped_column(String(200))  # the customer's, for the list's order
    equipment_id: Mapped[uuid.UUID | None]


class Pool(TenantScoped, Base):
    """A pool at a site: its shape and dimensions give its volume, unless one was measured."""

    __tablename__ = "pools"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(100))
    pool_type: Mapped[str] = mapped_column(String(40))
    shape: Mapped[str] = mapped_column(String(20))
    length_m: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    width_m: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    mean_depth_m: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    computed_volume_m3: Mapped[Decimal] = mapped_column(Numeric(7, 1))
    volume_override_m3: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    coating: Mapped[str] = mapped_column(String(20))
    filtration: Mapped[str] = mapped_column(String(20))
    treatment: Mapped[str] = mapped_column(String(20))
    heating: Mapped[str | None] = mapped_column(String(60))
    cover: Mapped[str | None] = mapped_column(String(60))
    safety_device: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def volume_m3(self) -> Decimal:
        return self.volume_override_m3 if self.volume_override_m3 is not None else self.computed_volume_m3


class Equipment(TenantScoped, Base):
    """A piece of equipment of a pool; a replaced one stays, pointing to its successor."""

    __tablename__ = "equipment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id"))
    category: Mapped[str] = mapped_column(String(30))
    brand: Mapped[str] = mapped_column(String(60))
    brand_key: Mapped[str] = mapped_column(String(60))  # folded, for uniqueness
    model: Mapped[str] = mapped_column(String(100))
    serial_number: Mapped[str | None] = mapped_column(String(60))
    serial_key: Mapped[str | None] = mapped_column(String(60))  # folded, without separators
    supplier: Mapped[str | None] = mapped_column(String(100))
    installed_on: Mapped[date]
    purchase_document: Mapped[str | None] = mapped_column(String(100))
    warranty_months: Mapped[int]
    warranty_ends_on: Mapped[date]
    lifetime_years: Mapped[int]
    end_of_life_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="in_service")
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("equipment.id"))
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("equipment.id"))
    out_of_service_on: Mapped[date | None]
    end_of_life_notified_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EquipmentLifetime(TenantScoped, Base):
    """A tenant's own expected lifetime for a category of equipment (DOMAIN.md's otherwise)."""

    __tablename__ = "equipment_lifetimes"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    years: Mapped[int]


class Article(TenantScoped, Base):
    """The company's catalogue as inventory announces it (a copy): what water products and
    quote lines name."""

    __tablename__ = "articles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    sale_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # VAT included
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class WaterProduct(TenantScoped, Base):
    """Which of the company's articles does a job on the water (pH minus, shock...), and how
    much of it moves its parameter by one unit in one m³ (the trade's figure when null)."""

    __tablename__ = "water_products"

    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    article_id: Mapped[uuid.UUID]
    unit: Mapped[str] = mapped_column(String(5))
    dose: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))


class WaterTarget(TenantScoped, Base):
    """A company's own target range for one parameter, for a coating and a treatment
    ("*": any), over the trade's defaults."""

    __tablename__ = "water_targets"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    parameter: Mapped[str] = mapped_column(String(30), primary_key=True)
    coating: Mapped[str] = mapped_column(String(20), primary_key=True)
    treatment: Mapped[str] = mapped_column(String(20), primary_key=True)
    low: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    high: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    aim: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))


class WaterAnalysis(TenantScoped, Base):
    """One analysis of a pool's water, as assessed when recorded (targets, LSI, advice)."""

    __tablename__ = "water_analyses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))
    volume_m3: Mapped[Decimal] = mapped_column(Numeric(7, 1))
    readings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # parameter, value, level, low, high
    lsi: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    balance: Mapped[str | None] = mapped_column(String(20))
    problems: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    recommendation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class Lead(TenantScoped, Base):
    """A prospect's request, from the first contact to an order or a loss."""

    __tablename__ = "leads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    subject: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))
    contacted_on: Mapped[date]
    salesperson_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    lost_reason: Mapped[str | None] = mapped_column(String(500))
    next_follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Quote(TenantScoped, Base):
    """One version of a quote (devis); a revision is a new row of the same number."""

    __tablename__ = "quotes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(30))
    version: Mapped[int]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    valid_until: Mapped[date]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_incl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    pool: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    payment_schedule: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    promised_filling_date: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Order(TenantScoped, Base):
    """An accepted quote: what the company now owes the customer. One per quote."""

    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id"), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(20))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_incl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class Contract(TenantScoped, Base):
    """A maintenance contract (contrat d'entretien): a formula for a period, renewed or not."""

    __tablename__ = "contracts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    pool_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pools.id"))
    formula: Mapped[str] = mapped_column(String(100))
    includes_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    includes_closing: Mapped[bool] = mapped_column(Boolean, default=False)
    visits_per_season: Mapped[int] = mapped_column(default=0)
    included_products: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    price_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    tacit_renewal: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    expiry_notified_for: Mapped[date | None]  # the end date whose notice was sent
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
