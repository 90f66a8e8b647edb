"""Purchasing through its use cases: the basket line of each (supplier, article, location)
kept current while open (maximum - on hand - on order, in packs), the buyer's edit, a
purchase order numbered without gaps, partial then full receipts that restock, close the
order and re-arm the minimum."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update

from bassin_common.errors import Conflict, PreconditionFailed, ValidationFailed
from bassin_common.pagination import PageQuery
from inventory import schemas, usecases
from inventory.models import PurchaseOrder


def load(schema: type, payload: dict[str, Any]) -> dict[str, Any]:
    return schema().load(payload)


@pytest.fixture
def shops(uow: Any) -> dict[str, Any]:
    """Two shops with chlore galets at 1,000 (minimum 500, maximum 900), bought from HydroSud
    by packs of 1 (lead time 5 days); a pump from the same supplier, unmanaged."""
    with uow() as work:
        nimes, ales = (
            usecases.create_location(work, load(schemas.LocationInput, {"code": code, "name": code, "kind": "shop"})).id
            for code in ("NIM", "ALE")
        )
        hydrosud = usecases.create_supplier(work, load(schemas.SupplierInput, {"name": "HydroSud"})).id
        offer = {
            "supplier_id": str(hydrosud),
            "purchase_price": "24.00",
            "lead_time_days": 5,
            "supplier_reference": "HS-1",
        }
        galets = usecases.create_article(
            work,
            load(
                schemas.ArticleInput,
                {
                    "sku": "CHL-GAL-5KG",
                    "name": "Chlore lent galets 5 kg",
                    "sale_price": "39.90",
                    "offers": [offer],
                    "stock": [
                        {"location_id": str(shop), "quantity": 1000, "minimum": 500, "maximum": 900}
                        for shop in (nimes, ales)
                    ],
                },
            ),
        ).id
    return {"nimes": nimes, "ales": ales, "hydrosud": hydrosud, "galets": galets}


def sell(uow: Any, shop: uuid.UUID, article: uuid.UUID, quantity: int) -> list[Any]:
    with uow() as work:
        usecases.apply_sale(
            work,
            {"sale_id": uuid.uuid4(), "location_id": shop, "lines": [{"article_id": article, "quantity": quantity}]},
        )
    return work.emitted


def basket(uow: Any) -> dict[uuid.UUID, dict[str, Any]]:
    """The open lines by location."""
    with uow() as work:
        return {line["location_id"]: line for line in usecases.supplier_basket(work, PageQuery().load({})).items}


def order(uow: Any, supplier: uuid.UUID, line_ids: list[uuid.UUID] | None = None) -> dict[str, Any]:
    payload = {"supplier_id": str(supplier), **({"line_ids": [str(i) for i in line_ids]} if line_ids else {})}
    with uow() as work:
        return usecases.create_purchase_order(work, load(schemas.PurchaseOrderInput, payload))


def receive(uow: Any, order_id: uuid.UUID, *lines: tuple[uuid.UUID, uuid.UUID, int]) -> dict[str, Any]:
    return receiving(uow, order_id, *lines)[0]


def receiving(uow: Any, order_id: uuid.UUID, *lines: tuple[uuid.UUID, uuid.UUID, int]) -> tuple[dict, list[Any]]:
    """``receive``, and the events the receipt emitted."""
    payload = {"lines": [{"article_id": str(a), "location_id": str(loc), "quantity": q} for a, loc, q in lines]}
    with uow() as work:
        return usecases.receive_goods(work, order_id, load(schemas.ReceiptInput, payload)), work.emitted


def test_the_line_is_kept_current_while_open_and_announced_once(uow: Any, shops: dict[str, Any]) -> None:
    first = sell(uow, shops["nimes"], shops["galets"], 501)  # 1000 -> 499: under the minimum
    assert [e.data["suggested_quantity"] for e in first if e.event_type == "reorder_needed"] == [401]
    later = sell(uow, shops["nimes"], shops["galets"], 55)  # 499 -> 444
    assert [e.event_type for e in later] == ["stock_levels_changed"]
    # The example: a shop at 444 with a maximum of 900 is told to order 456, not 401.
    assert basket(uow)[shops["nimes"]]["quantity"] == 456


def test_two_shops_below_their_minimum_are_two_needs(uow: Any, shops: dict[str, Any]) -> None:
    sell(uow, shops["nimes"], shops["galets"], 556)  # 444
    sell(uow, shops["ales"], shops["galets"], 800)  # 200
    lines = basket(uow)
    assert (lines[shops["nimes"]]["quantity"], lines[shops["ales"]]["quantity"]) == (456, 700)


def test_the_need_is_rounded_up_to_the_supplier_s_pack(uow: Any, shops: dict[str, Any]) -> None:
    with uow() as work:
        article = usecases.get_article(work, shops["galets"])
        offer = {"supplier_id": str(shops["hydrosud"]), "purchase_price": "24.00", "pack_size": 12}
        payload = {"name": article["name"], "sale_price": "39.90", "offers": [offer]}
        usecases.update_article(work, shops["galets"], ["1"], load(schemas.ArticleUpdate, payload))
    sell(uow, shops["nimes"], shops["galets"], 556)  # 444: needs 456 = 38 packs of 12
    assert basket(uow)[shops["nimes"]]["quantity"] == 456
    sell(uow, shops["nimes"], shops["galets"], 1)  # 443: needs 457 -> 39 packs
    assert basket(uow)[shops["nimes"]]["quantity"] == 468


def test_the_buyer_edits_a_line_under_if_match_and_zero_drops_it(uow: Any, shops: dict[str, Any]) -> None:
    sell(uow, shops["nimes"], shops["galets"], 556)
    line = basket(uow)[shops["nimes"]]
    with uow() as work:
        edited = usecases.update_basket_line(work, line["id"], ["1"], {"quantity": 480})
    assert (edited["quantity"], edited["version"]) == (480, 2)
    sell(uow, shops["nimes"], shops["galets"], 10)  # a larger need would raise it; this one does not
    assert basket(uow)[shops["nimes"]]["quantity"] == 480
    with uow() as work, pytest.raises(PreconditionFailed):
        usecases.update_basket_line(work, line["id"], ["1"], {"quantity": 500})
    with uow() as work:
        usecases.update_basket_line(work, line["id"], ["2"], {"quantity": 0})
    assert basket(uow) == {}


def test_basket_to_order_to_partial_then_full_receipt(uow: Any, shops: dict[str, Any]) -> None:
    nimes, ales, galets = shops["nimes"], shops["ales"], shops["galets"]
    sell(uow, nimes, galets, 556)  # 444: needs 456
    sell(uow, ales, galets, 800)  # 200: needs 700
    placed = order(uow, shops["hydrosud"])
    assert placed["number"] == "CF-000001" and placed["status"] == "sent" and not placed["late"]
    assert sorted((line["location_id"], line["quantity"], line["received"]) for line in placed["lines"]) == sorted(
        [(nimes, 456, 0), (ales, 700, 0)]
    )
    assert {str(line["unit_price"]) for line in placed["lines"]} == {"24.00"}
    assert placed["expected_on"] is not None  # today + the 5 days' lead time
    assert basket(uow) == {}
    # On order counts: more sales that stay above minimum - on order open no new line.
    sell(uow, nimes, galets, 44)  # 400 on hand + 456 on order = 856 >= 500
    assert basket(uow) == {}

    partial = receive(uow, placed["id"], (galets, nimes, 200))
    assert partial["status"] == "partially_received"
    assert [r["lines"] for r in partial["receipts"]] == [
        [{"article_id": str(galets), "location_id": str(nimes), "quantity": 200}]
    ]
    with pytest.raises(ValidationFailed) as refused:
        receive(uow, placed["id"], (galets, nimes, 257))  # 256 still due
    assert refused.value.errors == {"lines[0].quantity": ["more than the 256 still due on this line"]}

    full, emitted = receiving(uow, placed["id"], (galets, nimes, 256), (galets, ales, 700))
    assert full["status"] == "received"
    # One stock_levels_changed for the receipt, a level per received line, then goods_received.
    assert [e.event_type for e in emitted] == ["stock_levels_changed", "goods_received"]
    receipt = emitted[1].data["receipt_id"]
    levels = {
        nimes: {"quantity": 856, "previous_quantity": 600, "minimum": 500, "maximum": 900},
        ales: {"quantity": 900, "previous_quantity": 200, "minimum": 500, "maximum": 900},
    }
    assert emitted[0].data == {
        "reason": "receipt",
        "reference": receipt,
        "levels": [{"article_id": str(galets), "location_id": str(shop), **levels[shop]} for shop in sorted(levels)],
    }
    with uow() as work:
        assert usecases.get_stock_level(work, galets, nimes)["quantity"] == 400 + 456
        assert usecases.get_stock_level(work, galets, ales)["quantity"] == 900
    assert [e.event_type for e in work.emitted] == []
    with pytest.raises(Conflict):
        receive(uow, placed["id"], (galets, ales, 1))
    # Re-armed: falling under the minimum again opens a new line.
    sell(uow, nimes, galets, 400)  # 456
    assert basket(uow)[nimes]["quantity"] == 444


def test_orders_are_numbered_without_gaps_and_a_late_one_is_flagged(uow: Any, shops: dict[str, Any]) -> None:
    sell(uow, shops["nimes"], shops["galets"], 556)
    with pytest.raises(ValidationFailed):  # a line that is not in this supplier's basket
        order(uow, shops["hydrosud"], [uuid.uuid4()])
    first = order(uow, shops["hydrosud"])
    with pytest.raises(ValidationFailed) as empty:
        order(uow, shops["hydrosud"])
    assert "basket is empty" in empty.value.errors["supplier_id"][0]
    sell(uow, shops["ales"], shops["galets"], 800)
    second = order(uow, shops["hydrosud"])
    assert (first["number"], second["number"]) == ("CF-000001", "CF-000002")  # refused ones took no number
    with uow() as work:
        work.session.execute(
            update(PurchaseOrder).where(PurchaseOrder.id == first["id"]).values(expected_on="2020-01-01")
        )
    with uow() as work:
        listed = usecases.list_purchase_orders(work, load(schemas.PurchaseOrderQuery, {"status": "open"})).items
    assert [(o["number"], o["late"]) for o in listed] == [("CF-000002", False), ("CF-000001", True)]


def test_another_company_s_order_is_not_found(uow: Any, shops: dict[str, Any]) -> None:
    sell(uow, shops["nimes"], shops["galets"], 556)
    placed = order(uow, shops["hydrosud"])
    with uow(tenant_id=uuid.uuid4()) as other, pytest.raises(Exception) as missing:
        usecases.get_purchase_order(other, placed["id"])
    assert type(missing.value).__name__ == "NotFound"
