"""The till's and billing's resources for the route matrix: one sale, a refund of it, and
the cash session they were recorded in — closed, so that opening one is possible again —;
the customers area's customer, as the till copies it, and a draft invoice of theirs."""

from __future__ import annotations

from bassin_common.testing import wait_until
from conftest import Company, Stack


def resources(stack: Stack, company: Company, made: dict[str, str]) -> dict[str, str]:
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
    customer = made["customer_id"]  # the customers area's, which the till copies from customers' events

    def drafted() -> object:
        response = company.post(
            "/api/v1/pos/invoices",
            json={
                "customer_id": customer,
                "lines": [
                    {
                        "description": "Mise en service",
                        "quantity": "1",
                        "unit_price_excl_vat": "245.00",
                        "vat_rate": "20",
                    }
                ],
            },
        )
        assert response.status_code in (201, 404, 422), response.get_json()
        return response if response.status_code == 201 else None

    invoice = wait_until(drafted)
    return {
        "sale_id": sale["id"],
        "refund_id": refund.get_json()["id"],
        "session_id": sale["cash_session_id"],
        "invoice_id": invoice.get_json()["id"],
    }
