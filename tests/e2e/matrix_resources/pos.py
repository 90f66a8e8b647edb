"""The till's resources for the route matrix: one sale, a refund of it, and the cash
session they were recorded in — closed, so that opening one is possible again."""

from __future__ import annotations

from conftest import Company, Stack


def resources(stack: Stack, company: Company) -> dict[str, str]:
    sale = company.post("/api/v1/pos/sales", json=company.sale_payload(quantity=2))
    assert sale.status_code == 201, sale.get_json()
    sale = sale.get_json()
    refund = company.post(
        f"/api/v1/pos/sales/{sale['id']}/refunds",
        json={
            "lines": [{"position": 1, "quantity": 1}],
            "payments": [{"method": "card", "amount": "39.90"}],
            "reason": "Retour",
        },
    )
    assert refund.status_code == 201, refund.get_json()
    closing = company.post(
        f"/api/v1/pos/cash-sessions/{sale['cash_session_id']}/closing",
        json={"counted": [{"method": "card", "amount": "39.90"}]},
    )
    assert closing.status_code == 200, closing.get_json()
    return {"sale_id": sale["id"], "refund_id": refund.get_json()["id"], "session_id": sale["cash_session_id"]}
