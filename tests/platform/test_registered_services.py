"""What the platform guarantees of every registered service, checked for each one: a new
service is covered the moment it is installed, without writing these tests again.

- its tenant tables are behind row-level security (the policy is derived from its
  ``TenantScoped`` models; a table made some other way is caught too);
- it starts, answers, and declares its own queues before anything is published;
- what it publishes matches its declarations, and every consumer can read it
  (the contract tests);
- the files derived from the registry (event catalogue, deployment files) are up to date;
- the platform (``bassin_common`` and its tests) names none of them.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from marshmallow import fields
from sqlalchemy import create_engine, pool

import bassin_common
from bassin_common.registry import ServiceInfo, installed_services
from bassin_common.tenancy import policed_tables, tables_with_tenant_column
from bassin_common.testing import (
    Contract,
    check_contract,
    check_example,
    event_contracts,
    published_events,
    rpc_client,
)

SERVICES = installed_services()
CONTRACTS = event_contracts()
EVENTS = published_events()


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_every_tenant_table_is_behind_row_level_security(service: ServiceInfo, migrate, test_settings) -> None:
    migrate(service.name)
    engine = create_engine(test_settings.service_database_url(service.name), poolclass=pool.NullPool)
    with engine.connect() as connection:
        policed, tenant_tables = policed_tables(connection), tables_with_tenant_column(connection)
    engine.dispose()
    assert set(service.tenant_tables) <= policed
    assert tenant_tables - policed == set(), "tables with a tenant_id but no policy (no TenantScoped model?)"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_service_starts_answers_and_declares_its_queues(
    service: ServiceInfo, migrate, service_config, container_factory, rabbit_manager
) -> None:
    migrate(service.name)
    container_factory(service.service_class, service_config).start()
    with rpc_client(uuid.uuid4()) as rpc:
        assert getattr(rpc, service.name).health() == {"service": service.name, "database": "ok"}
    vhost = service_config["AMQP_URI"].rsplit("/", 1)[1]
    queues = {queue["name"] for queue in rabbit_manager.get_queues(vhost)}
    for subscription in service.subscriptions:
        assert {subscription.queue_name, subscription.dead_letter_queue_name} <= queues
    exchanges = {exchange["name"] for exchange in rabbit_manager.get_exchanges(vhost)}
    assert f"{service.name}.events" in exchanges


@pytest.mark.parametrize(("producer", "spec"), EVENTS, ids=[f"{p}.{s.event_type}" for p, s in EVENTS])
def test_each_published_example_is_what_its_schema_produces(producer: str, spec: Any) -> None:
    check_example(spec)


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c.id for c in CONTRACTS])
def test_each_consumer_reads_what_its_producer_publishes(contract: Contract) -> None:
    if contract.spec is None and contract.subscription.producer not in {s.name for s in SERVICES}:
        pytest.skip(f"{contract.subscription.producer} is not installed here: its events are published by tests")
    check_contract(contract)


def test_a_renamed_field_that_a_consumer_reads_breaks_the_contract() -> None:
    """The contract check itself: pos renaming ``location_id`` to ``shop_id`` in
    ``sale_completed`` must fail, since inventory reads it."""
    [contract] = [c for c in CONTRACTS if c.id == "pos.sale_completed->inventory.on_sale_completed"]
    spec = contract.spec
    renamed_schema = type("SaleCompletedRenamed", (spec.schema,), {"shop_id": fields.UUID(required=True)})
    renamed_schema._declared_fields.pop("location_id")
    example = {**{k: v for k, v in spec.example.items() if k != "location_id"}, "shop_id": spec.example["location_id"]}
    renamed = dataclasses.replace(spec, schema=renamed_schema, example=example)
    check_example(renamed)  # a consistent change on the producer's side…
    with pytest.raises(AssertionError, match="cannot read pos's sale_completed"):
        check_contract(dataclasses.replace(contract, spec=renamed))  # …that its consumer cannot read


def test_the_files_derived_from_the_registry_are_up_to_date() -> None:
    from bassin_dev.generate import stale_files

    assert stale_files() == [], "run: ./bassin generate"


def _code_strings_and_names(tree: ast.AST) -> set[str]:
    """Identifiers and string constants of a module, docstrings left out (examples may name services)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.update(re.findall(r"[a-z_]+", node.value))
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
    return found


def test_the_platform_names_no_service_and_its_tests_import_none() -> None:
    common = Path(bassin_common.__file__).parent
    names = {service.name for service in SERVICES} | {service.package for service in SERVICES}
    for path in [*common.rglob("*.py"), *(common.parent / "tests").rglob("*.py")]:
        named = _code_strings_and_names(ast.parse(path.read_text())) & names
        assert not named, f"{path.relative_to(common.parent)} names {sorted(named)}"
