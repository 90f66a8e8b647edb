"""A service's HTTP API as a route table: most routes only forward to one RPC.

    api = ServiceApi("inventory")
    api.forward("GET", "/articles", "search_articles", READ_BUSINESS_DATA, query=True, summary="Search articles")
    api.forward("POST", "/articles", "create_article", MANAGE_STOCK, body=True, status=201, location="/articles/{id}")

A forwarded route authenticates the caller, checks the permission, and calls
``<service>.<method>`` with the URL's path parameters in order, then the query string
(``query=True``) or the JSON body (``body=True``); the answer is the method's result as
JSON, under ``wrap`` when given, with ``status``, and a ``Location`` header made from the
result when ``location`` is given.

Routes that do more (several calls at once, headers, the gateway's own data) are view
functions declared with ``api.view``, which registers them, applies the permission and
keeps their description (``View``): summary, the RPC they call (``rpc``: its declaration
types the path parameters and gives the schemas not named), the schemas of what they take
and give — named ``"package.module:Schema"``, resolved only by the API document's
generator, since the gateway holds no service —, the headers they read and send, and the
other statuses they answer.

    @api.view("GET", "/articles/<article_id>/stock/<location_id>", READ_BUSINESS_DATA,
              rpc="get_stock_level", summary="An article's stock at one location", response_headers=("ETag",))
    def get_stock_level(article_id: str, location_id: str): ...

Every route of the API is a ``Forward`` or a ``View`` of some ``ServiceApi``: what the
OpenAPI document (``tools/bassin_dev/openapi.py``), and the tests generated from it, are
made from. The conventions they follow are in docs/api-conventions.md.

Optimistic concurrency (``ETag`` / ``If-Match``): a resource that can be updated has a
version; its reads answer it as ``ETag`` (``versioned``), and its updates pass the
client's ``If-Match`` (``if_match``) to the service, which compares it with the row
locked (412 when stale, 428 when missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from bassin_common.errors import PreconditionRequired
from bassin_common.permissions import Permission
from bassin_gateway.app import WRITES_NO_CALLER, call, json_body, requires

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Forward:
    http_method: str
    rule: str  # under the service's prefix
    service: str
    rpc_method: str
    requires: Permission
    body: bool = False
    query: bool = False
    wrap: str | None = None
    status: int = 200
    location: str | None = None  # the new resource's path under the prefix, formatted with the result
    summary: str = ""  # for the API document


@dataclass(frozen=True)
class View:
    """A route handled by a view function of the gateway, as documented."""

    http_method: str
    rule: str  # under the service's prefix
    requires: Permission | None  # None: open to anyone (logging in)
    summary: str
    name: str = ""  # the view function's (its operation's id), set by ``ServiceApi.view``
    rpc: str | None = None  # the RPC of the service it calls: types the path, gives the schemas not named
    request: str | None = None  # "package.module:Schema" of the JSON body
    query: str | None = None  # "package.module:Schema" of the query string
    response: str | None = None  # "package.module:Schema", or a list of one for an array
    status: int = 200
    statuses: tuple[int, ...] = ()  # the other statuses it answers (errors, 202...)
    headers: tuple[str, ...] = ()  # request headers it reads (Idempotency-Key, If-Match...)
    response_headers: tuple[str, ...] = ()  # headers of its answer (Location, ETag...)


class ServiceApi:
    # Its routes write a service's data, never the gateway's (sessions, users, roles,
    # permissions): a write answered by one forgets no trusted caller (app._after_write).
    writes_no_caller = True

    def __init__(self, service: str, prefix: str | None = None) -> None:
        self.service = service
        self.prefix = f"{API_PREFIX}/{prefix or service.replace('_', '-')}"
        self.blueprint = Blueprint(service, __name__, url_prefix=self.prefix)
        self.forwards: list[Forward] = []
        self.views: list[View] = []

    def view(self, http_method: str, rule: str, permission: Permission | None, **description: Any) -> Any:
        """Register the decorated function as the view of ``http_method rule``."""

        def register(function: Any) -> Any:
            route = View(http_method, rule, permission, name=function.__name__, **description)
            handler = function if permission is None else requires(permission)(function)
            self._mark(handler)
            self.blueprint.add_url_rule(rule, endpoint=function.__name__, view_func=handler, methods=[http_method])
            self.views.append(route)
            return function

        return register

    def forward(self, http_method: str, rule: str, rpc_method: str, permission: Permission, **options: Any) -> None:
        route = Forward(http_method, rule, self.service, rpc_method, permission, **options)
        view = _forwarding_view(route, self.prefix)
        view.__name__ = rpc_method
        handler = requires(permission)(view)
        self._mark(handler)
        self.blueprint.add_url_rule(rule, endpoint=rpc_method, view_func=handler, methods=[http_method])
        self.forwards.append(route)

    def _mark(self, handler: Any) -> None:
        if self.writes_no_caller:
            setattr(handler, WRITES_NO_CALLER, True)


def _forwarding_view(route: Forward, prefix: str) -> Any:
    def view(**path_parameters: str) -> Any:
        arguments: list[Any] = list(path_parameters.values())
        if route.query:
            arguments.append(request.args.to_dict())
        if route.body:
            arguments.append(json_body())
        result = call(route.service, route.rpc_method, *arguments)
        headers = {"Location": prefix + route.location.format(**result)} if route.location else {}
        return jsonify({route.wrap: result} if route.wrap else result), route.status, headers

    return view


# --- ETag / If-Match -------------------------------------------------------------------


def versioned(resource: dict[str, Any], status: int = 200) -> Response:
    """``resource`` as JSON with its ``version`` as a strong ``ETag``."""
    response = jsonify(resource)
    response.status_code = status
    response.set_etag(str(resource["version"]))
    return response


def if_match() -> list[str]:
    """The versions the client's ``If-Match`` names, for the service to compare under lock;
    a weak tag is kept as sent (``W/"3"``), so it never matches (RFC 9110 compares If-Match
    strongly). Without the header, or with ``*`` (which names no version), 428."""
    if "If-Match" not in request.headers or request.if_match.star_tag:
        raise PreconditionRequired(
            "send If-Match with the ETag you read: this update would otherwise overwrite changes you have not seen"
        )
    tags = request.if_match
    strong = {tag for tag in tags.as_set() if tag}  # an empty tag ("") names no version
    weak = {tag for tag in tags.as_set(include_weak=True) if tag} - strong
    return sorted(strong) + sorted(f'W/"{tag}"' for tag in weak)
