"""The technician's phone (issue #27), at 375 px, as a technician invited by the manager:
the day downloaded, a heat pump's intervention completed WITH THE NETWORK CUT (checklist,
report, a photo, parts from the van, the customer's drawn signature), a reload offline that
still shows the day, then the network back: the slip, the van's stock movement and the
invoice draft exist exactly once — the queue sent twice, with the phone's own keys — and the
report the office changed meanwhile is shown as a conflict, then resolved.

The company's data (customer, pool, heat pump, van and its stock, technician, service,
tickets, interventions) is made through the API with the manager's session, as the office
makes it; the phone's work is done in the browser only.
"""

from __future__ import annotations

import json
import re
import struct
import time
import urllib.error
import urllib.request
import uuid
import zlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browsing import (
    BASE,
    EMAIL,
    PASSWORD,
    PHONE,
    SKIP_UNLESS_STARTED,
    START_LOG,
    Watched,
    assert_usable_at_375,
    shot,
)
from playwright.sync_api import Browser, expect

pytestmark = SKIP_UNLESS_STARTED

FRANCE = ZoneInfo("Europe/Paris")
REPORT_PATH = re.compile(r"/api/v1/sav/interventions/[^/]+/report")
WAITING = re.compile(r"(\d+) actions? en attente d\u2019envoi")


class Office:
    """The API with the demo manager's session (urllib: no extra package in the child pytest)."""

    def __init__(self) -> None:
        self.token = ""
        self.log_in()

    def log_in(self) -> None:
        status, answer, _ = self.call("POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}, auth=False)
        assert status == 200, answer
        self.token = answer["access_token"]

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, auth: bool = True
    ) -> tuple[int, Any, dict[str, str]]:
        sent = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        if auth:
            sent["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{BASE}{path}", data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return (
                    response.status,
                    json.loads(raw) if raw else None,
                    {k.lower(): v for k, v in response.headers.items()},
                )
        except urllib.error.HTTPError as error:
            if error.code == 401 and auth:  # the access token's 15 minutes are over
                self.log_in()
                return self.call(method, path, body, headers)
            raw = error.read()
            return error.code, json.loads(raw) if raw else None, {k.lower(): v for k, v in error.headers.items()}

    def post(self, path: str, body: Any, until_accepted: bool = False) -> dict[str, Any]:
        """POST ``body``; ``until_accepted``: again while sav has not yet copied what it names
        from the other services' events (a 422 or 404 until then)."""
        deadline = time.monotonic() + 60
        while True:
            status, answer, _ = self.call("POST", path, body)
            if status in (200, 201):
                return answer
            assert until_accepted and status in (404, 422) and time.monotonic() < deadline, (path, status, answer)
            time.sleep(0.5)

    def get(self, path: str) -> Any:
        status, answer, _ = self.call("GET", path)
        assert status == 200, (path, status, answer)
        return answer


def wait_for(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.5)
    return found


def local(hour: int, minute: int = 0) -> str:
    today = datetime.now(FRANCE).date()
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=FRANCE).isoformat()


def photo_png() -> bytes:
    """A 64 x 48 blue picture, as a camera would hand one over (PNG, made here)."""
    width, height = 64, 48
    rows = b"".join(b"\x00" + bytes((11, 92, 173)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def invited_technician(office: Office, full_name: str) -> str:
    """A technician user, invited by the manager; the password chosen through the e-mailed link."""
    email = f"tech-{uuid.uuid4().hex[:8]}@piscines-demo.fr"
    link = re.compile(r"/invitation#token=([A-Za-z0-9_-]+)")
    before = len(link.findall(START_LOG.read_text()))
    office.post("/api/v1/users", {"email": email, "full_name": full_name, "roles": ["technician"]})
    tokens = wait_for(lambda: link.findall(START_LOG.read_text())[before:], "the invitation e-mail in the log")
    status, answer, _ = office.call(
        "POST", "/api/v1/auth/invitation/accept", {"token": tokens[-1], "password": PASSWORD}, auth=False
    )
    assert status in (200, 204), answer
    return email


def a_day_of_work(office: Office, technician_name: str) -> dict[str, Any]:
    """Mme Durand's pool with an old heat pump (out of warranty: billable), the van with 5
    condensers, the technician, and two interventions today: the heat pump, then a leak."""
    mark = uuid.uuid4().hex[:6].upper()
    customer = office.post(
        "/api/v1/customers/customers",
        {
            "kind": "private",
            "first_name": "Claire",
            "last_name": f"Durand {mark}",
            "emails": [{"address": f"durand-{mark.lower()}@example.fr"}],
            "phones": [{"number": "06 12 34 56 78"}],
            "consent": {"email": True, "sms": False},
            "billing_address": {"line1": "4 rue des Cigales", "postcode": "30000", "city": "Nîmes"},
            "sites": [
                {
                    "label": "Maison",
                    "line1": "4 rue des Cigales",
                    "postcode": "30000",
                    "city": "Nîmes",
                    "access_notes": "Portail vert, code 1234",
                }
            ],
        },
    )
    pool = office.post(
        "/api/v1/customers/pools",
        {
            "site_id": customer["sites"][0]["id"],
            "shape": "rectangle",
            "length_m": "8",
            "width_m": "4",
            "mean_depth_m": "1.5",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "salt",
            "safety_device": "cover",
        },
    )
    serial = f"PAC-{mark}"
    office.post(
        f"/api/v1/customers/pools/{pool['id']}/equipment",
        {
            "category": "heat_pump",
            "brand": "Zodiac",
            "model": "Z550iQ",
            "serial_number": serial,
            "installed_on": "2019-05-02",
            "warranty_months": 36,
        },
    )
    van = office.post("/api/v1/inventory/locations", {"code": f"CAM-{mark}", "name": "Camion", "kind": "van"})
    part = office.post(
        "/api/v1/inventory/articles",
        {
            "sku": f"CONDO-{mark}",
            "name": "Condensateur ventilateur PAC",
            "purchase_price": "12.00",
            "sale_price": "29.00",
            "stock": [{"location_id": van["id"], "quantity": 5}],
        },
    )
    technician = office.post(
        "/api/v1/sav/technicians",
        {
            "name": technician_name,
            "skills": ["heat_pump"],
            "van_location_id": van["id"],
            "work_starts": "00:00",
            "work_ends": "23:59",
            "working_days": [1, 2, 3, 4, 5, 6, 7],
        },
        until_accepted=True,
    )
    service = office.post(
        "/api/v1/sav/standard-services",
        {
            "code": f"DIAG-{mark}",
            "name": "Diagnostic pompe à chaleur",
            "duration_minutes": 60,
            "skill": "heat_pump",
            "checklist": ["Relever le code erreur", "Contrôler les pressions", "Nettoyer l\u2019évaporateur"],
            "parts": [{"article_id": part["id"], "quantity": 1}],
        },
        until_accepted=True,
    )
    heat_pump = office.post(
        "/api/v1/sav/tickets",
        {
            "serial_number": serial,
            "channel": "phone",
            "description": "La pompe à chaleur s\u2019arrête au bout de 5 minutes",
        },
        until_accepted=True,
    )
    leak = office.post(
        "/api/v1/sav/tickets",
        {
            "customer_id": customer["id"],
            "pool_id": pool["id"],
            "category": "buried_pipes",
            "channel": "phone",
            "description": "Fuite au local technique",
        },
        until_accepted=True,
    )
    first = office.post(
        "/api/v1/sav/interventions",
        {
            "ticket_id": heat_pump["id"],
            "technician_id": technician["id"],
            "service_id": service["id"],
            "starts_at": local(1),
        },
    )
    second = office.post(
        "/api/v1/sav/interventions",
        {"ticket_id": leak["id"], "technician_id": technician["id"], "starts_at": local(3), "ends_at": local(4)},
    )
    return {"customer": customer, "van": van, "part": part, "first": first, "second": second}


def waiting(page: Any) -> int:
    text = page.locator(".tech-waiting").inner_text()
    found = WAITING.search(text)
    return int(found.group(1)) if found else 0


@pytest.fixture
def phone(browser: Browser) -> Any:
    context = browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris", has_touch=False)
    watched = Watched(context)
    yield watched
    context.set_offline(False)
    context.close()
    # Requests the journey itself cut (the network off) are not problems.
    problems = [p for p in watched.problems if "ERR_INTERNET_DISCONNECTED" not in p]
    assert problems == [], "\n".join(problems)


def test_a_visit_done_offline_is_sent_once_when_the_network_is_back(phone: Watched) -> None:
    office = Office()
    name = f"Julien Martin {uuid.uuid4().hex[:4]}"
    email = invited_technician(office, name)
    work = a_day_of_work(office, name)
    page, context = phone.page, phone.context
    phone.expect_status(412, REPORT_PATH)

    # Morning, with network: logged in, the day downloaded and the app ready for the garden.
    page.goto(f"{BASE}/technicien")
    page.wait_for_url(re.compile(r"/connexion\?suite="))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{BASE}/technicien")
    expect(page.get_by_role("heading", name="Ma journée")).to_be_visible()
    expect(page.get_by_text("Prête pour travailler hors ligne")).to_be_visible(timeout=30_000)
    visits = page.locator(".visits > li")
    expect(visits).to_have_count(2)
    expect(page.get_by_text("Condensateur ventilateur PAC")).to_be_visible()  # in the van
    manifest = page.evaluate("document.querySelector('link[rel=manifest]').href")
    assert manifest.endswith("/ui/technician/manifest.webmanifest")
    assert_usable_at_375(page, "/technicien")
    shot(page, "technicien-journee")

    # In the garden: no network.
    context.set_offline(True)
    expect(page.locator("[data-network=offline]")).to_be_visible()
    page.get_by_role("button", name=re.compile("La pompe à chaleur s\u2019arrête")).click()
    expect(page.get_by_text("Portail vert, code 1234")).to_be_visible()
    assert_usable_at_375(page, "/technicien (une intervention)")
    for operation in ("Relever le code erreur", "Contrôler les pressions", "Nettoyer l\u2019évaporateur"):
        page.get_by_label(operation).check()
    page.get_by_label("Compte rendu", exact=True).fill("Condensateur du ventilateur remplacé, pressions normales.")
    page.get_by_label("Temps passé (minutes)").fill("45")
    page.get_by_label("Déplacement (km)").fill("12,5")
    page.get_by_label(re.compile(r"Condensateur ventilateur PAC — 5 dans le camion")).fill("2")
    page.get_by_label("Légende de la photo").fill("Condensateur HS")
    page.get_by_label("Prendre ou choisir une photo").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": photo_png()}
    )
    expect(page.get_by_text("Photo ajoutée.")).to_be_visible()
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(page.get_by_text("Compte rendu gardé sur le téléphone")).to_be_visible()
    expect(page.locator(".tech-waiting")).to_have_text("2 actions en attente d\u2019envoi")
    pad = page.get_by_role("img", name="Signature du client")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box
    page.mouse.move(box["x"] + 20, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 120 - (step % 3) * 30, steps=3)
    page.mouse.up()
    shot(page, "technicien-signature")
    page.get_by_role("button", name="Faire signer et terminer").click()
    expect(page.locator("[data-visit-state]")).to_have_text("Signée, à envoyer")
    expect(page.locator(".tech-waiting")).to_have_text("3 actions en attente d\u2019envoi")

    # The second visit: a report saved offline, which the office changes meanwhile.
    page.get_by_role("button", name="← La journée").click()
    page.get_by_role("button", name=re.compile("Fuite au local technique")).click()
    page.get_by_label("Compte rendu", exact=True).fill("Joint du filtre remplacé, plus de fuite.")
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("Proposer une intervention ou un devis").click()
    page.get_by_label("Je propose").select_option("devis")
    page.get_by_label("Ce qu\u2019il faut faire").fill("Remplacer la vanne 6 voies, fuyarde")
    page.get_by_role("button", name="Envoyer la proposition au bureau").click()
    expect(page.get_by_text("Proposition gardée")).to_be_visible()
    expect(page.locator(".tech-waiting")).to_have_text("5 actions en attente d\u2019envoi")
    second = f"/api/v1/sav/interventions/{work['second']['id']}"
    status, answer, headers = office.call("GET", second)
    assert status == 200, answer
    status, _, _ = office.call(
        "PUT",
        f"{second}/report",
        {"report": "Le bureau : rappeler le client avant de passer."},
        {"If-Match": headers["etag"]},
    )
    assert status == 200

    # A reload with no network still shows the day, and what waits: the page and its modules
    # come from the service worker's cache, the day from the phone's own copy.
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    with page.expect_response(lambda r: r.url == f"{BASE}/technicien") as reloaded:
        page.reload()
    assert reloaded.value.from_service_worker and reloaded.value.status == 200
    expect(page.get_by_role("heading", name="Ma journée")).to_be_visible()
    expect(visits).to_have_count(2)
    expect(page.locator("[data-network=offline]")).to_be_visible()
    expect(page.locator(".tech-waiting")).to_have_text("5 actions en attente d\u2019envoi")
    expect(visits.first.get_by_text("Signée, à envoyer")).to_be_visible()
    shot(page, "technicien-hors-ligne")

    # The network is back: everything goes, in order; the office's change is a conflict.
    context.set_offline(False)
    expect(page.locator(".notice", has_text="Conflit")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Voir et choisir").click()
    expect(page.get_by_text("Le bureau : rappeler le client avant de passer.")).to_be_visible()
    shot(page, "technicien-conflit")
    page.get_by_role("button", name="Envoyer ma version").click()
    expect(page.locator(".tech-waiting")).to_have_text("Tout est envoyé", timeout=30_000)
    # The phone's version reaches sav (the last send may still be on its way when the screen says so).
    for _ in range(60):
        if office.get(second)["report"] == "Joint du filtre remplacé, plus de fuite.":
            break
        page.wait_for_timeout(500)
    assert office.get(second)["report"] == "Joint du filtre remplacé, plus de fuite."

    # The queue sent a second time, as after answers lost in the garden: the same keys.
    replayed = page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open("bassin-technicien");
             open.onerror = () => reject(open.error);
             open.onsuccess = () => {
               const tx = open.result.transaction("outbox", "readwrite");
               const store = tx.objectStore("outbox");
               const all = store.getAll();
               all.onsuccess = () => {
                 const sent = all.result.filter((e) => e.status === "sent");
                 for (const e of sent) store.put({ ...e, status: "pending" });
                 tx.oncomplete = () => resolve(sent.map((e) => e.kind));
               };
             };
           })"""
    )
    assert sorted(replayed) == ["photo", "proposal", "report", "report", "signature"]
    page.reload()
    expect(page.locator(".tech-waiting")).to_have_text("Tout est envoyé", timeout=30_000)

    # Exactly once: the signed slip, the photo, the van's movement, the invoice draft, the proposal.
    first = f"/api/v1/sav/interventions/{work['first']['id']}"
    done = office.get(first)
    assert (done["status"], done["labour_minutes"], done["travel_km"]) == ("completed", 45, "12.50")
    assert done["parts"] == [{"article_id": work["part"]["id"], "quantity": 2}]
    assert [item["done"] for item in done["checklist"]] == [True, True, True]
    assert office.get(f"{first}/slip-verification")["intact"] is True
    assert len(office.get(f"{first}/photos")["items"]) == 1
    stock = f"/api/v1/inventory/articles/{work['part']['id']}/stock/{work['van']['id']}"
    wait_for(lambda: office.get(stock)["quantity"] == 3, "the van's stock down by 2")
    customer_id = work["customer"]["id"]
    drafts = wait_for(lambda: office.get(f"/api/v1/pos/invoices?customer_id={customer_id}")["items"], "the draft")
    movements = office.get(f"/api/v1/inventory/articles/{work['part']['id']}/movements")["items"]
    from_van = [m for m in movements if m["location_id"] == work["van"]["id"] and m["delta"] < 0]
    assert [m["delta"] for m in from_van] == [-2]
    assert [(d["status"], d["kind"]) for d in drafts] == [("draft", "invoice")]
    assert office.get(stock)["quantity"] == 3
    tickets = office.get(f"/api/v1/sav/tickets?customer_id={customer_id}")["items"]
    proposed = [t for t in tickets if t["channel"] == "technician"]
    assert [t["description"] for t in proposed] == ["Devis à établir\u00a0: Remplacer la vanne 6 voies, fuyarde"]
    expect(page.locator(".visits > li").first.get_by_text("Terminée")).to_be_visible()
