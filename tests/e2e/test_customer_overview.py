"""The customer 360 through the whole stack (issue #26): one request answers the file, the
pools and their equipment with badges, the last analyses with their recommendation, the
open SAV tickets, the balance...; with a service down, the rest answers and the missing
part is marked; another company's customer is 404."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from bassin_common.events import Event
from bassin_common.registry import installed_services
from bassin_common.testing import publish_event, wait_until
from bassin_gateway import identities
from bassin_gateway.app import create_app
from conftest import PASSWORD, Company, Stack, count_rows
from notifications import usecases
from notifications_scheduler import jobs
from notifications_scheduler.rpc import RpcClient

CUSTOMERS = "/api/v1/customers"
CUSTOMER = {
    "kind": "private",
    "first_name": "Hélène",
    "last_name": "Durand",
    "phones": [{"number": "06 12 34 56 78"}],
    "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    "sites": [{"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"}],
}
POOL = {
    "shape": "rectangle",
    "length_m": "8",
    "width_m": "4",
    "mean_depth_m": "1.5",
    "coating": "liner",
    "filtration": "sand",
    "treatment": "chlorine",
    "safety_device": "alarm",
}
PUMP = {
    "category": "pump",
    "brand": "Pentair",
    "model": "SuperFlo",
    "serial_number": "PF-360-1",
    "installed_on": "2024-05-02",
    "warranty_months": 60,
}


def created(company: Company, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = company.post(url, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def customer_with_a_pool(company: Company) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    customer = created(company, f"{CUSTOMERS}/customers", CUSTOMER)
    pool = created(company, f"{CUSTOMERS}/pools", {**POOL, "site_id": customer["sites"][0]["id"]})
    pump = created(company, f"{CUSTOMERS}/pools/{pool['id']}/equipment", PUMP)
    return customer, pool, pump


def overview(company: Company, customer_id: str) -> dict[str, Any]:
    answer = company.get(f"{CUSTOMERS}/customers/{customer_id}/overview")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_whole_file_in_one_request(stack: Stack) -> None:
    company = stack.new_company()
    customer, pool, pump = customer_with_a_pool(company)
    product = {"products": [{"role": "ph_plus", "article_id": company.article["id"]}]}
    wait_until(lambda: company.put(f"{CUSTOMERS}/water-products", json=product).status_code == 200)
    created(company, f"{CUSTOMERS}/pools/{pool['id']}/analyses", {"ph": "7.5", "free_chlorine": "1.5"})
    analysis = created(company, f"{CUSTOMERS}/pools/{pool['id']}/analyses", {"ph": "6.8", "free_chlorine": "1.5"})
    wait_until(lambda: company.get(f"/api/v1/sav/equipment/{pump['id']}").status_code == 200)
    complaint = {"equipment_id": pump["id"], "channel": "phone", "description": "Pompe bruyante."}
    ticket = created(company, "/api/v1/sav/tickets", complaint)

    body = overview(company, customer["id"])
    assert {name: part["status"] for name, part in body.items()} == dict.fromkeys(body, "ok")
    file = body["customer"]["file"]
    assert file["display_name"] == "DURAND Hélène"
    (equipment,) = file["pools"][0]["equipment"]
    assert (equipment["warranty_badge"], equipment["end_of_life_badge"]) == ("green", "green")
    assert [a["id"] for a in body["analyses"]["items"]][:1] == [analysis["id"]]  # newest first
    assert len(body["analyses"]["items"]) == 2
    advice = body["analyses"]["items"][0]["recommendation"]
    assert any(line["article_id"] == company.article["id"] for line in advice), advice
    assert [t["id"] for t in body["tickets"]["items"]] == [ticket["id"]]
    assert body["balance"]["balance"]["balance"] == "0.00"
    assert body["invoices"]["items"] == [] and body["worksites"]["items"] == []
    assert body["timeline"]["items"], "the file's opening, at least"


def test_another_companys_customer_is_not_found(stack: Stack) -> None:
    ours, theirs = stack.new_company(), stack.new_company()
    customer, _, _ = customer_with_a_pool(theirs)
    assert ours.get(f"{CUSTOMERS}/customers/{customer['id']}/overview").status_code == 404
    assert ours.get(f"{CUSTOMERS}/customers/not-a-uuid/overview").status_code == 404


@pytest.fixture
def stack_without_pos(gateway_app, installed, service_config, runner_factory) -> Stack:
    """Every service but pos (invoices, balance) running: its queue waits, no one answers."""
    classes = {service.name: service.service_class for service in installed_services()}
    runner_factory(service_config, *(cls for name, cls in classes.items() if name != "pos")).start()
    app, settings, sessions = gateway_app
    return Stack(settings, app.test_client(), sessions)


def test_a_service_down_is_marked_and_the_rest_answers(stack_without_pos: Stack) -> None:
    tenant_id, _, token = stack_without_pos.new_tenant()  # new_company waits for the till's copy
    company = Company(tenant_id, stack_without_pos.client, token)
    customer, _, pump = customer_with_a_pool(company)

    body = overview(company, customer["id"])
    for missing in ("invoices", "balance"):
        assert body[missing]["status"] in ("late", "unavailable"), body[missing]
        assert body[missing]["detail"]
    assert body["balance"]["balance"] is None and body["invoices"]["items"] is None
    for present in ("customer", "analyses", "timeline", "tickets", "worksites", "actions", "quotes"):
        assert body[present]["status"] == "ok", (present, body[present])
    assert body["customer"]["file"]["pools"][0]["equipment"][0]["id"] == pump["id"]


def test_a_quote_as_a_pdf_under_the_company_letterhead(stack: Stack) -> None:
    import base64

    company = stack.new_company()
    customer, _, _ = customer_with_a_pool(company)
    line = {"description": "Ouverture de piscine", "quantity": "1", "unit_price_excl_vat": "120.00"}
    quote = created(company, f"{CUSTOMERS}/quotes", {"customer_id": customer["id"], "kind": "service", "lines": [line]})

    answer = company.get(f"{CUSTOMERS}/quotes/{quote['id']}/pdf")
    assert answer.status_code == 200, answer.get_json()
    document = answer.get_json()
    assert document["filename"] == f"{quote['number']}.pdf"
    assert base64.b64decode(document["content"]).startswith(b"%PDF")
    assert stack.new_company().get(f"{CUSTOMERS}/quotes/{quote['id']}/pdf").status_code == 404


# --- the cache (ADR 0032) ---------------------------------------------------------------------


@pytest.fixture
def cached(stack: Stack) -> Iterator[Stack]:
    """The stack with the gateway's overview cache consuming the services' events, as
    ``bassin-gateway`` runs it."""
    cache = stack.client.application.extensions["bassin"]["overview_cache"]
    cache.start()
    wait_until(lambda: cache.connected)
    yield stack
    cache.stop()


def served_from(answer: Any) -> str:
    assert answer.status_code == 200, answer.get_json()
    return answer.headers["X-Bassin-Cache"]


def read_until_hit(company: Company, customer_id: str) -> dict[str, Any]:
    """Read until the cache serves the overview (the customer's creation events settle
    first); the hit answers what the composition before it answered."""
    answers: list[Any] = []

    def hit() -> bool:
        answers.append(company.get(f"{CUSTOMERS}/customers/{customer_id}/overview"))
        return served_from(answers[-1]) == "hit"

    wait_until(hit)
    assert len(answers) >= 2 and served_from(answers[-2]) in ("stored", "hit")
    assert answers[-1].get_json() == answers[-2].get_json()
    assert answers[-1].content_type == "application/json"
    return answers[-1].get_json()


def test_a_second_read_is_served_from_the_cache(cached: Stack) -> None:
    company = cached.new_company()
    customer, _, pump = customer_with_a_pool(company)
    body = read_until_hit(company, customer["id"])
    assert body["customer"]["file"]["pools"][0]["equipment"][0]["id"] == pump["id"]
    assert 'bassin_overview_cache_total{outcome="hit"}' in company.get("/metrics").get_data(as_text=True)


def test_a_write_through_the_gateway_is_read_at_once(cached: Stack) -> None:
    company = cached.new_company()
    customer, pool, _ = customer_with_a_pool(company)
    read_until_hit(company, customer["id"])

    analysis = created(company, f"{CUSTOMERS}/pools/{pool['id']}/analyses", {"ph": "7.9", "free_chlorine": "0.4"})
    answer = company.get(f"{CUSTOMERS}/customers/{customer['id']}/overview")  # the very next read
    assert served_from(answer) != "hit"
    assert analysis["id"] in [a["id"] for a in answer.get_json()["analyses"]["items"]]


def test_another_services_event_invalidates_the_cached_file(cached: Stack) -> None:
    """A ticket opened through another gateway process (its own cache: it does not share
    this one's): only sav's ``ticket_opened`` tells this process — the entry would
    otherwise be served for its whole TTL (five minutes)."""
    company = cached.new_company()
    customer, _, pump = customer_with_a_pool(company)
    wait_until(lambda: company.get(f"/api/v1/sav/equipment/{pump['id']}").status_code == 200)
    assert read_until_hit(company, customer["id"])["tickets"]["items"] == []

    app = cached.client.application
    bassin = app.extensions["bassin"]
    replica = create_app(bassin["rpc"], bassin["sessions"], bassin["tokens"], bassin["settings"])
    complaint = {"equipment_id": pump["id"], "channel": "phone", "description": "Pompe bruyante."}
    ticket = created(Company(company.tenant_id, replica.test_client(), company.token), "/api/v1/sav/tickets", complaint)

    def ticket_shown() -> bool:
        body = overview(company, customer["id"])
        return ticket["id"] in [t["id"] for t in body["tickets"]["items"]]

    wait_until(ticket_shown)
    read_until_hit(company, customer["id"])  # and cached again once settled


def test_another_company_gets_404_for_a_cached_customer(cached: Stack) -> None:
    ours, theirs = cached.new_company(), cached.new_company()
    customer, _, _ = customer_with_a_pool(ours)
    read_until_hit(ours, customer["id"])
    answer = theirs.get(f"{CUSTOMERS}/customers/{customer['id']}/overview")
    assert answer.status_code == 404
    assert "X-Bassin-Cache" not in answer.headers


def test_a_cached_file_still_asks_for_the_callers_rights(cached: Stack) -> None:
    company = cached.new_company()
    customer, _, _ = customer_with_a_pool(company)
    read_until_hit(company, customer["id"])

    # A technician's file has no quotes (not its to read): another entry, kept as well.
    technician = Company(company.tenant_id, cached.client, cached.new_user(company.tenant_id, ("technician",)))
    body = read_until_hit(technician, customer["id"])
    assert body["quotes"]["status"] == "not_allowed" and body["customer"]["status"] == "ok"
    # The customer's own portal account may not read the company's file: 403, cached or not.
    email = f"client-{uuid.uuid4().hex[:8]}@example.fr"
    with cached.sessions() as session:
        roles = ("customer",)
        identities.create_user(session, company.tenant_id, email, PASSWORD, "Client", roles, uuid.UUID(customer["id"]))
        session.commit()
    login = cached.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    portal = Company(company.tenant_id, cached.client, login["access_token"])
    assert portal.get(f"{CUSTOMERS}/customers/{customer['id']}/overview").status_code == 403
    assert served_from(company.get(f"{CUSTOMERS}/customers/{customer['id']}/overview")) == "hit"


def test_an_action_opened_by_the_nightly_scan_or_closed_elsewhere_shows_at_once(
    cached: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler's follow-up scan opens an action, and another gateway process closes
    it: neither is a write of this process, so only notifications' ``action_opened`` and
    ``action_closed`` tell it — the entry would otherwise be served for its TTL."""
    monday = date(2026, 5, 4)
    clock = {"today": monday}
    monkeypatch.setattr(usecases, "today", lambda: clock["today"])
    company = cached.new_company()
    customer, _, _ = customer_with_a_pool(company)
    contact = {
        "lead_id": str(uuid.uuid4()),
        "customer_id": customer["id"],
        "source": "salon",
        "contacted_on": monday.isoformat(),
        "salesperson_id": None,
    }
    publish_event(cached.settings.amqp_uri, Event("first_contact_recorded", company.tenant_id, "customers", contact))
    wait_until(lambda: count_rows(cached, "notifications", "pending_triggers", company.tenant_id) == 1)
    assert read_until_hit(company, customer["id"])["actions"]["items"] == []  # the call waits three days

    # Three days later, the nightly job, as the scheduler runs it for this company.
    clock["today"] = day = monday + timedelta(days=3)
    job = jobs.JOBS["follow_up"]
    context = jobs.system_context(str(company.tenant_id), job.name, day)
    scanned = RpcClient(cached.settings.amqp_uri, timeout=30).call(
        job.service, job.method, job.payload(day), context=context
    )
    assert scanned["fired"] == 1

    def actions_shown() -> list[dict[str, Any]]:
        return overview(company, customer["id"])["actions"]["items"]

    [action] = wait_until(actions_shown)
    assert action["source_event_type"] == "first_contact_recorded"
    assert read_until_hit(company, customer["id"])["actions"]["items"] == [action]  # cached again

    # Done, through another gateway process (its own cache: this one is not told by the write).
    app = cached.client.application
    bassin = app.extensions["bassin"]
    replica = create_app(bassin["rpc"], bassin["sessions"], bassin["tokens"], bassin["settings"])
    elsewhere = Company(company.tenant_id, replica.test_client(), company.token)
    url = f"/api/v1/notifications/actions/{action['id']}"
    done = elsewhere.edit(f"{url}/status", read_from=url, json={"status": "done"})
    assert done.status_code == 200, done.get_json()

    wait_until(lambda: actions_shown() == [])
