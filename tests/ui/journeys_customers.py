"""The customer file's journeys (issue #26): find a customer from the header's search,
record a water analysis, sell the recommended products at the till with a split payment and
read the ticket; turn a prospect into a quote and the quote into an order; the customer file
and the pipeline at 375 px. Each journey makes its customer through the API with the
logged-in session; the demo's articles are the only demo data used."""

from __future__ import annotations

import re
import uuid
from typing import Any

from browsing import (
    BASE,
    PHONE,
    SKIP_UNLESS_STARTED,
    Watched,
    assert_contrast,
    assert_usable_at_375,
    log_in,
    shot,
)
from playwright.sync_api import Page, expect

pytestmark = SKIP_UNLESS_STARTED

CALL = """async ([method, path, body]) => {
  const s = JSON.parse(localStorage.getItem("bassin.session"));
  const headers = {Authorization: `Bearer ${s.access_token}`, "Content-Type": "application/json"};
  const answer = await fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)});
  return {status: answer.status, body: await answer.json().catch(() => null)};
}"""


def call(page: Page, method: str, path: str, body: Any = None, expected: int = 200) -> Any:
    answer = page.evaluate(CALL, [method, path, body])
    assert answer["status"] == expected, (method, path, answer)
    return answer["body"]


def article_id(page: Page, sku: str) -> str:
    (found,) = [a for a in call(page, "GET", f"/api/v1/inventory/articles?q={sku}")["items"] if a["sku"] == sku]
    return found["id"]


def new_customer(page: Page, last_name: str) -> dict[str, Any]:
    customer = call(
        page,
        "POST",
        "/api/v1/customers/customers",
        {
            "kind": "private",
            "first_name": "Hélène",
            "last_name": last_name,
            "phones": [{"number": "06 12 34 56 78"}],
            "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
            "sites": [{"label": "Maison", "line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"}],
        },
        201,
    )
    pool = {
        "site_id": customer["sites"][0]["id"],
        "name": "Piscine",
        "shape": "rectangle",
        "length_m": "8",
        "width_m": "4",
        "mean_depth_m": "1.5",
        "coating": "liner",
        "filtration": "sand",
        "treatment": "chlorine",
        "safety_device": "alarm",
    }
    pool = call(page, "POST", "/api/v1/customers/pools", pool, 201)
    pump = {"category": "pump", "brand": "Pentair", "model": "SuperFlo", "installed_on": "2024-05-02"}
    call(page, "POST", f"/api/v1/customers/pools/{pool['id']}/equipment", {**pump, "warranty_months": 24}, 201)
    call(page, "POST", f"/api/v1/customers/pools/{pool['id']}/analyses", {"ph": "7.4", "free_chlorine": "1.2"}, 201)
    return customer


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6].upper()}"


def test_find_a_customer_record_an_analysis_and_sell_the_recommendation_split_paid(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    products = [
        {"role": "ph_minus", "article_id": article_id(page, "PH-MOINS-6KG")},
        {"role": "chlorine_shock", "article_id": article_id(page, "CHL-CHOC-1KG")},
    ]
    call(page, "PUT", "/api/v1/customers/water-products", {"products": products})
    name = unique("Durand")
    new_customer(page, name)

    # From any page, Ctrl+K then the name: the list, then Enter opens the file.
    page.keyboard.press("Control+k")
    expect(page.locator("#recherche-globale")).to_be_focused()
    page.keyboard.type(name.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/clients\?q="))
    expect(page.locator(".customer-link")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/client\?id="))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name.upper()} Hélène")
    expect(page.locator("[data-volume]")).to_have_text("48\u00a0m³")
    expect(page.locator(".pool-shape")).to_be_visible()
    expect(page.locator("[data-equipment] .badge-red").first).to_have_text("Garantie dépassé")  # 2024 + 24 months

    # A new analysis: pH too high, chlorine too low; the chart and the advice follow.
    page.get_by_text("Enregistrer une nouvelle analyse").click()
    page.get_by_label("pH", exact=True).fill("8,0")
    page.get_by_label("Chlore libre (mg/L)").fill("0,2")
    page.get_by_role("button", name="Enregistrer l\u2019analyse").click()
    expect(page.locator("[data-parameter=ph].out")).to_contain_text("trop haut")
    expect(page.locator("[data-chart=ph]")).to_be_visible()
    expect(page.locator("[data-advice] li")).to_have_count(2)
    assert_contrast(page)
    shot(page, "fiche-client", full_page=True)

    # The recommendation, in one click, is the till's cart: split paid, the ticket.
    page.locator("[data-sell]").click()
    page.wait_for_url(f"{BASE}/caisse")
    expect(page.locator(".lines .line")).to_have_count(2)
    expect(page.locator("[data-total]")).to_have_text("36,80\u00a0€")  # 19,90 + 16,90
    page.locator("#montant").fill("20")
    page.keyboard.press("F3")  # card: 20,00 €
    page.locator("#montant").fill("20")
    page.keyboard.press("F2")  # cash: 20,00 € for the 16,80 € left
    expect(page.locator("[data-change]")).to_have_text("3,20\u00a0€")
    page.keyboard.press("F9")
    ticket = page.locator(".ticket")
    expect(ticket.get_by_role("heading", name="Ticket de caisse")).to_be_visible()
    expect(ticket).to_contain_text("Carte bancaire")
    expect(ticket).to_contain_text("Espèces")
    expect(ticket.locator("[data-ticket-total]")).to_have_text("36,80\u00a0€")


def test_a_prospect_becomes_a_quote_then_an_order(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    customer = new_customer(page, unique("Martin"))
    subject = f"Rénovation {unique('')} : pompe et mise en service"
    call(page, "POST", "/api/v1/customers/leads", {"customer_id": customer["id"], "subject": subject}, 201)

    page.get_by_role("link", name="Prospects et devis").click()
    card = page.locator("[data-column=open] .card", has_text=subject)
    expect(card).to_be_visible()
    assert_contrast(page)
    shot(page, "prospects-pipeline")
    card.get_by_role("link", name="Faire un devis").click()
    page.wait_for_url(re.compile(r"/devis\?client="))
    page.get_by_label("Rechercher dans le catalogue").fill("pompe")
    page.get_by_role("button", name=re.compile("Ajouter Pompe de filtration")).click()
    page.get_by_label("Désignation").fill("Mise en service")
    page.get_by_label("Prix unitaire HT (€)").fill("150,00")
    page.get_by_role("button", name="Ajouter la ligne").click()
    expect(page.locator(".quote-lines tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Enregistrer le devis").click()
    page.wait_for_url(re.compile(r"/devis\?id="))
    expect(page.locator("[data-status]")).to_have_text("brouillon")
    page.get_by_role("button", name="Marquer envoyé au client").click()
    expect(page.locator("[data-status]")).to_have_text("envoyé")
    page.get_by_role("button", name="Le client accepte : passer la commande").click()
    expect(page.locator(".notice-ok")).to_contain_text("Commande passée")

    page.get_by_role("link", name="Prospects et devis").click()
    expect(page.locator("[data-column=won] .card", has_text=subject)).to_be_visible()


def test_the_customer_file_and_the_pipeline_are_usable_at_375_px(watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size(PHONE)
    log_in(page)
    customer = new_customer(page, unique("Petit"))
    for path in (f"/client?id={customer['id']}", "/clients", "/prospects"):
        page.goto(f"{BASE}{path}")
        expect(page.locator("main h1")).to_be_visible()
        assert_usable_at_375(page, path)
    page.goto(f"{BASE}/client?id={customer['id']}")
    expect(page.locator("[data-volume]")).to_be_visible()
    shot(page, "fiche-client-375px", full_page=True)
