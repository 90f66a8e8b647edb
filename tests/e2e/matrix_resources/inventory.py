"""Inventory's resources for the route matrix: the company's own (``Stack.new_company``),
and what purchasing and counts name.

A stock count takes the company's article under its minimum at the shop (a basket line,
ordered at once: ``order_id``); a second article, opened below its minimum in a van, keeps
an open basket line of the same supplier (``line_id``) for the routes that order or edit one.
"""

from __future__ import annotations

from typing import Any

from conftest import Company, Stack


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def resources(stack: Stack, company: Company) -> dict[str, str]:
    prefix = "/api/v1/inventory"
    article, shop, supplier = company.article, company.shop, company.supplier
    van = created(company.post(f"{prefix}/locations", json={"code": "CAM-1", "name": "Camion 1", "kind": "van"}))
    category = created(company.post(f"{prefix}/categories", json={"name": "Traitement de l'eau"}))
    count = created(
        company.post(
            f"{prefix}/stock-counts",
            json={"location_id": shop["id"], "lines": [{"article_id": article["id"], "counted": 800}]},
        )
    )
    created(
        company.post(
            f"{prefix}/articles",
            json={
                "sku": "CART-50",
                "name": "Cartouche filtrante 50 µm",
                "supplier_id": supplier["id"],
                "purchase_price": "18.00",
                "sale_price": "32.50",
                "stock": [{"location_id": van["id"], "quantity": 0, "minimum": 2, "maximum": 6}],
            },
        )
    )
    lines = company.get(f"{prefix}/supplier-basket/lines").get_json()["items"]
    shop_line = next(line for line in lines if line["article_id"] == article["id"])
    van_line = next(line for line in lines if line["location_id"] == van["id"])
    order = created(
        company.post(f"{prefix}/purchase-orders", json={"supplier_id": supplier["id"], "line_ids": [shop_line["id"]]})
    )
    return {
        "article_id": article["id"],
        "location_id": shop["id"],
        "from_location_id": shop["id"],
        "to_location_id": van["id"],
        "supplier_id": supplier["id"],
        "category_id": category["id"],
        "parent_id": category["id"],
        "count_id": count["id"],
        "order_id": order["id"],
        "line_id": van_line["id"],
    }
