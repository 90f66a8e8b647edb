"""sav tables. Every tenant-owned model mixes in ``TenantScoped``.

The local copies (``customers``, ``equipment``, ``contracts``, ``handovers``) are what SAV
keeps of the customers and worksites services' events, so that a ticket opens, with its
warranty status, even when those services are down; they are keyed by the producer's ids.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, Time, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bassin_common.tenancy import TenantScoped


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- local copies ---------------------------------------------------------------------------


class Customer(TenantScoped, Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    email_consent: Mapped[bool] = mapped_column(default=False)


class Equipment(TenantScoped, Base):
    __tablename__ = "equipment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    pool_id: Mapped[uuid.UUID | None]
    category: Mapped[str] = mapped_column(String(40))
    brand: Mapped[str] = mapped_column(String(120))
    model: Mapped[str] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(120))
    installed_on: Mapped[date | None] = mapped_column(Date)
    warranty_ends_on: Mapped[date | None] = mapped_column(Date)
    replaced_by: Mapped[uuid.UUID | None]


class Contract(TenantScoped, Base):
    __tablename__ = "contracts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    formula: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    tacit_renewal: Mapped[bool] = mapped_column(default=False)


class Handover(TenantScoped, Base):
    """A pool the company built and handed over (worksites' ``project_completed``)."""

    __tablename__ = "handovers"

    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    site_id: Mapped[uuid.UUID | None]
    handover_on: Mapped[date] = mapped_column(Date)
    serial_numbers: Mapped[list[Any]] = mapped_column(default=list)


class Location(TenantScoped, Base):
    """Inventory's stock locations (``location_created``): a technician's van is one."""

    __tablename__ = "locations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))


class Article(TenantScoped, Base):
    """Inventory's catalogue articles (``article_created``): the parts a slip names."""

    __tablename__ = "articles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))


# --- tickets ---------------------------------------------------------------------------------


class Counter(TenantScoped, Base):
    """The last number given per tenant and series (tickets per year): gapless, locked."""

    __tablename__ = "counters"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Ticket(TenantScoped, Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID]
    pool_id: Mapped[uuid.UUID | None]
    equipment_id: Mapped[uuid.UUID | None]
    category: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    covered_by: Mapped[str] = mapped_column(String(30))
    coverage_reason: Mapped[str] = mapped_column(Text)
    covered_until: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The answers to the category's question tree: {tree_id, answers, complete, service_code, parts}
    qualification: Mapped[dict[str, Any] | None] = mapped_column()
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("standard_services.id"))  # planned visits


class MaintenancePlan(TenantScoped, Base):
    """What a maintenance contract formula brings each year: [{service_code, month}]."""

    __tablename__ = "maintenance_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    formula: Mapped[str] = mapped_column(String(120))
    visits: Mapped[list[Any]] = mapped_column()


class PlannedVisit(TenantScoped, Base):
    """A visit generated from a contract's plan: one per (contract, service, year, month)."""

    __tablename__ = "planned_visits"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID]
    service_code: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    month: Mapped[int]
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"))


class QuestionTree(TenantScoped, Base):
    """The qualification questions of an equipment category; the newest one of a category is
    the one asked (a ticket keeps the id of the tree it was answered with)."""

    __tablename__ = "question_trees"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    category: Mapped[str] = mapped_column(String(40))
    questions: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- technicians, standard services, interventions ---------------------------------------------


class Technician(TenantScoped, Base):
    __tablename__ = "technicians"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[Any]] = mapped_column(default=list)
    work_starts: Mapped[time] = mapped_column(Time)
    work_ends: Mapped[time] = mapped_column(Time)
    working_days: Mapped[list[Any]] = mapped_column(default=list)
    van_location_id: Mapped[uuid.UUID | None]
    base_latitude: Mapped[float | None]  # where the day starts and ends (the shop, home)
    base_longitude: Mapped[float | None]


class StandardService(TenantScoped, Base):
    """A "prestation type": opening, closing, leak search, heat pump diagnosis…"""

    __tablename__ = "standard_services"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int]
    skill: Mapped[str | None] = mapped_column(String(60))
    checklist: Mapped[list[Any]] = mapped_column(default=list)
    parts: Mapped[list[Any]] = mapped_column(default=list)  # [{article_id, quantity}]


class Intervention(TenantScoped, Base):
    __tablename__ = "interventions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"))
    technician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("technicians.id"))
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("standard_services.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    checklist: Mapped[list[Any]] = mapped_column(default=list)  # [{label, done}]
    report: Mapped[str] = mapped_column(Text, default="")
    labour_minutes: Mapped[int] = mapped_column(default=0)
    travel_km: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    parts: Mapped[list[Any]] = mapped_column(default=list)  # [{article_id, quantity}]
    equipment_changes: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=1)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signature_image: Mapped[str | None] = mapped_column(Text)  # a data: URL (PNG/SVG)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slip_hash: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slip_sent_to: Mapped[str | None] = mapped_column(String(320))
    slip_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    latitude: Mapped[float | None]  # the site
    longitude: Mapped[float | None]
    window_starts: Mapped[time | None] = mapped_column(Time)  # the customer's time window, local
    window_ends: Mapped[time | None] = mapped_column(Time)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())


class WarrantyReturn(TenantScoped, Base):
    """A manufacturer return (RMA) of a part under the manufacturer's warranty."""

    __tablename__ = "warranty_returns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"))
    equipment_id: Mapped[uuid.UUID]
    brand: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    serial_number: Mapped[str] = mapped_column(String(120))
    installed_on: Mapped[date | None] = mapped_column(Date)
    fault_description: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(60))
    proof_of_purchase: Mapped[str] = mapped_column(String(300))  # invoice number or document reference
    status: Mapped[str] = mapped_column(String(20), default="requested")
    history: Mapped[list[Any]] = mapped_column(default=list)  # [{status, note, at}]
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Photo(TenantScoped, Base):
    """A photo of an intervention (the slip's hash covers its fingerprint) or of a return."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    intervention_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interventions.id"))
    return_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warranty_returns.id"))
    caption: Mapped[str] = mapped_column(String(300))
    image: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
