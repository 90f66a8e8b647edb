"""Fixtures of the inventory tests: ``uow`` (units of work on inventory's test database,
no nameko nor RabbitMQ), the service in a nameko container, and a stocked shop behind it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.testing import rpc_client, unit_of_work_fixture
from inventory.service import InventoryService

uow = unit_of_work_fixture("inventory")


@pytest.fixture
def inventory(migrate: Callable[..., None], service_config: dict[str, Any], container_factory) -> ServiceContainer:
    migrate("inventory")
    container = container_factory(InventoryService, service_config)
    container.start()
    return container


@pytest.fixture
def shop_article(inventory: ServiceContainer, tenant_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    """A tenant with a shop, a supplier and one managed article: stock 1,000, min 850, max 1,200."""
    with rpc_client(tenant_id) as rpc:
        shop = rpc.inventory.create_location({"code": "MAG", "name": "Magasin", "kind": "shop"})
        supplier = rpc.inventory.create_supplier({"name": "HydroSud Distribution"})
        article = rpc.inventory.create_article(
            {
                "sku": "CHL-GAL-5KG",
                "name": "Chlore lent galets 5 kg",
                "supplier_id": supplier["id"],
                "purchase_price": "24.00",
                "sale_price": "39.90",
                "stock": [{"location_id": shop["id"], "quantity": 1000, "minimum": 850, "maximum": 1200}],
            }
        )
    yield {"tenant_id": tenant_id, "shop": shop, "supplier": supplier, "article": article}
