"""The web interface (ADR 0026): static ES modules served from ``static/ui``, no build step.

- the pages (``PAGES``) all answer ``index.html``; the client's router shows the screen of
  the path. A new screen adds its path here and its module to ``SCREENS`` in ``ui/app.js``;
- the assets under ``/ui/``, revalidated on each load (ETag, 304) and gzip-compressed when
  the browser accepts it;
- ``GET /ui/me``: who the caller is and which actions its company grants it, for the
  navigation (the roles alone do not say it: a company may change its permission table);
- ``GET``/``PUT /ui/dashboard-widgets``: the dashboard's widgets the user chose, in order,
  kept per user on the server (``null``: never chosen, the screen's default).

The screens call the JSON API under ``/api/v1`` with the user's bearer token, as any client.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request, send_file
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from bassin_common.errors import Forbidden
from bassin_common.permissions import PERMISSIONS, STAFF
from bassin_common.schemas import StrictSchema, load_or_reject
from bassin_common.tenancy import RequestContext
from bassin_gateway.app import authenticate, bassin, json_body
from bassin_gateway.models import DashboardLayout

ROOT = Path(__file__).resolve().parent / "static" / "ui"
INDEX = ROOT / "index.html"

# The screens' paths: each answers the page, whose router shows the screen.
PAGES = (
    "/",
    "/connexion",
    "/mot-de-passe-oublie",
    "/invitation",
    "/password-reset",
    "/caisse",
    "/stock",
    # Customer file, prospects and quotes (issue 26, customer file)
    "/clients",
    "/client",
    "/prospects",
    "/devis",
    # shop and office (issue 26): cash session and Z report, purchasing, billing
    "/caisse/session",
    "/achats",
    "/facturation",
    # the field: worksite planner and SAV desk (issue 27)
    "/chantiers",
    "/sav",
    # portals and settings (issue 27)
    "/portail",
    "/partenaire",
    "/connexion-partenaire",
    "/parametres",
    # the technician's phone (issue #27, ADR 0027)
    "/technicien",
)

# The pages run this origin's scripts and styles only, and talk to this origin only; no
# inline script or style (the screens build the DOM with text nodes).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
COMPRESSIBLE = {".js", ".css", ".html", ".svg", ".json", ".webmanifest"}
mimetypes.add_type("application/manifest+json", ".webmanifest")

routes = Blueprint("ui", __name__)


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-cache"
    return response


def page():
    return _secured(_file(INDEX))


for _path in PAGES:
    routes.add_url_rule(_path, f"page{_path.replace('/', '_')}", page, methods=["GET"])


@routes.get("/ui/<path:name>")
def asset(name: str):
    path = (ROOT / name).resolve()
    if not path.is_relative_to(ROOT) or not path.is_file():
        abort(404)
    return _secured(_file(path))


@routes.get("/ui/me")
def me():
    """The caller and the actions it may take (their names in ``bassin_common.permissions``)."""
    context, grants = authenticate()
    allowed = [p.name for p in PERMISSIONS if p.allows(context.roles, grants.get(p.name))]
    response = jsonify(user_id=context.user_id, roles=sorted(context.roles), permissions=allowed)
    response.headers["Cache-Control"] = "no-store"
    return response


class DashboardWidgets(StrictSchema):
    """The widgets chosen, in order (their ids in ``ui/screens/dashboard.js``)."""

    widgets = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9-]{0,39}$")),
        required=True,
        validate=validate.Length(max=30),
    )


def _widgets_answer(widgets: list[str] | None) -> Response:
    response = jsonify(widgets=widgets)
    response.headers["Cache-Control"] = "no-store"
    return response


def _staff() -> RequestContext:
    """The caller, a member of the staff (the dashboard is theirs: not a portal's, nor a key's)."""
    context, _ = authenticate()
    if STAFF.isdisjoint(context.roles):
        raise Forbidden("the dashboard is the staff's")
    return context


@routes.get("/ui/dashboard-widgets")
def dashboard_widgets():
    """The widgets the caller chose, in order; ``null`` when it never chose."""
    context = _staff()
    with bassin("sessions")() as session:
        chosen = session.scalar(select(DashboardLayout.widgets).where(DashboardLayout.user_id == context.user_id))
    return _widgets_answer(chosen)


@routes.put("/ui/dashboard-widgets")
def choose_dashboard_widgets():
    """Keep the caller's choice (each widget once, in the order given)."""
    context = _staff()
    widgets = list(dict.fromkeys(load_or_reject(DashboardWidgets(), json_body())["widgets"]))
    with bassin("sessions")() as session:
        statement = insert(DashboardLayout).values(user_id=context.user_id, widgets=widgets)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[DashboardLayout.user_id],
                set_={"widgets": widgets, "updated_at": statement.excluded.updated_at},
            )
        )
        session.commit()
    return _widgets_answer(widgets)


# --- the technician's phone: installable, offline first (ADR 0027) ---

# What the phone needs to start with no network: the page, its modules, the stylesheet, the
# icon and the manifest. The service worker caches exactly these, under a version that is
# their hash: a change to any of them is a new worker, which replaces the cache.
TECHNICIAN_SHELL = (
    "/technicien",
    "/ui/app.js",
    "/ui/api.js",
    "/ui/dom.js",
    "/ui/format.js",
    "/ui/app.css",
    "/ui/icon.svg",
    "/ui/screens/login.js",
    "/ui/screens/technician.js",
    "/ui/technician/store.js",
    "/ui/technician/outbox.js",
    "/ui/technician/signature.js",
    "/ui/technician/technician.css",
    "/ui/technician/manifest.webmanifest",
)
SERVICE_WORKER = ROOT / "technician" / "sw.js"


def _shell_file(path: str) -> Path:
    return INDEX if path == "/technicien" else ROOT / path.removeprefix("/ui/")


@routes.get("/technicien-sw.js")
def technician_service_worker():
    """The service worker, its version (the shell's hash) and shell written in; served from
    the root so that its scope can be ``/technicien``."""
    files = [SERVICE_WORKER, *(_shell_file(path) for path in TECHNICIAN_SHELL)]
    version = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    script = SERVICE_WORKER.read_text().replace("__VERSION__", version)
    script = script.replace("__SHELL__", json.dumps(list(TECHNICIAN_SHELL)))
    response = Response(script, mimetype="text/javascript")
    response.set_etag(version)
    return _secured(response.make_conditional(request))


def _file(path: Path) -> Response:
    """``path``, compressed when the client accepts gzip, answered 304 while unchanged."""
    stat = path.stat()
    gzipped = path.suffix in COMPRESSIBLE and "gzip" in request.headers.get("Accept-Encoding", "")
    if not gzipped:
        return send_file(path, etag=True, max_age=0, conditional=True)
    body, etag = _compressed(str(path), stat.st_mtime_ns, stat.st_size)
    response = Response(body, mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(etag)
    return response.make_conditional(request)


@lru_cache(maxsize=256)
def _compressed(path: str, _mtime_ns: int, _size: int) -> tuple[bytes, str]:
    """The file's gzip and its ETag, computed once per version of the file."""
    raw = Path(path).read_bytes()
    return gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()[:32] + "-gz"
