"""Notifications: the actions inbox, alert rules, scans run now, deliveries, partners."""

from __future__ import annotations

import uuid

from flask import Blueprint, g

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.permissions import (
    HANDLE_ACTIONS,
    MANAGE_ALERT_RULES,
    MANAGE_OWN_PARTNER_ENDPOINT,
    READ_BUSINESS_DATA,
    READ_OWN_PARTNER_ACCOUNT,
    RUN_SCHEDULED_JOBS,
)
from bassin_gateway import identities
from bassin_gateway.app import bassin, call, json_body
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("notifications")
# The manufacturer's own endpoint, under /api/v1/partner/notifications (its API key's brand).
partner = ServiceApi("notifications", prefix="partner/notifications")
partner.blueprint = Blueprint("notifications_partner", __name__, url_prefix=partner.prefix)
routes = Blueprint("notifications_api", __name__)

READ, RULES = READ_BUSINESS_DATA, MANAGE_ALERT_RULES
S = "notifications.schemas"

api.forward(
    "GET",
    "/actions",
    "list_actions",
    READ,
    query=True,
    summary="Actions to take (actions à mener), by due date: the caller's inbox and their roles', or the company's",
)
api.forward(
    "GET",
    "/inbox/summary",
    "inbox_summary",
    READ,
    query=True,
    summary="The dashboard's figures of an inbox: open actions, late, due today, high priority",
)
api.forward("GET", "/rules", "list_rules", READ, query=True, summary="The company's alert rules, by code")
api.forward(
    "POST",
    "/rules",
    "create_rule",
    RULES,
    body=True,
    status=201,
    location="/rules/{id}",
    summary="Add an alert rule (refused, naming the field, when it could not work)",
)
api.forward("GET", "/deliveries", "list_deliveries", READ, query=True, summary="Messages sent or to send, newest first")
api.forward("GET", "/deliveries/<delivery_id>", "get_delivery", READ, summary="A message, its status and every attempt")
api.forward(
    "POST",
    "/deliveries/<delivery_id>/resend",
    "send_delivery_again",
    RULES,
    summary="Send a message again (failed, skipped, or lost by its recipient)",
)
api.forward(
    "POST",
    "/partners",
    "create_partner",
    RULES,
    body=True,
    status=201,
    location="/partners/{id}",
    summary="Add a partner manufacturer (its webhook and signing secret, shown once)",
)
api.forward("GET", "/partners", "list_partners", RULES, query=True, summary="Partner manufacturers, by brand")
api.forward("GET", "/partners/<partner_id>", "get_partner", RULES, summary="A partner manufacturer")
api.forward(
    "POST",
    "/scans/follow-up",
    "run_follow_up_scan",
    RUN_SCHEDULED_JOBS,
    body=True,
    summary="Run the follow-up scan now: delayed rules whose day has come (the scheduler runs it daily)",
)


api.forward(
    "POST",
    "/scans/campaigns",
    "run_campaign",
    RUN_SCHEDULED_JOBS,
    body=True,
    summary="Run a seasonal campaign now (spring_opening, autumn_closing): an action per customer under contract",
)


@api.view(
    "GET",
    "/actions/<action_id>",
    READ,
    rpc="get_action",
    summary="An action, with the ETag that a change of its status or assignee sends back",
    response_headers=("ETag",),
)
def get_action(action_id: str):
    return versioned(call("notifications", "get_action", action_id))


@api.view(
    "PUT",
    "/actions/<action_id>/status",
    HANDLE_ACTIONS,
    rpc="set_action_status",
    summary="Mark an action done, snooze it until a day, dismiss it, or open it again",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def set_action_status(action_id: str):
    return versioned(call("notifications", "set_action_status", action_id, if_match(), json_body()))


@api.view(
    "PUT",
    "/actions/<action_id>/assignee",
    HANDLE_ACTIONS,
    rpc="assign_action",
    summary="Assign or reassign an action to a role's or a user's inbox",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def assign_action(action_id: str):
    assignee = json_body()
    user_id = assignee.get("user_id") if isinstance(assignee, dict) else None
    if user_id is not None:  # the gateway owns the users: one of the company's, or refused
        try:
            with bassin("sessions")() as session:
                identities.tenant_user(session, g.context.tenant_id, uuid.UUID(str(user_id)))
        except (ValueError, NotFound):
            call("notifications", "get_action", action_id)  # an action not found is the first answer
            raise ValidationFailed.field("user_id", "not a user of the company") from None
    return versioned(call("notifications", "assign_action", action_id, if_match(), assignee))


@api.view(
    "GET",
    "/rules/<rule_id>",
    READ,
    rpc="get_rule",
    summary="An alert rule, with the ETag that its update sends back",
    response_headers=("ETag",),
)
def get_rule(rule_id: str):
    return versioned(call("notifications", "get_rule", rule_id))


@api.view(
    "PUT",
    "/rules/<rule_id>",
    RULES,
    rpc="update_rule",
    summary="Change an alert rule, if unchanged since read: the next event follows it",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_rule(rule_id: str):
    return versioned(call("notifications", "update_rule", rule_id, if_match(), json_body()))


@api.view(
    "GET",
    "/settings",
    READ,
    rpc="get_settings",
    summary="The company's messaging settings: its name and e-mail sender",
    response_headers=("ETag",),
)
def get_settings():
    return versioned(call("notifications", "get_settings"))


@api.view(
    "PUT",
    "/settings",
    RULES,
    rpc="update_settings",
    summary="Change the company's name and e-mail sender, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_settings():
    return versioned(call("notifications", "update_settings", if_match(), json_body()))


# --- the manufacturer itself ---
partner.forward(
    "GET", "/endpoint", "partner_get_own", READ_OWN_PARTNER_ACCOUNT, summary="My delivery endpoint (never the secret)"
)
partner.forward(
    "PUT",
    "/endpoint",
    "partner_set_webhook",
    MANAGE_OWN_PARTNER_ENDPOINT,
    body=True,
    summary="Point my webhook deliveries at another URL (null: no more webhooks)",
)
partner.forward(
    "POST",
    "/endpoint/secret-rotation",
    "partner_rotate_secret",
    MANAGE_OWN_PARTNER_ENDPOINT,
    summary="A new signing secret, shown once; the old one stops at once",
)

routes.register_blueprint(api.blueprint)
routes.register_blueprint(partner.blueprint)
