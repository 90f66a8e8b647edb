"""After-sales service: tickets with their warranty status, technicians and their agenda,
standard services, interventions (report, signature, slip), manufacturer returns."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bassin_common.errors import ValidationFailed
from bassin_common.permissions import (
    MANAGE_SERVICE_TICKETS,
    MANAGE_WARRANTY_RETURNS,
    PERFORM_INTERVENTIONS,
    READ_BRAND_WARRANTY_RETURNS,
    READ_BUSINESS_DATA,
    READ_OWN_CUSTOMER_ACCOUNT,
)
from bassin_gateway.app import call, json_body
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("sav")
# The customer's portal (/api/v1/portal/sav) and the manufacturer's (/api/v1/partner/sav):
# tables of their own, their blueprints named apart from the staff one's.
portal = ServiceApi("sav", prefix="portal/sav")
portal.blueprint = Blueprint("sav_portal", __name__, url_prefix=portal.prefix)
partner = ServiceApi("sav", prefix="partner/sav")
partner.blueprint = Blueprint("sav_partner", __name__, url_prefix=partner.prefix)
routes = Blueprint("sav_api", __name__)

READ, TICKETS, PERFORM, RETURNS = (
    READ_BUSINESS_DATA,
    MANAGE_SERVICE_TICKETS,
    PERFORM_INTERVENTIONS,
    MANAGE_WARRANTY_RETURNS,
)

# --- tickets ---
api.forward("GET", "/tickets", "list_tickets", READ, query=True, summary="Tickets, newest first")
api.forward(
    "POST",
    "/tickets",
    "open_ticket",
    TICKETS,
    body=True,
    status=201,
    location="/tickets/{id}",
    summary="Open a ticket from an equipment (id or serial number) or a pool, with its warranty status",
)
api.forward("GET", "/tickets/<ticket_id>", "get_ticket", READ, summary="A ticket, with who covers it and why")
api.forward(
    "GET",
    "/equipment/<equipment_id>",
    "get_equipment",
    READ,
    summary="An equipment as SAV knows it, with who would cover a fault on it today",
)

# --- qualification questions ---
api.forward(
    "POST",
    "/question-trees",
    "create_question_tree",
    TICKETS,
    body=True,
    status=201,
    location="/question-trees/{id}",
    summary="Set an equipment category's qualification questions (branches, suggested service and parts)",
)
api.forward("GET", "/question-trees/<tree_id>", "get_question_tree", READ, summary="A question tree")
api.forward(
    "GET",
    "/question-trees",
    "list_question_trees",
    READ,
    query=True,
    summary="Question trees, newest first (a category's newest is the one asked)",
)
api.forward(
    "GET",
    "/tickets/<ticket_id>/qualification",
    "get_qualification",
    READ,
    summary="A ticket's answers so far, the next question to ask, the service and parts they suggest",
)
api.forward(
    "POST",
    "/tickets/<ticket_id>/qualification",
    "qualify_ticket",
    TICKETS,
    body=True,
    summary="Store a ticket's answers (all of them, in order); a wrong answer is refused, naming it",
)

# --- recurring interventions from maintenance contracts ---
api.forward(
    "GET",
    "/maintenance-plans",
    "list_maintenance_plans",
    READ,
    query=True,
    summary="Contract formulas' plans, by formula",
)
api.forward(
    "POST",
    "/maintenance-plans",
    "set_maintenance_plan",
    TICKETS,
    body=True,
    summary="Set what a contract formula brings each year (service and month); replaces its plan",
)
api.forward(
    "POST",
    "/planned-visits/generation",
    "generate_planned_visits",
    TICKETS,
    body=True,
    summary="Open the tickets of a month's planned visits under every running contract, once",
)

# --- technicians and standard services ---
api.forward("GET", "/technicians", "list_technicians", READ, query=True, summary="Technicians, by name")
api.forward(
    "POST",
    "/technicians",
    "create_technician",
    TICKETS,
    body=True,
    status=201,
    location="/technicians/{id}",
    summary="Add a technician: skills, working hours, van",
)
api.forward("GET", "/technicians/<technician_id>", "get_technician", READ, summary="A technician")
api.forward(
    "GET",
    "/technicians/<technician_id>/day",
    "get_technician_day",
    READ,
    query=True,
    summary="A technician's day: the interventions in start order",
)
api.forward(
    "GET",
    "/technicians/<technician_id>/free-slots",
    "get_free_slots",
    READ,
    query=True,
    summary="The slots a technician can still take on a day for an intervention of a given length",
)
api.forward(
    "GET",
    "/technicians/<technician_id>/route",
    "get_route_of_day",
    TICKETS,
    query=True,
    summary="The proposed route of a technician's day: shortest order within the customers' windows",
)
api.forward(
    "GET", "/standard-services", "list_standard_services", READ, query=True, summary="Standard services, by code"
)
api.forward(
    "POST",
    "/standard-services",
    "create_standard_service",
    TICKETS,
    body=True,
    status=201,
    summary="Add a standard service: duration, checklist, parts",
)

# --- interventions ---
api.forward(
    "POST",
    "/interventions",
    "schedule_intervention",
    TICKETS,
    body=True,
    status=201,
    location="/interventions/{id}",
    summary="Schedule an intervention in a technician's agenda (an overlapping slot is refused: 409)",
)


@api.view(
    "GET",
    "/interventions/<intervention_id>",
    READ,
    rpc="get_intervention",
    summary="An intervention, with the ETag that a report update sends back",
    response_headers=("ETag",),
)
def get_intervention(intervention_id: str):
    return versioned(call("sav", "get_intervention", intervention_id))


@api.view(
    "PUT",
    "/interventions/<intervention_id>/report",
    PERFORM,
    rpc="record_report",
    summary="Record the checklist, report, time, travel, parts and equipment changes, until the slip is signed",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def record_report(intervention_id: str):
    return versioned(call("sav", "record_report", intervention_id, if_match(), json_body()))


api.forward(
    "POST",
    "/interventions/<intervention_id>/moves",
    "move_intervention",
    TICKETS,
    body=True,
    summary="Move a scheduled intervention to another slot or technician (same checks as booking it)",
)
api.forward(
    "POST",
    "/interventions/<intervention_id>/photos",
    "add_intervention_photo",
    PERFORM,
    body=True,
    status=201,
    summary="Add a photo of the work (until the slip is signed; the slip's hash covers it)",
)
api.forward(
    "GET",
    "/interventions/<intervention_id>/photos",
    "list_intervention_photos",
    READ,
    query=True,
    summary="An intervention's photos, oldest first",
)
api.forward(
    "POST",
    "/interventions/<intervention_id>/signature",
    "sign_intervention",
    PERFORM,
    body=True,
    summary="The customer signs the slip: the intervention completes (parts used, invoice draft unless covered)",
)
api.forward(
    "GET",
    "/interventions/<intervention_id>/slip-verification",
    "verify_slip",
    READ,
    summary="Whether the signed slip is still what the customer signed (its SHA-256 computed again)",
)
api.forward(
    "POST",
    "/interventions/<intervention_id>/slip-sendings",
    "send_slip",
    PERFORM,
    body=True,
    summary="E-mail the signed slip (PDF) to the customer, again if need be",
)

# --- manufacturer returns ---
api.forward("GET", "/warranty-returns", "list_warranty_returns", READ, query=True, summary="Returns, newest first")
api.forward(
    "POST",
    "/warranty-returns",
    "request_warranty_return",
    RETURNS,
    body=True,
    status=201,
    location="/warranty-returns/{id}",
    summary="Return a part under manufacturer warranty to its manufacturer",
)
api.forward("GET", "/warranty-returns/<return_id>", "get_warranty_return", READ, summary="A return, with its history")
api.forward(
    "POST",
    "/warranty-returns/<return_id>/photos",
    "add_return_photo",
    RETURNS,
    body=True,
    status=201,
    summary="Add a photo to a manufacturer return",
)
api.forward(
    "GET", "/warranty-returns/<return_id>/photos", "list_return_photos", READ, query=True, summary="A return's photos"
)
api.forward(
    "POST",
    "/warranty-returns/<return_id>/status-changes",
    "change_warranty_return_status",
    RETURNS,
    body=True,
    summary="Move a return on: accepted, refused, part shipped, credited, closed",
)


# --- the customer's portal ---
OWN = READ_OWN_CUSTOMER_ACCOUNT


@portal.view(
    "POST",
    "/service-requests",
    OWN,
    rpc="portal_request_service",
    summary="Ask for a service on one of my pools or equipment: opens a ticket (channel portal)",
    status=201,
    response_headers=("Location",),
    statuses=(422,),
)
def portal_request_service():
    body = json_body()
    pool_id = body.get("pool_id") if isinstance(body, dict) else None
    if pool_id is not None:  # the pool must be one of the caller's (customers knows them)
        own = call("customers", "get_own_customer")
        if str(pool_id) not in {str(p["id"]) for p in own["pools"]}:
            raise ValidationFailed.field("pool_id", "unknown pool")
    ticket = call("sav", "portal_request_service", body)
    return jsonify(ticket), 201, {"Location": f"{portal.prefix}/tickets/{ticket['id']}"}


portal.forward("GET", "/tickets", "portal_list_tickets", OWN, query=True, summary="My service requests and tickets")
portal.forward(
    "GET",
    "/interventions",
    "portal_list_interventions",
    OWN,
    query=True,
    summary="My interventions, the latest first, with their signed slip",
)
portal.forward(
    "GET",
    "/interventions/<intervention_id>/slip",
    "portal_slip_pdf",
    OWN,
    summary="The signed slip of one of my interventions, as PDF (base64); another customer's: 404",
)

# --- the manufacturer's portal ---
BRAND = READ_BRAND_WARRANTY_RETURNS
partner.forward(
    "GET", "/warranty-returns", "partner_list_returns", BRAND, query=True, summary="My brand's returns, newest first"
)
partner.forward(
    "GET", "/warranty-returns/<return_id>", "partner_get_return", BRAND, summary="One of my brand's returns"
)
partner.forward(
    "POST",
    "/warranty-returns/<return_id>/status-changes",
    "partner_answer_return",
    BRAND,
    body=True,
    summary="Answer one of my brand's returns: accepted, refused, part shipped, credited",
)

routes.register_blueprint(api.blueprint)
routes.register_blueprint(portal.blueprint)
routes.register_blueprint(partner.blueprint)
