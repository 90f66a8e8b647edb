"""Identities through the whole stack (issue #19): the company's permission table and the
platform's limits, each on its side of the RPC; revocation at the next request; readiness
naming the service that is down."""

from __future__ import annotations

import uuid

import pytest

from bassin_common.errors import Forbidden
from bassin_common.registry import installed_services
from bassin_common.testing import rpc_client
from bassin_gateway.app import called_services
from conftest import Company, Stack

LOCATIONS = "/api/v1/inventory/locations"


def a_van() -> dict[str, str]:
    code = f"VAN{uuid.uuid4().hex[:4].upper()}"
    return {"code": code, "name": f"Camion {code}", "kind": "van"}


def test_a_companys_table_lets_its_technicians_manage_stock_within_the_platforms_limit(stack: Stack) -> None:
    company = stack.new_company()
    technician = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("technician",)))
    assert technician.post(LOCATIONS, json=a_van()).status_code == 403  # the default table

    table = {"manage_stock": ["manager", "office", "technician"]}
    assert company.edit("/api/v1/permissions", json={"permissions": table}).status_code == 200
    created = technician.post(LOCATIONS, json=a_van())
    assert created.status_code == 201, created.get_json()  # the gateway lets it, and so does inventory

    # The service checks the platform's limit, whatever path a call takes: a cashier, a
    # customer or a partner never manages stock, even calling inventory directly.
    for role in ("cashier", "customer", "partner"):
        with rpc_client(company.tenant_id, roles=(role,)) as rpc, pytest.raises(Forbidden):
            rpc.inventory.create_location(a_van())
    beyond = company.edit("/api/v1/permissions", json={"permissions": {"manage_stock": ["manager", "cashier"]}})
    assert beyond.status_code == 422 and list(beyond.get_json()["errors"]) == ["permissions.manage_stock"]


def test_a_deactivated_user_is_refused_at_the_next_request_through_the_stack(stack: Stack) -> None:
    company = stack.new_company()
    office = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("office",)))
    office.article = company.article
    assert office.get(f"/api/v1/inventory/articles/{company.article['id']}").status_code == 200
    users = company.get("/api/v1/users?limit=200").get_json()["items"]
    office_id = next(user["id"] for user in users if "office" in user["roles"])
    assert company.post(f"/api/v1/users/{office_id}/deactivate").status_code == 200
    assert office.get(f"/api/v1/inventory/articles/{company.article['id']}").status_code == 401


def test_customers_and_partners_reach_no_staff_data_through_the_stack(stack: Stack) -> None:
    company = stack.new_company()
    customer = {
        "kind": "private",
        "last_name": "Petit",
        "billing_address": {"line1": "3 rue des Pins", "postcode": "30000", "city": "Nîmes"},
    }
    customer_id = company.post("/api/v1/customers/customers", json=customer).get_json()["id"]
    invited = company.post(
        "/api/v1/users",
        json={
            "email": f"c-{uuid.uuid4().hex[:8]}@example.fr",
            "full_name": "M. Petit",
            "roles": ["customer"],
            "customer_id": str(customer_id),
        },
    )
    assert invited.status_code == 201
    key = company.post("/api/v1/partners/keys", json={"brand": "zodiac", "name": "Zodiac SAV"}).get_json()["key"]
    partner = Company(company.tenant_id, stack.client, key)
    assert partner.get("/api/v1/partners/me").get_json()["brand"] == "zodiac"
    for url in (LOCATIONS, f"/api/v1/inventory/articles/{company.article['id']}", "/api/v1/users"):
        assert partner.get(url).status_code == 403


def test_readyz_names_the_service_that_does_not_answer(gateway_app, installed, service_config, runner_factory):
    app, _, _ = gateway_app
    classes = {service.name: service.service_class for service in installed_services()}
    runner_factory(service_config, *(cls for name, cls in classes.items() if name != "pos")).start()
    client = app.test_client()

    down = client.get("/readyz")
    assert down.status_code == 200  # still serving logins and inventory's routes
    body = down.get_json()
    assert body["status"] == "degraded" and body["detail"] == "failing: service pos"
    assert body["checks"]["database"] == body["checks"]["broker"] == {"status": "ok"}
    assert body["checks"]["services"]["inventory"] == {"status": "ok"}
    assert body["checks"]["services"]["pos"]["status"] == "failing"

    runner_factory(service_config, classes["pos"]).start()
    up = client.get("/readyz")
    assert up.status_code == 200 and up.get_json()["status"] == "ready", up.get_json()
    assert set(up.get_json()["checks"]["services"]) == set(called_services())  # those the routes call
