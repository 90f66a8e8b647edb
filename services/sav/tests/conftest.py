from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.testing import unit_of_work_fixture
from sav.service import SavService

uow = unit_of_work_fixture("sav")


@pytest.fixture
def sav(
    migrate: Callable[[str], None],
    service_config: dict[str, Any],
    container_factory,
) -> ServiceContainer:
    migrate("sav")
    container = container_factory(SavService, service_config)
    container.start()
    return container
