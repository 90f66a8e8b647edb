"""The events customers publishes (an ``EventSpec`` each), and its views of those it consumes
(an ``EventView`` each). The fields follow docs/dev/event-contracts.md."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView

# The examples' ids: one customer of a pool shop near Nîmes.
CUSTOMER = "3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b01"
SITE = "8c7b6a59-4d3e-4f21-8a0b-1c2d3e4f5a02"

# --- published --------------------------------------------------------------------------


class Address(Schema):
    line1 = fields.String(required=True)
    line2 = fields.String(required=True, allow_none=True)
    postcode = fields.String(required=True)
    city = fields.String(required=True)
    country = fields.String(required=True)


class Consent(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class CustomerChanged(Schema):
    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    billing_address = fields.Nested(Address, required=True)
    siren = fields.String(required=True, allow_none=True)
    vat_number = fields.String(required=True, allow_none=True)
    consent = fields.Nested(Consent, required=True)
    tags = fields.List(fields.String())
    source = fields.String()
    salesperson_id = fields.UUID(allow_none=True)


CUSTOMER_EXAMPLE = {
    "customer_id": CUSTOMER,
    "kind": "private",
    "display_name": "DURAND Hélène",
    "email": "helene.durand@orange.fr",
    "phone": "06 12 34 56 78",
    "billing_address": {
        "line1": "12 chemin des Oliviers",
        "line2": None,
        "postcode": "30900",
        "city": "Nîmes",
        "country": "FR",
    },
    "siren": None,
    "vat_number": None,
    "consent": {"email": True, "sms": False},
    "tags": ["entretien"],
    "source": "walk_in",
    "salesperson_id": None,
}

CUSTOMER_CREATED = EventSpec(
    "customer_created",
    CustomerChanged,
    "A customer file was opened: who, how to reach them, their billing address and consents "
    "(pos keeps a copy for invoices).",
    example=CUSTOMER_EXAMPLE,
)
CUSTOMER_UPDATED = EventSpec(
    "customer_updated",
    CustomerChanged,
    "A customer file changed: the whole of what customer_created carries, as it is now.",
    example=CUSTOMER_EXAMPLE,
)

POOL = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c05"
EQUIPMENT = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b06"


class EquipmentInstalled(Schema):
    equipment_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    pool_id = fields.UUID(required=True)
    category = fields.String(required=True)
    brand = fields.String(required=True)
    model = fields.String(required=True)
    serial_number = fields.String(required=True, allow_none=True)
    installed_on = fields.Date(required=True)
    warranty_ends_on = fields.Date(required=True)
    end_of_life_on = fields.Date()


class EquipmentReplaced(EquipmentInstalled):
    replaced_equipment_id = fields.UUID(required=True)


EQUIPMENT_EXAMPLE = {
    "equipment_id": EQUIPMENT,
    "customer_id": CUSTOMER,
    "pool_id": POOL,
    "category": "heat_pump",
    "brand": "Hayward",
    "model": "EnergyLine Pro 9 kW",
    "serial_number": "HP-2024-001742",
    "installed_on": "2026-04-15",
    "warranty_ends_on": "2029-04-15",
    "end_of_life_on": "2038-04-15",
}

EQUIPMENT_INSTALLED = EventSpec(
    "equipment_installed",
    EquipmentInstalled,
    "A piece of equipment was registered on a customer's pool, with its warranty end (sav checks warranties).",
    example=EQUIPMENT_EXAMPLE,
)
EQUIPMENT_REPLACED = EventSpec(
    "equipment_replaced",
    EquipmentReplaced,
    "A piece of equipment replaced another on the same pool; the replaced one stays in the history.",
    example={**EQUIPMENT_EXAMPLE, "replaced_equipment_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c07"},
)

ANALYSIS = "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a08"
PH_MINUS = "2c3d4e5f-6071-4829-9b0c-1d2e3f4a5b09"


class Dose(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Decimal(required=True, as_string=True)
    unit = fields.String(required=True)


class WaterAnalysisRecorded(Schema):
    analysis_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    pool_id = fields.UUID(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    problems = fields.List(fields.String(), required=True)
    recommendation = fields.List(fields.Nested(Dose), required=True)
    lsi = fields.Decimal(as_string=True, allow_none=True)


WATER_ANALYSIS_RECORDED = EventSpec(
    "water_analysis_recorded",
    WaterAnalysisRecorded,
    "A pool's water was analysed: the values out of their targets (parameter_low/high) and the doses of "
    "the company's products that correct them (the till can make a basket of them).",
    example={
        "analysis_id": ANALYSIS,
        "customer_id": CUSTOMER,
        "pool_id": POOL,
        "recorded_at": "2026-06-12T10:05:00+00:00",
        "problems": ["ph_low", "cyanuric_acid_high"],
        "recommendation": [{"article_id": PH_MINUS, "quantity": "380", "unit": "g"}],
        "lsi": "-0.52",
    },
)

# --- consumed ---------------------------------------------------------------------------


class ArticleView(EventView):
    """What customers keeps of inventory's articles: what water products and quotes name."""

    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = fields.Decimal(required=True, as_string=True)
    vat_rate = fields.Decimal(required=True, as_string=True)
