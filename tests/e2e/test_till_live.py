"""The till with every service and the gateway as real processes (#22): a day at the till
while inventory is stopped — 20 sales succeed, and the stock reflects all 20 once
inventory is back —, a refund, the cash session closed with a variance, and the journal
verified intact."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from bassin_common.testing import wait_until
from conftest import LiveStack

SALES_WHILE_DOWN = 20


def post(stack: LiveStack, path: str, body: dict[str, Any]) -> requests.Response:
    headers = {**stack.auth, "Idempotency-Key": str(uuid.uuid4())}
    return requests.post(f"{stack.url}/api/v1/pos{path}", json=body, headers=headers, timeout=15)


def get(stack: LiveStack, path: str) -> dict[str, Any]:
    response = requests.get(f"{stack.url}/api/v1/pos{path}", headers=stack.auth, timeout=15)
    response.raise_for_status()
    return response.json()


@pytest.mark.e2e
def test_a_day_at_the_till_with_inventory_down(live_stack: LiveStack, rabbit_manager: Any) -> None:
    stack = live_stack
    before = stack.shop_quantity()
    opened = post(stack, "/cash-sessions", {"opening_float": "150.00"})
    assert opened.status_code == 201, opened.text
    session = opened.json()

    inventory = stack.services["inventory"]
    inventory.stop()
    # Proof that inventory is down: its reads answer 503 through the gateway.
    down = requests.get(
        f"{stack.url}/api/v1/inventory/articles/{stack.article['id']}/stock/{stack.shop['id']}",
        headers=stack.auth,
        timeout=30,
    )
    assert down.status_code in (503, 504), down.text
    sales = [stack.sell(str(uuid.uuid4()), quantity=1) for _ in range(SALES_WHILE_DOWN)]
    assert [sale.status_code for sale in sales] == [201] * SALES_WHILE_DOWN, [
        s.text for s in sales if s.status_code != 201
    ]
    assert [sale.json()["number"] for sale in sales] == list(range(1, SALES_WHILE_DOWN + 1))

    inventory.start()
    inventory.wait_ready(rabbit_manager, stack.vhost)
    wait_until(lambda: stack.shop_quantity() == before - SALES_WHILE_DOWN, timeout=60)

    first = sales[0].json()
    refund = post(
        stack,
        f"/sales/{first['id']}/refunds",
        {
            "lines": [{"position": 1, "quantity": 1}],
            "payments": [{"method": "cash", "amount": "39.90"}],
            "reason": "Erreur",
        },
    )
    assert refund.status_code == 201, refund.text

    counted = {"counted": [{"method": "card", "amount": "798.00"}, {"method": "cash", "amount": "110.00"}]}
    closed = post(stack, f"/cash-sessions/{session['id']}/closing", counted)
    assert closed.status_code == 200, closed.text
    report = closed.json()
    assert report["z_report"]["sales_count"] == SALES_WHILE_DOWN
    assert Decimal(report["z_report"]["net_total"]) == Decimal("39.90") * (SALES_WHILE_DOWN - 1)
    assert report["expected"] == [{"method": "card", "amount": "798.00"}, {"method": "cash", "amount": "110.10"}]
    assert report["variances"] == [{"method": "card", "amount": "0.00"}, {"method": "cash", "amount": "-0.10"}]

    checked = get(stack, "/journal/verification")
    assert checked["intact"] is True
    assert checked["shops"][0]["tickets"] == SALES_WHILE_DOWN + 1
