"""The till's and billing's resources for the route matrix: one sale, a refund of it, and
the cash session they were recorded in — closed, so that opening one is possible again —;
a customer as the till knows it, and a draft invoice of theirs."""

from __future__ import annotations

from conftest import Company, Stack, known_customer


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
    customer = known_customer(stack, company)
    invoice = company.post(
        "/api/v1/pos/invoices",
        json={
            "customer_id": customer,
            "lines": [
                {"description": "Mise en service", "quantity": "1", "unit_price_excl_vat": "245.00", "vat_rate": "20"}
            ],
        },
    )
    assert invoice.status_code == 201, invoice.get_json()
    return {
        "sale_id": sale["id"],
        "refund_id": refund.get_json()["id"],
        "session_id": sale["cash_session_id"],
        "customer_id": customer,
        "invoice_id": invoice.get_json()["id"],
    }
