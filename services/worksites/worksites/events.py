"""The events worksites publishes, and its view of the one it consumes (docs/dev/event-contracts.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import Money, Percentage

PROJECT, TASK, ORDER = (
    "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b44",
    "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5f55",
    "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e66",
)
CUSTOMER, SITE, QUOTE = (
    "d4c3b2a1-0f9e-4d8c-b7a6-958473625a77",
    "e5f4a3b2-1c0d-4e9f-a8b7-c6d5e4f3a288",
    "f6a5b4c3-2d1e-4f0a-b9c8-d7e6f5a4b399",
)
LOCATION, ARTICLE = "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11", "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"
AT = "2026-04-14T08:05:00+00:00"
POOL_EXAMPLE = {
    "pool_type_code": "BET-R8",
    "shape": "rectangle",
    "length_m": "8.00",
    "width_m": "4.00",
    "mean_depth_m": "1.40",
    "volume_m3": "44.80",
    "coating": "liner 75/100 bleu",
    "filtration": "sable",
    "treatment": "électrolyse au sel",
    "options": ["volet roulant immergé"],
}

# --- published --------------------------------------------------------------------------


class Pool(Schema):
    pool_type_code = fields.String(required=True)
    shape = fields.String(required=True)
    length_m = fields.Decimal(required=True, as_string=True)
    width_m = fields.Decimal(required=True, as_string=True)
    mean_depth_m = fields.Decimal(required=True, as_string=True)
    volume_m3 = fields.Decimal(required=True, as_string=True, allow_none=True)
    coating = fields.String(required=True, allow_none=True)
    filtration = fields.String(required=True, allow_none=True)
    treatment = fields.String(required=True, allow_none=True)
    options = fields.List(fields.String(), required=True)


class ProjectCreated(Schema):
    project_id = fields.UUID(required=True)
    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    site_id = fields.UUID(required=True, allow_none=True)
    pool_type_code = fields.String(required=True)


PROJECT_CREATED = EventSpec(
    "project_created",
    ProjectCreated,
    "A construction order became a worksite project, its template instantiated for this pool.",
    example={
        "project_id": PROJECT,
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "site_id": SITE,
        "pool_type_code": "BET-R8",
    },
)


class TaskEvent(Schema):
    project_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    step_code = fields.String(required=True)
    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True)


TASK_STARTED = EventSpec(
    "task_started",
    TaskEvent,
    "A step of a worksite started (the site manager said so).",
    example={
        "project_id": PROJECT,
        "task_id": TASK,
        "step_code": "structure",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "at": AT,
    },
)


class TaskCompleted(TaskEvent):
    milestone_percent = Percentage(required=True, allow_none=True)
    project_total_excl_vat = Money(required=True)
    project_total_incl_vat = Money(required=True)


TASK_COMPLETED = EventSpec(
    "task_completed",
    TaskCompleted,
    "A step of a worksite is done; when it is a payment milestone, its percent of the order "
    "(pos drafts the payment request from the totals given).",
    example={
        "project_id": PROJECT,
        "task_id": TASK,
        "step_code": "structure",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "at": "2026-04-21T16:30:00+00:00",
        "milestone_percent": "40.00",
        "project_total_excl_vat": "32500.00",
        "project_total_incl_vat": "39000.00",
    },
)


class OrderLine(Schema):
    article_id = fields.UUID(required=True, allow_none=True)
    quantity = fields.Integer(required=True)
    description = fields.String(required=True)
    unit = fields.String(required=True)


class MaterialsOrderDue(Schema):
    project_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    for_task_id = fields.UUID(required=True)
    for_step_code = fields.String(required=True)
    lines = fields.List(fields.Nested(OrderLine), required=True)
    order_by = fields.Date(required=True)


MATERIALS_ORDER_DUE = EventSpec(
    "materials_order_due",
    MaterialsOrderDue,
    "Starting a step triggers ordering another step's materials now (the liner when the structure starts): "
    "an action for the buyer, to order by the date given. ``task_id`` is the step that started; a line "
    "not yet linked to a catalogue article has a null ``article_id`` and its description.",
    example={
        "project_id": PROJECT,
        "task_id": TASK,
        "for_task_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c11",
        "for_step_code": "waterproofing",
        "lines": [{"article_id": ARTICLE, "quantity": 52, "description": "Liner 75/100", "unit": "m2"}],
        "order_by": "2026-04-15",
    },
)


class MaterialLine(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)


class Materials(Schema):
    project_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(MaterialLine), required=True)


MATERIALS_EXAMPLE = {
    "project_id": PROJECT,
    "task_id": TASK,
    "location_id": LOCATION,
    "lines": [{"article_id": ARTICLE, "quantity": 52}],
}
MATERIALS_RESERVED = EventSpec(
    "materials_reserved",
    Materials,
    "A step started: the catalogue articles it consumes are reserved at the project's stock location.",
    example=MATERIALS_EXAMPLE,
)
MATERIALS_CONSUMED = EventSpec(
    "materials_consumed",
    Materials,
    "A step is done: the articles reserved for it left the stock location (inventory takes them out).",
    example=MATERIALS_EXAMPLE,
)


class ProjectBlocked(Schema):
    project_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    reason = fields.String(required=True)
    until = fields.Date(required=True, allow_none=True)


PROJECT_BLOCKED = EventSpec(
    "project_blocked",
    ProjectBlocked,
    "A step cannot go on (weather, permit, a drought order forbidding filling), until a date if known.",
    example={
        "project_id": PROJECT,
        "task_id": TASK,
        "reason": "Arrêté sécheresse : remplissage interdit",
        "until": "2026-08-31",
    },
)


class Equipment(Schema):
    category = fields.String(required=True)
    brand = fields.String(required=True)
    model = fields.String(required=True)
    serial_number = fields.String(required=True, allow_none=True)
    warranty_months = fields.Integer(required=True)


class ProjectCompleted(Schema):
    project_id = fields.UUID(required=True)
    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    site_id = fields.UUID(required=True, allow_none=True)
    handover_on = fields.Date(required=True)
    reserves = fields.List(fields.String(), required=True)
    pool = fields.Nested(Pool, required=True)
    equipment = fields.List(fields.Nested(Equipment), required=True)
    guarantees = fields.Dict(keys=fields.String(), values=fields.Date(), required=True)


PROJECT_COMPLETED = EventSpec(
    "project_completed",
    ProjectCompleted,
    "The pool was handed over (PV de réception): the pool and its equipment go to the customer file, "
    "installed on ``handover_on``; the legal guarantees (1, 2 and 10 years) run from that date.",
    example={
        "project_id": PROJECT,
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "site_id": SITE,
        "handover_on": "2026-06-12",
        "reserves": ["Margelle fissurée côté escalier"],
        "pool": POOL_EXAMPLE,
        "equipment": [
            {
                "category": "pump",
                "brand": "Pentair",
                "model": "SuperFlo VS",
                "serial_number": "PF-2026-118734",
                "warranty_months": 36,
            }
        ],
        "guarantees": {
            "perfect_completion": "2027-06-12",
            "proper_functioning": "2028-06-12",
            "ten_year": "2036-06-12",
        },
    },
)

# --- consumed ---------------------------------------------------------------------------


class PoolView(EventView):
    pool_type_code = fields.String(required=True)
    shape = fields.String(load_default=None, allow_none=True)
    length_m = fields.Decimal(required=True)
    width_m = fields.Decimal(required=True)
    mean_depth_m = fields.Decimal(required=True)
    volume_m3 = fields.Decimal(load_default=None, allow_none=True)
    coating = fields.String(load_default=None, allow_none=True)
    filtration = fields.String(load_default=None, allow_none=True)
    treatment = fields.String(load_default=None, allow_none=True)
    options = fields.List(fields.String(), load_default=list)


class ScheduleEntryView(EventView):
    step_code = fields.String(required=True)
    percent = fields.Decimal(required=True, validate=validate.Range(min=0, max=100))


class OrderConfirmedView(EventView):
    """What worksites reads of customers' ``order_confirmed``: construction orders become projects."""

    order_id = fields.UUID(required=True)
    quote_id = fields.UUID(load_default=None, allow_none=True)
    customer_id = fields.UUID(required=True)
    site_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(required=True)
    total_excl_vat = fields.Decimal(required=True)
    total_incl_vat = fields.Decimal(required=True)
    pool = fields.Nested(PoolView, load_default=None, allow_none=True)
    payment_schedule = fields.List(fields.Nested(ScheduleEntryView), load_default=list)
    promised_filling_date = fields.Date(load_default=None, allow_none=True)


class ArticleCreatedView(EventView):
    """inventory's new article: a template's materials may name it."""

    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)


class ArticlesView(EventView):
    """Articles inventory created together (``articles_imported``): each as ``article_created``."""

    articles = fields.List(fields.Nested(ArticleCreatedView), required=True)


class LocationCreatedView(EventView):
    """inventory's new stock location: a project's materials may come from it."""

    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class AddressView(EventView):
    line1 = fields.String(load_default="", allow_none=True)
    line2 = fields.String(load_default="", allow_none=True)
    postcode = fields.String(load_default="", allow_none=True)
    city = fields.String(load_default="", allow_none=True)
    country = fields.String(load_default="", allow_none=True)


class CustomerView(EventView):
    """customers' ``customer_created`` / ``customer_updated``: the name and address worksites shows."""

    customer_id = fields.UUID(required=True)
    display_name = fields.String(required=True)
    billing_address = fields.Nested(AddressView, load_default=dict)


class CustomersImportedView(EventView):
    """customers' ``customers_imported``: the customer files, each as ``customer_created`` says it."""

    customers = fields.List(fields.Nested(CustomerView), required=True)
