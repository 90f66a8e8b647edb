"""After-sales service: tickets with their warranty status, technicians and their agenda,
standard services, interventions (report, signature, slip), manufacturer returns."""

from __future__ import annotations

from bassin_common.permissions import (
    MANAGE_SERVICE_TICKETS,
    MANAGE_WARRANTY_RETURNS,
    PERFORM_INTERVENTIONS,
    READ_BUSINESS_DATA,
)
from bassin_gateway.app import call, json_body
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("sav")
routes = api.blueprint

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
