"""The customer 360 in one request (issue #26): the customer file (sites, pools, equipment
with its warranty and end-of-life badges), the pools' last water analyses, the timeline,
the open SAV tickets and scheduled interventions, the worksites, the invoices and the
balance, the open actions and the quotes — asked of their services at once under one
deadline; a part whose service is slow, down or not the caller's to read is marked
(``status``) and the rest still answers (``bassin_gateway.aggregate``). The customers
service's four parts (file, analyses, timeline, quotes) come from one of its calls: fewer
round trips, and the analyses need not wait for the file's pools.

A customer that does not exist, or is another company's, is 404 — as the file itself is."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import eventlet
from flask import current_app, g
from marshmallow import Schema, fields

from bassin_common.errors import NotFound
from bassin_common.permissions import MANAGE_SALES_PIPELINE, READ_BUSINESS_DATA, RECORD_WATER_ANALYSES
from bassin_gateway.aggregate import NOT_ALLOWED, OK, Caller, Part, gather_parts
from bassin_gateway.api.dashboard import Marked
from bassin_gateway.app import bassin
from bassin_gateway.overview_cache import BYPASS, CACHE_LOOKUPS, HIT, MISS, Key, OverviewCache
from bassin_gateway.own_routes import GatewayApi

# Under the customer it describes: /api/v1/customers/customers/{customer_id}/overview.
api = GatewayApi("customer_overview", prefix="customers")
routes = api.blueprint

DEADLINE_SECONDS = 3.0  # the whole file, however many parts
ANALYSES_PER_POOL = 12  # enough points for a trend chart
TIMELINE = 20
LISTED = 10  # tickets, worksites, invoices, actions, quotes


def _items(description: str) -> fields.List:
    return fields.List(fields.Dict(), allow_none=True, metadata={"description": description})


class CustomerPart(Marked):
    file = fields.Dict(
        allow_none=True,
        metadata={"description": "The customer file as GET /customers/{customer_id} answers it: sites, pools..."},
    )


class ListPart(Marked):
    items = _items("The part's rows, as the service's own list answers them.")
    more = fields.Boolean(allow_none=True, metadata={"example": False, "description": "More rows than shown."})


class BalancePart(Marked):
    balance = fields.Dict(
        allow_none=True, metadata={"description": "Invoiced, credited, paid, balance, overdue and the open invoices."}
    )


class OverviewOutput(Schema):
    customer = fields.Nested(CustomerPart)
    analyses = fields.Nested(ListPart, metadata={"description": "Each pool's last analyses, newest first."})
    timeline = fields.Nested(ListPart)
    tickets = fields.Nested(ListPart, metadata={"description": "Open SAV tickets and scheduled interventions."})
    worksites = fields.Nested(ListPart)
    invoices = fields.Nested(ListPart)
    balance = fields.Nested(BalancePart)
    actions = fields.Nested(ListPart, metadata={"description": "The company's open actions about the customer."})
    quotes = fields.Nested(ListPart)


class Shared:
    """One fetch that several parts wait for (the file, whose pools the analyses need):
    the first part to ask starts it, in its own green thread; each waiter gets its answer
    or its error."""

    def __init__(self, fetch: Callable[[Caller], Any]) -> None:
        self.fetch = fetch
        self.thread: Any = None

    def __call__(self, caller: Caller) -> Any:
        if self.thread is None:
            self.thread = eventlet.spawn(self.fetch, caller)
        return self.thread.wait()


def _page(answer: dict[str, Any] | None) -> dict[str, Any]:
    if answer is None:  # another company's customer: the view answers 404
        return {"items": [], "more": False}
    return {"items": answer["items"], "more": bool(answer["next"])}


def parts_of(customer_id: str) -> dict[str, Part]:
    analyses_part = Part(RECORD_WATER_ANALYSES, lambda caller: {"items": sorted_analyses(file(caller)), "more": None})
    quotes_part = Part(MANAGE_SALES_PIPELINE, lambda caller: _page(file(caller).get("quotes")))

    # The customers service's parts in one call: those the caller's company lets it read
    # (read here, in the request: the parts run in green threads of their own).
    grants = g.get("grants", {})
    include = {
        name: part.requires.allows(g.context.roles, grants.get(part.requires.name))
        for name, part in (("analyses", analyses_part), ("quotes", quotes_part))
    }

    def get_file(caller: Caller) -> dict[str, Any]:
        try:
            return caller.call("customers", "customer_overview", customer_id, {**include, "limit": ANALYSES_PER_POOL})
        except NotFound:
            return {}  # another company's, or none: the view answers 404

    file = Shared(get_file)

    def listed(service: str, method: str, *args: Any) -> Callable[[Caller], dict[str, Any]]:
        return lambda caller: _page(caller.call(service, method, *args))

    def tickets(caller: Caller) -> dict[str, Any]:
        asked = [
            caller.rpc.call_async(
                caller.context, "sav", "list_tickets", {"customer_id": customer_id, "status": status, "limit": LISTED}
            )
            for status in ("open", "scheduled")
        ]
        pages = [reply.result() for reply in asked]
        items = sorted((t for page in pages for t in page["items"]), key=lambda t: t["opened_at"], reverse=True)
        return {"items": items, "more": any(page["next"] for page in pages)}

    def balance(caller: Caller) -> dict[str, Any]:
        return {"balance": caller.call("pos", "customer_balance", customer_id)}

    of_customer = {"customer_id": customer_id, "limit": LISTED}
    return {
        "customer": Part(READ_BUSINESS_DATA, lambda caller: {"file": file(caller).get("file")}),
        "analyses": analyses_part,
        "timeline": Part(READ_BUSINESS_DATA, lambda caller: _page(file(caller).get("timeline"))),
        "tickets": Part(READ_BUSINESS_DATA, tickets),
        "worksites": Part(READ_BUSINESS_DATA, listed("worksites", "list_projects", of_customer)),
        "invoices": Part(READ_BUSINESS_DATA, listed("pos", "list_invoices", of_customer)),
        "balance": Part(READ_BUSINESS_DATA, balance),
        "actions": Part(READ_BUSINESS_DATA, listed("notifications", "list_actions", {**of_customer, "inbox": "all"})),
        "quotes": quotes_part,
    }


def sorted_analyses(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(answer.get("analyses") or [], key=lambda a: a["recorded_at"], reverse=True)


EMPTY = {"customer": {"file": None}, "balance": {"balance": None}}
EMPTY_LIST = {"items": None, "more": None}


@api.view(
    "GET",
    "/customers/<uuid:customer_id>/overview",
    READ_BUSINESS_DATA,
    summary="The customer 360 in one request: file, pools and equipment, analyses, timeline, tickets, worksites, "
    "invoices and balance, actions, quotes; each part marked when its service is slow, down or not the "
    "caller's to read",
    response="bassin_gateway.api.customer_overview:OverviewOutput",
    statuses=(404,),
)
def customer_overview(customer_id: Any):
    # A complete answer is kept, already serialized, until an event or a write of the
    # company changes it (bassin_gateway.overview_cache, ADR 0032).
    cache: OverviewCache = bassin("overview_cache")
    key = cache_key(customer_id)
    if key is not None and (body := cache.get(key)) is not None:
        CACHE_LOOKUPS.inc(outcome=HIT)
        return _answer(body, HIT)
    ticket = cache.ticket()  # before the first RPC: an event arriving meanwhile wins
    answer = {}
    for name, outcome in gather_parts(parts_of(str(customer_id)), DEADLINE_SECONDS).items():
        data = outcome.get("data") or EMPTY.get(name, EMPTY_LIST)
        answer[name] = {"status": outcome["status"], "detail": outcome.get("detail"), **data}
    if answer["customer"]["status"] == "ok" and answer["customer"]["file"] is None:
        raise NotFound("no such customer")  # never cached
    body = current_app.json.dumps(answer).encode()  # OverviewOutput, as the services answered it
    complete = all(part["status"] in CACHEABLE for part in answer.values())
    stored = key is not None and complete and cache.store(key, body, ticket)
    CACHE_LOOKUPS.inc(outcome=MISS if key is not None and cache.connected else BYPASS)
    return _answer(body, STORED if stored else MISS)


CACHE_HEADER = "X-Bassin-Cache"
# A part refused to the caller is decided by what the key holds (its roles and grants): a
# technician's file, without the quotes, is kept too. A part late, unavailable or failed
# never is.
CACHEABLE = frozenset({OK, NOT_ALLOWED})
STORED = "stored"
# What decides an overview's parts besides the customer: the parts' permissions.
PART_PERMISSIONS = (READ_BUSINESS_DATA, RECORD_WATER_ANALYSES, MANAGE_SALES_PIPELINE)


def cache_key(customer_id: uuid.UUID) -> Key | None:
    """The cache's key for this caller and customer: the tenant of the verified token, the
    customer, and what decides the parts (the caller's roles, and whether the company lets
    them hold each part's permission). None for a portal or partner caller, scoped to
    data of its own: it is never served from the cache."""
    context = g.context
    if context.customer_id is not None or context.brand is not None:
        return None
    grants = g.get("grants", {})
    allowed = tuple(p.allows(context.roles, grants.get(p.name)) for p in PART_PERMISSIONS)
    return (context.tenant_id, customer_id, (context.roles, allowed))


def _answer(body: bytes, cache: str) -> Any:
    response = current_app.response_class(body, mimetype="application/json")
    response.headers[CACHE_HEADER] = cache
    return response
