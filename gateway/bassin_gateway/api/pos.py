"""The till: recording a paid sale, reading one back."""

from __future__ import annotations

from flask import jsonify

from bassin_common.permissions import READ_BUSINESS_DATA, RECORD_SALES
from bassin_gateway.app import call, idempotency_key, json_body, requires
from bassin_gateway.routing import ServiceApi

api = ServiceApi("pos")
routes = api.blueprint

api.forward("GET", "/sales/<sale_id>", "get_sale", READ_BUSINESS_DATA)


@routes.post("/sales")
@requires(RECORD_SALES)
def record_sale():
    # The till's Idempotency-Key: a retried sale is answered with the first one.
    sale = call("pos", "record_sale", json_body(), request_id=idempotency_key())
    return jsonify(sale), 201, {"Location": f"{api.prefix}/sales/{sale['id']}"}
