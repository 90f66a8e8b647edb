"""The technician's day (issue #27): sav's day and tickets, then every customer's file and the
van's stock at once, under one deadline; a customer or a van that cannot be read is marked
and the day still answers."""

from __future__ import annotations

import time
from typing import Any

import eventlet
import pytest

from bassin_common.errors import NotFound, Unavailable
from bassin_gateway.api import technician_day

TECHNICIAN = "3f2e1d0c-9b8a-4766-8554-433221100fed"
VAN = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
CUSTOMER = "11111111-2222-4333-8444-555555555555"
SITE, POOL, OTHER_POOL = (
    "21111111-2222-4333-8444-555555555555",
    "31111111-2222-4333-8444-555555555555",
    "41111111-2222-4333-8444-555555555555",
)
HEAT_PUMP = "51111111-2222-4333-8444-555555555555"
TICKET = "61111111-2222-4333-8444-555555555555"
INTERVENTION = {
    "id": "71111111-2222-4333-8444-555555555555",
    "ticket_id": TICKET,
    "customer_id": CUSTOMER,
    "status": "scheduled",
    "version": 1,
    "checklist": [{"label": "Relever le code erreur", "done": False}],
}
FILE = {
    "id": CUSTOMER,
    "display_name": "DURAND Claire",
    "sites": [{"id": SITE, "line1": "4 rue des Cigales", "city": "Nîmes", "access_notes": "Portail vert"}],
    "pools": [
        {"id": OTHER_POOL, "site_id": SITE, "equipment": []},
        {"id": POOL, "site_id": SITE, "equipment": [{"id": HEAT_PUMP, "category": "heat_pump"}]},
    ],
}
CONTRACTS = {
    "items": [
        {"id": "c1", "pool_id": OTHER_POOL, "status": "active"},
        {"id": "c2", "pool_id": POOL, "status": "terminated"},
        {"id": "c3", "pool_id": None, "status": "active"},
    ],
    "next": None,
}
STOCK_LINE = {"article_id": "a1", "sku": "CONDO-PAC", "article_name": "Condensateur", "quantity": 5, "available": 5}


class Reply:
    def __init__(self, outcome: Any, delay: float = 0) -> None:
        self.outcome, self.delay = outcome, delay

    def result(self) -> Any:
        eventlet.sleep(self.delay)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class Services:
    def __init__(self, **answers: Any) -> None:
        self.answers = {
            "get_technician": {"id": TECHNICIAN, "name": "Julien Martin", "van_location_id": VAN},
            "get_technician_day": {"technician_id": TECHNICIAN, "date": "2026-07-15", "interventions": [INTERVENTION]},
            "get_ticket": {"id": TICKET, "pool_id": None, "equipment_id": HEAT_PUMP, "covered_by": "none"},
            "get_customer": FILE,
            "list_customer_contracts": CONTRACTS,
            "list_analyses": {"items": [{"id": "an1", "pool_id": POOL}], "next": None},
            "list_location_stock": {"items": [STOCK_LINE, {**STOCK_LINE, "sku": "EMPTY", "quantity": 0}], "next": None},
            **answers,
        }
        self.calls: list[tuple[str, str, tuple]] = []
        self.delay: dict[str, float] = {}
        self.timeout = 10.0

    def call_async(self, context: Any, service: str, method: str, *args: Any) -> Reply:
        self.calls.append((service, method, args))
        return Reply(self.answers[method], self.delay.get(method, 0))


@pytest.fixture
def day_of(stand_in_app, bearer):
    def get(services: Services, role: str = "technician", query: str = "?date=2026-07-15") -> Any:
        app, _ = stand_in_app()
        app.extensions["bassin"]["rpc"] = services
        return app.test_client().get(f"/api/v1/technician-days/{TECHNICIAN}{query}", headers=bearer(role))

    return get


def test_the_day_brings_each_visit_s_file_narrowed_to_its_pool_and_the_van(day_of) -> None:
    services = Services()
    answer = day_of(services)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["technician_id"], body["date"]) == (TECHNICIAN, "2026-07-15")
    assert body["day"]["status"] == "ok" and body["day"]["technician"]["van_location_id"] == VAN
    (visit,) = body["day"]["visits"]
    assert visit["intervention"] == INTERVENTION and visit["ticket"]["equipment_id"] == HEAT_PUMP
    file = visit["file"]
    assert (file["status"], file["customer"]["display_name"]) == ("ok", "DURAND Claire")
    assert "pools" not in file["customer"] and "sites" not in file["customer"]
    assert file["pool"]["id"] == POOL  # the pool of the ticket's heat pump, not the other one
    assert file["site"]["access_notes"] == "Portail vert"
    assert file["analyses"] == [{"id": "an1", "pool_id": POOL}]
    assert file["contract"]["id"] == "c3"  # the running one: the pool's is terminated, c1 is another pool's
    assert body["van"] == {"status": "ok", "detail": None, "location_id": VAN, "lines": [STOCK_LINE], "complete": True}
    (day_args,) = [args for _, method, args in services.calls if method == "get_technician_day"]
    assert day_args == (TECHNICIAN, {"date": "2026-07-15"})


def test_customers_down_marks_the_files_and_the_day_still_answers(day_of) -> None:
    services = Services(get_customer=Unavailable("customers' database is down"))
    body = day_of(services).get_json()
    (visit,) = body["day"]["visits"]
    assert visit["intervention"]["id"] == INTERVENTION["id"]
    assert visit["file"]["status"] == "unavailable" and visit["file"]["customer"] is None
    assert body["van"]["status"] == "ok"


def test_a_slow_van_is_late_within_the_one_deadline(day_of, monkeypatch) -> None:
    monkeypatch.setattr(technician_day, "DEADLINE_SECONDS", 0.5)
    services = Services()
    services.delay["list_location_stock"] = 5
    started = time.monotonic()
    body = day_of(services).get_json()
    assert time.monotonic() - started < 4  # not the van's 5 s
    assert body["van"]["status"] == "late" and body["van"]["lines"] is None
    assert body["day"]["visits"][0]["file"]["status"] == "ok"


def test_sav_down_answers_the_day_marked_so_the_phone_keeps_its_own(day_of) -> None:
    body = day_of(Services(get_technician_day=Unavailable("sav's database is down"))).get_json()
    assert body["day"]["status"] == "unavailable" and body["day"]["visits"] is None


def test_an_unknown_technician_is_a_404_and_a_bad_date_a_422(day_of) -> None:
    assert day_of(Services(get_technician=NotFound("technician not found"))).status_code == 404
    services = Services()
    answer = day_of(services, query="?date=demain")
    assert answer.status_code == 422 and "date" in answer.get_json()["errors"]
    assert services.calls == []


def test_a_customer_may_not_read_a_technician_s_day(day_of) -> None:
    services = Services()
    assert day_of(services, role="customer").status_code == 403
    assert services.calls == []
