"""Wire formats of the customers RPC API (what the gateway sends and receives).

The examples (metadata, for the API document) are one pool shop's customer near Nîmes,
with the ids of the events' examples."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery, page_of
from bassin_common.schemas import Money, Percentage, StrictSchema
from customers.domain import (
    Category,
    Channel,
    Coating,
    Filtration,
    Kind,
    OrderKind,
    Parameter,
    Role,
    SafetyDevice,
    Shape,
    Source,
    Treatment,
)
from customers.events import ANALYSIS, CONTRACT, CUSTOMER, EQUIPMENT, LEAD, POOL, QUOTE, SITE

TIMELINE_ENTRY = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d03"
POSTCODE_FR = re.compile(r"\d{5}")
# Dates a pool shop records (installs, contracts, contacts): beyond, a typing error.
PLAUSIBLE_DATES = validate.Range(min=date(1950, 1, 1), max=date(2099, 12, 31), error="between 1950 and 2099")


def _text(maximum: int, example: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=maximum), metadata={"example": example}, **kwargs)


def _optional(maximum: int, example: str | None) -> fields.String:
    return fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=maximum), metadata={"example": example}
    )


class Number(fields.Decimal):
    """A decimal that is not an amount (a depth, a volume, a pH, a quantity): a string on
    the wire, as amounts are, never a float."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["as_string"] = True
        metadata = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", **kwargs.pop("metadata", {})}
        ranges = [v for v in _as_list(kwargs.get("validate")) if isinstance(v, validate.Range)]
        for bound in ("min", "max"):  # documented as numbers, not in the string's format
            if ranges and getattr(ranges[0], bound) is not None:
                metadata[f"{bound}imum"] = float(getattr(ranges[0], bound))
        super().__init__(metadata=metadata, **kwargs)


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


def _check_postcode(data: dict) -> None:
    if data.get("country", "FR") == "FR" and not POSTCODE_FR.fullmatch(data.get("postcode", "")):
        raise ValidationError({"postcode": ["a French postcode has 5 digits"]})


class AddressInput(StrictSchema):
    line1 = _text(200, "12 chemin des Oliviers", required=True)
    line2 = _optional(200, None)
    postcode = _text(10, "30900", required=True)
    city = _text(100, "Nîmes", required=True)
    country = fields.String(load_default="FR", validate=validate.Regexp(r"^[A-Z]{2}$"), metadata={"example": "FR"})

    @validates_schema
    def french_postcode(self, data: dict, **_: object) -> None:
        _check_postcode(data)


class EmailInput(StrictSchema):
    address = fields.Email(
        required=True, validate=validate.Length(max=254), metadata={"example": "helene.durand@orange.fr"}
    )
    label = _optional(40, "perso")


class PhoneInput(StrictSchema):
    number = fields.String(
        required=True,
        validate=[
            validate.Length(min=4, max=30),
            validate.Regexp(r"^\+?[\d .\-()]+$", error="digits, spaces, . - ( ) +"),
        ],
        metadata={"example": "06 12 34 56 78"},
    )
    label = _optional(40, "portable")


class ConsentInput(StrictSchema):
    email = fields.Boolean(load_default=False, metadata={"example": True})
    sms = fields.Boolean(load_default=False, metadata={"example": False})


class SiteInput(StrictSchema):
    """Where a pool is: its address and how to get in."""

    label = fields.String(
        load_default="Résidence principale",
        validate=validate.Length(min=1, max=100),
        metadata={"example": "Résidence principale"},
    )
    line1 = _text(200, "12 chemin des Oliviers", required=True)
    line2 = _optional(200, None)
    postcode = _text(10, "30900", required=True)
    city = _text(100, "Nîmes", required=True)
    country = fields.String(load_default="FR", validate=validate.Regexp(r"^[A-Z]{2}$"), metadata={"example": "FR"})
    access_notes = _optional(2000, "Portail vert, code 1234 ; chien gentil.")

    @validates_schema
    def french_postcode(self, data: dict, **_: object) -> None:
        _check_postcode(data)


class CustomerFields(StrictSchema):
    """A customer file's own fields: a private person (last name required) or a company
    (company name required)."""

    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in Kind]), metadata={"example": "private"}
    )
    company_name = _optional(200, None)
    first_name = _optional(100, "Hélène")
    last_name = _optional(100, "Durand")
    siren = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\d{9}$", error="9 digits"),
        metadata={"example": None},
    )
    vat_number = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z]{2}[0-9A-Z]{2,13}$", error="a VAT number: FR12345678901"),
        metadata={"example": None},
    )
    emails = fields.List(fields.Nested(EmailInput), load_default=list, validate=validate.Length(max=10))
    phones = fields.List(fields.Nested(PhoneInput), load_default=list, validate=validate.Length(max=10))
    preferred_channel = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([c.value for c in Channel]),
        metadata={"example": "sms"},
    )
    consent = fields.Nested(ConsentInput, load_default=lambda: {"email": False, "sms": False})
    billing_address = fields.Nested(AddressInput, required=True)
    source = fields.String(
        load_default=Source.WALK_IN.value,
        validate=validate.OneOf([s.value for s in Source]),
        metadata={"example": "walk_in"},
    )
    salesperson_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"example": None, "description": "A staff user of the company, or null."},
    )
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"example": ["entretien", "hivernage"]},
    )


class CustomerInput(CustomerFields):
    """A new customer file, with its pool sites."""

    sites = fields.List(fields.Nested(SiteInput), load_default=list, validate=validate.Length(max=20))


class CustomerSearch(PageQuery):
    """Customers by name; with ``q``, those matching every word of it by the start of a word
    of their name, company, e-mail, phone number, city, postcode or equipment serial number,
    whatever the accents and case ("helene" finds "Hélène")."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"example": "helene nimes", "description": "Words searched; empty: every customer."},
    )
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=40), metadata={"example": "entretien"})


class AddressOutput(Schema):
    line1 = fields.String(metadata={"example": "12 chemin des Oliviers"})
    line2 = fields.String(allow_none=True, metadata={"example": None})
    postcode = fields.String(metadata={"example": "30900"})
    city = fields.String(metadata={"example": "Nîmes"})
    country = fields.String(metadata={"example": "FR"})


class SiteOutput(Schema):
    id = fields.UUID(metadata={"example": SITE})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    label = fields.String(metadata={"example": "Résidence principale"})
    line1 = fields.String(metadata={"example": "12 chemin des Oliviers"})
    line2 = fields.String(allow_none=True, metadata={"example": None})
    postcode = fields.String(metadata={"example": "30900"})
    city = fields.String(metadata={"example": "Nîmes"})
    country = fields.String(metadata={"example": "FR"})
    access_notes = fields.String(allow_none=True, metadata={"example": "Portail vert, code 1234 ; chien gentil."})
    version = fields.Integer(metadata={"example": 1, "description": "Changes with each edit of the site: its ETag."})


class CustomerSummary(Schema):
    """A line of the customer list."""

    id = fields.UUID(metadata={"example": CUSTOMER})
    kind = fields.String(metadata={"example": "private"})
    display_name = fields.String(metadata={"example": "DURAND Hélène"})
    email = fields.String(allow_none=True, metadata={"example": "helene.durand@orange.fr"})
    phone = fields.String(allow_none=True, metadata={"example": "06 12 34 56 78"})
    postcode = fields.String(metadata={"example": "30900"})
    city = fields.String(metadata={"example": "Nîmes"})
    tags = fields.List(fields.String(), metadata={"example": ["entretien"]})


class CustomerOutput(CustomerSummary):
    """The customer file: who, how to reach them, where their pools are; ``version`` is its ETag."""

    company_name = fields.String(allow_none=True, metadata={"example": None})
    first_name = fields.String(allow_none=True, metadata={"example": "Hélène"})
    last_name = fields.String(allow_none=True, metadata={"example": "Durand"})
    siren = fields.String(allow_none=True, metadata={"example": None})
    vat_number = fields.String(allow_none=True, metadata={"example": None})
    emails = fields.List(fields.Nested(EmailInput))
    phones = fields.List(fields.Nested(PhoneInput))
    preferred_channel = fields.String(allow_none=True, metadata={"example": "sms"})
    consent = fields.Nested(ConsentInput)
    billing_address = fields.Nested(AddressOutput)
    source = fields.String(metadata={"example": "walk_in"})
    salesperson_id = fields.UUID(allow_none=True, metadata={"example": None})
    sites = fields.List(fields.Nested(SiteOutput))
    pools = fields.List(fields.Nested(lambda: PoolOutput()))
    version = fields.Integer(metadata={"example": 1, "description": "Changes with each change of the file: its ETag."})
    created_at = fields.DateTime(metadata={"example": "2026-04-02T09:15:00+00:00"})
    erased = fields.Boolean(metadata={"example": False, "description": "Anonymised at the customer's request (GDPR)."})


class NoteInput(StrictSchema):
    """A line written in the customer's timeline: a note, a call, a visit."""

    kind = fields.String(
        load_default="note", validate=validate.OneOf(["note", "call", "visit", "email"]), metadata={"example": "call"}
    )
    text = _text(
        4000, "Appelle pour l'ouverture de la piscine mi-avril ; rappeler la semaine prochaine.", required=True
    )


class TimelineEntryOutput(Schema):
    id = fields.UUID(metadata={"example": TIMELINE_ENTRY})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    at = fields.DateTime(metadata={"example": "2026-04-02T09:15:00+00:00"})
    kind = fields.String(
        metadata={
            "example": "call",
            "description": "note, call, visit, email, created, sale, intervention, equipment...",
        }
    )
    text = fields.String(metadata={"example": "Appelle pour l'ouverture de la piscine mi-avril."})
    author_id = fields.String(allow_none=True, metadata={"example": "2b1c0d9e-8f7a-4b6c-9d5e-4f3a2b1c0d04"})
    reference = fields.String(allow_none=True, metadata={"example": None})


# --- pools and equipment -----------------------------------------------------------------

POSITIVE = validate.Range(min=0, min_inclusive=False)


def _metres(example: str, maximum: int, **kwargs) -> fields.Decimal:
    return Number(
        as_string=True,
        places=2,
        validate=validate.Range(min=0, min_inclusive=False, max=maximum),
        metadata={"example": example},
        **kwargs,
    )


class PoolFields(StrictSchema):
    """A pool: its shape and dimensions give its volume (a round pool's diameter is its
    length), unless a measured ``volume_override_m3`` is given."""

    name = fields.String(
        load_default="Piscine", validate=validate.Length(min=1, max=100), metadata={"example": "Piscine"}
    )
    pool_type = fields.String(
        load_default="in_ground",
        validate=validate.Length(min=1, max=40),
        metadata={"example": "in_ground", "description": "in_ground, above_ground, semi_buried, or a pool type's code"},
    )
    shape = fields.String(
        required=True, validate=validate.OneOf([s.value for s in Shape]), metadata={"example": "rectangle"}
    )
    length_m = _metres("8.00", 100, required=True)
    width_m = Number(
        as_string=True,
        places=2,
        load_default=Decimal(0),
        validate=validate.Range(min=0, max=100),
        metadata={"example": "4.00", "description": "Not used for a round pool."},
    )
    mean_depth_m = _metres("1.50", 10, required=True)
    volume_override_m3 = Number(
        as_string=True,
        places=1,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=100000),
        metadata={"example": None, "description": "A measured volume, used instead of the computed one."},
    )
    coating = fields.String(
        required=True, validate=validate.OneOf([c.value for c in Coating]), metadata={"example": "liner"}
    )
    filtration = fields.String(
        required=True, validate=validate.OneOf([f.value for f in Filtration]), metadata={"example": "sand"}
    )
    treatment = fields.String(
        required=True, validate=validate.OneOf([t.value for t in Treatment]), metadata={"example": "salt"}
    )
    heating = _optional(60, "pompe à chaleur")
    cover = _optional(60, "volet immergé")
    safety_device = fields.String(
        required=True, validate=validate.OneOf([d.value for d in SafetyDevice]), metadata={"example": "cover"}
    )


class PoolInput(PoolFields):
    site_id = fields.UUID(required=True, metadata={"example": SITE})


class EquipmentInput(StrictSchema):
    """A piece of equipment installed on a pool. The warranty runs ``warranty_months`` from
    the install date (24, the legal guarantee, when not given); the end of life comes from
    the category's lifetime (the company's, else the trade's) unless ``lifetime_years`` is given."""

    category = fields.String(
        required=True, validate=validate.OneOf([c.value for c in Category]), metadata={"example": "heat_pump"}
    )
    brand = _text(60, "Hayward", required=True)
    model = _text(100, "EnergyLine Pro 9 kW", required=True)
    serial_number = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=60),
        metadata={"example": "HP-2024-001742", "description": "Unique per brand in the company."},
    )
    supplier = _optional(100, "HydroSud Distribution")
    installed_on = fields.Date(validate=PLAUSIBLE_DATES, required=True, metadata={"example": "2026-04-15"})
    purchase_document = _optional(100, "FA-2026-00412")
    warranty_months = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=600),
        metadata={"example": 36},
    )
    lifetime_years = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=50),
        metadata={"example": None},
    )


class EquipmentOutput(Schema):
    id = fields.UUID(metadata={"example": EQUIPMENT})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    pool_id = fields.UUID(metadata={"example": POOL})
    category = fields.String(metadata={"example": "heat_pump"})
    brand = fields.String(metadata={"example": "Hayward"})
    model = fields.String(metadata={"example": "EnergyLine Pro 9 kW"})
    serial_number = fields.String(allow_none=True, metadata={"example": "HP-2024-001742"})
    supplier = fields.String(allow_none=True, metadata={"example": "HydroSud Distribution"})
    installed_on = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2026-04-15"})
    purchase_document = fields.String(allow_none=True, metadata={"example": "FA-2026-00412"})
    warranty_months = fields.Integer(metadata={"example": 36})
    warranty_ends_on = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2029-04-15"})
    warranty_badge = fields.String(
        metadata={"example": "green", "description": "green, orange (within 90 days), red (ended)"}
    )
    lifetime_years = fields.Integer(metadata={"example": 12})
    end_of_life_on = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2038-04-15"})
    end_of_life_badge = fields.String(metadata={"example": "green"})
    status = fields.String(metadata={"example": "in_service", "description": "in_service, replaced, removed"})
    replaces_id = fields.UUID(allow_none=True, metadata={"example": None})
    replaced_by_id = fields.UUID(allow_none=True, metadata={"example": None})
    out_of_service_on = fields.Date(validate=PLAUSIBLE_DATES, allow_none=True, metadata={"example": None})


class PoolOutput(Schema):
    """A pool, its volume (the measured one if any, else the computed one), and its
    equipment, replaced pieces included (the history); ``version`` is its ETag."""

    id = fields.UUID(metadata={"example": POOL})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    site_id = fields.UUID(metadata={"example": SITE})
    name = fields.String(metadata={"example": "Piscine"})
    pool_type = fields.String(metadata={"example": "in_ground"})
    shape = fields.String(metadata={"example": "rectangle"})
    length_m = Number(as_string=True, metadata={"example": "8.00"})
    width_m = Number(as_string=True, metadata={"example": "4.00"})
    mean_depth_m = Number(as_string=True, metadata={"example": "1.50"})
    computed_volume_m3 = Number(as_string=True, metadata={"example": "48.0"})
    volume_override_m3 = Number(as_string=True, allow_none=True, metadata={"example": None})
    volume_m3 = Number(as_string=True, metadata={"example": "48.0"})
    coating = fields.String(metadata={"example": "liner"})
    filtration = fields.String(metadata={"example": "sand"})
    treatment = fields.String(metadata={"example": "salt"})
    heating = fields.String(allow_none=True, metadata={"example": "pompe à chaleur"})
    cover = fields.String(allow_none=True, metadata={"example": "volet immergé"})
    safety_device = fields.String(metadata={"example": "cover"})
    version = fields.Integer(metadata={"example": 1})
    equipment = fields.List(fields.Nested(EquipmentOutput))


class LifetimesInput(StrictSchema):
    """The company's expected lifetimes, in years, by equipment category (the trade's for the others)."""

    lifetimes = fields.Dict(
        keys=fields.String(validate=validate.OneOf([c.value for c in Category])),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=50)),
        required=True,
        metadata={"example": {"heat_pump": 14, "salt_chlorinator": 6}},
    )


class LifetimesOutput(Schema):
    lifetimes = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"example": {"pump": 10, "heat_pump": 14}}
    )


# --- water care --------------------------------------------------------------------------


def _measure(example: str | None, description: str) -> fields.Decimal:
    return Number(
        as_string=True, load_default=None, allow_none=True, metadata={"example": example, "description": description}
    )


class AnalysisInput(StrictSchema):
    """An analysis of a pool's water: the values measured (any of them; at least one)."""

    source = fields.String(
        load_default="shop_station",
        validate=validate.OneOf(["shop_station", "technician", "customer"]),
        metadata={"example": "shop_station"},
    )
    recorded_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={"example": None})
    ph = _measure("6.8", "pH")
    free_chlorine = _measure("1.2", "mg/L")
    combined_chlorine = _measure("0.2", "mg/L")
    total_alkalinity = _measure("90", "TAC, mg/L CaCO3")
    calcium_hardness = _measure("220", "TH, mg/L CaCO3")
    cyanuric_acid = _measure("95", "stabiliser, mg/L")
    salt = _measure(None, "mg/L")
    temperature = _measure("26", "°C")
    tds = _measure(None, "mg/L")
    bromine = _measure(None, "mg/L")
    active_oxygen = _measure(None, "mg/L")


class ReadingOutput(Schema):
    parameter = fields.String(metadata={"example": "ph"})
    value = Number(as_string=True, metadata={"example": "6.8"})
    level = fields.String(metadata={"example": "low", "description": "low, ok, high"})
    low = Number(as_string=True, allow_none=True, metadata={"example": "7.2"})
    high = Number(as_string=True, allow_none=True, metadata={"example": "7.6"})


class AdviceOutput(Schema):
    parameter = fields.String(metadata={"example": "ph"})
    advice = fields.String(metadata={"example": "Faire monter le pH : ajouter 290 g de pH plus."})
    article_id = fields.UUID(allow_none=True, metadata={"example": "2c3d4e5f-6071-4829-9b0c-1d2e3f4a5b09"})
    article_name = fields.String(allow_none=True, metadata={"example": "pH plus 5 kg"})
    quantity = Number(as_string=True, allow_none=True, metadata={"example": "290"})
    unit = fields.String(allow_none=True, metadata={"example": "g"})


class PreviousOutput(Schema):
    """The previous analysis's problems, as the next visit asks: solved or not?"""

    analysis_id = fields.UUID(metadata={"example": "0f1e2d3c-4b5a-4968-8776-655443322110"})
    recorded_at = fields.DateTime(metadata={"example": "2026-05-30T16:20:00+00:00"})
    problems = fields.List(fields.String(), metadata={"example": ["ph_low", "free_chlorine_low"]})
    solved = fields.List(fields.String(), metadata={"example": ["free_chlorine_low"]})
    persisting = fields.List(fields.String(), metadata={"example": ["ph_low"]})


class AnalysisOutput(Schema):
    id = fields.UUID(metadata={"example": ANALYSIS})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    pool_id = fields.UUID(metadata={"example": POOL})
    recorded_at = fields.DateTime(metadata={"example": "2026-06-12T10:05:00+00:00"})
    recorded_by = fields.String(allow_none=True, metadata={"example": None})
    source = fields.String(metadata={"example": "shop_station"})
    volume_m3 = Number(as_string=True, metadata={"example": "48.0"})
    readings = fields.List(fields.Nested(ReadingOutput))
    lsi = Number(as_string=True, allow_none=True, metadata={"example": "-0.52"})
    balance = fields.String(
        allow_none=True, metadata={"example": "corrosive", "description": "corrosive, balanced, scaling"}
    )
    problems = fields.List(fields.String(), metadata={"example": ["ph_low", "cyanuric_acid_high"]})
    recommendation = fields.List(fields.Nested(AdviceOutput))
    previous = fields.Nested(PreviousOutput, allow_none=True)


class WaterProductInput(StrictSchema):
    role = fields.String(
        required=True, validate=validate.OneOf([r.value for r in Role]), metadata={"example": "ph_plus"}
    )
    article_id = fields.UUID(required=True, metadata={"example": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"})
    unit = fields.String(load_default="g", validate=validate.OneOf(["g", "mL"]), metadata={"example": "g"})
    dose = Number(
        as_string=True,
        places=3,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=10000),
        metadata={"example": None, "description": "g or mL per m³ per unit of the parameter; null: the trade's figure"},
    )


class WaterProductsInput(StrictSchema):
    """The company's articles for each job on the water (those not named are kept)."""

    products = fields.List(fields.Nested(WaterProductInput), required=True, validate=validate.Length(min=1, max=20))


class WaterProductOutput(Schema):
    role = fields.String(metadata={"example": "ph_plus"})
    article_id = fields.UUID(metadata={"example": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"})
    article_name = fields.String(metadata={"example": "pH plus 5 kg"})
    unit = fields.String(metadata={"example": "g"})
    dose = Number(as_string=True, allow_none=True, metadata={"example": None})
    dose_per_unit = Number(as_string=True, metadata={"example": "100"})


class WaterProductsOutput(Schema):
    products = fields.List(fields.Nested(WaterProductOutput))


class WaterTargetInput(StrictSchema):
    parameter = fields.String(
        required=True, validate=validate.OneOf([p.value for p in Parameter]), metadata={"example": "ph"}
    )
    coating = fields.String(
        load_default="*", validate=validate.OneOf(["*", *[c.value for c in Coating]]), metadata={"example": "*"}
    )
    treatment = fields.String(
        load_default="*", validate=validate.OneOf(["*", *[t.value for t in Treatment]]), metadata={"example": "*"}
    )
    low = Number(as_string=True, required=True, validate=validate.Range(min=0, max=20000), metadata={"example": "7.2"})
    high = Number(as_string=True, required=True, validate=validate.Range(min=0, max=20000), metadata={"example": "7.4"})
    aim = Number(as_string=True, load_default=None, allow_none=True, metadata={"example": "7.3"})

    @validates_schema
    def coherent(self, data: dict, **_: object) -> None:
        if data["low"] > data["high"]:
            raise ValidationError({"high": ["must not be below low"]})
        if data.get("aim") is not None and not data["low"] <= data["aim"] <= data["high"]:
            raise ValidationError({"aim": ["must be between low and high"]})


class WaterTargetsInput(StrictSchema):
    """The company's own targets, over the trade's (a specific coating or treatment wins over "*")."""

    targets = fields.List(fields.Nested(WaterTargetInput), required=True, validate=validate.Length(min=1, max=100))


class WaterTargetsOutput(Schema):
    targets = fields.List(fields.Nested(WaterTargetInput))


# --- the sales pipeline ------------------------------------------------------------------


class LeadInput(StrictSchema):
    """A prospect's first contact, for an existing customer file (a prospect is a customer
    file that has not bought yet)."""

    customer_id = fields.UUID(required=True, metadata={"example": CUSTOMER})
    subject = _text(200, "Piscine enterrée 8 x 4 avec volet", required=True)
    source = fields.String(
        load_default=Source.WALK_IN.value,
        validate=validate.OneOf([s.value for s in Source]),
        metadata={"example": "web"},
    )
    contacted_on = fields.Date(
        validate=PLAUSIBLE_DATES,
        load_default=None,
        allow_none=True,
        metadata={"example": "2026-03-02", "description": "Today when not given."},
    )
    salesperson_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": None})
    next_follow_up_on = fields.Date(
        validate=PLAUSIBLE_DATES, load_default=None, allow_none=True, metadata={"example": "2026-03-09"}
    )


class FollowUpInput(StrictSchema):
    text = _text(4000, "Rappelé : attend le retour du permis avant de signer.", required=True)
    next_follow_up_on = fields.Date(
        validate=PLAUSIBLE_DATES, load_default=None, allow_none=True, metadata={"example": "2026-03-20"}
    )


class LostInput(StrictSchema):
    reason = _text(500, "Parti chez un concurrent moins cher", required=True)


class LeadOutput(Schema):
    id = fields.UUID(metadata={"example": LEAD})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    subject = fields.String(metadata={"example": "Piscine enterrée 8 x 4 avec volet"})
    source = fields.String(metadata={"example": "web"})
    contacted_on = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2026-03-02"})
    salesperson_id = fields.UUID(allow_none=True, metadata={"example": None})
    status = fields.String(metadata={"example": "open", "description": "open, quoted, won, lost"})
    lost_reason = fields.String(allow_none=True, metadata={"example": None})
    next_follow_up_on = fields.Date(validate=PLAUSIBLE_DATES, allow_none=True, metadata={"example": "2026-03-09"})


class QuoteLineInput(StrictSchema):
    """A line: an article of the catalogue (its name and price copied unless given) or free text."""

    article_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"example": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"}
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=300), metadata={"example": None}
    )
    quantity = Number(
        as_string=True,
        places=3,
        required=True,
        validate=validate.Range(min=0, min_inclusive=False, max=1000000),
        metadata={"example": "2"},
    )
    unit_price_excl_vat = Money(load_default=None, allow_none=True, metadata={"example": None})
    vat_rate = Percentage(load_default=None, allow_none=True, metadata={"example": None})
    discount_percent = Percentage(load_default=Decimal(0), metadata={"example": "0.00"})


class PoolSpecInput(StrictSchema):
    """The pool a construction quote builds."""

    pool_type_code = _text(40, "BETON-8x4", required=True)
    shape = fields.String(
        required=True, validate=validate.OneOf([s.value for s in Shape]), metadata={"example": "rectangle"}
    )
    length_m = _metres("8.00", 100, required=True)
    width_m = Number(
        as_string=True,
        places=2,
        load_default=Decimal(0),
        validate=validate.Range(min=0, max=100),
        metadata={"example": "4.00"},
    )
    mean_depth_m = _metres("1.50", 10, required=True)
    coating = fields.String(
        required=True, validate=validate.OneOf([c.value for c in Coating]), metadata={"example": "liner"}
    )
    filtration = fields.String(
        required=True, validate=validate.OneOf([f.value for f in Filtration]), metadata={"example": "sand"}
    )
    treatment = fields.String(
        required=True, validate=validate.OneOf([t.value for t in Treatment]), metadata={"example": "salt"}
    )
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        metadata={"example": ["volet immergé"]},
    )


class ScheduleStepInput(StrictSchema):
    step_code = _text(40, "order", required=True)
    percent = Percentage(required=True, metadata={"example": "30.00"})


class QuoteFields(StrictSchema):
    """A quote's content: for a construction, the site, the pool and the payment schedule
    (DOMAIN.md's 30/40/25/5 when not given)."""

    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in OrderKind]), metadata={"example": "construction"}
    )
    site_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": SITE})
    valid_until = fields.Date(
        validate=PLAUSIBLE_DATES,
        load_default=None,
        allow_none=True,
        metadata={"example": None, "description": "30 days when not given."},
    )
    lines = fields.List(fields.Nested(QuoteLineInput), required=True, validate=validate.Length(min=1, max=200))
    pool = fields.Nested(PoolSpecInput, load_default=None, allow_none=True)
    payment_schedule = fields.List(
        fields.Nested(ScheduleStepInput),
        load_default=None,
        allow_none=True,
        metadata={
            "example": [
                {"step_code": "order", "percent": "30.00"},
                {"step_code": "structure", "percent": "40.00"},
                {"step_code": "waterproofing", "percent": "25.00"},
                {"step_code": "handover", "percent": "5.00"},
            ],
            "description": "Percentages adding up to 100, by step of the construction template.",
        },
    )
    promised_filling_date = fields.Date(
        validate=PLAUSIBLE_DATES, load_default=None, allow_none=True, metadata={"example": "2026-06-20"}
    )
    notes = _optional(4000, "Terrassement compris ; évacuation des terres en sus.")


class QuoteInput(QuoteFields):
    customer_id = fields.UUID(required=True, metadata={"example": CUSTOMER})
    lead_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": LEAD})


class QuoteLineOutput(Schema):
    article_id = fields.UUID(allow_none=True, metadata={"example": None})
    description = fields.String(metadata={"example": "Piscine béton 8 x 4, liner 75/100"})
    quantity = Number(as_string=True, metadata={"example": "1"})
    unit_price_excl_vat = Money(metadata={"example": "32500.00"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    discount_percent = Percentage(metadata={"example": "0.00"})
    total_excl_vat = Money(metadata={"example": "32500.00"})


class QuoteOutput(Schema):
    id = fields.UUID(metadata={"example": QUOTE})
    number = fields.String(metadata={"example": "D-2026-0007"})
    version = fields.Integer(metadata={"example": 1})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    lead_id = fields.UUID(allow_none=True, metadata={"example": LEAD})
    site_id = fields.UUID(allow_none=True, metadata={"example": SITE})
    kind = fields.String(metadata={"example": "construction"})
    status = fields.String(metadata={"example": "draft", "description": "draft, sent, accepted, declined, superseded"})
    valid_until = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2026-04-15"})
    lines = fields.List(fields.Nested(QuoteLineOutput))
    total_excl_vat = Money(metadata={"example": "32500.00"})
    vat_total = Money(metadata={"example": "6500.00"})
    total_incl_vat = Money(metadata={"example": "39000.00"})
    pool = fields.Dict(allow_none=True, metadata={"example": None})
    payment_schedule = fields.List(fields.Nested(ScheduleStepInput), allow_none=True)
    promised_filling_date = fields.Date(validate=PLAUSIBLE_DATES, allow_none=True, metadata={"example": "2026-06-20"})
    notes = fields.String(allow_none=True, metadata={"example": None})
    order_id = fields.UUID(allow_none=True, metadata={"example": None, "description": "The order, once accepted."})


class OverviewInput(StrictSchema):
    """Which of the customer file's parts the gateway's customer 360 asks for (those the
    caller's company lets it read), and how many rows of each list."""

    analyses = fields.Boolean(load_default=False, metadata={"example": True})
    quotes = fields.Boolean(load_default=False, metadata={"example": True})
    limit = fields.Integer(load_default=12, validate=validate.Range(min=1, max=50), metadata={"example": 12})


class OverviewOutput(Schema):
    """The customer file, its timeline, each pool's last analyses (newest first per pool) and
    the quotes; ``null`` for a part not asked for."""

    file = fields.Nested(CustomerOutput)
    timeline = fields.Nested(page_of(TimelineEntryOutput))
    analyses = fields.List(fields.Nested(AnalysisOutput), allow_none=True)
    quotes = fields.Nested(page_of(QuoteOutput), allow_none=True)


class Letterhead(StrictSchema):
    """Who a printed document is from (billing's settings of the company): the letterhead
    and the legal mentions at its foot."""

    name = _optional(200, "Piscines du Gard")
    address = fields.List(
        fields.String(validate=validate.Length(max=200)),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"example": ["12 avenue Jean Jaurès", "30900 Nîmes"]},
    )
    siret = _optional(20, "81234567800021")
    vat_number = _optional(20, "FR12812345678")
    phone = _optional(40, "04 66 00 00 00")
    email = _optional(200, "contact@piscines-du-gard.fr")
    legal_form = _optional(200, "SARL au capital de 20 000 €")
    mentions = fields.List(
        fields.String(validate=validate.Length(max=400)),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"example": ["SIREN 812345678"]},
    )


class DocumentOutput(Schema):
    """A PDF, base64-encoded."""

    filename = fields.String(metadata={"example": "D-2026-0007.pdf"})
    content = fields.String(metadata={"example": "JVBERi0xLjcK…"})


class PipelineFigures(Schema):
    """Conversion figures of the pipeline, over the leads first contacted in a period."""

    leads = fields.Integer(metadata={"example": 40})
    quoted = fields.Integer(metadata={"example": 22})
    won = fields.Integer(metadata={"example": 9})
    lost = fields.Integer(metadata={"example": 8})
    open = fields.Integer(metadata={"example": 23})
    quote_rate = Percentage(metadata={"example": "55.00", "description": "Leads that got a quote, in %."})
    win_rate = Percentage(metadata={"example": "22.50", "description": "Leads that ordered, in %."})
    ordered_excl_vat = Money(metadata={"example": "291000.00"})


class FiguresQuery(StrictSchema):
    since = fields.Date(
        validate=PLAUSIBLE_DATES, load_default=None, allow_none=True, metadata={"example": "2026-01-01"}
    )
    until = fields.Date(
        validate=PLAUSIBLE_DATES, load_default=None, allow_none=True, metadata={"example": "2026-12-31"}
    )


# --- maintenance contracts ---------------------------------------------------------------


class ContractInput(StrictSchema):
    """A maintenance contract signed by a customer: its formula, period, price and renewal."""

    customer_id = fields.UUID(required=True, metadata={"example": CUSTOMER})
    pool_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": POOL})
    formula = _text(100, "Sérénité : ouverture, fermeture, 6 visites", required=True)
    includes_opening = fields.Boolean(load_default=False, metadata={"example": True})
    includes_closing = fields.Boolean(load_default=False, metadata={"example": True})
    visits_per_season = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=52), metadata={"example": 6}
    )
    included_products = _optional(2000, "Chlore et pH pour la saison")
    starts_on = fields.Date(validate=PLAUSIBLE_DATES, required=True, metadata={"example": "2026-04-01"})
    ends_on = fields.Date(validate=PLAUSIBLE_DATES, required=True, metadata={"example": "2027-03-31"})
    price_excl_vat = Money(required=True, metadata={"example": "690.00"})
    vat_rate = Percentage(load_default=Decimal(20), metadata={"example": "20.00"})
    tacit_renewal = fields.Boolean(load_default=False, metadata={"example": True})


class ContractOutput(Schema):
    id = fields.UUID(metadata={"example": CONTRACT})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    pool_id = fields.UUID(allow_none=True, metadata={"example": POOL})
    formula = fields.String(metadata={"example": "Sérénité : ouverture, fermeture, 6 visites"})
    includes_opening = fields.Boolean(metadata={"example": True})
    includes_closing = fields.Boolean(metadata={"example": True})
    visits_per_season = fields.Integer(metadata={"example": 6})
    included_products = fields.String(allow_none=True, metadata={"example": "Chlore et pH pour la saison"})
    starts_on = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2026-04-01"})
    ends_on = fields.Date(validate=PLAUSIBLE_DATES, metadata={"example": "2027-03-31"})
    price_excl_vat = Money(metadata={"example": "690.00"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    tacit_renewal = fields.Boolean(metadata={"example": True})
    status = fields.String(metadata={"example": "active", "description": "active, expired, terminated"})
    expiry_badge = fields.String(metadata={"example": "green", "description": "green, orange (within 90 days), red"})


class TerminationInput(StrictSchema):
    reason = _text(500, "Vente de la maison", required=True)


class ScanInput(StrictSchema):
    today = fields.Date(validate=PLAUSIBLE_DATES, load_default=None, allow_none=True, metadata={"example": None})


class ScanOutput(Schema):
    """What the daily scan announced (each once)."""

    contracts_expiring = fields.Integer(metadata={"example": 2})
    contracts_renewed = fields.Integer(metadata={"example": 1})
    contracts_expired = fields.Integer(metadata={"example": 0})
    equipment_end_of_life = fields.Integer(metadata={"example": 3})


# --- GDPR --------------------------------------------------------------------------------


class CustomerExport(Schema):
    """Everything the company holds about one customer, as JSON (the right of access)."""

    exported_at = fields.String(metadata={"example": "2026-09-01T08:00:00+00:00"})
    customer = fields.Raw(metadata={"example": {"id": CUSTOMER, "display_name": "DURAND Hélène"}})
    timeline = fields.List(fields.Raw())
    water_analyses = fields.List(fields.Raw())
    leads = fields.List(fields.Raw())
    quotes = fields.List(fields.Raw())
    orders = fields.List(fields.Raw())
    contracts = fields.List(fields.Raw())


class ErasureOutput(Schema):
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    erased_at = fields.DateTime(metadata={"example": "2026-09-01T08:00:00+00:00"})
    events_redacted = fields.Integer(metadata={"example": 4, "description": "Events rewritten in the outbox."})
    dead_letters_redacted = fields.Integer(metadata={"example": 0})


class RemovalInput(StrictSchema):
    removed_on = fields.Date(validate=PLAUSIBLE_DATES, required=True, metadata={"example": "2026-05-10"})
    reason = _text(200, "Robot hors service, non remplacé", required=True)


# --- importing customer files in bulk (the demo company, a migration) ---------------------

IMPORT_MAX_CUSTOMERS = 200  # per call: one transaction, one customers_imported event


class ImportedContract(ContractInput):
    """The pool's maintenance contract: its customer and pool are those it is given with."""

    class Meta(ContractInput.Meta):
        exclude = ("customer_id", "pool_id")


class ImportedPool(PoolFields):
    """A pool of the customer's site number ``site`` (0: the first), with its equipment,
    its water analyses and its maintenance contract."""

    site = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=19), metadata={"example": 0})
    equipment = fields.List(fields.Nested(EquipmentInput), load_default=list, validate=validate.Length(max=50))
    analyses = fields.List(fields.Nested(AnalysisInput), load_default=list, validate=validate.Length(max=100))
    contract = fields.Nested(ImportedContract, load_default=None, allow_none=True)


class ImportedCustomer(CustomerInput):
    pools = fields.List(fields.Nested(ImportedPool), load_default=list, validate=validate.Length(max=20))


class CustomersImport(StrictSchema):
    """Customer files with their sites, pools, equipment, water analyses and contracts, each
    checked by the rules of the RPC that creates it alone, written together."""

    customers = fields.List(
        fields.Nested(ImportedCustomer), required=True, validate=validate.Length(min=1, max=IMPORT_MAX_CUSTOMERS)
    )


class ImportedId(Schema):
    id = fields.UUID(metadata={"example": EQUIPMENT})


class ImportedPoolIds(Schema):
    id = fields.UUID(metadata={"example": POOL})
    equipment = fields.List(fields.Nested(ImportedId))
    analyses = fields.List(fields.Nested(ImportedId))
    contract_id = fields.UUID(allow_none=True, metadata={"example": CONTRACT})


class ImportedCustomerIds(Schema):
    id = fields.UUID(metadata={"example": CUSTOMER})
    sites = fields.List(fields.Nested(ImportedId))
    pools = fields.List(fields.Nested(ImportedPoolIds))


class ImportOutput(Schema):
    """The ids given, in the order of the import."""

    customers = fields.List(fields.Nested(ImportedCustomerIds))
