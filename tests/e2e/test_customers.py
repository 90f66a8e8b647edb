"""The customer file through the gateway, with every service running: a customer with a
site, searched without accents; edits with ETag/If-Match; portal invitations checked
against the company's customers; the portal's own file."""

from __future__ import annotations

import uuid
from copy import deepcopy
from typing import Any

from bassin_common.testing import rpc_client, wait_until
from bassin_gateway import identities
from conftest import PASSWORD, Company, Stack, count_rows

CUSTOMERS = "/api/v1/customers/customers"
HELENE = {
    "kind": "private",
    "first_name": "Hélène",
    "last_name": "Durand",
    "emails": [{"address": "helene.durand@orange.fr"}],
    "phones": [{"number": "06 12 34 56 78", "label": "portable"}],
    "consent": {"email": True, "sms": True},
    "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    "tags": ["entretien"],
    "sites": [{"label": "Mas", "line1": "Route d'Uzès", "postcode": "30190", "city": "Saint-Chaptes"}],
}


def new_customer(company: Company, **changes: Any) -> dict[str, Any]:
    response = company.post(CUSTOMERS, json={**deepcopy(HELENE), **changes})
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"].endswith(response.get_json()["id"])
    return response.get_json()


def test_a_customer_with_a_site_is_found_without_accents_and_edited_with_its_etag(stack: Stack) -> None:
    company = stack.new_company()
    created = new_customer(company)
    new_customer(company, first_name="Jérôme", last_name="Martin", emails=[], phones=[], sites=[])

    found = company.get(CUSTOMERS, query_string={"q": "HELENE nimes"}).get_json()
    assert [c["display_name"] for c in found["items"]] == ["DURAND Hélène"]
    assert company.get(CUSTOMERS, query_string={"q": "0612"}).get_json()["items"][0]["id"] == created["id"]
    everyone = company.every(CUSTOMERS)
    assert [c["display_name"] for c in everyone] == ["DURAND Hélène", "MARTIN Jérôme"]

    url = f"{CUSTOMERS}/{created['id']}"
    read = company.get(url)
    assert read.headers["ETag"] == '"1"'
    assert read.get_json()["sites"][0]["city"] == "Saint-Chaptes"
    body = {k: v for k, v in HELENE.items() if k != "sites"} | {"last_name": "Leroy"}
    assert company.put(url, json=body).status_code == 428
    assert company.put(url, json=body, headers={"If-Match": '"9"'}).status_code == 412
    edited = company.edit(url, json=body)
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["display_name"], edited.headers["ETag"]) == ("LEROY Hélène", '"2"')

    site = company.post(f"{url}/sites", json={"line1": "Plage", "postcode": "34280", "city": "La Grande-Motte"})
    assert site.status_code == 201, site.get_json()
    first_site = f"/api/v1/customers/sites/{created['sites'][0]['id']}"
    moved = {"line1": "Chemin du Moulin", "postcode": "30700", "city": "Uzès", "access_notes": "Code 4321"}
    corrected = company.edit(first_site, json=moved)
    assert (corrected.status_code, corrected.headers["ETag"]) == (200, '"2"'), corrected.get_json()
    assert company.get(CUSTOMERS, query_string={"q": "grande motte"}).get_json()["items"][0]["id"] == created["id"]
    note = company.post(f"{url}/notes", json={"kind": "call", "text": "Veut un devis de pompe à chaleur."})
    assert note.status_code == 201, note.get_json()
    timeline = company.get(f"{url}/timeline").get_json()["items"]
    assert [entry["kind"] for entry in timeline] == ["call", "created"]


def test_bad_customer_input_names_the_field_and_writes_nothing(stack: Stack) -> None:
    company = stack.new_company()
    other = stack.new_company()
    for change, field in [
        ({"last_name": ""}, "last_name"),
        ({"billing_address": {"line1": "x", "postcode": "ABCDE", "city": "Nîmes"}}, "billing_address.postcode"),
        ({"emails": [{"address": "pas-une-adresse"}]}, "emails[0].address"),
        ({"salesperson_id": str(uuid.uuid4())}, "salesperson_id"),
        ({"salesperson_id": str(company_manager(stack, other))}, "salesperson_id"),
    ]:
        response = company.post(CUSTOMERS, json={**deepcopy(HELENE), **change})
        assert response.status_code == 422, (change, response.get_json())
        assert field in str(response.get_json()), (field, response.get_json())
    assert count_rows(stack, "customers", "customers", company.tenant_id) == 0
    ours = new_customer(company, salesperson_id=str(company_manager(stack, company)))
    assert ours["salesperson_id"] == str(company_manager(stack, company))
    assert company.get(f"{CUSTOMERS}/{new_customer(other)['id']}").status_code == 404


def company_manager(stack: Stack, company: Company) -> uuid.UUID:
    users = company.get("/api/v1/users").get_json()["items"]
    return uuid.UUID(next(user["id"] for user in users if "manager" in user["roles"]))


def test_a_portal_invitation_names_one_of_the_companys_customers_who_then_reads_their_own_file(stack: Stack) -> None:
    company, other = stack.new_company(), stack.new_company()
    ours, theirs = new_customer(company), new_customer(other)
    invitation = {"email": "helene.durand@orange.fr", "full_name": "Hélène Durand", "roles": ["customer"]}
    for customer_id in (str(uuid.uuid4()), theirs["id"]):
        refused = company.post("/api/v1/users", json={**invitation, "customer_id": customer_id})
        assert refused.status_code == 422, refused.get_json()
        assert "customer_id" in refused.get_json()["errors"], refused.get_json()
    assert count_rows(stack, "gateway", "users", company.tenant_id) == 1  # the manager only
    invited = company.post("/api/v1/users", json={**invitation, "customer_id": ours["id"]})
    assert invited.status_code == 201, invited.get_json()

    email = f"client-{uuid.uuid4().hex[:8]}@example.fr"
    with stack.sessions() as session:
        identities.create_user(
            session, company.tenant_id, email, PASSWORD, "Client", ["customer"], uuid.UUID(ours["id"])
        )
        session.commit()
    token = stack.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    portal = {"Authorization": f"Bearer {token['access_token']}"}
    own = stack.client.get("/api/v1/portal/customer", headers=portal)
    assert own.status_code == 200, own.get_json()
    assert own.get_json()["id"] == ours["id"]
    assert stack.client.get(f"{CUSTOMERS}/{ours['id']}", headers=portal).status_code == 403


POOL = {
    "shape": "rectangle",
    "length_m": "8",
    "width_m": "4",
    "mean_depth_m": "1.5",
    "coating": "liner",
    "filtration": "sand",
    "treatment": "salt",
    "safety_device": "cover",
}
EQUIPMENT = [
    {
        "category": "pump",
        "brand": "Pentair",
        "model": "SuperFlo VS",
        "serial_number": "PF-88123",
        "installed_on": "2024-04-15",
    },
    {"category": "sand_filter", "brand": "Hayward", "model": "Pro Side 600", "installed_on": "2024-04-15"},
    {
        "category": "heat_pump",
        "brand": "Hayward",
        "model": "EnergyLine Pro 9 kW",
        "serial_number": "HP-2024-001742",
        "installed_on": "2024-04-15",
        "warranty_months": 36,
    },
]


def new_pool(company: Company, customer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    response = company.post("/api/v1/customers/pools", json={**POOL, "site_id": customer["sites"][0]["id"], **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_customer_with_a_site_a_pool_and_three_pieces_of_equipment(stack: Stack) -> None:
    company, other = stack.new_company(), stack.new_company()
    customer = new_customer(company)
    pool = new_pool(company, customer)
    assert pool["volume_m3"] == "48.0"
    for equipment in EQUIPMENT:
        response = company.post(f"/api/v1/customers/pools/{pool['id']}/equipment", json=equipment)
        assert response.status_code == 201, response.get_json()
    heat_pump = response.get_json()
    assert (heat_pump["warranty_ends_on"], heat_pump["end_of_life_on"]) == ("2027-04-15", "2036-04-15")

    file = company.get(f"{CUSTOMERS}/{customer['id']}").get_json()
    assert [e["category"] for e in file["pools"][0]["equipment"]] == ["pump", "sand_filter", "heat_pump"]
    found = company.get(CUSTOMERS, query_string={"q": "HP-2024-0017"}).get_json()["items"]
    assert [c["id"] for c in found] == [customer["id"]]

    # A duplicate serial of the same brand, impossible dimensions, another company's site:
    # refused naming the field, nothing written.
    before = count_rows(stack, "customers", "equipment", company.tenant_id)
    duplicate = company.post(
        f"/api/v1/customers/pools/{pool['id']}/equipment", json={**EQUIPMENT[2], "serial_number": "hp 2024 001742"}
    )
    assert duplicate.status_code == 422 and "serial_number" in duplicate.get_json()["errors"], duplicate.get_json()
    assert count_rows(stack, "customers", "equipment", company.tenant_id) == before
    pools_before = count_rows(stack, "customers", "pools", company.tenant_id)
    for change, field in [
        ({"length_m": "-8"}, "length_m"),
        ({"site_id": new_customer(other)["sites"][0]["id"]}, "site_id"),
    ]:
        refused = company.post(
            "/api/v1/customers/pools", json={**POOL, "site_id": customer["sites"][0]["id"], **change}
        )
        assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    assert count_rows(stack, "customers", "pools", company.tenant_id) == pools_before
    unknown = company.post(f"/api/v1/customers/pools/{uuid.uuid4()}/equipment", json=EQUIPMENT[0])
    assert unknown.status_code == 404

    # Replacing the heat pump keeps the old one in the pool's history.
    replacement = {**EQUIPMENT[2], "serial_number": "HP-2026-000009", "installed_on": "2026-05-01"}
    new = company.post(f"/api/v1/customers/equipment/{heat_pump['id']}/replacement", json=replacement)
    assert new.status_code == 201, new.get_json()
    history = company.get(f"/api/v1/customers/pools/{pool['id']}").get_json()["equipment"]
    assert [(e["category"], e["status"]) for e in history][2:] == [
        ("heat_pump", "replaced"),
        ("heat_pump", "in_service"),
    ]
    edited = company.edit(f"/api/v1/customers/pools/{pool['id']}", json={**POOL, "volume_override_m3": "45.5"})
    assert (edited.status_code, edited.get_json()["volume_m3"]) == (200, "45.5")


def test_an_analysis_with_low_ph_and_high_stabiliser_recommends_the_companys_product(stack: Stack) -> None:
    company = stack.new_company()
    pool = new_pool(company, new_customer(company), treatment="chlorine")
    products = {"products": [{"role": "ph_plus", "article_id": company.article["id"], "dose": "120"}]}
    wait_until(lambda: company.put("/api/v1/customers/water-products", json=products).status_code == 200)
    values = {
        "ph": "6.8",
        "total_alkalinity": "100",
        "calcium_hardness": "200",
        "cyanuric_acid": "95",
        "temperature": "26",
    }
    recorded = company.post(f"/api/v1/customers/pools/{pool['id']}/analyses", json=values)
    assert recorded.status_code == 201, recorded.get_json()
    body = recorded.get_json()
    assert body["problems"] == ["ph_low", "cyanuric_acid_high"]
    dose = body["recommendation"][0]
    # 0.6 pH x 120 g/m³ (the company's own dose) x 48 m³ = 3,456 g, to the nearest 10 g.
    assert (dose["article_id"], dose["article_name"], dose["quantity"]) == (
        company.article["id"],
        "Chlore lent galets 5 kg",
        "3460",
    )
    history = company.get(f"/api/v1/customers/pools/{pool['id']}/analyses").get_json()["items"]
    assert [a["id"] for a in history] == [body["id"]]

    before = count_rows(stack, "customers", "water_analyses", company.tenant_id)
    refused = company.post(f"/api/v1/customers/pools/{pool['id']}/analyses", json={**values, "ph": "42"})
    assert refused.status_code == 422 and "ph" in refused.get_json()["errors"], refused.get_json()
    assert company.post(f"/api/v1/customers/pools/{uuid.uuid4()}/analyses", json=values).status_code == 404
    assert count_rows(stack, "customers", "water_analyses", company.tenant_id) == before


def test_a_maintenance_contract_is_signed_listed_and_announced_by_the_daily_scan(stack: Stack) -> None:
    company = stack.new_company()
    customer = new_customer(company)
    pool = new_pool(company, customer)
    contract = {
        "customer_id": customer["id"],
        "pool_id": pool["id"],
        "formula": "Sérénité : ouverture, fermeture, 6 visites",
        "includes_opening": True,
        "includes_closing": True,
        "visits_per_season": 6,
        "starts_on": "2025-04-01",
        "ends_on": "2026-03-31",
        "price_excl_vat": "690.00",
        "tacit_renewal": True,
    }
    for change, field in [({"ends_on": "2025-01-01"}, "ends_on"), ({"pool_id": str(uuid.uuid4())}, "pool_id")]:
        refused = company.post("/api/v1/customers/contracts", json={**contract, **change})
        assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    signed = company.post("/api/v1/customers/contracts", json=contract)
    assert signed.status_code == 201, signed.get_json()
    listed = company.get(f"{CUSTOMERS}/{customer['id']}/contracts").get_json()["items"]
    assert [c["id"] for c in listed] == [signed.get_json()["id"]]
    # The scheduler's daily call, as the system for this company: announced once.
    with rpc_client(company.tenant_id, roles=("system",)) as rpc:
        assert rpc.customers.daily_scan({"today": "2026-03-10"})["contracts_expiring"] == 1
        assert rpc.customers.daily_scan({"today": "2026-03-10"})["contracts_expiring"] == 0


def test_gdpr_export_then_erasure_through_the_gateway(stack: Stack) -> None:
    company = stack.new_company()
    customer = new_customer(company)
    new_pool(company, customer)
    office = {"Authorization": f"Bearer {stack.new_user(company.tenant_id, ('office',))}"}
    url = f"{CUSTOMERS}/{customer['id']}"
    assert stack.client.get(f"{url}/export", headers=office).status_code == 403  # the manager's, by default
    exported = company.get(f"{url}/export")
    assert exported.status_code == 200, exported.get_json()
    assert exported.get_json()["customer"]["pools"][0]["volume_m3"] == "48.0"
    erased = company.post(f"{url}/erasure")
    assert erased.status_code == 200, erased.get_json()
    assert company.get(url).status_code == 404
    assert company.get(f"{url}/export").status_code == 404
    assert company.get(CUSTOMERS, query_string={"q": "helene"}).get_json()["items"] == []
