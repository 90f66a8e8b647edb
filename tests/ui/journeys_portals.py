"""Journeys of the portals and the settings (issue 27), in Chromium against ``./bassin
start``: a pool owner invited by the manager chooses a password, logs into the portal and
sees only their own things (not another customer's, even by URL); a manufacturer logs in
with its API key, sees only its brand's returns, answers one and rotates its webhook secret;
the manager invites a user, edits an alert rule's message template and the company's legal
details. Each journey makes its own data, through the API with the manager's session.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from browsing import (
    BASE,
    PASSWORD,
    PHONE,
    SKIP_UNLESS_STARTED,
    START_LOG,
    Watched,
    assert_contrast,
    assert_usable_at_375,
    log_in,
    shot,
)
from playwright.sync_api import Page, expect

pytestmark = SKIP_UNLESS_STARTED
TEMPLATE = "Bonjour {customer_name}, votre piscine mérite une visite. {company_name}"

# Runs in the page, as the logged-in manager: the API call's status and JSON.
CALL = """async ([method, path, body]) => {
  const s = JSON.parse(localStorage.getItem("bassin.session"));
  const headers = {Authorization: `Bearer ${s.access_token}`, "Idempotency-Key": crypto.randomUUID()};
  if (body !== null) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)});
  const text = await answer.text();
  return [answer.status, text ? JSON.parse(text) : null];
}"""


@pytest.fixture(autouse=True)
def keep_start_log() -> Any:
    """While working on these journeys: BASSIN_UI_KEEP_LOG names a file that gets ./bassin
    start's output after each journey (pytest's temporary folders are shared and pruned)."""
    yield
    if keep := os.environ.get("BASSIN_UI_KEEP_LOG"):
        Path(keep).write_text(START_LOG.read_text())


def call(page: Page, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201)) -> Any:
    status, answer = page.evaluate(CALL, [method, path, body])
    assert status in ok, (method, path, status, answer)
    return answer


def until(page: Page, method: str, path: str, body: Any = None, seconds: float = 30) -> Any:
    """The call retried while another service has not yet learnt what it names (events)."""
    deadline = time.monotonic() + seconds
    while True:
        status, answer = page.evaluate(CALL, [method, path, body])
        if status in (200, 201) or time.monotonic() > deadline:
            assert status in (200, 201), (method, path, status, answer)
            return answer
        time.sleep(0.4)


def customer_with_pool(page: Page, last_name: str, equipment: list[dict[str, Any]]) -> dict[str, Any]:
    customer = call(
        page,
        "POST",
        "/api/v1/customers/customers",
        {
            "kind": "private",
            "first_name": "Claire",
            "last_name": last_name,
            "billing_address": {"line1": "4 rue des Cigales", "postcode": "30000", "city": "Nîmes"},
            "sites": [{"label": "Maison", "line1": "4 rue des Cigales", "postcode": "30000", "city": "Nîmes"}],
        },
    )
    pool = call(
        page,
        "POST",
        "/api/v1/customers/pools",
        {
            "site_id": customer["sites"][0]["id"],
            "name": f"Piscine {last_name}",
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
    installed = [call(page, "POST", f"/api/v1/customers/pools/{pool['id']}/equipment", e) for e in equipment]
    return {"customer": customer, "pool": pool, "equipment": installed}


def pump(brand: str, serial: str) -> dict[str, Any]:
    today = time.strftime("%Y-%m-%d")
    return {
        "category": "heat_pump",
        "brand": brand,
        "model": "PAC 9 kW",
        "serial_number": serial,
        "installed_on": today,
        "warranty_months": 36,
    }


def invited_link(page: Page, email: str) -> str:
    """The invitation link e-mailed to ``email`` (console mode: in ./bassin start's output)."""
    link = re.compile(r"(/invitation#token=[A-Za-z0-9_-]+)")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = START_LOG.read_text()
        at = text.rfind(f"To: {email}")
        if at >= 0 and (found := link.findall(text[at:])):
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no invitation for {email} in ./bassin start's output")


def choose_password(page: Page, link: str) -> None:
    page.goto(f"{BASE}{link}")
    page.get_by_label("Mot de passe (10 caractères au moins)").fill(PASSWORD)
    page.get_by_label("Le même, pour vérifier").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_url(re.compile(r"/connexion\?raison=mot-de-passe"))


# --- the customer's portal ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_customer(browser) -> dict[str, Any]:
    """Mme Durand (a pool, a heat pump, an analysis, an issued invoice) with a portal account,
    and M. Martin, another customer of the company with his own pool."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page)
    tag = uuid.uuid4().hex[:6]
    mine = customer_with_pool(page, f"Durand-{tag}", [pump("Zodiac", f"PAC-{tag}-1")])
    theirs = customer_with_pool(page, f"Martin-{tag}", [])
    call(
        page,
        "POST",
        f"/api/v1/customers/pools/{mine['pool']['id']}/analyses",
        {"ph": "7.9", "total_alkalinity": "100", "calcium_hardness": "200", "cyanuric_acid": "30"},
    )
    draft = until(
        page,
        "POST",
        "/api/v1/pos/invoices",
        {
            "customer_id": mine["customer"]["id"],
            "lines": [
                {
                    "description": "Mise en route de la piscine",
                    "quantity": "1",
                    "unit_price_excl_vat": "150.00",
                    "vat_rate": "20.00",
                }
            ],
        },
    )
    call(page, "POST", f"/api/v1/pos/invoices/{draft['id']}/check")
    issued = call(page, "POST", f"/api/v1/pos/invoices/{draft['id']}/issue")
    # pos's first PDF in a fresh process (WeasyPrint warming up) may outlast the gateway's
    # 10 s deadline on a busy machine: rendered once here, so that the journey times the usual.
    until(page, "GET", f"/api/v1/pos/invoices/{draft['id']}/pdf", seconds=90)
    email = f"durand-{tag}@example.fr"
    call(
        page,
        "POST",
        "/api/v1/users",
        {"email": email, "full_name": "Claire Durand", "roles": ["customer"], "customer_id": mine["customer"]["id"]},
    )
    link = invited_link(page, email)
    context.close()
    return {"email": email, "link": link, "mine": mine, "theirs": theirs, "invoice": issued}


def test_a_customer_logs_into_the_portal_and_sees_only_their_own_things(
    watched: Watched, portal_customer: dict[str, Any]
) -> None:
    page = watched.page
    mine, theirs = portal_customer["mine"], portal_customer["theirs"]
    choose_password(page, portal_customer["link"])
    log_in(page, landing="/portail", email=portal_customer["email"])
    expect(page.get_by_role("heading", name="Mon espace")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("link", name="Mon espace")).to_be_visible()
    expect(navigation.get_by_role("link", name="Tableau de bord")).to_have_count(0)
    expect(page.get_by_text(f"Bonjour {mine['customer']['display_name']}")).to_be_visible()
    pool = page.locator(f"[data-pool='{mine['pool']['id']}']")
    expect(pool).to_contain_text(mine["pool"]["name"])
    expect(pool).to_contain_text("Pompe à chaleur Zodiac PAC 9 kW")
    expect(pool.get_by_role("table")).to_contain_text("pH")
    expect(pool.get_by_role("table")).to_contain_text("Haut")  # pH 7.9: above the target
    expect(page.locator("[data-pool]")).to_have_count(1)
    expect(page.get_by_text(theirs["pool"]["name"])).to_have_count(0)
    invoice = page.locator(f"[data-invoice='{portal_customer['invoice']['number']}']")
    expect(invoice).to_contain_text("180,00\u00a0€")
    expect(page.locator("[data-figure=du]")).to_have_text("180,00\u00a0€")
    with page.expect_download() as download:
        invoice.get_by_role("button", name=re.compile("Télécharger la facture")).click()
    assert download.value.suggested_filename == f"{portal_customer['invoice']['number']}.pdf"
    expect(page.get_by_text("Aucune intervention pour l\u2019instant.")).to_be_visible()
    expect(page.get_by_text("Pas de contrat d\u2019entretien.", exact=False)).to_be_visible()
    assert_contrast(page)
    shot(page, "portail-client", full_page=True)

    # A service request opens a ticket on the portal channel.
    form = page.locator("#demande")
    form.get_by_label("Pour quoi ?").select_option(label=f"{mine['pool']['name']} — Pompe à chaleur Zodiac PAC 9 kW")
    form.get_by_role("button", name="Envoyer ma demande").click()
    expect(form.get_by_text("Décrivez en quelques mots ce qui se passe.")).to_be_visible()
    form.get_by_label("Que se passe-t-il ?").fill("La pompe à chaleur affiche E03 et ne chauffe plus.")
    form.get_by_label("C\u2019est urgent", exact=False).check()
    form.get_by_role("button", name="Envoyer ma demande").click()
    expect(form.get_by_role("status")).to_contain_text(re.compile(r"Demande SAV-\d{4}-\d+ envoyée"))
    expect(page.get_by_role("region", name="Mes demandes")).to_contain_text("affiche E03")

    # Another customer's pool, even by its address in the API: not found.
    watched.expect_status(404, f"/api/v1/portal/pools/{theirs['pool']['id']}/analyses")
    status = page.evaluate(
        """async (poolId) => {
             const s = JSON.parse(localStorage.getItem("bassin.session"));
             const auth = {Authorization: `Bearer ${s.access_token}`};
             const answer = await fetch(`/api/v1/portal/pools/${poolId}/analyses`, {headers: auth});
             return answer.status;
           }""",
        theirs["pool"]["id"],
    )
    assert status == 404
    # And the company's screens are closed to a customer.
    page.goto(f"{BASE}/stock")
    expect(page.get_by_text("Votre rôle ne donne pas accès à cet écran.")).to_be_visible()

    page.set_viewport_size(PHONE)
    page.goto(f"{BASE}/portail")
    expect(page.locator("[data-invoice]")).to_have_count(1)
    assert_usable_at_375(page, "/portail")
    shot(page, "portail-client-375px", full_page=True)


# --- the manufacturer's portal --------------------------------------------------------------------------


def test_a_partner_sees_only_its_brands_returns_answers_one_and_rotates_its_secret(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    tag = uuid.uuid4().hex[:6]
    serials = {"pentair": f"PNT-{tag}", "zodiac": f"ZOD-{tag}"}
    file = customer_with_pool(
        page, f"Leroy-{tag}", [pump("Pentair", serials["pentair"]), pump("Zodiac", serials["zodiac"])]
    )
    for equipment in file["equipment"]:
        ticket = until(
            page,
            "POST",
            "/api/v1/sav/tickets",
            {"equipment_id": equipment["id"], "channel": "phone", "description": "Ne chauffe plus."},
        )
        call(
            page,
            "POST",
            "/api/v1/sav/warranty-returns",
            {
                "ticket_id": ticket["id"],
                "fault_description": "Compresseur bloqué.",
                "error_code": "E07",
                "proof_of_purchase": f"Facture FA-{tag}",
            },
        )
    brand = "pentair"
    key = call(page, "POST", "/api/v1/partners/keys", {"brand": brand, "name": "SAV Pentair"})["key"]
    status, _ = page.evaluate(
        CALL,
        [
            "POST",
            "/api/v1/notifications/partners",
            {"brand": brand, "name": "Pentair", "webhook_url": "https://rma.pentair.example/bassin"},
        ],
    )
    assert status in (201, 422)  # 422: already a partner, from an earlier run on this database
    page.get_by_role("button", name="Se déconnecter").click()

    page.goto(f"{BASE}/connexion-partenaire")
    expect(page.get_by_role("heading", name="Espace constructeur")).to_be_visible()
    page.get_by_label("Clé d\u2019accès").fill(key)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{BASE}/partenaire")
    expect(page.get_by_role("heading", name="Retours garantie — pentair")).to_be_visible()
    mine = page.locator(f"[data-return='{serials['pentair']}']")
    expect(mine).to_contain_text("Compresseur bloqué.")
    expect(page.locator(f"[data-return='{serials['zodiac']}']")).to_have_count(0)
    expect(page.get_by_text(serials["zodiac"])).to_have_count(0)
    expect(mine).not_to_contain_text(f"Leroy-{tag}")  # no customer's name to a manufacturer
    mine.get_by_label("Nouveau statut").select_option(label="Accepté")
    mine.get_by_label("Note pour l\u2019installateur").fill("Accord RMA 77-001")
    mine.get_by_role("button", name="Envoyer la réponse").click()
    expect(mine.get_by_role("status")).to_contain_text("Réponse enregistrée : Accepté.")
    expect(mine).to_contain_text("Accord RMA 77-001")

    webhook = page.locator("#webhook")
    webhook.get_by_label("Adresse de votre webhook").fill("https://hooks.pentair.example/bassin")
    webhook.get_by_role("button", name="Enregistrer l\u2019adresse").click()
    expect(webhook.get_by_role("status")).to_contain_text("https://hooks.pentair.example/bassin")
    page.once("dialog", lambda dialog: dialog.accept())
    webhook.get_by_role("button", name="Renouveler le secret de signature").click()
    secret = webhook.locator("[data-secret]")
    expect(secret).to_have_text(re.compile(r"^whsec_[A-Za-z0-9_-]{20,}$"))
    first = secret.text_content()
    page.once("dialog", lambda dialog: dialog.accept())
    webhook.get_by_role("button", name="Renouveler le secret de signature").click()
    expect(secret).not_to_have_text(first)
    assert_contrast(page)
    shot(page, "portail-constructeur", full_page=True)

    page.set_viewport_size(PHONE)
    page.goto(f"{BASE}/partenaire")
    expect(page.locator("[data-return]").first).to_be_visible()
    assert_usable_at_375(page, "/partenaire")
    shot(page, "portail-constructeur-375px", full_page=True)


def test_a_wrong_partner_key_is_refused_in_french(watched: Watched) -> None:
    watched.expect_status(401, "/api/v1/partners/me")
    page = watched.page
    page.goto(f"{BASE}/connexion-partenaire")
    page.get_by_label("Clé d\u2019accès").fill("pas-une-cle")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Une clé d\u2019accès commence par bassin_pk_.")).to_be_visible()
    page.get_by_label("Clé d\u2019accès").fill("bassin_pk_" + "x" * 40)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Cette clé n\u2019est pas valable")


# --- the manager's settings -----------------------------------------------------------------------------


def test_the_manager_invites_a_user_edits_an_alert_template_and_the_legal_details(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Paramètres").click()
    page.wait_for_url(f"{BASE}/parametres")
    expect(page.get_by_role("heading", name="Paramètres")).to_be_visible()
    email = f"tech-{uuid.uuid4().hex[:6]}@example.fr"
    invitation = page.locator("#invitation")
    invitation.get_by_label("Adresse e-mail").fill(email)
    invitation.get_by_label("Nom complet").fill("Julien Martin")
    invitation.get_by_role("button", name="Envoyer l\u2019invitation").click()
    expect(invitation.get_by_role("status")).to_contain_text(f"Invitation envoyée à {email}")
    row = page.locator(f"[data-user='{email}']")
    expect(row).to_contain_text("Technicien")
    expect(row).to_contain_text("Invité")
    row.get_by_role("button", name="Changer les rôles de Julien Martin").click()
    row.get_by_label("Bureau").check()
    row.get_by_role("button", name="Enregistrer les rôles").click()
    expect(page.locator(f"[data-user='{email}']")).to_contain_text("Bureau, Technicien")
    assert_contrast(page)
    shot(page, "parametres-utilisateurs")

    page.get_by_role("link", name="Alertes et messages").click()
    page.wait_for_url(f"{BASE}/parametres?vue=alertes")
    rule = page.locator("[data-rule]").first
    rule.get_by_role("button").first.click()
    template = rule.get_by_label("Message (modèle)")
    expect(template).to_be_visible()
    template.fill(TEMPLATE)
    rule.get_by_role("button", name="Enregistrer la règle").click()
    expect(page.get_by_role("status").first).to_contain_text("enregistrée")
    rule = page.locator("[data-rule]").first
    rule.get_by_role("button").first.click()
    expect(rule.get_by_label("Message (modèle)")).to_have_value(TEMPLATE)
    shot(page, "parametres-alertes")

    page.get_by_role("link", name="Société").click()
    page.wait_for_url(f"{BASE}/parametres?vue=societe")
    page.get_by_label("Raison sociale").fill("Piscines du Gard")
    page.get_by_label("Adresse", exact=True).fill("ZA des Costières, 12 rue de l\u2019Écluse\n30900 Nîmes")
    page.get_by_label("SIRET").fill("81234567800021")
    page.get_by_label("Délai de paiement (jours)").fill("45")
    page.get_by_role("button", name="Enregistrer les mentions légales").click()
    expect(page.get_by_role("status")).to_contain_text("Mentions légales enregistrées")
    page.reload()
    expect(page.get_by_label("SIRET")).to_have_value("81234567800021")
    expect(page.get_by_label("Délai de paiement (jours)")).to_have_value("45")
    assert_contrast(page)
    shot(page, "parametres-societe")

    tabs = (
        ("Types de bassin", "types de bassin"),
        ("Prestations", "Nouvelle prestation"),
        ("Questions SAV", "Nouvelles questions"),
        ("Cibles d\u2019analyse", "Cibles de l\u2019entreprise"),
    )
    for tab, heading in tabs:
        page.get_by_role("link", name=tab).click()
        expect(page.get_by_text(heading, exact=False).first).to_be_visible()
        assert_contrast(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{BASE}/parametres")
    expect(page.locator("[data-user]").first).to_be_visible()
    assert_usable_at_375(page, "/parametres")
