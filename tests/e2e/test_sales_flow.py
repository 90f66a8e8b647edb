"""The first business flow through the gateway: sale -> stock -> supplier basket."""

from __future__ import annotations

import uuid

import eventlet
import pytest

from bassin_common.testing import wait_until
from conftest import Company, Stack, count_rows


def test_a_sale_decrements_the_stock_of_each_line_at_the_shop(stack: Stack) -> None:
    company = stack.new_company()
    response = company.post("/api/v1/pos/sales", json=company.sale_payload(quantity=3))
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    assert sale["total"] == "119.70"
    assert sale["vat_total"] == "19.95"
    assert [(line["quantity"], line["unit_price"]) for line in sale["lines"]] == [(3, "39.90")]
    wait_until(lambda: company.shop_quantity() == 997)
    newest, *_ = company.every(f"/api/v1/inventory/articles/{company.article['id']}/movements")
    assert (newest["delta"], newest["reason"], newest["reference"]) == (-3, "sale", sale["id"])
    assert company.get(f"/api/v1/pos/sales/{sale['id']}").get_json()["id"] == sale["id"]


def test_a_split_payment_must_add_up_to_the_total(stack: Stack) -> None:
    company = stack.new_company()
    payload = company.sale_payload(quantity=2)  # 79.80
    payload["payments"] = [{"method": "cash", "amount": "50.00"}, {"method": "card", "amount": "29.80"}]
    assert company.post("/api/v1/pos/sales", json=payload).status_code == 201
    payload["payments"] = [{"method": "cash", "amount": "50.00"}, {"method": "card", "amount": "20.00"}]
    refused = company.post("/api/v1/pos/sales", json=payload)
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["payments"]


def test_200_concurrent_sales_apply_exactly_and_reorder_once(stack: Stack) -> None:
    company = stack.new_company(stock=1000, minimum=850, maximum=1200)
    pool = eventlet.GreenPool(50)
    statuses = list(
        pool.imap(lambda _: company.post("/api/v1/pos/sales", json=company.sale_payload()).status_code, range(200))
    )
    assert statuses == [201] * 200
    wait_until(lambda: company.shop_quantity() <= 800, timeout=60)
    assert company.shop_quantity() == 800
    ledger = company.every(f"/api/v1/inventory/articles/{company.article['id']}/movements")  # 2 pages
    assert len([m for m in ledger if m["reason"] == "sale"]) == 200
    lines = wait_until(lambda: company.every("/api/v1/inventory/supplier-basket/lines"))
    eventlet.sleep(1)  # a second reorder, were there one, would have landed by now
    lines = company.every("/api/v1/inventory/supplier-basket/lines")
    assert len(lines) == 1
    assert lines[0]["article_id"] == company.article["id"]
    assert lines[0]["supplier_name"] == "HydroSud Distribution"
    assert lines[0]["quantity"] == 1200 - 800  # kept current: to the maximum from the stock when sales end


def test_the_same_idempotency_key_records_one_sale(stack: Stack) -> None:
    company = stack.new_company()
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = company.post("/api/v1/pos/sales", json=company.sale_payload(2), headers=headers).get_json()
    again = company.post("/api/v1/pos/sales", json=company.sale_payload(2), headers=headers).get_json()
    assert again["id"] == first["id"]
    # A retry racing its first attempt (the till timed out and sent again).
    racing = {"Idempotency-Key": str(uuid.uuid4())}
    answers = list(
        eventlet.GreenPool(5).imap(
            lambda _: company.post("/api/v1/pos/sales", json=company.sale_payload(1), headers=racing), range(5)
        )
    )
    assert [a.status_code for a in answers] == [201] * 5
    assert len({a.get_json()["id"] for a in answers}) == 1
    wait_until(lambda: company.shop_quantity() == 997)
    eventlet.sleep(1)  # a duplicate, were there one, would have landed by now
    assert company.shop_quantity() == 997
    assert count_rows(stack, "pos", "sales", company.tenant_id) == 2


MALFORMED = [
    (
        "unknown article",
        lambda c: {**c.sale_payload(), "lines": [{"article_id": str(uuid.uuid4()), "quantity": 1}]},
        "lines[0].article_id",
    ),
    (
        "negative quantity",
        lambda c: {**c.sale_payload(), "lines": [{"article_id": c.article["id"], "quantity": -2}]},
        "lines[0].quantity",
    ),
    ("missing payment", lambda c: {"lines": c.sale_payload()["lines"]}, "payments"),
    ("empty payments", lambda c: {**c.sale_payload(), "payments": []}, "payments"),
    (
        "quantity as text",
        lambda c: {**c.sale_payload(), "lines": [{"article_id": c.article["id"], "quantity": "2"}]},
        "lines[0].quantity",
    ),
    (
        "article id not a uuid",
        lambda c: {**c.sale_payload(), "lines": [{"article_id": 42, "quantity": 1}]},
        "lines[0].article_id",
    ),
    (
        "amount not a number",
        lambda c: {**c.sale_payload(), "payments": [{"method": "card", "amount": "beaucoup"}]},
        "payments[0].amount",
    ),
    (
        "unknown payment method",
        lambda c: {**c.sale_payload(), "payments": [{"method": "bitcoin", "amount": "39.90"}]},
        "payments[0].method",
    ),
    ("lines not a list", lambda c: {**c.sale_payload(), "lines": "CHL-GAL-5KG"}, "lines"),
    ("unknown field", lambda c: {**c.sale_payload(), "discount": "10"}, "discount"),
]


@pytest.mark.parametrize(("case", "make_payload", "field"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_sale_is_refused_naming_the_field_and_writes_nothing(stack: Stack, case, make_payload, field):
    company = stack.new_company()
    response = company.post("/api/v1/pos/sales", json=make_payload(company))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert field in problem["errors"], problem
    assert problem["status"] == 422 and problem["correlation_id"]
    # Nothing written: a valid sale afterwards is the only movement the ledger gets.
    assert company.post("/api/v1/pos/sales", json=company.sale_payload()).status_code == 201
    wait_until(lambda: company.shop_quantity() == 999)
    ledger = company.every(f"/api/v1/inventory/articles/{company.article['id']}/movements")
    assert [m["delta"] for m in ledger] == [-1, 1000]  # newest first
    assert count_rows(stack, "pos", "sales", company.tenant_id) == 1
    assert count_rows(stack, "pos", "sale_lines", company.tenant_id) == 1


def test_a_body_that_is_not_json_is_a_400_problem_and_a_sale_needs_a_key(stack: Stack) -> None:
    company = stack.new_company()
    response = company.post("/api/v1/pos/sales", data="lines=1", content_type="text/plain")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "_schema" in response.get_json()["errors"]
    not_an_object = company.post("/api/v1/pos/sales", json=["lines"])
    assert not_an_object.status_code == 422 and "_schema" in not_an_object.get_json()["errors"]
    keyless = company.post("/api/v1/pos/sales", json=company.sale_payload(), headers={"Idempotency-Key": None})
    assert keyless.status_code == 400 and "Idempotency-Key" in keyless.get_json()["errors"]
    assert count_rows(stack, "pos", "sales", company.tenant_id) == 0


def test_tenants_cannot_see_or_touch_each_other(stack: Stack) -> None:
    alpha, beta = stack.new_company(), stack.new_company()
    sale = alpha.post("/api/v1/pos/sales", json=alpha.sale_payload()).get_json()
    article_id, shop_id = alpha.article["id"], alpha.shop["id"]

    assert beta.get(f"/api/v1/inventory/articles/{article_id}").status_code == 404
    assert beta.get(f"/api/v1/inventory/articles/{article_id}/movements").status_code == 404
    assert beta.get(f"/api/v1/pos/sales/{sale['id']}").status_code == 404
    assert beta.get(f"/api/v1/inventory/articles/{article_id}/stock/{shop_id}").status_code == 404
    changed = beta.put(
        f"/api/v1/inventory/articles/{article_id}/stock/{shop_id}/thresholds",
        json={"minimum": 0, "maximum": 0},
        headers={"If-Match": alpha.stock_level()["etag"]},
    )
    assert changed.status_code == 404
    stolen = beta.post("/api/v1/pos/sales", json={**alpha.sale_payload(), "location_id": beta.shop["id"]})
    assert stolen.status_code == 422 and "lines[0].article_id" in stolen.get_json()["errors"]

    wait_until(lambda: alpha.shop_quantity() == 999)
    article = alpha.get(f"/api/v1/inventory/articles/{article_id}").get_json()
    assert article["stock"][0]["minimum"] == 850
    assert beta.get("/api/v1/inventory/supplier-basket/lines").get_json() == {"items": [], "next": None}


def test_authentication_is_required_and_checked(stack: Stack) -> None:
    company = stack.new_company()
    url = f"/api/v1/inventory/articles/{company.article['id']}"
    assert stack.client.get(url).status_code == 401
    assert stack.client.get(url, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    tampered = company.token[:-4] + ("AAAA" if not company.token.endswith("AAAA") else "BBBB")
    assert stack.client.get(url, headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    wrong = stack.client.post("/api/v1/auth/login", json={"email": "nobody@example.fr", "password": "x" * 12})
    assert wrong.status_code == 401 and wrong.mimetype == "application/problem+json"
    missing = stack.client.post("/api/v1/auth/login", json={"email": "a@b.fr"})
    assert missing.status_code == 422 and "password" in missing.get_json()["errors"]


def test_roles_limit_what_a_user_may_do(stack: Stack) -> None:
    company = stack.new_company()
    cashier = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("cashier",)))
    cashier.article, cashier.shop = company.article, company.shop
    assert cashier.post("/api/v1/pos/sales", json=cashier.sale_payload()).status_code == 201
    assert cashier.get(f"/api/v1/inventory/articles/{company.article['id']}").status_code == 200
    assert cashier.get("/api/v1/inventory/supplier-basket/lines").status_code == 403
    refused = cashier.post("/api/v1/inventory/locations", json={"code": "VAN1", "name": "Camion", "kind": "van"})
    assert refused.status_code == 403
    assert [loc["code"] for loc in company.get("/api/v1/inventory/locations").get_json()["items"]] == ["MAG"]


def test_articles_are_searched_by_sku_or_name_a_page_at_a_time(stack: Stack) -> None:
    company = stack.new_company()
    found = company.get("/api/v1/inventory/articles?q=galets").get_json()["items"]
    assert [a["sku"] for a in found] == ["CHL-GAL-5KG"]
    assert company.get("/api/v1/inventory/articles?q=pompe").get_json() == {"items": [], "next": None}
    refused = company.get("/api/v1/inventory/articles?limit=5000")
    assert refused.status_code == 422 and "limit" in refused.get_json()["errors"]


def test_duplicates_and_oversized_keys_are_client_errors(stack: Stack) -> None:
    company = stack.new_company()
    again = company.post("/api/v1/inventory/locations", json={"code": "MAG", "name": "Autre", "kind": "shop"})
    assert again.status_code == 422 and list(again.get_json()["errors"]) == ["code"]
    headers = {"Idempotency-Key": "k" * 101}
    oversized = company.post("/api/v1/pos/sales", json=company.sale_payload(), headers=headers)
    assert oversized.status_code == 422 and list(oversized.get_json()["errors"]) == ["Idempotency-Key"]


def test_values_the_database_cannot_hold_are_refused_by_field(stack: Stack) -> None:
    company = stack.new_company()
    article = {"sku": "HUGE", "name": "Énorme", "purchase_price": "1", "sale_price": "1"}
    cases = [
        ({**article, "purchase_price": "1e11"}, "purchase_price"),
        ({**article, "stock": [{"location_id": company.shop["id"], "quantity": 3_000_000_000}]}, "stock[0].quantity"),
        ({**article, "name": "Pompe\x00"}, "name"),
        (
            {**article, "stock": [{"location_id": company.shop["id"], "quantity": 1}] * 2},
            "stock[1].location_id",
        ),
    ]
    for payload, field in cases:
        response = company.post("/api/v1/inventory/articles", json=payload)
        assert response.status_code == 422, (field, response.get_json())
        assert field in response.get_json()["errors"], (field, response.get_json())
    search = company.get("/api/v1/inventory/articles?q=%00")
    assert search.status_code == 422 and "q" in search.get_json()["errors"]
    big_sale = company.sale_payload()
    big_sale["lines"][0]["unit_price"] = "9999999999.99"
    big_sale["lines"][0]["quantity"] = 2
    big_sale["payments"] = [{"method": "transfer", "amount": "9999999999.99"}]
    response = company.post("/api/v1/pos/sales", json=big_sale)
    assert response.status_code == 422 and "lines" in response.get_json()["errors"]
