"""The customer file's resources for the route matrix: one customer with a site."""

from __future__ import annotations

from bassin_common.testing import wait_until
from conftest import Company, Stack

CUSTOMER = {
    "kind": "private",
    "first_name": "Hélène",
    "last_name": "Durand",
    "emails": [{"address": "helene.durand@orange.fr"}],
    "phones": [{"number": "06 12 34 56 78"}],
    "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    "sites": [{"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"}],
}

POOL = {
    "shape": "rectangle",
    "length_m": "8",
    "width_m": "4",
    "mean_depth_m": "1.5",
    "coating": "liner",
    "filtration": "sand",
    "treatment": "chlorine",
    "safety_device": "alarm",
}
# Five years' manufacturer warranty: still covered, so that SAV can open a manufacturer return on it.
EQUIPMENT = {
    "category": "pump",
    "brand": "Pentair",
    "model": "SuperFlo",
    "serial_number": "PF-MATRIX-1",
    "installed_on": "2024-05-02",
    "warranty_months": 60,
}


def resources(stack: Stack, company: Company) -> dict[str, str]:
    customer = company.post("/api/v1/customers/customers", json=CUSTOMER)
    assert customer.status_code == 201, customer.get_json()
    body = customer.get_json()
    site_id = body["sites"][0]["id"]
    pool = company.post("/api/v1/customers/pools", json={**POOL, "site_id": site_id})
    assert pool.status_code == 201, pool.get_json()
    pool_id = pool.get_json()["id"]
    equipment = company.post(f"/api/v1/customers/pools/{pool_id}/equipment", json=EQUIPMENT)
    assert equipment.status_code == 201, equipment.get_json()
    equipment_id = equipment.get_json()["id"]
    analysis = company.post(f"/api/v1/customers/pools/{pool_id}/analyses", json={"ph": "7.0", "temperature": "24"})
    assert analysis.status_code == 201, analysis.get_json()
    wait_for_article_copy(company)
    lead = company.post("/api/v1/customers/leads", json={"customer_id": body["id"], "subject": "Piscine 8 x 4"})
    assert lead.status_code == 201, lead.get_json()
    quote = company.post(
        "/api/v1/customers/quotes",
        json={
            "customer_id": body["id"],
            "kind": "service",
            "lines": [{"description": "Ouverture de piscine", "quantity": "1", "unit_price_excl_vat": "120.00"}],
        },
    )
    assert quote.status_code == 201, quote.get_json()
    contract = company.post(
        "/api/v1/customers/contracts",
        json={
            "customer_id": body["id"],
            "formula": "Sérénité",
            "starts_on": "2026-04-01",
            "ends_on": "2027-03-31",
            "price_excl_vat": "690.00",
        },
    )
    assert contract.status_code == 201, contract.get_json()
    return {
        "contract_id": contract.get_json()["id"],
        "lead_id": lead.get_json()["id"],
        "quote_id": quote.get_json()["id"],
        "customer_id": body["id"],
        "site_id": site_id,
        "pool_id": pool_id,
        "equipment_id": equipment_id,
        "analysis_id": analysis.get_json()["id"],
    }


def wait_for_article_copy(company: Company) -> None:
    """customers names the company's article (water products, quotes) once its copy came."""
    product = {"products": [{"role": "ph_plus", "article_id": company.article["id"]}]}
    wait_until(
        lambda: (
            company.client.put("/api/v1/customers/water-products", json=product, headers=company.auth).status_code
            == 200
        )
    )
