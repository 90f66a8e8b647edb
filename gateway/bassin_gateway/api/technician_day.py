"""The technician's day in one request (issue #27), what the phone downloads in the morning
to work without network in the gardens: the day's interventions, each with its ticket, the
customer, the site, the pool and its equipment, the last water analyses and the contract,
and the parts known to be in the technician's van.

Two rounds under ONE deadline (``bassin_gateway.aggregate``): sav first (the technician and
their day, the tickets asked at once), then, at once, every customer's file and the van's
stock — both need what sav answered. A customer whose file cannot be read, or a van whose
stock cannot, is marked (``status``) and the rest of the day still answers: a technician
with sav's part alone can still work.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, request
from marshmallow import Schema, fields, validate

from bassin_common.errors import NotFound
from bassin_common.permissions import READ_BUSINESS_DATA, RECORD_WATER_ANALYSES
from bassin_common.schemas import StrictSchema, load_or_reject
from bassin_gateway.aggregate import OK, STATUSES, Caller, Part, gather_parts
from bassin_gateway.own_routes import GatewayApi

api = GatewayApi("technician_day", prefix="technician-days")
routes = api.blueprint

DEADLINE_SECONDS = 5.0  # the whole day, both rounds
ANALYSES = 3  # the pool's last water analyses
VAN_PAGES = 5  # 1,000 articles in a van: beyond, the van's part says it is not complete
CUSTOMER = "customer:"
VAN_KEYS = ("article_id", "sku", "article_name", "quantity", "available")
FRANCE = ZoneInfo("Europe/Paris")


class DayQuery(StrictSchema):
    date = fields.Date(
        load_default=None, metadata={"example": "2026-07-15", "description": "The day (local); default: today."}
    )


class Marked(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"example": "ok"})
    detail = fields.String(
        allow_none=True, metadata={"example": None, "description": "Why the part is missing, when it is."}
    )


class FileOfVisit(Marked):
    """What the customers service knows of the visit's customer and pool."""

    customer = fields.Dict(
        allow_none=True, metadata={"description": "The customer file (name, phones, e-mails, billing address)."}
    )
    site = fields.Dict(allow_none=True, metadata={"description": "Where: the address and the access notes."})
    pool = fields.Dict(allow_none=True, metadata={"description": "The pool, with its equipment (replaced included)."})
    analyses = fields.List(fields.Dict(), allow_none=True, metadata={"description": "The last ones, newest first."})
    contract = fields.Dict(allow_none=True, metadata={"description": "The running maintenance contract, if any."})


class Visit(Schema):
    intervention = fields.Dict(metadata={"description": "As sav answers it; its `version` is the report's ETag."})
    ticket = fields.Dict(allow_none=True, metadata={"description": "The ticket: fault, equipment, who covers it."})
    file = fields.Nested(FileOfVisit)


class VisitsPart(Marked):
    technician = fields.Dict(allow_none=True, metadata={"description": "The technician, with their van's location."})
    visits = fields.List(fields.Nested(Visit), allow_none=True)


class VanLine(Schema):
    article_id = fields.UUID(metadata={"example": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"})
    sku = fields.String(metadata={"example": "CONDO-PAC"})
    article_name = fields.String(metadata={"example": "Condensateur ventilateur PAC"})
    quantity = fields.Integer(metadata={"example": 5})
    available = fields.Integer(metadata={"example": 5})


class VanPart(Marked):
    location_id = fields.UUID(allow_none=True, metadata={"example": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"})
    lines = fields.List(fields.Nested(VanLine), allow_none=True)
    complete = fields.Boolean(
        allow_none=True, metadata={"example": True, "description": "False: more articles than the part lists."}
    )


class TechnicianDayOutput(Schema):
    technician_id = fields.UUID(metadata={"example": "3f2e1d0c-9b8a-4766-8554-433221100fed"})
    date = fields.Date(metadata={"example": "2026-07-15"})
    downloaded_at = fields.DateTime(
        metadata={"example": "2026-07-15T05:42:10+00:00", "description": "When the gateway answered."}
    )
    day = fields.Nested(VisitsPart)
    van = fields.Nested(VanPart)


def the_day(technician_id: str, day: date | None) -> Any:
    """sav's part: the technician, their day, and each visit's ticket, asked at once."""

    def fetch(caller: Caller) -> dict[str, Any] | None:
        technician = caller.rpc.call_async(caller.context, "sav", "get_technician", technician_id)
        listed = caller.rpc.call_async(
            caller.context, "sav", "get_technician_day", technician_id, {"date": day and day.isoformat()}
        )
        try:
            technician, listed = technician.result(), listed.result()
        except NotFound:
            return None  # answered 404 by the view
        asked = {
            ticket_id: caller.rpc.call_async(caller.context, "sav", "get_ticket", ticket_id)
            for ticket_id in {visit["ticket_id"] for visit in listed["interventions"]}
        }
        tickets = {ticket_id: reply.result() for ticket_id, reply in asked.items()}
        return {"technician": technician, "listed": listed, "tickets": tickets}

    return fetch


def customer_file(customer_id: str, tickets: list[dict[str, Any] | None]) -> Any:
    """customers' part for one customer: the file (sites, pools, equipment) and the contracts
    at once, then the last analyses of each pool its tickets are about, at once."""

    def fetch(caller: Caller) -> dict[str, Any]:
        customer = caller.rpc.call_async(caller.context, "customers", "get_customer", customer_id)
        contracts = caller.rpc.call_async(
            caller.context, "customers", "list_customer_contracts", customer_id, {"limit": 50}
        )
        customer = customer.result()
        pool_ids = {pool["id"] for ticket in tickets if (pool := _pool_of(customer, ticket))}
        analyses = {
            pool_id: caller.rpc.call_async(caller.context, "customers", "list_analyses", pool_id, {"limit": ANALYSES})
            for pool_id in pool_ids
        }
        return {
            "customer": customer,
            "contracts": contracts.result()["items"],
            "analyses": {pool_id: _items_or_none(reply) for pool_id, reply in analyses.items()},
        }

    return fetch


def _items_or_none(reply: Any) -> list[dict[str, Any]]:
    try:
        return reply.result()["items"]
    except NotFound:  # the pool was removed from the file since the ticket was opened
        return []


def van_stock(location_id: str) -> Any:
    def fetch(caller: Caller) -> dict[str, Any]:
        lines: list[dict[str, Any]] = []
        cursor: dict[str, str] = {}
        for _ in range(VAN_PAGES):
            page = caller.call("inventory", "list_location_stock", location_id, {"limit": 200, **cursor})
            lines += [{key: line[key] for key in VAN_KEYS} for line in page["items"]]
            if not page["next"]:
                break
            cursor = {"cursor": page["next"]}
        return {"lines": [line for line in lines if line["quantity"] > 0], "complete": not page["next"]}

    return fetch


def _visit(intervention: dict[str, Any], ticket: dict[str, Any] | None, known: dict[str, Any]) -> dict[str, Any]:
    """One visit: the intervention, its ticket, and its customer's file narrowed to the pool."""
    outcome = known.get(intervention["customer_id"], {"status": OK, "data": None})
    data = outcome.get("data")
    file: dict[str, Any] = {"status": outcome["status"], "detail": outcome.get("detail")}
    file.update(customer=None, site=None, pool=None, analyses=None, contract=None)
    if data:
        customer = data["customer"]
        pool = _pool_of(customer, ticket)
        site_id = pool["site_id"] if pool else None
        sites = customer.get("sites", [])
        file["customer"] = {key: value for key, value in customer.items() if key not in ("sites", "pools")}
        file["site"] = next((s for s in sites if s["id"] == site_id), sites[0] if sites else None)
        file["pool"] = pool
        file["analyses"] = data["analyses"].get(pool["id"], []) if pool else []
        file["contract"] = _contract_of(data["contracts"], pool)
    return {"intervention": intervention, "ticket": ticket, "file": file}


def _pool_of(customer: dict[str, Any], ticket: dict[str, Any] | None) -> dict[str, Any] | None:
    pools = customer.get("pools", [])
    wanted = ticket and ticket.get("pool_id")
    if ticket and not wanted and ticket.get("equipment_id"):
        wanted = next(
            (p["id"] for p in pools for e in p.get("equipment", []) if e["id"] == ticket["equipment_id"]), None
        )
    return next((p for p in pools if p["id"] == wanted), pools[0] if len(pools) == 1 else None)


def _contract_of(contracts: list[dict[str, Any]], pool: dict[str, Any] | None) -> dict[str, Any] | None:
    running = [c for c in contracts if c["status"] == "active"]
    for_pool = [c for c in running if pool and c.get("pool_id") == pool["id"]]
    return (for_pool or [c for c in running if c.get("pool_id") is None] or [None])[0]


def _tickets_by_customer(visits: list[dict[str, Any]], tickets: dict[str, Any]) -> dict[str, list[Any]]:
    """Each customer of the day, with the tickets of their visits."""
    by_customer: dict[str, list[Any]] = {}
    for visit in visits:
        by_customer.setdefault(visit["customer_id"], []).append(tickets.get(visit["ticket_id"]))
    return by_customer


@api.view(
    "GET",
    "/<uuid:technician_id>",
    READ_BUSINESS_DATA,
    summary="A technician's day in one request, for the phone to work offline: the interventions with their "
    "customer, site, pool, equipment, last analyses and contract, and the parts in the van; a part whose "
    "service is slow, down or not the caller's to read is marked",
    query="bassin_gateway.api.technician_day:DayQuery",
    response="bassin_gateway.api.technician_day:TechnicianDayOutput",
    statuses=(404, 422),
)
def technician_day(technician_id: Any):
    wanted = load_or_reject(DayQuery(), request.args.to_dict())
    started = time.time()
    technician_id = str(technician_id)
    first = gather_parts({"day": Part(READ_BUSINESS_DATA, the_day(technician_id, wanted["date"]))}, DEADLINE_SECONDS)
    sav = first["day"]
    if sav["status"] != OK:  # nothing to show without sav: the phone keeps the day it has
        return jsonify(
            technician_id=technician_id,
            date=(wanted["date"] or datetime.now(FRANCE).date()).isoformat(),
            downloaded_at=datetime.now(UTC).isoformat(),
            day={"status": sav["status"], "detail": sav.get("detail"), "technician": None, "visits": None},
            van={"status": sav["status"], "detail": sav.get("detail"), "location_id": None, "lines": None},
        )
    if sav["data"] is None:
        raise NotFound("no such technician")
    technician, listed, tickets = sav["data"]["technician"], sav["data"]["listed"], sav["data"]["tickets"]
    van_id = technician.get("van_location_id")
    parts = {
        f"{CUSTOMER}{customer_id}": Part(RECORD_WATER_ANALYSES, customer_file(customer_id, its_tickets))
        for customer_id, its_tickets in _tickets_by_customer(listed["interventions"], tickets).items()
    }
    if van_id:
        parts["van"] = Part(READ_BUSINESS_DATA, van_stock(van_id))
    left = max(DEADLINE_SECONDS - (time.time() - started), 0.0)
    second = gather_parts(parts, left) if parts else {}
    known = {name.removeprefix(CUSTOMER): outcome for name, outcome in second.items() if name.startswith(CUSTOMER)}
    visits = [_visit(i, tickets.get(i["ticket_id"]), known) for i in listed["interventions"]]
    van = second.get("van", {"status": OK, "detail": "no van set for this technician", "data": None})
    van_data = van.get("data") or {"lines": None if van_id else [], "complete": None if van_id else True}
    return jsonify(
        technician_id=technician_id,
        date=str(listed["date"]),
        downloaded_at=datetime.now(UTC).isoformat(),
        day={"status": OK, "detail": None, "technician": technician, "visits": visits},
        van={"status": van["status"], "detail": van.get("detail"), "location_id": van_id, **van_data},
    )  # TechnicianDayOutput
