"""The API's reference, open to anyone (the API's own routes still need a token):

- ``GET /api/openapi.json``: the OpenAPI 3.1 document, rendered from the route
  declarations and the services' schemas by ``./bassin generate`` (the gateway holds no
  service to render it from) and shipped in this package;
- ``GET /api/docs``: an interactive reference, Swagger UI vendored in
  ``bassin_gateway/static`` (nothing is loaded from elsewhere; see its README).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_file

PACKAGE = Path(__file__).resolve().parent.parent
DOCUMENT = PACKAGE / "openapi.json"
STATIC = PACKAGE / "static"

# The page runs our scripts and Swagger UI's only, and talks to this origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

routes = Blueprint("docs", __name__, url_prefix="/api", static_folder=STATIC, static_url_path="/docs/assets")


@routes.get("/openapi.json")
def openapi_document():
    # Revalidated each time (no-cache), answered 304 while the document is unchanged.
    response = send_file(DOCUMENT, mimetype="application/json", etag=True, max_age=0, conditional=True)
    response.headers["Access-Control-Allow-Origin"] = "*"  # public: tools elsewhere may read it
    return response


@routes.get("/docs")
def reference():
    response = send_file(STATIC / "docs.html", mimetype="text/html", etag=True, max_age=0, conditional=True)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
