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

import eventlet
from flask import Blueprint, Flask, current_app, g, jsonify, request
from kombu import Connection as BrokerConnection
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from bassin_common import logs
from bassin_common.errors import ValidationFailed
from bassin_common.observability import CONTENT_TYPE, Metric
from bassin_common.permissions import Permission
from bassin_common.tenancy import RequestContext
from bassin_gateway import api
from bassin_gateway import sessions as login_sessions
from bassin_gateway.callers import CallerCache
from bassin_gateway.logins import LoginLimits
from bassin_gateway.mail import mailer_from_settings
from bassin_gateway.overview_cache import CACHE_LOOKUPS, WRITES, OverviewCache
from bassin_gateway.problems import MalformedRequest, install_problem_handlers, problem
from bassin_gateway.rpc import BrokerUnavailable, RpcClient, RpcReply
from bassin_gateway.settings import GatewaySettings
from bassin_gateway.tokens import API_KEY_PREFIX, InvalidToken, TokenService

log = logging.getLogger("bassin_gateway.access")

CORRELATION_HEADER = "X-Correlation-Id"
# A client's correlation id is taken only in this shape; anything else gets a new one, so
# no arbitrary bytes of a client reach the logs, the answer's headers or the events.
CORRELATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 100
# Visible ASCII only: the key becomes the request's id, in the logs and the services' tables.
IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def _api_modules() -> list[Any]:
    return [importlib.import_module(f"{api.__name__}.{m.name}") for m in pkgutil.iter_modules(api.__path__)]


def api_blueprints() -> list[Blueprint]:
    """The ``routes`` blueprint of every module of ``bassin_gateway.api``."""
    return [module.routes for module in _api_modules()]


def route_tables() -> list[Any]:
    """The route table (``ServiceApi``) of every module of ``bassin_gateway.api``."""
    from bassin_gateway.routing import ServiceApi

    return [value for module in _api_modules() for value in vars(module).values() if isinstance(value, ServiceApi)]


def called_services() -> list[str]:
    """The services the API's routes call: those of every route table but the gateway's own
    (``GatewayApi``). The gateway holds no registry of services: its routes are what it
    knows of them."""
    from bassin_gateway.own_routes import GatewayApi

    return sorted({table.service for table in route_tables() if not isinstance(table, GatewayApi)})


# The gateway's Prometheus metrics (GET /metrics): every HTTP request, by route pattern
# (not by path: ids would make a series each) and status.
HTTP_DURATION = Metric(
    "bassin_http_request_duration_seconds",
    "HTTP requests served by the gateway, by route and status",
    "histogram",
    ("method", "route", "status"),
)


def _observe(status: int) -> None:
    if (started := g.get("started")) is None:
        return
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    HTTP_DURATION.observe(time.monotonic() - started, method=request.method, route=route, status=str(status))


# Set on the view functions of a service's route table (``routing.ServiceApi``, not the
# gateway's own ``GatewayApi``): what they write is a service's data, never the gateway's.
WRITES_NO_CALLER = "bassin_writes_no_caller"


def _after_write(status: int) -> None:
    """What a write answered here makes this process forget: the callers it trusted (the
    writer's company's, or all when the write names none: a logout, a refresh...), and —
    unless it was refused (4xx) — the company's cached customer 360s, so that the caller
    reads its own write at once, before the service's event arrives (ADR 0032).

    A write of a service's route table (a sale, a stock movement...) forgets no caller:
    sessions, users, roles and the permission table are in the gateway's database, which
    those routes only read, so the check it would force reads what the kept one read. Were
    every write to forget, a till's sales would each pay a token check (ADR 0008)."""
    if request.method not in WRITES:
        return
    context = g.get("context")
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if not getattr(view, WRITES_NO_CALLER, False):
        bassin("callers").forget(context.tenant_id if context is not None else None)
    if context is not None and not 400 <= status < 500:
        bassin("overview_cache").invalidate_tenant(context.tenant_id)


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
        "settings": settings,
        "mailer": mailer_from_settings(settings),
        "callers": CallerCache(settings.auth_cache_seconds),
        # Not consuming (so not used) until started: build_app starts it (ADR 0032).
        "overview_cache": OverviewCache(
            settings.amqp_uri if settings.overview_cache_ttl_seconds > 0 else None,
            ttl_seconds=settings.overview_cache_ttl_seconds,
            max_entries=settings.overview_cache_entries,
        ),
    }
    install_problem_handlers(app)
    app.register_error_handler(NotAuthenticated, _unauthorized)

    @app.before_request
    def _correlate() -> None:
        g.correlation_id = _client_correlation_id() or str(uuid.uuid4())
        # One id and one deadline per HTTP request, for every RPC it makes: the services
        # de-duplicate idempotent calls on the id, and drop work whose caller gave up.
        g.request_id = idempotency_key() or str(uuid.uuid4())
        g.deadline = time.time() + rpc.timeout
        g.log_token = logs.bind(correlation_id=g.correlation_id, request_id=g.request_id)
        g.started = time.monotonic()

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        if token := g.pop("log_token", None):
            with contextlib.suppress(ValueError):  # set in another context
                logs.reset(token)

    @app.after_request
    def _echo_correlation(response):
        response.headers[CORRELATION_HEADER] = g.get("correlation_id", "")
        log.info("%s %s %d", request.method, request.path, response.status_code)
        _observe(response.status_code)
        _after_write(response.status_code)
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/metrics")
    def metrics():
        # Prometheus; for the cluster's scraper, not for the outside: do not route
        # /metrics in your Ingress (docs/operations.md, Metrics).
        lines = itertools.chain(HTTP_DURATION.exposition(), CACHE_LOOKUPS.exposition())
        body = "".join(f"{line}\n" for line in lines)
        return current_app.response_class(body, content_type=CONTENT_TYPE)

    services = called_services()

    @app.get("/readyz")
    def readyz():
        # Ready (200) while the gateway's own database and the broker answer: then it
        # serves every route whose service is up, and answers 503 on the others. A service
        # down makes it "degraded", not unready: taking every replica out of the load
        # balancer for one service would stop logins and the other services' screens too.
        checks = readiness(rpc, sessions, settings, services, g.correlation_id)
        failing = [name for name, check in _flat(checks) if check["status"] != "ok"]
        if not failing:
            return jsonify(status="ready", checks=checks)
        if checks["database"]["status"] == checks["broker"]["status"] == "ok":
            return jsonify(status="degraded", detail=f"failing: {', '.join(failing)}", checks=checks)
        response = problem(503, "Service unavailable", f"not ready: {', '.join(failing)}", checks=checks)
        response.headers["Retry-After"] = str(settings.retry_after_seconds)
        return response

    for blueprint in api_blueprints():
        app.register_blueprint(blueprint)
    from bassin_gateway import ui  # the web interface (ADR 0026); it uses this module's helpers

    app.register_blueprint(ui.routes)
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


class NotAuthenticated(Exception):
    """No credential, or one that opens nothing (401)."""


def requires(permission: Permission) -> Callable:
    """Authenticate the caller and require ``permission`` as the caller's tenant grants it
    (its permission table, within the platform's limits)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            context, grants = authenticate()
            if not permission.allows(context.roles, grants.get(permission.name)):
                return problem(403, "Forbidden", f"not allowed to {permission.action}")
            g.context = dataclasses.replace(context, request_id=g.request_id, deadline=g.deadline)
            g.grants = grants  # the tenant's table, for views whose service asks about other rights
            logs.bind(tenant_id=str(context.tenant_id), user_id=context.user_id)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def authenticate() -> tuple[RequestContext, dict[str, list[str]]]:
    """The caller of this request and its tenant's permission table, from its credential:
    ``Authorization: Bearer`` with an access token (a person) or an API key (a partner,
    ``bassin_pk_…``). An access token's signature is checked first; then one indexed query
    checks that its session and user are still live — or that the API key exists and is not
    revoked — and brings the table (``bassin_gateway.sessions``). An access token checked
    less than ``auth_cache_seconds`` ago, with no write of its company answered since, is
    not checked again (``bassin_gateway.callers``)."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise NotAuthenticated("missing bearer token")
    if credential.startswith(API_KEY_PREFIX):
        with _autocommit() as connection:
            partner = login_sessions.partner_caller(connection, credential, g.correlation_id)
        if partner is None:
            raise NotAuthenticated("unknown or revoked API key")
        return partner
    checked = bassin("callers").check(credential, lambda: _check_token(credential))
    return dataclasses.replace(checked[0], correlation_id=g.correlation_id), checked[1]


def _check_token(credential: str) -> tuple[RequestContext, dict[str, list[str]]]:
    """An access token's signature, then its session and user, live, in the database."""
    try:
        token = bassin("tokens").verify(credential, g.correlation_id)
    except InvalidToken:
        raise NotAuthenticated("invalid or expired token") from None
    with _autocommit() as connection:
        grants = login_sessions.live_caller(connection, token)
    if grants is None:
        raise NotAuthenticated("the session is over (logged out, or the account changed): log in again")
    return token.context, grants


def _autocommit() -> Any:
    """A connection of the gateway's pool for one read: no transaction, so one round trip."""
    engine: Engine = bassin("sessions").kw["bind"]
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _unauthorized(error: NotAuthenticated):
    response = problem(401, "Unauthorized", str(error))
    response.headers["WWW-Authenticate"] = 'Bearer realm="bassin"'
    return response


# --- readiness --------------------------------------------------------------------------------


class NotReady(Exception):
    """A check's answer says it is not ready (a service's database failing)."""


HEALTH_CALLER = uuid.UUID(int=0)  # the tenant a health call names: none (health reads no data)


def readiness(
    rpc: RpcClient, sessions: sessionmaker[Session], settings: GatewaySettings, services: list[str], correlation_id: str
) -> dict[str, Any]:
    """The gateway's database, the broker and each service, checked at once, each for
    ``readiness_timeout_seconds`` at most: ``{"status": "ok"}`` or ``{"status": "failing",
    "detail": ...}`` each. A check that overruns is left to finish on its own (each has
    its own timeout) rather than interrupted in the middle of a connection."""
    timeout = settings.readiness_timeout_seconds
    context = RequestContext(HEALTH_CALLER, correlation_id=correlation_id, deadline=time.time() + timeout)

    def database() -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))

    def broker() -> None:
        with BrokerConnection(settings.amqp_uri, connect_timeout=timeout) as connection:
            connection.connect()

    def service(name: str) -> Callable[[], None]:
        def health() -> None:
            answer = rpc.call_async(context, name, "health").result()
            if answer.get("database") != "ok":
                raise NotReady(f"its database is {answer.get('database', 'unknown')}")

        return health

    probes = {"database": database, "broker": broker, **{f"service {name}": service(name) for name in services}}
    threads = {name: eventlet.spawn(probe) for name, probe in probes.items()}
    deadline = time.monotonic() + timeout
    results = {name: _outcome(thread, deadline, timeout) for name, thread in threads.items()}
    return {
        "database": results["database"],
        "broker": results["broker"],
        "services": {name: results[f"service {name}"] for name in services},
    }


def _outcome(thread: Any, deadline: float, timeout: float) -> dict[str, Any]:
    try:
        with eventlet.Timeout(max(deadline - time.monotonic(), 0)):
            thread.wait()
    except eventlet.Timeout:
        return {"status": "failing", "detail": f"no answer within {timeout:g}s"}
    except UnknownService:
        return {"status": "failing", "detail": "not running: nothing consumes its requests"}
    except RpcTimeout:
        return {"status": "failing", "detail": f"no answer within {timeout:g}s"}
    except BrokerUnavailable:
        return {"status": "failing", "detail": "the broker did not take the request"}
    except RemoteError as error:
        return {"status": "failing", "detail": f"it failed: {error.exc_type}"}
    except NotReady as error:
        return {"status": "failing", "detail": str(error)}
    except Exception as error:
        log.warning("not ready: %s", logs.describe(error))
        return {"status": "failing", "detail": f"it failed: {type(error).__name__}"}
    return {"status": "ok"}


def _flat(checks: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    services = [(f"service {name}", check) for name, check in checks["services"].items()]
    return [("database", checks["database"]), ("broker", checks["broker"]), *services]
