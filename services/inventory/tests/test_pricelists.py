"""Supplier price lists: reading a French CSV (``pricelists``), then preview and apply
through their use cases — the report of bad lines, unknown references skipped or created,
price jumps flagged, one transaction, the price history, ``article_price_changed`` and the
mapping saved for the supplier's next list."""

from __future__ import annotations

import base64
import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.pagination import PageQuery
from inventory import pricelists, schemas, usecases
from inventory.models import SupplierOffer

MAPPING = {"reference": "Référence", "price": "Prix HT", "name": "Désignation", "retail_price": "Prix public TTC"}
HEADER = "Référence;Désignation;Prix HT;Prix public TTC\n"


def test_french_prices_are_read_and_others_named() -> None:
    assert pricelists.read_price("12,50") == Decimal("12.50")
    assert pricelists.read_price("1 234,5 €") == Decimal("1234.50")
    assert pricelists.read_price("1.234,50") == Decimal("1234.50")
    assert pricelists.read_price("\u00a0980") == Decimal("980.00")
    for bad, reason in [("sur demande", "not a number"), ("-3", "not a price"), ("1,234", "more than two decimals")]:
        with pytest.raises(ValueError, match=reason):
            pricelists.read_price(bad)


def test_a_file_is_read_line_by_line_and_its_bad_lines_reported() -> None:
    content = (
        "\ufeff" + HEADER + "HS-1;Galets;25,80;42,90\n"
        "HS-2;Choc;abc;17,50\n"  # text in a number column
        "HS-1;Galets encore;26,00;43,00\n"  # duplicate reference
        ";Sans référence;1,00;2,00\n"
        "HS-3;Sans prix;;9,90\n"
        "\n"
        "HS-4;Floculant;7,10;\n"
    )
    lines, problems = pricelists.parse(content, MAPPING)
    assert [(line.number, line.reference, line.price, line.retail_price) for line in lines] == [
        (2, "HS-1", Decimal("25.80"), Decimal("42.90")),
        (8, "HS-4", Decimal("7.10"), None),
    ]
    assert [(p.line, p.reference, p.field, p.message) for p in problems] == [
        (3, "HS-2", "price", "not a number: 'abc'"),
        (4, "HS-1", "reference", "duplicate: also on line 2"),
        (5, None, "reference", "missing reference"),
        (6, "HS-3", "price", "missing price"),
    ]


def test_a_file_without_the_mapped_columns_is_refused_whole() -> None:
    with pytest.raises(ValidationFailed) as refused:
        pricelists.parse("Ref,Tarif\nA,1\n", {"reference": "Ref", "price": "Prix"})
    assert list(refused.value.errors) == ["mapping.price"]
    assert "Ref, Tarif" in refused.value.errors["mapping.price"][0]


def workbook(*rows: tuple[object, ...]) -> str:
    """An Excel workbook (base64, as the API takes it) whose first sheet holds ``rows``; a
    second sheet is never read."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.create_sheet("Notes").append(["Référence", "ignored"])
    buffer = io.BytesIO()
    book.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def test_an_excel_workbook_is_read_as_its_csv_export_would_be() -> None:
    content = workbook(
        ("Référence", "Désignation", "Prix HT", "Prix public TTC"),
        (40512, "Galets", 25.8, "42,90 €"),  # a numeric reference, a number cell, a French text price
        ("HS-2", "Choc", "sur demande", 17.5),
        (None, None, None, None),
        ("HS-4", "Floculant", 7, None),
        ("HS-5", "Trop précis", 1.005, None),
    )
    lines, problems = pricelists.parse_xlsx(content, MAPPING)
    assert [(line.number, line.reference, line.price, line.retail_price) for line in lines] == [
        (2, "40512", Decimal("25.80"), Decimal("42.90")),
        (5, "HS-4", Decimal("7.00"), None),
    ]
    assert [(p.line, p.reference, p.field) for p in problems] == [(3, "HS-2", "price"), (6, "HS-5", "price")]


def test_a_workbook_that_is_not_one_is_refused_naming_the_content() -> None:
    for content, message in [
        ("pas du base64 !", "base64"),
        (base64.b64encode(b"Reference;Prix\nA;1\n").decode(), "not an XLSX workbook"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            pricelists.parse_xlsx(content, MAPPING)
        assert list(refused.value.errors) == ["content"] and message in refused.value.errors["content"][0]


# --- preview and apply -----------------------------------------------------------------------


@pytest.fixture
def hydrosud(uow: Any) -> dict[str, Any]:
    """HydroSud sells three articles under its references HS-1..HS-3 at 10.00 each; HS-1's
    article has HydroSud as its preferred supplier; a fourth article has only a barcode."""
    with uow() as work:
        supplier = usecases.create_supplier(work, schemas.SupplierInput().load({"name": "HydroSud"})).id
        other = usecases.create_supplier(work, schemas.SupplierInput().load({"name": "Aquafiltre"})).id
        articles = {}
        for n in (1, 2, 3):
            offers = [{"supplier_id": str(supplier), "purchase_price": "10.00", "supplier_reference": f"HS-{n}"}]
            if n > 1:  # another supplier is preferred for these
                offers.insert(0, {"supplier_id": str(other), "purchase_price": "9.00", "preferred": True})
            payload = {"sku": f"ART-{n}", "name": f"Article {n}", "sale_price": "19.90", "offers": offers}
            articles[n] = usecases.create_article(work, schemas.ArticleInput().load(payload)).id
        payload = {"sku": "ART-4", "name": "Article 4", "sale_price": "5.00", "barcodes": ["3760123450010"]}
        articles[4] = usecases.create_article(work, schemas.ArticleInput().load(payload)).id
    return {"supplier": supplier, "articles": articles}


def price_list(content: str, **fields: Any) -> dict[str, Any]:
    return {"content": content, "mapping": MAPPING, **fields}


FILE = (
    "Référence;Désignation;Prix HT;Prix public TTC;EAN\n"
    "HS-1;Article 1;10,50;21,00;\n"  # +5 %
    "HS-2;Article 2;14,00;25,00;\n"  # +40 %: a jump
    "HS-3;Article 3;10,00;19,90;\n"  # unchanged
    "HS-4;Article 4;3,20;5,00;3760123450010\n"  # a new offer, found by barcode
    "HS-9;Robot Vortex;610,00;999,00;\n"  # unknown
    "HS-8;Sans prix;;1,00;\n"
)


def test_a_preview_reports_every_line_and_changes_nothing(uow: Any, hydrosud: dict[str, Any]) -> None:
    with uow() as work:
        report = usecases.preview_price_list(
            work, hydrosud["supplier"], price_list(FILE, mapping={**MAPPING, "ean": "EAN"})
        )
    assert work.emitted == []
    assert {k: report[k] for k in ("lines", "readable", "price_changes", "unchanged", "new_offers", "unknown")} == {
        "lines": 6,
        "readable": 5,
        "price_changes": 2,
        "unchanged": 1,
        "new_offers": 1,
        "unknown": 1,
    }
    assert [(j["reference"], j["old_price"], j["new_price"], j["change_percent"]) for j in report["jumps"]] == [
        ("HS-2", Decimal("10.00"), Decimal("14.00"), Decimal("40.00"))
    ]
    assert report["problems"] == [{"line": 7, "reference": "HS-8", "field": "price", "message": "missing price"}]
    assert report["unknown_lines"] == [{"line": 6, "reference": "HS-9", "name": "Robot Vortex", "sku": None}]
    with uow() as work:
        prices = {o.supplier_reference: o.purchase_price for o in work.session.scalars(select(SupplierOffer))}
    assert prices["HS-1"] == Decimal("10.00")


def test_apply_reprices_in_one_transaction_keeps_history_and_announces_preferred_prices(
    uow: Any, hydrosud: dict[str, Any]
) -> None:
    articles = hydrosud["articles"]
    with uow() as work:
        payload = price_list(FILE, mapping={**MAPPING, "ean": "EAN"}, unknown="create", accept_price_jumps=False)
        report = usecases.apply_price_list(work, hydrosud["supplier"], schemas.PriceListApply().load(payload))
    emitted = work.emitted
    counts = ("repriced", "skipped_jumps", "offers_added", "articles_created")
    assert [report[count] for count in counts] == [1, 1, 1, 1]
    with uow() as work:
        offers = {o.supplier_reference: o for o in work.session.scalars(select(SupplierOffer))}
        assert (offers["HS-1"].purchase_price, offers["HS-2"].purchase_price) == (Decimal("10.50"), Decimal("10.00"))
        assert offers["HS-4"].article_id == articles[4] and offers["HS-4"].preferred  # its first offer
        robot = usecases.get_article(work, offers["HS-9"].article_id)
        assert (robot["supplier_id"], robot["offers"][0]["preferred"]) == (hydrosud["supplier"], True)
        assert (robot["sku"], robot["name"], str(robot["sale_price"]), str(robot["purchase_price"])) == (
            "HS-9", "Robot Vortex", "999.00", "610.00",
        )  # fmt: skip
        history = usecases.price_history(work, articles[1], PageQuery().load({})).items
    assert [(h["kind"], h["old_price"], h["new_price"], h["source"]) for h in history[:1]] == [
        ("purchase", Decimal("10.00"), Decimal("10.50"), "price_list")
    ]
    # Article 1's preferred offer moved; article 2's preferred supplier is another one.
    changed = {e.data["sku"]: e.data["purchase_price"] for e in emitted if e.event_type == "article_price_changed"}
    assert changed == {"ART-1": "10.50", "ART-4": "3.20"}
    assert [e.data["sku"] for e in emitted if e.event_type == "article_created"] == ["HS-9"]

    # The next season's file needs no mapping: the supplier's is saved.
    with uow() as work:
        again = usecases.preview_price_list(work, hydrosud["supplier"], {"content": FILE})
    assert (again["price_changes"], again["unchanged"], again["unknown"]) == (1, 4, 0)  # HS-2, the skipped jump


def test_a_workbook_is_previewed_and_applied_like_its_csv(uow: Any, hydrosud: dict[str, Any]) -> None:
    rows = [line.split(";") for line in FILE.strip().split("\n")]
    payload = price_list(workbook(*rows), format="xlsx", mapping={**MAPPING, "ean": "EAN"})
    with uow() as work:
        report = usecases.preview_price_list(work, hydrosud["supplier"], schemas.PriceListInput().load(payload))
    assert (report["readable"], report["price_changes"], report["unknown"], len(report["jumps"])) == (5, 2, 1, 1)
    with uow() as work:
        applied = usecases.apply_price_list(work, hydrosud["supplier"], schemas.PriceListApply().load(payload))
    assert (applied["repriced"], applied["skipped_jumps"], applied["offers_added"]) == (1, 1, 1)


def test_accepted_jumps_are_applied_too(uow: Any, hydrosud: dict[str, Any]) -> None:
    with uow() as work:
        payload = price_list(FILE, accept_price_jumps=True, price_jump_percent="50.00")
        report = usecases.apply_price_list(work, hydrosud["supplier"], schemas.PriceListApply().load(payload))
    assert (report["jump_count"], report["repriced"], report["unknown"]) == (0, 2, 2)  # no EAN column: HS-4 unknown


def test_a_first_list_needs_a_mapping_and_a_supplier_of_the_company(uow: Any, hydrosud: dict[str, Any]) -> None:
    with uow() as work, pytest.raises(ValidationFailed) as refused:
        usecases.preview_price_list(work, hydrosud["supplier"], {"content": FILE})
    assert list(refused.value.errors) == ["mapping"]
    with uow(tenant_id=uuid.uuid4()) as other, pytest.raises(NotFound):
        usecases.preview_price_list(other, hydrosud["supplier"], price_list(FILE))
