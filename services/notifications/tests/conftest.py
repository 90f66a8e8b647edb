from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.testing import unit_of_work_fixture
from notifications.service import NotificationsService

uow = unit_of_work_fixture("notifications")


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
