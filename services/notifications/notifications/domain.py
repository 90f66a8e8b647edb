"""Alert rules, as plain Python: no database, no broker.

A rule (``critère d'alerte``) says: on which trigger (an event another service publishes,
or a scan the scheduler runs), under which conditions on the trigger's fields, after which
delay (days from one of its dates), for whom (a role, a user, or the customer), through
which channel (in-app action, e-mail, SMS), with which French message (placeholders in
braces: ``{customer_name}``, ``{brand}``...). This module knows the triggers and their
fields (``TRIGGERS``), validates a rule naming the field at fault (``validate_rule``),
decides whether a rule applies to a trigger (``matches``), when (``due_date``), what the
message says (``render``), and the natural key that keeps one trigger from producing the
same action twice (``dedup_key``).
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bassin_common.errors import ValidationFailed

CHANNELS = ("in_app", "email", "sms")
RECIPIENT_KINDS = ("role", "user", "customer")
PRIORITIES = ("low", "normal", "high")
STAFF_ROLES = ("manager", "office", "sales", "technician", "cashier")
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "present", "absent")
# Placeholders every message may use besides the trigger's own fields.
COMMON_PLACEHOLDERS = ("customer_name", "due_on", "company_name")
MAX_TEMPLATE = 2000
MAX_DELAY_DAYS = 3650


@dataclass(frozen=True)
class Trigger:
    """Something a rule can react to: an event (``producer`` publishes it) or a scan."""

    name: str
    producer: str | None  # None: a scan of the scheduler, run in this service
    fields: tuple[str, ...]  # what conditions and templates may name
    subject: tuple[str, ...] = ()  # the fields naming the thing it is about (the natural key)
    dates: tuple[str, ...] = ()  # fields a delay may count from
    description: str = ""


def _t(
    name: str, producer: str | None, fields: str, subject: str = "", dates: str = "", description: str = ""
) -> Trigger:
    return Trigger(name, producer, tuple(fields.split()), tuple(subject.split()), tuple(dates.split()), description)


TRIGGERS: dict[str, Trigger] = {
    t.name: t
    for t in (
        _t(
            "first_contact_recorded",
            "customers",
            "lead_id customer_id source contacted_on salesperson_id",
            "lead_id",
            "contacted_on",
            "A prospect's first contact (the follow-up call counts from it).",
        ),
        _t(
            "contract_expiring",
            "customers",
            "contract_id customer_id formula starts_on ends_on price_excl_vat tacit_renewal",
            "contract_id ends_on",
            "starts_on ends_on",
            "A maintenance contract ends soon (customers' contract expiry scan).",
        ),
        _t(
            "equipment_end_of_life_approaching",
            "customers",
            "equipment_id customer_id pool_id category brand model installed_on end_of_life_on life_used_percent",
            "equipment_id",
            "installed_on end_of_life_on",
            "An equipment is past most of its expected life (customers' end-of-life scan).",
        ),
        _t(
            "task_started",
            "worksites",
            "project_id task_id step_code order_id customer_id at",
            "task_id",
            "at",
            "A worksite step started (the materials to order).",
        ),
        _t(
            "task_completed",
            "worksites",
            "project_id task_id step_code order_id customer_id at milestone_percent "
            "project_total_excl_vat project_total_incl_vat",
            "task_id",
            "at",
            "A worksite step is complete (a milestone: the payment request to send).",
        ),
        _t(
            "materials_order_due",
            "worksites",
            "project_id task_id for_task_id for_step_code order_by materials",
            "task_id for_step_code",
            "order_by",
            "Starting a worksite step calls for another step's materials now (the liner when the structure "
            "starts): ``materials`` lists them as text.",
        ),
        _t(
            "reorder_needed",
            "inventory",
            "article_id location_id supplier_id quantity_on_hand minimum maximum suggested_quantity",
            "",
            "",
            "A stock level crossed its minimum: the supplier basket has a line to validate.",
        ),
        _t(
            "invoice_overdue",
            "pos",
            "invoice_id number customer_id due_on balance",
            "invoice_id",
            "due_on",
            "An invoice is past due with a balance (pos's overdue scan).",
        ),
        _t(
            "intervention_scheduled",
            "sav",
            "intervention_id ticket_id customer_id technician_id starts_at ends_at",
            "intervention_id starts_at",
            "starts_at",
            "A technician's visit is booked (the customer is reminded the day before).",
        ),
        _t(
            "spring_opening",
            None,
            "contract_id customer_id formula season",
            "contract_id season",
            "",
            "Seasonal campaign: each customer with a maintenance contract, at the spring opening.",
        ),
        _t(
            "autumn_closing",
            None,
            "contract_id customer_id formula season",
            "contract_id season",
            "",
            "Seasonal campaign: each customer with a maintenance contract, at the autumn closing.",
        ),
    )
}
# Events that cancel a delayed rule before it fires ("no quote since the first contact").
CANCELLERS: dict[str, tuple[str, ...]] = {"quote_sent": ("lead_id", "customer_id")}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Rule:
    """A rule as the domain sees it (a row of ``rules``, or a default)."""

    code: str
    name: str
    trigger: str
    channel: str
    recipient_kind: str
    title_template: str
    message_template: str = ""
    recipient: str | None = None
    conditions: tuple[Condition, ...] = ()
    delay_days: int = 0
    delay_from: str | None = None  # a date field of the trigger; None: when it happened
    due_in_days: int = 0  # for an action: its due date, days after the rule fires
    cancelled_by: str | None = None  # an event of CANCELLERS
    priority: str = "normal"
    link_template: str | None = None
    enabled: bool = True
    assign_to_field: str | None = None  # a field holding a user id: the action goes to that user


# --- validation ------------------------------------------------------------------------------


def validate_rule(data: Mapping[str, Any]) -> None:
    """Refuse a rule that could not work, naming each field at fault (``ValidationFailed``)."""
    errors: dict[str, list[str]] = {}

    def fault(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    trigger = TRIGGERS.get(data.get("trigger", ""))
    if trigger is None:
        fault("trigger", f"unknown trigger; one of: {', '.join(sorted(TRIGGERS))}")
    known = set(trigger.fields) if trigger else set()
    channel, kind, recipient = data.get("channel"), data.get("recipient_kind"), data.get("recipient")
    if channel not in CHANNELS:
        fault("channel", f"one of {', '.join(CHANNELS)}")
    if kind not in RECIPIENT_KINDS:
        fault("recipient_kind", f"one of {', '.join(RECIPIENT_KINDS)}")
    elif kind == "role" and recipient not in STAFF_ROLES:
        fault("recipient", f"a staff role: one of {', '.join(STAFF_ROLES)}")
    elif kind == "user" and not recipient:
        fault("recipient", "the id of the user who receives it")
    elif kind == "customer" and recipient:
        fault("recipient", "leave it empty: the customer is the one the trigger is about")
    if channel in ("email", "sms") and kind in ("role", "user"):
        fault("channel", "e-mail and SMS go to the customer; staff get in-app actions")
    if channel == "in_app" and kind == "customer":
        fault("channel", "a customer has no in-app inbox: choose email or sms")
    if trigger is not None and "customer_id" not in known and kind == "customer":
        fault("recipient_kind", f"{trigger.name} names no customer")
    for index, condition in enumerate(data.get("conditions") or ()):
        where = f"conditions.{index}"
        if trigger is not None and condition.get("field") not in known:
            fault(f"{where}.field", f"not a field of {trigger.name}: one of {', '.join(trigger.fields)}")
        op = condition.get("op")
        if op not in OPERATORS:
            fault(f"{where}.op", f"one of {', '.join(OPERATORS)}")
        elif op in ("present", "absent"):
            if condition.get("value") is not None:
                fault(f"{where}.value", f"{op} takes no value")
        elif op == "in" and not isinstance(condition.get("value"), list):
            fault(f"{where}.value", "a list of values")
        elif op != "in" and condition.get("value") is None:
            fault(f"{where}.value", "a value to compare with")
        elif op in ("gt", "gte", "lt", "lte") and _comparable(condition.get("value")) is None:
            fault(f"{where}.value", "a number or a date (YYYY-MM-DD) to compare with")
    assign_to = data.get("assign_to_field")
    if assign_to is not None:
        if trigger is not None and assign_to not in known:
            fault("assign_to_field", f"not a field of {trigger.name}: one of {', '.join(trigger.fields)}")
        elif channel != "in_app":
            fault("assign_to_field", "only an in-app action is assigned to a user")
    delay_from = data.get("delay_from")
    if delay_from is not None and trigger is not None and delay_from not in trigger.dates:
        fault("delay_from", f"a date of {trigger.name}: one of {', '.join(trigger.dates) or 'none'}")
    if not -MAX_DELAY_DAYS <= int(data.get("delay_days") or 0) <= MAX_DELAY_DAYS:
        fault("delay_days", f"between -{MAX_DELAY_DAYS} and {MAX_DELAY_DAYS} days")
    cancelled_by = data.get("cancelled_by")
    if cancelled_by is not None:
        if cancelled_by not in CANCELLERS:
            fault("cancelled_by", f"one of {', '.join(CANCELLERS)}")
        elif trigger is not None and not set(CANCELLERS[cancelled_by]) & known:
            fault("cancelled_by", f"{cancelled_by} shares no id with {trigger.name}")
    if data.get("priority", "normal") not in PRIORITIES:
        fault("priority", f"one of {', '.join(PRIORITIES)}")
    placeholders = known | set(COMMON_PLACEHOLDERS)
    for name in ("title_template", "message_template", "link_template"):
        template = data.get(name)
        if template is None or trigger is None:  # the trigger's fields are unknown: said once, on trigger
            continue
        if problem := template_problem(template, placeholders):
            fault(name, problem)
    if channel in ("email", "sms") and not (data.get("message_template") or "").strip():
        fault("message_template", "the text the customer receives")
    if errors:
        raise ValidationFailed(f"this rule cannot work: {', '.join(sorted(errors))}", errors)


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def template_problem(template: str, placeholders: set[str]) -> str | None:
    """Why ``template`` cannot be rendered with ``placeholders`` (None: it can). Only plain
    ``{name}`` placeholders: no attribute, index, conversion or format (never code)."""
    if len(template) > MAX_TEMPLATE:
        return f"at most {MAX_TEMPLATE} characters"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        return f"malformed braces ({error}); write {{{{ and }}}} for literal braces"
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _IDENTIFIER.match(name) or spec or conversion:
            return f"{{{name}}}: placeholders are plain names, like {{customer_name}}"
        if name not in placeholders:
            return f"unknown placeholder {{{name}}}; available: {', '.join(sorted(placeholders))}"
    return None


# --- evaluation ------------------------------------------------------------------------------


def _comparable(value: Any) -> Decimal | date | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value if isinstance(value, str | bool | int | float | type(None) | list) else str(value)


def as_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """A trigger's data as JSON holds it (dates and instants ISO, ids and amounts as text)."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal | uuid.UUID):
            return str(value)
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {k: plain(v) for k, v in data.items()}


def condition_holds(condition: Condition, data: Mapping[str, Any]) -> bool:
    value = data.get(condition.field)
    op, expected = condition.op, condition.value
    if op == "present":
        return value not in (None, "", [])
    if op == "absent":
        return value in (None, "", [])
    if value is None:
        return False
    if op in ("eq", "ne"):
        same = _same(value, expected)
        return same if op == "eq" else not same
    if op == "in":
        return any(_same(value, option) for option in expected)
    if op == "contains":
        if isinstance(value, list):
            return any(_same(item, expected) for item in value)
        return str(expected).casefold() in str(value).casefold()
    left, right = _comparable(value), _comparable(expected)
    if left is None or right is None or type(left) is not type(right):
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def _same(value: Any, expected: Any) -> bool:
    left, right = _comparable(value), _comparable(expected)
    if left is not None and right is not None and type(left) is type(right):
        return left == right
    return str(_plain(value)).casefold() == str(_plain(expected)).casefold()


def matches(rule: Rule, trigger: str, data: Mapping[str, Any]) -> bool:
    return rule.enabled and rule.trigger == trigger and all(condition_holds(c, data) for c in rule.conditions)


def due_date(rule: Rule, data: Mapping[str, Any], happened_on: date) -> date:
    """When the rule fires: ``delay_days`` after its ``delay_from`` date (or the trigger's day)."""
    anchor = _comparable(data.get(rule.delay_from)) if rule.delay_from else None
    start = anchor if isinstance(anchor, date) else happened_on
    return start + timedelta(days=rule.delay_days)


def dedup_key(rule_id: Any, trigger: Trigger, data: Mapping[str, Any], event_id: Any) -> str:
    """The natural key of what ``rule_id`` produces for this trigger: the rule and the thing
    it is about (``trigger.subject``), so that the same fact published twice — a scan run
    again, an event redelivered with another id — yields nothing new. Without a subject,
    the event itself."""
    subject = [str(_plain(data.get(name))) for name in trigger.subject] if trigger.subject else [str(event_id)]
    return ":".join([str(rule_id), trigger.name, *subject])


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return ""


def french(value: Any) -> str:
    """A value as a French reader expects it in a message: dates 31/12/2026, amounts 1 234,50."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return french(date.fromisoformat(value))
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+([+-]\d{2}:\d{2}|Z)?", value):
        return french(datetime.fromisoformat(value.replace("Z", "+00:00")))
    if isinstance(value, list):
        return ", ".join(french(item) for item in value)
    return "" if value is None else str(value)


def materials_text(lines: list[Mapping[str, Any]]) -> str:
    """A step's materials as a message reads them: « Liner 75/100 (52 m2), Feutre (52 m2) »."""
    described = []
    for line in lines:
        name = line.get("description") or "article"
        quantity = " ".join(str(part) for part in (line.get("quantity"), line.get("unit")) if part not in (None, ""))
        described.append(f"{name} ({quantity})" if quantity else name)
    return ", ".join(described)


def render(template: str | None, values: Mapping[str, Any]) -> str:
    """``template`` with its placeholders filled in French formats (unknown ones left empty)."""
    if not template:
        return ""
    return string.Formatter().vformat(template, (), _Values({k: french(v) for k, v in values.items()}))


# --- actions -----------------------------------------------------------------------------------

OPEN, DONE, SNOOZED, DISMISSED = "open", "done", "snoozed", "dismissed"
ACTION_STATES = (OPEN, DONE, SNOOZED, DISMISSED)
# From a state, where a person may take an action (re-opening is allowed from every state).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OPEN: (DONE, SNOOZED, DISMISSED),
    SNOOZED: (OPEN, DONE, SNOOZED, DISMISSED),
    DONE: (OPEN,),
    DISMISSED: (OPEN,),
}


def check_transition(current: str, wanted: str, snoozed_until: date | None, today: date) -> None:
    if wanted not in TRANSITIONS.get(current, ()):
        raise ValidationFailed.field("status", f"an action {current} cannot become {wanted}")
    if wanted == SNOOZED and (snoozed_until is None or snoozed_until <= today):
        raise ValidationFailed.field("snoozed_until", "snoozing needs a day after today")
    if wanted != SNOOZED and snoozed_until is not None:
        raise ValidationFailed.field("snoozed_until", "only a snoozed action has a day to come back")


# --- default rules ------------------------------------------------------------------------------


def _rule(
    code: str, name: str, trigger: str, channel: str, kind: str, recipient: str | None, title: str, **more: Any
) -> Rule:
    return Rule(code, name, trigger, channel, kind, title, recipient=recipient, **more)


DEFAULT_RULES: tuple[Rule, ...] = (
    _rule(
        "follow_up_call",
        "Relance téléphonique après un premier contact sans devis",
        "first_contact_recorded",
        "in_app",
        "role",
        "sales",
        "Rappeler {customer_name} : premier contact du {contacted_on}, toujours sans devis",
        message_template=(
            "Premier contact ({source}) le {contacted_on}. Aucun devis envoyé depuis : appeler le prospect."
        ),
        delay_days=3,
        delay_from="contacted_on",
        cancelled_by="quote_sent",
        assign_to_field="salesperson_id",
        link_template="/customers/{customer_id}",
    ),
    _rule(
        "contract_expiring",
        "Contrat d'entretien arrivant à échéance",
        "contract_expiring",
        "in_app",
        "role",
        "office",
        "Renouveler le contrat {formula} de {customer_name} (échéance le {ends_on})",
        message_template="Le contrat d'entretien {formula} se termine le {ends_on}. Proposer le renouvellement.",
        due_in_days=7,
        link_template="/customers/{customer_id}",
    ),
    _rule(
        "end_of_life_customer",
        "Équipement en fin de vie : courriel au client avec une offre de remplacement",
        "equipment_end_of_life_approaching",
        "email",
        "customer",
        None,
        "Votre {category} {brand} {model} arrive en fin de vie",
        message_template=(
            "Bonjour {customer_name},\n\nVotre {category} {brand} {model}, installé(e) le {installed_on}, "
            "a atteint {life_used_percent} % de sa durée de vie prévue (fin de vie estimée le {end_of_life_on}).\n"
            "Pour éviter une panne en pleine saison, nous vous proposons un remplacement à tarif préférentiel : "
            "répondez à ce courriel ou appelez-nous pour un devis gratuit.\n\n{company_name}"
        ),
    ),
    _rule(
        "end_of_life_sales",
        "Équipement en fin de vie : action commerciale",
        "equipment_end_of_life_approaching",
        "in_app",
        "role",
        "sales",
        "Proposer le remplacement : {category} {brand} {model} de {customer_name}",
        message_template="Fin de vie estimée le {end_of_life_on} ({life_used_percent} % de la durée de vie).",
        due_in_days=14,
        link_template="/customers/{customer_id}",
    ),
    _rule(
        "payment_request_to_send",
        "Appel de fonds à envoyer à la fin d'une étape jalon",
        "task_completed",
        "in_app",
        "role",
        "office",
        "Envoyer l'appel de fonds de {milestone_percent} % : étape {step_code} terminée",
        message_template="L'étape {step_code} du chantier est terminée le {at} : appel de fonds à envoyer au client.",
        conditions=(Condition("milestone_percent", "present"),),
        priority="high",
        link_template="/worksites/projects/{project_id}",
    ),
    _rule(
        "materials_to_order",
        "Matériaux à commander au démarrage d'une étape",
        "task_started",
        "in_app",
        "role",
        "office",
        "Commander les matériaux : étape {step_code} démarrée",
        message_template=(
            "L'étape {step_code} a démarré le {at} : commander le liner et les matériaux des étapes suivantes."
        ),
        priority="high",
        link_template="/worksites/projects/{project_id}",
    ),
    _rule(
        "materials_order_due",
        "Matériaux d'une étape à commander maintenant (le liner au démarrage de la structure)",
        "materials_order_due",
        "in_app",
        "role",
        "office",
        "Commander avant le {order_by} : {materials} (étape {for_step_code})",
        message_template=(
            "Le chantier a démarré l'étape qui déclenche la commande des matériaux de l'étape "
            "{for_step_code} : {materials}. À commander au plus tard le {order_by} (délai fournisseur)."
        ),
        priority="high",
        link_template="/worksites/projects/{project_id}",
    ),
    _rule(
        "supplier_basket_ready",
        "Panier fournisseur à valider",
        "reorder_needed",
        "in_app",
        "role",
        "office",
        "Panier fournisseur à valider : {suggested_quantity} à commander",
        message_template=(
            "Un stock est passé sous son minimum ({quantity_on_hand} / {minimum}) : "
            "le panier fournisseur attend la validation."
        ),
        link_template="/inventory/supplier-basket",
    ),
    _rule(
        "invoice_overdue",
        "Facture échue à relancer",
        "invoice_overdue",
        "in_app",
        "role",
        "office",
        "Relancer le paiement de la facture {number} (reste dû {balance} €)",
        message_template="Facture {number} échue le {due_on}, reste dû {balance} €.",
        priority="high",
        link_template="/pos/invoices/{invoice_id}",
    ),
    _rule(
        "intervention_tomorrow",
        "Rappel au client de l'intervention du lendemain",
        "intervention_scheduled",
        "sms",
        "customer",
        None,
        "Rappel d'intervention",
        message_template=(
            "{company_name} : notre technicien passera demain ({starts_at}). "
            "Merci de laisser l'accès au local technique."
        ),
        delay_days=-1,
        delay_from="starts_at",
    ),
    _rule(
        "spring_opening",
        "Campagne de printemps : remise en route des bassins sous contrat",
        "spring_opening",
        "in_app",
        "role",
        "office",
        "Planifier la remise en route de {customer_name} (contrat {formula})",
        message_template="Campagne {season} : prendre rendez-vous pour la remise en route.",
        due_in_days=21,
        link_template="/customers/{customer_id}",
    ),
    _rule(
        "autumn_closing",
        "Campagne d'automne : hivernage des bassins sous contrat",
        "autumn_closing",
        "in_app",
        "role",
        "office",
        "Planifier l'hivernage de {customer_name} (contrat {formula})",
        message_template="Campagne {season} : prendre rendez-vous pour l'hivernage.",
        due_in_days=21,
        link_template="/customers/{customer_id}",
    ),
)

# Seasonal campaigns: (trigger, first month, first day) of each year.
CAMPAIGNS: dict[str, tuple[int, int]] = {"spring_opening": (3, 1), "autumn_closing": (9, 15)}


def campaign_season(campaign: str, today: date) -> str | None:
    """The season a campaign runs for as of ``today`` ("2027" for spring 2027), once its
    start day has come in that year; None before it (nothing to run yet)."""
    month, day = CAMPAIGNS[campaign]
    return str(today.year) if today >= date(today.year, month, day) else None
