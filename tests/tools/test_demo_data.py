"""The demo company's data (``bassin_dev.demo_data``): the same seed gives the same company,
it has a real shop's size, and every operation passes the input rules of the RPC it calls
(its schema: what a service checks before its use case; the load through the services
themselves is tests/e2e/test_demo_company.py)."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import date
from functools import cache
from typing import Any

import pytest

from bassin_common.errors import ValidationFailed
from bassin_common.registry import installed_services
from bassin_common.schemas import load_or_reject
from bassin_dev import demo, demo_data

TODAY = date(2026, 6, 15)
PLACEHOLDER = str(uuid.UUID(int=1))


@cache
def full_company() -> demo_data.Company:
    return demo_data.company(2026, TODAY)


def calls(company: demo_data.Company) -> Counter[str]:
    return Counter(
        f"{service}.{operation['call']}"
        for stage in company.stages
        for service, groups in stage.groups.items()
        for group in groups
        for operation in group
    )


def customer_files(company: demo_data.Company) -> list[dict[str, Any]]:
    """The customer files the company imports (``customers.import_customers``)."""
    return [
        file
        for operation in company.operations("customers", "import_customers")
        for file in operation["args"][0]["customers"]
    ]


def pools(company: demo_data.Company) -> list[dict[str, Any]]:
    return [pool for file in customer_files(company) for pool in file["pools"]]


def test_the_same_seed_gives_the_same_company_and_another_seed_another() -> None:
    first = json.dumps([stage.groups for stage in full_company().stages], sort_keys=True)
    again = json.dumps([stage.groups for stage in demo_data.company(2026, TODAY).stages], sort_keys=True)
    other = json.dumps([stage.groups for stage in demo_data.company(7, TODAY).stages], sort_keys=True)
    assert first == again
    assert first != other


def test_a_real_shop_s_size() -> None:
    company = full_company()
    counted = calls(company)
    assert len(customer_files(company)) == 1350
    assert len(articles(company)) == 6500
    assert counted["inventory.create_article"] == len(demo_data.FIXED_ARTICLES)  # the rest imported in bulk
    assert sum(pool["contract"] is not None for pool in pools(company)) == 300
    assert len(pools(company)) >= 1350
    assert sum(len(pool["equipment"]) for pool in pools(company)) > 3 * 1350
    assert sum(len(pool["analyses"]) for pool in pools(company)) > 1000
    assert counted["inventory.create_supplier"] == 12
    assert counted["sav.create_standard_service"] == 20
    assert counted["sav.create_technician"] == 3
    assert counted["customers.accept_quote"] >= 3  # worksites in progress
    assert counted["sav.open_ticket"] >= 10
    assert counted["pos.issue_invoice"] > counted["pos.record_payment"] > 0  # paid and due
    assert counted["pos.record_sale"] > 0 and counted["pos.open_cash_session"] == 1  # today's till
    assert [user.roles[0] for user in company.users] == [
        "manager",
        "cashier",
        "office",
        "sales",
        "technician",
        "technician",
        "technician",
    ]
    locations = [op["args"][0] for op in company.operations("inventory", "create_location")]
    assert sorted(location["kind"] for location in locations) == ["shop", "van", "van", "van", "warehouse"]
    roots = [op["args"][0]["name"] for op in company.operations("inventory", "create_category")]
    assert {"Produits d'entretien", "Filtration", "Chauffage", "Robots nettoyeurs", "Liners", "Pièces détachées"} < set(
        roots
    )


def articles(company: demo_data.Company) -> list[dict[str, Any]]:
    """Every article of the catalogue: created alone, or imported with others."""
    alone = [operation["args"][0] for operation in company.operations("inventory", "create_article")]
    imported = company.operations("inventory", "import_articles")
    return alone + [article for operation in imported for article in operation["args"][0]["articles"]]


def test_the_browser_tests_articles_and_logins_are_kept() -> None:
    company = full_company()
    catalogue = {article["sku"]: article for article in articles(company)}
    for sku, name, _, purchase, sale, stock, minimum, maximum in demo_data.FIXED_ARTICLES:
        assert catalogue[sku]["name"] == name and catalogue[sku]["sale_price"] == sale
        assert catalogue[sku]["purchase_price"] == purchase
        assert catalogue[sku]["stock"][0] == {
            "location_id": "@loc:MAG",
            "quantity": stock,
            "minimum": minimum,
            "maximum": maximum,
        }
    emails = [user.email for user in company.users]
    assert demo.DEMO_EMAIL in emails and demo.DEMO_CASHIER_EMAIL in emails
    assert len(catalogue) == 6500


def test_names_addresses_and_phones_are_french_and_unique_where_they_must_be() -> None:
    customers = customer_files(full_company())
    phones = [phone["number"] for customer in customers for phone in customer["phones"]]
    assert all(re.fullmatch(r"0[1-9]( \d\d){4}", phone) for phone in phones)
    assert all(re.fullmatch(r"\d{5}", customer["billing_address"]["postcode"]) for customer in customers)
    emails = [email["address"] for customer in customers for email in customer["emails"]]
    assert len(emails) == len(set(emails))
    serials = [piece["serial_number"] for pool in pools(full_company()) for piece in pool["equipment"]]
    assert len(serials) == len(set(serials))


def test_equipment_install_dates_are_realistic() -> None:
    pieces = [piece for pool in pools(full_company()) for piece in pool["equipment"]]
    installed = [date.fromisoformat(piece["installed_on"]) for piece in pieces]
    assert max(installed) < TODAY
    under_warranty = sum((TODAY - day).days < 700 for day in installed)
    # Near or past the end of its life: within a year of its category's lifetime, or beyond.
    near_end = sum(
        (TODAY - day).days > 365 * (demo_data.LIFETIMES[piece["category"]] - 1)
        for piece, day in zip(pieces, installed, strict=True)
    )
    assert under_warranty > len(pieces) / 10 and near_end > len(pieces) / 10


def test_the_empty_company_has_the_logins_and_the_eight_articles_only() -> None:
    plan = demo._only_fixed(demo_data.company(2026, TODAY, scale=0.0))
    counted = calls(plan)
    assert counted["inventory.create_article"] == 8
    assert "customers.import_customers" not in counted
    assert len(plan.users) == 7
    assert "inventory.import_articles" not in counted


@cache
def service_classes() -> dict[str, type]:
    return {service.name: service.service_class for service in installed_services()}


def placeholders(value: Any) -> Any:
    """References to earlier results (ids, an invoice's total) as a service would get them."""
    if isinstance(value, str) and value.startswith("@"):
        return "10.00" if value.endswith(".total_incl_vat") else PLACEHOLDER
    if isinstance(value, list):
        return [placeholders(item) for item in value]
    if isinstance(value, dict):
        return {key: placeholders(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("scale", [0.3])
def test_every_operation_passes_the_input_rules_of_the_rpc_it_calls(scale: float) -> None:
    company = demo_data.company(2026, TODAY, scale=scale)
    refused = []
    for stage in company.stages:
        for service, groups in stage.groups.items():
            for group in groups:
                for operation in group:
                    entrypoint = getattr(service_classes()[service], operation["call"])
                    declaration = entrypoint.rpc
                    if declaration.accepts is None:
                        continue
                    try:
                        load_or_reject(declaration.accepts(), placeholders(operation["args"][-1]))
                    except ValidationFailed as error:
                        refused.append((service, operation["call"], error.errors))
    assert not refused, refused[:5]
