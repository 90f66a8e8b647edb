"""Fixtures of the pos tests: ``uow`` (units of work on pos's test database, no nameko nor
RabbitMQ), ``inventory`` (the events inventory sends pos, in inventory's wire form: pos's
tests import inventory no more than pos does), ``till`` (a company whose till knows a
shop and two articles) and ``pos`` (the service in a nameko container)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.events import Event
from bassin_common.testing import unit_of_work_fixture
from pos import events, usecases
from pos.service import PosService

uow = unit_of_work_fixture("pos")

HYDROSUD = "a3d2c1b0-9f8e-4d7c-8b6a-5e4f3a2b1c33"  # a supplier: inventory sends it, the till ignores it


class FromInventory:
    """``article_created`` and ``location_created`` as inventory publishes them, for one company."""

    CHLORE = {"sku": "CHL-GAL-5KG", "name": "Chlore lent galets 5 kg", "sale_price": "39.90", "vat_rate": "20.00"}
    POMPE = {"sku": "PMP-075", "name": "Pompe de filtration 0,75 CV", "sale_price": "529.00", "vat_rate": "20.00"}
    MAGASIN = {"code": "MAG", "name": "Magasin de Nîmes", "kind": "shop"}
    CAMION = {"code": "CAM-1", "name": "Camion de Julien", "kind": "van"}

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id

    def article(self, article_id: Any = None, **changes: str) -> Event:
        data = {"article_id": str(article_id or uuid.uuid4()), **self.CHLORE, "supplier_id": HYDROSUD, **changes}
        return Event("article_created", self.tenant_id, "inventory", data)

    def location(self, location_id: Any = None, **changes: str) -> Event:
        data = {"location_id": str(location_id or uuid.uuid4()), **self.MAGASIN, **changes}
        return Event("location_created", self.tenant_id, "inventory", data)

    @staticmethod
    def apply(work: Any, event: Event) -> Any:
        """What pos's handler does with the event: its data through pos's view, then the use case."""
        view, use_case = {
            "article_created": (events.ArticleCreatedView, usecases.keep_article),
            "location_created": (events.LocationCreatedView, usecases.keep_shop),
        }[event.event_type]
        return use_case(work, event.seen_through(view()).data)


@pytest.fixture
def inventory(tenant_id: uuid.UUID) -> FromInventory:
    return FromInventory(tenant_id)


@dataclass(frozen=True)
class Till:
    tenant_id: uuid.UUID
    shop: uuid.UUID
    van: uuid.UUID  # a location the till does not keep
    chlore: uuid.UUID  # 39.90, VAT 20 %
    pompe: uuid.UUID  # 529.00, VAT 20 %


@pytest.fixture
def open_till(uow: Any, tenant_id: uuid.UUID) -> Callable[..., Till]:
    """``open_till(tenant_id=None)``: a company whose till kept, from inventory's events, its
    shop, its van (ignored) and two articles; the test's company by default."""

    def open_for(company: uuid.UUID | None = None) -> Till:
        inventory = FromInventory(company or tenant_id)
        received = [
            inventory.location(),
            inventory.location(**FromInventory.CAMION),
            inventory.article(),
            inventory.article(**FromInventory.POMPE),
        ]
        with uow(tenant_id=inventory.tenant_id) as work:
            for event in received:
                FromInventory.apply(work, event)
        shop, van, chlore, pompe = (
            uuid.UUID(event.data.get("article_id") or event.data["location_id"]) for event in received
        )
        return Till(inventory.tenant_id, shop, van, chlore, pompe)

    return open_for


@pytest.fixture
def till(open_till: Callable[..., Till]) -> Till:
    return open_till()


@pytest.fixture
def pos(migrate: Callable[[str], None], service_config: dict[str, Any], container_factory: Any) -> ServiceContainer:
    migrate("pos")
    container = container_factory(PosService, service_config)
    container.start()
    return container
