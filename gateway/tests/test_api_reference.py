"""The API's reference is public and self-contained: the OpenAPI document at
``/api/openapi.json`` and Swagger UI at ``/api/docs``, served from files of this package,
nothing loaded from elsewhere; the API's own routes still need a token. Every route of
the API is in the document."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import bassin_gateway

DOCUMENT = Path(bassin_gateway.__file__).parent / "openapi.json"


class References(HTMLParser):
    """Every URL a page loads: src and href attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_document_is_served_to_anyone_as_committed(stand_in_app) -> None:
    app, rpc = stand_in_app()
    client = app.test_client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document == json.loads(DOCUMENT.read_text())
    assert document["openapi"] == "3.1.0"
    again = client.get("/api/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert rpc.calls == []


def test_the_reference_page_loads_only_this_gateway_s_files(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    references = References()
    references.feed(html)
    assert references.urls, html
    for url in references.urls:
        assert url.startswith("/") and not url.startswith("//"), url  # this origin only
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.get_data()) > 0
    assert {url.rsplit("/", 1)[1] for url in references.urls} == {"swagger-ui.css", "swagger-ui-bundle.js", "docs.js"}
    assert not re.search(r"https?://", html)
    script = client.get("/api/docs/assets/docs.js").get_data(as_text=True)
    assert 'url: "/api/openapi.json"' in script
    assert "validatorUrl: null" in script  # Swagger UI would otherwise send the document to its online validator
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "connect-src 'self'" in policy


def test_the_vendored_swagger_ui_says_where_it_comes_from(stand_in_app) -> None:
    client = stand_in_app()[0].test_client()
    readme = client.get("/api/docs/assets/swagger-ui/README.md").get_data(as_text=True)
    assert "swagger-ui-dist" in readme and "5.35.0" in readme
    assert "Apache License" in client.get("/api/docs/assets/swagger-ui/LICENSE").get_data(as_text=True)


def test_the_api_itself_still_needs_a_token(stand_in_app) -> None:
    app, rpc = stand_in_app()
    client = app.test_client()
    for url in ("/api/v1/inventory/locations", "/api/v1/pos/sales"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert rpc.calls == []


def test_every_route_of_the_api_is_in_the_document(stand_in_app) -> None:
    app = stand_in_app()[0]
    documented = {
        (method.upper(), path)
        for path, operations in json.loads(DOCUMENT.read_text())["paths"].items()
        for method in operations
    }
    served = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == documented
