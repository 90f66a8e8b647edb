from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nameko.containers import ServiceContainer

from bassin_common.testing import unit_of_work_fixture
from worksites.service import WorksitesService

uow = unit_of_work_fixture("worksites")


@pytest.fixture
def worksites(
    migrate: Callable[[str], None],
    service_config: dict[str, Any],
    container_factory,
) -> ServiceContainer:
    migrate("worksites")
    container = container_factory(WorksitesService, service_config)
    container.start()
    return container
