"""The Flask application: authentication, tenancy, and the REST API v1.

Routes live in ``bassin_gateway.api``, one module per service (its blueprint, named
``routes``), all registered here: a new service's API is one new file there. Handlers
are thin: authenticate, call services by RPC (several at once when a page needs
several), shape the answer. Business rules live in the services.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import itertools
import json
import logging
import pkgutil
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from bassin_common import logs
from bassin_common.errors import ValidationFailed
from bassin_common.permissions import Permission
from bassin_gateway import api
from bassin_gateway.logins import LoginLimits
from bassin_gateway.problems import MalformedRequest, install_problem_handlers, problem
from bassin_gateway.rpc import RpcClient, RpcReply
from bassin_gateway.settings import GatewaySettings
from bassin_gateway.tokens import InvalidToken, TokenService

log = logging.getLogger("bassin_gateway.access")

CORRELATION_HEADER = "X-Correlation-Id"
# A client's correlation id is taken only in this shape; anything else gets a new one, so
# no arbitrary bytes of a client reach the logs, the answer's headers or the events.
CORRELATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 100
# Visible ASCII only: the key becomes the request's id, in the logs and the services' tables.
IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def api_blueprints() -> list[Blueprint]:
    """The ``routes`` blueprint of every module of ``bassin_gateway.api``."""
    modules = [importlib.import_module(f"{api.__name__}.{m.name}") for m in pkgutil.iter_modules(api.__path__)]
    return [module.routes for module in modules]


def create_app(
    rpc: RpcClient,
    sessions: sessionmaker[Session],
    tokens: TokenService,
    settings: GatewaySettings | None = None,
) -> Flask:
    """The application; ``tokens`` cannot hold a weak key (``TokenService`` refuses it).
    ``settings`` gives the HTTP and login limits (their defaults without it)."""
    settings = settings or GatewaySettings()
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the schemas' field order
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes  # then 413
    app.config["BASSIN_RETRY_AFTER"] = settings.retry_after_seconds
    app.config["BASSIN_MAX_JSON_DEPTH"] = settings.max_json_depth
    if settings.gateway_trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.gateway_trusted_proxies)  # type: ignore[method-assign]
    app.extensions["bassin"] = {
        "rpc": rpc,
        "sessions": sessions,
        "tokens": tokens,
        "logins": LoginLimits.from_settings(settings),
    }
    install_problem_handlers(app)

    @app.before_request
    def _correlate() -> None:
        g.correlation_id = _client_correlation_id() or str(uuid.uuid4())
        # One id and one deadline per HTTP request, for every RPC it makes: the services
        # de-duplicate idempotent calls on the id, and drop work whose caller gave up.
        g.request_id = idempotency_key() or str(uuid.uuid4())
        g.deadline = time.time() + rpc.timeout
        g.log_token = logs.bind(correlation_id=g.correlation_id, request_id=g.request_id)

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
    """The request's JSON object (whatever its Content-Type says): 400 when the body is not
    UTF-8 JSON or is nested deeper than the limit, 413 when too large, 422 when it is JSON
    but not an object."""
    raw = request.get_data(cache=True)
    try:
        document = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest.field("_schema", "the body is not UTF-8 text") from None
    if json_depth(document) > current_app.config["BASSIN_MAX_JSON_DEPTH"]:
        limit = current_app.config["BASSIN_MAX_JSON_DEPTH"]
        raise MalformedRequest.field("_schema", f"JSON nested deeper than {limit} levels")
    try:
        body = json.loads(document, parse_constant=_not_json)
    except (ValueError, RecursionError) as error:
        where = f" at line {error.lineno}, column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise MalformedRequest.field("_schema", f"not valid JSON{where}") from None
    if not isinstance(body, dict):
        raise ValidationFailed.field("_schema", "expected a JSON object")
    return body


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(document: str) -> int:
    """How deep arrays and objects nest in ``document``, brackets inside strings aside;
    counted before parsing, without recursion (the parser's would fail at ~1,000)."""
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub("", document))
    return max(itertools.accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def idempotency_key(required: bool = False) -> str | None:
    """The client's ``Idempotency-Key`` (1 to 100 visible ASCII characters, else 422); when
    ``required``, its absence is a 400 (as the IETF Idempotency-Key draft says)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        if required:
            raise MalformedRequest.field(IDEMPOTENCY_HEADER, "required: a new unique value (a UUID) for each request")
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        message = f"1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters (a UUID, say)"
        raise ValidationFailed.field(IDEMPOTENCY_HEADER, message)
    return key


def _client_correlation_id() -> str | None:
    value = request.headers.get(CORRELATION_HEADER, "")
    return value if CORRELATION_ID.fullmatch(value) else None


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
            g.context = dataclasses.replace(context, request_id=g.request_id, deadline=g.deadline)
            logs.bind(tenant_id=str(context.tenant_id), user_id=context.user_id)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _unauthorized(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="bassin"'
    return response
