"""The events customers publishes (an ``EventSpec`` each), and its views of those it consumes
(an ``EventView`` each). The fields follow docs/dev/event-contracts.md."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import Money, Percentage

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


class ArticlesView(EventView):
    """Articles inventory created together (``articles_imported``): each as ``ArticleView``."""

    articles = fields.List(fields.Nested(ArticleView), required=True)


# --- the sales pipeline (published) -----------------------------------------------------

LEAD = "4d5e6f70-8192-4a3b-9c4d-5e6f7a8b9c10"
QUOTE = "5e6f7081-92a3-4b4c-8d5e-6f7a8b9c0d11"
ORDER = "6f708192-a3b4-4c5d-9e6f-7a8b9c0d1e12"


class FirstContactRecorded(Schema):
    lead_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    source = fields.String(required=True)
    contacted_on = fields.Date(required=True)
    salesperson_id = fields.UUID(required=True, allow_none=True)
    subject = fields.String()


FIRST_CONTACT_RECORDED = EventSpec(
    "first_contact_recorded",
    FirstContactRecorded,
    "A prospect made a first contact (notifications plans the follow-up call).",
    example={
        "lead_id": LEAD,
        "customer_id": CUSTOMER,
        "source": "web",
        "contacted_on": "2026-03-02",
        "salesperson_id": None,
        "subject": "Piscine enterrée 8 x 4",
    },
)


class QuoteSent(Schema):
    quote_id = fields.UUID(required=True)
    lead_id = fields.UUID(required=True, allow_none=True)
    customer_id = fields.UUID(required=True)
    number = fields.String()
    version = fields.Integer(required=True)
    total_excl_vat = Money(required=True)
    total_incl_vat = Money(required=True)
    valid_until = fields.Date(required=True)


QUOTE_SENT = EventSpec(
    "quote_sent",
    QuoteSent,
    "A version of a quote was sent to the customer, valid until a date.",
    example={
        "quote_id": QUOTE,
        "lead_id": LEAD,
        "customer_id": CUSTOMER,
        "number": "D-2026-0007",
        "version": 2,
        "total_excl_vat": "32500.00",
        "total_incl_vat": "39000.00",
        "valid_until": "2026-04-15",
    },
)


class OrderLine(Schema):
    article_id = fields.UUID(required=True, allow_none=True)
    description = fields.String(required=True)
    quantity = fields.Decimal(required=True, as_string=True)
    unit_price_excl_vat = Money(required=True)
    vat_rate = Percentage(required=True)
    total_excl_vat = Money(required=True)


class OrderedPool(Schema):
    pool_type_code = fields.String(required=True)
    shape = fields.String(required=True)
    length_m = fields.Decimal(required=True, as_string=True)
    width_m = fields.Decimal(required=True, as_string=True)
    mean_depth_m = fields.Decimal(required=True, as_string=True)
    volume_m3 = fields.Decimal(required=True, as_string=True)
    coating = fields.String(required=True)
    filtration = fields.String(required=True)
    treatment = fields.String(required=True)
    options = fields.List(fields.String(), required=True)


class ScheduleStep(Schema):
    step_code = fields.String(required=True)
    percent = Percentage(required=True)


class OrderConfirmed(Schema):
    order_id = fields.UUID(required=True)
    quote_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    site_id = fields.UUID(required=True, allow_none=True)
    kind = fields.String(required=True)
    confirmed_at = fields.AwareDateTime(required=True)
    lines = fields.List(fields.Nested(OrderLine), required=True)
    total_excl_vat = Money(required=True)
    vat_total = Money(required=True)
    total_incl_vat = Money(required=True)
    pool = fields.Nested(OrderedPool, allow_none=True)
    payment_schedule = fields.List(fields.Nested(ScheduleStep), allow_none=True)
    promised_filling_date = fields.Date(allow_none=True)


ORDER_CONFIRMED = EventSpec(
    "order_confirmed",
    OrderConfirmed,
    "A customer accepted a quote: the order, its lines and totals; for a construction, the pool to build, "
    "the payment schedule and the promised filling date (worksites creates the project from it).",
    example={
        "order_id": ORDER,
        "quote_id": QUOTE,
        "customer_id": CUSTOMER,
        "site_id": SITE,
        "kind": "construction",
        "confirmed_at": "2026-04-02T15:30:00+00:00",
        "lines": [
            {
                "article_id": None,
                "description": "Piscine béton 8 x 4, liner 75/100",
                "quantity": "1",
                "unit_price_excl_vat": "32500.00",
                "vat_rate": "20.00",
                "total_excl_vat": "32500.00",
            }
        ],
        "total_excl_vat": "32500.00",
        "vat_total": "6500.00",
        "total_incl_vat": "39000.00",
        "pool": {
            "pool_type_code": "BETON-8x4",
            "shape": "rectangle",
            "length_m": "8.00",
            "width_m": "4.00",
            "mean_depth_m": "1.50",
            "volume_m3": "48.0",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "salt",
            "options": ["volet immergé", "pompe à chaleur"],
        },
        "payment_schedule": [
            {"step_code": "order", "percent": "30.00"},
            {"step_code": "structure", "percent": "40.00"},
            {"step_code": "waterproofing", "percent": "25.00"},
            {"step_code": "handover", "percent": "5.00"},
        ],
        "promised_filling_date": "2026-06-20",
    },
)

# --- maintenance contracts and the daily scan (published) --------------------------------

CONTRACT = "708192a3-b4c5-4d6e-8f70-8192a3b4c513"


class ContractEvent(Schema):
    contract_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    formula = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    price_excl_vat = Money(required=True)
    tacit_renewal = fields.Boolean(required=True)
    pool_id = fields.UUID(allow_none=True)


CONTRACT_EXAMPLE = {
    "contract_id": CONTRACT,
    "customer_id": CUSTOMER,
    "formula": "Sérénité : ouverture, fermeture, 6 visites",
    "starts_on": "2026-04-01",
    "ends_on": "2027-03-31",
    "price_excl_vat": "690.00",
    "tacit_renewal": True,
    "pool_id": POOL,
}
CONTRACT_SIGNED = EventSpec(
    "contract_signed",
    ContractEvent,
    "A maintenance contract was signed for a period (sav covers the pool's interventions by it).",
    example=CONTRACT_EXAMPLE,
)
CONTRACT_EXPIRING = EventSpec(
    "contract_expiring",
    ContractEvent,
    "A maintenance contract ends within 30 days (once per period, from the daily scan): time to renew it.",
    example=CONTRACT_EXAMPLE,
)


class CustomersImported(Schema):
    customers = fields.List(fields.Nested(CustomerChanged), required=True)
    equipment = fields.List(fields.Nested(EquipmentInstalled), required=True)
    contracts = fields.List(fields.Nested(ContractEvent), required=True)
    analyses = fields.List(fields.Nested(WaterAnalysisRecorded), required=True)


CUSTOMERS_IMPORTED = EventSpec(
    "customers_imported",
    CustomersImported,
    "Customer files were imported together (import_customers: the demo company, a migration): "
    "what customer_created, equipment_installed, contract_signed and water_analysis_recorded "
    "would each have carried, in one event instead of one per record. A consumer of those events "
    "consumes this one too, applying each item as it applies the event it stands for (ADR 0029).",
    example={
        "customers": [CUSTOMER_EXAMPLE],
        "equipment": [EQUIPMENT_EXAMPLE],
        "contracts": [CONTRACT_EXAMPLE],
        "analyses": [],
    },
)


class EndOfLifeApproaching(Schema):
    equipment_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    pool_id = fields.UUID(required=True)
    category = fields.String(required=True)
    brand = fields.String(required=True)
    model = fields.String(required=True)
    installed_on = fields.Date(required=True)
    end_of_life_on = fields.Date(required=True)
    life_used_percent = fields.Integer(required=True)


EQUIPMENT_END_OF_LIFE_APPROACHING = EventSpec(
    "equipment_end_of_life_approaching",
    EndOfLifeApproaching,
    "A piece of equipment in service reaches its expected end of life within 90 days, or has passed it (once, "
    "from the daily scan): an end-of-life notice to the customer and a sales action.",
    example={
        "equipment_id": EQUIPMENT,
        "customer_id": CUSTOMER,
        "pool_id": POOL,
        "category": "heat_pump",
        "brand": "Hayward",
        "model": "EnergyLine Pro 9 kW",
        "installed_on": "2014-05-02",
        "end_of_life_on": "2026-05-02",
        "life_used_percent": 98,
    },
)


class SoldLineView(EventView):
    article_id = fields.UUID(required=True)
    quantity = fields.Decimal(required=True)
    serial_number = fields.String(load_default=None, allow_none=True)
    register_on_pool_id = fields.UUID(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)


class SaleCompletedView(EventView):
    """What customers reads of pos's ``sale_completed``: a customer's purchase for the
    timeline, and equipment sold with a serial number to register on their pool."""

    sale_id = fields.UUID(required=True)
    customer_id = fields.UUID(load_default=None, allow_none=True)
    total = fields.Decimal(required=True, as_string=True)
    lines = fields.List(fields.Nested(SoldLineView), required=True)
    completed_at = fields.DateTime(required=True)


# --- what worksites and sav tell (consumed) -----------------------------------------------


class HandedOverEquipmentView(EventView):
    category = fields.String(required=True)
    brand = fields.String(required=True)
    model = fields.String(required=True)
    serial_number = fields.String(load_default=None, allow_none=True)
    warranty_months = fields.Integer(load_default=None, allow_none=True)


class ProjectCompletedView(EventView):
    """worksites' handover: the pool (as the construction order described it) and its
    equipment, to register on the customer's site."""

    project_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    site_id = fields.UUID(load_default=None, allow_none=True)
    handover_on = fields.Date(required=True)
    reserves = fields.List(fields.String(), load_default=list)
    pool = fields.Dict(load_default=None, allow_none=True)
    equipment = fields.List(fields.Nested(HandedOverEquipmentView), load_default=list)


class EquipmentChangeView(EventView):
    equipment_id = fields.UUID(required=True)
    action = fields.String(required=True)
    new_serial_number = fields.String(load_default=None, allow_none=True)


class InterventionCompletedView(EventView):
    """sav's finished intervention: a timeline entry and the equipment it changed."""

    intervention_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    completed_at = fields.DateTime(required=True)
    report_summary = fields.String(load_default=None, allow_none=True)
    equipment_changes = fields.List(fields.Nested(EquipmentChangeView), load_default=list)
