"""The inventory service in a real nameko container, on PostgreSQL and RabbitMQ.

Covered: an article created over RPC with its stock and initial movement; pos's
``sale_completed`` taking stock out and writing the ledger, once however often it is
delivered; a crossing below the minimum filling the supplier basket and writing one
``reorder_needed`` to the outbox; raising a minimum over RPC; another company seeing
nothing; invalid input named by field; writes refused to a role without stock rights;
every create and command retried with its request id applied once; lists answered a page
at a time; a threshold edit from a stale version refused.
The use cases themselves are tested without nameko in ``test_usecases.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import eventlet
import pytest
from sqlalchemy import create_engine, text

from bassin_common.errors import Forbidden, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from bassin_common.events import Event
from bassin_common.testing import publish_event, rpc_client, wait_until
from inventory.service import InventoryService


def sale(shop: dict[str, Any], article: dict[str, Any], tenant_id: uuid.UUID, quantity: int = 1) -> Event:
    return Event(
        event_type="sale_completed",
        tenant_id=tenant_id,
        producer="pos",
        data={
            "sale_id": str(uuid.uuid4()),
            "location_id": shop["id"],
            "lines": [{"article_id": article["id"], "quantity": quantity}],
        },
    )


def shop_quantity(tenant_id: uuid.UUID, article_id: str) -> int:
    with rpc_client(tenant_id) as rpc:
        return rpc.inventory.get_article(article_id)["stock"][0]["quantity"]


def test_article_is_created_with_its_stock_and_an_initial_movement(shop_article: dict[str, Any]) -> None:
    article, shop = shop_article["article"], shop_article["shop"]
    assert article["stock"] == [
        {
            "location_id": shop["id"],
            "location_code": "MAG",
            "location_name": "Magasin",
            "location_kind": "shop",
            "quantity": 1000,
            "reserved": 0,
            "available": 1000,
            "minimum": 850,
            "maximum": 1200,
            "version": 1,
        }
    ]
    with rpc_client(shop_article["tenant_id"]) as rpc:
        ledger = rpc.inventory.list_movements(article["id"], {})
    assert ledger == {"items": [{**ledger["items"][0], "delta": 1000, "reason": "initial"}], "next": None}


def test_sale_completed_decrements_stock_and_writes_the_ledger(shop_article: dict[str, Any], amqp_uri) -> None:
    tenant_id, shop, article = shop_article["tenant_id"], shop_article["shop"], shop_article["article"]
    publish_event(amqp_uri, sale(shop, article, tenant_id, quantity=3))
    wait_until(lambda: shop_quantity(tenant_id, article["id"]) == 997)
    with rpc_client(tenant_id) as rpc:
        ledger = rpc.inventory.list_movements(article["id"], {})["items"]  # newest first
    newest = ledger[0]
    assert (newest["delta"], newest["quantity_after"], newest["reason"]) == (-3, 997, "sale")


def test_duplicate_delivery_changes_nothing_the_second_time(shop_article: dict[str, Any], amqp_uri) -> None:
    tenant_id, shop, article = shop_article["tenant_id"], shop_article["shop"], shop_article["article"]
    event = sale(shop, article, tenant_id, quantity=2)
    publish_event(amqp_uri, event)
    wait_until(lambda: shop_quantity(tenant_id, article["id"]) == 998)
    publish_event(amqp_uri, event)  # the same event again, as after a redelivery
    publish_event(amqp_uri, event)
    eventlet.sleep(1)  # handlers run concurrently: give a wrong second application time to land
    with rpc_client(tenant_id) as rpc:
        ledger = rpc.inventory.list_movements(article["id"], {})["items"]
    assert shop_quantity(tenant_id, article["id"]) == 998
    assert [m["delta"] for m in ledger] == [-2, 1000]


def reorders_emitted(test_settings, tenant_id: uuid.UUID) -> int:
    """reorder_needed events inventory wrote for this tenant (its outbox keeps them)."""
    engine = create_engine(test_settings.service_database_url("inventory"))
    with engine.connect() as connection:
        count = connection.scalar(
            text("SELECT count(*) FROM outbox WHERE routing_key = 'reorder_needed' AND payload->>'tenant_id' = :t"),
            {"t": str(tenant_id)},
        )
    engine.dispose()
    return count


def test_crossing_below_minimum_fills_the_supplier_basket_once(
    shop_article: dict[str, Any], amqp_uri, test_settings
) -> None:
    tenant_id, shop, article = shop_article["tenant_id"], shop_article["shop"], shop_article["article"]
    publish_event(amqp_uri, sale(shop, article, tenant_id, quantity=151))  # 1000 -> 849: crossing
    wait_until(lambda: shop_quantity(tenant_id, article["id"]) == 849)
    for _ in range(3):
        publish_event(amqp_uri, sale(shop, article, tenant_id, quantity=3))  # still below: no new reorder
    wait_until(lambda: shop_quantity(tenant_id, article["id"]) == 840)

    def basket() -> list[dict[str, Any]]:
        with rpc_client(tenant_id) as rpc:
            return rpc.inventory.get_supplier_basket({})["items"]

    lines = wait_until(basket)
    assert reorders_emitted(test_settings, tenant_id) == 1
    assert len(lines) == 1
    assert lines[0]["article_id"] == article["id"]
    assert lines[0]["supplier_id"] == shop_article["supplier"]["id"]
    # Kept current while open: maximum - on hand when the sales end, nothing on order.
    wait_until(lambda: basket()[0]["quantity"] == 1200 - 840)
    assert basket()[0]["location_id"] == shop["id"]


def test_another_tenant_sees_nothing(shop_article: dict[str, Any]) -> None:
    intruder = uuid.uuid4()
    with rpc_client(intruder) as rpc, pytest.raises(NotFound):
        rpc.inventory.get_article(shop_article["article"]["id"])
    with rpc_client(intruder) as rpc:
        assert rpc.inventory.get_supplier_basket({}) == {"items": [], "next": None}
        with pytest.raises(NotFound):
            rpc.inventory.list_movements(shop_article["article"]["id"], {})
        with pytest.raises(NotFound):
            rpc.inventory.get_stock_level(shop_article["article"]["id"], shop_article["shop"]["id"])


def test_invalid_article_names_the_fields_and_writes_nothing(inventory, tenant_id: uuid.UUID) -> None:
    with rpc_client(tenant_id) as rpc:
        with pytest.raises(ValidationFailed) as raised:
            rpc.inventory.create_article(
                {
                    "sku": "",
                    "name": "Pompe",
                    "purchase_price": "abc",
                    "sale_price": "-1",
                    "stock": [{"location_id": str(uuid.uuid4()), "quantity": 5, "minimum": 9, "maximum": 3}],
                }
            )
        assert {"sku", "purchase_price", "sale_price", "stock[0].maximum"} <= set(raised.value.errors)
        with pytest.raises(ValidationFailed) as raised:
            rpc.inventory.create_article(
                {
                    "sku": "PMP-1",
                    "name": "Pompe",
                    "purchase_price": "100",
                    "sale_price": "150",
                    "stock": [{"location_id": str(uuid.uuid4()), "quantity": 5}],
                }
            )
        assert set(raised.value.errors) == {"stock[0].location_id"}
        assert rpc.inventory.list_locations({}) == {"items": [], "next": None}


def test_writes_need_a_stock_role(inventory, tenant_id: uuid.UUID) -> None:
    with rpc_client(tenant_id, roles=("cashier",)) as rpc, pytest.raises(Forbidden):
        rpc.inventory.create_location({"code": "VAN1", "name": "Camion 1", "kind": "van"})


def test_raising_the_minimum_above_the_stock_fills_the_basket(shop_article: dict[str, Any]) -> None:
    tenant_id, shop, article = shop_article["tenant_id"], shop_article["shop"], shop_article["article"]
    with rpc_client(tenant_id) as rpc:
        level = rpc.inventory.get_stock_level(article["id"], shop["id"])
        changed = rpc.inventory.set_thresholds(
            article["id"], shop["id"], [str(level["version"])], {"minimum": 1100, "maximum": 1500}
        )
        assert (changed["minimum"], changed["version"]) == (1100, level["version"] + 1)
        lower = {"minimum": 1, "maximum": 9}
        with pytest.raises(PreconditionFailed):  # made from the version read before: stale now
            rpc.inventory.set_thresholds(article["id"], shop["id"], [str(level["version"])], lower)
        with pytest.raises(PreconditionRequired):
            rpc.inventory.set_thresholds(article["id"], shop["id"], [], lower)

    def basket() -> list[dict[str, Any]]:
        with rpc_client(tenant_id) as rpc:
            return rpc.inventory.get_supplier_basket({})["items"]

    [line] = wait_until(basket)
    assert line["quantity"] == 1500 - 1000


CREATES = {
    "create_location": lambda ids: ({"code": "VAN1", "name": "Camion 1", "kind": "van"},),
    "create_supplier": lambda ids: ({"name": "Piscines Diffusion"},),
    "create_article": lambda ids: ({"sku": "PMP-1", "name": "Pompe", "purchase_price": "100", "sale_price": "150"},),
    "set_thresholds": lambda ids: (ids["article"]["id"], ids["shop"]["id"], ["1"], {"minimum": 900, "maximum": 1300}),
}


@pytest.mark.parametrize("method", list(CREATES))
def test_a_create_or_command_retried_with_its_request_id_is_applied_once(
    shop_article: dict[str, Any], test_settings, method: str
) -> None:
    tenant_id = shop_article["tenant_id"]
    arguments = CREATES[method](shop_article)
    with rpc_client(tenant_id, request_id=f"retry-{method}") as rpc:
        first = getattr(rpc.inventory, method)(*arguments)
        assert getattr(rpc.inventory, method)(*arguments) == first  # a retry: the first answer
    with rpc_client(tenant_id) as rpc:
        counts = [
            len(rpc.inventory.list_locations({})["items"]),
            len(rpc.inventory.list_suppliers({})["items"]),
            len(rpc.inventory.search_articles({})["items"]),
        ]
    created = [method == "create_location", method == "create_supplier", method == "create_article"]
    assert counts == [1 + once for once in created]
    processed = "SELECT count(*) FROM processed_requests WHERE request_id = :r"
    engine = create_engine(test_settings.service_database_url("inventory"))
    with engine.connect() as connection:
        assert connection.scalar(text(processed), {"r": f"retry-{method}"}) == 1
    engine.dispose()


# --- what inventory consumes from sav and pos refunds ------------------------------------


def test_a_van_technician_s_parts_decrement_the_van_and_a_refund_restocks_the_shop(
    migrate, service_config: dict[str, Any], container_factory, tenant_id: uuid.UUID, amqp_uri
) -> None:
    migrate("inventory")
    container_factory(InventoryService, service_config).start()
    with rpc_client(tenant_id) as rpc:
        shop = rpc.inventory.create_location({"code": "MAG", "name": "Magasin", "kind": "shop"})
        van = rpc.inventory.create_location({"code": "CAM-1", "name": "Camion de Julien", "kind": "van"})
        article = rpc.inventory.create_article(
            {
                "sku": "JOINT-PMP",
                "name": "Joint de couvercle de pompe",
                "sale_price": "12.90",
                "stock": [{"location_id": shop["id"], "quantity": 10}, {"location_id": van["id"], "quantity": 4}],
            }
        )
    lines = [{"article_id": article["id"], "quantity": 1}]
    publish_event(
        amqp_uri,
        Event(
            event_type="parts_used",
            tenant_id=tenant_id,
            producer="sav",
            data={"intervention_id": str(uuid.uuid4()), "location_id": van["id"], "lines": lines},
        ),
    )
    publish_event(
        amqp_uri,
        Event(
            event_type="sale_refunded",
            tenant_id=tenant_id,
            producer="pos",
            data={"refund_id": str(uuid.uuid4()), "sale_id": str(uuid.uuid4()), "location_id": shop["id"],
                  "lines": [{**lines[0], "total": "12.90"}], "total": "12.90"},
        ),
    )  # fmt: skip

    def stock() -> dict[str, int]:
        with rpc_client(tenant_id) as rpc:
            return {
                level["location_code"]: level["quantity"] for level in rpc.inventory.get_article(article["id"])["stock"]
            }

    assert wait_until(lambda: stock() == {"CAM-1": 3, "MAG": 11})
