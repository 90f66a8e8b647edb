"""The dashboard's aggregate (issue #26): its parts asked at once under one deadline; one
slow, down or not allowed is marked and the others still answer."""

from __future__ import annotations

import time
from typing import Any

import eventlet
import pytest

from bassin_common.errors import Unavailable
from bassin_gateway.api import dashboard

SALE = {"id": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6", "location_id": None, "vat_total": "1.00", "cashier_id": None}
LINE = {"sku": "CHL-CHOC-1KG", "article_name": "Chlore choc granulés 1 kg", "supplier_name": None, "quantity": 35}


class Reply:
    def __init__(self, outcome: Any, delay: float = 0) -> None:
        self.outcome, self.delay = outcome, delay

    def result(self) -> Any:
        eventlet.sleep(self.delay)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class Services:
    """Answers by method: ``answers[method]`` is an outcome, or a list of them, one per call."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, tuple]] = []
        self.delay: dict[str, float] = {}
        self.timeout = 10.0

    def call_async(self, context: Any, service: str, method: str, *args: Any) -> Reply:
        self.calls.append((service, method, args))
        answer = self.answers.get(method, {"items": [], "next": None})  # a part a test leaves out: empty
        outcome = answer.pop(0) if isinstance(answer, list) else answer
        return Reply(outcome, self.delay.get(method, 0))


def sales(*totals: str, next_cursor: str | None = None) -> dict[str, Any]:
    items = [{**SALE, "total": total, "completed_at": f"2026-07-14T10:3{i}:00+00:00"} for i, total in enumerate(totals)]
    return {"items": items, "next": next_cursor}


@pytest.fixture
def app_with(stand_in_app):
    def make(services: Services):
        app, _ = stand_in_app()
        app.extensions["bassin"]["rpc"] = services
        return app.test_client()

    return make


def test_both_parts_in_one_answer(app_with, bearer) -> None:
    services = Services(list_sales=sales("75.80", "39.90"), get_supplier_basket={"items": [LINE], "next": None})
    answer = app_with(services).get("/api/v1/dashboard", headers=bearer("manager"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["till"] == {
        "status": "ok",
        "detail": None,
        "sales": 2,
        "total": "115.70",
        "complete": True,
        "latest": [
            {"id": SALE["id"], "total": "75.80", "completed_at": "2026-07-14T10:30:00+00:00"},
            {"id": SALE["id"], "total": "39.90", "completed_at": "2026-07-14T10:31:00+00:00"},
        ],
    }
    assert body["supplier_basket"] == {"status": "ok", "detail": None, "lines": [LINE], "more": False}
    (since,) = {args[0]["since"] for service, method, args in services.calls if method == "list_sales"}
    assert since.endswith(("T00:00:00+01:00", "T00:00:00+02:00"))  # today's midnight in France


def test_the_till_counts_every_page_of_the_day(app_with, bearer) -> None:
    pages = [sales("10.00", next_cursor="c1"), sales("20.00", "30.00")]
    services = Services(list_sales=pages, get_supplier_basket={"items": [], "next": None})
    query = {"since": "2026-07-14T00:00:00+02:00"}
    body = app_with(services).get("/api/v1/dashboard", query_string=query, headers=bearer("manager")).get_json()
    assert (body["till"]["sales"], body["till"]["total"], body["till"]["complete"]) == (3, "60.00", True)
    cursors = [args[0].get("cursor") for _, method, args in services.calls if method == "list_sales"]
    assert cursors == [None, "c1"]
    assert all(args[0]["since"] == "2026-07-14T00:00:00+02:00" for _, m, args in services.calls if m == "list_sales")


def test_a_service_down_is_marked_and_the_rest_answers(app_with, bearer) -> None:
    services = Services(list_sales=sales("75.80"), get_supplier_basket=Unavailable("inventory's database is down"))
    answer = app_with(services).get("/api/v1/dashboard", headers=bearer("manager"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["till"]["status"] == "ok" and body["till"]["total"] == "75.80"
    assert body["supplier_basket"] == {
        "status": "unavailable",
        "detail": "the service is not running or cannot reach its database",
        "lines": None,
        "more": None,
    }


def test_a_slow_service_is_marked_late_within_the_one_deadline(app_with, bearer, monkeypatch) -> None:
    monkeypatch.setattr(dashboard, "DEADLINE_SECONDS", 0.5)
    services = Services(list_sales=sales("75.80"), get_supplier_basket={"items": [], "next": None})
    services.delay["get_supplier_basket"] = 5
    started = time.monotonic()
    body = app_with(services).get("/api/v1/dashboard", headers=bearer("manager")).get_json()
    assert time.monotonic() - started < 4  # not the slow part's 5 s
    assert body["supplier_basket"]["status"] == "late"
    assert body["till"]["status"] == "ok"


def test_a_part_the_caller_may_not_read_is_marked_and_not_asked(app_with, bearer) -> None:
    services = Services(list_sales=sales(), get_supplier_basket={"items": [LINE], "next": None})
    body = app_with(services).get("/api/v1/dashboard", headers=bearer("cashier")).get_json()
    assert body["supplier_basket"]["status"] == "not_allowed"
    assert body["supplier_basket"]["lines"] is None
    assert body["till"] == {**body["till"], "status": "ok", "sales": 0, "total": "0.00"}
    asked = [method for _, method, _ in services.calls]
    assert "list_sales" in asked and "get_supplier_basket" not in asked


def test_a_bad_start_of_day_is_refused(app_with, bearer) -> None:
    services = Services()
    answer = app_with(services).get("/api/v1/dashboard?since=yesterday", headers=bearer("manager"))
    assert answer.status_code == 422
    assert "since" in answer.get_json()["errors"]
    assert services.calls == []


# --- the actions to take (issue 29) ---------------------------------------------------------------

ACTION = {
    "id": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
    "title": "Commander avant le 11/12/2026 : Liner 75/100 (52 m2) (étape waterproofing)",
    "due_on": "2026-11-29",
    "priority": "high",
    "link": "/worksites/projects/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "status": "open",
}
SUMMARY = {"open": 6, "overdue": 1, "due_today": 2, "high_priority": 3}


@pytest.mark.parametrize(("role", "inbox"), [("manager", "all"), ("cashier", "mine")])
def test_the_actions_to_take_the_whole_company_s_for_a_manager(app_with, bearer, role: str, inbox: str) -> None:
    services = Services(
        list_sales=sales(),
        get_supplier_basket={"items": [], "next": None},
        inbox_summary=SUMMARY,
        list_actions={"items": [ACTION], "next": None},
    )
    body = app_with(services).get("/api/v1/dashboard", headers=bearer(role)).get_json()
    keys = ("id", "title", "due_on", "priority", "link")
    assert body["actions"] == {
        "status": "ok",
        "detail": None,
        **SUMMARY,
        "latest": [{key: ACTION[key] for key in keys}],
    }
    asked = {
        method: args[0]["inbox"] for _, method, args in services.calls if method in ("inbox_summary", "list_actions")
    }
    assert asked == {"inbox_summary": inbox, "list_actions": inbox}


# --- shop and office (issue 26): the invoices to check, the deliveries awaited --------------------

DRAFT = {"id": "9c2e4a6b-8d0f-4b2d-9e4f-6a8c0e2b4d88", "kind": "deposit", "customer_name": "Mme Durand"}
ORDER = {"id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "number": "CF-000042", "supplier_name": "HydroSud"}


def test_the_drafts_to_check_and_the_deliveries_awaited_come_with_the_rest(app_with, bearer) -> None:
    services = Services(
        list_sales=sales(),
        get_supplier_basket={"items": [], "next": None},
        list_invoices={"items": [{**DRAFT, "total_incl_vat": "1794.00", "status": "draft"}], "next": "c"},
        list_purchase_orders={"items": [{**ORDER, "expected_on": "2026-07-21", "late": True}], "next": None},
    )
    body = app_with(services).get("/api/v1/dashboard", headers=bearer("office")).get_json()
    assert body["invoices_to_check"] == {
        "status": "ok",
        "detail": None,
        "items": [{**DRAFT, "total_incl_vat": "1794.00"}],
        "more": True,
    }
    assert body["deliveries"] == {
        "status": "ok",
        "detail": None,
        "items": [{**ORDER, "expected_on": "2026-07-21", "late": True}],
        "more": False,
    }
    asked = {method: args[0] for _, method, args in services.calls}
    assert asked["list_invoices"] == {"status": "draft", "limit": 5}
    assert asked["list_purchase_orders"] == {"status": "open", "limit": 5}


def test_the_drafts_are_not_a_cashier_s_to_read(app_with, bearer) -> None:
    services = Services(list_sales=sales())
    body = app_with(services).get("/api/v1/dashboard", headers=bearer("cashier")).get_json()
    assert body["invoices_to_check"] == {
        "status": "not_allowed",
        "detail": body["invoices_to_check"]["detail"],
        "items": None,
        "more": None,
    }
    assert body["deliveries"]["status"] == "not_allowed"
