"""What reaches the gateway from outside is bounded and checked before any service sees
it, and every failure of the infrastructure is a 503 or 504 with ``Retry-After``, never a
500 (issue #17)."""

from __future__ import annotations

import time
import uuid

import pytest
from nameko.exceptions import RpcTimeout, UnknownService

from bassin_common.errors import Unavailable
from bassin_common.permissions import READ_BUSINESS_DATA
from bassin_gateway.app import call_async, gather, requires
from bassin_gateway.rpc import BrokerUnavailable

ARTICLE = "/api/v1/inventory/articles/3f0c6a1e-2b1d-4a7e-9d3c-7b7f1f6c2e10"
SALES = "/api/v1/pos/sales"
LOCATIONS = "/api/v1/inventory/locations"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["correlation_id"]
    return body


# --- infrastructure failures: 503 / 504 with Retry-After ----------------------------------


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (Unavailable("inventory's database cannot be reached"), 503),
        (RpcTimeout("no reply"), 504),
    ],
    ids=["unavailable", "timeout"],
)
def test_a_service_failing_for_now_is_a_503_or_504_with_retry_after(stand_in_app, bearer, failure, status):
    app, rpc = stand_in_app(retry_after_seconds=7)
    rpc.outcome = failure
    response = app.test_client().get(ARTICLE, headers=bearer())
    assert_problem(response, status)
    assert response.headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    "failure",
    [UnknownService("inventory"), BrokerUnavailable("no confirm")],
    ids=["no-such-service", "broker"],
)
def test_a_request_the_broker_does_not_take_is_a_503_with_retry_after(stand_in_app, bearer, failure):
    app, rpc = stand_in_app()
    rpc.publish_error = failure
    response = app.test_client().get(ARTICLE, headers=bearer())
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"


def test_the_gateways_own_database_unreachable_is_a_503_at_readyz_and_login(stand_in_app, unreachable_database):
    app, _ = stand_in_app(unreachable_database)
    client = app.test_client()
    ready = client.get("/readyz")
    assert_problem(ready, 503)
    assert ready.headers["Retry-After"]
    login = client.post("/api/v1/auth/login", json={"email": "a@b.fr", "password": "x" * 12})
    assert_problem(login, 503)
    assert login.headers["Retry-After"]


def test_a_bug_is_still_a_500_without_retry_after(stand_in_app, bearer):
    app, rpc = stand_in_app()
    rpc.outcome = KeyError("a bug")
    response = app.test_client().get(ARTICLE, headers=bearer())
    assert_problem(response, 500)
    assert "Retry-After" not in response.headers


# --- request size and JSON -------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_problem(stand_in_app, bearer):
    app, rpc = stand_in_app(max_request_bytes=1000)
    client = app.test_client()
    small = {"code": "MAG", "name": "x" * 900, "kind": "shop"}
    assert client.post(LOCATIONS, json=small, headers=bearer()).status_code == 201
    response = client.post(LOCATIONS, json={**small, "name": "x" * 1000}, headers=bearer())
    assert_problem(response, 413)
    assert len(rpc.calls) == 1  # the oversized one reached no service


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"lines=1", "not valid JSON"),
        (b'{"code": "MAG",', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"amount": NaN}', "not valid JSON"),
        (b'{"name": "\xff\xfe"}', "not UTF-8"),
        (b"[" * 33 + b"]" * 33, "deeper than 32"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "deeper than 32"),
        (b"[" * 200_000, "deeper than 32"),
    ],
    ids=["form", "truncated", "empty", "nan", "latin-1", "33-deep", "100000-deep", "unclosed"],
)
def test_a_body_that_cannot_be_read_as_json_is_a_400_naming_the_body(stand_in_app, bearer, body, message):
    app, rpc = stand_in_app()
    response = app.test_client().post(LOCATIONS, data=body, content_type="application/json", headers=bearer())
    problem = assert_problem(response, 400)
    assert list(problem["errors"]) == ["_schema"]
    assert message in problem["errors"]["_schema"][0]
    assert rpc.calls == []


def test_json_as_deep_as_the_limit_passes_and_brackets_in_strings_do_not_count(stand_in_app, bearer):
    app, rpc = stand_in_app()
    client = app.test_client()
    deep = {"code": "MAG", "kind": "shop", "name": "[[[[{{{{" * 20, "x": [[[[[[[[[[1]]]]]]]]]]}
    for _ in range(21):  # 1 + 21 + the 10 of "x": 32 levels
        deep = {"nested": deep}
    assert client.post(LOCATIONS, json=deep, headers=bearer()).status_code == 201
    refused = client.post(LOCATIONS, json={"one-more": deep}, headers=bearer())
    assert_problem(refused, 400)
    assert len(rpc.calls) == 1


def test_json_that_is_not_an_object_is_still_a_422(stand_in_app, bearer):
    app, _ = stand_in_app()
    response = app.test_client().post(LOCATIONS, json=["MAG"], headers=bearer())
    assert assert_problem(response, 422)["errors"] == {"_schema": ["expected a JSON object"]}


def test_a_body_without_a_json_content_type_is_read_as_json(stand_in_app, bearer):
    app, rpc = stand_in_app()
    body = b'{"code": "MAG", "name": "Magasin", "kind": "shop"}'
    response = app.test_client().post(LOCATIONS, data=body, content_type="text/plain", headers=bearer())
    assert response.status_code == 201
    assert rpc.calls[0][3] == ({"code": "MAG", "name": "Magasin", "kind": "shop"},)


# --- Idempotency-Key and the request's id and deadline ---------------------------------------


def test_a_sale_without_an_idempotency_key_is_a_400_naming_the_header(stand_in_app, bearer):
    app, rpc = stand_in_app()
    response = app.test_client().post(SALES, json={"lines": [], "payments": []}, headers=bearer("cashier"))
    problem = assert_problem(response, 400)
    assert list(problem["errors"]) == ["Idempotency-Key"]
    assert rpc.calls == []


@pytest.mark.parametrize(
    "key",
    ["k" * 101, "", "with space", "tab\tkey", "clé".encode().decode("latin-1")],
    ids=["oversized", "empty", "space", "tab", "non-ascii"],
)
def test_an_idempotency_key_other_than_1_to_100_visible_ascii_characters_is_a_422(stand_in_app, bearer, key):
    app, rpc = stand_in_app()
    for url in (SALES, LOCATIONS):
        response = app.test_client().post(
            url, json={"lines": []}, headers={**bearer("cashier"), "Idempotency-Key": key}
        )
        assert list(assert_problem(response, 422)["errors"]) == ["Idempotency-Key"]
    assert rpc.calls == []


def test_an_idempotency_key_of_100_visible_characters_is_taken(stand_in_app, bearer):
    app, rpc = stand_in_app()
    key = "".join(chr(c) for c in range(0x21, 0x7F))[:100]
    response = app.test_client().post(SALES, json={"lines": []}, headers={**bearer("cashier"), "Idempotency-Key": key})
    assert response.status_code == 201
    assert rpc.calls[0][0].request_id == key


def test_the_idempotency_key_travels_as_the_request_id_not_as_an_argument(stand_in_app, bearer):
    app, rpc = stand_in_app(rpc_timeout=7)
    rpc.outcome = {"id": "sale-1"}
    key = str(uuid.uuid4())
    before = time.time()
    response = app.test_client().post(SALES, json={"lines": []}, headers={**bearer("cashier"), "Idempotency-Key": key})
    assert response.status_code == 201
    [(context, service, method, args, kwargs)] = rpc.calls
    # The rights beyond recording sales that the company grants the caller travel too (none, by default).
    assert (service, method, args, kwargs) == ("pos", "record_sale", ({"lines": []}, []), {})
    assert context.request_id == key
    assert before + 7 <= context.deadline <= time.time() + 7
    assert context.to_context_data()["request_id"] == key


def test_without_a_key_each_request_gets_its_own_id_shared_by_its_calls(stand_in_app, bearer):
    app, rpc = stand_in_app()

    @requires(READ_BUSINESS_DATA)
    def aggregate():  # a screen's view asking two services at once
        return {"both": gather([call_async("inventory", "get_article", "a"), call_async("pos", "get_sale", "b")])}

    app.add_url_rule("/api/v1/test/aggregate", view_func=aggregate)
    client, headers = app.test_client(), bearer()
    assert client.get("/api/v1/test/aggregate", headers=headers).status_code == 200
    client.post(LOCATIONS, json={"code": "MAG", "name": "Magasin", "kind": "shop"}, headers=headers)
    first, second, third = (call[0] for call in rpc.calls)
    assert first.request_id == second.request_id and first.deadline == second.deadline
    assert third.request_id != first.request_id
    for context in (first, third):
        assert uuid.UUID(context.request_id)


def test_a_create_with_a_client_key_is_sent_with_that_key(stand_in_app, bearer):
    app, rpc = stand_in_app()
    headers = {**bearer(), "Idempotency-Key": "till-3-sale-42"}
    app.test_client().post(LOCATIONS, json={"code": "MAG", "name": "Magasin", "kind": "shop"}, headers=headers)
    assert rpc.calls[0][0].request_id == "till-3-sale-42"


# --- correlation ids ----------------------------------------------------------------------------


def test_a_well_formed_correlation_id_is_kept(stand_in_app, bearer):
    app, rpc = stand_in_app()
    response = app.test_client().get(ARTICLE, headers={**bearer(), "X-Correlation-Id": "till-3:sale.42_a-b"})
    assert response.headers["X-Correlation-Id"] == "till-3:sale.42_a-b"
    assert rpc.calls[0][0].correlation_id == "till-3:sale.42_a-b"


@pytest.mark.parametrize(
    "sent",
    ["x" * 65, "-starts-with-a-dash", "with space", 'quote"and{json}', "é-accent", "a/b", ""],
    ids=["too-long", "leading-dash", "space", "json", "non-ascii", "slash", "empty"],
)
def test_any_other_correlation_id_is_replaced_by_a_new_one(stand_in_app, bearer, sent):
    app, rpc = stand_in_app()
    header = sent.encode().decode("latin-1")
    response = app.test_client().get(ARTICLE, headers={**bearer(), "X-Correlation-Id": header})
    echoed = response.headers["X-Correlation-Id"]
    assert echoed != header and uuid.UUID(echoed)
    assert rpc.calls[0][0].correlation_id == echoed
    assert response.status_code == 200


def test_a_correlation_id_of_exactly_64_characters_is_kept(stand_in_app, bearer):
    app, _ = stand_in_app()
    sent = "a" * 64
    assert (
        app.test_client().get(ARTICLE, headers={**bearer(), "X-Correlation-Id": sent}).headers["X-Correlation-Id"]
        == sent
    )
