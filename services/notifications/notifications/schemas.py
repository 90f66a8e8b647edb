"""Wire formats of the notifications RPC API (what the gateway sends and receives)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from bassin_common.pagination import PageQuery
from bassin_common.schemas import StrictSchema
from notifications.domain import (
    ACTION_STATES,
    CAMPAIGNS,
    CHANNELS,
    OPERATORS,
    PRIORITIES,
    RECIPIENT_KINDS,
    STAFF_ROLES,
    TRIGGERS,
)

ACTION = "3f6c1b2a-7d4e-4c8b-9a01-2b3c4d5e6f70"
RULE = "8a7b6c5d-4e3f-4a1b-9c2d-3e4f5a6b7c8d"
CUSTOMER = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
PARTNER = "e5d4c3b2-a1f0-4e9d-8c7b-6a5f4e3d2c1b"
DELIVERY = "d0e1f2a3-b4c5-4d6e-9f70-8192a3b4c5d6"
USER = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"

# --- actions ----------------------------------------------------------------------------------


class ActionQuery(PageQuery):
    """Which actions: by default the caller's inbox (assigned to them, or to one of their
    roles and to no one in particular), open ones (and snoozed ones whose day has come)."""

    inbox = fields.String(
        load_default="mine",
        validate=validate.OneOf(("mine", "all")),
        metadata={"description": "`mine`: the caller's and their roles'; `all`: the whole company's."},
    )
    status = fields.String(load_default="open", validate=validate.OneOf(ACTION_STATES))
    role = fields.String(load_default=None, validate=validate.OneOf(STAFF_ROLES), metadata={"example": "sales"})
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    customer_id = fields.UUID(load_default=None)


class ActionOutput(Schema):
    id = fields.UUID(metadata={"example": ACTION})
    title = fields.String(
        metadata={"example": "Rappeler M. Durand : premier contact du 02/05/2026, toujours sans devis"}
    )
    message = fields.String(metadata={"example": "Premier contact (salon) le 02/05/2026. Aucun devis envoyé depuis."})
    customer_id = fields.UUID(allow_none=True, metadata={"example": CUSTOMER})
    customer_name = fields.String(allow_none=True, metadata={"example": "M. Durand"})
    due_on = fields.Date(metadata={"example": "2026-05-05"})
    priority = fields.String(metadata={"example": "normal"})
    source_event_type = fields.String(metadata={"example": "first_contact_recorded"})
    source_ref = fields.String(metadata={"example": "first_contact_recorded:2b1c0d9e-8f7a-4b6c-9d5e-4f3a2b1c0d9e"})
    rule_id = fields.UUID(allow_none=True, metadata={"example": RULE})
    link = fields.String(allow_none=True, metadata={"example": f"/customers/{CUSTOMER}"})
    assignee_role = fields.String(allow_none=True, metadata={"example": "sales"})
    assignee_user_id = fields.String(allow_none=True, metadata={"example": USER})
    status = fields.String(metadata={"example": "open"})
    snoozed_until = fields.Date(allow_none=True, metadata={"example": None})
    version = fields.Integer(metadata={"example": 1})
    created_at = fields.AwareDateTime(metadata={"example": "2026-05-05T06:00:00+00:00"})


class InboxQuery(StrictSchema):
    inbox = fields.String(
        load_default="mine",
        validate=validate.OneOf(("mine", "all")),
        metadata={"description": "`mine`: the caller's and their roles'; `all`: the whole company's."},
    )


class InboxSummary(Schema):
    """The open actions of an inbox, as the dashboard shows them."""

    open = fields.Integer(metadata={"example": 12})
    overdue = fields.Integer(metadata={"example": 3, "description": "Due before today."})
    due_today = fields.Integer(metadata={"example": 2})
    high_priority = fields.Integer(metadata={"example": 4})


class ActionStatusInput(StrictSchema):
    """Done, snoozed until a day, dismissed — or open again."""

    status = fields.String(required=True, validate=validate.OneOf(ACTION_STATES), metadata={"example": "snoozed"})
    snoozed_until = fields.Date(load_default=None, metadata={"example": "2026-05-12"})


class AssigneeInput(StrictSchema):
    """Who the action is for: a role's inbox, a user's, or both (the user within the role)."""

    role = fields.String(load_default=None, validate=validate.OneOf(STAFF_ROLES), metadata={"example": "sales"})
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={"example": USER})


# --- rules -------------------------------------------------------------------------------------


class ConditionSchema(StrictSchema):
    field = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "category"})
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS), metadata={"example": "eq"})
    value = fields.Raw(load_default=None, allow_none=True, metadata={"example": "heat_pump"})


class RuleInput(StrictSchema):
    """An alert rule: on which trigger, under which conditions, after which delay, for whom,
    through which channel, saying what (French, with ``{placeholders}`` from the trigger's
    fields, ``customer_name``, ``due_on`` and ``company_name``)."""

    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=60), validate.Regexp(r"^[a-z0-9_]+$")],
        metadata={"example": "heat_pump_end_of_life"},
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Pompe à chaleur en fin de vie"}
    )
    trigger = fields.String(
        required=True,
        validate=validate.OneOf(sorted(TRIGGERS)),
        metadata={"example": "equipment_end_of_life_approaching"},
    )
    conditions = fields.List(fields.Nested(ConditionSchema), load_default=list, validate=validate.Length(max=20))
    delay_days = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=-3650, max=3650))
    delay_from = fields.String(load_default=None, allow_none=True, metadata={"example": None})
    due_in_days = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=3650))
    cancelled_by = fields.String(load_default=None, allow_none=True, metadata={"example": None})
    recipient_kind = fields.String(
        required=True, validate=validate.OneOf(RECIPIENT_KINDS), metadata={"example": "role"}
    )
    recipient = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={"example": "sales"}
    )
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS), metadata={"example": "in_app"})
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    title_template = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"example": "Proposer une pompe à chaleur neuve à {customer_name} ({brand} {model})"},
    )
    message_template = fields.String(load_default="", validate=validate.Length(max=2000))
    link_template = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    assign_to_field = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "example": None,
            "description": "A field of the trigger holding a user id (`salesperson_id`): "
            "the action goes to that user when it is set, else to the role's inbox.",
        },
    )
    enabled = fields.Boolean(load_default=True)


class RuleOutput(Schema):
    id = fields.UUID(metadata={"example": RULE})
    code = fields.String(metadata={"example": "heat_pump_end_of_life"})
    name = fields.String(metadata={"example": "Pompe à chaleur en fin de vie"})
    trigger = fields.String(metadata={"example": "equipment_end_of_life_approaching"})
    conditions = fields.List(fields.Nested(ConditionSchema))
    delay_days = fields.Integer(metadata={"example": 0})
    delay_from = fields.String(allow_none=True)
    due_in_days = fields.Integer(metadata={"example": 14})
    cancelled_by = fields.String(allow_none=True)
    recipient_kind = fields.String(metadata={"example": "role"})
    recipient = fields.String(allow_none=True, metadata={"example": "sales"})
    channel = fields.String(metadata={"example": "in_app"})
    priority = fields.String(metadata={"example": "normal"})
    title_template = fields.String(metadata={"example": "Proposer une pompe à chaleur neuve à {customer_name}"})
    message_template = fields.String()
    link_template = fields.String(allow_none=True)
    assign_to_field = fields.String(allow_none=True, metadata={"example": None})
    enabled = fields.Boolean(metadata={"example": True})
    version = fields.Integer(metadata={"example": 1})


# --- scans -------------------------------------------------------------------------------------


class ScanInput(StrictSchema):
    """Run a scan for a day (today when left out; never a day to come)."""

    as_of = fields.Date(load_default=None, metadata={"example": "2026-05-05"})


class CampaignInput(ScanInput):
    campaign = fields.String(
        required=True, validate=validate.OneOf(sorted(CAMPAIGNS)), metadata={"example": "spring_opening"}
    )


class ScanOutput(Schema):
    scan = fields.String(metadata={"example": "follow_up"})
    as_of = fields.Date(metadata={"example": "2026-05-05"})
    fired = fields.Integer(metadata={"example": 2, "description": "Rules fired (actions or messages created)."})


# --- deliveries --------------------------------------------------------------------------------


class DeliveryQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(("pending", "sent", "failed", "skipped")))
    partner_id = fields.UUID(load_default=None)


class DeliveryOutput(Schema):
    id = fields.UUID(metadata={"example": DELIVERY})
    channel = fields.String(metadata={"example": "email", "description": "`email`, `sms` or `webhook`"})
    recipient = fields.String(metadata={"example": "m.durand@example.fr"})
    subject = fields.String(metadata={"example": "Votre pompe à chaleur Zodiac Z400 arrive en fin de vie"})
    customer_id = fields.UUID(allow_none=True, metadata={"example": CUSTOMER})
    partner_id = fields.UUID(allow_none=True, metadata={"example": None})
    rule_id = fields.UUID(allow_none=True, metadata={"example": RULE})
    source_event_type = fields.String(metadata={"example": "equipment_end_of_life_approaching"})
    status = fields.String(metadata={"example": "sent", "description": "`pending`, `sent`, `failed` or `skipped`"})
    attempts = fields.Integer(metadata={"example": 1})
    last_error = fields.String(allow_none=True, metadata={"example": None})
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True, metadata={"example": "2026-05-05T06:00:02+00:00"})
    created_at = fields.AwareDateTime(metadata={"example": "2026-05-05T06:00:00+00:00"})


class AttemptOutput(Schema):
    number = fields.Integer(metadata={"example": 1})
    ok = fields.Boolean(metadata={"example": True})
    detail = fields.String(metadata={"example": "accepted by the SMTP server"})
    at = fields.AwareDateTime(metadata={"example": "2026-05-05T06:00:02+00:00"})


class DeliveryDetail(DeliveryOutput):
    body_text = fields.String()
    log = fields.List(fields.Nested(AttemptOutput), metadata={"description": "Every attempt, first first."})


# --- the company's settings and partners -------------------------------------------------------


class SettingsInput(StrictSchema):
    """Who the company's e-mails come from, and the name its messages sign with."""

    company_name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Piscines du Gard"}
    )
    sender_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={"example": "Piscines du Gard"}
    )
    sender_email = fields.Email(load_default=None, allow_none=True, metadata={"example": "contact@piscines-du-gard.fr"})


class SettingsOutput(Schema):
    company_name = fields.String(metadata={"example": "Piscines du Gard"})
    sender_name = fields.String(allow_none=True, metadata={"example": "Piscines du Gard"})
    sender_email = fields.String(allow_none=True, metadata={"example": "contact@piscines-du-gard.fr"})
    version = fields.Integer(metadata={"example": 2})


class PartnerInput(StrictSchema):
    """A manufacturer receiving its brand's warranty returns by signed webhook."""

    brand = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=60), validate.Regexp(r"^[a-z0-9][a-z0-9-]*$")],
        metadata={"example": "zodiac", "description": "The brand's slug, as sav names it in its returns."},
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Zodiac Pool Care Europe"}
    )
    amqp = fields.Boolean(
        load_default=False,
        metadata={"example": False, "description": "Also on its own AMQP queue (a broker user is made for it)."},
    )
    webhook_url = fields.Url(
        load_default=None,
        allow_none=True,
        schemes={"https", "http"},
        metadata={"example": "https://rma.zodiac.example/bassin"},
    )


class PartnerOutput(Schema):
    amqp_queue = fields.String(allow_none=True, metadata={"example": None, "description": "Its own queue, on AMQP."})
    id = fields.UUID(metadata={"example": PARTNER})
    brand = fields.String(metadata={"example": "zodiac"})
    name = fields.String(metadata={"example": "Zodiac Pool Care Europe"})
    webhook_url = fields.String(allow_none=True, metadata={"example": "https://rma.zodiac.example/bassin"})
    active = fields.Boolean(metadata={"example": True})
    version = fields.Integer(metadata={"example": 1})
    created_at = fields.AwareDateTime(metadata={"example": "2026-05-05T06:00:00+00:00"})


class NewPartnerOutput(PartnerOutput):
    amqp_user = fields.String(metadata={"example": "partner-3f6c1b2a-zodiac"})
    amqp_password = fields.String(metadata={"description": "Shown once."})
    amqp_vhost = fields.String(metadata={"example": "bassin"})
    amqp_uri = fields.String(metadata={"description": "What the partner connects with (shown once)."})
    secret = fields.String(
        metadata={
            "example": "whsec_3q2-7wSx…",
            "description": "The signing secret, shown once: give it to the partner.",
        }
    )


class WebhookInput(StrictSchema):
    """Where a partner wants its deliveries (null: no more webhooks)."""

    webhook_url = fields.Url(
        required=True,
        allow_none=True,
        schemes={"https", "http"},
        validate=validate.Length(max=500),
        metadata={"example": "https://rma.zodiac.example/bassin"},
    )


class RotatedSecretOutput(PartnerOutput):
    secret = fields.String(
        metadata={"example": "whsec_3q2-7wSx…", "description": "The new signing secret, shown once."}
    )
