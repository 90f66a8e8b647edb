"""The till: pricing a cart, recording a paid sale, reading sales back, the articles the till sells."""

from __future__ import annotations

from flask import g, jsonify

from bassin_common.permissions import READ_BUSINESS_DATA, RECORD_SALES, REFUND_SALES, SELL_ON_ACCOUNT, Permission
from bassin_gateway.app import call, idempotency_key, json_body
from bassin_gateway.routing import ServiceApi

api = ServiceApi("pos")
routes = api.blueprint

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
