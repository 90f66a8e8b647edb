"""What every browser journey shares (imported by each ``journeys*.py``, which
tests/ui/test_browser.py runs in a child pytest against the system ``./bassin start``
started): the browser, a watched page that fails a journey on a console error, an uncaught
exception or an unexpected failed request, logging in, screenshots for the documentation,
and the checks every screen must pass (contrast, no sideways scroll at 375 px).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

LOGIN_URL = os.environ.get("BASSIN_UI_LOGIN_URL", "")
BASE = LOGIN_URL.rsplit("/connexion", 1)[0]
EMAIL = os.environ.get("BASSIN_UI_EMAIL", "")
PASSWORD = os.environ.get("BASSIN_UI_PASSWORD", "")
CHROMIUM = os.environ.get("BASSIN_UI_CHROMIUM", "/usr/bin/chromium")
START_LOG = Path(os.environ.get("BASSIN_UI_START_LOG", "/nonexistent"))  # ./bassin start's output
# Each run's pictures go to .bassin/ (ignored by git): every run draws new data, so writing
# them into docs/screenshots/ left the tree changed after each test run. To refresh the
# documentation's pictures: BASSIN_SCREENSHOTS=docs/screenshots ./bassin test tests/ui
_REPOSITORY = Path(__file__).parent.parent.parent
SHOTS = _REPOSITORY / os.environ.get("BASSIN_SCREENSHOTS", ".bassin/screenshots")
BUDGET_BYTES = 200 * 1024
SHOP_PC = {"width": 1366, "height": 768}
TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
THRESHOLDS_PATH = re.compile(r"/api/v1/inventory/articles/[^/]+/stock/[^/]+/thresholds")
EUROS = re.compile(r"^-?\d{1,3}(\u202f\d{3})*,\d{2}\u00a0€$")  # 1 234,50 €

SKIP_UNLESS_STARTED = pytest.mark.skipif(not LOGIN_URL, reason="run by tests/ui/test_browser.py, which starts Bassin")


# --- the browser, and what each journey must not see ---------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


class Watched:
    """A page, and the problems seen on it: console errors, exceptions, failed requests."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()
        self.problems: list[str] = []
        self.expected: set[tuple[int, str | re.Pattern]] = set()  # (status, path) a journey provokes
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.bodies: dict[str, int] = {}  # path: bytes of the body as sent (compressed)
        self.page.on("requestfinished", self._finished)

    def expect_status(self, status: int, path: str | re.Pattern) -> None:
        self.expected.add((status, path))

    def _finished(self, request) -> None:
        path = urlsplit(request.url).path
        if path not in self.bodies:  # the first load, not a revalidation
            self.bodies[path] = request.sizes()["responseBodySize"]

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # Chromium logs each 4xx answer; those a journey expects are not problems.
        if any(f"status of {status}" in message.text for status, _ in self.expected):
            return
        self.problems.append(f"console: {message.text}")

    def _failed(self, request) -> None:
        if request.failure and "ERR_ABORTED" in request.failure:  # left behind by a navigation
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response) -> None:
        path = urlsplit(response.url).path
        expected = any(
            status == response.status and (pattern == path if isinstance(pattern, str) else pattern.fullmatch(path))
            for status, pattern in self.expected
        )
        if response.status >= 400 and not expected:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport=SHOP_PC, locale="fr-FR", timezone_id="Europe/Paris")
    watched = Watched(context)
    yield watched
    context.close()
    assert watched.problems == [], "\n".join(watched.problems)


def shot(page: Page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=full_page)


def log_in(page: Page, landing: str = "/", email: str = EMAIL) -> None:
    page.goto(LOGIN_URL)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{BASE}{landing}")
    if landing == "/":  # the dashboard's widgets answered (none left loading)
        expect(page.locator(".widget").first).to_be_visible()
        expect(page.locator(".widget-body", has_text="Chargement")).to_have_count(0)


def sell(page: Page, *entries: str, payments: tuple[tuple[str, str], ...] = ((("", "F3")),)) -> None:
    """At the till: each entry typed into the scan field then Enter (as a scanner does), then
    each payment (amount typed or left empty, then the method's key), then F9."""
    page.goto(f"{BASE}/caisse")
    expect(page.get_by_text(re.compile(r"\d+ articles en caisse"))).to_be_visible()
    for entry in entries:
        page.keyboard.type(entry)
        page.keyboard.press("Enter")
    for amount, key in payments:
        if amount:
            page.locator("#montant").fill(amount)
        page.keyboard.press(key)
    page.keyboard.press("F9")
    expect(page.get_by_role("heading", name="Ticket de caisse")).to_be_visible()


# Every visible text against its background (the first opaque one up the tree): at least
# 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold) — WCAG 2.1 AA. Disabled controls
# are exempt (as WCAG says).
CONTRAST_FAILURES = """() => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
    const [R, G, B] = [r, g, b].map(linear);
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const node = text.parentElement;
    if (!text.textContent.trim() || !node || !node.checkVisibility()) continue;
    if (node.closest(":disabled, .visually-hidden")) continue;
    const style = getComputedStyle(node);
    const [a, b] = [luminance(rgb(style.color).slice(0, 3)), luminance(background(node))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${text.textContent.trim().slice(0, 40)}: ${ratio.toFixed(2)}`);
  }
  return failures;
}"""


def assert_contrast(page: Page) -> None:
    assert page.evaluate(CONTRAST_FAILURES) == [], page.url


def horizontal_overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def assert_usable_at_375(page: Page, path: str) -> None:
    """The page at ``path``, already open at 375 px: no sideways scroll, readable, and every
    control on the screen and big enough for a finger."""
    expect(page.locator("main")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways at 375 px"
    assert_contrast(page)
    controls = "main button:visible, main input:visible, main a.button:visible, header a, header button"
    for control in page.locator(controls).all():
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (path, control, box)
        # A tick box with its label is a 24 px target (WCAG 2.2, 2.5.8); anything else 36 px.
        ticked = control.evaluate("e => e.type === 'checkbox' || e.type === 'radio'")
        assert box["height"] >= (24 if ticked else 36), (path, control, box)
