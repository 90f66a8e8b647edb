"""Journeys through the screens in Chromium, run by test_browser.py (in a process of their
own: see there) against the system ``./bassin start`` started, logged in as its demo login.

These are the foundation's journeys (login, dashboard, till, stock); each area adds its own
``journeys_<area>.py`` beside this one, built on ``browsing.py``. Every journey fails on a
console error, an uncaught exception or a failed request (a status >= 400 that the journey
did not expect). The main screens' pictures are written to .bassin/screenshots/;
``BASSIN_SCREENSHOTS=docs/screenshots`` refreshes the documentation's.
"""

from __future__ import annotations

import math
import re
import time

import pytest
from browsing import (
    BASE,
    BUDGET_BYTES,
    EMAIL,
    EUROS,
    LOGIN_URL,
    PASSWORD,
    PHONE,
    SHOP_PC,
    SKIP_UNLESS_STARTED,
    TABLET,
    THRESHOLDS_PATH,
    Watched,
    assert_contrast,
    assert_usable_at_375,
    horizontal_overflow,
    log_in,
    sell,
    shot,
)
from playwright.sync_api import expect

from bassin_dev.demo import DEMO_CASHIER_EMAIL

pytestmark = SKIP_UNLESS_STARTED


# --- the journeys --------------------------------------------------------------------------------


def test_the_printed_url_and_the_demo_login_land_on_the_dashboard(watched: Watched) -> None:
    page = watched.page
    page.goto(f"{BASE}/")  # the bare address too: to the login page
    page.wait_for_url(LOGIN_URL)
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail")).to_be_focused()
    shot(page, "connexion")
    log_in(page)
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Navigation principale")
    for screen in ("Tableau de bord", "Caisse", "Stock"):  # a manager may use them all
        expect(navigation.get_by_role("link", name=screen, exact=True)).to_be_visible()
    till = page.locator("[data-widget=caisse]")
    expect(till.get_by_role("heading", name="Caisse du jour")).to_be_visible()
    expect(till.locator("[data-figure=total]")).to_have_text(EUROS)
    expect(page.locator("[data-widget=panier]").get_by_role("heading", name="Stock à réapprovisionner")).to_be_visible()
    expect(page.get_by_text(re.compile(r"nous sommes le \w+ \d{1,2} \w+ \d{4}"))).to_be_visible()  # French, from Intl
    assert_contrast(page)
    shot(page, "tableau-de-bord")

    # What the login page and the dashboard loaded: JavaScript and CSS, as sent, within the budget.
    loaded = {path: size for path, size in watched.bodies.items() if path.endswith((".js", ".css"))}
    total = sum(loaded.values())
    print(f"first screen: {len(loaded)} JS/CSS files, {total} bytes as sent (gzip): {loaded}")
    assert {"/ui/app.js", "/ui/app.css", "/ui/screens/login.js", "/ui/screens/dashboard.js"} <= loaded.keys()
    assert 0 < total < BUDGET_BYTES
    everything = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(BASE) for url in everything), everything  # nothing from elsewhere


def test_the_cashier_sees_the_till_and_the_stock_not_the_basket_nor_the_thresholds(watched: Watched) -> None:
    page = watched.page
    log_in(page, email=DEMO_CASHIER_EMAIL)
    navigation = page.get_by_role("navigation", name="Navigation principale")
    # What a cashier may read: the till, the stock, the customer files and the worksites' planning.
    expect(navigation.get_by_role("link")).to_have_text(["Tableau de bord", "Caisse", "Stock", "Clients", "Chantiers"])
    expect(page.locator("[data-widget=caisse]")).to_be_visible()
    expect(page.locator("[data-widget=panier]")).to_have_count(0)  # manage_stock: not a cashier's
    expect(page.get_by_text("Lucie Roux")).to_be_visible()
    page.get_by_role("link", name="Stock", exact=True).click()
    expect(page.get_by_role("link", name="Panier fournisseur")).to_have_count(0)
    page.get_by_label("Rechercher un article (référence ou nom)").fill("CHL-GAL-5KG")
    expect(page.locator(".article")).to_have_count(1)  # the search's answer, not the first list's
    page.locator(".article-toggle").click()
    expect(page.locator("table.stock")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Modifier les seuils"))).to_have_count(0)
    page.goto(f"{BASE}/stock?vue=panier")  # by its address: the articles instead
    expect(page.get_by_label("Rechercher un article (référence ou nom)")).to_be_visible()


def test_a_wrong_password_is_said_in_french_and_the_focus_goes_back_to_it(watched: Watched) -> None:
    watched.expect_status(401, "/api/v1/auth/login")
    page = watched.page
    page.goto(LOGIN_URL)
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("E-mail ou mot de passe incorrect")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.get_by_label("Mot de passe").fill("")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Saisissez votre mot de passe.")).to_be_visible()  # next to the field
    assert page.url == LOGIN_URL


def test_the_keyboard_reaches_the_navigation_with_a_visible_focus(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    expect(page.locator("main")).to_be_focused()  # after a change of screen, its content
    page.reload()
    page.keyboard.press("Tab")  # on a page loaded afresh, the skip link first
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    link = page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Caisse", exact=True)
    for _ in range(6):
        page.keyboard.press("Tab")
        if link.evaluate("node => node === document.activeElement"):
            break
    expect(link).to_be_focused()
    outline = link.evaluate("node => getComputedStyle(node).outlineStyle + ' ' + getComputedStyle(node).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    page.keyboard.press("Enter")
    page.wait_for_url(f"{BASE}/caisse")
    expect(page.locator("#scan")).to_be_focused()


def test_a_sale_at_the_till_scanned_searched_split_paid_with_change_and_its_ticket(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    page.get_by_role("link", name="Caisse", exact=True).click()
    scan = page.locator("#scan")
    expect(page.get_by_text(re.compile(r"\d+ articles en caisse"))).to_be_visible()
    expect(scan).to_be_focused()
    page.keyboard.type("CHL-GAL-5KG")  # a scanner: the code, then Enter
    page.keyboard.press("Enter")
    page.keyboard.type("2*sel")  # two of the one article matching "sel"
    page.keyboard.press("Enter")
    page.keyboard.type("pompe")  # a search: the results as large buttons
    page.get_by_role("button", name=re.compile("Pompe de filtration")).click()
    expect(scan).to_be_focused()  # back to the scan field after a click
    expect(scan).to_have_value("")
    lines = page.locator(".lines .line")
    expect(lines).to_have_count(3)
    expect(page.locator("[data-total]")).to_have_text("593,90\u00a0€")
    for box in [page.locator(".stepper button").first.bounding_box(), page.locator(".method").first.bounding_box()]:
        assert box and box["height"] >= 44 and box["width"] >= 44, box  # touch targets

    page.locator("#montant").fill("100")
    page.keyboard.press("F3")  # card: 100,00 €
    expect(page.locator("[data-due]")).to_have_text("493,90\u00a0€")
    expect(scan).to_be_focused()
    page.reload()  # a reload (or a new login) in the middle of a sale: it is still there
    expect(page.get_by_text("Vente en cours reprise.")).to_be_visible()
    expect(lines).to_have_count(3)
    expect(page.locator("[data-due]")).to_have_text("493,90\u00a0€")
    expect(scan).to_be_focused()
    page.locator("#montant").fill("500")
    page.keyboard.press("F2")  # cash: 500,00 € given for 493,90 €
    expect(page.locator("[data-due]")).to_have_text("0,00\u00a0€")
    expect(page.locator("[data-change]")).to_have_text("6,10\u00a0€")
    assert_contrast(page)
    shot(page, "caisse-paiement")
    page.keyboard.press("F9")
    ticket = page.locator(".ticket")
    expect(ticket.get_by_role("heading", name="Ticket de caisse")).to_be_visible()
    expect(ticket.locator("[data-ticket-total]")).to_have_text("593,90\u00a0€")
    expect(ticket).to_contain_text("Carte bancaire")
    expect(ticket).to_contain_text("Espèces")
    expect(ticket).to_contain_text(re.compile(r"Le \d{2}/\d{2}/\d{4} à \d{2}:\d{2}"))
    expect(ticket.get_by_text("Rendu")).to_be_visible()
    assert_contrast(page)
    shot(page, "caisse-ticket")
    page.set_viewport_size(TABLET)  # a 10" tablet at the counter
    shot(page, "caisse-ticket-tablette")
    page.set_viewport_size(SHOP_PC)

    # The next customer: scanning starts a new sale, no dialog to close.
    page.keyboard.type("BAND-TEST-50")
    page.keyboard.press("Enter")
    expect(lines).to_have_count(1)
    expect(page.locator("[data-total]")).to_have_text("11,90\u00a0€")
    expect(ticket).to_be_hidden()

    # The dashboard counts the sale.
    page.get_by_role("link", name="Tableau de bord").click()
    figure = page.locator("[data-widget=caisse] [data-figure=count]")
    expect(figure).not_to_have_text("0")


def test_stock_per_location_and_the_supplier_basket_filled_by_a_sale(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    # 20 of the 25 in the shop: under its minimum of 8, the basket gets what brings it to 40.
    sell(page, "20*CHL-CHOC-1KG")
    page.goto(f"{BASE}/stock")
    page.get_by_label("Rechercher un article (référence ou nom)").fill("choc")
    article = page.locator(".article", has_text="Chlore choc granulés 1 kg")
    expect(page.locator(".article")).to_have_count(1)
    deadline = time.monotonic() + 30  # inventory applies the sale when its event arrives
    while True:
        article.get_by_role("button").click()
        shop = article.locator("tr", has_text="Magasin")
        expect(shop).to_be_visible()
        if shop.locator("td").first.inner_text() == "5" or time.monotonic() > deadline:
            break
        article.get_by_role("button").click()  # closed, to open it again fresh
        page.wait_for_timeout(500)
    expect(shop.locator("td").first).to_have_text("5")
    expect(shop).to_contain_text("Sous le seuil")
    expect(article.locator("tr", has_text="Dépôt")).to_contain_text("50")
    assert_contrast(page)
    shot(page, "stock-article")

    # The thresholds: a refused value said next to its field, then saved with If-Match.
    watched.expect_status(422, THRESHOLDS_PATH)
    watched.expect_status(412, THRESHOLDS_PATH)
    article.get_by_role("button", name="Modifier les seuils\u00a0: Magasin").click()
    form = article.locator("form.thresholds")
    expect(form.get_by_label("Minimum")).to_be_focused()
    form.get_by_label("Minimum").fill("12")
    form.get_by_label("Maximum").fill("10")
    form.get_by_role("button", name="Enregistrer les seuils").click()
    expect(form.get_by_text("Au moins le minimum")).to_be_visible()  # the API's error, in French, at its field
    expect(form.get_by_label("Maximum")).to_have_attribute("aria-invalid", "true")
    # Meanwhile someone else changes them: this form's version is stale.
    changed = page.evaluate(
        """async (articleId) => {
             const s = JSON.parse(localStorage.getItem("bassin.session"));
             const auth = {Authorization: `Bearer ${s.access_token}`};
             const full = await (await fetch(`/api/v1/inventory/articles/${articleId}`, {headers: auth})).json();
             const shop = full.stock.find((l) => l.location_code === "MAG");
             const url = `/api/v1/inventory/articles/${articleId}/stock/${shop.location_id}/thresholds`;
             const answer = await fetch(url, {method: "PUT", body: JSON.stringify({minimum: 9, maximum: 45}),
               headers: {...auth, "Content-Type": "application/json", "If-Match": `"${shop.version}"`}});
             return answer.status;
           }""",
        article.get_attribute("data-id"),
    )
    assert changed == 200
    form.get_by_label("Maximum").fill("60")
    form.get_by_role("button", name="Enregistrer les seuils").click()
    expect(form.get_by_role("alert")).to_contain_text("Quelqu\u2019un a modifié ces seuils entre-temps")
    expect(shop).to_contain_text("45")  # what the other person saved, shown
    form.get_by_role("button", name="Enregistrer les seuils").click()  # made again from it: saved
    expect(article.get_by_role("status")).to_contain_text("Seuils de Magasin enregistrés")
    shop = article.locator("tr", has_text="Magasin")
    expect(shop.locator("td").nth(1)).to_have_text("12")
    expect(shop.locator("td").nth(2)).to_have_text("60")

    page.get_by_role("link", name="Panier fournisseur").click()
    page.wait_for_url(f"{BASE}/stock?vue=panier")
    line = page.locator("tr", has_text="Chlore choc granulés 1 kg")
    expect(line).to_contain_text("55")  # the line follows the new maximum: 60 - 5 on hand
    expect(page.get_by_role("region", name="HydroSud Distribution")).to_be_visible()
    assert_contrast(page)
    shot(page, "stock-panier-fournisseur")
    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.locator("[data-widget=panier]")).to_contain_text("Chlore choc granulés 1 kg")


PUBLIC = ("/connexion", "/mot-de-passe-oublie", "/invitation")


@pytest.mark.parametrize("path", [*PUBLIC, "/", "/caisse", "/stock", "/stock?vue=panier"])
def test_every_screen_is_usable_at_375_px(watched: Watched, path: str) -> None:
    page = watched.page
    page.set_viewport_size(PHONE)
    if path not in PUBLIC:
        log_in(page)
    page.goto(f"{BASE}{path}")
    assert_usable_at_375(page, path)
    if path == "/caisse":
        page.keyboard.type("CHL-GAL-5KG")
        page.keyboard.press("Enter")
        expect(page.locator(".lines .line")).to_have_count(1)
        assert horizontal_overflow(page) <= 0
        shot(page, "caisse-375px", full_page=True)
    if path == "/":
        shot(page, "tableau-de-bord-375px", full_page=True)


def test_an_expired_session_goes_back_to_the_login_with_a_message_then_where_it_was(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    # The session ends elsewhere (revoked, or expired): this tab still holds its tokens.
    page.evaluate(
        """async () => {
             const s = JSON.parse(localStorage.getItem("bassin.session"));
             await fetch("/api/v1/auth/logout", {method: "POST", headers: {"Content-Type": "application/json"},
                                                 body: JSON.stringify({refresh_token: s.refresh_token})});
           }"""
    )
    watched.expect_status(401, "/ui/me")
    watched.expect_status(401, "/api/v1/auth/refresh")
    watched.expect_status(401, "/api/v1/inventory/articles")
    page.goto(f"{BASE}/stock")
    page.wait_for_url(re.compile(r"/connexion\?raison=expiree"))
    expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{BASE}/stock")  # back where the user was
    expect(page.get_by_role("heading", name="Stock", exact=True)).to_be_visible()


def test_logging_out_ends_the_session_on_the_server(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    token = page.evaluate("JSON.parse(localStorage.getItem('bassin.session')).access_token")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/connexion\?raison=deconnexion"))
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté")
    watched.expect_status(401, "/ui/me")
    status = page.evaluate(
        "async (token) => (await fetch('/ui/me', {headers: {Authorization: `Bearer ${token}`}})).status", token
    )
    assert status == 401  # the old access token is refused at once (ADR 0009)
    page.goto(f"{BASE}/caisse")
    page.wait_for_url(re.compile(r"/connexion\?suite=%2Fcaisse"))


def test_amounts_dates_and_times_are_french_through_intl(watched: Watched) -> None:
    page = watched.page
    page.goto(LOGIN_URL)
    formats = page.evaluate(
        """async () => {
             const f = await import("/ui/format.js");
             const noon = new Date(2026, 10, 29, 14, 30);
             return {
               euros: [f.euros(123450), f.euros(5), f.euros(-1990), f.euros(f.cents("39.90") * 3)],
               parsed: [f.parseEuros("1 234,50"), f.parseEuros("12,5"), f.parseEuros("12.50 €"), f.parseEuros("abc")],
               amounts: [f.amount(3990), f.amount(5), f.amount(-120)],
               date: f.date(noon), time: f.time(noon), long: f.longDate(noon),
               midnight: f.startOfToday(noon),
             };
           }"""
    )
    assert formats["euros"] == ["1\u202f234,50\u00a0€", "0,05\u00a0€", "-19,90\u00a0€", "119,70\u00a0€"]
    assert formats["parsed"][:3] == [123450, 1250, 1250] and math.isnan(formats["parsed"][3])
    assert formats["amounts"] == ["39.90", "0.05", "-1.20"]  # what the API takes
    assert (formats["date"], formats["time"], formats["long"]) == ("29/11/2026", "14:30", "dimanche 29 novembre 2026")
    assert formats["midnight"] == "2026-11-29T00:00:00+01:00"  # Paris, in winter


def test_a_service_out_of_reach_is_said_where_it_is_needed_and_the_rest_answers(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    unavailable = {"status": 503, "content_type": "application/problem+json", "headers": {"Retry-After": "5"}}
    body = '{"type": "about:blank", "title": "Service unavailable", "status": 503}'
    watched.expect_status(503, "/ui/me")

    # The stock service down: the dashboard's answer marks its part; that widget says so, with
    # a retry, and the till's widget shows its part.
    def stock_down(route) -> None:
        answer = route.fetch()
        parts = answer.json()
        parts["supplier_basket"] = {"status": "unavailable", "detail": "down", "lines": None, "more": None}
        route.fulfill(response=answer, json=parts)

    page.route("**/api/v1/dashboard*", stock_down)
    page.reload()
    basket = page.locator("[data-widget=panier]")
    expect(basket.get_by_role("alert")).to_contain_text("Indisponible pour le moment\u00a0: le service ne répond pas")
    expect(page.locator("[data-widget=caisse] [data-figure=total]")).to_have_text(EUROS)
    page.unroute("**/api/v1/dashboard*")
    basket.get_by_role("button", name="Réessayer").click()
    expect(basket.get_by_role("link", name=re.compile("panier fournisseur|Voir le stock"))).to_be_visible()
    # The gateway cannot say who the user is: said, with a retry, not a blank page.
    page.route("**/ui/me", lambda route: route.fulfill(**unavailable, body=body))
    page.reload()
    expect(page.get_by_role("heading", name="Bassin ne répond pas")).to_be_visible()
    page.unroute("**/ui/me")
    page.get_by_role("button", name="Réessayer").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    # The whole stock service down: the till sells from its own catalogue all the same.
    watched.expect_status(503, "/api/v1/inventory/locations")
    page.route("**/api/v1/inventory/**", lambda route: route.fulfill(**unavailable, body=body))
    sell(page, "CART-FIL-C100")
    expect(page.locator(".ticket [data-ticket-total]")).to_have_text("42,00\u00a0€")
