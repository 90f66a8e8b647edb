from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.schemas import load_or_reject
from bassin_common.testing import unit_of_work_fixture
from customers import schemas, usecases
from customers.service import CustomersService

uow = unit_of_work_fixture("customers")


@pytest.fixture
def customers(
    migrate: Callable[[str], None],
    service_config: dict[str, Any],
    container_factory,
) -> ServiceContainer:
    migrate("customers")
    container = container_factory(CustomersService, service_config)
    container.start()
    return container


HELENE = {
    "kind": "private",
    "first_name": "Hélène",
    "last_name": "Durand",
    "emails": [{"address": "Helene.Durand@orange.fr", "label": "perso"}],
    "phones": [{"number": "+33 6 12 34 56 78", "label": "portable"}],
    "consent": {"email": True, "sms": False},
    "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    "tags": ["entretien"],
    "sites": [{"label": "Mas", "line1": "Route d'Uzès", "postcode": "30190", "city": "Saint-Chaptes"}],
}


def customer_input(**changes: Any) -> dict[str, Any]:
    return load_or_reject(schemas.CustomerInput(), {**deepcopy(HELENE), **changes})


def create(uow, **changes: Any) -> dict[str, Any]:
    with uow() as work:
        return usecases.create_customer(work, customer_input(**changes))


def search(uow, q: str, limit: int = 50, **extra: Any) -> list[str]:
    with uow() as work:
        page = usecases.search_customers(work, {"q": q, "limit": limit, "cursor": None, "tag": None, **extra})
    return [item["display_name"] for item in page.items]


@pytest.fixture
def new_customer(uow) -> Callable[..., dict[str, Any]]:
    """``new_customer(**changes)``: Hélène Durand's file (with a site), changed as given."""
    return lambda **changes: create(uow, **changes)


@pytest.fixture
def find(uow) -> Callable[..., list[str]]:
    """``find(q, **more)``: the names the customer search answers, in order."""
    return lambda q, **more: search(uow, q, **more)


@pytest.fixture
def customer_data() -> Callable[..., dict[str, Any]]:
    """``customer_data(**changes)``: Hélène Durand's file as the service loads it."""
    return customer_input


@pytest.fixture
def helene() -> dict[str, Any]:
    """Hélène Durand's file as sent."""
    return deepcopy(HELENE)
