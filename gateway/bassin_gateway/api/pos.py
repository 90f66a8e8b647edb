"""The till: pricing a cart, recording a paid sale, reading sales back, the articles the till sells."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from bassin_common.permissions import (
    MANAGE_INVOICES,
    READ_BUSINESS_DATA,
    READ_FINANCIAL_REPORTS,
    READ_OWN_CUSTOMER_ACCOUNT,
    RECORD_SALES,
    REFUND_SALES,
    SELL_ON_ACCOUNT,
    Permission,
)
from bassin_gateway.app import call, idempotency_key, json_body
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("pos")
# The customer's portal: their own issued invoices, under /api/v1/portal/billing.
portal = ServiceApi("pos", prefix="portal/billing")
portal.blueprint = Blueprint("pos_portal", __name__, url_prefix=portal.prefix)
routes = Blueprint("pos_api", __name__)

api.forward("GET", "/sales", "list_sales", READ_BUSINESS_DATA, query=True, summary="Sales, newest first, by date range")
api.forward("GET", "/sales/<sale_id>", "get_sale", READ_BUSINESS_DATA, summary="A sale, with its lines and payments")
api.forward(
    "GET",
    "/articles",
    "list_catalogue",
    READ_BUSINESS_DATA,
    query=True,
    summary="What the till sells, by name; search by name or reference (a scanned barcode)",
)
api.forward(
    "POST",
    "/cash-sessions",
    "open_cash_session",
    RECORD_SALES,
    body=True,
    status=201,
    location="/cash-sessions/{id}",
    summary="Open a shop's till for the day with its float (409 while one is open there)",
)
api.forward(
    "GET", "/cash-sessions", "list_cash_sessions", READ_BUSINESS_DATA, query=True, summary="Cash sessions, newest first"
)
api.forward(
    "GET",
    "/cash-sessions/<session_id>",
    "get_cash_session",
    READ_BUSINESS_DATA,
    summary="A cash session with its Z report (per method, VAT rate, category, cashier) and variances",
)
api.forward(
    "POST",
    "/cash-sessions/<session_id>/closing",
    "close_cash_session",
    RECORD_SALES,
    body=True,
    summary="Close a cash session with the amounts counted per method: Z report and variances",
)
api.forward("GET", "/refunds/<refund_id>", "get_refund", READ_BUSINESS_DATA, summary="A refund, with its lines")
api.forward(
    "GET",
    "/journal/verification",
    "verify_journal",
    READ_FINANCIAL_REPORTS,
    query=True,
    summary="Check the tickets' hash chain: an edited or deleted ticket is named",
)
api.forward(
    "GET",
    "/categories",
    "list_categories",
    READ_BUSINESS_DATA,
    query=True,
    summary="The till's product tree: categories, by name",
)

# The rights a till's request may use beyond recording sales, as the caller's company grants them.
TILL_RIGHTS: tuple[Permission, ...] = (REFUND_SALES, SELL_ON_ACCOUNT)


def granted(*permissions: Permission) -> list[str]:
    """Which of ``permissions`` the caller holds by its company's permission table."""
    return [p.name for p in permissions if p.allows(g.context.roles, g.grants.get(p.name))]


@api.view(
    "POST",
    "/sales",
    RECORD_SALES,
    rpc="record_sale",
    summary="Record a sale paid in full at a till (retried safely with the same Idempotency-Key)",
    status=201,
    statuses=(403,),
    headers=("Idempotency-Key",),
    response_headers=("Location",),
)
def record_sale():
    # A sale must be safe to send again (the till lost the answer): the Idempotency-Key
    # is required, and travels as the call's request id; a retry gets the first sale.
    idempotency_key(required=True)
    sale = call("pos", "record_sale", json_body(), granted(*TILL_RIGHTS))
    return jsonify(sale), 201, {"Location": f"{api.prefix}/sales/{sale['id']}"}


@api.view(
    "POST",
    "/carts/pricing",
    RECORD_SALES,
    rpc="price_cart",
    summary="Price a cart as it fills (discounts, VAT per rate, amount due, change); records nothing",
    statuses=(403,),
)
def price_cart():
    return jsonify(call("pos", "price_cart", json_body(), granted(*TILL_RIGHTS)))


@api.view(
    "POST",
    "/sales/<sale_id>/refunds",
    REFUND_SALES,
    rpc="refund_sale",
    summary="Refund goods of a ticket (or the return half of an exchange): a new ticket, never an edit",
    status=201,
    headers=("Idempotency-Key",),
    response_headers=("Location",),
)
def refund_sale(sale_id: str):
    idempotency_key(required=True)  # money given back: a retry must not give it twice
    refund = call("pos", "refund_sale", sale_id, json_body())
    return jsonify(refund), 201, {"Location": f"{api.prefix}/refunds/{refund['id']}"}


# --- billing -----------------------------------------------------------------------------------


@api.view(
    "GET",
    "/billing-settings",
    READ_BUSINESS_DATA,
    rpc="get_billing_settings",
    summary="The company as its invoices and tickets show it, its payment terms, the till's discount limit",
    response_headers=("ETag",),
)
def get_billing_settings():
    return versioned(call("pos", "get_billing_settings"))


@api.view(
    "PUT",
    "/billing-settings",
    MANAGE_INVOICES,
    rpc="update_billing_settings",
    summary="Change the billing settings, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_billing_settings():
    return versioned(call("pos", "update_billing_settings", if_match(), json_body()))


api.forward(
    "POST",
    "/invoices",
    "create_invoice",
    MANAGE_INVOICES,
    body=True,
    status=201,
    location="/invoices/{id}",
    summary="Draft an invoice (with a project: its final invoice, the project's deposits deducted)",
)
api.forward(
    "GET", "/invoices", "list_invoices", READ_BUSINESS_DATA, query=True, summary="Invoices, newest first, by filter"
)
api.forward("GET", "/invoices/<invoice_id>", "get_invoice", READ_BUSINESS_DATA, summary="An invoice, with its lines")
api.forward(
    "POST",
    "/sales/<sale_id>/invoice",
    "invoice_sale",
    MANAGE_INVOICES,
    body=True,
    status=201,
    location="/invoices/{id}",
    summary="Draft the invoice of a till sale (once per sale), what the till took recorded as paid",
)
api.forward("POST", "/invoices/<invoice_id>/check", "check_invoice", MANAGE_INVOICES, summary="Mark a draft as checked")
api.forward(
    "POST",
    "/invoices/<invoice_id>/issue",
    "issue_invoice",
    MANAGE_INVOICES,
    summary="Issue a checked invoice: the next number of its series (no gaps), its date and due date",
)
api.forward(
    "POST",
    "/invoices/<invoice_id>/sending",
    "send_invoice",
    MANAGE_INVOICES,
    body=True,
    summary="E-mail an issued invoice as PDF to the customer (again, if need be)",
)
api.forward(
    "POST",
    "/invoices/<invoice_id>/credit-note",
    "credit_invoice",
    MANAGE_INVOICES,
    body=True,
    status=201,
    location="/invoices/{id}",
    summary="Draft a credit note cancelling what is left of an issued invoice",
)
api.forward(
    "GET",
    "/invoices/<invoice_id>/pdf",
    "invoice_pdf",
    READ_BUSINESS_DATA,
    summary="An issued invoice as PDF (base64), with the company's legal mentions",
)
api.forward(
    "GET",
    "/accounting/fec",
    "fec_export",
    READ_FINANCIAL_REPORTS,
    query=True,
    summary="The accounting export as the legal FEC file (18 columns, tab-separated) for a period",
)
api.forward(
    "GET",
    "/statistics/sales",
    "sales_statistics",
    READ_FINANCIAL_REPORTS,
    query=True,
    summary="Sales by day, week, category or cashier: tickets, revenue, average basket, margin (and CSV)",
)
api.forward("GET", "/sales/<sale_id>/pdf", "sale_pdf", READ_BUSINESS_DATA, summary="A ticket as PDF (base64)")
api.forward(
    "GET",
    "/customers/<customer_id>/balance",
    "customer_balance",
    READ_BUSINESS_DATA,
    summary="What a customer owes: invoices less credit notes and payments, the open and overdue ones",
)


@api.view(
    "POST",
    "/invoices/<invoice_id>/payments",
    MANAGE_INVOICES,
    rpc="record_payment",
    summary="Record a payment received against an issued invoice (retried safely with the same Idempotency-Key)",
    headers=("Idempotency-Key",),
)
def record_payment(invoice_id: str):
    idempotency_key(required=True)
    return jsonify(call("pos", "record_payment", invoice_id, json_body()))


# --- the customer's portal ---
portal.forward(
    "GET", "/invoices", "portal_list_invoices", READ_OWN_CUSTOMER_ACCOUNT, query=True, summary="My issued invoices"
)
portal.forward("GET", "/balance", "portal_balance", READ_OWN_CUSTOMER_ACCOUNT, summary="What I owe, and what is due")
portal.forward(
    "GET",
    "/invoices/<invoice_id>/pdf",
    "portal_invoice_pdf",
    READ_OWN_CUSTOMER_ACCOUNT,
    summary="One of my issued invoices as PDF (base64); another customer's: 404",
)

routes.register_blueprint(api.blueprint)
routes.register_blueprint(portal.blueprint)
