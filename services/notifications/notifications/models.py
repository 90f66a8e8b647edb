"""notifications tables. Every tenant-owned model mixes in ``TenantScoped``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

from bassin_common.tenancy import TenantScoped


class Base(DeclarativeBase):
    pass


class TenantSettings(TenantScoped, Base):
    """One row per company: its e-mail sender, and whether its default rules were installed
    (once: a manager who deletes a default does not see it come back)."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), default="")
    sender_name: Mapped[str | None] = mapped_column(String(200))
    sender_email: Mapped[str | None] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class KnownTenant(Base):
    """The companies this service has seen, for the scheduler to run each job for each one.
    Not tenant data (only ids): read without a tenant."""

    __tablename__ = "known_tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Rule(TenantScoped, Base):
    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(60))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    delay_days: Mapped[int] = mapped_column(default=0)
    delay_from: Mapped[str | None] = mapped_column(String(60))
    due_in_days: Mapped[int] = mapped_column(default=0)
    cancelled_by: Mapped[str | None] = mapped_column(String(60))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    title_template: Mapped[str] = mapped_column(Text)
    message_template: Mapped[str] = mapped_column(Text, default="")
    link_template: Mapped[str | None] = mapped_column(String(300))
    assign_to_field: Mapped[str | None] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Action(TenantScoped, Base):
    """An action to take (``action à mener``), in a user's or a role's inbox."""

    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("tenant_id", "dedup_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dedup_key: Mapped[str] = mapped_column(String(300))
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[uuid.UUID | None]
    customer_name: Mapped[str | None] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10))
    source_event_type: Mapped[str] = mapped_column(String(60))
    source_ref: Mapped[str] = mapped_column(String(300))  # the trigger and the thing it is about
    link: Mapped[str | None] = mapped_column(String(300))
    assignee_role: Mapped[str | None] = mapped_column(String(20))
    assignee_user_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class PendingTrigger(TenantScoped, Base):
    """A rule that fires later (``delay_days``): kept until its day, then fired by the
    follow-up scan, or cancelled by the event that makes it moot (a quote sent)."""

    __tablename__ = "pending_triggers"
    __table_args__ = (UniqueConstraint("tenant_id", "dedup_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dedup_key: Mapped[str] = mapped_column(String(300))
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_ref: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Customer(TenantScoped, Base):
    """Notifications' copy of what it needs of a customer: name, addresses, consent."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False)


class Contract(TenantScoped, Base):
    """Copy of the maintenance contracts (``contract_signed``), for the seasonal campaigns."""

    __tablename__ = "contracts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    formula: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Delivery(TenantScoped, Base):
    """A message to send (e-mail, SMS, partner webhook), its status and its attempts."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("tenant_id", "dedup_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dedup_key: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None]
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source_event_type: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    give_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeliveryAttempt(TenantScoped, Base):
    """The delivery log: one row per try."""

    __tablename__ = "delivery_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DueDelivery(Base):
    """Which deliveries are waiting, across companies: what the sender polls (ids and a
    time only; the delivery itself is read in its company's transaction)."""

    __tablename__ = "due_deliveries"

    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    company: Mapped[uuid.UUID] = mapped_column(Uuid)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Partner(TenantScoped, Base):
    """A manufacturer receiving its own brand's warranty returns: by signed webhook and/or
    on its own AMQP queue."""

    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("tenant_id", "brand"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    brand: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    amqp_queue: Mapped[str | None] = mapped_column(String(200))  # its own queue, when on AMQP
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class JobRun(Base):
    """The scheduler's ledger: each daily job, for each day, once it ran for every company.
    A day missing here (the scheduler was down) is run on its next start (``missed_days``)."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
