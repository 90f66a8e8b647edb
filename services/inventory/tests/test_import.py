"""Importing many articles at once (``import_articles``: the demo company, a catalogue
taken over): the rules of ``create_article`` for each (``domain.new_article_problem``,
without a database), the batch's own (a SKU or a barcode once), what is written — the
same rows as article by article — and the one ``articles_imported`` event, on the test
database; then the RPC, alone and inside ``seed``."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bassin_common.errors import ValidationFailed
from bassin_common.testing import rpc_client
from inventory import schemas, usecases
from inventory.domain import Known, new_article_problem
from inventory.models import PriceChange, SupplierBasketLine

SHOP, VAN, SUPPLIER, CATEGORY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def article(sku: str = "CHL-GAL-5KG", **fields: Any) -> dict[str, Any]:
    """A payload as the schema loads it (what the use case and the rules receive)."""
    payload = {"sku": sku, "name": f"Article {sku}", "sale_price": "39.90", **fields}
    return schemas.ArticleInput().load(payload)


def known(**taken: Any) -> Known:
    return Known(categories={CATEGORY}, suppliers={SUPPLIER}, locations={SHOP, VAN}, **taken)


# --- the rules, without a database --------------------------------------------------------------

S, C, L = str(SUPPLIER), str(CATEGORY), str(SHOP)
PROBLEMS = {
    "SKU taken": (article(), {"skus": {"CHL-GAL-5KG"}}, ("sku", "already used by another article")),
    "unknown supplier": (
        article(supplier_id=str(uuid.uuid4()), purchase_price="2.00"),
        {},
        ("supplier_id", "unknown supplier"),
    ),
    "supplier without its price": (
        article(supplier_id=S),
        {},
        ("purchase_price", "needed with supplier_id (the supplier's price)"),
    ),
    "unknown category": (article(category_id=str(uuid.uuid4())), {}, ("category_id", "unknown category")),
    "barcode taken": (
        article(barcodes=["3760123450010"]),
        {"barcodes": {"3760123450010"}},
        ("barcodes[0]", "already the barcode of another article"),
    ),
    "a stocked service": (
        article(kind="service", stock=[{"location_id": L, "quantity": 1}]),
        {},
        ("stock", "a service is not stocked"),
    ),
    "a product with parts": (
        article(parts=[{"article_id": str(uuid.uuid4()), "quantity": 1}]),
        {},
        ("parts", "only a service has default parts"),
    ),
    "unknown location": (
        article(stock=[{"location_id": str(uuid.uuid4()), "quantity": 1}]),
        {},
        ("stock[0].location_id", "unknown location"),
    ),
    "a location twice": (
        article(stock=[{"location_id": L, "quantity": 1}, {"location_id": L, "quantity": 2}]),
        {},
        ("stock[1].location_id", "location given twice"),
    ),
}


@pytest.mark.parametrize("case", list(PROBLEMS))
def test_a_new_article_breaking_a_rule_is_refused_naming_its_field(case: str) -> None:
    payload, taken, problem = PROBLEMS[case]
    assert new_article_problem(payload, known(**taken)) == problem


def test_the_legacy_supplier_becomes_the_preferred_offer_and_the_rest_passes() -> None:
    payload = article(supplier_id=S, purchase_price="24.00", category_id=C, stock=[{"location_id": L, "quantity": 40}])
    assert new_article_problem(payload, known()) is None
    assert [(offer["supplier_id"], offer["purchase_price"], offer["preferred"]) for offer in payload["offers"]] == [
        (SUPPLIER, Decimal("24.00"), True)
    ]


def test_an_article_taken_into_a_batch_takes_its_sku_and_barcodes_from_the_next() -> None:
    catalogue = known()
    first = article(barcodes=["3760123450010"])
    assert new_article_problem(first, catalogue) is None
    catalogue.take(first)
    assert new_article_problem(article(), catalogue) == ("sku", "already used by another article")
    assert new_article_problem(article("OTHER", barcodes=["3760123450010"]), catalogue)[0] == "barcodes[0]"


# --- the use case, on the test database -----------------------------------------------------------


@pytest.fixture
def places(uow: Any) -> dict[str, uuid.UUID]:
    with uow() as work:
        shop = usecases.create_location(
            work, schemas.LocationInput().load({"code": "MAG", "name": "Magasin", "kind": "shop"})
        )
        supplier = usecases.create_supplier(work, schemas.SupplierInput().load({"name": "HydroSud Distribution"}))
    return {"shop": shop.id, "supplier": supplier.id}


def payloads(places: dict[str, uuid.UUID], prefix: str) -> list[dict[str, Any]]:
    """Three articles: one below its minimum at the shop, one with a barcode, one unstocked."""
    supplier, shop = str(places["supplier"]), str(places["shop"])
    return [
        {
            "sku": f"{prefix}-1",
            "name": "Chlore lent galets 5 kg",
            "sale_price": "39.90",
            "supplier_id": supplier,
            "purchase_price": "24.00",
            "stock": [{"location_id": shop, "quantity": 2, "minimum": 5, "maximum": 20}],
        },
        {
            "sku": f"{prefix}-2",
            "name": "Cartouche C100",
            "sale_price": "42.00",
            "barcodes": ["3760123450010" if prefix == "ONE" else "3760123450027"],
            "offers": [{"supplier_id": supplier, "purchase_price": "21.00", "pack_size": 4}],
            "stock": [{"location_id": shop, "quantity": 12, "minimum": 4, "maximum": 20}],
        },
        {"sku": f"{prefix}-3", "name": "Pompe 0,75 CV", "sale_price": "529.00", "stocked": False},
    ]


def comparable(found: dict[str, Any]) -> dict[str, Any]:
    """An article as get_article shows it, without what differs between two of them."""
    offers = [
        {k: v for k, v in offer.items() if k not in ("article_id", "price_updated_at")} for offer in found["offers"]
    ]
    skip = ("id", "sku", "created_at", "price_updated_at", "barcodes")
    return {**{k: v for k, v in found.items() if k not in skip}, "offers": offers}


def test_imported_articles_are_written_as_created_ones_and_announced_in_one_event(
    uow: Any, places: dict[str, uuid.UUID]
) -> None:
    with uow() as work:
        alone = [usecases.create_article(work, schemas.ArticleInput().load(p)).id for p in payloads(places, "ONE")]
    with uow() as work:
        imported = usecases.import_articles(
            work, schemas.ArticlesImport().load({"articles": payloads(places, "MANY")})["articles"]
        )
    assert [a["sku"] for a in imported] == ["MANY-1", "MANY-2", "MANY-3"]
    events = [event for event in work.emitted if event.event_type == "articles_imported"]
    assert len(events) == 1
    supplier = str(places["supplier"])
    expected = [("Chlore lent galets 5 kg", "39.90", supplier), ("Cartouche C100", "42.00", supplier)]
    expected.append(("Pompe 0,75 CV", "529.00", None))
    assert events[0].data["articles"] == [  # for each, what its article_created would carry
        {"article_id": str(a["id"]), "sku": a["sku"], "name": name, "sale_price": price, "vat_rate": "20.00"}
        | {"supplier_id": supplier_id}
        for a, (name, price, supplier_id) in zip(imported, expected, strict=True)
    ]
    # The first, opened below its minimum, is in the basket (as a created one), announced.
    assert [event.data["article_id"] for event in work.emitted if event.event_type == "reorder_needed"] == [
        str(imported[0]["id"])
    ]
    with uow() as work:
        for one, many in zip(alone, imported, strict=True):
            assert comparable(usecases.get_article(work, many["id"])) == comparable(usecases.get_article(work, one))
        history = work.session.execute(
            select(PriceChange.article_id, PriceChange.kind, PriceChange.new_price, PriceChange.source)
        ).all()
        basket = work.session.scalars(select(SupplierBasketLine.article_id)).all()
    created = {(kind, price, source) for article_id, kind, price, source in history if article_id == alone[1]}
    assert created == {("purchase", Decimal("21.00"), "created"), ("sale", Decimal("42.00"), "created")}
    assert {(k, p, s) for a, k, p, s in history if a == imported[1]["id"]} == created
    assert sorted(basket) == sorted([alone[0], imported[0]["id"]])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda articles: articles[2].update(sku=articles[0]["sku"]), "articles[2].sku"),
        (lambda articles: articles[1].update(category_id=str(uuid.uuid4())), "articles[1].category_id"),
    ],
)
def test_one_refused_article_refuses_the_import_naming_it_and_nothing_is_written(
    uow: Any, places: dict[str, uuid.UUID], change: Any, field: str
) -> None:
    articles = payloads(places, "MANY")
    change(articles)
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.import_articles(work, schemas.ArticlesImport().load({"articles": articles})["articles"])
    assert list(refused.value.errors) == [field]
    assert work.emitted == []
    with uow() as work:
        assert usecases.search_articles(work, schemas.ArticleSearch().load({"q": "MANY"})).items == []


# --- the RPC, alone and in a seed batch -------------------------------------------------------------


def test_the_rpc_imports_and_a_seed_batch_names_what_it_imported(inventory: Any, tenant_id: uuid.UUID) -> None:
    with rpc_client(tenant_id) as rpc:
        shop = rpc.inventory.create_location({"code": "MAG", "name": "Magasin", "kind": "shop"})
        answer = rpc.inventory.import_articles(
            {
                "articles": [
                    {
                        "sku": "A-1",
                        "name": "Sel 25 kg",
                        "sale_price": "12.50",
                        "stock": [{"location_id": shop["id"], "quantity": 60}],
                    }
                ]
            }
        )
        returned = rpc.inventory.seed(
            [
                {
                    "call": "import_articles",
                    "args": [{"articles": [{"sku": "A-2", "name": "Bandelettes", "sale_price": "11.90"}]}],
                    "as": "batch",
                    "full": True,
                }
            ]
        )
        with pytest.raises(ValidationFailed) as refused:
            rpc.inventory.import_articles({"articles": [{"sku": "A-1", "name": "Encore", "sale_price": "1.00"}]})
        found = rpc.inventory.get_article(answer["articles"][0]["id"])
    assert answer["articles"][0]["sku"] == "A-1" and found["stock"][0]["quantity"] == 60
    assert [a["sku"] for a in returned["batch"]["articles"]] == ["A-2"]
    assert "articles[0].sku" in refused.value.errors
