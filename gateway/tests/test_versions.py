"""What the gateway does for lists and versions before and after the service: a list's
query goes to the service as sent (it pages and validates); a read of a versioned resource
answers its version as ``ETag``; an update without ``If-Match`` is refused (428) before any
service is called, and with it the tags go to the service, which compares them under lock
(412 when stale)."""

from __future__ import annotations

import pytest

from bassin_common.errors import DOMAIN_ERRORS, PreconditionFailed, PreconditionRequired
from bassin_gateway.problems import STATUSES

ARTICLE = "3f0c6a1e-2b1d-4a7e-9d3c-7b7f1f6c2e10"
SHOP = "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11"
LEVEL = f"/api/v1/inventory/articles/{ARTICLE}/stock/{SHOP}"
THRESHOLDS = f"{LEVEL}/thresholds"
STOCK_LEVEL = {"location_id": SHOP, "quantity": 38, "minimum": 10, "maximum": 60, "version": 3}


def test_every_domain_error_has_its_status() -> None:
    assert all(error in STATUSES for error in DOMAIN_ERRORS)
    assert (STATUSES[PreconditionFailed][0], STATUSES[PreconditionRequired][0]) == (412, 428)


def test_a_list_s_query_goes_to_the_service_and_its_page_comes_back_as_is(stand_in_app, bearer) -> None:
    app, rpc = stand_in_app()
    rpc.outcome = {"items": [{"code": "MAG"}], "next": "WyJNQUciXQ"}
    response = app.test_client().get("/api/v1/inventory/locations?limit=1&cursor=WyJERVAiXQ", headers=bearer())
    assert (response.status_code, response.get_json()) == (200, rpc.outcome)
    [(_, service, method, args, _)] = rpc.calls
    assert (service, method, args) == ("inventory", "list_locations", ({"limit": "1", "cursor": "WyJERVAiXQ"},))


def test_a_versioned_read_answers_its_etag(stand_in_app, bearer) -> None:
    app, rpc = stand_in_app()
    rpc.outcome = STOCK_LEVEL
    response = app.test_client().get(LEVEL, headers=bearer("cashier"))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"3"'
    assert rpc.calls[0][2:4] == ("get_stock_level", (ARTICLE, SHOP))


@pytest.mark.parametrize("if_match", [None, "*"], ids=["missing", "star"])
def test_an_update_without_the_version_it_was_made_from_is_a_428_and_calls_nothing(
    stand_in_app, bearer, if_match
) -> None:
    app, rpc = stand_in_app()
    headers = {**bearer(), **({"If-Match": if_match} if if_match else {})}
    response = app.test_client().put(THRESHOLDS, json={"minimum": 5, "maximum": 50}, headers=headers)
    assert response.status_code == 428 and response.mimetype == "application/problem+json"
    assert "If-Match" in response.get_json()["detail"]
    assert rpc.calls == []


@pytest.mark.parametrize(
    ("if_match", "tags"),
    # An empty tag (found by the fuzzer: it was a 500) names no version.
    [('"3"', ["3"]), ('"2", "3"', ["2", "3"]), ('W/"3"', ['W/"3"']), ('"3", ""', ["3"])],
    ids=["one", "several", "weak", "with-an-empty-one"],
)
def test_an_update_sends_the_tags_it_was_made_from_and_answers_the_new_etag(
    stand_in_app, bearer, if_match, tags
) -> None:
    app, rpc = stand_in_app()
    rpc.outcome = {**STOCK_LEVEL, "minimum": 5, "version": 4}
    response = app.test_client().put(
        THRESHOLDS, json={"minimum": 5, "maximum": 50}, headers={**bearer(), "If-Match": if_match}
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == '"4"'
    assert rpc.calls[0][2:4] == ("set_thresholds", (ARTICLE, SHOP, tags, {"minimum": 5, "maximum": 50}))


def test_a_stale_version_is_a_412_problem(stand_in_app, bearer) -> None:
    app, rpc = stand_in_app()
    rpc.outcome = PreconditionFailed("the thresholds changed since you read them (now version 4)")
    response = app.test_client().put(
        THRESHOLDS, json={"minimum": 5, "maximum": 50}, headers={**bearer(), "If-Match": '"3"'}
    )
    assert response.status_code == 412 and response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Precondition failed"
    assert "ETag" not in response.headers
