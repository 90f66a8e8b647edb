from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.testing import unit_of_work_fixture
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
