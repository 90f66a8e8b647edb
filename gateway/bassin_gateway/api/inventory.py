"""Stock: locations, suppliers, articles and their stock, thresholds, the ledger, the basket."""

from __future__ import annotations

from flask import jsonify

from bassin_common.permissions import MANAGE_STOCK, READ_BUSINESS_DATA
from bassin_gateway.app import call_async, gather
from bassin_gateway.routing import ServiceApi

api = ServiceApi("inventory")
routes = api.blueprint

api.forward("GET", "/locations", "list_locations", READ_BUSINESS_DATA)
api.forward("POST", "/locations", "create_location", MANAGE_STOCK, body=True, status=201)
api.forward("GET", "/suppliers", "list_suppliers", READ_BUSINESS_DATA)
api.forward("POST", "/suppliers", "create_supplier", MANAGE_STOCK, body=True, status=201)
api.forward("GET", "/articles", "search_articles", READ_BUSINESS_DATA, query=True, wrap="articles")
api.forward("POST", "/articles", "create_article", MANAGE_STOCK, body=True, status=201, location="/articles/{id}")
api.forward("GET", "/articles/<article_id>", "get_article", READ_BUSINESS_DATA)
api.forward("PUT", "/articles/<article_id>/stock/<location_id>/thresholds", "set_thresholds", MANAGE_STOCK, body=True)
api.forward("GET", "/supplier-basket", "get_supplier_basket", MANAGE_STOCK, wrap="lines")


@api.view(
    "GET",
    "/articles/<article_id>/movements",
    READ_BUSINESS_DATA,
    summary="An article and its stock movements (the ledger), fetched together",
    response="bassin_gateway.documents:ArticleLedger",
    statuses=(404,),
)
def list_movements(article_id: str):
    # The article and its ledger are fetched in parallel: one round trip, not two.
    article, movements = gather(
        [
            call_async("inventory", "get_article", article_id),
            call_async("inventory", "list_movements", article_id),
        ]
    )
    return jsonify(article=article, movements=movements)
