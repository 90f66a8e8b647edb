"""The dashboard in one request (issue #26): today's till, the supplier basket, the invoices
and payment requests to check and the deliveries awaited, asked of
their services at once under one deadline; a part whose service is slow, down or not the
caller's to read is marked (``status``) and the rest still answers
(``bassin_gateway.aggregate``)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, request
from marshmallow import Schema, fields, validate

from bassin_common.permissions import MANAGE_INVOICES, MANAGE_STOCK, READ_BUSINESS_DATA
from bassin_common.schemas import Money, StrictSchema, load_or_reject
from bassin_gateway.aggregate import STATUSES, Caller, Part, gather_parts
from bassin_gateway.own_routes import GatewayApi

api = GatewayApi("dashboard")
routes = api.blueprint

DEADLINE_SECONDS = 3.0  # the whole dashboard, however many parts
TILL_PAGES = 10  # 2,000 sales a day: beyond, the till's part says it is not complete
LATEST = 5
BASKET_LINES = 5
FRANCE = ZoneInfo("Europe/Paris")


class DashboardQuery(StrictSchema):
    since = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={
            "example": "2026-07-14T00:00:00+02:00",
            "description": "Start of the day of the till's part (ISO-8601); today's midnight in France when left out.",
        },
    )


class Marked(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"example": "ok"})
    detail = fields.String(
        allow_none=True, metadata={"example": None, "description": "Why the part is missing, when it is."}
    )


class LatestSale(Schema):
    id = fields.UUID(metadata={"example": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6"})
    total = Money(metadata={"example": "75.80"})
    completed_at = fields.DateTime(metadata={"example": "2026-07-14T10:32:05.120000+00:00"})


class TillPart(Marked):
    sales = fields.Integer(allow_none=True, metadata={"example": 42})
    total = Money(allow_none=True, metadata={"example": "3184.50", "description": "VAT included."})
    complete = fields.Boolean(
        allow_none=True, metadata={"example": True, "description": "False: more sales than the part counts."}
    )
    latest = fields.List(fields.Nested(LatestSale), allow_none=True)


class BasketLine(Schema):
    sku = fields.String(metadata={"example": "CHL-CHOC-1KG"})
    article_name = fields.String(metadata={"example": "Chlore choc granulés 1 kg"})
    supplier_name = fields.String(allow_none=True, metadata={"example": "HydroSud Distribution"})
    quantity = fields.Integer(metadata={"example": 35})


class BasketPart(Marked):
    lines = fields.List(fields.Nested(BasketLine), allow_none=True)
    more = fields.Boolean(allow_none=True, metadata={"example": False, "description": "More lines than shown."})


class ActionLine(Schema):
    id = fields.UUID(metadata={"example": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b"})
    title = fields.String(
        metadata={"example": "Rappeler LEFÈVRE Marc : premier contact du 26/11/2026, toujours sans devis"}
    )
    due_on = fields.Date(metadata={"example": "2026-11-29"})
    priority = fields.String(metadata={"example": "high"})
    link = fields.String(allow_none=True, metadata={"example": "/customers/aead50ac-3eec-4a00-93bd-fc205a717726"})


class ActionsPart(Marked):
    """The actions to take (issue #29): a manager sees the whole company's, anyone else their inbox."""

    open = fields.Integer(allow_none=True, metadata={"example": 12})
    overdue = fields.Integer(allow_none=True, metadata={"example": 3})
    due_today = fields.Integer(allow_none=True, metadata={"example": 2})
    high_priority = fields.Integer(allow_none=True, metadata={"example": 4})
    latest = fields.List(fields.Nested(ActionLine), allow_none=True)


class DraftInvoice(Schema):
    id = fields.UUID(metadata={"example": "9c2e4a6b-8d0f-4b2d-9e4f-6a8c0e2b4d88"})
    kind = fields.String(metadata={"example": "deposit", "description": "`invoice`, `deposit` or `credit_note`."})
    customer_name = fields.String(metadata={"example": "Mme Hélène Durand"})
    total_incl_vat = Money(metadata={"example": "1794.00"})


class InvoicesPart(Marked):
    items = fields.List(fields.Nested(DraftInvoice), allow_none=True)
    more = fields.Boolean(allow_none=True, metadata={"example": False, "description": "More drafts than shown."})


class ExpectedDelivery(Schema):
    id = fields.UUID(metadata={"example": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"})
    number = fields.String(metadata={"example": "CF-000042"})
    supplier_name = fields.String(metadata={"example": "HydroSud Distribution"})
    expected_on = fields.Date(allow_none=True, metadata={"example": "2026-07-21"})
    late = fields.Boolean(metadata={"example": False})


class DeliveriesPart(Marked):
    items = fields.List(fields.Nested(ExpectedDelivery), allow_none=True)
    more = fields.Boolean(allow_none=True, metadata={"example": False, "description": "More orders than shown."})


class DashboardOutput(Schema):
    till = fields.Nested(TillPart)
    supplier_basket = fields.Nested(BasketPart)
    actions = fields.Nested(ActionsPart)  # the story (issue 29): every area's actions to take
    # shop and office (issue 26): the invoices and payment requests to check, the deliveries awaited
    invoices_to_check = fields.Nested(InvoicesPart)
    deliveries = fields.Nested(DeliveriesPart)


def _today_in_france() -> datetime:
    return datetime.combine(datetime.now(FRANCE).date(), time(), tzinfo=FRANCE)


def todays_till(since: datetime) -> Any:
    def fetch(caller: Caller) -> dict[str, Any]:
        sales: list[dict[str, Any]] = []
        cursor: dict[str, str] = {}
        for _ in range(TILL_PAGES):
            page = caller.call("pos", "list_sales", {"since": since.isoformat(), "limit": 200, **cursor})
            sales += page["items"]
            if not page["next"]:
                break
            cursor = {"cursor": page["next"]}
        total = sum((Decimal(sale["total"]) for sale in sales), Decimal("0.00"))
        latest = [{key: sale[key] for key in ("id", "total", "completed_at")} for sale in sales[:LATEST]]
        return {"sales": len(sales), "total": f"{total:.2f}", "complete": not page["next"], "latest": latest}

    return fetch


def supplier_basket(caller: Caller) -> dict[str, Any]:
    page = caller.call("inventory", "get_supplier_basket", {"limit": BASKET_LINES})
    keys = ("sku", "article_name", "supplier_name", "quantity")
    return {"lines": [{key: line[key] for key in keys} for line in page["items"]], "more": bool(page["next"])}


def actions(caller: Caller) -> dict[str, Any]:
    """The open actions: the whole company's for a manager, the caller's inbox otherwise."""
    inbox = "all" if "manager" in caller.context.roles else "mine"
    summary = caller.call("notifications", "inbox_summary", {"inbox": inbox})
    page = caller.call("notifications", "list_actions", {"inbox": inbox, "limit": LATEST})
    keys = ("id", "title", "due_on", "priority", "link")
    return {**summary, "latest": [{key: action[key] for key in keys} for action in page["items"]]}


def invoices_to_check(caller: Caller) -> dict[str, Any]:
    page = caller.call("pos", "list_invoices", {"status": "draft", "limit": BASKET_LINES})
    keys = ("id", "kind", "customer_name", "total_incl_vat")
    return {"items": [{key: item[key] for key in keys} for item in page["items"]], "more": bool(page["next"])}


def deliveries(caller: Caller) -> dict[str, Any]:
    page = caller.call("inventory", "list_purchase_orders", {"status": "open", "limit": BASKET_LINES})
    keys = ("id", "number", "supplier_name", "expected_on", "late")
    return {"items": [{key: item[key] for key in keys} for item in page["items"]], "more": bool(page["next"])}


EMPTY = {
    "till": {"sales": None, "total": None, "complete": None, "latest": None},
    "supplier_basket": {"lines": None, "more": None},
    "actions": {"open": None, "overdue": None, "due_today": None, "high_priority": None, "latest": None},
    "invoices_to_check": {"items": None, "more": None},
    "deliveries": {"items": None, "more": None},
}


@api.view(
    "GET",
    "",
    READ_BUSINESS_DATA,
    summary="The dashboard in one request: today's till, the supplier basket, the invoices to check and the "
    "deliveries awaited, each part marked when its service is slow, down or not the caller's to read",
    query="bassin_gateway.api.dashboard:DashboardQuery",
    response="bassin_gateway.api.dashboard:DashboardOutput",
    statuses=(422,),
)
def dashboard():
    since = load_or_reject(DashboardQuery(), request.args.to_dict())["since"] or _today_in_france()
    parts = {
        "till": Part(READ_BUSINESS_DATA, todays_till(since)),
        "supplier_basket": Part(MANAGE_STOCK, supplier_basket),
        "actions": Part(READ_BUSINESS_DATA, actions),  # the story (issue 29)
        "invoices_to_check": Part(MANAGE_INVOICES, invoices_to_check),
        "deliveries": Part(MANAGE_STOCK, deliveries),
    }
    answer = {}
    for name, outcome in gather_parts(parts, DEADLINE_SECONDS).items():
        data = outcome.get("data") or EMPTY[name]
        answer[name] = {"status": outcome["status"], "detail": outcome.get("detail"), **data}
    return jsonify(answer)  # DashboardOutput, as the services answered it
