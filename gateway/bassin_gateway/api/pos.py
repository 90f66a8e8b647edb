"""The till: recording a paid sale, reading sales back, the articles the till sells."""

from __future__ import annotations

from flask import jsonify

from bassin_common.permissions import READ_BUSINESS_DATA, RECORD_SALES
from bassin_gateway.app import call, idempotency_key, json_body
from bassin_gateway.routing import ServiceApi

api = ServiceApi("pos")
routes = api.blueprint

api.forward("GET", "/sales", "list_sales", READ_BUSINESS_DATA, query=True, summary="Sales, newest first, by date range")
api.forward("GET", "/sales/<sale_id>", "get_sale", READ_BUSINESS_DATA, summary="A sale, with its lines and payments")
api.forward(
    "GET", "/articles", "list_catalogue", READ_BUSINESS_DATA, query=True, summary="What the till sells, by name"
)


@api.view(
    "POST",
    "/sales",
    RECORD_SALES,
    rpc="record_sale",
    summary="Record a paid sale at a till (retried safely with the same Idempotency-Key)",
    status=201,
    headers=("Idempotency-Key",),
    response_headers=("Location",),
)
def record_sale():
    # A sale must be safe to send again (the till lost the answer): the Idempotency-Key
    # is required, and travels as the call's request id; a retry gets the first sale.
    idempotency_key(required=True)
    sale = call("pos", "record_sale", json_body())
    return jsonify(sale), 201, {"Location": f"{api.prefix}/sales/{sale['id']}"}
