"""The Flask application: authentication, tenancy, and the REST API v1.

Handlers are thin: authenticate, call services by RPC (several at once when a page
needs several), shape the answer. Business rules live in the services.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bassin_common import logs
from bassin_common.errors import ValidationFailed
from bassin_common.rpc import RpcClient
from bassin_gateway import identities
from bassin_gateway.problems import install_problem_handlers, problem
from bassin_gateway.tokens import InvalidToken, TokenService

log = logging.getLogger("bassin_gateway.access")

CORRELATION_HEADER = "X-Correlation-Id"
STAFF = ("manager", "office", "sales", "technician", "cashier")
SELLERS = ("manager", "office", "sales", "cashier")
BUYERS = ("manager", "office")

api = Blueprint("api", __name__, url_prefix="/api/v1")


def create_app(rpc: RpcClient, sessions: sessionmaker[Session], tokens: TokenService) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the schemas' field order
    app.extensions["bassin"] = {"rpc": rpc, "sessions": sessions, "tokens": tokens}
    install_problem_handlers(app)

    @app.before_request
    def _correlate() -> None:
        g.correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        g.log_token = logs.bind(correlation_id=g.correlation_id)

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        if token := g.pop("log_token", None):
            with contextlib.suppress(ValueError):  # set in another context
                logs.reset(token)

    @app.after_request
    def _echo_correlation(response):
        response.headers[CORRELATION_HEADER] = g.get("correlation_id", "")
        log.info("%s %s %d", request.method, request.path, response.status_code)
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return jsonify(status="ready")

    app.register_blueprint(api)
    return app


def _rpc() -> RpcClient:
    return current_app.extensions["bassin"]["rpc"]


def call(service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    return _rpc().call(g.context, service, method, *args, **kwargs)


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", errors={"_schema": ["expected a JSON object"]})
    return body


def requires(*roles: str) -> Callable:
    """Authenticate the bearer token and require one of ``roles``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return _unauthorized("missing bearer token")
            try:
                context = current_app.extensions["bassin"]["tokens"].verify(token, g.correlation_id)
            except InvalidToken:
                return _unauthorized("invalid or expired token")
            if not context.roles.intersection(roles):
                return problem(403, "Forbidden", f"requires one of the roles: {', '.join(roles)}")
            g.context = context
            logs.bind(tenant_id=str(context.tenant_id), user_id=context.user_id)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _unauthorized(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="bassin"'
    return response


@api.post("/auth/login")
def login():
    body = json_body()
    errors = {f: ["required"] for f in ("email", "password") if not isinstance(body.get(f), str) or not body[f]}
    if errors:
        raise ValidationFailed("email and password are required", errors=errors)
    bassin = current_app.extensions["bassin"]
    with bassin["sessions"]() as session:
        user = identities.authenticate(session, body["email"], body["password"])
        if user is None:
            return problem(401, "Unauthorized", "wrong e-mail or password")
        session.commit()  # a rehashed password, if any
        token = bassin["tokens"].issue(user.id, user.tenant_id, list(user.roles))
        return jsonify(
            access_token=token,
            token_type="Bearer",
            expires_in=bassin["tokens"].ttl_seconds,
            user={"id": str(user.id), "email": user.email, "full_name": user.full_name, "roles": user.roles},
        )


IDEMPOTENCY_KEY_MAX_LENGTH = 100


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationFailed(
            "invalid Idempotency-Key",
            errors={"Idempotency-Key": [f"1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters"]},
        )
    return key


@api.post("/pos/sales")
@requires(*SELLERS)
def record_sale():
    sale = call("pos", "record_sale", json_body(), request_id=idempotency_key())
    return jsonify(sale), 201, {"Location": f"/api/v1/pos/sales/{sale['id']}"}


@api.get("/pos/sales/<sale_id>")
@requires(*STAFF)
def get_sale(sale_id: str):
    return jsonify(call("pos", "get_sale", sale_id))


@api.get("/inventory/locations")
@requires(*STAFF)
def list_locations():
    return jsonify(call("inventory", "list_locations"))


@api.post("/inventory/locations")
@requires(*BUYERS)
def create_location():
    return jsonify(call("inventory", "create_location", json_body())), 201


@api.get("/inventory/suppliers")
@requires(*STAFF)
def list_suppliers():
    return jsonify(call("inventory", "list_suppliers"))


@api.post("/inventory/suppliers")
@requires(*BUYERS)
def create_supplier():
    return jsonify(call("inventory", "create_supplier", json_body())), 201


@api.post("/inventory/articles")
@requires(*BUYERS)
def create_article():
    article = call("inventory", "create_article", json_body())
    return jsonify(article), 201, {"Location": f"/api/v1/inventory/articles/{article['id']}"}


@api.get("/inventory/articles")
@requires(*STAFF)
def search_articles():
    return jsonify(articles=call("inventory", "search_articles", request.args.to_dict()))


@api.get("/inventory/articles/<article_id>")
@requires(*STAFF)
def get_article(article_id: str):
    return jsonify(call("inventory", "get_article", article_id))


@api.put("/inventory/articles/<article_id>/stock/<location_id>/thresholds")
@requires(*BUYERS)
def set_thresholds(article_id: str, location_id: str):
    return jsonify(call("inventory", "set_thresholds", article_id, location_id, json_body()))


@api.get("/inventory/articles/<article_id>/movements")
@requires(*STAFF)
def list_movements(article_id: str):
    # The article and its ledger are fetched in parallel: one round trip, not two.
    rpc = _rpc()
    article, movements = rpc.gather(
        [
            rpc.call_async(g.context, "inventory", "get_article", article_id),
            rpc.call_async(g.context, "inventory", "list_movements", article_id),
        ]
    )
    return jsonify(article=article, movements=movements)


@api.get("/inventory/supplier-basket")
@requires(*BUYERS)
def supplier_basket():
    return jsonify(lines=call("inventory", "get_supplier_basket"))
