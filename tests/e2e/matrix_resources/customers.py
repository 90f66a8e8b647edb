"""The customer file's resources for the route matrix: one customer with a site."""

from __future__ import annotations

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


def resources(stack: Stack, company: Company) -> dict[str, str]:
    customer = company.post("/api/v1/customers/customers", json=CUSTOMER)
    assert customer.status_code == 201, customer.get_json()
    body = customer.get_json()
    return {"customer_id": body["id"], "site_id": body["sites"][0]["id"]}
