"""The API document (gateway/bassin_gateway/openapi.json) is what the routes and the
services' schemas declare, a valid OpenAPI 3.1 document, and says for every operation
who may call it, what it takes and gives, with examples that its own schemas accept,
and every error it can answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from marshmallow import fields
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bassin_common.pagination import MAX_LIMIT
from bassin_common.registry import installed_services
from bassin_dev import openapi
from bassin_dev.generate import REPO

SERVICES = installed_services()
PROBLEM_JSON = "application/problem+json"
DOCUMENT_URI = "urn:bassin:openapi"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(openapi.render(SERVICES))


def each_operation(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def resolved(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """``item``, or what its ``$ref`` (``#/components/...``) points to."""
    if "$ref" not in item:
        return item
    found: Any = document
    for part in item["$ref"].removeprefix("#/").split("/"):
        found = found[part]
    return found


def test_the_committed_document_is_what_the_code_declares() -> None:
    committed = (REPO / openapi.OUTPUT).read_text()
    assert committed == openapi.render(SERVICES), "the API document is stale: run ./bassin generate"


def test_it_is_a_valid_openapi_3_1_document(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)  # openapi-spec-validator: raises on the first error


def test_a_schema_change_shows_in_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    from pos.schemas import SaleInput

    before = openapi.render(SERVICES)
    monkeypatch.setitem(SaleInput._declared_fields, "customer_note", fields.String())
    assert '"customer_note"' in openapi.render(SERVICES) != before


def test_every_example_is_accepted_by_its_own_schema(document: dict[str, Any]) -> None:
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, DRAFT202012))
    checked = 0
    media = [
        (f"{method} {path} {status}", content)
        for method, path, op in each_operation(document)
        for status, answer in op["responses"].items()
        for content in resolved(document, answer).get("content", {}).values()
    ]
    media += [
        (f"{method} {path} body", content)
        for method, path, op in each_operation(document)
        for content in op.get("requestBody", {}).get("content", {}).values()
    ]
    for where, content in media:
        schema = content["schema"]
        if "$ref" in schema:
            schema = {"$ref": DOCUMENT_URI + schema["$ref"]}
        else:  # an inline wrapper: its references are the document's
            schema = json.loads(json.dumps(schema).replace('"#/components', f'"{DOCUMENT_URI}#/components'))
        validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = validator.iter_errors(content["example"])
        assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors] == [], where
        checked += 1
    assert checked > 20


def test_every_operation_says_who_may_call_it_and_how_to_authenticate(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT or bassin_pk_ API key",
    }
    for method, path, op in each_operation(document):
        if op["security"] == []:  # open to anyone (logging in)
            assert op["x-roles"] == [] and "403" not in op["responses"], (method, path)
            continue
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        assert op["x-roles"] and op["x-permission"], (method, path)
        assert all(role in op["description"] for role in op["x-roles"]), (method, path)
        assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_every_error_is_a_problem_with_its_fields_and_retry_after_where_to_wait(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert problem["properties"]["errors"] == {
        **problem["properties"]["errors"],
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    for method, path, op in each_operation(document):
        assert {"503"} <= set(op["responses"]), (method, path)
        for status, answer in op["responses"].items():
            if int(status) < 400:
                continue
            answer = resolved(document, answer)
            assert list(answer["content"]) == [PROBLEM_JSON], (method, path, status)
            assert answer["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
            assert ("Retry-After" in answer.get("headers", {})) == (status in ("429", "503", "504")), status


def test_amounts_are_strings_with_two_decimals_never_numbers(document: dict[str, Any]) -> None:
    def properties(schema: dict[str, Any]):
        for name, item in schema.get("properties", {}).items():
            yield name, item
            yield from properties(item)

    every_property = [p for schema in document["components"]["schemas"].values() for p in properties(schema)]
    assert not [name for name, item in every_property if "number" in item.get("type", [])]
    amounts = {"sale_price", "purchase_price", "vat_rate", "unit_price", "total", "vat_total", "amount"}
    for name, item in every_property:
        if name in amounts:
            assert item["pattern"] == r"^-?\d+(\.\d{1,2})?$" and "string" in item["type"], name
    assert document["components"]["schemas"]["ArticleInput"]["properties"]["sale_price"]["example"] == "39.90"


def test_every_list_is_read_by_cursor_with_a_maximum_page_size(document: dict[str, Any]) -> None:
    lists = set()
    for method, path, op in each_operation(document):
        schema = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            pytest.fail(f"{method} {path} answers a bare array: a list answers a page")
        if not schema.get("$ref", "").endswith("Page"):
            continue
        lists.add(path.removeprefix("/api/v1/"))
        page = resolved(document, schema)
        assert page["required"] == ["items", "next"] and page["properties"]["next"]["type"] == ["string", "null"]
        query = {p["name"]: p for p in op["parameters"] if p.get("in") == "query"}
        assert query["limit"]["schema"]["maximum"] == MAX_LIMIT, path
        assert "cursor" in query, path
    assert {
        "inventory/locations",
        "inventory/suppliers",
        "inventory/articles",
        "inventory/articles/{article_id}/movements",
        "inventory/supplier-basket/lines",
        "pos/sales",
        "pos/articles",
    } <= lists


def test_ids_in_paths_are_uuids_and_headers_are_required_where_used(document: dict[str, Any]) -> None:
    for method, path, op in each_operation(document):
        for parameter in op["parameters"]:
            if parameter.get("in") == "path":
                assert parameter["schema"] == {"type": "string", "format": "uuid"}, (method, path)
    thresholds = document["paths"]["/api/v1/inventory/articles/{article_id}/stock/{location_id}/thresholds"]["put"]
    if_match = next(p for p in thresholds["parameters"] if p.get("name") == "If-Match")
    assert if_match["required"] is True and {"412", "428"} <= set(thresholds["responses"])
    assert "ETag" in thresholds["responses"]["200"]["headers"]
    sale = document["paths"]["/api/v1/pos/sales"]["post"]
    key = next(p for p in sale["parameters"] if p.get("name") == "Idempotency-Key")
    assert key["required"] is True and "400" in sale["responses"]
    assert sale["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SaleInput"}
    assert "Location" in sale["responses"]["201"]["headers"]
