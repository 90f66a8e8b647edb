"""Inventory and purchasing through the gateway (#21): the catalogue, stock at every
location, and the buyer's flow basket -> purchase order -> partial receipt -> full receipt,
with who may do what; then the basket exact under 300 concurrent sales in two shops."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

import eventlet
import pypdf
from openpyxl import Workbook

from bassin_common.testing import wait_until
from conftest import Company, Stack

INVENTORY = "/api/v1/inventory"


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def listed(company: Company, url: str, **query: str) -> list[dict[str, Any]]:
    """A short list's items (one page), filtered by ``query``."""
    response = company.get(url, query_string={"limit": 200, **query})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["next"] is None
    return response.get_json()["items"]


def if_match_of(company: Company, url: str) -> dict[str, str]:
    """``If-Match`` with the version of the article read at ``url`` (its body says it)."""
    return {"If-Match": f'"{company.get(url).get_json()["version"]}"'}


def as_role(stack: Stack, company: Company, role: str) -> Company:
    return Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, (role,)))


def test_the_catalogue_through_the_gateway(stack: Stack) -> None:
    company = stack.new_company()
    water = created(company.post(f"{INVENTORY}/categories", json={"name": "Traitement de l'eau"}))
    chlorine = created(company.post(f"{INVENTORY}/categories", json={"name": "Chlore", "parent_id": water["id"]}))
    assert [c["path"] for c in company.every(f"{INVENTORY}/categories")] == [
        "Traitement de l'eau",
        "Traitement de l'eau / Chlore",
    ]
    aquafiltre = created(
        company.post(f"{INVENTORY}/suppliers", json={"name": "Aquafiltre", "email": "cde@aquafiltre.fr"})
    )
    response = company.post(
        f"{INVENTORY}/articles",
        json={
            "sku": "CHL-CHOC-1KG",
            "name": "Chlore choc granulés 1 kg",
            "category_id": chlorine["id"],
            "brand": "Bayrol",
            "unit": "kg",
            "sale_price": "16.90",
            "vat_rate": "20.00",
            "barcodes": ["4006381333931"],
            "offers": [
                {"supplier_id": company.supplier["id"], "purchase_price": "9.80", "supplier_reference": "HS-118"},
                {"supplier_id": aquafiltre["id"], "purchase_price": "9.50", "pack_size": 6, "preferred": True},
            ],
        },
    )
    article = created(response)
    assert response.headers["Location"].endswith(f"/articles/{article['id']}")
    assert (article["supplier_id"], article["purchase_price"], article["sale_price_excl_vat"]) == (
        aquafiltre["id"],
        "9.50",
        "14.08",
    )
    found = company.get(f"{INVENTORY}/articles", query_string={"barcode": "4006381333931"}).get_json()["items"]
    assert [a["sku"] for a in found] == ["CHL-CHOC-1KG"]
    in_branch = listed(company, f"{INVENTORY}/articles", category_id=water["id"])
    assert [a["sku"] for a in in_branch] == ["CHL-CHOC-1KG"]

    url = f"{INVENTORY}/articles/{article['id']}"
    offers = [{"supplier_id": aquafiltre["id"], "purchase_price": "9.50"}]
    update = {"name": article["name"], "sale_price": "17.90", "offers": offers}
    edited = company.put(url, json=update, headers=if_match_of(company, url))
    assert edited.status_code == 200, edited.get_json()
    assert (edited.headers["ETag"], edited.get_json()["sale_price"]) == ('"2"', "17.90")
    stale = company.put(url, json=update, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert company.put(url, json=update).status_code == 428
    cashier = as_role(stack, company, "cashier")
    assert cashier.put(url, json=update, headers=if_match_of(company, url)).status_code == 403
    service = created(
        company.post(
            f"{INVENTORY}/articles",
            json={
                "sku": "PREST-OUVERTURE",
                "name": "Ouverture de piscine",
                "kind": "service",
                "sale_price": "189.00",
                "duration_minutes": 120,
                "parts": [{"article_id": article["id"], "quantity": 2}],
            },
        )
    )
    assert (service["stocked"], service["parts"][0]["sku"]) == (False, "CHL-CHOC-1KG")


def test_stock_at_every_location_transfers_and_counts(stack: Stack) -> None:
    company = stack.new_company()
    article, shop = company.article, company.shop
    van = created(company.post(f"{INVENTORY}/locations", json={"code": "CAM-1", "name": "Camion 1", "kind": "van"}))
    transfer = {
        "article_id": article["id"],
        "from_location_id": shop["id"],
        "to_location_id": van["id"],
        "quantity": 12,
    }
    assert (
        company.post(f"{INVENTORY}/stock-transfers", json=transfer, headers={"Idempotency-Key": None}).status_code
        == 400
    )
    moved = created(company.post(f"{INVENTORY}/stock-transfers", json=transfer))
    assert (moved["from_quantity"], moved["to_quantity"]) == (988, 12)
    back = {**transfer, "from_location_id": van["id"], "to_location_id": shop["id"], "quantity": 13}
    too_much = company.post(f"{INVENTORY}/stock-transfers", json=back)
    assert too_much.status_code == 422 and list(too_much.get_json()["errors"]) == ["quantity"]
    van_load = company.every(f"{INVENTORY}/locations/{van['id']}/stock")
    assert [(s["sku"], s["quantity"], s["available"]) for s in van_load] == [("CHL-GAL-5KG", 12, 12)]

    response = company.post(
        f"{INVENTORY}/stock-counts",
        json={
            "location_id": van["id"],
            "note": "Inventaire camion",
            "lines": [{"article_id": article["id"], "counted": 11}],
        },
    )
    count = created(response)
    assert count["lines"] == [{"article_id": article["id"], "expected": 12, "counted": 11, "variance": -1}]
    assert company.get(response.headers["Location"]).get_json() == count
    reasons = [m["reason"] for m in company.every(f"{INVENTORY}/articles/{article['id']}/movements")]
    assert reasons == ["count", "transfer_in", "transfer_out", "initial"]
    # A cashier may be allowed to count (grantable), not by default; a technician neither.
    technician = as_role(stack, company, "technician")
    assert technician.post(f"{INVENTORY}/stock-transfers", json=transfer).status_code == 403


def test_basket_to_purchase_order_to_partial_then_full_receipt(stack: Stack) -> None:
    company = stack.new_company(stock=1000, minimum=850, maximum=1200)
    sold = company.post(f"{INVENTORY}/stock-counts", json={"location_id": company.shop["id"],
                        "lines": [{"article_id": company.article["id"], "counted": 700}]})  # fmt: skip
    created(sold)
    [line] = company.every(f"{INVENTORY}/supplier-basket/lines")
    assert (line["quantity"], line["location_id"]) == (500, company.shop["id"])

    # The buyer raises the line, under If-Match.
    line_url = f"{INVENTORY}/supplier-basket/lines/{line['id']}"
    raised = company.edit(line_url, json={"quantity": 520})
    assert (raised.status_code, raised.get_json()["quantity"]) == (200, 520)

    cashier = as_role(stack, company, "cashier")
    order_body = {"supplier_id": company.supplier["id"]}
    assert cashier.post(f"{INVENTORY}/purchase-orders", json=order_body).status_code == 403
    office = as_role(stack, company, "office")
    response = office.post(f"{INVENTORY}/purchase-orders", json=order_body)
    order = created(response)
    assert order["number"] == "CF-000001" and order["status"] == "sent"
    assert [(l["quantity"], l["received"]) for l in order["lines"]] == [(520, 0)]  # noqa: E741
    assert company.every(f"{INVENTORY}/supplier-basket/lines") == []

    receipts = f"{INVENTORY}/purchase-orders/{order['id']}/receipts"
    delivery = {"delivery_note": "BL-1187", "lines": [{"article_id": company.article["id"],
                "location_id": company.shop["id"], "quantity": 300}]}  # fmt: skip
    partial = created(company.post(receipts, json=delivery))
    assert (partial["status"], partial["lines"][0]["received"]) == ("partially_received", 300)
    assert company.shop_quantity() == 1000
    over = company.post(receipts, json={**delivery, "lines": [{**delivery["lines"][0], "quantity": 221}]})
    assert over.status_code == 422 and list(over.get_json()["errors"]) == ["lines[0].quantity"]
    full = created(company.post(receipts, json={**delivery, "lines": [{**delivery["lines"][0], "quantity": 220}]}))
    assert full["status"] == "received" and len(full["receipts"]) == 2
    assert company.shop_quantity() == 1220
    assert company.post(receipts, json=delivery).status_code == 409
    orders = company.every(f"{INVENTORY}/purchase-orders")
    assert [(o["number"], o["status"], o["late"]) for o in orders] == [("CF-000001", "received", False)]
    assert listed(company, f"{INVENTORY}/purchase-orders", status="open") == []
    # Another company sees none of it.
    other = stack.new_company()
    assert other.get(f"{INVENTORY}/purchase-orders/{order['id']}").status_code == 404
    assert other.post(receipts, json=delivery).status_code == 404


def test_the_basket_stays_exact_under_300_concurrent_sales_in_two_shops(stack: Stack) -> None:
    """300 sales of one article at once, across two shops whose minimums are crossed: one
    line per shop, each maximum - on hand - on order once the sales end."""
    company = stack.new_company(stock=1000, minimum=950, maximum=1200)
    second = created(
        company.post(f"{INVENTORY}/locations", json={"code": "MAG-2", "name": "Magasin d'Alès", "kind": "shop"})
    )
    # The second shop stocks the article too (a count brings it to 600), thresholds 550 / 900.
    created(company.post(f"{INVENTORY}/stock-counts", json={"location_id": second["id"],
            "lines": [{"article_id": company.article["id"], "counted": 600}]}))  # fmt: skip
    level_url = f"{INVENTORY}/articles/{company.article['id']}/stock/{second['id']}"
    assert (
        company.edit(f"{level_url}/thresholds", read_from=level_url, json={"minimum": 550, "maximum": 900}).status_code
        == 200
    )

    def sell(index: int) -> int:
        """One sale, retried with its key as a till does while the system answers 503 (the
        shared test database may run out of connections): applied once whatever happens."""
        payload = company.sale_payload()
        payload["location_id"] = second["id"] if index % 2 else company.shop["id"]
        key = str(uuid.uuid4())
        for _ in range(20):
            status = company.post("/api/v1/pos/sales", json=payload, headers={"Idempotency-Key": key}).status_code
            if status != 503:
                return status
            eventlet.sleep(0.5)
        return status

    wait_until(lambda: sell(1) == 201)  # pos knows the second shop (location_created)
    statuses = list(eventlet.GreenPool(20).imap(sell, range(2, 302)))  # 150 at each shop, plus the first one
    assert statuses == [201] * 300

    def quantity(location_id: str) -> int:
        url = f"{INVENTORY}/articles/{company.article['id']}/stock/{location_id}"
        return company.get(url).get_json()["quantity"]

    wait_until(lambda: quantity(company.shop["id"]) == 850 and quantity(second["id"]) == 449, timeout=120)
    lines = company.every(f"{INVENTORY}/supplier-basket/lines")
    assert sorted((line["location_code"], line["quantity"]) for line in lines) == [
        ("MAG", 1200 - 850),
        ("MAG-2", 900 - 449),
    ]


def test_a_supplier_price_list_previewed_then_imported(stack: Stack) -> None:
    company = stack.new_company()
    url = f"{INVENTORY}/articles/{company.article['id']}"
    article = company.get(url).get_json()
    offers = [{"supplier_id": company.supplier["id"], "purchase_price": "24.00", "supplier_reference": "HS-40512"}]
    body = {"name": article["name"], "sale_price": "39.90", "offers": offers}
    edited = company.put(url, json=body, headers=if_match_of(company, url))
    assert edited.status_code == 200, edited.get_json()
    content = (
        "Référence;Désignation;Prix HT\n"
        "HS-40512;Chlore lent galets 5 kg;25,80 €\n"
        "HS-40977;Chlore choc 1 kg;sur demande\n"
        "HS-51200;Robot Vortex;610,00\n"
    )
    body = {"content": content, "mapping": {"reference": "Référence", "price": "Prix HT", "name": "Désignation"}}
    lists = f"{INVENTORY}/suppliers/{company.supplier['id']}/price-lists"
    assert as_role(stack, company, "cashier").post(f"{lists}/preview", json=body).status_code == 403
    preview = company.post(f"{lists}/preview", json=body)
    assert preview.status_code == 200, preview.get_json()
    report = preview.get_json()
    assert (report["price_changes"], report["unknown"], report["applied"]) == (1, 1, False)
    assert report["problems"] == [
        {"line": 3, "reference": "HS-40977", "field": "price", "message": "not a number: 'sur demande'"}
    ]
    assert company.post(lists, json=body, headers={"Idempotency-Key": None}).status_code == 400
    applied = company.post(lists, json={"content": content})  # a preview saves nothing: the first import needs it
    assert applied.status_code == 422 and list(applied.get_json()["errors"]) == ["mapping"]
    applied = company.post(lists, json=body)
    assert (applied.status_code, applied.get_json()["repriced"]) == (200, 1)
    assert company.get(url).get_json()["purchase_price"] == "25.80"
    history = company.every(f"{url}/price-history")
    assert [(h["kind"], h["old_price"], h["new_price"], h["source"]) for h in history][:1] == [
        ("purchase", "24.00", "25.80", "price_list")
    ]
    again = company.post(f"{lists}/preview", json={"content": content})  # the mapping is the supplier's now
    assert (again.status_code, again.get_json()["unchanged"]) == (200, 1)

    # Next season the supplier sends an Excel workbook: the same saved mapping reads it.
    book = Workbook()
    for row in (("Référence", "Désignation", "Prix HT"), ("HS-40512", "Chlore lent galets 5 kg", 26.4)):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    workbook = {"format": "xlsx", "content": base64.b64encode(buffer.getvalue()).decode()}
    assert company.post(lists, json={**workbook, "content": "pas un classeur"}).get_json()["errors"] == {
        "content": ["an XLSX file is sent as base64"]
    }
    applied = company.post(lists, json=workbook)
    assert (applied.status_code, applied.get_json()["repriced"]) == (200, 1), applied.get_json()
    assert company.get(url).get_json()["purchase_price"] == "26.40"


def test_a_purchase_order_is_printed_and_emailed_to_its_supplier(stack: Stack, smtp_server, monkeypatch) -> None:
    for name, value in {"HOST": "127.0.0.1", "PORT": str(smtp_server.port), "SECURITY": "none"}.items():
        monkeypatch.setenv(f"BASSIN_SMTP_{name}", value)
    company = stack.new_company()
    supplier = created(
        company.post(f"{INVENTORY}/suppliers", json={"name": "Écopiscine Fournitures", "email": "cde@ecopiscine.fr"})
    )
    created(
        company.post(
            f"{INVENTORY}/articles",
            json={
                "sku": "BACHE-ÉTÉ",
                "name": "Bâche à bulles été 8 x 4 m",
                "sale_price": "249.00",
                "offers": [
                    {"supplier_id": supplier["id"], "purchase_price": "1234.50", "supplier_reference": "ECO-8x4"}
                ],
                "stock": [{"location_id": company.shop["id"], "quantity": 0, "minimum": 1, "maximum": 2}],
            },
        )
    )
    order = created(company.post(f"{INVENTORY}/purchase-orders", json={"supplier_id": supplier["id"]}))
    document = company.get(f"{INVENTORY}/purchase-orders/{order['id']}/document")
    assert document.status_code == 200, document.get_json()
    assert (document.get_json()["filename"], document.get_json()["content_type"]) == (
        "CF-000001.pdf",
        "application/pdf",
    )
    pdf = base64.b64decode(document.get_json()["content"])
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    for expected in (
        "Bon de commande n° CF-000001",
        "Écopiscine Fournitures",
        "Bâche à bulles",
        "ECO-8x4",
        "2 469,00 €",
    ):
        assert expected in text, (expected, text)

    sent = company.post(f"{INVENTORY}/purchase-orders/{order['id']}/email")
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["emailed_at"] is not None
    message = smtp_server.wait_for("cde@ecopiscine.fr")
    assert message["Subject"].startswith("Bon de commande CF-000001")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "CF-000001.pdf" and attachment.get_content().startswith(b"%PDF")
    assert (
        as_role(stack, company, "cashier").post(f"{INVENTORY}/purchase-orders/{order['id']}/email").status_code == 403
    )
