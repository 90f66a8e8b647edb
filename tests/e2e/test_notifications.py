"""Notifications through the gateway (#25): events from the other services become actions in
an inbox and messages to customers, as the company's rules say; partners get their returns.

The producers (customers, worksites, sav...) are built in parallel: these tests publish
their events themselves, exactly as docs/dev/event-contracts.md defines them. The service's
clock (``notifications.usecases.today``) is moved by the tests: no sleeping for days.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import eventlet
import pytest

from bassin_common.events import Event
from bassin_common.testing import publish_event, wait_until
from conftest import Company, Stack, count_rows
from notifications import usecases, webhooks

API = "/api/v1/notifications"
MONDAY = date(2026, 5, 4)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, date]:
    """The notifications service's today, as the test sets it."""
    now = {"today": MONDAY}
    monkeypatch.setattr(usecases, "today", lambda: now["today"])
    return now


@pytest.fixture
def mail_stack(smtp_server, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Stack:
    """The stack with the services' e-mail going to the test's real SMTP server."""
    monkeypatch.setenv("BASSIN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BASSIN_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("BASSIN_SMTP_SECURITY", "none")
    monkeypatch.setenv("BASSIN_DELIVERY_POLL_INTERVAL", "0.2")
    monkeypatch.setenv("BASSIN_DELIVERY_RETRY_DELAYS", "0.2,0.4")
    monkeypatch.setenv("BASSIN_WEBHOOK_ALLOW_PRIVATE", "1")  # the test's partner listens on 127.0.0.1
    return request.getfixturevalue("stack")


def company_of(stack: Stack) -> Company:
    tenant_id, _, token = stack.new_tenant()
    return Company(tenant_id, stack.client, token)


def publish(company: Company, producer: str, event_type: str, data: dict[str, Any]) -> uuid.UUID:
    from nameko import config

    event = Event(event_type, company.tenant_id, producer, data)
    publish_event(config["AMQP_URI"], event)
    return event.event_id


def new_customer(stack: Stack, company: Company, email: str | None = None, consent: bool = True) -> str:
    customer_id = str(uuid.uuid4())
    known = count_rows(stack, "notifications", "customers", company.tenant_id)
    publish(
        company,
        "customers",
        "customer_created",
        {
            "customer_id": customer_id,
            "kind": "private",
            "display_name": "M. Durand",
            "email": email,
            "phone": "+33612345678",
            "billing_address": {"line1": "3 rue des Pins", "line2": None, "postcode": "30000", "city": "Nîmes"},
            "siren": None,
            "vat_number": None,
            "consent": {"email": consent, "sms": consent},
        },
    )
    wait_until(lambda: count_rows(stack, "notifications", "customers", company.tenant_id) > known)
    return customer_id


def actions(company: Company, **query: Any) -> list[dict[str, Any]]:
    response = company.get(f"{API}/actions", query_string={"inbox": "all", **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def scan(company: Company) -> dict[str, Any]:
    response = company.post(f"{API}/scans/follow-up", json={})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- 1. the follow-up call ----------------------------------------------------------------------


def test_a_first_contact_with_no_quote_after_three_days_yields_one_follow_up_action(
    stack: Stack, clock: dict[str, date]
) -> None:
    company = company_of(stack)
    customer_id = new_customer(stack, company)
    julie = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("sales",)))
    julie_id = next(u["id"] for u in company.get("/api/v1/users").get_json()["items"] if u["roles"] == ["sales"])
    sales = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("sales",)))
    lead, quoted_lead, julies_lead = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    for lead_id, salesperson in ((lead, None), (quoted_lead, None), (julies_lead, julie_id)):
        contact = {
            "lead_id": lead_id,
            "customer_id": customer_id,
            "source": "salon",
            "contacted_on": MONDAY.isoformat(),
            "salesperson_id": salesperson,
        }
        publish(company, "customers", "first_contact_recorded", contact)
    wait_until(lambda: count_rows(stack, "notifications", "pending_triggers", company.tenant_id) == 3)
    publish(
        company,
        "customers",
        "quote_sent",
        {"quote_id": str(uuid.uuid4()), "lead_id": quoted_lead, "customer_id": customer_id, "version": 1},
    )
    eventlet.sleep(0.5)

    clock["today"] = MONDAY + timedelta(days=2)
    assert scan(company)["fired"] == 0
    assert actions(company) == []

    clock["today"] = MONDAY + timedelta(days=3)
    assert scan(company)["fired"] == 2
    assert scan(company)["fired"] == 0  # the same day again: nothing new
    clock["today"] = MONDAY + timedelta(days=4)
    assert scan(company)["fired"] == 0  # nor the next day

    [action] = [a for a in actions(company) if a["assignee_user_id"] is None]
    [julies] = [a for a in actions(company) if a["assignee_user_id"] == julie_id]
    assert julies["source_ref"] == f"first_contact_recorded:{julies_lead}"
    assert action["title"] == "Rappeler M. Durand : premier contact du 04/05/2026, toujours sans devis"
    assert (action["assignee_role"], action["source_event_type"], action["due_on"]) == (
        "sales",
        "first_contact_recorded",
        "2026-05-07",
    )
    assert action["source_ref"] == f"first_contact_recorded:{lead}"
    assert action["customer_id"] == customer_id
    # The sales role's inbox has the unassigned one, the salesperson's inbox theirs too; the
    # manager's own inbox neither (they are the sales role's).
    assert [a["id"] for a in sales.get(f"{API}/actions").get_json()["items"]] == [action["id"]]
    assert sorted(a["id"] for a in julie.get(f"{API}/actions").get_json()["items"]) == sorted(
        [action["id"], julies["id"]]
    )
    assert company.get(f"{API}/actions").get_json()["items"] == []


# --- 2. end of life: an e-mail to the customer and a sales action, once ---------------------------


def end_of_life(customer_id: str, category: str = "heat_pump", equipment_id: str | None = None) -> dict[str, Any]:
    return {
        "equipment_id": equipment_id or str(uuid.uuid4()),
        "customer_id": customer_id,
        "pool_id": str(uuid.uuid4()),
        "category": category,
        "brand": "Zodiac",
        "model": "Z400 iQ",
        "installed_on": "2014-04-15",
        "end_of_life_on": "2027-04-15",
        "life_used_percent": "92.30",
    }


def test_an_equipment_past_ninety_percent_of_its_life_yields_one_email_and_one_sales_action(
    mail_stack: Stack, smtp_server, clock: dict[str, date]
) -> None:
    company, stack = company_of(mail_stack), mail_stack
    settings = company.get(f"{API}/settings")
    company.put(
        f"{API}/settings",
        json={"company_name": "Piscines du Gard", "sender_name": "Piscines du Gard", "sender_email": "contact@pdg.fr"},
        headers={"If-Match": settings.headers["ETag"]},
    )
    customer_id = new_customer(stack, company, email="m.durand@example.fr")
    event = end_of_life(customer_id)
    publish(company, "customers", "equipment_end_of_life_approaching", event)
    received = smtp_server.wait_for("m.durand@example.fr")
    # customers' scan run again the same day publishes the same fact again (another event id).
    publish(company, "customers", "equipment_end_of_life_approaching", event)
    wait_until(lambda: len(actions(company)) == 1)
    eventlet.sleep(1.5)  # a second e-mail or action, were there one, would have landed by now

    assert len([m for m in smtp_server.received() if m["To"] == "m.durand@example.fr"]) == 1
    assert received["Subject"] == "Votre heat_pump Zodiac Z400 iQ arrive en fin de vie"
    assert received["From"] == "Piscines du Gard <contact@pdg.fr>"
    text = received.get_body(("plain",)).get_content()
    assert "92.30 % de sa durée de vie" in text and "15/04/2014" in text
    assert "<h1" in received.get_body(("html",)).get_content()
    [action] = actions(company)
    assert action["assignee_role"] == "sales"
    assert action["title"] == "Proposer le remplacement : heat_pump Zodiac Z400 iQ de M. Durand"
    [sent] = company.get(f"{API}/deliveries").get_json()["items"]
    assert (sent["channel"], sent["status"], sent["attempts"]) == ("email", "sent", 1)


def test_a_customer_without_consent_gets_no_email_and_the_delivery_says_why(
    mail_stack: Stack, smtp_server, clock: dict[str, date]
) -> None:
    company, stack = company_of(mail_stack), mail_stack
    customer_id = new_customer(stack, company, email="refus@example.fr", consent=False)
    publish(company, "customers", "equipment_end_of_life_approaching", end_of_life(customer_id))
    wait_until(lambda: company.get(f"{API}/deliveries").get_json()["items"])
    [skipped] = company.get(f"{API}/deliveries").get_json()["items"]
    assert skipped["status"] == "skipped"
    assert "consent" in skipped["last_error"]
    assert smtp_server.received() == []


# --- 3. rules edited by a manager -------------------------------------------------------------------


def rule_by_code(company: Company, code: str) -> dict[str, Any]:
    return next(r for r in company.every(f"{API}/rules") if r["code"] == code)


def test_a_rule_edited_by_a_manager_changes_what_the_next_event_produces(stack: Stack, clock) -> None:
    company = company_of(stack)
    customer_id = new_customer(stack, company)
    rule = rule_by_code(company, "end_of_life_sales")
    edited = {k: v for k, v in rule.items() if k not in ("id", "version")}
    edited["conditions"] = [{"field": "category", "op": "eq", "value": "heat_pump"}]
    edited["recipient"] = "office"
    edited["priority"] = "high"
    response = company.edit(f"{API}/rules/{rule['id']}", json=edited)
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"2"'

    publish(company, "customers", "equipment_end_of_life_approaching", end_of_life(customer_id, "sand_filter"))
    publish(company, "customers", "equipment_end_of_life_approaching", end_of_life(customer_id, "heat_pump"))
    wait_until(lambda: actions(company))
    eventlet.sleep(1)
    [action] = actions(company)
    assert (action["assignee_role"], action["priority"]) == ("office", "high")
    assert "heat_pump" in action["title"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": "pool_exploded"}, "trigger"),
        ({"title_template": "Appeler {client}"}, "title_template"),
        ({"title_template": "{customer_name.__class__}"}, "title_template"),
        ({"channel": "email"}, "channel"),
        ({"conditions": [{"field": "colour", "op": "eq", "value": "bleu"}]}, "conditions.0.field"),
        ({"delay_from": "ends_on"}, "delay_from"),
        ({"recipient": "plumber"}, "recipient"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_field(stack: Stack, change: dict[str, Any], field: str) -> None:
    company = company_of(stack)
    rule = {
        "code": "relance_salon",
        "name": "Relance salon",
        "trigger": "first_contact_recorded",
        "recipient_kind": "role",
        "recipient": "sales",
        "channel": "in_app",
        "title_template": "Rappeler {customer_name}",
        **change,
    }
    response = company.post(f"{API}/rules", json=rule)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    assert not [r for r in company.every(f"{API}/rules") if r["code"] == "relance_salon"]


def test_a_new_rule_applies_to_the_next_event(stack: Stack, clock) -> None:
    company = company_of(stack)
    customer_id = new_customer(stack, company)
    response = company.post(
        f"{API}/rules",
        json={
            "code": "gros_impaye",
            "name": "Gros impayé : au gérant",
            "trigger": "invoice_overdue",
            "conditions": [{"field": "balance", "op": "gte", "value": "1000"}],
            "recipient_kind": "role",
            "recipient": "manager",
            "channel": "in_app",
            "priority": "high",
            "title_template": "Impayé important : facture {number} de {customer_name}, {balance} €",
        },
    )
    assert response.status_code == 201, response.get_json()
    for number, balance in (("F-2026-0101", "120.00"), ("F-2026-0102", "4500.00")):
        overdue = {
            "invoice_id": str(uuid.uuid4()),
            "number": number,
            "customer_id": customer_id,
            "due_on": "2026-04-30",
            "balance": balance,
        }
        publish(company, "pos", "invoice_overdue", overdue)
    wait_until(lambda: len(actions(company)) == 3)  # two by the default rule, one by the new one
    mine = company.get(f"{API}/actions").get_json()["items"]  # the manager's inbox
    assert [a["title"] for a in mine] == ["Impayé important : facture F-2026-0102 de M. Durand, 4500.00 €"]


# --- the inbox: done, snoozed, dismissed, reassigned ---------------------------------------------------


def test_an_action_is_done_snoozed_or_reassigned_with_its_etag(stack: Stack, clock) -> None:
    company = company_of(stack)
    customer_id = new_customer(stack, company)
    task = {
        "project_id": str(uuid.uuid4()),
        "task_id": str(uuid.uuid4()),
        "step_code": "structure",
        "order_id": str(uuid.uuid4()),
        "customer_id": customer_id,
        "at": "2026-05-04T08:00:00+02:00",
    }
    publish(company, "worksites", "task_started", task)
    [action] = wait_until(lambda: actions(company))
    assert action["title"] == "Commander les matériaux : étape structure démarrée"
    url = f"{API}/actions/{action['id']}"

    snoozed = company.edit(f"{url}/status", read_from=url, json={"status": "snoozed", "snoozed_until": "2026-05-06"})
    assert snoozed.status_code == 200, snoozed.get_json()
    assert actions(company) == []  # out of the open list until its day
    clock["today"] = date(2026, 5, 6)
    assert [a["id"] for a in actions(company)] == [action["id"]]

    summary = company.get(f"{API}/inbox/summary", query_string={"inbox": "all"}).get_json()
    assert summary == {"open": 1, "overdue": 1, "due_today": 0, "high_priority": 1}  # due Monday, now Wednesday
    assert company.get(f"{API}/inbox/summary").get_json()["open"] == 0  # the office's, not the manager's

    stale = company.put(f"{url}/status", json={"status": "done"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    refused = company.edit(f"{url}/status", read_from=url, json={"status": "snoozed", "snoozed_until": "2026-05-01"})
    assert refused.status_code == 422 and "snoozed_until" in refused.get_json()["errors"]

    stack.new_user(company.tenant_id, ("technician",))
    users = company.get("/api/v1/users").get_json()["items"]
    someone = next(user["id"] for user in users if user["roles"] == ["technician"])
    unknown = company.edit(f"{url}/assignee", read_from=url, json={"role": "technician", "user_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and "user_id" in unknown.get_json()["errors"]
    moved = company.edit(f"{url}/assignee", read_from=url, json={"role": "technician", "user_id": someone})
    assert (moved.get_json()["assignee_role"], moved.get_json()["assignee_user_id"]) == ("technician", someone)
    assert [a["id"] for a in actions(company, user_id=someone)] == [action["id"]]

    done = company.edit(f"{url}/status", read_from=url, json={"status": "done"})
    assert done.get_json()["status"] == "done"
    assert actions(company) == []
    assert [a["id"] for a in actions(company, status="done")] == [action["id"]]
    # The same event again (a redelivery with another id) does not bring the action back.
    publish(company, "worksites", "task_started", task)
    eventlet.sleep(1)
    assert actions(company) == [] and len(actions(company, status="done")) == 1


# --- 5. partners: signed webhooks -------------------------------------------------------------------


class FlakyPartner(BaseHTTPRequestHandler):
    """A partner's endpoint that fails twice, then accepts."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FlakyPartner.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(503 if len(FlakyPartner.received) <= 2 else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def partner_endpoint():
    FlakyPartner.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyPartner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bassin/returns"
    server.shutdown()


def warranty_return(brand: str) -> dict[str, Any]:
    return {
        "return_id": str(uuid.uuid4()),
        "ticket_id": str(uuid.uuid4()),
        "brand": brand,
        "category": "heat_pump",
        "model": "Z400 iQ",
        "serial_number": "ZQ4-22-001234",
        "installed_on": "2024-04-15",
        "fault_description": "Compresseur bloqué, code E05",
        "error_code": "E05",
        "requested_at": "2026-05-04T09:30:00+02:00",
        "customer_name": "M. Durand",  # more than the contract says: never passed on
    }


def test_a_webhook_failing_twice_then_accepted_is_delivered_once_signed(
    mail_stack: Stack, partner_endpoint: str
) -> None:
    company = company_of(mail_stack)
    created = company.post(
        f"{API}/partners", json={"brand": "zodiac", "name": "Zodiac", "webhook_url": partner_endpoint}
    )
    assert created.status_code == 201, created.get_json()
    partner = created.get_json()
    assert partner["secret"].startswith("whsec_")
    assert "secret" not in company.get(f"{API}/partners/{partner['id']}").get_json()

    publish(company, "sav", "warranty_return_requested", warranty_return("hayward"))  # another brand
    ours = warranty_return("zodiac")
    publish(company, "sav", "warranty_return_requested", ours)

    def delivered() -> dict[str, Any] | None:
        items = company.get(f"{API}/deliveries", query_string={"partner_id": partner["id"]}).get_json()["items"]
        return items[0] if items and items[0]["status"] == "sent" else None

    sent = wait_until(delivered)
    assert sent["attempts"] == 3
    detail = company.get(f"{API}/deliveries/{sent['id']}").get_json()
    assert [(a["number"], a["ok"]) for a in detail["log"]] == [(1, False), (2, False), (3, True)]
    assert "503" in detail["log"][0]["detail"]
    eventlet.sleep(0.5)
    assert len(FlakyPartner.received) == 3  # and nothing for the other brand
    ids = {headers["webhook-id"] for headers, _ in FlakyPartner.received}
    assert ids == {sent["id"]}  # one message id across the retries: the partner deduplicates on it
    headers, body = FlakyPartner.received[-1]
    webhooks.verify(partner["secret"], headers, body)  # signed with the partner's secret
    payload = json.loads(body)
    assert payload["type"] == "warranty_return_requested"
    assert payload["data"]["return_id"] == ours["return_id"]
    assert "customer_name" not in payload["data"]

    tampered = body.replace(b"E05", b"E06")
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.verify(partner["secret"], headers, tampered)
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.verify("whsec_another", headers, body)


# --- SMS the day before an intervention; an opt-out respected ------------------------------------


def test_the_customer_gets_an_sms_the_day_before_the_intervention_unless_they_opted_out(
    mail_stack: Stack, clock: dict[str, date]
) -> None:
    from notifications.delivery import LoggingSmsProvider

    company, stack = company_of(mail_stack), mail_stack
    customer_id, opted_out = new_customer(stack, company), new_customer(stack, company)
    publish(
        company,
        "customers",
        "customer_updated",
        {
            "customer_id": opted_out,
            "kind": "private",
            "display_name": "Mme Roux",
            "email": None,
            "phone": "+33698765432",
            "consent": {"email": False, "sms": False},
        },
    )
    for customer in (customer_id, opted_out):
        visit = {
            "intervention_id": str(uuid.uuid4()),
            "ticket_id": str(uuid.uuid4()),
            "customer_id": customer,
            "technician_id": str(uuid.uuid4()),
            "starts_at": "2026-05-06T08:30:00+02:00",
            "ends_at": "2026-05-06T10:00:00+02:00",
        }
        publish(company, "sav", "intervention_scheduled", visit)
    wait_until(lambda: count_rows(stack, "notifications", "pending_triggers", company.tenant_id) == 2)
    assert scan(company)["fired"] == 0  # Monday: not yet

    clock["today"] = MONDAY + timedelta(days=1)
    assert scan(company)["fired"] == 2

    def settled() -> list[dict[str, Any]]:
        items = company.get(f"{API}/deliveries").get_json()["items"]
        return items if len(items) == 2 and all(d["status"] != "pending" for d in items) else []

    by_status = {d["status"]: d for d in wait_until(settled)}
    assert by_status["sent"]["channel"] == "sms" and by_status["sent"]["recipient"] == "+33612345678"
    assert "opted out" in by_status["skipped"]["last_error"]
    [(to, text)] = [sms for sms in LoggingSmsProvider.sent if sms[0] in ("+33612345678", "+33698765432")][-1:]
    assert to == "+33612345678" and "demain (06/05/2026 08:30)" in text
