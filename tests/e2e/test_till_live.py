"""The till and billing with every service and the gateway as real processes (#22): a day
at the till while inventory is stopped — 20 sales succeed, and the stock reflects all 20
once inventory is back —, a refund, the cash session closed with a variance, the journal
verified intact; an invoice's life, the customer's balance, the FEC and statistics."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from bassin_common.testing import wait_until
from conftest import LiveStack, known_customer

SALES_WHILE_DOWN = 20


def post(stack: LiveStack, path: str, body: dict[str, Any]) -> requests.Response:
    headers = {**stack.auth, "Idempotency-Key": str(uuid.uuid4())}
    return requests.post(f"{stack.url}/api/v1/pos{path}", json=body, headers=headers, timeout=15)


def get(stack: LiveStack, path: str) -> dict[str, Any]:
    response = requests.get(f"{stack.url}/api/v1/pos{path}", headers=stack.auth, timeout=15)
    response.raise_for_status()
    return response.json()


@pytest.mark.e2e
def test_a_day_at_the_till_with_inventory_down(live_stack: LiveStack) -> None:
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
    inventory.wait_ready()
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


@pytest.mark.e2e
def test_billing_with_real_processes(live_stack: LiveStack) -> None:
    """An invoice drafted, checked, issued, paid in part, credited; the customer's balance;
    the month's FEC and statistics — each through the gateway, every service a process."""
    stack = live_stack
    customer = known_customer(stack, stack)  # the live stack is its own company
    line = {
        "description": "Hivernage de la piscine",
        "quantity": "1",
        "unit_price_excl_vat": "180.00",
        "vat_rate": "20",
    }
    draft = post(stack, "/invoices", {"customer_id": customer, "lines": [line]})
    assert draft.status_code == 201, draft.text
    invoice = draft.json()
    assert post(stack, f"/invoices/{invoice['id']}/check", {}).status_code == 200
    issued = post(stack, f"/invoices/{invoice['id']}/issue", {})
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"].endswith("-00001")
    paid = post(stack, f"/invoices/{invoice['id']}/payments", {"amount": "100.00", "method": "transfer"})
    assert (paid.status_code, paid.json()["balance"]) == (200, "116.00")
    credit = post(stack, f"/invoices/{invoice['id']}/credit-note", {"reason": "Geste commercial"}).json()
    post(stack, f"/invoices/{credit['id']}/check", {})
    assert post(stack, f"/invoices/{credit['id']}/issue", {}).json()["total_incl_vat"] == "116.00"
    assert get(stack, f"/customers/{customer}/balance")["balance"] == "0.00"
    today = issued.json()["issued_on"]
    fec = get(stack, f"/accounting/fec?start={today[:8]}01&end={today}")
    assert fec["content"].startswith("JournalCode\tJournalLib\tEcritureNum\t") and fec["entries"] == 3
    assert get(stack, f"/statistics/sales?start={today}&end={today}")["rows"] == []
