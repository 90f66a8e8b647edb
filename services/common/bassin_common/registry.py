"""The services installed here, each registered once by its own package.

A service registers itself with one entry point in its ``pyproject.toml``:

    [project.entry-points."bassin.services"]
    inventory = "inventory.service:InventoryService"

Everything else is derived from the nameko class it names and the package around it, by
convention (``bassin new-service`` creates exactly this shape):

- its name (``InventoryService.name``): database ``bassin_<name>``, RPC routing keys,
  exchange ``<name>.events``;
- ``<package>/migrations``: its alembic revisions;
- ``<package>.models``: its tables; those of ``TenantScoped`` models get row-level security;
- ``<package>.events``: the ``EventSpec`` of every event it publishes;
- its ``consume(...)`` handlers: what it subscribes to, with its view of each event.

The launcher, the tests, the migrations, the topology, the dead-letter tool, the event
catalogue and the deployment files all read this registry: a new service is its own
folder plus the line that installs it (``requirements-dev.txt``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from bassin_common.consumer import ReliableEventHandler
from bassin_common.events import EventSpec
from bassin_common.tenancy import tenant_tables
from bassin_common.topology import Subscription

ENTRY_POINT_GROUP = "bassin.services"


@dataclass(frozen=True)
class ServiceInfo:
    service_class: type[Any]

    @classmethod
    def of(cls, service_class: type[Any]) -> ServiceInfo:
        return cls(service_class)

    @property
    def name(self) -> str:
        return self.service_class.name

    @property
    def package(self) -> str:
        return self.service_class.__module__.partition(".")[0]

    @property
    def nameko_target(self) -> str:
        """What ``nameko run`` is given to run this service: ``module:Class``."""
        return f"{self.service_class.__module__}:{self.service_class.__qualname__}"

    @property
    def package_dir(self) -> Path:
        return Path(_module(self.package).__file__).parent

    @property
    def migrations(self) -> Path:
        return self.package_dir / "migrations"

    @cached_property
    def subscriptions(self) -> tuple[Subscription, ...]:
        found = []
        for handler, method in inspect.getmembers(self.service_class, inspect.isfunction):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, ReliableEventHandler):
                    found.append(entrypoint.subscription(self.name, handler))
        return tuple(sorted(found, key=lambda s: s.queue_name))

    @cached_property
    def published(self) -> tuple[EventSpec, ...]:
        module = _optional_module(f"{self.package}.events")
        specs = [value for value in vars(module).values() if isinstance(value, EventSpec)] if module else []
        return tuple(sorted(specs, key=lambda spec: spec.event_type))

    @cached_property
    def tenant_tables(self) -> list[str]:
        _optional_module(f"{self.package}.models")
        return tenant_tables(self.package)


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _optional_module(name: str) -> ModuleType | None:
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


@cache
def installed_services() -> tuple[ServiceInfo, ...]:
    """Every registered service installed in this environment, by name."""
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        info = ServiceInfo(entry.load())
        if info.name != entry.name:
            raise LookupError(f"entry point {entry.name} names service class {info.name}: make them the same")
        found.append(info)
    return tuple(sorted(found, key=lambda info: info.name))


def find_service(name: str) -> ServiceInfo:
    for info in installed_services():
        if info.name == name:
            return info
    known = ", ".join(info.name for info in installed_services()) or "none"
    raise LookupError(f"no service {name!r} is installed (installed: {known})")


def all_subscriptions() -> list[Subscription]:
    return [subscription for info in installed_services() for subscription in info.subscriptions]
