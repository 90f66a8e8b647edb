"""A pool company's week, told as one story through the gateway only (HTTP), with every
service and the gateway running as real processes (issue #29):

1. a walk-in customer's water is analysed at the shop, the analysis lands in their file with
   its advice, and the cashier sells the product with a split payment (card + voucher);
2. a prospect calls, the follow-up action appears three days later, a pool is quoted,
   accepted, planned and built — the liner ordered when the structure starts, 40 % called
   when it ends —, handed over: the pool and its equipment land in the customer file;
3. the new heat pump fails: a ticket under warranty, a technician's visit (report, parts from
   the van, signature), a manufacturer return delivered to that manufacturer only; an old
   heat pump fails out of warranty: an invoice drafted, checked, issued and e-mailed;
4. the day's sales take a stock under its minimum: the supplier basket fills, the buyer
   validates, the purchase order is e-mailed, the goods are received;
5. the nightly jobs, run twice, as the scheduler runs them: end-of-life notices and contract
   expiry actions, once each;
6. the manager's dashboard shows the day.

Time passes through the mechanisms the services have: a first contact dated three days ago
and the follow-up scan's ``as_of``; the daily scan's day for a contract about to end. No
sleeping. E-mail goes to a real SMTP server, webhooks to two real local HTTP receivers.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import monotonic as time_now
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from bassin_common.testing import wait_until
from conftest import PASSWORD, LiveStack

FRANCE = ZoneInfo("Europe/Paris")
TODAY = datetime.now(FRANCE).date()
NEXT_MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())
SIGNATURE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


# --- the outside world: a mail server, two manufacturers' webhooks ---------------------------------


class Manufacturer:
    """A manufacturer's webhook endpoint, a real HTTP server on 127.0.0.1, keeping what it gets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.received.append({"headers": headers, "body": json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bassin/returns"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def manufacturers() -> Any:
    zodiac, hayward = Manufacturer(), Manufacturer()
    yield {"zodiac": zodiac, "hayward": hayward}
    zodiac.stop()
    hayward.stop()


@pytest.fixture
def process_environment(process_environment: dict[str, str], smtp_server: Any) -> dict[str, str]:
    """Every process of the story mails through the test's SMTP server and may call a
    webhook on 127.0.0.1 (the manufacturers' receivers)."""
    return {
        **process_environment,
        "BASSIN_SMTP_HOST": "127.0.0.1",
        "BASSIN_SMTP_PORT": str(smtp_server.port),
        "BASSIN_SMTP_SECURITY": "none",
        "BASSIN_DELIVERY_POLL_INTERVAL": "0.2",
        "BASSIN_DELIVERY_RETRY_DELAYS": "0.2,0.4",
        "BASSIN_WEBHOOK_ALLOW_PRIVATE": "1",
    }


# --- the office's HTTP client ---------------------------------------------------------------------


@dataclass
class Desk:
    """Someone of the company at their screen: every call through the gateway, over HTTP."""

    url: str
    token: str

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **params: Any) -> Any:
        response = requests.get(f"{self.url}/api/v1{path}", params=params, headers=self._headers(), timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        extra = {"Idempotency-Key": str(uuid.uuid4()), **(headers or {})}
        return requests.request(method, f"{self.url}/api/v1{path}", json=body, headers=self._headers(extra), timeout=30)

    def post(self, path: str, body: Any = None, status: int = 201) -> Any:
        response = self.call("POST", path, {} if body is None else body)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response.json()

    def edit(self, path: str, body: Any, read_from: str | None = None) -> Any:
        read = requests.get(f"{self.url}/api/v1{read_from or path}", headers=self._headers(), timeout=30)
        response = self.call("PUT", path, body, {"If-Match": read.headers["ETag"]})
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def put(self, path: str, body: Any) -> Any:
        response = self.call("PUT", path, body)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def every(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items, query = [], {"limit": 200, **params}
        while True:
            page = self.get(path, **query)
            items += page["items"]
            if not page["next"]:
                return items
            query["cursor"] = page["next"]

    def when(self, path: str, check: Any, **params: Any) -> Any:
        """The answer of ``path`` once ``check(answer)`` holds (events are asynchronous)."""

        def seen() -> Any:
            answer = self.get(path, **params)
            return answer if check(answer) else None

        return wait_until(seen, timeout=30)


def colleague(stack: LiveStack, name: str, roles: list[str]) -> Desk:
    """A member of staff, added as the platform's admin adds one, logged in through the gateway."""
    from bassin_gateway import identities
    from bassin_gateway.runtime import gateway_sessions

    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.fr"
    sessions = gateway_sessions(stack.settings)
    with sessions() as session:
        identities.create_user(session, stack.tenant_id, email, PASSWORD, name, roles)
        session.commit()
    sessions.kw["bind"].dispose()
    login = requests.post(f"{stack.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    return Desk(stack.url, login.json()["access_token"])


def local(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), FRANCE).isoformat()


def open_actions(desk: Desk, **query: Any) -> list[dict[str, Any]]:
    return desk.every("/notifications/actions", inbox="all", **query)


def actions_from(desk: Desk, event_type: str) -> list[dict[str, Any]]:
    return [a for a in open_actions(desk) if a["source_event_type"] == event_type]


def once_copied(desk: Desk, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` once the service has copied what it names from another's events (the
    van, the parts: SAV's copies of inventory's locations and articles; a 422 until then)."""

    def attempt() -> dict[str, Any] | None:
        response = desk.call("POST", path, body)
        assert response.status_code in (201, 422), (path, response.status_code, response.text)
        return response.json() if response.status_code == 201 else None

    return wait_until(attempt)


def send_document(desk: Desk, path: str) -> None:
    """E-mail a document (its PDF rendered on the way). The gateway of ``live_stack`` waits
    5 s for a service; the first PDF a process renders (WeasyPrint loading its fonts) on a
    loaded two-core machine can take longer: the gateway then answers 504 while the service
    goes on and sends. The mail server is what tells the outcome."""
    response = desk.call("POST", path, {})
    assert response.status_code in (200, 504), (path, response.status_code, response.text)


def run_nightly_job(amqp_uri: str, name: str, day: date) -> dict[str, Any]:
    """A job of the notifications scheduler run as its Celery worker runs it (the same task,
    calling the services' scans by RPC over the broker), for ``day``."""
    from notifications_scheduler import app as scheduler

    scheduler.app.conf.broker_url = amqp_uri
    result = scheduler.run_job.apply(args=(name, day.isoformat()))
    assert result.successful(), result.traceback
    return result.get()


# --- the story ----------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_week_at_a_pool_company(live_stack: LiveStack, smtp_server: Any, manufacturers: dict) -> None:
    stack = live_stack
    started = {"at": time_now(), "chapter": "set-up"}

    def chapter(name: str) -> None:
        """Print how long the previous part took (``-s`` shows it; nothing is asserted on it)."""
        print(f"story: {started['chapter']} took {time_now() - started['at']:.1f} s")
        started.update(at=time_now(), chapter=name)

    manager = Desk(stack.url, stack.token)
    cashier = colleague(stack, "Camille", ["cashier"])
    amqp_uri = stack.settings.amqp_uri.rsplit("/", 1)[0] + "/" + stack.vhost

    # The company's set-up: its name on e-mails, its suppliers, products, a van, a technician.
    manager.edit(
        "/notifications/settings",
        {"company_name": "Piscines du Gard", "sender_name": "Piscines du Gard", "sender_email": "contact@pdg.fr"},
    )
    supplier = manager.post("/inventory/suppliers", {"name": "Aqua Négoce", "email": "commandes@aqua-negoce.fr"})
    ph_plus = manager.post(
        "/inventory/articles",
        {
            "sku": "PH-PLUS-5KG",
            "name": "pH plus 5 kg",
            "supplier_id": supplier["id"],
            "purchase_price": "11.00",
            "sale_price": "24.90",
            "stock": [{"location_id": stack.shop["id"], "quantity": 30, "minimum": 20, "maximum": 60}],
        },
    )
    van = manager.post("/inventory/locations", {"code": "CAM-1", "name": "Camion de Julien", "kind": "van"})
    capacitor = manager.post(
        "/inventory/articles",
        {
            "sku": "CONDO-PAC",
            "name": "Condensateur ventilateur PAC",
            "purchase_price": "12.00",
            "sale_price": "29.00",
            "stock": [{"location_id": van["id"], "quantity": 5}],
        },
    )

    chapter("1")
    # --- 1. the walk-in customer's water, sold with a split payment -------------------------------------
    walk_in = manager.post(
        "/customers/customers",
        {
            "kind": "private",
            "first_name": "Hélène",
            "last_name": "Garnier",
            "emails": [{"address": "helene.garnier@example.fr"}],
            "phones": [{"number": "06 12 34 56 78"}],
            "consent": {"email": True, "sms": True},
            "source": "walk_in",
            "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
            "sites": [{"label": "Maison", "line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"}],
        },
    )
    her_pool = manager.post(
        "/customers/pools",
        {
            "site_id": walk_in["sites"][0]["id"],
            "shape": "rectangle",
            "length_m": "8",
            "width_m": "4",
            "mean_depth_m": "1.5",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "chlorine",
            "safety_device": "alarm",
        },
    )
    old_heat_pump = manager.post(
        f"/customers/pools/{her_pool['id']}/equipment",
        {
            "category": "heat_pump",
            "brand": "Hayward",
            "model": "EnergyLine Pro",
            "serial_number": "HW-2013-4471",
            "installed_on": "2014-05-02",
            "warranty_months": 36,
        },
    )
    assert old_heat_pump["warranty_badge"] == "red"
    manager.put("/customers/water-products", {"products": [{"role": "ph_plus", "article_id": ph_plus["id"]}]})
    analysis = manager.post(
        f"/customers/pools/{her_pool['id']}/analyses",
        {"ph": "6.8", "free_chlorine": "1.5", "temperature": "24"},
    )
    assert analysis["problems"] == ["ph_low"]
    [advice] = [a for a in analysis["recommendation"] if a["article_id"]]
    assert (advice["article_id"], advice["article_name"]) == (ph_plus["id"], "pH plus 5 kg")
    # In her file: the analysis with its advice.
    history = manager.get(f"/customers/pools/{her_pool['id']}/analyses")["items"]
    assert [a["id"] for a in history] == [analysis["id"]]
    assert history[0]["recommendation"][0]["article_id"] == ph_plus["id"]
    manager.when(f"/customers/customers/{walk_in['id']}/timeline", lambda t: "analyse" in json.dumps(t).lower())

    # She brings back last week's unopened bag for a voucher, and pays today's pH plus with it
    # and her card.
    wait_until(
        lambda: any(a["article_id"] == ph_plus["id"] for a in cashier.get("/pos/articles", q="pH plus")["items"])
    )
    bought = cashier.post(
        "/pos/sales",
        {
            "customer_id": walk_in["id"],
            "lines": [{"article_id": stack.article["id"], "quantity": 1}],
            "payments": [{"method": "card", "amount": "39.90"}],
        },
    )
    refund = manager.post(
        f"/pos/sales/{bought['id']}/refunds",
        {
            "lines": [{"position": 1, "quantity": 1}],
            "payments": [{"method": "voucher", "amount": "39.90"}],
            "reason": "Sac non ouvert",
        },
    )
    [voucher] = [p["reference"] for p in refund["payments"] if p["method"] == "voucher"]
    assert voucher.startswith("BA-")
    sale = cashier.post(
        "/pos/sales",
        {
            "customer_id": walk_in["id"],
            "lines": [{"article_id": ph_plus["id"], "quantity": 2}],
            "payments": [
                {"method": "voucher", "amount": "39.90", "reference": voucher},
                {"method": "card", "amount": "9.90"},
            ],
        },
    )
    assert sale["total"] == "49.80"
    assert sorted((p["method"], p["amount"]) for p in sale["payments"]) == [("card", "9.90"), ("voucher", "39.90")]
    spent_again = cashier.call(
        "POST",
        "/pos/sales",
        {
            "lines": [{"article_id": ph_plus["id"], "quantity": 1}],
            "payments": [{"method": "voucher", "amount": "24.90", "reference": voucher}],
        },
    )
    assert spent_again.status_code == 422  # the voucher is spent
    wait_until(lambda: manager.get(f"/inventory/articles/{ph_plus['id']}/stock/{stack.shop['id']}")["quantity"] == 28)

    chapter("2")
    # --- 2. a prospect calls; three days later, the follow-up -------------------------------------------
    prospect = manager.post(
        "/customers/customers",
        {
            "kind": "private",
            "first_name": "Marc",
            "last_name": "Lefèvre",
            "emails": [{"address": "marc.lefevre@example.fr"}],
            "phones": [{"number": "06 98 76 54 32"}],
            "consent": {"email": True, "sms": False},
            "source": "phone",
            "billing_address": {"line1": "5 impasse des Cyprès", "postcode": "30420", "city": "Calvisson"},
            "sites": [{"label": "Maison", "line1": "5 impasse des Cyprès", "postcode": "30420", "city": "Calvisson"}],
        },
    )
    # The notifications service reads the real date (its processes' clock cannot be moved):
    # time passes by dating the calls. Marc called three days ago; Sophie, another prospect,
    # two days ago.
    called_on = TODAY - timedelta(days=3)
    lead = manager.post(
        "/customers/leads",
        {
            "customer_id": prospect["id"],
            "subject": "Piscine béton 8 x 4 avec volet",
            "source": "phone",
            "contacted_on": called_on.isoformat(),
        },
    )
    other = manager.post(
        "/customers/customers",
        {
            "kind": "private",
            "first_name": "Sophie",
            "last_name": "Roux",
            "phones": [{"number": "06 11 22 33 44"}],
            "billing_address": {"line1": "2 rue Haute", "postcode": "30000", "city": "Nîmes"},
        },
    )
    manager.post(
        "/customers/leads",
        {
            "customer_id": other["id"],
            "subject": "Piscine coque",
            "source": "phone",
            "contacted_on": (TODAY - timedelta(days=2)).isoformat(),
        },
    )
    [follow_up] = wait_until(lambda: actions_from(manager, "first_contact_recorded"))
    assert follow_up["title"] == (
        f"Rappeler LEFÈVRE Marc : premier contact du {called_on:%d/%m/%Y}, toujours sans devis"
    )
    assert (follow_up["customer_id"], follow_up["assignee_role"]) == (prospect["id"], "sales")
    assert follow_up["due_on"] == TODAY.isoformat()
    # The day's scans (the scheduler runs the follow-up scan hourly) add nothing: Sophie's
    # follow-up is for tomorrow, Marc's exists already.
    for _ in range(2):
        scan = manager.post("/notifications/scans/follow-up", {"as_of": TODAY.isoformat()}, status=200)
        assert scan["fired"] == 0
    assert [a["id"] for a in actions_from(manager, "first_contact_recorded")] == [follow_up["id"]]

    # The quote for the pool, sent and accepted: worksites makes the project.
    pool_spec = {
        "pool_type_code": "BET-R8",
        "shape": "rectangle",
        "length_m": "8.00",
        "width_m": "4.00",
        "mean_depth_m": "1.40",
        "coating": "liner",
        "filtration": "sand",
        "treatment": "salt",
        "options": ["volet roulant immergé"],
    }
    quote = manager.post(
        "/customers/quotes",
        {
            "customer_id": prospect["id"],
            "lead_id": lead["id"],
            "site_id": prospect["sites"][0]["id"],
            "kind": "construction",
            "lines": [
                {
                    "description": "Piscine béton 8 x 4 m, liner 75/100",
                    "quantity": "1",
                    "unit_price_excl_vat": "32500.00",
                    "vat_rate": "20.00",
                }
            ],
            "pool": pool_spec,
        },
    )
    assert quote["total_incl_vat"] == "39000.00"
    assert [s["percent"] for s in quote["payment_schedule"]] == ["30.00", "40.00", "25.00", "5.00"]
    assert manager.post(f"/customers/quotes/{quote['id']}/send", status=200)["status"] == "sent"
    order = manager.post(f"/customers/quotes/{quote['id']}/accept", status=200)
    [summary] = manager.when("/worksites/projects", lambda page: page["items"])["items"]
    assert summary["order_id"] == order["order_id"]
    project_url = f"/worksites/projects/{summary['id']}"
    manager.post(
        "/worksites/crews",
        {
            "name": "Équipe Sud",
            "skills": ["earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing"],
        },
    )
    plan = manager.post(f"{project_url}/plan", {"start_on": NEXT_MONDAY.isoformat()}, status=200)
    project = manager.get(project_url)
    tasks = {t["step_code"]: t for t in project["tasks"]}
    assert len(tasks) == 13 and all(t["planned_start"] for t in tasks.values()), plan
    assert [s["percent"] for s in project["payment_schedule"]] == ["30.00", "40.00", "25.00", "5.00"]

    def step(code: str, action: str) -> None:
        manager.post(f"{project_url}/tasks/{tasks[code]['id']}/{action}", status=200)

    for code in ("permit", "layout", "earthworks", "drainage", "slab"):
        step(code, "start")
        step(code, "complete")
    step("structure", "start")
    # The liner takes weeks to come: the office is told to order it now.
    [liner] = wait_until(lambda: actions_from(manager, "materials_order_due"))
    assert liner["title"].startswith("Commander avant le ") and "Liner 75/100 (52 m2)" in liner["title"], liner
    assert (liner["assignee_role"], liner["priority"]) == ("office", "high")
    assert liner["link"] == f"/worksites/projects/{summary['id']}"
    step("structure", "complete")
    # The 40 % payment request, drafted by billing for the office, and its action.
    [deposit] = wait_until(
        lambda: [
            i for i in manager.get("/pos/invoices", customer_id=prospect["id"])["items"] if i["percent"] == "40.00"
        ]
    )
    assert (deposit["status"], deposit["total_incl_vat"]) == ("draft", "15600.00")
    called = wait_until(lambda: actions_from(manager, "task_completed"))
    assert [a["title"] for a in called] == ["Envoyer l'appel de fonds de 40.00 % : étape structure terminée"]
    for code in ("hydraulics", "backfill", "waterproofing", "coping", "technical_room", "safety_device"):
        step(code, "start")
        step(code, "complete")
    step("filling", "start")
    handed = manager.post(
        f"{project_url}/handover",
        {
            "handover_on": TODAY.isoformat(),
            "reserves": [],
            "equipment": [
                {
                    "category": "heat_pump",
                    "brand": "Zodiac",
                    "model": "Z550 iQ",
                    "serial_number": "ZQ5-26-000318",
                    "warranty_months": 36,
                },
                {
                    "category": "pump",
                    "brand": "Pentair",
                    "model": "SuperFlo VS",
                    "serial_number": "PF-26-118734",
                    "warranty_months": 24,
                },
            ],
        },
        status=200,
    )
    assert handed["status"] == "completed"

    def pool_in_file(customer: dict[str, Any]) -> bool:
        return any(len(p["equipment"]) == 2 for p in customer["pools"])

    file = manager.when(f"/customers/customers/{prospect['id']}", pool_in_file)
    [new_pool] = file["pools"]
    equipment = {e["category"]: e for e in new_pool["equipment"]}
    heat_pump = equipment["heat_pump"]
    assert (heat_pump["brand"], heat_pump["serial_number"], heat_pump["installed_on"]) == (
        "Zodiac",
        "ZQ5-26-000318",
        TODAY.isoformat(),
    )
    assert heat_pump["warranty_ends_on"] == TODAY.replace(year=TODAY.year + 3).isoformat()
    assert equipment["pump"]["warranty_ends_on"] == TODAY.replace(year=TODAY.year + 2).isoformat()
    assert heat_pump["warranty_badge"] == "green"

    chapter("3")
    # --- 3. after-sales: the new heat pump under warranty, the old one out of it ---------------------------
    for brand, receiver in manufacturers.items():
        manager.post("/notifications/partners", {"brand": brand, "name": brand.title(), "webhook_url": receiver.url})
    technician = colleague(stack, "Julien", ["technician"])
    wait_until(lambda: manager.call("GET", f"/sav/equipment/{heat_pump['id']}").status_code == 200)
    julien = once_copied(
        manager, "/sav/technicians", {"name": "Julien Martin", "skills": ["heat_pump"], "van_location_id": van["id"]}
    )
    service = once_copied(
        manager,
        "/sav/standard-services",
        {
            "code": "DIAG-PAC",
            "name": "Diagnostic pompe à chaleur",
            "duration_minutes": 90,
            "skill": "heat_pump",
            "checklist": ["Relever le code erreur", "Contrôler les pressions"],
            "parts": [{"article_id": capacitor["id"], "quantity": 1}],
        },
    )

    def visit(ticket: dict[str, Any], hour: int) -> dict[str, Any]:
        booked = manager.post(
            "/sav/interventions",
            {
                "ticket_id": ticket["id"],
                "technician_id": julien["id"],
                "service_id": service["id"],
                "starts_at": local(NEXT_MONDAY, hour),
            },
        )
        day = manager.get(f"/sav/technicians/{julien['id']}/day", date=NEXT_MONDAY.isoformat())
        assert booked["id"] in [i["id"] for i in day["interventions"]]
        url = f"/sav/interventions/{booked['id']}"
        technician.edit(
            f"{url}/report",
            {
                "checked": [0, 1],
                "report": "Condensateur du ventilateur remplacé, PAC redémarrée, 28 °C en sortie.",
                "labour_minutes": 80,
                "travel_km": "18.50",
                "parts": [{"article_id": capacitor["id"], "quantity": 1}],
            },
            read_from=url,
        )
        signed = technician.post(f"{url}/signature", {"signer_name": "Le client", "image": SIGNATURE}, status=200)
        assert signed["status"] == "completed" and signed["slip_hash"]
        return signed

    under_warranty = manager.post(
        "/sav/tickets",
        {"equipment_id": heat_pump["id"], "channel": "phone", "description": "Ne chauffe plus, code E07."},
    )
    assert under_warranty["customer_id"] == prospect["id"]
    assert under_warranty["covered_by"] == "manufacturer_warranty"
    assert under_warranty["coverage_reason"].startswith("sous garantie constructeur Zodiac")
    visit(under_warranty, 9)
    wait_until(lambda: manager.get(f"/inventory/articles/{capacitor['id']}/stock/{van['id']}")["quantity"] == 4)
    rma = manager.post(
        "/sav/warranty-returns",
        {
            "ticket_id": under_warranty["id"],
            "fault_description": "Ventilateur bloqué, code E07.",
            "error_code": "E07",
            "proof_of_purchase": "PV de réception",
        },
    )
    zodiac, hayward = manufacturers["zodiac"], manufacturers["hayward"]
    wait_until(lambda: zodiac.received)
    [delivered] = zodiac.received
    assert delivered["body"]["type"] == "warranty_return_requested"
    assert delivered["body"]["data"]["return_id"] == rma["id"]
    assert delivered["body"]["data"]["serial_number"] == "ZQ5-26-000318"
    assert "Lefèvre" not in json.dumps(delivered) and "example.fr" not in json.dumps(delivered)
    # Zodiac accepts it (its RMA number noted): the change goes to Zodiac too, signed the same way.
    accepted = manager.post(
        f"/sav/warranty-returns/{rma['id']}/status-changes", {"status": "accepted", "note": "RMA 55-1182"}, status=200
    )
    assert accepted["status"] == "accepted"
    wait_until(lambda: len(zodiac.received) == 2)
    assert zodiac.received[1]["body"]["type"] == "warranty_return_status_changed"
    assert zodiac.received[1]["body"]["data"]["status"] == "accepted"
    assert {r["headers"]["webhook-signature"][:3] for r in zodiac.received} == {"v1,"}

    out_of_warranty = manager.post(
        "/sav/tickets", {"serial_number": "HW-2013-4471", "channel": "shop", "description": "Disjoncte au démarrage."}
    )
    assert (out_of_warranty["customer_id"], out_of_warranty["covered_by"]) == (walk_in["id"], "none")
    visit(out_of_warranty, 14)
    [draft] = wait_until(lambda: manager.get("/pos/invoices", customer_id=walk_in["id"])["items"])
    assert (draft["status"], draft["kind"]) == ("draft", "invoice")
    manager.post(f"/pos/invoices/{draft['id']}/check", status=200)
    issued = manager.post(f"/pos/invoices/{draft['id']}/issue", status=200)
    assert issued["number"].startswith("FA") and Decimal(issued["total_incl_vat"]) > 0
    send_document(manager, f"/pos/invoices/{draft['id']}/sending")
    mail = smtp_server.wait_for("helene.garnier@example.fr")
    assert issued["number"] in mail["Subject"]
    wait_until(lambda: manager.get(f"/pos/invoices/{draft['id']}")["status"] == "sent")
    [pdf] = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    assert hayward.received == []  # the other manufacturer got nothing: a Hayward out of warranty has no return

    chapter("4")
    # --- 4. the stock through the day: basket, purchase order, receipt --------------------------------------
    for _ in range(5):  # 28 → 18, under its minimum of 20
        cashier.post(
            "/pos/sales",
            {
                "lines": [{"article_id": ph_plus["id"], "quantity": 2}],
                "payments": [{"method": "cash", "amount": "49.80"}],
            },
        )
    [line] = manager.when("/inventory/supplier-basket/lines", lambda page: page["items"])["items"]
    assert (line["article_id"], line["supplier_name"], line["quantity"]) == (ph_plus["id"], "Aqua Négoce", 60 - 18)
    basket = manager.get("/dashboard")["supplier_basket"]  # the manager's dashboard says it
    assert basket["lines"] == [
        {"sku": "PH-PLUS-5KG", "article_name": "pH plus 5 kg", "supplier_name": "Aqua Négoce", "quantity": 42}
    ]
    ready = wait_until(lambda: actions_from(manager, "reorder_needed"))
    assert ready[0]["assignee_role"] == "office"
    purchase = manager.post("/inventory/purchase-orders", {"supplier_id": supplier["id"]})
    assert purchase["number"] == "CF-000001"
    send_document(manager, f"/inventory/purchase-orders/{purchase['id']}/email")
    ordered = smtp_server.wait_for("commandes@aqua-negoce.fr")
    assert "CF-000001" in ordered["Subject"]
    assert manager.get("/inventory/supplier-basket/lines")["items"] == []
    manager.post(
        f"/inventory/purchase-orders/{purchase['id']}/receipts",
        {
            "delivery_note": "BL-7781",
            "lines": [{"article_id": ph_plus["id"], "location_id": stack.shop["id"], "quantity": 42}],
        },
    )
    assert manager.get(f"/inventory/purchase-orders/{purchase['id']}")["status"] == "received"
    wait_until(lambda: manager.get(f"/inventory/articles/{ph_plus['id']}/stock/{stack.shop['id']}")["quantity"] == 60)

    chapter("5")
    # --- 5. the nightly jobs, run twice ------------------------------------------------------------------------
    contract = manager.post(
        "/customers/contracts",
        {
            "customer_id": walk_in["id"],
            "formula": "Sérénité",
            "starts_on": (TODAY - timedelta(days=340)).isoformat(),
            "ends_on": (TODAY + timedelta(days=25)).isoformat(),
            "price_excl_vat": "690.00",
            "tacit_renewal": False,
        },
    )
    first = run_nightly_job(amqp_uri, "customers_daily", TODAY)
    # Other tests' companies may share these databases: this company's scan, for today.
    scan = first[TODAY.isoformat()]["by_company"][str(stack.tenant_id)]
    assert (scan["contracts_expiring"], scan["equipment_end_of_life"]) == (1, 1), first
    # The same night again (a retry): the ledger says the day is done, nothing runs.
    assert run_nightly_job(amqp_uri, "customers_daily", TODAY) == {}
    # The next night: the scan runs again and announces nothing it announced already.
    second = run_nightly_job(amqp_uri, "customers_daily", TODAY + timedelta(days=1))
    rescan = second[(TODAY + timedelta(days=1)).isoformat()]["by_company"][str(stack.tenant_id)]
    assert (rescan["contracts_expiring"], rescan["equipment_end_of_life"]) == (0, 0), second
    for _ in range(2):
        run_nightly_job(amqp_uri, "follow_up", TODAY)
    [expiring] = wait_until(lambda: actions_from(manager, "contract_expiring"))
    assert expiring["title"] == (
        f"Renouveler le contrat Sérénité de GARNIER Hélène (échéance le {TODAY + timedelta(days=25):%d/%m/%Y})"
    )
    assert (expiring["customer_id"], expiring["assignee_role"]) == (walk_in["id"], "office")
    assert contract["id"] in expiring["source_ref"]
    [end_of_life] = wait_until(lambda: actions_from(manager, "equipment_end_of_life_approaching"))
    assert end_of_life["customer_id"] == walk_in["id"] and "Hayward EnergyLine Pro" in end_of_life["title"]

    def mail_to_helene() -> list[Any]:
        return [m for m in smtp_server.received() if m["To"] == "helene.garnier@example.fr"]

    wait_until(lambda: len(mail_to_helene()) == 2)  # her invoice, then the end-of-life notice
    notice = next(m for m in mail_to_helene() if "fin de vie" in m["Subject"])
    assert "Hayward EnergyLine Pro" in notice["Subject"]
    assert notice["From"] == "Piscines du Gard <contact@pdg.fr>"
    # Once each: one action of each kind, one e-mail.
    assert len(actions_from(manager, "contract_expiring")) == 1
    assert len(actions_from(manager, "equipment_end_of_life_approaching")) == 1
    assert len(mail_to_helene()) == 2

    chapter("6")
    # --- 6. the manager's dashboard ----------------------------------------------------------------------------
    board = manager.get("/dashboard")
    # The till: the bag later returned, her pH plus (card + voucher), five pH plus in the day.
    till = board["till"]
    assert (till["status"], till["sales"], till["total"]) == ("ok", 7, "338.70")
    assert len(till["latest"]) == 5 and {s["total"] for s in till["latest"]} == {"49.80"}
    # The basket: ordered, so empty.
    assert board["supplier_basket"] == {"status": "ok", "detail": None, "lines": [], "more": False}
    # The actions to take, the whole company's: every area's, counted and the first ones listed.
    everything = open_actions(manager)
    assert manager.every("/notifications/actions", inbox="all", limit=5) == everything  # page after page
    assert {a["source_event_type"] for a in everything} >= {
        "first_contact_recorded",  # call Marc back
        "materials_order_due",  # order the liner
        "task_completed",  # send the payment requests
        "reorder_needed",  # the supplier basket to validate
        "contract_expiring",  # renew Hélène's contract
        "equipment_end_of_life_approaching",  # offer her a new heat pump
    }
    actions = board["actions"]
    assert actions["status"] == "ok"
    assert actions["open"] == len(everything)
    assert actions["high_priority"] == len([a for a in everything if a["priority"] == "high"]) > 0
    assert [a["id"] for a in actions["latest"]] == [a["id"] for a in everything[:5]]
    chapter("end")
