"""The events sav publishes (an ``EventSpec`` each), and its views of those it consumes
(an ``EventView`` each). Fields and names: docs/dev/event-contracts.md, "sav publishes"."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import TwoPlaces

CUSTOMER = "3f6c2a1e-8b4d-4e5f-9a6b-7c8d9e0f1a21"
POOL = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c32"
EQUIPMENT = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e43"
TICKET = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f54"
INTERVENTION = "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a65"
TECHNICIAN = "f6a7b8c9-d0e1-4f2a-9b3c-4d5e6f7a8b76"
VAN = "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c87"
ARTICLE = "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"
RETURN = "b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0d98"

# --- published --------------------------------------------------------------------------


class TicketOpened(Schema):
    ticket_id = fields.UUID(required=True, attribute="id")
    number = fields.String(required=True)
    customer_id = fields.UUID(required=True)
    pool_id = fields.UUID(required=True, allow_none=True)
    equipment_id = fields.UUID(required=True, allow_none=True)
    category = fields.String(required=True, allow_none=True)
    priority = fields.String(required=True)
    channel = fields.String(required=True)
    covered_by = fields.String(required=True)
    coverage_reason = fields.String(required=True)
    opened_at = fields.DateTime(required=True)


TICKET_OPENED = EventSpec(
    "ticket_opened",
    TicketOpened,
    "An after-sales ticket was opened, with who covers it (warranty, legal guarantee, contract or none) and why.",
    example={
        "ticket_id": TICKET,
        "number": "SAV-2026-00042",
        "customer_id": CUSTOMER,
        "pool_id": POOL,
        "equipment_id": EQUIPMENT,
        "category": "heat_pump",
        "priority": "urgent",
        "channel": "phone",
        "covered_by": "manufacturer_warranty",
        "coverage_reason": "sous garantie constructeur Zodiac jusqu'au 2027-04-12",
        "opened_at": "2026-07-14T09:12:00+00:00",
    },
)


class InterventionScheduled(Schema):
    intervention_id = fields.UUID(required=True, attribute="id")
    ticket_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    technician_id = fields.UUID(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)


INTERVENTION_SCHEDULED = EventSpec(
    "intervention_scheduled",
    InterventionScheduled,
    "An intervention was put in a technician's agenda (notifications reminds the customer the day before).",
    example={
        "intervention_id": INTERVENTION,
        "ticket_id": TICKET,
        "customer_id": CUSTOMER,
        "technician_id": TECHNICIAN,
        "starts_at": "2026-07-15T08:00:00+00:00",
        "ends_at": "2026-07-15T09:30:00+00:00",
    },
)


class PartLine(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)


class PartsUsed(Schema):
    intervention_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(PartLine), required=True)


PARTS_USED = EventSpec(
    "parts_used",
    PartsUsed,
    "Parts a technician used from the van during an intervention (once per intervention): inventory takes them out.",
    example={"intervention_id": INTERVENTION, "location_id": VAN, "lines": [{"article_id": ARTICLE, "quantity": 1}]},
)


class EquipmentChange(Schema):
    equipment_id = fields.UUID(required=True)
    action = fields.String(required=True)
    new_serial_number = fields.String(required=True, allow_none=True)


class InterventionCompleted(Schema):
    intervention_id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    covered_by = fields.String(required=True)
    labour_minutes = fields.Integer(required=True)
    travel_km = TwoPlaces(required=True)
    parts = fields.List(fields.Nested(PartLine), required=True)
    completed_at = fields.DateTime(required=True)
    equipment_changes = fields.List(fields.Nested(EquipmentChange), required=True)
    report_summary = fields.String(required=True)


INTERVENTION_COMPLETED = EventSpec(
    "intervention_completed",
    InterventionCompleted,
    "An intervention was done and its slip signed: pos drafts the invoice unless it is covered "
    "(warranty, legal guarantee or contract); customers adds it to the file's timeline.",
    example={
        "intervention_id": INTERVENTION,
        "ticket_id": TICKET,
        "customer_id": CUSTOMER,
        "covered_by": "none",
        "labour_minutes": 75,
        "travel_km": "18.50",
        "parts": [{"article_id": ARTICLE, "quantity": 1}],
        "completed_at": "2026-07-15T09:40:00+00:00",
        "equipment_changes": [{"equipment_id": EQUIPMENT, "action": "repaired", "new_serial_number": None}],
        "report_summary": "Condensateur du ventilateur remplacé, PAC redémarrée, 28 °C en sortie.",
    },
)


class WarrantyReturnRequested(Schema):
    return_id = fields.UUID(required=True, attribute="id")
    ticket_id = fields.UUID(required=True)
    brand = fields.String(required=True)
    category = fields.String(required=True)
    model = fields.String(required=True)
    serial_number = fields.String(required=True)
    installed_on = fields.Date(required=True, allow_none=True)
    fault_description = fields.String(required=True)
    error_code = fields.String(required=True, allow_none=True)
    requested_at = fields.DateTime(required=True)


WARRANTY_RETURN_REQUESTED = EventSpec(
    "warranty_return_requested",
    WarrantyReturnRequested,
    "A part under manufacturer warranty is returned to its manufacturer (``brand``, the partner's routing key); "
    "no customer name, address, e-mail or phone.",
    example={
        "return_id": RETURN,
        "ticket_id": TICKET,
        "brand": "zodiac",
        "category": "heat_pump",
        "model": "Z550iQ MD5",
        "serial_number": "ZPAC-2025-118842",
        "installed_on": "2025-04-12",
        "fault_description": "Compresseur ne démarre pas, code erreur E03 au démarrage.",
        "error_code": "E03",
        "requested_at": "2026-07-15T10:05:00+00:00",
    },
)


class WarrantyReturnStatusChanged(Schema):
    return_id = fields.UUID(required=True)
    brand = fields.String(required=True)
    status = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    at = fields.DateTime(required=True)


WARRANTY_RETURN_STATUS_CHANGED = EventSpec(
    "warranty_return_status_changed",
    WarrantyReturnStatusChanged,
    "A manufacturer return moved on (accepted, refused, part shipped, credited, closed).",
    example={
        "return_id": RETURN,
        "brand": "zodiac",
        "status": "accepted",
        "note": "Accord RMA n° 55-1182, pièce expédiée sous 48 h.",
        "at": "2026-07-16T14:20:00+00:00",
    },
)

# --- consumed ---------------------------------------------------------------------------


class ConsentView(EventView):
    email = fields.Boolean(load_default=False)
    sms = fields.Boolean(load_default=False)


class CustomerView(EventView):
    """What SAV keeps of a customer: who to call and where to send the slip."""

    customer_id = fields.UUID(required=True)
    display_name = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    consent = fields.Nested(ConsentView, load_default=dict)


class EquipmentInstalledView(EventView):
    equipment_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    pool_id = fields.UUID(load_default=None, allow_none=True)
    category = fields.String(required=True)
    brand = fields.String(required=True)
    model = fields.String(required=True)
    serial_number = fields.String(load_default=None, allow_none=True)  # none on some plates
    installed_on = fields.Date(load_default=None, allow_none=True)
    warranty_ends_on = fields.Date(load_default=None, allow_none=True)


class EquipmentReplacedView(EquipmentInstalledView):
    replaced_equipment_id = fields.UUID(load_default=None, allow_none=True)


class ContractSignedView(EventView):
    contract_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    formula = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    tacit_renewal = fields.Boolean(load_default=False)


class CustomersImportedView(EventView):
    """customers' ``customers_imported``: customers, equipment and contracts, each as its
    own event (``customer_created``, ``equipment_installed``, ``contract_signed``) says it."""

    customers = fields.List(fields.Nested(CustomerView), required=True)
    equipment = fields.List(fields.Nested(EquipmentInstalledView), required=True)
    contracts = fields.List(fields.Nested(ContractSignedView), required=True)


class HandedOverEquipment(EventView):
    serial_number = fields.String(load_default=None, allow_none=True)


class ProjectCompletedView(EventView):
    """A pool the company built was handed over: the legal guarantees run from ``handover_on``."""

    project_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    site_id = fields.UUID(load_default=None, allow_none=True)
    handover_on = fields.Date(required=True)
    equipment = fields.List(fields.Nested(HandedOverEquipment), load_default=list)


class LocationCreatedView(EventView):
    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class ArticleCreatedView(EventView):
    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)


class ArticlesView(EventView):
    """Articles inventory created together (``articles_imported``): each as ``article_created``."""

    articles = fields.List(fields.Nested(ArticleCreatedView), required=True)
