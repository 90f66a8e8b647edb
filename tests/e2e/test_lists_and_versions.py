"""The API's conventions through the whole stack (docs/api-conventions.md): every list is
read a page at a time by cursor, with a maximum page size; an update needs the ``ETag`` it
was made from (``If-Match``), compared by the service with the row locked."""

from __future__ import annotations

import uuid

import eventlet
from sqlalchemy import create_engine, text

from bassin_common.testing import backends_waiting_on_a_lock, wait_until
from conftest import Company, Stack

LOCATIONS = "/api/v1/inventory/locations"
SALES = "/api/v1/pos/sales"


def thresholds_url(company: Company) -> str:
    return f"/api/v1/inventory/articles/{company.article['id']}/stock/{company.shop['id']}/thresholds"


def test_a_list_is_read_a_page_at_a_time_by_cursor(stack: Stack) -> None:
    company = stack.new_company()  # its shop: MAG
    for code in ("VAN1", "DEP", "VAN2", "ATEL"):
        kind = "van" if code.startswith("VAN") else "warehouse"
        assert company.post(LOCATIONS, json={"code": code, "name": f"Lieu {code}", "kind": kind}).status_code == 201

    pages, query = [], {"limit": 2}
    while True:
        response = company.get(LOCATIONS, query_string=query)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert set(page) == {"items", "next"}
        pages.append([location["code"] for location in page["items"]])
        if page["next"] is None:
            break
        query = {"limit": 2, "cursor": page["next"]}
    assert pages == [["ATEL", "DEP"], ["MAG", "VAN1"], ["VAN2"]]

    for bad, field in [
        ({"limit": 201}, "limit"),  # above the maximum page size
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"offset": 2}, "offset"),  # not a parameter of a list
    ]:
        refused = company.get(LOCATIONS, query_string=bad)
        assert refused.status_code == 422, (bad, refused.get_json())
        assert refused.mimetype == "application/problem+json"
        assert list(refused.get_json()["errors"]) == [field]


def test_sales_are_listed_newest_first_and_by_date_range(stack: Stack) -> None:
    company = stack.new_company()
    recorded = [company.post(SALES, json=company.sale_payload(n)).get_json() for n in (1, 2, 3)]
    page = company.get(SALES, query_string={"limit": 2}).get_json()
    assert [sale["id"] for sale in page["items"]] == [recorded[2]["id"], recorded[1]["id"]]
    summary = set(page["items"][0])  # a summary: the ticket's figures, not its lines
    assert {"id", "number", "location_id", "total", "vat_total", "cashier_id", "completed_at"} <= summary
    assert "lines" not in summary
    rest = company.get(SALES, query_string={"limit": 2, "cursor": page["next"]}).get_json()
    assert ([sale["id"] for sale in rest["items"]], rest["next"]) == ([recorded[0]["id"]], None)

    second = recorded[1]["completed_at"]
    since_second = company.get(SALES, query_string={"since": second}).get_json()["items"]
    assert [sale["id"] for sale in since_second] == [recorded[2]["id"], recorded[1]["id"]]
    before_second = company.get(SALES, query_string={"until": second}).get_json()["items"]
    assert [sale["id"] for sale in before_second] == [recorded[0]["id"]]
    refused = company.get(SALES, query_string={"since": "hier"})
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["since"]
    assert stack.new_company().get(SALES).get_json() == {"items": [], "next": None}  # another company's


def test_a_stock_level_is_read_with_its_etag_and_updated_only_with_it(stack: Stack) -> None:
    company = stack.new_company()
    read = company.stock_level()
    assert (read["quantity"], read["minimum"], read["maximum"]) == (1000, 850, 1200)
    assert read["etag"] == f'"{read["version"]}"'

    missing = company.put(thresholds_url(company), json={"minimum": 900, "maximum": 1300})
    assert missing.status_code == 428 and missing.mimetype == "application/problem+json"
    star = company.put(thresholds_url(company), json={"minimum": 900, "maximum": 1300}, headers={"If-Match": "*"})
    assert star.status_code == 428

    changed = company.put(
        thresholds_url(company), json={"minimum": 900, "maximum": 1300}, headers={"If-Match": read["etag"]}
    )
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["minimum"], changed.headers["ETag"]) == (900, f'"{read["version"] + 1}"')
    stale = company.put(
        thresholds_url(company), json={"minimum": 100, "maximum": 200}, headers={"If-Match": read["etag"]}
    )
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert company.stock_level()["minimum"] == 900  # the stale edit changed nothing

    # Sales move the quantity, not the version: an edit read before a sale still applies.
    before_sale = company.stock_level()
    assert company.post(SALES, json=company.sale_payload(2)).status_code == 201
    wait_until(lambda: company.shop_quantity() == 998)
    assert company.stock_level()["etag"] == before_sale["etag"]
    after_sale = company.put(
        thresholds_url(company), json={"minimum": 950, "maximum": 1300}, headers={"If-Match": before_sale["etag"]}
    )
    assert after_sale.status_code == 200, after_sale.get_json()


def test_of_two_concurrent_edits_from_the_same_etag_one_wins_the_other_gets_412(stack: Stack) -> None:
    company = stack.new_company()
    etag = company.stock_level()["etag"]

    def edit(minimum: int):
        return company.put(
            thresholds_url(company),
            json={"minimum": minimum, "maximum": 1500},
            headers={"If-Match": etag, "Idempotency-Key": str(uuid.uuid4())},
        )

    # The level's row held locked while both edits arrive: the fault is proven to land (both
    # wait on the lock, their If-Match read) before either may compare.
    inventory_database = stack.settings.service_database_url("inventory")
    engine = create_engine(inventory_database)
    try:
        with engine.connect() as holder:
            holder.execute(
                text("SELECT 1 FROM stock_levels WHERE article_id = :a AND location_id = :l FOR UPDATE"),
                {"a": company.article["id"], "l": company.shop["id"]},
            )
            edits = [eventlet.spawn(edit, minimum) for minimum in (800, 1000)]
            wait_until(lambda: backends_waiting_on_a_lock(inventory_database) == 2)
            holder.rollback()
        answers = [edit.wait() for edit in edits]
    finally:
        engine.dispose()
    assert sorted(answer.status_code for answer in answers) == [200, 412], [a.get_json() for a in answers]
    [winner] = [answer.get_json() for answer in answers if answer.status_code == 200]
    level = company.stock_level()
    assert (level["minimum"], level["etag"]) == (winner["minimum"], f'"{winner["version"]}"')
