"""The customer file with every service and the gateway as real processes (``nameko run``):
a customer with a site, a pool and three pieces of equipment; an analysis whose advice names
the company's product; a sales flow, lead → quote → order, whose
``order_confirmed`` is published once, as event-contracts.md says, even when the client
retries the acceptance, and consumed once by inventory; a maintenance contract signed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
from kombu import Connection, Queue

from bassin_common.testing import wait_until
from bassin_common.topology import event_exchange
from conftest import LiveStack

API = "/api/v1/customers"


def call(stack: LiveStack, method: str, path: str, body: Any = None, key: str | None = None) -> requests.Response:
    headers = {**stack.auth, "Idempotency-Key": key or str(uuid.uuid4())}
    return requests.request(method, f"{stack.url}{API}{path}", json=body, headers=headers, timeout=30)


def created(stack: LiveStack, path: str, body: Any) -> dict[str, Any]:
    response = call(stack, "POST", path, body)
    assert response.status_code == 201, response.text
    return response.json()


@contextmanager
def watching(amqp_uri: str, event_type: str) -> Iterator[Callable[[float], list[dict[str, Any]]]]:
    """``received(seconds)``: every ``event_type`` customers published since the block
    started, after listening ``seconds`` more (a queue of the test's own)."""
    seen: list[dict[str, Any]] = []
    with Connection(amqp_uri) as connection:
        queue = Queue(
            f"test-{uuid.uuid4().hex}", exchange=event_exchange("customers"), routing_key=event_type, auto_delete=True
        )

        def received(seconds: float) -> list[dict[str, Any]]:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                with suppress(TimeoutError):
                    connection.drain_events(timeout=0.25)
            return seen

        with connection.Consumer(queue, callbacks=[lambda body, message: (seen.append(body), message.ack())]):
            yield received


def test_customer_file_water_care_and_sales_flow_through_real_processes(live_stack: LiveStack, service_config) -> None:
    stack = live_stack
    customer = created(
        stack,
        "/customers",
        {
            "kind": "private",
            "first_name": "Hélène",
            "last_name": "Durand",
            "phones": [{"number": "06 12 34 56 78"}],
            "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
            "sites": [{"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"}],
        },
    )
    site_id = customer["sites"][0]["id"]
    pool = created(
        stack,
        "/pools",
        {
            "site_id": site_id,
            "shape": "rectangle",
            "length_m": "8",
            "width_m": "4",
            "mean_depth_m": "1.5",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "chlorine",
            "safety_device": "alarm",
        },
    )
    for equipment in [
        {
            "category": "pump",
            "brand": "Pentair",
            "model": "SuperFlo",
            "serial_number": "PF-1",
            "installed_on": "2024-04-15",
        },
        {"category": "sand_filter", "brand": "Hayward", "model": "Pro 600", "installed_on": "2024-04-15"},
        {
            "category": "heat_pump",
            "brand": "Hayward",
            "model": "EnergyLine",
            "serial_number": "HP-9",
            "installed_on": "2024-04-15",
        },
    ]:
        created(stack, f"/pools/{pool['id']}/equipment", equipment)
    search = requests.get(f"{stack.url}{API}/customers", params={"q": "helene"}, headers=stack.auth, timeout=30)
    assert [c["id"] for c in search.json()["items"]] == [customer["id"]]

    products = {"products": [{"role": "ph_plus", "article_id": stack.article["id"]}]}
    wait_until(lambda: call(stack, "PUT", "/water-products", products).status_code == 200)
    analysis = created(
        stack, f"/pools/{pool['id']}/analyses", {"ph": "6.8", "cyanuric_acid": "95", "temperature": "26"}
    )
    assert analysis["problems"] == ["ph_low", "cyanuric_acid_high"]
    assert analysis["recommendation"][0]["article_id"] == stack.article["id"]

    lead = created(stack, "/leads", {"customer_id": customer["id"], "subject": "Rénovation", "source": "walk_in"})
    quote = created(
        stack,
        "/quotes",
        {
            "customer_id": customer["id"],
            "lead_id": lead["id"],
            "site_id": site_id,
            "kind": "products",
            "lines": [{"article_id": stack.article["id"], "quantity": "4"}],
        },
    )
    assert call(stack, "POST", f"/quotes/{quote['id']}/send").status_code == 200
    with watching(service_config["AMQP_URI"], "order_confirmed") as received:
        key = str(uuid.uuid4())
        accepted = call(stack, "POST", f"/quotes/{quote['id']}/accept", key=key)
        assert accepted.status_code == 200, accepted.text
        again = call(stack, "POST", f"/quotes/{quote['id']}/accept", key=key)  # the client retries
        assert again.json() == accepted.json()
        assert call(stack, "POST", f"/quotes/{quote['id']}/accept").status_code == 409  # a second acceptance
        published = wait_until(lambda: received(0.5))
        published = received(3)  # and nothing more, a few relay polls later
    assert len(published) == 1, published
    (event,) = published
    assert event["data"]["order_id"] == accepted.json()["order_id"]
    assert event["data"]["lines"][0]["article_id"] == stack.article["id"]
    assert event["data"]["total_incl_vat"] == "159.60"
    # Consumed once on the other side: inventory sets the 4 aside at the shop.
    stock = f"{stack.url}/api/v1/inventory/articles/{stack.article['id']}/stock/{stack.shop['id']}"
    wait_until(lambda: requests.get(stock, headers=stack.auth, timeout=30).json()["reserved"] == 4)
    time.sleep(2)  # a second delivery, were there one, would have reserved 4 more by now
    assert requests.get(stock, headers=stack.auth, timeout=30).json()["reserved"] == 4

    # A maintenance contract, signed and announced.
    with watching(service_config["AMQP_URI"], "contract_signed") as received:
        contract = created(
            stack,
            "/contracts",
            {
                "customer_id": customer["id"],
                "formula": "Sérénité",
                "starts_on": "2026-04-01",
                "ends_on": "2027-03-31",
                "price_excl_vat": "690.00",
            },
        )
        (signed,) = wait_until(lambda: received(0.5))
    assert signed["data"]["contract_id"] == contract["id"] and signed["data"]["tacit_renewal"] in (True, False)
    listed = call(stack, "GET", f"/customers/{customer['id']}/contracts").json()["items"]
    assert [c["id"] for c in listed] == [contract["id"]]
