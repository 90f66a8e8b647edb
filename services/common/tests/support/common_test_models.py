"""Tables and an event of the platform's own tests, belonging to no service.

On pytest's ``pythonpath`` (see the root pyproject.toml), so the tests import them by this
module's name.
"""

from __future__ import annotations

import uuid

from marshmallow import Schema, fields
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import StrictSchema
from bassin_common.tenancy import TenantScoped

PLATFORM_TESTS = "platform_tests"  # the database's name after the test prefix


class Base(DeclarativeBase):
    pass


class Widget(TenantScoped, Base):
    __tablename__ = "widgets"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))


class Gadget(TenantScoped, Base):
    __tablename__ = "gadgets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(100))


class WidgetMade(Schema):
    widget_id = fields.UUID(required=True)
    name = fields.String(required=True)


WIDGET_MADE = EventSpec(
    "widget_made",
    WidgetMade,
    "A widget was made (a test event).",
    example={"widget_id": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22", "name": "W-1"},
)


# The RPC and event schemas of the test services that make widgets (test_service_edge.py,
# test_signed_edge.py).


class WidgetIn(StrictSchema):
    name = fields.String(required=True)


class WidgetOut(StrictSchema):
    id = fields.UUID()
    name = fields.String()


class WidgetOrdered(EventView):
    name = fields.String(required=True)
