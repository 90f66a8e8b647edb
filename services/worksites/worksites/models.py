"""Worksites tables. Every row belongs to a tenant (``TenantScoped``).

A template's steps, a project's pool and payment schedule are documents edited as a whole
and read whole: JSONB columns, with decimals as strings (the wire form)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bassin_common.tenancy import TenantScoped


class Base(DeclarativeBase):
    pass


class DefaultsInstalled(TenantScoped, Base):
    """The company got the default pool types once (and may have deleted or edited them since)."""

    __tablename__ = "defaults_installed"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (UniqueConstraint("tenant_id"),)


class KnownArticle(TenantScoped, Base):
    """inventory's catalogue articles (from ``article_created``): what a template's material may name."""

    __tablename__ = "known_articles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))


class KnownLocation(TenantScoped, Base):
    """inventory's stock locations (from ``location_created``): where a project's materials come from."""

    __tablename__ = "known_locations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))


class KnownCustomer(TenantScoped, Base):
    """customers' customer file, the little worksites shows (``customer_created``/``_updated``):
    a name and an address, on a crew's week and on the handover report."""

    __tablename__ = "known_customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(300))
    address: Mapped[dict[str, Any]] = mapped_column(JSONB)


class PoolType(TenantScoped, Base):
    """A pool the company builds (shape, size, structure) and its construction template."""

    __tablename__ = "pool_types"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    structure: Mapped[str] = mapped_column(String(30))
    shape: Mapped[str] = mapped_column(String(30))
    length_m: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    width_m: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    mean_depth_m: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(default=1)


class Crew(TenantScoped, Base):
    """An internal team or a subcontractor, its skills and when it is not available."""

    __tablename__ = "crews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # internal, subcontractor
    skills: Mapped[list[str]] = mapped_column(JSONB)
    unavailable: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{from, to, reason}]
    version: Mapped[int] = mapped_column(default=1)


class Project(TenantScoped, Base):
    """A pool construction, from a confirmed construction order."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("tenant_id", "order_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    quote_id: Mapped[uuid.UUID | None]
    customer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    site_id: Mapped[uuid.UUID | None]
    pool_type_code: Mapped[str] = mapped_column(String(40))
    pool: Mapped[dict[str, Any]] = mapped_column(JSONB)
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_incl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    payment_schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    promised_filling_date: Mapped[date | None] = mapped_column(Date)
    start_on: Mapped[date | None] = mapped_column(Date)  # planned start (None: not planned)
    location_id: Mapped[uuid.UUID | None]  # the stock location its materials come from
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, in_progress, completed
    handover_on: Mapped[date | None] = mapped_column(Date)
    reserves: Mapped[list[str] | None] = mapped_column(JSONB)
    equipment: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    # The version of what the office edits (PUT: schedule, location, promise): its ETag.
    # Planning and the site move the steps without touching it, so an edit is refused only
    # when another edit came first, not whenever a step started.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Task(TenantScoped, Base):
    """A step of a project, instantiated from its pool type's template."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    duration_days: Mapped[int]
    depends_on: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    skill: Mapped[str | None] = mapped_column(String(30))
    sub_steps: Mapped[list[str]] = mapped_column(JSONB)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # scaled for this pool
    order_trigger: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, in_progress, done
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    crew_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("crews.id"), index=True)
    pinned_start: Mapped[date | None] = mapped_column(Date)
    pinned_crew: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    blocked_until: Mapped[date | None] = mapped_column(Date)


class TaskNote(TenantScoped, Base):
    __tablename__ = "task_notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), index=True)
    author: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TaskPhoto(TenantScoped, Base):
    """A photo of a step taken on site (resized by the phone: at most ``MAX_PHOTO_BYTES``)."""

    __tablename__ = "task_photos"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(30))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    caption: Mapped[str] = mapped_column(String(500), default="")
    author: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SeasonProposal(TenantScoped, Base):
    """An auto-plan of the season, shown to the planner: accepted or not, never applied silently."""

    __tablename__ = "season_proposals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed, accepted, superseded
    season_start: Mapped[date] = mapped_column(Date)
    assignments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # [{task_id, start, end, crew_id}]
    projects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # [{project_id, filling_date, lateness_days}]
    total_lateness_days: Mapped[int]
    solver: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
