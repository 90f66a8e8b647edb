"""Inventory and purchasing: locations, suppliers, the catalogue (categories, articles,
offers), stock (levels, thresholds, the ledger, transfers, counts), the supplier basket,
purchase orders and receipts."""

from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from bassin_common.permissions import MANAGE_PURCHASING, MANAGE_STOCK, READ_BUSINESS_DATA, RECEIVE_AND_COUNT_STOCK
from bassin_gateway.app import bassin, call, idempotency_key, json_body
from bassin_gateway.models import Tenant
from bassin_gateway.routing import ServiceApi, if_match, versioned

api = ServiceApi("inventory")
routes = api.blueprint

READ, MANAGE = READ_BUSINESS_DATA, MANAGE_STOCK
api.forward("GET", "/locations", "list_locations", READ, query=True, summary="Stock locations, by code")
api.forward("POST", "/locations", "create_location", MANAGE, body=True, status=201, summary="Add a stock location")
api.forward("GET", "/suppliers", "list_suppliers", READ, query=True, summary="Suppliers, by name")
api.forward("POST", "/suppliers", "create_supplier", MANAGE, body=True, status=201, summary="Add a supplier")
api.forward("GET", "/articles", "search_articles", READ, query=True, summary="Articles by SKU, searched by SKU or name")
api.forward(
    "POST",
    "/articles",
    "create_article",
    MANAGE,
    body=True,
    status=201,
    location="/articles/{id}",
    summary="Add a catalogue article, with its opening stock",
)


# An article's body carries its ``version``: what an update sends back as ``If-Match``.
api.forward(
    "GET", "/articles/<article_id>", "get_article", READ, summary="An article, with its offers and its stock everywhere"
)


api.forward(
    "GET",
    "/articles/<article_id>/movements",
    "list_movements",
    READ,
    query=True,
    summary="An article's stock movements (the ledger), newest first",
)
api.forward(
    "GET",
    "/supplier-basket/lines",
    "get_supplier_basket",
    MANAGE,
    query=True,
    summary="What to order: the open lines of the supplier basket, by supplier then SKU",
)


@api.view(
    "GET",
    "/articles/<article_id>/stock/<location_id>",
    READ,
    rpc="get_stock_level",
    summary="An article's stock at one location, with the ETag that an update of its thresholds sends back",
    response_headers=("ETag",),
)
def get_stock_level(article_id: str, location_id: str):
    return versioned(call("inventory", "get_stock_level", article_id, location_id))


@api.view(
    "PUT",
    "/articles/<article_id>/stock/<location_id>/thresholds",
    MANAGE,
    rpc="set_thresholds",
    summary="Change the reorder thresholds of an article's stock at one location, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def set_thresholds(article_id: str, location_id: str):
    # If-Match is compared by the service, with the level's row locked: of two edits made
    # from the same ETag, one wins and the other gets 412.
    return versioned(call("inventory", "set_thresholds", article_id, location_id, if_match(), json_body()))


# --- the catalogue --------------------------------------------------------------------------

api.forward("GET", "/categories", "list_categories", READ, query=True, summary="The product tree, depth first")
api.forward(
    "POST",
    "/categories",
    "create_category",
    MANAGE,
    body=True,
    status=201,
    summary="Add a category to the product tree",
)


@api.view(
    "PUT",
    "/articles/<article_id>",
    MANAGE,
    rpc="update_article",
    summary="Change an article's catalogue fields, barcodes, offers and default parts, if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_article(article_id: str):
    return versioned(call("inventory", "update_article", article_id, if_match(), json_body()))


# --- stock ----------------------------------------------------------------------------------

RECEIVE = RECEIVE_AND_COUNT_STOCK
api.forward(
    "GET",
    "/locations/<location_id>/stock",
    "list_location_stock",
    READ,
    query=True,
    summary="Everything stocked at one location (a van's load), by SKU",
)


@api.view(
    "POST",
    "/stock-transfers",
    RECEIVE,
    rpc="transfer_stock",
    summary="Move goods between two locations (retried safely with the same Idempotency-Key)",
    status=201,
    headers=("Idempotency-Key",),
)
def transfer_stock():
    idempotency_key(required=True)
    return jsonify(call("inventory", "transfer_stock", json_body())), 201


@api.view(
    "POST",
    "/stock-counts",
    RECEIVE,
    rpc="record_count",
    summary="Record a stock count (inventaire): adjusts each counted article and keeps the variance report",
    status=201,
    headers=("Idempotency-Key",),
    response_headers=("Location",),
)
def record_count():
    idempotency_key(required=True)
    count = call("inventory", "record_count", json_body())
    return jsonify(count), 201, {"Location": f"{api.prefix}/stock-counts/{count['id']}"}


api.forward("GET", "/stock-counts/<count_id>", "get_count", READ, summary="A stock count and its variance report")

# --- purchasing -----------------------------------------------------------------------------

BUY = MANAGE_PURCHASING


@api.view(
    "GET",
    "/supplier-basket/lines/<line_id>",
    MANAGE,
    rpc="get_basket_line",
    summary="One line of the supplier basket, with the ETag its update sends back",
    response_headers=("ETag",),
)
def get_basket_line(line_id: str):
    return versioned(call("inventory", "get_basket_line", line_id))


@api.view(
    "PUT",
    "/supplier-basket/lines/<line_id>",
    BUY,
    rpc="update_basket_line",
    summary="The buyer changes the quantity of a basket line (0 drops it), if unchanged since read",
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_basket_line(line_id: str):
    return versioned(call("inventory", "update_basket_line", line_id, if_match(), json_body()))


@api.view(
    "POST",
    "/purchase-orders",
    BUY,
    rpc="create_purchase_order",
    summary="Validate a supplier's basket lines into a numbered purchase order (retried safely with the same "
    "Idempotency-Key)",
    status=201,
    headers=("Idempotency-Key",),
    response_headers=("Location",),
)
def create_purchase_order():
    idempotency_key(required=True)
    order = call("inventory", "create_purchase_order", json_body())
    return jsonify(order), 201, {"Location": f"{api.prefix}/purchase-orders/{order['id']}"}


api.forward(
    "GET", "/purchase-orders", "list_purchase_orders", READ, query=True, summary="Purchase orders, newest first"
)
api.forward(
    "GET",
    "/purchase-orders/<order_id>",
    "get_purchase_order",
    READ,
    summary="A purchase order, its lines (ordered, received) and receipts",
)


@api.view(
    "POST",
    "/purchase-orders/<order_id>/receipts",
    RECEIVE,
    rpc="receive_goods",
    summary="Receive a delivery against a purchase order, partial or full (retried safely with the same "
    "Idempotency-Key)",
    status=201,
    headers=("Idempotency-Key",),
)
def receive_goods(order_id: str):
    idempotency_key(required=True)
    return jsonify(call("inventory", "receive_goods", order_id, json_body())), 201


# --- supplier price lists -------------------------------------------------------------------

api.forward(
    "POST",
    "/suppliers/<supplier_id>/price-lists/preview",
    "preview_price_list",
    BUY,
    body=True,
    summary="What a supplier's price list (CSV) would change, with a report of every line needing a look",
)


@api.view(
    "POST",
    "/suppliers/<supplier_id>/price-lists",
    BUY,
    rpc="apply_price_list",
    summary="Import a supplier's price list (CSV) in one transaction; the column mapping is saved for the next "
    "(retried safely with the same Idempotency-Key)",
    headers=("Idempotency-Key",),
)
def apply_price_list(supplier_id: str):
    idempotency_key(required=True)
    return jsonify(call("inventory", "apply_price_list", supplier_id, json_body()))


api.forward(
    "GET",
    "/articles/<article_id>/price-history",
    "list_price_changes",
    READ,
    query=True,
    summary="An article's sale and purchase price changes, newest first",
)


# --- purchase order documents ---------------------------------------------------------------


def company_name() -> str:
    """The caller's company, as its documents are headed (the gateway keeps the companies)."""
    with bassin("sessions")() as session:
        return session.scalar(select(Tenant.name).where(Tenant.id == g.context.tenant_id))


@api.view(
    "GET",
    "/purchase-orders/<order_id>/document",
    READ,
    rpc="get_purchase_order_pdf",
    summary="A purchase order as the supplier receives it: its PDF (base64), to print or download",
)
def get_purchase_order_pdf(order_id: str):
    return jsonify(call("inventory", "get_purchase_order_pdf", order_id, company_name()))


@api.view(
    "POST",
    "/purchase-orders/<order_id>/email",
    BUY,
    rpc="email_purchase_order",
    summary="E-mail a purchase order's PDF to the supplier (again if need be); records when it was sent",
    headers=("Idempotency-Key",),
)
def email_purchase_order(order_id: str):
    idempotency_key(required=True)
    return jsonify(call("inventory", "email_purchase_order", order_id, company_name()))
