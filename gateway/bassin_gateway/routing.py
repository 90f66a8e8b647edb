"""A service's HTTP API as a route table: most routes only forward to one RPC.

    api = ServiceApi("inventory")
    api.forward("GET", "/articles/<article_id>", "get_article", READ_BUSINESS_DATA)
    api.forward("POST", "/articles", "create_article", MANAGE_STOCK, body=True, status=201, location="/articles/{id}")

A forwarded route authenticates the caller, checks the permission, and calls
``<service>.<method>`` with the URL's path parameters in order, then the query string
(``query=True``) or the JSON body (``body=True``); the answer is the method's result as
JSON, under ``wrap`` when given, with ``status``, and a ``Location`` header made from the
result when ``location`` is given.

Routes that do more (several calls at once, headers, the gateway's own data) are view
functions declared with ``api.view``, which registers them, applies the permission and
keeps their description (``View``): summary, the schemas of what they take and give —
named ``"package.module:Schema"``, resolved only by the API document's generator, since
the gateway holds no service — and the other statuses they answer.

    @api.view("GET", "/articles/<article_id>/movements", READ_BUSINESS_DATA,
              summary="An article and its ledger", response="inventory.schemas:ArticleLedger")
    def list_movements(article_id: str): ...

Every route of the API is a ``Forward`` or a ``View`` of some ``ServiceApi``: what the
OpenAPI document, and the tests generated from it, are made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, request

from bassin_common.permissions import Permission
from bassin_gateway.app import call, json_body, requires

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


@dataclass(frozen=True)
class View:
    """A route handled by a view function of the gateway, as documented."""

    http_method: str
    rule: str  # under the API's prefix
    requires: Permission | None  # None: open to anyone (logging in)
    summary: str
    request: str | None = None  # "package.module:Schema" of the JSON body
    query: str | None = None  # "package.module:Schema" of the query string
    response: str | None = None  # "package.module:Schema", or a list of one for an array
    status: int = 200
    statuses: tuple[int, ...] = ()  # the other statuses it answers (errors, 202...)
    headers: tuple[str, ...] = ()  # request headers it reads (Idempotency-Key, If-Match...)


class ServiceApi:
    def __init__(self, service: str, prefix: str | None = None) -> None:
        self.service = service
        self.prefix = f"{API_PREFIX}/{prefix or service.replace('_', '-')}"
        self.blueprint = Blueprint(service, __name__, url_prefix=self.prefix)
        self.forwards: list[Forward] = []
        self.views: list[View] = []

    def view(self, http_method: str, rule: str, permission: Permission | None, **description: Any) -> Any:
        """Register the decorated function as the view of ``http_method rule``."""

        def register(function: Any) -> Any:
            route = View(http_method, rule, permission, **description)
            handler = function if permission is None else requires(permission)(function)
            self.blueprint.add_url_rule(rule, endpoint=function.__name__, view_func=handler, methods=[http_method])
            self.views.append(route)
            return function

        return register

    def forward(self, http_method: str, rule: str, rpc_method: str, permission: Permission, **options: Any) -> None:
        route = Forward(http_method, rule, self.service, rpc_method, permission, **options)
        view = _forwarding_view(route, self.prefix)
        view.__name__ = rpc_method
        self.blueprint.add_url_rule(
            rule, endpoint=rpc_method, view_func=requires(permission)(view), methods=[http_method]
        )
        self.forwards.append(route)


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
