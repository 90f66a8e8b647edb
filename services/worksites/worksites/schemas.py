"""Wire formats of the worksites RPC API (what the gateway sends and receives)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import Money, Percentage, StrictSchema, TwoPlaces
from worksites.domain import IMAGE_SIGNATURES, SCALES, SHAPES, SKILLS, STRUCTURES, schedule_errors, template_errors
from worksites.events import ARTICLE, CUSTOMER, LOCATION, ORDER, POOL_EXAMPLE, PROJECT, SITE, TASK

CREW = "4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c77"
POOL_TYPE = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c88"
NAME = validate.Length(min=1, max=200)
DAYS = validate.Range(min=1, max=365)
LAG = validate.Range(min=0, max=365)
DIMENSION = validate.Range(min=0.5, max=100)


STEPS_EXAMPLE = [
    {
        "step_code": "slab",
        "name": "Slab (radier)",
        "duration_days": 2,
        "depends_on": [],
        "skill": "masonry",
        "sub_steps": ["Reinforcement", "Pouring"],
        "materials": [
            {"article_id": None, "description": "Concrete C25/30", "quantity": "0.20", "scale": "m2", "unit": "m3"}
        ],
        "milestone_percent": None,
        "order_trigger": {"for_step": "waterproofing", "lead_days": 21},
    },
    {
        "step_code": "waterproofing",
        "name": "Waterproofing / liner",
        "duration_days": 2,
        "depends_on": [{"step_code": "slab", "lag_days": 3}],
        "skill": "waterproofing",
        "sub_steps": [],
        "materials": [
            {"article_id": ARTICLE, "description": "Liner 75/100", "quantity": "1.60", "scale": "m2", "unit": "m2"}
        ],
        "milestone_percent": "40.00",
        "order_trigger": None,
    },
]
SCHEDULE_EXAMPLE = [
    {"step_code": "order", "percent": "30.00"},
    {"step_code": "structure", "percent": "40.00"},
    {"step_code": "waterproofing", "percent": "25.00"},
    {"step_code": "filling", "percent": "5.00"},
]

# --- pool types and templates -----------------------------------------------------------


class DependencySchema(StrictSchema):
    step_code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "slab"})
    lag_days = fields.Integer(
        load_default=0,
        strict=True,
        validate=LAG,
        metadata={"example": 3, "description": "Working days to wait after that step ends (concrete curing…)."},
    )


class MaterialSchema(StrictSchema):
    article_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": ARTICLE})
    description = fields.String(required=True, validate=NAME, metadata={"example": "Liner 75/100"})
    quantity = TwoPlaces(
        required=True,
        validate=validate.Range(min=0, max=100000),
        metadata={"example": "1.60", "description": "Per unit of `scale`."},
    )
    scale = fields.String(
        load_default="pool",
        validate=validate.OneOf(SCALES),
        metadata={"example": "m2", "description": "pool: as is; m2: per m² of water; ml: per metre of perimeter; m3."},
    )
    unit = fields.String(load_default="u", validate=validate.Length(min=1, max=10), metadata={"example": "m2"})


class OrderTriggerSchema(StrictSchema):
    for_step = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata={"example": "waterproofing"}
    )
    lead_days = fields.Integer(
        required=True, strict=True, validate=LAG, metadata={"example": 21, "description": "Supplier lead time, days."}
    )


class StepSchema(StrictSchema):
    step_code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=40), validate.Regexp(r"^[a-z][a-z0-9_]*$")],
        metadata={"example": "structure"},
    )
    name = fields.String(required=True, validate=NAME, metadata={"example": "Walls and built-in fittings"})
    duration_days = fields.Integer(required=True, strict=True, validate=DAYS, metadata={"example": 5})
    depends_on = fields.List(fields.Nested(DependencySchema), load_default=list, validate=validate.Length(max=20))
    skill = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(SKILLS), metadata={"example": "masonry"}
    )
    sub_steps = fields.List(
        fields.String(validate=NAME),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={"example": ["Walls"]},
    )
    materials = fields.List(fields.Nested(MaterialSchema), load_default=list, validate=validate.Length(max=50))
    milestone_percent = Percentage(
        load_default=None,
        allow_none=True,
        metadata={"example": "40.00", "description": "The share of the order called when this step is done."},
    )
    order_trigger = fields.Nested(
        OrderTriggerSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "Starting this step orders `for_step`'s materials, `lead_days` ahead."},
    )


class PoolTypeInput(StrictSchema):
    """A pool the company builds and its construction template."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "BET-R8"})
    name = fields.String(required=True, validate=NAME, metadata={"example": "Béton rectangulaire 8 x 4 m"})
    structure = fields.String(required=True, validate=validate.OneOf(STRUCTURES), metadata={"example": "concrete"})
    shape = fields.String(required=True, validate=validate.OneOf(SHAPES), metadata={"example": "rectangle"})
    length_m = TwoPlaces(required=True, validate=DIMENSION, metadata={"example": "8.00"})
    width_m = TwoPlaces(required=True, validate=DIMENSION, metadata={"example": "4.00"})
    mean_depth_m = TwoPlaces(required=True, validate=validate.Range(min=0.3, max=10), metadata={"example": "1.40"})
    steps = fields.List(
        fields.Nested(StepSchema),
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": STEPS_EXAMPLE},
    )

    @validates_schema
    def template_is_usable(self, data: dict, **_: object) -> None:
        if "steps" in data and (errors := template_errors(data["steps"])):
            raise ValidationError(errors)


class PoolTypeSummary(Schema):
    id = fields.UUID(metadata={"example": POOL_TYPE})
    code = fields.String(metadata={"example": "BET-R8"})
    name = fields.String(metadata={"example": "Béton rectangulaire 8 x 4 m"})
    structure = fields.String(metadata={"example": "concrete"})
    shape = fields.String(metadata={"example": "rectangle"})
    length_m = TwoPlaces(metadata={"example": "8.00"})
    width_m = TwoPlaces(metadata={"example": "4.00"})
    mean_depth_m = TwoPlaces(metadata={"example": "1.40"})


class StepOutput(Schema):
    step_code = fields.String(metadata={"example": "structure"})
    name = fields.String(metadata={"example": "Walls and built-in fittings"})
    duration_days = fields.Integer(metadata={"example": 5})
    depends_on = fields.List(fields.Nested(DependencySchema))
    skill = fields.String(allow_none=True, metadata={"example": "masonry"})
    sub_steps = fields.List(fields.String())
    materials = fields.List(fields.Nested(MaterialSchema))
    milestone_percent = Percentage(allow_none=True, metadata={"example": "40.00"})
    order_trigger = fields.Nested(OrderTriggerSchema, allow_none=True)


class PoolTypeOutput(PoolTypeSummary):
    steps = fields.List(fields.Nested(StepOutput))
    version = fields.Integer(metadata={"example": 1, "description": "The pool type's ETag."})


# --- crews ------------------------------------------------------------------------------


class PeriodSchema(StrictSchema):
    first_day = fields.Date(required=True, metadata={"example": "2026-08-03"})
    last_day = fields.Date(required=True, metadata={"example": "2026-08-21"})
    reason = fields.String(load_default="", validate=validate.Length(max=200), metadata={"example": "Congés"})

    @validates_schema
    def first_day_comes_first(self, data: dict, **_: object) -> None:
        if data.get("first_day") and data.get("last_day") and data["last_day"] < data["first_day"]:
            raise ValidationError({"last_day": ["before first_day"]})


class CrewInput(StrictSchema):
    """An internal team or a subcontractor, its skills, and the periods it is not available."""

    name = fields.String(required=True, validate=NAME, metadata={"example": "Équipe maçonnerie Durand"})
    kind = fields.String(
        load_default="internal",
        validate=validate.OneOf(("internal", "subcontractor")),
        metadata={"example": "internal"},
    )
    skills = fields.List(
        fields.String(validate=validate.OneOf(SKILLS)),
        required=True,
        validate=validate.Length(min=1, max=len(SKILLS)),
        metadata={"example": ["masonry", "earthworks"]},
    )
    unavailable = fields.List(fields.Nested(PeriodSchema), load_default=list, validate=validate.Length(max=100))


class CrewOutput(Schema):
    id = fields.UUID(metadata={"example": CREW})
    name = fields.String(metadata={"example": "Équipe maçonnerie Durand"})
    kind = fields.String(metadata={"example": "internal"})
    skills = fields.List(fields.String(), metadata={"example": ["masonry", "earthworks"]})
    unavailable = fields.List(fields.Nested(PeriodSchema))
    version = fields.Integer(metadata={"example": 1})


class AgendaQuery(StrictSchema):
    """A period of at most three months; without one, the current week (Monday to Sunday)."""

    first_day = fields.Date(load_default=None, metadata={"example": "2026-04-13"})
    last_day = fields.Date(load_default=None, metadata={"example": "2026-04-19"})

    @validates_schema
    def short(self, data: dict, **_: object) -> None:
        if data.get("first_day") and data.get("last_day"):
            span = (data["last_day"] - data["first_day"]).days
            if not 0 <= span <= 92:
                raise ValidationError({"last_day": ["from first_day to at most 92 days after it"]})


class AgendaEntry(Schema):
    customer_name = fields.String(allow_none=True, metadata={"example": "Mme Sophie Martin"})
    city = fields.String(allow_none=True, metadata={"example": "Uzès"})
    project_id = fields.UUID(metadata={"example": PROJECT})
    task_id = fields.UUID(metadata={"example": TASK})
    step_code = fields.String(metadata={"example": "structure"})
    step_name = fields.String(metadata={"example": "Walls and built-in fittings"})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    site_id = fields.UUID(allow_none=True, metadata={"example": SITE})
    start = fields.Date(metadata={"example": "2026-04-14"})
    end = fields.Date(metadata={"example": "2026-04-20"})
    status = fields.String(metadata={"example": "pending"})


class AgendaOutput(Schema):
    """A crew's week (or any period up to three months): the steps it works, by start."""

    crew = fields.Nested(CrewOutput)
    entries = fields.List(fields.Nested(AgendaEntry))


# --- projects ---------------------------------------------------------------------------


class ScheduleEntry(StrictSchema):
    step_code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "structure"})
    percent = Percentage(required=True, metadata={"example": "40.00"})


class ScheduleLine(Schema):
    step_code = fields.String(metadata={"example": "structure"})
    percent = Percentage(metadata={"example": "40.00"})
    amount_incl_vat = Money(metadata={"example": "15600.00"})
    called = fields.Boolean(metadata={"example": False, "description": "Its step is done (or it is the order's)."})


class NoteOutput(Schema):
    id = fields.UUID(metadata={"example": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c99"})
    task_id = fields.UUID(metadata={"example": TASK})
    author = fields.String(allow_none=True, metadata={"example": "b8a7c6d5-e4f3-4a2b-9c1d-0e9f8a7b6c55"})
    text = fields.String(metadata={"example": "Ferraillage contrôlé, coulage demain 7 h."})
    created_at = fields.DateTime(metadata={"example": "2026-04-15T17:02:11+00:00"})


class TaskMaterial(Schema):
    """A material of a step, its quantity scaled for this pool (whole units, rounded up)."""

    article_id = fields.UUID(allow_none=True, metadata={"example": ARTICLE})
    description = fields.String(metadata={"example": "Liner 75/100"})
    unit = fields.String(metadata={"example": "m2"})
    quantity = fields.Integer(metadata={"example": 52})


class TaskOutput(Schema):
    """A step of a project, as a Gantt bar: planned dates, crew, status, block."""

    id = fields.UUID(metadata={"example": TASK})
    project_id = fields.UUID(metadata={"example": PROJECT})
    position = fields.Integer(metadata={"example": 6})
    step_code = fields.String(attribute="code", metadata={"example": "structure"})
    name = fields.String(metadata={"example": "Walls and built-in fittings"})
    duration_days = fields.Integer(metadata={"example": 5})
    depends_on = fields.List(fields.Nested(DependencySchema))
    skill = fields.String(allow_none=True, metadata={"example": "masonry"})
    sub_steps = fields.List(fields.String())
    materials = fields.List(fields.Nested(TaskMaterial))
    order_trigger = fields.Nested(OrderTriggerSchema, allow_none=True)
    milestone_percent = Percentage(allow_none=True, metadata={"example": "40.00"})
    status = fields.String(metadata={"example": "pending", "description": "pending, in_progress, done"})
    planned_start = fields.Date(allow_none=True, metadata={"example": "2026-04-14"})
    planned_end = fields.Date(allow_none=True, metadata={"example": "2026-04-20"})
    crew_id = fields.UUID(allow_none=True, metadata={"example": CREW})
    pinned_start = fields.Date(allow_none=True, metadata={"example": None})
    started_at = fields.DateTime(allow_none=True, metadata={"example": None})
    completed_at = fields.DateTime(allow_none=True, metadata={"example": None})
    blocked_reason = fields.String(allow_none=True, metadata={"example": None})
    blocked_until = fields.Date(allow_none=True, metadata={"example": None})


class ProjectSummary(Schema):
    id = fields.UUID(metadata={"example": PROJECT})
    order_id = fields.UUID(metadata={"example": ORDER})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    customer_name = fields.String(allow_none=True, metadata={"example": "Mme Sophie Martin"})
    site_id = fields.UUID(allow_none=True, metadata={"example": SITE})
    pool_type_code = fields.String(metadata={"example": "BET-R8"})
    status = fields.String(metadata={"example": "open", "description": "open, in_progress, completed"})
    start_on = fields.Date(allow_none=True, metadata={"example": "2026-03-02"})
    filling_date = fields.Date(allow_none=True, metadata={"example": "2026-05-20"})
    promised_filling_date = fields.Date(allow_none=True, metadata={"example": "2026-06-01"})
    created_at = fields.DateTime(metadata={"example": "2026-02-10T09:12:00+00:00"})


class ProjectOutput(ProjectSummary):
    """A project with its steps (the Gantt), its payment schedule and its handover."""

    pool = fields.Dict(metadata={"example": POOL_EXAMPLE})
    total_excl_vat = Money(metadata={"example": "32500.00"})
    total_incl_vat = Money(metadata={"example": "39000.00"})
    payment_schedule = fields.List(fields.Nested(ScheduleLine))
    location_id = fields.UUID(allow_none=True, metadata={"example": LOCATION})
    handover_on = fields.Date(allow_none=True, metadata={"example": None})
    reserves = fields.List(fields.String(), allow_none=True)
    equipment = fields.List(fields.Dict(), allow_none=True)
    guarantees = fields.Dict(keys=fields.String(), values=fields.Date(), allow_none=True)
    tasks = fields.List(fields.Nested(TaskOutput))
    version = fields.Integer(metadata={"example": 2, "description": "The project's ETag."})


class ProjectSearch(PageQuery):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "in_progress", "completed")),
        metadata={"example": "in_progress"},
    )
    customer_id = fields.UUID(
        load_default=None, metadata={"example": CUSTOMER, "description": "A customer's projects (their file)."}
    )


class ProjectUpdate(StrictSchema):
    """What the office edits on a project: the payment schedule, the stock location, the promise."""

    payment_schedule = fields.List(
        fields.Nested(ScheduleEntry), validate=validate.Length(min=1, max=20), metadata={"example": SCHEDULE_EXAMPLE}
    )
    location_id = fields.UUID(allow_none=True, metadata={"example": LOCATION})
    promised_filling_date = fields.Date(allow_none=True, metadata={"example": "2026-06-01"})

    @validates_schema
    def percents(self, data: dict, **_: object) -> None:
        # step codes are checked against the project by the use case
        errors = schedule_errors(data.get("payment_schedule", []), [])
        if problems := {k: v for k, v in errors.items() if not k.endswith(".step_code")}:
            raise ValidationError(problems)


class PlanInput(StrictSchema):
    start_on = fields.Date(required=True, metadata={"example": "2026-03-02"})


class MoveInput(StrictSchema):
    """Move a step to a date (and a crew): the steps after it are re-planned."""

    start_on = fields.Date(required=True, metadata={"example": "2026-04-20"})
    crew_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": CREW})


class BlockInput(StrictSchema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata={"example": "Arrêté sécheresse (crise)"}
    )
    until = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"example": "2026-08-31", "description": "The last blocked day; null: until unblocked."},
    )


class MoveOutput(Schema):
    task_id = fields.UUID(metadata={"example": TASK})
    step_code = fields.String(attribute="code", metadata={"example": "backfill"})
    old_start = fields.Date(allow_none=True, metadata={"example": "2026-04-22"})
    new_start = fields.Date(metadata={"example": "2026-04-29"})


class CrewChangeOutput(Schema):
    task_id = fields.UUID(metadata={"example": TASK})
    step_code = fields.String(attribute="code", metadata={"example": "backfill"})
    old_crew_id = fields.UUID(allow_none=True, metadata={"example": CREW})
    new_crew_id = fields.UUID(allow_none=True, metadata={"example": None})


class PlanOutput(Schema):
    """The re-planned project, the steps that moved (and changed crew) and the new filling date."""

    moved = fields.List(fields.Nested(MoveOutput))
    crew_changes = fields.List(fields.Nested(CrewChangeOutput))
    old_filling_date = fields.Date(allow_none=True, metadata={"example": "2026-05-20"})
    filling_date = fields.Date(allow_none=True, metadata={"example": "2026-05-27"})
    project = fields.Nested(ProjectOutput)


class RefusalOutput(Schema):
    """Why a step cannot go there, in data: the screen says it in the user's words."""

    kind = fields.String(
        metadata={
            "example": "crew_busy",
            "description": "too_early, crew_busy, crew_unavailable, no_crew_free, skill_missing",
        }
    )
    step_code = fields.String(allow_none=True, metadata={"example": "structure"})
    day = fields.Date(allow_none=True, metadata={"example": "2026-04-14"})
    earliest = fields.Date(allow_none=True, metadata={"example": None})
    crew_name = fields.String(allow_none=True, metadata={"example": "Équipe A"})
    detail = fields.String(metadata={"example": "crew Équipe A cannot work step structure on 2026-04-14: ..."})


class MovePreviewOutput(PlanOutput):
    """What a move would do, nothing saved: possible or not (and why), the steps that would
    move, the crews that would change, the filling date before and after, the project as it
    would be."""

    possible = fields.Boolean(metadata={"example": True})
    refusals = fields.List(fields.Nested(RefusalOutput))


class NoteInput(StrictSchema):
    text = fields.String(
        required=True, validate=validate.Length(min=1, max=5000), metadata={"example": "Ferraillage contrôlé."}
    )


PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


class PhotoInput(StrictSchema):
    """A photo of the step, base64-encoded, as the phone resized it (at most 700 kB)."""

    content_type = fields.String(
        required=True, validate=validate.OneOf(tuple(IMAGE_SIGNATURES)), metadata={"example": "image/png"}
    )
    data = fields.String(
        required=True,
        validate=validate.Length(min=1, max=940_000),
        metadata={"example": PIXEL_PNG, "description": "The image, base64 (RFC 4648)."},
    )
    caption = fields.String(
        load_default="", validate=validate.Length(max=500), metadata={"example": "Ferraillage du radier"}
    )


class PhotoOutput(Schema):
    id = fields.UUID(metadata={"example": "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2f10"})
    task_id = fields.UUID(metadata={"example": TASK})
    content_type = fields.String(metadata={"example": "image/png"})
    size = fields.Integer(metadata={"example": 70})
    caption = fields.String(metadata={"example": "Ferraillage du radier"})
    author = fields.String(allow_none=True, metadata={"example": "b8a7c6d5-e4f3-4a2b-9c1d-0e9f8a7b6c55"})
    created_at = fields.DateTime(metadata={"example": "2026-04-15T17:02:11+00:00"})


class PhotoContent(PhotoOutput):
    data = fields.String(metadata={"example": PIXEL_PNG, "description": "The image, base64."})


class EquipmentInput(StrictSchema):
    category = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "pump"})
    brand = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Pentair"})
    model = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "SuperFlo VS"})
    serial_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={"example": "PF-2026-118734"}
    )
    warranty_months = fields.Integer(
        load_default=24, strict=True, validate=validate.Range(min=0, max=600), metadata={"example": 36}
    )


class HandoverInput(StrictSchema):
    """The handover report (PV de réception): its date, the reserves (defects), the equipment installed."""

    handover_on = fields.Date(required=True, metadata={"example": "2026-06-12"})
    reserves = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"example": ["Margelle fissurée côté escalier"]},
    )
    equipment = fields.List(fields.Nested(EquipmentInput), load_default=list, validate=validate.Length(max=50))


class PortalTask(Schema):
    step_code = fields.String(attribute="code", metadata={"example": "structure"})
    name = fields.String(metadata={"example": "Walls and built-in fittings"})
    status = fields.String(metadata={"example": "done"})
    planned_start = fields.Date(allow_none=True, metadata={"example": "2026-04-14"})
    planned_end = fields.Date(allow_none=True, metadata={"example": "2026-04-20"})
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class PortalProject(Schema):
    """What a customer sees of their own project in the portal: its progress."""

    id = fields.UUID(metadata={"example": PROJECT})
    pool_type_code = fields.String(metadata={"example": "BET-R8"})
    status = fields.String(metadata={"example": "in_progress"})
    filling_date = fields.Date(allow_none=True, metadata={"example": "2026-05-20"})
    handover_on = fields.Date(allow_none=True, metadata={"example": None})
    progress_percent = fields.Integer(metadata={"example": 46, "description": "Steps done, in percent."})
    tasks = fields.List(fields.Nested(PortalTask))


# --- the season auto-plan ---------------------------------------------------------------


class SeasonInput(StrictSchema):
    start_on = fields.Date(required=True, metadata={"example": "2026-03-02"})
    time_limit_seconds = fields.Integer(
        load_default=7,
        strict=True,
        validate=validate.Range(min=1, max=9),
        metadata={"example": 7, "description": "How long the solver searches (the answer comes within 10 s)."},
    )


class SeasonAssignment(Schema):
    task_id = fields.UUID(metadata={"example": TASK})
    project_id = fields.UUID(metadata={"example": PROJECT})
    step_code = fields.String(metadata={"example": "structure"})
    start = fields.Date(metadata={"example": "2026-04-14"})
    end = fields.Date(metadata={"example": "2026-04-20"})
    crew_id = fields.UUID(allow_none=True, metadata={"example": CREW})
    status = fields.String(metadata={"example": "pending"})


class SeasonProjectLine(Schema):
    project_id = fields.UUID(metadata={"example": PROJECT})
    promised_filling_date = fields.Date(allow_none=True, metadata={"example": "2026-06-01"})
    filling_date = fields.Date(allow_none=True, metadata={"example": "2026-06-03"})
    lateness_days = fields.Integer(metadata={"example": 2, "description": "Working days after the promise."})


class SeasonPlanOutput(Schema):
    """A proposed plan of the season: nothing moves until the planner accepts it."""

    id = fields.UUID(metadata={"example": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"})
    status = fields.String(metadata={"example": "proposed", "description": "proposed, accepted, superseded"})
    season_start = fields.Date(metadata={"example": "2026-03-02"})
    solver = fields.String(metadata={"example": "cp-sat optimal (0.4 s)"})
    total_lateness_days = fields.Integer(metadata={"example": 2})
    projects = fields.List(fields.Nested(SeasonProjectLine))
    assignments = fields.List(fields.Nested(SeasonAssignment))
    created_at = fields.DateTime(metadata={"example": "2026-02-20T08:00:00+00:00"})


class DocumentOutput(Schema):
    """A printable document: its bytes base64-encoded, its file name and type."""

    filename = fields.String(metadata={"example": "pv-reception-2026-06-12-3f2a1b0c.pdf"})
    content_type = fields.String(metadata={"example": "application/pdf"})
    data = fields.String(metadata={"example": "JVBERi0xLjcK", "description": "The document, base64."})
