"""The field's journeys (issue 27): the worksite planner and the SAV desk, in Chromium, run
by test_browser.py. Each journey makes its own data through the API with the logged-in
session (a customer, a construction quote accepted, a heat pump…), never the demo's.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from datetime import date
from typing import Any

import pytest
from browsing import BASE, PHONE, SKIP_UNLESS_STARTED, Watched, assert_contrast, assert_usable_at_375, log_in, shot
from playwright.sync_api import Page, expect

pytestmark = SKIP_UNLESS_STARTED

EVERY_SKILL = ["earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing"]
CALL = """async ([method, path, body]) => {
  const s = JSON.parse(localStorage.getItem("bassin.session"));
  const headers = {Authorization: `Bearer ${s.access_token}`, "Idempotency-Key": crypto.randomUUID()};
  if (body !== null) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)});
  return {status: answer.status, body: await answer.json().catch(() => null)};
}"""


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter((n) => n.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter((n) => !n.closest(".gantt-wrap svg, .table-wrap table, .tabs a"))
  .map((n) => `${n.tagName}.${n.className} ${Math.round(n.getBoundingClientRect().right)}`).slice(0, 10)"""


def call(page: Page, method: str, path: str, body: Any = None, expected: int = 200) -> Any:
    answer = page.evaluate(CALL, [method, path, body])
    assert answer["status"] == expected, (method, path, answer)
    return answer["body"]


def french(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def new_customer(page: Page, last_name: str) -> dict[str, Any]:
    customer = {
        "kind": "private",
        "first_name": "Hélène",
        "last_name": last_name,
        "emails": [{"address": f"{last_name.lower()}@example.fr"}],
        "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
        "sites": [{"label": "Mas", "line1": "Route d'Uzès", "postcode": "30190", "city": "Saint-Chaptes"}],
    }
    return call(page, "POST", "/api/v1/customers/customers", customer, 201)


def new_project(page: Page) -> dict[str, Any]:
    """A construction quote accepted: worksites makes its project (from order_confirmed)."""
    customer = new_customer(page, f"Gantt{uuid.uuid4().hex[:6]}")
    quote = {
        "kind": "construction",
        "customer_id": customer["id"],
        "site_id": customer["sites"][0]["id"],
        "lines": [
            {
                "description": "Piscine béton 8 x 4 m",
                "quantity": "1",
                "unit_price_excl_vat": "32500.00",
                "vat_rate": "20.00",
            }
        ],
        "pool": {
            "pool_type_code": "BET-R8",
            "shape": "rectangle",
            "length_m": "8.00",
            "width_m": "4.00",
            "mean_depth_m": "1.50",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "salt",
        },
    }
    created = call(page, "POST", "/api/v1/customers/quotes", quote, 201)
    call(page, "POST", f"/api/v1/customers/quotes/{created['id']}/send")
    call(page, "POST", f"/api/v1/customers/quotes/{created['id']}/accept")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        projects = call(page, "GET", "/api/v1/worksites/projects?limit=200")["items"]
        mine = [p for p in projects if p["customer_id"] == customer["id"]]
        if mine:
            return mine[0]
        page.wait_for_timeout(500)
    raise AssertionError("no project made from the accepted quote")


def filling_of(page: Page, project_id: str) -> str:
    return call(page, "GET", f"/api/v1/worksites/projects/{project_id}")["filling_date"]


def test_a_step_dragged_shows_the_new_filling_date_and_is_saved_only_when_confirmed(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    crew = {"name": f"Équipe Gantt {uuid.uuid4().hex[:4]}", "skills": EVERY_SKILL}
    call(page, "POST", "/api/v1/worksites/crews", crew, 201)
    project = new_project(page)

    # Planned from the screen, from a Monday of a season far ahead (no other site then).
    page.goto(f"{BASE}/chantiers?chantier={project['id']}")
    expect(page.get_by_role("heading", name="Planning des chantiers")).to_be_visible()
    page.get_by_label("Date de début").fill("2031-03-03")
    page.get_by_role("button", name="Planifier le chantier").click()
    expect(page.get_by_role("status").filter(has_text="Chantier planifié")).to_be_visible()
    before = filling_of(page, project["id"])
    expect(page.locator("[data-figure=filling]")).to_have_text(french(before))
    structure = page.locator("g.bar[data-step=structure]")
    expect(structure).to_be_visible()
    expect(page.locator("svg.gantt path.dep")).not_to_have_count(0)  # the dependencies drawn

    # Dragged a week later: the consequences shown, nothing saved yet.
    day_width = int(page.locator("svg.gantt").get_attribute("data-day-width"))
    box = structure.bounding_box()
    with page.expect_response(lambda r: r.url.endswith("/move-preview")) as previewed:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 3 * day_width, box["y"] + box["height"] / 2, steps=5)
        page.mouse.move(box["x"] + box["width"] / 2 + 7 * day_width, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    preview = previewed.value.json()
    assert preview["possible"] and preview["filling_date"] > before, preview
    region = page.get_by_role("region", name="Aperçu du déplacement")
    expect(region.get_by_role("heading", name=re.compile("Déplacer « Murs et réservations »"))).to_be_visible()
    expect(region.locator("[data-figure=ancienne-mise-en-eau]")).to_have_text(french(before))
    expect(region.locator("[data-figure=nouvelle-mise-en-eau]")).to_have_text(french(preview["filling_date"]))
    expect(region.locator(".moved-list li")).to_have_count(len(preview["moved"]))
    expect(region).to_contain_text("Hydraulique")
    expect(page.locator("g.bar-moved")).not_to_have_count(0)
    assert filling_of(page, project["id"]) == before  # a preview saves nothing
    assert_contrast(page)
    page.locator("svg.gantt").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 180)")
    shot(page, "planning-chantier-apercu")
    region.get_by_role("button", name="Annuler").click()
    expect(page.get_by_text("Déplacement annulé : rien n\u2019a été modifié.")).to_be_visible()
    assert filling_of(page, project["id"]) == before

    # The keyboard's way: the bar focused, → seven times, Enter; then confirmed: saved.
    page.locator("g.bar[data-step=structure]").focus()
    with page.expect_response(lambda r: r.url.endswith("/move-preview")) as previewed:
        for _ in range(7):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
    moved_to = previewed.value.json()["filling_date"]
    assert moved_to == preview["filling_date"]
    expect(region.locator("[data-figure=nouvelle-mise-en-eau]")).to_have_text(french(moved_to))
    region.get_by_role("button", name="Confirmer le déplacement").click()
    expect(page.get_by_role("status").filter(has_text="déplacée. Mise en eau le")).to_be_visible()
    expect(page.locator("[data-figure=filling]")).to_have_text(french(moved_to))
    assert filling_of(page, project["id"]) == moved_to
    page.locator("svg.gantt").scroll_into_view_if_needed()
    shot(page, "planning-chantier")

    # Too early (before its predecessors allow): refused with the reason, the earliest offered.
    step = page.locator("li.step[data-step=hydraulics]")
    step.get_by_role("button", name="Déplacer : Hydraulique").click()
    step.get_by_label("Nouvelle date de début").fill("2031-03-10")
    step.get_by_role("button", name="Voir les conséquences").click()
    expect(region.get_by_role("alert")).to_contain_text("Ce déplacement n\u2019est pas possible")
    expect(region.get_by_role("alert")).to_contain_text("au plus tôt le")
    expect(region.get_by_role("button", name=re.compile(r"Essayer le \d\d.\d\d.\d{4}"))).to_be_visible()
    region.get_by_role("button", name="Annuler").click()

    # On site: the permit started, a photo added; the crews' week lists the project.
    page.locator("li.step[data-step=permit]").get_by_role("button", name="Démarrer : Plans et permis").click()
    expect(page.get_by_role("status").filter(has_text="« Plans et permis » démarrée")).to_be_visible()
    permit = page.locator("li.step[data-step=permit]")
    expect(permit).to_contain_text("En cours")
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    with page.expect_response(lambda r: r.url.endswith("/photos") and r.request.method == "POST") as sent:
        photo = {"name": "dossier.png", "mimeType": "image/png", "buffer": png}
        permit.locator("input[type=file]").set_input_files(photo)
    assert sent.value.status == 201
    expect(permit.get_by_text("Photo ajoutée.")).to_be_visible()


def test_the_crews_week_and_the_season_proposal(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    name = f"Équipe Semaine {uuid.uuid4().hex[:4]}"
    call(page, "POST", "/api/v1/worksites/crews", {"name": name, "skills": EVERY_SKILL}, 201)
    page.goto(f"{BASE}/chantiers?vue=semaine&semaine=2031-03-03")
    expect(page.get_by_role("heading", name="Semaine du 03/03/2031")).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile(name))).to_be_visible()
    page.get_by_role("link", name="Semaine suivante →").click()
    expect(page.get_by_role("heading", name="Semaine du 10/03/2031")).to_be_visible()
    assert_contrast(page)

    page.get_by_role("link", name="Plan de saison").click()
    page.get_by_label("Premier jour de la saison").fill("2031-03-03")
    page.get_by_role("button", name="Calculer une proposition").click()
    proposal = page.get_by_role("region", name="Proposition de plan de saison")
    expect(proposal).to_be_visible(timeout=30_000)
    expect(proposal.get_by_role("button", name="Accepter ce plan")).to_be_visible()
    proposal.get_by_role("button", name="Écarter la proposition").click()
    expect(page.get_by_text("Proposition écartée : rien n\u2019a changé.")).to_be_visible()


def wait_known_to_sav(page: Page, equipment_id: str) -> dict[str, Any]:
    """SAV keeps its own copy of the customer file (from customers' events): wait for it."""
    token = page.evaluate("JSON.parse(localStorage.getItem('bassin.session')).access_token")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = page.request.get(
            f"{BASE}/api/v1/sav/equipment/{equipment_id}", headers={"Authorization": f"Bearer {token}"}
        )
        if answer.ok:
            return answer.json()
        page.wait_for_timeout(500)
    raise AssertionError("SAV never learnt of the heat pump")


def test_a_ticket_from_a_heat_pump_under_warranty_qualified_and_scheduled_in_a_slot(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    mark = uuid.uuid4().hex[:6].upper()
    technician = call(
        page,
        "POST",
        "/api/v1/sav/technicians",
        {
            "name": f"Julien Martin {mark}",
            "skills": ["heat_pump"],
            "work_starts": "08:00",
            "work_ends": "17:00",
            "working_days": [1, 2, 3, 4, 5, 6, 7],
            "base_latitude": "43.8367",
            "base_longitude": "4.3601",
        },
        201,
    )
    service = {
        "code": f"DIAG-PAC-{mark}",
        "name": "Diagnostic pompe à chaleur",
        "duration_minutes": 90,
        "skill": "heat_pump",
        "checklist": ["Relever le code erreur", "Contrôler le débit d'eau"],
    }
    call(page, "POST", "/api/v1/sav/standard-services", service, 201)
    tree = {
        "category": "heat_pump",
        "questions": [
            {
                "key": "code_shown",
                "text": "L'afficheur indique-t-il un code erreur ?",
                "choices": [
                    {"value": "oui", "label": "Oui", "next": "which_code"},
                    {"value": "non", "label": "Non", "service_code": service["code"]},
                ],
            },
            {
                "key": "which_code",
                "text": "Quel code ?",
                "choices": [
                    {"value": "E03", "label": "E03 (débit d'eau)", "service_code": service["code"]},
                    {"value": "autre", "label": "Un autre", "service_code": service["code"]},
                ],
            },
        ],
    }
    call(page, "POST", "/api/v1/sav/question-trees", tree, 201)
    customer = new_customer(page, f"Pac{mark.lower()}")
    pool = {
        "site_id": customer["sites"][0]["id"],
        "shape": "rectangle",
        "length_m": "8",
        "width_m": "4",
        "mean_depth_m": "1.5",
        "coating": "liner",
        "filtration": "sand",
        "treatment": "salt",
        "safety_device": "cover",
    }
    pool = call(page, "POST", "/api/v1/customers/pools", pool, 201)
    installed = date.today().replace(year=date.today().year - 1).isoformat()
    serial = f"HP-{mark}-001742"
    heat_pump = {
        "category": "heat_pump",
        "brand": "Hayward",
        "model": "EnergyLine Pro 9 kW",
        "serial_number": serial,
        "installed_on": installed,
        "warranty_months": 36,
    }
    heat_pump = call(page, "POST", f"/api/v1/customers/pools/{pool['id']}/equipment", heat_pump, 201)
    wait_known_to_sav(page, heat_pump["id"])

    # The serial number read off the plate: the heat pump found, its warranty and why.
    page.goto(f"{BASE}/sav")
    expect(page.get_by_role("heading", name="SAV", exact=True)).to_be_visible()
    page.get_by_label("Numéro de série, client ou téléphone").fill(serial)
    expect(page.get_by_role("heading", name="Pompe à chaleur Hayward EnergyLine Pro 9 kW")).to_be_visible()
    coverage = page.locator("[data-coverage=manufacturer_warranty]")
    expect(coverage).to_contain_text("Sous garantie constructeur")
    expect(coverage).to_contain_text("garantie constructeur Hayward")
    page.get_by_label("Panne décrite par le client").fill("S\u2019arrête au bout de 5 minutes, affiche E03.")
    page.get_by_label("Priorité").select_option("urgent")
    page.get_by_role("button", name="Ouvrir le ticket").click()
    ticket = page.locator("section", has=page.get_by_role("heading", name=re.compile(r"2\. Ticket SAV-")))
    expect(ticket.locator("[data-coverage=manufacturer_warranty]")).to_contain_text("jusqu")

    # The guided questions, then the suggested service preselected in the slot picker.
    page.get_by_role("button", name="Oui").click()
    page.get_by_role("button", name="E03 (débit d'eau)").click()
    expect(page.get_by_text("Qualification terminée.")).to_be_visible()
    expect(page.get_by_text("Prestation conseillée : Diagnostic pompe à chaleur")).to_be_visible()
    page.get_by_label("Technicien").select_option(label=technician["name"])
    expect(page.get_by_label("Prestation")).to_have_value(re.compile(".+"))
    slots = page.get_by_role("list", name="Créneaux libres")
    expect(slots.get_by_role("button").first).to_be_visible()
    expect(page.get_by_text("Créneaux libres de 90 min")).to_be_visible()
    slots.get_by_role("button", name="10:00").click()
    assert_contrast(page)
    shot(page, "sav-ticket", full_page=True)
    page.get_by_role("button", name="Réserver 10:00\u201311:30").click()
    expect(page.get_by_text(re.compile(r"Intervention planifiée le \d\d/\d\d/\d{4} de 10:00 à 11:30"))).to_be_visible()

    # The technician's route of that day proposes it (no coordinates: to place by hand).
    day = page.get_by_label("Jour").input_value()
    page.goto(f"{BASE}/sav?vue=tournees&jour={day}")
    route = page.get_by_role("region", name=f"Tournée de {technician['name']}")
    expect(route).to_contain_text("1 intervention(s) sans coordonnées")
    shot(page, "sav-tournees")

    # From the customer file: a link to the desk with the equipment chosen.
    page.goto(f"{BASE}/sav?equipement={heat_pump['id']}")
    expect(page.get_by_role("heading", name="Pompe à chaleur Hayward EnergyLine Pro 9 kW")).to_be_visible()
    expect(page.locator("[data-coverage=manufacturer_warranty]")).to_be_visible()


@pytest.mark.parametrize("path", ["/chantiers", "/chantiers?vue=semaine", "/chantiers?vue=saison", "/sav"])
def test_the_field_screens_are_usable_at_375_px(watched: Watched, path: str) -> None:
    page = watched.page
    page.set_viewport_size(PHONE)
    log_in(page)
    page.goto(f"{BASE}{path}")
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    wider = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert wider == [], wider  # what would make the page scroll sideways, named
    assert_usable_at_375(page, path)
    if path == "/chantiers":
        shot(page, "planning-chantier-375px")
