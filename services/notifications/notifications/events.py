"""The events notifications publishes (an ``EventSpec`` each) and those it consumes (an
``EventView`` each: only the fields it reads), as agreed in docs/dev/event-contracts.md.

It publishes what changes an inbox: an action opened (by a rule, on an event or in a
nightly scan), closed (done or dismissed), or otherwise changed by a person (snoozed,
re-opened, assigned). The gateway's customer-360 cache drops the customer's entries (the
company's when the action names no customer) on each (ADR 0032). Messages sent to
customers are not announced."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView

# --- published --------------------------------------------------------------------------

ACTION = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b01"
CUSTOMER = "3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b01"


class ActionChanged(Schema):
    """An action as it is once changed: what an inbox or a customer's file shows of it."""

    action_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True, allow_none=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    due_on = fields.Date(required=True)
    priority = fields.String(required=True)
    assignee_role = fields.String(required=True, allow_none=True)
    assignee_user_id = fields.String(required=True, allow_none=True)
    snoozed_until = fields.Date(required=True, allow_none=True)
    source_event_type = fields.String(required=True)
    version = fields.Integer(required=True)


ACTION_EXAMPLE = {
    "action_id": ACTION,
    "customer_id": CUSTOMER,
    "title": "Rappeler M. Durand : premier contact du 02/05/2026, toujours sans devis",
    "status": "open",
    "due_on": "2026-05-05",
    "priority": "normal",
    "assignee_role": "sales",
    "assignee_user_id": None,
    "snoozed_until": None,
    "source_event_type": "first_contact_recorded",
    "version": 1,
}

ACTION_OPENED = EventSpec(
    "action_opened",
    ActionChanged,
    "An action was put in an inbox by a rule: on another service's event, or by a nightly scan "
    "(follow-ups whose day came, seasonal campaigns). customer_id is null when it concerns no customer.",
    example=ACTION_EXAMPLE,
)
ACTION_CLOSED = EventSpec(
    "action_closed",
    ActionChanged,
    "An action was done or dismissed (status done|dismissed): it leaves the open inboxes.",
    example={**ACTION_EXAMPLE, "status": "done", "version": 2},
)
ACTION_UPDATED = EventSpec(
    "action_updated",
    ActionChanged,
    "An action was snoozed, re-opened or assigned to another role or person: as it is now.",
    example={**ACTION_EXAMPLE, "status": "snoozed", "snoozed_until": "2026-05-12", "version": 2},
)

# --- consumed ---------------------------------------------------------------------------


def _id(**kw) -> fields.UUID:
    return fields.UUID(required=True, **kw)


def _text(**kw) -> fields.String:
    return fields.String(required=True, **kw)


def _optional(field: type[fields.Field] = fields.String) -> fields.Field:
    return field(load_default=None, allow_none=True)


class Consent(EventView):
    email = fields.Boolean(load_default=False)
    sms = fields.Boolean(load_default=False)


class CustomerView(EventView):
    """customers' ``customer_created`` / ``customer_updated``: whom to write to, and whether we may."""

    customer_id = _id()
    display_name = _text()
    email = _optional()
    phone = _optional()
    consent = fields.Nested(Consent, load_default=dict)


class ContractView(EventView):
    """customers' ``contract_signed`` / ``contract_expiring``."""

    contract_id = _id()
    customer_id = _id()
    formula = _text()
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    price_excl_vat = _optional()
    tacit_renewal = fields.Boolean(load_default=None, allow_none=True)


class CustomersImportedView(EventView):
    """customers' ``customers_imported``: customers and contracts, each as its own event
    (``customer_created``, ``contract_signed``) says it."""

    customers = fields.List(fields.Nested(CustomerView), required=True)
    contracts = fields.List(fields.Nested(ContractView), required=True)


class FirstContactView(EventView):
    lead_id = _id()
    customer_id = _id()
    source = _optional()
    contacted_on = fields.Date(required=True)
    salesperson_id = _optional()


class QuoteSentView(EventView):
    quote_id = _id()
    lead_id = _optional(fields.UUID)
    customer_id = _id()


class EndOfLifeView(EventView):
    equipment_id = _id()
    customer_id = _id()
    pool_id = _optional(fields.UUID)
    category = _text()
    brand = _text()
    model = _text()
    installed_on = fields.Date(required=True)
    end_of_life_on = fields.Date(required=True)
    life_used_percent = fields.Raw(required=True)


class TaskView(EventView):
    """worksites' ``task_started`` / ``task_completed``."""

    project_id = _id()
    task_id = _id()
    step_code = _text()
    order_id = _optional(fields.UUID)
    customer_id = _id()
    at = fields.AwareDateTime(required=True)
    milestone_percent = fields.Raw(load_default=None, allow_none=True)
    project_total_excl_vat = _optional()
    project_total_incl_vat = _optional()


class MaterialsOrderDueView(EventView):
    """worksites' ``materials_order_due``: what to order for which step, by when."""

    project_id = _id()
    task_id = _id()
    for_task_id = _optional(fields.UUID)
    for_step_code = _text()
    lines = fields.List(fields.Dict(), required=True)
    order_by = fields.Date(required=True)


class ReorderNeededView(EventView):
    article_id = _id()
    location_id = _id()
    supplier_id = _optional(fields.UUID)
    quantity_on_hand = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    suggested_quantity = fields.Integer(required=True)


class InvoiceOverdueView(EventView):
    invoice_id = _id()
    number = _text()
    customer_id = _id()
    due_on = fields.Date(required=True)
    balance = _text()


class InterventionScheduledView(EventView):
    intervention_id = _id()
    ticket_id = _optional(fields.UUID)
    customer_id = _id()
    technician_id = _optional()
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(load_default=None, allow_none=True)


class WarrantyReturnRequestedView(EventView):
    """sav's ``warranty_return_requested``: exactly what a manufacturer receives (no customer data)."""

    return_id = _id()
    ticket_id = _optional(fields.UUID)
    brand = _text()
    category = _optional()
    model = _optional()
    serial_number = _optional()
    installed_on = _optional(fields.Date)
    fault_description = _optional()
    error_code = _optional()
    requested_at = fields.AwareDateTime(required=True)


class WarrantyReturnStatusView(EventView):
    return_id = _id()
    brand = _text()
    status = _text()
    note = _optional()
    at = fields.AwareDateTime(required=True)


# What this service reads, producer by producer (service.py subscribes to each).
CONSUMED: tuple[tuple[str, str, type[EventView]], ...] = (
    ("customers", "customer_created", CustomerView),
    ("customers", "customer_updated", CustomerView),
    ("customers", "contract_signed", ContractView),
    ("customers", "contract_expiring", ContractView),
    ("customers", "customers_imported", CustomersImportedView),
    ("customers", "first_contact_recorded", FirstContactView),
    ("customers", "quote_sent", QuoteSentView),
    ("customers", "equipment_end_of_life_approaching", EndOfLifeView),
    ("worksites", "task_started", TaskView),
    ("worksites", "task_completed", TaskView),
    ("worksites", "materials_order_due", MaterialsOrderDueView),
    ("inventory", "reorder_needed", ReorderNeededView),
    ("pos", "invoice_overdue", InvoiceOverdueView),
    ("sav", "intervention_scheduled", InterventionScheduledView),
    ("sav", "warranty_return_requested", WarrantyReturnRequestedView),
    ("sav", "warranty_return_status_changed", WarrantyReturnStatusView),
)
