"""Wire formats of the sav RPC API (what the gateway sends and receives)."""

from __future__ import annotations

import re
from datetime import time

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import StrictSchema, TwoPlaces
from sav import domain
from sav.events import ARTICLE, CUSTOMER, EQUIPMENT, INTERVENTION, POOL, RETURN, TECHNICIAN, TICKET, VAN

SERVICE = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b09"
QUANTITY = validate.Range(min=1, max=10_000)
TEXT = validate.Length(max=10_000)


class PartInput(StrictSchema):
    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY, metadata={"example": 1})


class PartOutput(Schema):
    article_id = fields.UUID(metadata={"example": ARTICLE})
    quantity = fields.Integer(metadata={"example": 1})


# --- tickets ---------------------------------------------------------------------------------


class TicketInput(StrictSchema):
    """A ticket opened from an equipment (its id or its serial number) or for a pool."""

    customer_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"example": CUSTOMER, "description": "Required unless the equipment names the customer."},
    )
    equipment_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": EQUIPMENT})
    serial_number = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=120),
        metadata={
            "example": None,
            "description": "The equipment's serial number, instead of its id (ZPAC-2025-118842).",
        },
    )
    pool_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": POOL})
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(domain.CATEGORIES),
        metadata={"example": "structure", "description": "For a pool ticket: what is failing (else the equipment's)."},
    )
    channel = fields.String(required=True, validate=validate.OneOf(domain.CHANNELS), metadata={"example": "phone"})
    priority = fields.String(
        load_default="normal", validate=validate.OneOf(domain.PRIORITIES), metadata={"example": "urgent"}
    )
    description = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"example": "La pompe à chaleur s'arrête au bout de 5 minutes, affiche E03."},
    )
    reported_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"example": "2026-07-14", "description": "When the fault was reported (default: today)."},
    )

    @validates_schema
    def names_what_fails(self, data: dict, **_: object) -> None:
        if not (data.get("equipment_id") or data.get("serial_number") or data.get("pool_id")):
            raise ValidationError("an equipment_id, a serial_number or a pool_id", "equipment_id")
        if data.get("equipment_id") and data.get("serial_number"):
            raise ValidationError("give the equipment_id or its serial_number, not both", "serial_number")


class TicketOutput(Schema):
    id = fields.UUID(metadata={"example": TICKET})
    number = fields.String(metadata={"example": "SAV-2026-00042"})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    customer_name = fields.String(allow_none=True, metadata={"example": "Mme Durand"})
    pool_id = fields.UUID(allow_none=True, metadata={"example": POOL})
    equipment_id = fields.UUID(allow_none=True, metadata={"example": EQUIPMENT})
    category = fields.String(allow_none=True, metadata={"example": "heat_pump"})
    channel = fields.String(metadata={"example": "phone"})
    priority = fields.String(metadata={"example": "urgent"})
    description = fields.String(metadata={"example": "La pompe à chaleur s'arrête au bout de 5 minutes."})
    status = fields.String(metadata={"example": "open", "description": "open, scheduled, completed"})
    covered_by = fields.String(metadata={"example": "manufacturer_warranty"})
    coverage_reason = fields.String(metadata={"example": "sous garantie constructeur Zodiac jusqu'au 2027-04-12"})
    covered_until = fields.Date(allow_none=True, metadata={"example": "2027-04-12"})
    service_id = fields.UUID(allow_none=True, metadata={"example": SERVICE, "description": "A planned visit's."})
    opened_at = fields.DateTime(metadata={"example": "2026-07-14T09:12:00+00:00"})


class TicketQuery(PageQuery):
    """Tickets, newest first; ``status`` filters."""

    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(("open", "scheduled", "completed"))
    )
    customer_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "A customer's tickets (their file)."}
    )


class EquipmentOutput(Schema):
    """SAV's copy of an equipment, with its warranty status today."""

    id = fields.UUID(metadata={"example": EQUIPMENT})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    pool_id = fields.UUID(allow_none=True, metadata={"example": POOL})
    category = fields.String(metadata={"example": "heat_pump"})
    brand = fields.String(metadata={"example": "Zodiac"})
    model = fields.String(metadata={"example": "Z550iQ MD5"})
    serial_number = fields.String(allow_none=True, metadata={"example": "ZPAC-2025-118842"})
    installed_on = fields.Date(allow_none=True, metadata={"example": "2025-04-12"})
    warranty_ends_on = fields.Date(allow_none=True, metadata={"example": "2027-04-12"})
    covered_by = fields.String(metadata={"example": "manufacturer_warranty"})
    coverage_reason = fields.String(metadata={"example": "sous garantie constructeur Zodiac jusqu'au 2027-04-12"})


# --- qualification question trees ----------------------------------------------------------------

KEY = validate.Regexp(r"^[a-z0-9_-]{1,40}$", error="lower-case letters, digits, - and _ (at most 40)")
TREE = "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817"


class ChoiceInput(StrictSchema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "yes"})
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    next = fields.String(
        load_default=None,
        allow_none=True,
        validate=KEY,
        metadata={"example": "which_code", "description": "The next question's key; null ends the questions."},
    )
    service_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": "DIAG-PAC", "description": "The standard service this answer suggests."},
    )
    parts = fields.List(fields.Nested(PartInput), load_default=list, validate=validate.Length(max=20))


class QuestionInput(StrictSchema):
    key = fields.String(required=True, validate=KEY, metadata={"example": "error_code_shown"})
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"example": "L'afficheur indique-t-il un code erreur ?"},
    )
    kind = fields.String(
        load_default="choice",
        validate=validate.OneOf(("choice", "text")),
        metadata={"example": "choice", "description": "choice: one of its choices; text: free text."},
    )
    choices = fields.List(fields.Nested(ChoiceInput), load_default=list, validate=validate.Length(max=30))
    next = fields.String(
        load_default=None, allow_none=True, validate=KEY, metadata={"example": None, "description": "For text."}
    )


class QuestionTreeInput(StrictSchema):
    """An equipment category's questions, asked from the first; it replaces the category's
    previous tree for the tickets qualified from now on."""

    category = fields.String(
        required=True, validate=validate.OneOf(domain.CATEGORIES), metadata={"example": "heat_pump"}
    )
    questions = fields.List(
        fields.Nested(QuestionInput),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "example": [
                {
                    "key": "error_code_shown",
                    "text": "L'afficheur indique-t-il un code erreur ?",
                    "kind": "choice",
                    "choices": [
                        {"value": "yes", "label": "Oui", "next": "which_code"},
                        {"value": "no", "label": "Non", "next": None, "service_code": "DIAG-PAC"},
                    ],
                },
                {
                    "key": "which_code",
                    "text": "Quel code ?",
                    "kind": "choice",
                    "choices": [
                        {
                            "value": "E03",
                            "next": None,
                            "service_code": "DIAG-PAC",
                            "parts": [{"article_id": ARTICLE, "quantity": 1}],
                        },
                        {"value": "autre", "next": "describe"},
                    ],
                },
                {"key": "describe", "text": "Décrivez le code affiché", "kind": "text", "next": None},
            ]
        },
    )


class ChoiceOutput(Schema):
    value = fields.String(metadata={"example": "yes"})
    label = fields.String(allow_none=True, metadata={"example": "Oui"})
    next = fields.String(allow_none=True, metadata={"example": "which_code"})
    service_code = fields.String(allow_none=True, metadata={"example": "DIAG-PAC"})
    parts = fields.List(fields.Nested(PartOutput))


class QuestionOutput(Schema):
    key = fields.String(metadata={"example": "error_code_shown"})
    text = fields.String(metadata={"example": "L'afficheur indique-t-il un code erreur ?"})
    kind = fields.String(metadata={"example": "choice"})
    choices = fields.List(fields.Nested(ChoiceOutput))
    next = fields.String(allow_none=True, metadata={"example": None})


class QuestionTreeOutput(Schema):
    id = fields.UUID(metadata={"example": TREE})
    category = fields.String(metadata={"example": "heat_pump"})
    questions = fields.List(fields.Nested(QuestionOutput))
    created_at = fields.DateTime(metadata={"example": "2026-07-14T09:00:00+00:00"})


class AnswerInput(StrictSchema):
    question = fields.String(required=True, validate=KEY, metadata={"example": "error_code_shown"})
    answer = fields.String(required=True, validate=validate.Length(max=500), metadata={"example": "yes"})


class QualificationInput(StrictSchema):
    """Every answer given so far, in the order asked (each save replaces the previous)."""

    answers = fields.List(fields.Nested(AnswerInput), required=True, validate=validate.Length(max=100))


class AnswerOutput(Schema):
    question = fields.String(metadata={"example": "error_code_shown"})
    text = fields.String(metadata={"example": "L'afficheur indique-t-il un code erreur ?"})
    answer = fields.String(metadata={"example": "yes"})


class SuggestedService(Schema):
    id = fields.UUID(metadata={"example": SERVICE})
    code = fields.String(metadata={"example": "DIAG-PAC"})
    name = fields.String(metadata={"example": "Diagnostic pompe à chaleur"})


class QualificationOutput(Schema):
    ticket_id = fields.UUID(metadata={"example": TICKET})
    tree_id = fields.UUID(metadata={"example": TREE})
    answers = fields.List(fields.Nested(AnswerOutput))
    complete = fields.Boolean(metadata={"example": False})
    next_question = fields.Nested(QuestionOutput, allow_none=True)
    suggested_service = fields.Nested(SuggestedService, allow_none=True)
    suggested_parts = fields.List(fields.Nested(PartOutput))


# --- maintenance plans and planned visits ------------------------------------------------------------


class PlanVisitInput(StrictSchema):
    service_code = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata={"example": "DIAG-PAC"}
    )
    month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12), metadata={"example": 4})


class MaintenancePlanInput(StrictSchema):
    """What a contract formula brings each year (opening in April, closing in October…);
    setting a formula's plan again replaces it."""

    formula = fields.String(required=True, validate=validate.Length(min=1, max=120), metadata={"example": "Sérénité"})
    visits = fields.List(fields.Nested(PlanVisitInput), required=True, validate=validate.Length(min=1, max=24))


class PlanVisitOutput(Schema):
    service_code = fields.String(metadata={"example": "DIAG-PAC"})
    month = fields.Integer(metadata={"example": 4})


class MaintenancePlanOutput(Schema):
    id = fields.UUID(metadata={"example": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"})
    formula = fields.String(metadata={"example": "Sérénité"})
    visits = fields.List(fields.Nested(PlanVisitOutput))


class GenerationInput(StrictSchema):
    year = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=2000, max=2100), metadata={"example": 2027}
    )
    month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12), metadata={"example": 4})


class GenerationOutput(Schema):
    """The tickets opened for the month's planned visits (already generated ones are not again)."""

    created = fields.List(fields.Nested(TicketOutput))
    already_generated = fields.Integer(metadata={"example": 0})


# --- technicians and standard services --------------------------------------------------------


class Coordinate(fields.String):
    """A latitude or longitude in decimal degrees, as a string (``"43.8367"``): at most six
    decimals (about 10 cm), within ±``limit``."""

    PATTERN = re.compile(r"^-?\d{1,3}(\.\d{1,6})?$")

    def __init__(self, limit: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.limit = limit

    def _serialize(self, value: object, attr: object, obj: object, **kwargs: object) -> str | None:
        return None if value is None else f"{value:.6f}".rstrip("0").rstrip(".")

    def _deserialize(self, value: object, attr: object, data: object, **kwargs: object) -> float:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.PATTERN.match(text) or abs(float(text)) > self.limit:
            raise ValidationError(f"decimal degrees between -{self.limit} and {self.limit}, at most 6 decimals")
        return float(text)


class HourMinute(fields.String):
    """A time of day on the wire as ``HH:MM`` (local time)."""

    PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

    def _serialize(self, value: object, attr: object, obj: object, **kwargs: object) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value: object, attr: object, data: object, **kwargs: object) -> time:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.PATTERN.match(text):
            raise ValidationError("a time of day as HH:MM")
        return time(int(text[:2]), int(text[3:5]))


class TechnicianInput(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Julien Martin"})
    skills = fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={"example": ["heat_pump", "leak_search"]},
    )
    work_starts = HourMinute(load_default=None, metadata={"example": "08:00"})
    work_ends = HourMinute(load_default=None, metadata={"example": "17:00"})
    working_days = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7)),
        load_default=lambda: [1, 2, 3, 4, 5],
        validate=validate.Length(min=1, max=7),
        metadata={"example": [1, 2, 3, 4, 5], "description": "ISO weekdays, 1 = Monday."},
    )
    van_location_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"example": VAN, "description": "The van: an inventory location the parts come from."},
    )
    base_latitude = Coordinate(90, load_default=None, allow_none=True, metadata={"example": "43.8367"})
    base_longitude = Coordinate(180, load_default=None, allow_none=True, metadata={"example": "4.3601"})

    @validates_schema
    def hours_are_coherent(self, data: dict, **_: object) -> None:
        starts, ends = data.get("work_starts"), data.get("work_ends")
        if starts is not None and ends is not None and ends <= starts:
            raise ValidationError("must be after work_starts", "work_ends")


class TechnicianOutput(Schema):
    id = fields.UUID(metadata={"example": TECHNICIAN})
    name = fields.String(metadata={"example": "Julien Martin"})
    skills = fields.List(fields.String(), metadata={"example": ["heat_pump", "leak_search"]})
    work_starts = HourMinute(metadata={"example": "08:00"})
    work_ends = HourMinute(metadata={"example": "17:00"})
    working_days = fields.List(fields.Integer(), metadata={"example": [1, 2, 3, 4, 5]})
    van_location_id = fields.UUID(allow_none=True, metadata={"example": VAN})
    base_latitude = Coordinate(180, allow_none=True, metadata={"example": "43.8367"})
    base_longitude = Coordinate(180, allow_none=True, metadata={"example": "4.3601"})


class StandardServiceInput(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "DIAG-PAC"})
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Diagnostic pompe à chaleur"}
    )
    duration_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=5, max=720), metadata={"example": 90}
    )
    skill = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=60), metadata={"example": "heat_pump"}
    )
    checklist = fields.List(
        fields.String(validate=validate.Length(min=1, max=300)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"example": ["Relever le code erreur", "Contrôler les pressions", "Nettoyer l'évaporateur"]},
    )
    parts = fields.List(fields.Nested(PartInput), load_default=list, validate=validate.Length(max=50))


class StandardServiceOutput(Schema):
    id = fields.UUID(metadata={"example": SERVICE})
    code = fields.String(metadata={"example": "DIAG-PAC"})
    name = fields.String(metadata={"example": "Diagnostic pompe à chaleur"})
    duration_minutes = fields.Integer(metadata={"example": 90})
    skill = fields.String(allow_none=True, metadata={"example": "heat_pump"})
    checklist = fields.List(fields.String(), metadata={"example": ["Relever le code erreur"]})
    parts = fields.List(fields.Nested(PartOutput))


# --- interventions ---------------------------------------------------------------------------


class InterventionInput(StrictSchema):
    """An intervention for a ticket, in a technician's agenda: ``ends_at`` defaults to the
    start plus the standard service's duration."""

    ticket_id = fields.UUID(required=True, metadata={"example": TICKET})
    technician_id = fields.UUID(required=True, metadata={"example": TECHNICIAN})
    service_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": SERVICE})
    starts_at = fields.AwareDateTime(
        required=True, default_timezone=None, metadata={"example": "2026-07-15T08:00:00+02:00"}
    )
    ends_at = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"example": "2026-07-15T09:30:00+02:00"}
    )

    latitude = Coordinate(90, load_default=None, allow_none=True, metadata={"example": "43.8102"})
    longitude = Coordinate(180, load_default=None, allow_none=True, metadata={"example": "4.3216"})
    window_starts = HourMinute(
        load_default=None,
        allow_none=True,
        metadata={"example": "08:00", "description": "The customer's time window for the route (local)."},
    )
    window_ends = HourMinute(load_default=None, allow_none=True, metadata={"example": "12:00"})

    @validates_schema
    def has_an_end(self, data: dict, **_: object) -> None:
        if data.get("ends_at") is None and data.get("service_id") is None:
            raise ValidationError("an ends_at, or a service_id whose duration gives it", "ends_at")
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError("a latitude and a longitude, or neither", "longitude")
        starts, ends = data.get("window_starts"), data.get("window_ends")
        if (starts is None) != (ends is None):
            raise ValidationError("a window has a start and an end, or neither", "window_ends")
        if starts is not None and ends is not None and ends <= starts:
            raise ValidationError("must be after window_starts", "window_ends")


class SlotInput(StrictSchema):
    """Move a scheduled intervention (to another time or technician), with the same checks
    as booking it."""

    technician_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"example": TECHNICIAN, "description": "Default: the same."}
    )
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2026-07-15T10:00:00+02:00"})
    ends_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"example": "2026-07-15T11:30:00+02:00", "description": "Default: the same duration."},
    )


class ChecklistItem(Schema):
    label = fields.String(metadata={"example": "Relever le code erreur"})
    done = fields.Boolean(metadata={"example": True})


class EquipmentChangeInput(StrictSchema):
    equipment_id = fields.UUID(required=True, metadata={"example": EQUIPMENT})
    action = fields.String(
        required=True, validate=validate.OneOf(("replaced", "removed", "repaired")), metadata={"example": "repaired"}
    )
    new_serial_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=120), metadata={"example": None}
    )


class EquipmentChangeOutput(Schema):
    equipment_id = fields.UUID(metadata={"example": EQUIPMENT})
    action = fields.String(metadata={"example": "repaired"})
    new_serial_number = fields.String(allow_none=True, metadata={"example": None})


class InterventionOutput(Schema):
    id = fields.UUID(metadata={"example": INTERVENTION})
    ticket_id = fields.UUID(metadata={"example": TICKET})
    ticket_number = fields.String(metadata={"example": "SAV-2026-00042"})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    technician_id = fields.UUID(metadata={"example": TECHNICIAN})
    service_id = fields.UUID(allow_none=True, metadata={"example": SERVICE})
    starts_at = fields.DateTime(metadata={"example": "2026-07-15T06:00:00+00:00"})
    ends_at = fields.DateTime(metadata={"example": "2026-07-15T07:30:00+00:00"})
    status = fields.String(metadata={"example": "scheduled", "description": "scheduled, completed"})
    covered_by = fields.String(metadata={"example": "none"})
    checklist = fields.List(fields.Nested(ChecklistItem))
    report = fields.String(metadata={"example": "Condensateur du ventilateur remplacé."})
    labour_minutes = fields.Integer(metadata={"example": 75})
    travel_km = TwoPlaces(metadata={"example": "18.50"})
    parts = fields.List(fields.Nested(PartOutput))
    equipment_changes = fields.List(fields.Nested(EquipmentChangeOutput))
    version = fields.Integer(metadata={"example": 2, "description": "Raised by each report edit: the ETag."})
    signer_name = fields.String(allow_none=True, metadata={"example": "Mme Durand"})
    signed_at = fields.DateTime(allow_none=True, metadata={"example": "2026-07-15T07:40:00+00:00"})
    slip_hash = fields.String(allow_none=True, metadata={"example": "9f2c…", "description": "SHA-256 of the slip."})
    completed_at = fields.DateTime(allow_none=True, metadata={"example": "2026-07-15T07:40:00+00:00"})
    slip_sent_to = fields.String(allow_none=True, metadata={"example": "durand@example.fr"})
    slip_sent_at = fields.DateTime(allow_none=True, metadata={"example": "2026-07-15T07:41:00+00:00"})
    latitude = Coordinate(180, allow_none=True, metadata={"example": "43.8102"})
    longitude = Coordinate(180, allow_none=True, metadata={"example": "4.3216"})
    window_starts = HourMinute(allow_none=True, metadata={"example": "08:00"})
    window_ends = HourMinute(allow_none=True, metadata={"example": "12:00"})


class DayQuery(StrictSchema):
    date = fields.Date(load_default=None, metadata={"example": "2026-07-15", "description": "Default: today."})


class DayOutput(Schema):
    """A technician's day: the interventions in start order."""

    technician_id = fields.UUID(metadata={"example": TECHNICIAN})
    date = fields.Date(metadata={"example": "2026-07-15"})
    interventions = fields.List(fields.Nested(InterventionOutput))


class FreeSlotsQuery(DayQuery):
    duration_minutes = fields.Integer(
        load_default=60,
        strict=False,
        validate=validate.Range(min=15, max=600),
        metadata={"example": 90, "description": "The intervention's length (a standard service's duration)."},
    )


class FreeSlot(Schema):
    starts_at = fields.DateTime(metadata={"example": "2026-07-15T10:00:00+02:00"})
    ends_at = fields.DateTime(metadata={"example": "2026-07-15T11:30:00+02:00"})


class FreeSlotsOutput(Schema):
    """The slots a technician can still take on a day: within the working hours, every half
    hour, overlapping no intervention, none already past."""

    technician_id = fields.UUID(metadata={"example": TECHNICIAN})
    date = fields.Date(metadata={"example": "2026-07-15"})
    duration_minutes = fields.Integer(metadata={"example": 90})
    slots = fields.List(fields.Nested(FreeSlot))


class RouteVisit(Schema):
    intervention_id = fields.UUID(metadata={"example": INTERVENTION})
    ticket_number = fields.String(metadata={"example": "SAV-2026-00042"})
    arrives_at = fields.DateTime(metadata={"example": "2026-07-15T08:24:00+02:00"})
    starts_at = fields.DateTime(metadata={"example": "2026-07-15T08:24:00+02:00"})
    ends_at = fields.DateTime(metadata={"example": "2026-07-15T09:54:00+02:00"})
    km_from_previous = TwoPlaces(metadata={"example": "18.20"})


class RouteOutput(Schema):
    """The proposed order of a technician's day, shortest found within every customer's
    time window and the working hours; never longer than the booking order."""

    technician_id = fields.UUID(metadata={"example": TECHNICIAN})
    date = fields.Date(metadata={"example": "2026-07-15"})
    visits = fields.List(fields.Nested(RouteVisit))
    total_km = TwoPlaces(metadata={"example": "81.20", "description": "Road km, back to the base included."})
    booked_order_km = TwoPlaces(
        allow_none=True,
        metadata={"example": "133.30", "description": "The same day in booking order; null if that misses a window."},
    )
    back_at = fields.DateTime(metadata={"example": "2026-07-15T16:40:00+02:00"})
    unplaced = fields.List(
        fields.UUID(), metadata={"example": [], "description": "Interventions without site coordinates."}
    )


class ReportInput(StrictSchema):
    """What the technician records on site (replaces what was recorded before)."""

    checked = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=0, max=49)),
        load_default=list,
        metadata={"example": [0, 1], "description": "Indexes of the checklist's operations done."},
    )
    report = fields.String(load_default="", validate=TEXT, metadata={"example": "Condensateur remplacé."})
    labour_minutes = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=24 * 60), metadata={"example": 75}
    )
    travel_km = TwoPlaces(load_default=0, validate=validate.Range(min=0, max=2000), metadata={"example": "18.50"})
    parts = fields.List(fields.Nested(PartInput), load_default=list, validate=validate.Length(max=50))
    equipment_changes = fields.List(
        fields.Nested(EquipmentChangeInput), load_default=list, validate=validate.Length(max=20)
    )


class SignatureInput(StrictSchema):
    """The customer signs the slip on the technician's phone; the intervention completes."""

    signer_name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Mme Durand"}
    )
    image = fields.String(
        required=True,
        validate=[validate.Length(max=200_000), validate.Regexp(r"^data:image/(png|svg\+xml);base64,[A-Za-z0-9+/=]+$")],
        metadata={"example": "data:image/png;base64,iVBORw0KGgo=", "description": "The signature, as a data: URL."},
    )


class PhotoInput(StrictSchema):
    caption = fields.String(load_default="", validate=validate.Length(max=300), metadata={"example": "Condensateur HS"})
    image = fields.String(
        required=True,
        validate=[
            validate.Length(max=900_000),
            validate.Regexp(r"^data:image/(jpeg|png|webp);base64,[A-Za-z0-9+/=]+$", error="a data:image/… URL"),
        ],
        metadata={"example": "data:image/jpeg;base64,/9j/4AAQSkZJRg==", "description": "JPEG, PNG or WebP."},
    )


class PhotoOutput(Schema):
    id = fields.UUID(metadata={"example": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"})
    caption = fields.String(metadata={"example": "Condensateur HS"})
    image = fields.String(metadata={"example": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="})
    sha256 = fields.String(metadata={"example": "5f1e…"})
    taken_at = fields.DateTime(metadata={"example": "2026-07-15T09:10:00+00:00"})


class SlipVerification(Schema):
    intervention_id = fields.UUID(metadata={"example": INTERVENTION})
    signed_hash = fields.String(metadata={"example": "9f2c…"})
    current_hash = fields.String(metadata={"example": "9f2c…"})
    intact = fields.Boolean(metadata={"example": True, "description": "False: the slip changed after signing."})


class SendSlipInput(StrictSchema):
    to = fields.Email(
        load_default=None,
        allow_none=True,
        metadata={"example": "durand@example.fr", "description": "Default: the customer's e-mail."},
    )


# --- manufacturer returns --------------------------------------------------------------------


class WarrantyReturnInput(StrictSchema):
    ticket_id = fields.UUID(required=True, metadata={"example": TICKET})
    fault_description = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"example": "Compresseur ne démarre pas, code E03 au démarrage."},
    )
    error_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=60), metadata={"example": "E03"}
    )
    proof_of_purchase = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"example": "Facture FA-2025-00318 du 12/04/2025"},
    )


class ReturnStatusInput(StrictSchema):
    status = fields.String(
        required=True, validate=validate.OneOf(domain.RETURN_STATUSES[1:]), metadata={"example": "accepted"}
    )
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"example": "Accord RMA n° 55-1182"},
    )


class ReturnEvent(Schema):
    status = fields.String(metadata={"example": "accepted"})
    note = fields.String(allow_none=True, metadata={"example": "Accord RMA n° 55-1182"})
    at = fields.String(metadata={"example": "2026-07-16T14:20:00+00:00", "description": "An ISO-8601 instant."})


class WarrantyReturnOutput(Schema):
    id = fields.UUID(metadata={"example": RETURN})
    ticket_id = fields.UUID(metadata={"example": TICKET})
    equipment_id = fields.UUID(metadata={"example": EQUIPMENT})
    brand = fields.String(metadata={"example": "zodiac"})
    category = fields.String(metadata={"example": "heat_pump"})
    model = fields.String(metadata={"example": "Z550iQ MD5"})
    serial_number = fields.String(metadata={"example": "ZPAC-2025-118842"})
    installed_on = fields.Date(allow_none=True, metadata={"example": "2025-04-12"})
    fault_description = fields.String(metadata={"example": "Compresseur ne démarre pas."})
    error_code = fields.String(allow_none=True, metadata={"example": "E03"})
    proof_of_purchase = fields.String(metadata={"example": "Facture FA-2025-00318 du 12/04/2025"})
    status = fields.String(metadata={"example": "requested"})
    history = fields.List(fields.Nested(ReturnEvent))
    requested_at = fields.DateTime(metadata={"example": "2026-07-15T10:05:00+00:00"})


class ServiceRequestInput(StrictSchema):
    """A service request from the customer's portal: on one of their pools or equipment."""

    pool_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": POOL})
    equipment_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": EQUIPMENT})
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(domain.CATEGORIES),
        metadata={"example": None, "description": "For a pool request: what is failing (else the equipment's)."},
    )
    priority = fields.String(
        load_default="normal", validate=validate.OneOf(domain.PRIORITIES), metadata={"example": "normal"}
    )
    description = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"example": "L'eau est verte depuis l'orage de dimanche."},
    )

    @validates_schema
    def names_what_fails(self, data: dict, **_: object) -> None:
        if not (data.get("equipment_id") or data.get("pool_id")):
            raise ValidationError("a pool_id or an equipment_id", "pool_id")


class DocumentOutput(Schema):
    """A PDF, base64-encoded."""

    filename = fields.String(metadata={"example": "bon-intervention-SAV-2026-00042.pdf"})
    content = fields.String(metadata={"example": "JVBERi0xLjcK…"})
