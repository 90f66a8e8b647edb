"""The till's resources for the route matrix: one sale."""

from __future__ import annotations

from conftest import Company, Stack


def resources(stack: Stack, company: Company) -> dict[str, str]:
    sale = company.post("/api/v1/pos/sales", json=company.sale_payload())
    assert sale.status_code == 201, sale.get_json()
    return {"sale_id": sale.get_json()["id"]}
