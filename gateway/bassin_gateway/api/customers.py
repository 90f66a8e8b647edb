"""The customer file: customers, their sites and timeline, searched by name, phone, e-mail,
city, postcode or equipment serial number; and the portal's view of one's own file.

A customer's salesperson is a staff user of the company: the gateway, which holds the
users, checks it (422 naming ``salesperson_id``) before the service records it.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g, jsonify

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.permissions import (
    CUSTOMER,
    EXPORT_OR_ERASE_PERSONAL_DATA,
    MANAGE_CUSTOMERS,
    MANAGE_SALES_PIPELINE,
    READ_BUSINESS_DATA,
    READ_OWN_CUSTOMER_ACCOUNT,
    RECORD_WATER_ANALYSES,
)
from bassin_gateway import identities
from bassin_gateway.app import bassin, call, json_body
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("customers")
# The portal's reads of the customer's own file, under /api/v1/portal (the API conventions).
portal = ServiceApi("customers", prefix="portal")
routes = Blueprint("customers_and_portal", __name__)
routes.register_blueprint(api.blueprint)
routes.register_blueprint(portal.blueprint, name="customers_portal")

READ, MANAGE = READ_BUSINESS_DATA, MANAGE_CUSTOMERS

api.forward(
    "GET",
    "/customers",
    "search_customers",
    READ,
    query=True,
    summary="Customers by name, searched by name, phone, e-mail, city, postcode or equipment serial number",
)
api.forward(
    "POST",
    "/customers/<customer_id>/sites",
    "add_site",
    MANAGE,
    body=True,
    status=201,
    summary="Add a site (where a pool is) to a customer",
)
api.forward(
    "POST",
    "/customers/<customer_id>/notes",
    "add_note",
    MANAGE,
    body=True,
    status=201,
    summary="Write a note, call or visit in a customer's timeline",
)
api.forward(
    "GET",
    "/customers/<customer_id>/timeline",
    "list_timeline",
    READ,
    query=True,
    summary="A customer's timeline (notes, sales, interventions, equipment...), newest first",
)


def check_salesperson(body: Any) -> None:
    """A salesperson named in ``body`` is an active staff user of the caller's company."""
    chosen = body.get("salesperson_id") if isinstance(body, dict) else None
    if not isinstance(chosen, str):
        return  # absent, null, or not text: the service's schema answers
    try:
        with bassin("sessions")() as session:
            user = identities.tenant_user(session, g.context.tenant_id, uuid.UUID(chosen))
    except (ValueError, NotFound):
        raise ValidationFailed.field("salesperson_id", "not a user of this company") from None
    if not user.active or CUSTOMER in user.roles:
        raise ValidationFailed.field("salesperson_id", "not an active staff user of this company")


@api.view(
    "POST",
    "/customers",
    MANAGE,
    rpc="create_customer",
    summary="Open a customer file, with its sites",
    status=201,
    response_headers=("Location",),
    statuses=(422,),
)
def create_customer():
    body = json_body()
    check_salesperson(body)
    customer = call("customers", "create_customer", body)
    return jsonify(customer), 201, {"Location": f"{api.prefix}/customers/{customer['id']}"}


@api.view(
    "GET",
    "/customers/<customer_id>",
    READ,
    rpc="get_customer",
    summary="A customer file, with its sites, and the ETag that an update sends back",
    response_headers=("ETag",),
)
def get_customer(customer_id: str):
    return versioned(call("customers", "get_customer", customer_id))


@api.view(
    "PUT",
    "/customers/<customer_id>",
    MANAGE,
    rpc="update_customer",
    summary="Change a customer file's own fields, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
    statuses=(422,),
)
def update_customer(customer_id: str):
    expected = if_match()
    body = json_body()
    check_salesperson(body)
    return versioned(call("customers", "update_customer", customer_id, expected, body))


@api.view(
    "GET",
    "/sites/<site_id>",
    READ,
    rpc="get_site",
    summary="A site, with the ETag that an edit sends back",
    response_headers=("ETag",),
)
def get_site(site_id: str):
    return versioned(call("customers", "get_site", site_id))


@api.view(
    "PUT",
    "/sites/<site_id>",
    MANAGE,
    rpc="update_site",
    summary="Correct a site's address or access notes, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_site(site_id: str):
    return versioned(call("customers", "update_site", site_id, if_match(), json_body()))


@portal.view(
    "GET",
    "/customer",
    READ_OWN_CUSTOMER_ACCOUNT,
    rpc="get_own_customer",
    summary="The portal account's own customer file",
    response_headers=("ETag",),
    statuses=(404,),
)
def my_customer_file():
    return versioned(call("customers", "get_own_customer"))


portal.forward(
    "GET",
    "/pools/<pool_id>/analyses",
    "portal_list_analyses",
    READ_OWN_CUSTOMER_ACCOUNT,
    query=True,
    summary="My pool's water analyses, newest first (another customer's pool: 404)",
)
portal.forward(
    "GET",
    "/contracts",
    "portal_list_contracts",
    READ_OWN_CUSTOMER_ACCOUNT,
    query=True,
    summary="My maintenance contracts, the latest first",
)


# --- pools and equipment ---------------------------------------------------------------------

api.forward(
    "POST",
    "/pools",
    "create_pool",
    MANAGE,
    body=True,
    status=201,
    location="/pools/{id}",
    summary="Register a pool at one of a customer's sites; its volume is computed from its shape and dimensions",
)
api.forward(
    "POST",
    "/pools/<pool_id>/equipment",
    "install_equipment",
    MANAGE,
    body=True,
    status=201,
    location="/equipment/{id}",
    summary="Register a piece of equipment on a pool: warranty end and end of life computed",
)
api.forward("GET", "/equipment/<equipment_id>", "get_equipment", READ, summary="A piece of equipment")
api.forward(
    "POST",
    "/equipment/<equipment_id>/replacement",
    "replace_equipment",
    MANAGE,
    body=True,
    status=201,
    location="/equipment/{id}",
    summary="Replace a piece of equipment in service by a new one; the old one stays in the history",
)
api.forward(
    "POST",
    "/equipment/<equipment_id>/removal",
    "remove_equipment",
    MANAGE,
    body=True,
    summary="Take a piece of equipment out of service without a successor; it stays in the history",
)
api.forward(
    "GET",
    "/equipment-lifetimes",
    "get_equipment_lifetimes",
    READ,
    summary="Expected lifetimes by equipment category: the company's, else the trade's",
)
api.forward(
    "PUT",
    "/equipment-lifetimes",
    "set_equipment_lifetimes",
    MANAGE,
    body=True,
    summary="Set the company's expected lifetimes of some equipment categories (for new equipment)",
)


@api.view(
    "GET",
    "/pools/<pool_id>",
    READ,
    rpc="get_pool",
    summary="A pool, its volume and its equipment (replaced pieces included), with its ETag",
    response_headers=("ETag",),
)
def get_pool(pool_id: str):
    return versioned(call("customers", "get_pool", pool_id))


@api.view(
    "PUT",
    "/pools/<pool_id>",
    MANAGE,
    rpc="update_pool",
    summary="Change a pool's description and dimensions, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_pool(pool_id: str):
    return versioned(call("customers", "update_pool", pool_id, if_match(), json_body()))


# --- water care ------------------------------------------------------------------------------

WATER = RECORD_WATER_ANALYSES
api.forward(
    "POST",
    "/pools/<pool_id>/analyses",
    "record_analysis",
    WATER,
    body=True,
    status=201,
    location="/analyses/{id}",
    summary="Record a water analysis: values against the pool's targets, LSI, doses of the company's products",
)
api.forward(
    "GET",
    "/pools/<pool_id>/analyses",
    "list_analyses",
    WATER,
    query=True,
    summary="A pool's water analyses, newest first (each with the previous one's problems, solved or not)",
)
api.forward("GET", "/analyses/<analysis_id>", "get_analysis", WATER, summary="A water analysis and its advice")
api.forward(
    "GET", "/water-products", "get_water_products", WATER, summary="The company's articles for each job on the water"
)
api.forward(
    "PUT",
    "/water-products",
    "set_water_products",
    MANAGE,
    body=True,
    summary="Choose the company's articles (and their doses) for jobs on the water: pH plus, shock...",
)
api.forward(
    "GET", "/water-targets", "get_water_targets", WATER, summary="The company's own water targets (over the trade's)"
)
api.forward(
    "PUT",
    "/water-targets",
    "set_water_targets",
    MANAGE,
    body=True,
    summary="Set the company's own target ranges, for any or one coating and treatment",
)


# --- the sales pipeline ----------------------------------------------------------------------

SELL = MANAGE_SALES_PIPELINE
api.forward("GET", "/leads", "list_leads", SELL, query=True, summary="Leads, the latest first contacts first")
api.forward("GET", "/leads/<lead_id>", "get_lead", SELL, summary="A lead")
api.forward(
    "POST",
    "/leads/<lead_id>/follow-ups",
    "follow_up_lead",
    SELL,
    body=True,
    status=201,
    summary="Record a follow-up of a lead (in the customer's timeline) and when to call next",
)
api.forward(
    "POST", "/leads/<lead_id>/lost", "mark_lead_lost", SELL, body=True, summary="Mark a lead lost, with the reason"
)
api.forward(
    "POST",
    "/quotes",
    "create_quote",
    SELL,
    body=True,
    status=201,
    location="/quotes/{id}",
    summary="Prepare a quote (lines from the catalogue or free, discounts, VAT, validity)",
)
api.forward(
    "POST",
    "/quotes/<quote_id>/revisions",
    "revise_quote",
    SELL,
    body=True,
    status=201,
    location="/quotes/{id}",
    summary="Make the next version of a quote not yet decided; the revised one is superseded",
)
api.forward("GET", "/quotes/<quote_id>", "get_quote", SELL, summary="A version of a quote, and its order once accepted")
api.forward(
    "GET",
    "/customers/<customer_id>/quotes",
    "list_customer_quotes",
    SELL,
    query=True,
    summary="A customer's quotes, every version, newest first",
)
api.forward("POST", "/quotes/<quote_id>/send", "send_quote", SELL, summary="Mark a draft quote sent to the customer")


@api.view(
    "GET",
    "/quotes/<uuid:quote_id>/pdf",
    SELL,
    summary="A version of a quote as PDF (base64), under the company's letterhead (billing's settings)",
    response="customers.schemas:DocumentOutput",
)
def quote_pdf(quote_id: uuid.UUID):
    settings = call("pos", "get_billing_settings")
    mentions = [f"SIREN {settings['siren']}"] if settings.get("siren") else []
    letterhead = {
        "name": settings.get("company_name"),
        "address": settings.get("address") or [],
        "siret": settings.get("siret"),
        "vat_number": settings.get("vat_number"),
        "phone": settings.get("phone"),
        "email": settings.get("email"),
        "legal_form": settings.get("legal_form"),
        "mentions": mentions,
    }
    return jsonify(call("customers", "quote_pdf", str(quote_id), letterhead))


api.forward(
    "POST",
    "/quotes/<quote_id>/accept",
    "accept_quote",
    SELL,
    summary="The customer accepted a sent quote: it becomes an order (order_confirmed), once",
)
api.forward("POST", "/quotes/<quote_id>/decline", "decline_quote", SELL, summary="The customer declined a sent quote")
api.forward(
    "GET",
    "/pipeline/figures",
    "pipeline_figures",
    SELL,
    query=True,
    summary="Conversion figures of the leads first contacted in a period",
)


@api.view(
    "POST",
    "/leads",
    SELL,
    rpc="record_first_contact",
    summary="Record a prospect's first contact (a lead) on a customer file",
    status=201,
    response_headers=("Location",),
    statuses=(404, 422),
)
def record_first_contact():
    body = json_body()
    check_salesperson(body)
    lead = call("customers", "record_first_contact", body)
    return jsonify(lead), 201, {"Location": f"{api.prefix}/leads/{lead['id']}"}


# --- maintenance contracts -------------------------------------------------------------------

api.forward(
    "POST",
    "/contracts",
    "sign_contract",
    MANAGE,
    body=True,
    status=201,
    location="/contracts/{id}",
    summary="Record a maintenance contract signed by a customer (contract_signed)",
)
api.forward("GET", "/contracts/<contract_id>", "get_contract", READ, summary="A maintenance contract")
api.forward(
    "GET",
    "/customers/<customer_id>/contracts",
    "list_customer_contracts",
    READ,
    query=True,
    summary="A customer's maintenance contracts, the latest first",
)
api.forward(
    "POST",
    "/contracts/<contract_id>/termination",
    "terminate_contract",
    MANAGE,
    body=True,
    summary="End a maintenance contract now: not renewed, no expiry notice",
)


# --- GDPR ------------------------------------------------------------------------------------

api.forward(
    "GET",
    "/customers/<customer_id>/export",
    "export_customer",
    EXPORT_OR_ERASE_PERSONAL_DATA,
    summary="Everything the company holds about a customer, as JSON (GDPR right of access)",
)
api.forward(
    "POST",
    "/customers/<customer_id>/erasure",
    "erase_customer",
    EXPORT_OR_ERASE_PERSONAL_DATA,
    summary="Anonymise a customer (GDPR right to erasure), keeping what the law requires; not undone",
)
