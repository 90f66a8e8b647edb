"""Worksites: pool types and their construction templates, crews, projects, the planner,
the steps on site and the handover; and the customer's view of their own project (portal)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from bassin_common.permissions import (
    PLAN_WORKSITES,
    READ_BUSINESS_DATA,
    READ_OWN_CUSTOMER_ACCOUNT,
    RUN_WORKSITE_STEPS,
)
from bassin_gateway.app import bassin, call, json_body
from bassin_gateway.models import Tenant
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("worksites")
# The customer's portal reads live under /api/v1/portal/worksites, on a table of their own
# (its blueprint named apart from the staff one's); both are registered through `routes`.
portal = ServiceApi("worksites", prefix="portal/worksites")
portal.blueprint = Blueprint("worksites_portal", __name__, url_prefix=portal.prefix)
routes = Blueprint("worksites_api", __name__)

READ, PLAN, RUN = READ_BUSINESS_DATA, PLAN_WORKSITES, RUN_WORKSITE_STEPS
PROJECT = "/projects/<project_id>"
TASK = f"{PROJECT}/tasks/<task_id>"

# --- pool types and templates ---
api.forward(
    "GET", "/pool-types", "list_pool_types", READ, query=True, summary="Pool types, by code (the defaults at first)"
)
api.forward(
    "POST",
    "/pool-types",
    "create_pool_type",
    PLAN,
    body=True,
    status=201,
    location="/pool-types/{id}",
    summary="Add a pool type and its construction template",
)


@api.view(
    "GET",
    "/pool-types/<pool_type_id>",
    READ,
    rpc="get_pool_type",
    summary="A pool type and its construction template, with its ETag",
    response_headers=("ETag",),
)
def get_pool_type(pool_type_id: str):
    return versioned(call("worksites", "get_pool_type", pool_type_id))


@api.view(
    "PUT",
    "/pool-types/<pool_type_id>",
    PLAN,
    rpc="update_pool_type",
    summary="Change a pool type and its template, if unchanged since read (projects keep their own copy)",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_pool_type(pool_type_id: str):
    return versioned(call("worksites", "update_pool_type", pool_type_id, if_match(), json_body()))


# --- crews ---
api.forward("GET", "/crews", "list_crews", READ, query=True, summary="Crews (teams and subcontractors), by name")
api.forward(
    "POST",
    "/crews",
    "create_crew",
    PLAN,
    body=True,
    status=201,
    location="/crews/{id}",
    summary="Add a crew, its skills and its unavailable periods",
)
api.forward(
    "GET",
    "/crews/<crew_id>/agenda",
    "crew_agenda",
    READ,
    query=True,
    summary="A crew's agenda over a period (its week): the steps it works",
)


@api.view("GET", "/crews/<crew_id>", READ, rpc="get_crew", summary="A crew, with its ETag", response_headers=("ETag",))
def get_crew(crew_id: str):
    return versioned(call("worksites", "get_crew", crew_id))


@api.view(
    "PUT",
    "/crews/<crew_id>",
    PLAN,
    rpc="update_crew",
    summary="Change a crew's skills or availability, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_crew(crew_id: str):
    return versioned(call("worksites", "update_crew", crew_id, if_match(), json_body()))


# --- projects, the planner (Gantt data) ---
api.forward("GET", "/projects", "list_projects", READ, query=True, summary="Projects, newest first")


@api.view(
    "GET",
    PROJECT,
    READ,
    rpc="get_project",
    summary="A project: its steps as planned (the Gantt), payment schedule and handover, with its ETag",
    response_headers=("ETag",),
)
def get_project(project_id: str):
    return versioned(call("worksites", "get_project", project_id))


@api.view(
    "PUT",
    PROJECT,
    PLAN,
    rpc="update_project",
    summary="Edit a project's payment schedule, stock location or promised filling date, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_project(project_id: str):
    return versioned(call("worksites", "update_project", project_id, if_match(), json_body()))


api.forward(
    "POST",
    f"{PROJECT}/plan",
    "plan_project",
    PLAN,
    body=True,
    summary="Plan (or re-plan) a project from a start date: crews, dependencies and blocks respected",
)
api.forward(
    "POST",
    f"{TASK}/move",
    "move_task",
    PLAN,
    body=True,
    summary="Move a step to a date and crew; the steps after it are re-planned (what moved, new filling date)",
)
api.forward(
    "POST",
    f"{TASK}/move-preview",
    "preview_move_task",
    PLAN,
    body=True,
    summary="What moving a step would do, nothing saved: the steps that move, the filling date, crew conflicts",
)
api.forward(
    "POST", f"{TASK}/block", "block_task", RUN, body=True, summary="Block a step (weather, permit, drought order)"
)
api.forward("POST", f"{TASK}/unblock", "unblock_task", RUN, summary="Lift a step's block; the project is re-planned")

# --- on site ---
api.forward("POST", f"{TASK}/start", "start_task", RUN, summary="Start a step (its predecessors done)")
api.forward("POST", f"{TASK}/complete", "complete_task", RUN, summary="Complete a started step")
api.forward(
    "POST",
    f"{TASK}/notes",
    "add_note",
    RUN,
    body=True,
    status=201,
    summary="Add a site note to a step",
)
api.forward("GET", f"{TASK}/notes", "list_notes", READ, query=True, summary="A step's notes, oldest first")
api.forward(
    "POST",
    f"{TASK}/photos",
    "add_photo",
    RUN,
    body=True,
    status=201,
    summary="Add a photo to a step (base64, resized by the phone)",
)
api.forward("GET", f"{TASK}/photos", "list_photos", READ, query=True, summary="A step's photos (without their bytes)")
api.forward("GET", f"{TASK}/photos/<photo_id>", "get_photo", READ, summary="A photo of a step, with its bytes (base64)")
api.forward(
    "POST",
    f"{PROJECT}/handover",
    "hand_over",
    RUN,
    body=True,
    summary="The handover report (PV de réception): completes the project, starts the guarantees",
)


@api.view(
    "GET",
    f"{PROJECT}/handover-report",
    READ,
    rpc="handover_report",
    summary="The handover report (PV de réception) to print and sign, as a PDF (base64)",
    statuses=(409,),  # not handed over yet
)
def handover_report(project_id: str):
    with bassin("sessions")() as session:
        company = session.get(Tenant, g.context.tenant_id)
    return jsonify(call("worksites", "handover_report", project_id, company.name if company else ""))


# --- the season auto-plan ---
api.forward(
    "POST",
    "/season-plans",
    "propose_season_plan",
    PLAN,
    body=True,
    status=201,
    location="/season-plans/{id}",
    summary="Propose a plan of the season for every open project (CP-SAT): a proposal, applied only when accepted",
)
api.forward("GET", "/season-plans/<proposal_id>", "get_season_plan", READ, summary="A proposed plan of the season")
api.forward(
    "POST",
    "/season-plans/<proposal_id>/accept",
    "accept_season_plan",
    PLAN,
    summary="Accept a proposed season plan: its dates and crews become the projects' plan",
)

# --- the customer's portal ---
portal.forward(
    "GET", "/projects", "portal_list_projects", READ_OWN_CUSTOMER_ACCOUNT, query=True, summary="My pool projects"
)


@portal.view(
    "GET",
    "/projects/<project_id>",
    READ_OWN_CUSTOMER_ACCOUNT,
    rpc="portal_get_project",
    summary="My pool project's progress",
)
def portal_get_project(project_id: str):
    return jsonify(call("worksites", "portal_get_project", project_id))


routes.register_blueprint(api.blueprint)
routes.register_blueprint(portal.blueprint)
