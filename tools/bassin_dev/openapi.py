"""The API document, gateway/bassin_gateway/openapi.json (OpenAPI 3.1), rendered by
``./bassin generate`` and served by the gateway at ``/api/openapi.json``.

Nothing in it is written by hand. Its sources, so that it cannot drift from the code:

- the routes: every ``Forward`` and ``View`` of the ``ServiceApi`` of each module of
  ``bassin_gateway.api`` (``bassin_gateway.routing``): method, path, permission, status,
  the headers read and sent;
- what a route takes and gives: the declaration of the RPC it calls (``rpc(requires=,
  accepts=, returns=)``, kept as ``.rpc`` on the service's entrypoint): the body or the
  query parameters (``accepts``), the answer (``returns``, under ``wrap`` when set), path
  parameters typed ``uuid`` where the method annotates ``uuid.UUID`` (or, for a route
  calling no RPC, where the rule says ``<uuid:name>``); a ``View`` may name
  its schemas as ``"package.module:Schema"`` instead;
- the marshmallow schemas themselves (apispec's MarshmallowPlugin), their fields'
  ``metadata`` examples and descriptions; ``Money`` and ``Percentage`` are strings with
  at most two decimals, never numbers;
- errors: which statuses a route can answer follows from what it is (authenticated,
  with a body, with ids in its path, ``If-Match``…), each as ``application/problem+json``
  (``bassin_gateway.documents:ProblemDetails``), with ``Retry-After`` where the client
  should wait.

The gateway cannot render it itself: its image holds no service. A test fails when the
committed file differs from what this renders, or is not a valid OpenAPI 3.1 document.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_type_hints

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from bassin_common.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageSchema
from bassin_common.registry import ServiceInfo
from bassin_common.schemas import StrictSchema, TwoPlaces
from bassin_common.service import RpcDeclaration
from bassin_dev.generate import Derived
from bassin_gateway import api as api_package
from bassin_gateway.app import IDEMPOTENCY_KEY_MAX_LENGTH
from bassin_gateway.problems import PROBLEM_JSON
from bassin_gateway.routing import Forward, ServiceApi, View

OUTPUT = Path("gateway/bassin_gateway/openapi.json")
API_VERSION = "1.0.0"
PROBLEM = "bassin_gateway.documents:ProblemDetails"
# Amounts and rates: a string of digits with at most two decimals, as the services load them.
MONEY_PATTERN = r"^-?\d+(\.\d{1,2})?$"
WRITES = ("POST", "PUT", "PATCH", "DELETE")

DESCRIPTION = f"""\
Bassin's REST API: a pool company's stock, till and customers, one company (tenant) per account.

**Authentication.** Every operation but this reference and logging in needs
`Authorization: Bearer <token>`: for people, a short-lived JWT given by `POST /api/v1/auth/login`
(e-mail and password) and renewed with `POST /api/v1/auth/refresh`; for a partner manufacturer's
system, its API key (`bassin_pk_…`, created by the company's manager, role `partner`). What each
operation allows is a permission held by some roles: they are listed in its description and in
`x-roles`.

**Errors** are `application/problem+json` (RFC 9457): `status`, `title`, `detail`, the request's
`correlation_id` (quote it to support), and for 400 and 422 `errors`, each field at fault with its
messages. 503 and 504 mean nothing was done: send the same request again after `Retry-After` seconds.

**Lists** are read a page at a time: `limit` (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}) and
`cursor`; the answer is `{{"items": [...], "next": "<cursor>" | null}}`: send `next` back as
`cursor` for the following page, until it is null.

**Updates** need `If-Match` with the `ETag` the resource was read with: 412 when someone changed
it since (read it again), 428 without it.

**Retries.** A request sent with an `Idempotency-Key` (a new UUID per request) and sent again
with the same key is applied once and answered as the first time; it is required where money or
stock moves (recording a sale).

Amounts are strings with at most two decimals (`"39.90"`), in euros, VAT included unless said
otherwise; instants are ISO-8601 with their offset. `X-Correlation-Id` (sent, or given) follows a
request through every service. The conventions: docs/api-conventions.md in the repository.
"""

BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT or bassin_pk_ API key",
    "description": "A person's access_token from POST /api/v1/auth/login (it expires after expires_in "
    "seconds; renew it with POST /api/v1/auth/refresh), or a partner's API key (bassin_pk_..., "
    "valid until its company revokes it).",
}


# --- errors: when each status can happen, and what it means ----------------------------------


@dataclass(frozen=True)
class ErrorStatus:
    status: int
    name: str  # its component's
    title: str  # as bassin_gateway.problems writes it
    description: str
    detail: str  # the example's
    retry_after: bool = False
    errors: dict[str, list[str]] | None = None  # the example's


ERRORS = {
    error.status: error
    for error in (
        ErrorStatus(
            400,
            "BadRequest",
            "Bad request",
            "The request cannot be read: a body that is not UTF-8 JSON or is nested too deep, or a required "
            "header missing; `errors` names it.",
            "required: a new unique value (a UUID) for each request",
            errors={"Idempotency-Key": ["required: a new unique value (a UUID) for each request"]},
        ),
        ErrorStatus(
            401,
            "Unauthorized",
            "Unauthorized",
            "No bearer token, or one invalid or expired: log in again.",
            "invalid or expired token",
        ),
        ErrorStatus(
            403,
            "Forbidden",
            "Forbidden",
            "The caller's roles do not allow this operation.",
            "not allowed to manage locations, suppliers, articles, thresholds and the supplier basket",
        ),
        ErrorStatus(
            404,
            "NotFound",
            "Not found",
            "Nothing of the caller's company has this id (another company's is not seen).",
            "article 0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22 not found",
        ),
        ErrorStatus(
            409,
            "Conflict",
            "Conflict",
            "The request contradicts the current state (a duplicate created concurrently).",
            "already exists",
        ),
        ErrorStatus(
            412,
            "PreconditionFailed",
            "Precondition failed",
            "`If-Match` names a version that is no longer the current one: someone changed the resource since it "
            "was read. Read it again (new `ETag`) and redo the change.",
            "the thresholds changed since you read them (now version 4): read the level again",
        ),
        ErrorStatus(
            413,
            "ContentTooLarge",
            "Request Entity Too Large",
            "The body is larger than the gateway accepts.",
            "The data value transmitted exceeds the capacity limit.",
        ),
        ErrorStatus(
            422,
            "InvalidInput",
            "Invalid input",
            "The input is refused, each field at fault named in `errors` (nothing was written).",
            "invalid field(s): lines[0].quantity",
            errors={"lines[0].quantity": ["Must be greater than or equal to 1 and less than or equal to 100000."]},
        ),
        ErrorStatus(
            428,
            "PreconditionRequired",
            "Precondition required",
            "An update without `If-Match`: send the `ETag` of the version it was made from.",
            "send If-Match with the ETag you read: this update would otherwise overwrite changes you have not seen",
        ),
        ErrorStatus(
            429,
            "TooManyRequests",
            "Too many requests",
            "A limit was reached: wait `Retry-After` seconds.",
            "too many attempts; try again later",
            retry_after=True,
        ),
        ErrorStatus(
            503,
            "ServiceUnavailable",
            "Service unavailable",
            "A service, the broker or a database cannot be reached right now; nothing was done. Send the same "
            "request again after `Retry-After` seconds.",
            "a service needed for this request is not running",
            retry_after=True,
        ),
        ErrorStatus(
            504,
            "ServiceTimeout",
            "Service timeout",
            "A service did not answer in time; nothing was done. Send the same request again (with the same "
            "`Idempotency-Key`, for a write) after `Retry-After` seconds.",
            "a service did not answer in time",
            retry_after=True,
        ),
    )
}

HEADERS = {
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer", "minimum": 1},
        "example": 5,
    },
    "ETag": {
        "description": "The resource's version: send it as `If-Match` to update it.",
        "schema": {"type": "string"},
        "example": '"3"',
    },
    "Location": {
        "description": "Where the new resource is read (a path on this host).",
        "schema": {"type": "string", "format": "uri-reference"},
    },
}

PARAMETERS = {
    "CorrelationId": {
        "in": "header",
        "name": "X-Correlation-Id",
        "description": "An id to follow the request in every service's logs, echoed in the answer's "
        "X-Correlation-Id: 1 to 64 letters, digits and . _ : - (starting with a letter or digit). When absent "
        "or not of that form, the gateway gives the request one of its own rather than refusing it.",
        "schema": {"type": "string"},
        "example": "till-3:sale.42",
    },
}


def _idempotency_key(required: bool) -> dict[str, Any]:
    return {
        "in": "header",
        "name": "Idempotency-Key",
        "required": required,
        "description": "A new unique value (a UUID) per request; sent again with the same request, it is applied "
        "once and answered as the first time."
        + (" Required: money or stock moves." if required else " Optional here: retries are safe with it."),
        "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH, "pattern": r"^[!-~]+$"},
        "example": "3c1e9b52-7f0a-4d8e-b6c3-2a9f8e7d6c5b",
    }


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The `ETag` of the resource as it was read: the update is refused (412) if it changed since.",
    "schema": {"type": "string"},
    "example": '"3"',
}


# --- routes as operations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One route with what the document says of it."""

    api: ServiceApi
    route: Forward | View
    calls_service: bool  # its table's service is a registered one (not the gateway's own data)
    declaration: RpcDeclaration | None
    rpc_hints: dict[str, Any]  # the RPC method's parameters on the wire: name -> annotation
    body: Schema | None
    query: Schema | None
    response: Schema | None
    many: bool = False  # the response is an array of ``response``

    @property
    def path(self) -> str:
        return self.api.prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.route.rule)

    @property
    def path_parameters(self) -> list[tuple[str, str]]:
        """Each path parameter's name and Flask converter (``string`` when none is given)."""
        return [(name, converter or "string") for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", self.route.rule)]

    @property
    def name(self) -> str:
        return self.route.rpc_method if isinstance(self.route, Forward) else self.route.name

    @property
    def request_headers(self) -> tuple[str, ...]:
        return self.route.headers if isinstance(self.route, View) else ()

    @property
    def response_headers(self) -> tuple[str, ...]:
        if isinstance(self.route, View):
            return self.route.response_headers
        return ("Location",) if self.route.location else ()

    def statuses(self) -> list[int]:
        """The error statuses this route can answer, from what it is."""
        found = {503}
        route = self.route
        if route.requires is not None:
            found |= {401, 403}
        if self.calls_service:
            found.add(504)
        if self.path_parameters:
            found.add(404)
        if self.body is not None:
            found |= {400, 413, 422}
        if self.query is not None:
            found.add(422)
        if route.http_method in WRITES:
            found |= {409, 422}  # a duplicate racing; a malformed Idempotency-Key
        if "Idempotency-Key" in self.request_headers:
            found.add(400)
        if "If-Match" in self.request_headers:
            found |= {412, 428}
        if isinstance(route, View):
            found |= set(route.statuses)
        return sorted(found)


def route_tables() -> list[tuple[ServiceApi, str]]:
    """The route table (``ServiceApi``) of every module of ``bassin_gateway.api``, with the
    first line of the module's docstring, by name."""
    found = []
    for module_info in pkgutil.iter_modules(api_package.__path__):
        module = importlib.import_module(f"{api_package.__name__}.{module_info.name}")
        summary = (module.__doc__ or module_info.name).strip().splitlines()[0]
        found += [(value, summary) for value in vars(module).values() if isinstance(value, ServiceApi)]
    return sorted(found, key=lambda table: table[0].service)


def resolve(name: str) -> type[Schema]:
    """The schema class named ``"package.module:Schema"``."""
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _rpc(services: dict[str, ServiceInfo], service: str, method: str | None) -> tuple[RpcDeclaration | None, dict]:
    if method is None:
        return None, {}
    if service not in services:
        raise LookupError(f"the API of {service} calls {service}.{method}, but no service {service} is installed")
    entrypoint = getattr(services[service].service_class, method, None)
    declaration = getattr(entrypoint, "rpc", None)
    if declaration is None:
        raise LookupError(f"{service}.{method} is not an RPC declared with bassin_common.service.rpc")
    parameters = list(inspect.signature(entrypoint).parameters)[1:]  # without self, as on the wire
    hints = get_type_hints(entrypoint)
    return declaration, {name: hints.get(name) for name in parameters}


def operations(services: Sequence[ServiceInfo]) -> Iterator[Operation]:
    by_name = {service.name: service for service in services}
    for service_api, _ in route_tables():
        calls_service = service_api.service in by_name
        for forward in service_api.forwards:
            declaration, hints = _rpc(by_name, service_api.service, forward.rpc_method)
            assert declaration is not None
            returns = declaration.returns
            yield Operation(
                service_api,
                forward,
                calls_service,
                declaration,
                hints,
                body=declaration.accepts() if forward.body and declaration.accepts else None,
                query=declaration.accepts() if forward.query and declaration.accepts else None,
                response=returns,
                many=returns.many,
            )
        for view in service_api.views:
            declaration, hints = _rpc(by_name, service_api.service, view.rpc)
            accepts = declaration.accepts() if declaration and declaration.accepts else None
            takes_body = view.http_method in WRITES
            response: Schema | None = declaration.returns if declaration else None
            many = bool(response and response.many)
            if view.response is not None:
                named = view.response[0] if isinstance(view.response, list) else view.response
                response, many = resolve(named)(), isinstance(view.response, list)
            yield Operation(
                service_api,
                view,
                calls_service,
                declaration,
                hints,
                body=resolve(view.request)() if view.request else (accepts if takes_body else None),
                query=resolve(view.query)() if view.query else (None if takes_body else accepts),
                response=response,
                many=many,
            )


# --- examples, from the schemas' fields ------------------------------------------------------

EXAMPLE_ID = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


def example_of(schema: Schema) -> dict[str, Any]:
    """An example object of ``schema``: each field's ``metadata["example"]``, else one made
    from its type."""
    return {field.data_key or name: field_example(field) for name, field in schema.fields.items()}


def field_example(field: fields.Field) -> Any:
    if "example" in field.metadata:
        return field.metadata["example"]
    choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
    if choices:
        return next(iter(choices[0]))
    if isinstance(field, fields.Nested):
        nested = field.schema
        return [example_of(nested)] if nested.many else example_of(nested)
    if isinstance(field, fields.List):
        return [field_example(field.inner)]
    if isinstance(field, fields.Dict):
        return {}
    if isinstance(field, fields.UUID):
        return EXAMPLE_ID
    if isinstance(field, TwoPlaces):
        return "0.00"
    if isinstance(field, fields.DateTime):
        return "2026-07-14T10:32:05+02:00"
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Number):
        return max([1, *(v.min for v in field.validators if isinstance(v, validate.Range) and v.min is not None)])
    if isinstance(field, fields.Email):
        return "gerant@piscines-demo.fr"
    lengths = [v for v in field.validators if isinstance(v, validate.Length)]
    shortest = max([v.min or 0 for v in lengths], default=0)
    longest = min([v.max for v in lengths if v.max is not None], default=None)
    text = ("piscine-2026-" * (shortest // 13 + 1))[: max(shortest, len("piscine"))]
    return text[:longest] if longest else text


def _body_example(operation: Operation) -> Any:
    assert operation.response is not None
    example = example_of(operation.response)
    if operation.many:
        example = [example]
    route = operation.route
    return {route.wrap: example} if isinstance(route, Forward) and route.wrap else example


def _problem_example(error: ErrorStatus) -> dict[str, Any]:
    example = {
        "type": "about:blank",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "correlation_id": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
    }
    return {**example, "errors": error.errors} if error.errors else example


# --- the document ----------------------------------------------------------------------------


def _two_places(converter: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """Money and percentages: strings with at most two decimals (bassin_common.schemas)."""
    return {"pattern": MONEY_PATTERN} if isinstance(field, TwoPlaces) else {}


class _Names:
    """Component names: a schema's class name; when two services both name a schema
    ``EquipmentInput``, the second one met is prefixed with its package (``WorksitesEquipmentInput``)."""

    def __init__(self) -> None:
        self.classes: dict[str, type[Schema]] = {}

    def __call__(self, schema: Any) -> str:
        schema_class = schema if isinstance(schema, type) else type(schema)
        for name in (schema_class.__name__, schema_class.__module__.split(".")[0].title() + schema_class.__name__):
            if self.classes.setdefault(name, schema_class) is schema_class:
                return name
        raise ValueError(
            f"two schemas of the API are named {name}: "
            f"{self.classes[name].__module__} and {schema_class.__module__}.{schema_class.__qualname__}"
        )


CONVERTERS = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}


def _path_parameter(operation: Operation, position: int, name: str, converter: str) -> dict[str, Any]:
    """Typed by the RPC's annotation (``uuid.UUID``: a uuid), else by the rule's converter."""
    if isinstance(operation.route, Forward):  # path parameters are passed in order
        annotation = list(operation.rpc_hints.values())[position] if operation.rpc_hints else None
    else:
        annotation = operation.rpc_hints.get(name)
    if uuid.UUID in (annotation, *get_args(annotation)):
        converter = "uuid"
    schema = CONVERTERS.get(converter, {"type": "string"})
    return {"in": "path", "name": name, "required": True, "schema": schema}


def _roles(operation: Operation) -> tuple[str, list[str]]:
    permission = operation.route.requires
    if permission is None:
        return "Open to anyone: no token needed.", []
    roles = sorted(permission.roles - {"system"})
    return f"**Roles**: {', '.join(roles)} — those who may {permission.action}.", roles


def _description(operation: Operation) -> str:
    roles, _ = _roles(operation)
    lines = [roles]
    if isinstance(operation.response, PageSchema):
        lines.append(
            f"A page at a time: `limit` items (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}) after `cursor` "
            "(the previous page's `next`); `next` is null on the last page."
        )
    if "If-Match" in operation.request_headers:
        lines.append(
            "Send `If-Match` with the `ETag` the resource was read with: 412 if it changed since, 428 without it; "
            "the answer carries the new `ETag`."
        )
    if "Idempotency-Key" in operation.request_headers:
        lines.append("Send a new `Idempotency-Key` with each request, the same one when retrying it.")
    return "\n\n".join(lines)


def _success(operation: Operation) -> dict[str, Any]:
    route = operation.route
    status = route.status
    answer: dict[str, Any] = {"description": {200: "OK", 201: "Created", 202: "Accepted"}.get(status, "Done")}
    if operation.response is not None:
        schema: Any = operation.response
        if operation.many:
            schema = {"type": "array", "items": type(operation.response)}
        elif not isinstance(schema, type):
            schema = type(operation.response)
        if isinstance(route, Forward) and route.wrap:
            schema = {"type": "object", "properties": {route.wrap: schema}, "required": [route.wrap]}
        answer["content"] = {"application/json": {"schema": schema, "example": _body_example(operation)}}
    if operation.response_headers:
        answer["headers"] = {name: name for name in operation.response_headers}
    return {str(status): answer}


def _operation(operation: Operation) -> dict[str, Any]:
    route = operation.route
    _, roles = _roles(operation)
    parameters: list[Any] = [
        _path_parameter(operation, position, name, converter)
        for position, (name, converter) in enumerate(operation.path_parameters)
    ]
    if operation.query is not None:
        parameters.append({"in": "query", "schema": type(operation.query)})
    if "If-Match" in operation.request_headers:
        parameters.append(IF_MATCH)
    if route.http_method in WRITES or "Idempotency-Key" in operation.request_headers:
        parameters.append(_idempotency_key(required="Idempotency-Key" in operation.request_headers))
    parameters.append("CorrelationId")
    document: dict[str, Any] = {
        "tags": [operation.api.service],
        "summary": route.summary or operation.name.replace("_", " ").capitalize(),
        "description": _description(operation),
        "operationId": f"{operation.api.service}_{operation.name}",
        "security": [{"bearerAuth": []}] if route.requires is not None else [],
        "x-roles": roles,
        "parameters": parameters,
    }
    if route.requires is not None:
        document["x-permission"] = route.requires.action
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": type(operation.body), "example": example_of(operation.body)}},
        }
    responses = _success(operation)
    for status in operation.statuses():
        responses[str(status)] = ERRORS[status].name
    document["responses"] = responses
    return document


def build_document(services: Sequence[ServiceInfo]) -> dict[str, Any]:
    names = _Names()
    plugin = MarshmallowPlugin(schema_name_resolver=names)
    spec = APISpec(
        title="Bassin API",
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[plugin],
        info={"description": DESCRIPTION},
    )
    plugin.converter.map_to_openapi_type(TwoPlaces, "string", None)
    plugin.converter.add_attribute_function(_two_places)
    spec.components.security_scheme("bearerAuth", BEARER)
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], {k: v for k, v in parameter.items() if k != "in"})
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    problem = resolve(PROBLEM)
    spec.components.schema(problem.__name__, schema=problem)
    for error in ERRORS.values():
        response: dict[str, Any] = {
            "description": error.description,
            "content": {PROBLEM_JSON: {"schema": problem, "example": _problem_example(error)}},
        }
        if error.retry_after:
            response["headers"] = {"Retry-After": "Retry-After"}
        spec.components.response(error.name, response)

    by_path: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for operation in operations(services):
        document = _operation(operation)
        if document["operationId"] in operation_ids:
            raise ValueError(f"two routes have the operation id {document['operationId']}")
        operation_ids.add(document["operationId"])
        by_path.setdefault(operation.path, {})[operation.route.http_method.lower()] = document
    tagged: set[str] = set()  # a service may have two tables (its staff routes, its portal routes): one tag
    for table, summary in route_tables():
        if (table.forwards or table.views) and table.service not in tagged:
            tagged.add(table.service)
            spec.tag({"name": table.service, "description": summary})
    for path in sorted(by_path):
        spec.path(path=path, operations=by_path[path])
    document = spec.to_dict()
    for name, schema in document["components"]["schemas"].items():
        if not issubclass(names.classes.get(name, Schema), StrictSchema):
            # What Bassin answers may gain fields (additive changes): clients must ignore those
            # they do not know. Only input refuses unknown fields (StrictSchema).
            schema.pop("additionalProperties", None)
    order = ("openapi", "info", "tags", "paths", "components")
    return {key: document[key] for key in order} | {k: v for k, v in document.items() if k not in order}


def render(services: Sequence[ServiceInfo]) -> str:
    return json.dumps(build_document(services), indent=2, ensure_ascii=False) + "\n"


def derived_files(services: Sequence[ServiceInfo]) -> list[Derived]:
    return [Derived(OUTPUT, render(services))]
