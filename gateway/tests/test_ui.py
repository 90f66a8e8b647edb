"""The web interface (ADR 0026) as the gateway serves it: the pages, their assets from this
package only (nothing from elsewhere), compressed and revalidated, within the size budget;
``/ui/me`` tells the navigation what the caller's company lets it do. What the screens do
in a browser is tested in tests/ui (Chromium)."""

from __future__ import annotations

import gzip
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bassin_gateway import identities
from bassin_gateway.models import LoginSession, TenantPermission
from bassin_gateway.tokens import TokenService
from bassin_gateway.ui import PAGES, ROOT

BUDGET_BYTES = 200 * 1024  # the first screen's JavaScript and CSS, compressed (issue #26)


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "script" and not named.get("src"):
            self.inline_scripts += 1
        assert "style" not in named, f"inline style on <{tag}>: the CSP refuses it"


@pytest.mark.parametrize("path", PAGES)
def test_every_screen_s_path_answers_the_page_with_a_strict_policy(stand_in_app, path: str) -> None:
    app, rpc = stand_in_app()
    page = app.test_client().get(path)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-cache"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert '<html lang="fr">' in page.get_data(as_text=True)
    assert rpc.calls == []


def test_the_page_loads_only_this_gateway_s_files(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    html = client.get("/").get_data(as_text=True)
    references = References()
    references.feed(html)
    assert references.inline_scripts == 0
    assert set(references.urls) == {"/ui/icon.svg", "/ui/app.css", "/ui/app.js", "#contenu"}
    for url in references.urls:
        if url.startswith("/"):
            assert client.get(url).status_code == 200, url


def test_no_file_of_the_interface_names_another_origin() -> None:
    for path in ROOT.rglob("*"):
        if path.is_file() and path.suffix not in {".png", ".jpg", ".webp"}:  # pictures (the phone's icons)
            text = path.read_text()
            text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
            text = text.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace (createElementNS): a name
            assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path  # no CDN, no tracker
            imports = re.findall(r"""(?:from|import)\s*\(?\s*["']([^"']+)["']""", text) if path.suffix == ".js" else []
            assert all(name.startswith(("./", "../")) for name in imports), (path, imports)


def test_assets_are_compressed_and_revalidated(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    plain = client.get("/ui/app.js")
    assert plain.status_code == 200 and plain.mimetype == "text/javascript"  # a module needs a JS type
    compressed = client.get("/ui/app.js", headers={"Accept-Encoding": "gzip, br"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(compressed.get_data()) == plain.get_data() == (ROOT / "app.js").read_bytes()
    assert len(compressed.get_data()) < len(plain.get_data())
    for response in (plain, compressed):
        again = client.get(
            "/ui/app.js",
            headers={
                "If-None-Match": response.headers["ETag"],
                "Accept-Encoding": response.headers.get("Content-Encoding", ""),
            },
        )
        assert again.status_code == 304


@pytest.mark.parametrize("path", ["/ui/nothing.js", "/ui/../ui.py", "/ui/%2e%2e/ui.py", "/ui/screens", "/connexion/x"])
def test_nothing_but_the_interface_s_files_is_served(stand_in_app, path: str) -> None:
    assert stand_in_app()[0].test_client().get(path).status_code == 404


def test_the_whole_interface_is_within_the_first_screen_s_budget() -> None:
    # Every JS and CSS file of the interface, compressed as served: a bound on what any
    # first screen loads (the browser test measures what it really loads).
    sizes = {
        path.relative_to(ROOT).as_posix(): len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
        for path in ROOT.rglob("*")
        if path.suffix in (".js", ".css")
    }
    assert sum(sizes.values()) < BUDGET_BYTES, sizes


def test_me_needs_a_token(stand_in_app) -> None:
    response = stand_in_app()[0].test_client().get("/ui/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_me_says_what_the_caller_may_do_by_default(stand_in_app, bearer) -> None:
    client = stand_in_app()[0].test_client()
    cashier = client.get("/ui/me", headers=bearer("cashier")).get_json()
    assert cashier["roles"] == ["cashier"]
    assert "record_sales" in cashier["permissions"] and "read_business_data" in cashier["permissions"]
    assert "manage_stock" not in cashier["permissions"] and "manage_users" not in cashier["permissions"]
    manager = client.get("/ui/me", headers=bearer("manager")).get_json()
    assert {"manage_stock", "manage_users", "record_sales"} <= set(manager["permissions"])


def test_me_follows_the_company_s_permission_table(stand_in_app, gateway_database, gateway_settings) -> None:
    # The company lets its sales people keep the stock: the navigation must show it to them.
    suffix = uuid.uuid4().hex[:12]
    with gateway_database() as session:
        tenant = identities.create_tenant(session, f"t-{suffix}", f"Piscines {suffix}")
        user = identities.create_user(session, tenant.id, f"u-{suffix}@example.fr", None, "Vendeur", ["sales"])
        session.add(
            TenantPermission(tenant_id=tenant.id, permission="manage_stock", roles=["manager", "office", "sales"])
        )
        login = LoginSession(user_id=user.id)
        session.add(login)
        session.commit()
    token = TokenService.from_settings(gateway_settings()).issue(user.id, tenant.id, ["sales"], login.id, None)
    me = stand_in_app()[0].test_client().get("/ui/me", headers={"Authorization": f"Bearer {token}"})
    assert me.headers["Cache-Control"] == "no-store"
    assert "manage_stock" in me.get_json()["permissions"]
    assert me.get_json()["user_id"] == str(user.id)


def test_the_static_folder_is_shipped_with_the_package() -> None:
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"static/**/*"' in pyproject  # static/ui/screens/*.js are in the wheel and the image
