from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.testing import unit_of_work_fixture
from notifications.service import NotificationsService

uow = unit_of_work_fixture("notifications")


@pytest.fixture
def end_of_life() -> Callable[[str, str], dict[str, Any]]:
    """The data of ``equipment_end_of_life_approaching`` as customers publishes it: a sand
    filter at the end of its ten years."""

    def data(customer_id: str, equipment_id: str) -> dict[str, Any]:
        return {
            "equipment_id": equipment_id,
            "customer_id": customer_id,
            "pool_id": None,
            "category": "sand_filter",
            "brand": "Astral",
            "model": "Aster 600",
            "installed_on": "2016-04-01",
            "end_of_life_on": "2026-04-01",
            "life_used_percent": 100,
        }

    return data


@pytest.fixture
def notifications(
    migrate: Callable[[str], None],
    service_config: dict[str, Any],
    container_factory,
) -> ServiceContainer:
    migrate("notifications")
    container = container_factory(NotificationsService, service_config)
    container.start()
    return container
