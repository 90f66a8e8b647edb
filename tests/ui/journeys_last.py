"""The foundation's journeys that change the demo company for good — it gets a second shop,
its cashier a new password — run after every other journeys file (test_browser.py orders
them last), so that none of those meets a company it does not expect.
"""

from __future__ import annotations

import re
import time

from browsing import (
    BASE,
    LOGIN_URL,
    SKIP_UNLESS_STARTED,
    START_LOG,
    Watched,
    log_in,
)
from playwright.sync_api import expect

from bassin_dev.demo import DEMO_CASHIER_EMAIL

pytestmark = SKIP_UNLESS_STARTED


def test_a_till_of_a_company_with_two_shops_says_which_shop_it_sells_in(watched: Watched) -> None:
    # Last of the journeys: the demo company gets a second shop.
    page = watched.page
    log_in(page)
    created = page.evaluate(
        """async () => {
             const s = JSON.parse(localStorage.getItem("bassin.session"));
             const answer = await fetch("/api/v1/inventory/locations", {method: "POST",
               headers: {"Content-Type": "application/json", Authorization: `Bearer ${s.access_token}`},
               body: JSON.stringify({code: "MAG2", name: "Magasin d'Uzès", kind: "shop"})});
             return answer.status;
           }"""
    )
    assert created == 201
    page.get_by_role("link", name="Caisse", exact=True).click()
    shop = page.get_by_label("Magasin de cette caisse")
    expect(shop).to_be_visible()
    shop.select_option(label="Magasin (MAG)")
    expect(page.locator("#scan")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/pos/sales") and r.request.method == "POST") as sent:
        page.keyboard.type("CHL-GAL-5KG")
        page.keyboard.press("Enter")
        page.keyboard.press("F3")  # card, the whole amount
        page.keyboard.press("F9")
    sale = sent.value.json()
    shops = page.evaluate(
        """async () => {
             const s = JSON.parse(localStorage.getItem("bassin.session"));
             const page = await (await fetch("/api/v1/inventory/locations?limit=200",
               {headers: {Authorization: `Bearer ${s.access_token}`}})).json();
             return Object.fromEntries(page.items.map((l) => [l.code, l.id]));
           }"""
    )
    assert sale["location_id"] == shops["MAG"]
    page.reload()  # remembered on this computer
    expect(page.get_by_label("Magasin de cette caisse")).to_have_value(shops["MAG"])


def test_a_link_that_is_no_longer_valid_says_so_and_offers_a_new_one(watched: Watched) -> None:
    watched.expect_status(422, "/api/v1/auth/invitation/accept")
    page = watched.page
    page.goto(f"{BASE}/invitation#token=deja-utilise-0123456789")
    expect(page.get_by_role("heading", name="Bienvenue dans Bassin")).to_be_visible()
    page.get_by_label("Mot de passe (10 caractères au moins)").fill("court")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_text("10 caractères au moins.", exact=True)).to_be_visible()
    page.get_by_label("Mot de passe (10 caractères au moins)").fill("Galets-Chlore-2026")
    page.get_by_label("Le même, pour vérifier").fill("Galets-Chlore-2026")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce lien n\u2019est plus valable")
    page.get_by_role("link", name="Demander un nouveau lien").click()
    page.wait_for_url(f"{BASE}/mot-de-passe-oublie")


def test_a_forgotten_password_is_chosen_again_through_the_e_mailed_link(watched: Watched) -> None:
    # Last: the demo cashier's password changes.
    page = watched.page
    page.goto(LOGIN_URL)
    page.get_by_role("link", name="Mot de passe oublié").click()
    # The login page has an "Adresse e-mail" too: fill the new screen's, once it is shown.
    expect(page.get_by_role("heading", name="Mot de passe oublié")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill(DEMO_CASHIER_EMAIL)
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.get_by_role("status")).to_contain_text("un lien vient d\u2019y être envoyé")
    link = re.compile(r"(/password-reset#token=[A-Za-z0-9_-]+)")
    deadline = time.monotonic() + 20  # sent after the answer (console mode: in the log)
    while not (found := link.findall(START_LOG.read_text())) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert found, "no reset e-mail in ./bassin start's output"
    page.goto(f"{BASE}{found[-1]}")
    expect(page.get_by_role("heading", name="Nouveau mot de passe")).to_be_visible()
    page.get_by_label("Mot de passe (10 caractères au moins)").fill("Galets-Chlore-2026")
    page.get_by_label("Le même, pour vérifier").fill("Galets-Chlore-2026")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_url(re.compile(r"/connexion\?raison=mot-de-passe"))
    expect(page.get_by_role("status")).to_contain_text("Mot de passe enregistré")
    page.get_by_label("Adresse e-mail").fill(DEMO_CASHIER_EMAIL)
    page.get_by_label("Mot de passe").fill("Galets-Chlore-2026")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{BASE}/")
    expect(page.get_by_text("Lucie Roux")).to_be_visible()
