"""The catalogue through its use cases: the category tree, articles with barcodes, supplier
offers (one preferred), standard services with their default parts, edits under If-Match
that announce ``article_price_changed`` and keep the price history, and searches by
barcode and by a category's branch."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bassin_common.errors import PreconditionFailed, ValidationFailed
from bassin_common.pagination import PageQuery
from bassin_common.schemas import load_or_reject
from inventory import schemas, usecases
from inventory.models import Article, PriceChange


def new_category(work: Any, name: str, parent: uuid.UUID | None = None) -> uuid.UUID:
    payload = {"name": name, "parent_id": parent and str(parent)}
    return usecases.create_category(work, schemas.CategoryInput().load(payload)).id


def new_supplier(work: Any, name: str) -> uuid.UUID:
    return usecases.create_supplier(work, schemas.SupplierInput().load({"name": name})).id


def new_article(work: Any, **fields: Any) -> uuid.UUID:
    payload = {"sku": "CHL-GAL-5KG", "name": "Chlore lent galets 5 kg", "sale_price": "39.90", **fields}
    return usecases.create_article(work, schemas.ArticleInput().load(payload)).id


def edit(work: Any, article_id: uuid.UUID, version: int, **fields: Any) -> dict[str, Any]:
    current = usecases.get_article(work, article_id)
    payload = {
        "name": current["name"],
        "sale_price": str(current["sale_price"]),
        "offers": [
            {
                "supplier_id": str(offer["supplier_id"]),
                "purchase_price": str(offer["purchase_price"]),
                "preferred": offer["preferred"],
            }
            for offer in current["offers"]
        ],
        **fields,
    }
    return usecases.update_article(work, article_id, [str(version)], schemas.ArticleUpdate().load(payload))


def search(work: Any, **query: Any) -> list[str]:
    page = usecases.search_articles(work, schemas.ArticleSearch().load({"limit": 200, **query}))
    return [article.sku for article in page.items]


@pytest.fixture
def catalogue(uow: Any) -> dict[str, uuid.UUID]:
    with uow() as work:
        water = new_category(work, "Traitement de l'eau")
        chlorine = new_category(work, "Chlore", water)
        ph = new_category(work, "pH", water)
        hydrosud, aquafiltre = new_supplier(work, "HydroSud Distribution"), new_supplier(work, "Aquafiltre")
        galets = new_article(
            work,
            category_id=str(chlorine),
            brand="Bayrol",
            unit="piece",
            barcodes=["3760123450010"],
            offers=[
                {"supplier_id": str(hydrosud), "purchase_price": "24.00", "supplier_reference": "HS-40512"},
                {
                    "supplier_id": str(aquafiltre),
                    "purchase_price": "23.10",
                    "pack_size": 4,
                    "lead_time_days": 5,
                    "preferred": True,
                },
            ],
        )
        minus = new_article(work, sku="PH-MOINS-5KG", name="pH moins 5 kg", sale_price="19.90", category_id=str(ph))
    return {"water": water, "chlorine": chlorine, "ph": ph, "hydrosud": hydrosud, "aquafiltre": aquafiltre,
            "galets": galets, "minus": minus}  # fmt: skip


def test_the_tree_is_read_depth_first_each_node_with_its_path(uow: Any, catalogue: dict[str, uuid.UUID]) -> None:
    with uow() as work:
        nodes = usecases.list_categories(work, PageQuery().load({})).items
    assert [(node.path, node.depth) for node in nodes] == [
        ("Traitement de l'eau", 0),
        ("Traitement de l'eau / Chlore", 1),
        ("Traitement de l'eau / pH", 1),
    ]
    with uow() as work, pytest.raises(ValidationFailed) as refused:
        new_category(work, "Orphelin", uuid.uuid4())
    assert refused.value.errors == {"parent_id": ["unknown category"]}


def test_an_article_has_its_offers_preferred_first_its_barcodes_and_its_category(
    uow: Any, catalogue: dict[str, uuid.UUID]
) -> None:
    with uow() as work:
        article = usecases.get_article(work, catalogue["galets"])
    assert (article["brand"], article["unit"], article["kind"], article["stocked"]) == (
        "Bayrol",
        "piece",
        "product",
        True,
    )
    assert article["category_path"] == "Traitement de l'eau / Chlore"
    assert article["barcodes"] == ["3760123450010"]
    assert str(article["sale_price_excl_vat"]) == "33.25"
    assert [
        (o["supplier_name"], str(o["purchase_price"]), o["preferred"], o["pack_size"]) for o in article["offers"]
    ] == [
        ("Aquafiltre", "23.10", True, 4),
        ("HydroSud Distribution", "24.00", False, 1),
    ]
    # The preferred offer is the article's supplier and purchase price (reorders go there).
    assert (article["supplier_id"], str(article["purchase_price"])) == (catalogue["aquafiltre"], "23.10")


def test_articles_are_found_by_barcode_and_by_a_category_s_branch(uow: Any, catalogue: dict[str, uuid.UUID]) -> None:
    with uow() as work:
        assert search(work, barcode="3760123450010") == ["CHL-GAL-5KG"]
        assert search(work, q="3760123450010") == ["CHL-GAL-5KG"]  # the till's scanner types into the search
        assert search(work, category_id=str(catalogue["water"])) == ["CHL-GAL-5KG", "PH-MOINS-5KG"]
        assert search(work, category_id=str(catalogue["ph"])) == ["PH-MOINS-5KG"]
        assert search(work, kind="service") == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"barcodes": ["3760123450010"]}, "barcodes[0]", "already the barcode of another article"),
        ({"category_id": str(uuid.uuid4())}, "category_id", "unknown category"),
        (
            {"offers": [{"supplier_id": str(uuid.uuid4()), "purchase_price": "1.00"}]},
            "offers[0].supplier_id",
            "unknown supplier",
        ),
        ({"duration_minutes": 30}, "duration_minutes", "only a service has a duration"),
        ({"parts": [{"article_id": str(uuid.uuid4()), "quantity": 1}]}, "parts", "only a service has default parts"),
        ({"kind": "service", "stock": [{"location_id": str(uuid.uuid4()), "quantity": 1}]}, "stock", "not stocked"),
    ],
)
def test_a_refused_article_names_its_field_and_writes_nothing(
    uow: Any, catalogue: dict[str, uuid.UUID], fields: dict[str, Any], field: str, message: str
) -> None:
    with uow() as work, pytest.raises(ValidationFailed) as refused:
        new_article(work, sku="AUTRE", **fields)
    assert message in " ".join(refused.value.errors[field])
    with uow() as work:
        assert search(work, q="AUTRE") == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"barcodes": ["3760123450011"]}, "barcodes[0]"), ({"unit": "tonne"}, "unit"), ({"kind": "kit"}, "kind")],
)
def test_a_malformed_article_is_refused_by_its_schema(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(schemas.ArticleInput(), {"sku": "X", "name": "x", "sale_price": "1.00", **fields})
    assert field in refused.value.errors


def test_a_service_is_never_stocked_and_lists_its_default_parts(uow: Any, catalogue: dict[str, uuid.UUID]) -> None:
    with uow() as work:
        opening = new_article(
            work,
            sku="MES-OUVERTURE",
            name="Mise en service (ouverture de saison)",
            sale_price="189.00",
            kind="service",
            unit="piece",
            duration_minutes=120,
            parts=[
                {"article_id": str(catalogue["galets"]), "quantity": 1},
                {"article_id": str(catalogue["minus"]), "quantity": 2},
            ],
        )
        service = usecases.get_article(work, opening)
    assert (service["kind"], service["stocked"], service["duration_minutes"]) == ("service", False, 120)
    assert [(part["sku"], part["quantity"]) for part in service["parts"]] == [("CHL-GAL-5KG", 1), ("PH-MOINS-5KG", 2)]
    with uow() as work, pytest.raises(ValidationFailed) as refused:
        new_article(work, sku="HIVERNAGE", name="Hivernage", sale_price="159.00", kind="service",
                    parts=[{"article_id": str(opening), "quantity": 1}])  # fmt: skip
    assert refused.value.errors == {"parts[0].article_id": ["unknown product"]}


def test_an_edit_announces_the_new_price_and_keeps_the_history(uow: Any, catalogue: dict[str, uuid.UUID]) -> None:
    galets = catalogue["galets"]
    with uow() as work:
        before = usecases.get_article(work, galets)
        edited = edit(work, galets, 1, sale_price="42.90", vat_rate="20.00")
    assert (edited["version"], str(edited["sale_price"])) == (2, "42.90")
    assert edited["price_updated_at"] > before["price_updated_at"]
    [announced] = [event.data for event in work.emitted if event.event_type == "article_price_changed"]
    assert {k: v for k, v in announced.items() if k != "changed_at"} == {
        "article_id": str(galets),
        "sku": "CHL-GAL-5KG",
        "name": "Chlore lent galets 5 kg",
        "sale_price": "42.90",
        "vat_rate": "20.00",
        "purchase_price": "23.10",
    }
    with uow() as work:  # the same values again: nothing to announce
        edit(work, galets, 2, sale_price="42.90")
    assert [event.event_type for event in work.emitted] == []
    with uow() as work, pytest.raises(PreconditionFailed):
        edit(work, galets, 1, sale_price="45.00")  # made from a version another edit replaced
    with uow() as work:
        history = work.session.query(PriceChange).filter_by(article_id=galets, kind="sale").order_by(PriceChange.id)
        assert [(p.old_price and str(p.old_price), str(p.new_price), p.source) for p in history] == [
            (None, "39.90", "created"),
            ("39.90", "42.90", "edit"),
        ]
        assert work.session.get(Article, galets).version == 3


def test_a_new_purchase_price_is_announced_and_dated_on_its_offer(uow: Any, catalogue: dict[str, uuid.UUID]) -> None:
    galets, aquafiltre = catalogue["galets"], catalogue["aquafiltre"]
    with uow() as work:
        old = {o["supplier_id"]: o["price_updated_at"] for o in usecases.get_article(work, galets)["offers"]}
        edited = edit(
            work,
            galets,
            1,
            offers=[
                {"supplier_id": str(catalogue["hydrosud"]), "purchase_price": "24.00"},
                {"supplier_id": str(aquafiltre), "purchase_price": "25.80", "preferred": True},
            ],
        )
    offers = {o["supplier_id"]: o for o in edited["offers"]}
    assert offers[aquafiltre]["price_updated_at"] > old[aquafiltre]  # this price's age starts again
    assert offers[catalogue["hydrosud"]]["price_updated_at"] == old[catalogue["hydrosud"]]
    assert [e.data["purchase_price"] for e in work.emitted if e.event_type == "article_price_changed"] == ["25.80"]


def test_a_product_or_service_keeps_its_kind(uow: Any, catalogue: dict[str, uuid.UUID]) -> None:
    with uow() as work, pytest.raises(ValidationFailed) as refused:
        edit(work, catalogue["galets"], 1, kind="service")
    assert refused.value.errors == {"kind": ["a product stays a product, a service a service"]}
