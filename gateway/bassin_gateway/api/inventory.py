"""Stock: locations, suppliers, articles and their stock, thresholds, the ledger, the basket."""

from __future__ import annotations

from bassin_common.permissions import MANAGE_STOCK, READ_BUSINESS_DATA
from bassin_gateway.app import call, json_body
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
api.forward("GET", "/articles/<article_id>", "get_article", READ, summary="An article, with its stock everywhere")
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
