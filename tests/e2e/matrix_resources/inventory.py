"""Inventory's resources for the route matrix: the company's own (``Stack.new_company``)."""

from __future__ import annotations

from conftest import Company, Stack


def resources(stack: Stack, company: Company) -> dict[str, str]:
    return {
        "article_id": company.article["id"],
        "location_id": company.shop["id"],
        "supplier_id": company.supplier["id"],
    }
