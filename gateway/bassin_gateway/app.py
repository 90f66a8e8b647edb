"""The Flask application: authentication, tenancy, and the REST API v1.

Routes live in ``bassin_gateway.api``, one module per service (its blueprint, named
``routes``), all registered here: a new service's API is one new file there. Handlers
are thin: authenticate, call services by RPC (several at once when a page needs
several), shape the answer. Business rules live in the services.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import pkgutil
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bassin_common import logs
from bassin_common.errors import ValidationFailed
from bassin_common.permissions import Permission
from bassin_gateway import api
from bassin_gateway.problems import install_problem_handlers, problem
from bassin_gateway.rpc import RpcClient, RpcReply
from bassin_gateway.tokens import InvalidToken, TokenService

log = logging.getLogger("bassin_gateway.access")

CORRELATION_HEADER = "X-Correlation-Id"
IDEMPOTENCY_KEY_MAX_LENGTH = 100


def api_blueprints() -> list[Blueprint]:
    """The ``routes`` blueprint of every module of ``bassin_gateway.api``."""
    modules = [importlib.import_module(f"{api.__name__}.{m.name}") for m in pkgutil.iter_modules(api.__path__)]
    return [module.routes for module in modules]


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

    for blueprint in api_blueprints():
        app.register_blueprint(blueprint)
    return app


# --- what route handlers use -----------------------------------------------------------


def bassin(name: str) -> Any:
    return current_app.extensions["bassin"][name]


def call(service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """One RPC as the authenticated caller."""
    return bassin("rpc").call(g.context, service, method, *args, **kwargs)


def call_async(service: str, method: str, *args: Any, **kwargs: Any) -> RpcReply:
    """Start an RPC as the authenticated caller; ``gather`` the replies of several at once."""
    return bassin("rpc").call_async(g.context, service, method, *args, **kwargs)


gather = RpcClient.gather


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed.field("_schema", "expected a JSON object")
    return body


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationFailed.field("Idempotency-Key", f"1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters")
    return key


def requires(permission: Permission) -> Callable:
    """Authenticate the bearer token and require one of ``permission``'s roles."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return _unauthorized("missing bearer token")
            try:
                context = bassin("tokens").verify(token, g.correlation_id)
            except InvalidToken:
                return _unauthorized("invalid or expired token")
            if not permission.allows(context.roles):
                return problem(403, "Forbidden", f"not allowed to {permission}")
            g.context = context
            logs.bind(tenant_id=str(context.tenant_id), user_id=context.user_id)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _unauthorized(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="bassin"'
    return response
