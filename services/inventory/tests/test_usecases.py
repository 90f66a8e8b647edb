"""Inventory use cases through units of work on the test database, without nameko nor
RabbitMQ: what each one writes, what it refuses (naming the field, writing nothing) and
the events it emits, in their wire form.

Covered: create_location, create_supplier, create_article, get_article, get_stock_level,
set_thresholds (If-Match compared under lock, the version raised), decrement_stock (atomic
under concurrent sales), apply_sale (the reorder in the same unit of work, once per
crossing), reorder, add_to_supplier_basket, supplier_basket, search_articles,
list_locations, list_suppliers, movements — every list read by keyset pages, here two
items at a time — and tenant isolation of each read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import eventlet
import pytest
from sqlalchemy import func, select

from bassin_common import inbox
from bassin_common.errors import NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from bassin_common.events import Event
from bassin_common.pagination import Page, PageQuery
from bassin_common.schemas import load_or_reject
from bassin_common.testing import orm_executions, recorded_statements, someone_waits_on_a_lock, wait_until
from inventory import events, schemas, usecases
from inventory.domain import StockChange
from inventory.models import StockMovement, SupplierBasketLine

MAGASIN = {"code": "MAG", "name": "Magasin de Nîmes", "kind": "shop"}
CAMION = {"code": "CAM-1", "name": "Camion de Julien", "kind": "van"}
DEPOT = {"code": "DEP", "name": "Dépôt de Milhaud", "kind": "warehouse"}

CHLORE = {"sku": "CHL-GAL-5KG", "name": "Chlore lent galets 5 kg", "purchase_price": "24.00", "sale_price": "39.90"}
CHOC = {"sku": "CHL-CHOC-1KG", "name": "Chlore choc granulés 1 kg", "purchase_price": "9.50", "sale_price": "16.90"}
POMPE = {"sku": "PMP-075", "name": "Pompe de filtration 0,75 CV", "purchase_price": "310.00", "sale_price": "529.00"}
CARTOUCHE = {"sku": "CART-50", "name": "Cartouche filtrante 50 µm", "purchase_price": "18.00", "sale_price": "32.50"}


# --- building blocks ----------------------------------------------------------------------


def level(location_id: uuid.UUID, quantity: int, minimum: int = 0, maximum: int = 0) -> dict[str, Any]:
    return {"location_id": str(location_id), "quantity": quantity, "minimum": minimum, "maximum": maximum}


def add_location(work: Any, place: dict[str, str]) -> uuid.UUID:
    return usecases.create_location(work, schemas.LocationInput().load(place)).id


def add_supplier(work: Any, name: str) -> uuid.UUID:
    return usecases.create_supplier(work, schemas.SupplierInput().load({"name": name})).id


def article_input(article: dict[str, str], supplier: uuid.UUID | None = None, stock: list | None = None) -> dict:
    """What the service hands ``create_article``: the payload loaded by its schema."""
    payload = {**article, "supplier_id": supplier and str(supplier), "stock": stock or []}
    return schemas.ArticleInput().load(payload)


def add_article(work: Any, article: dict[str, str], supplier: uuid.UUID | None = None, stock: list | None = None):
    return usecases.create_article(work, article_input(article, supplier, stock)).id


def every(read: Callable[[dict[str, Any]], Page], limit: int = 2, **query: Any) -> list[Any]:
    """Every item of a list, read page after page (``limit`` at a time) as a client does."""
    items: list[Any] = []
    cursor = None
    while True:
        page = read(PageQuery().load({"limit": limit, **({"cursor": cursor} if cursor else {})}) | query)
        assert len(page.items) <= limit
        items += page.items
        if page.next is None:
            return items
        assert page.items, "a page with a next page is not empty"
        cursor = page.next


def of_type(emitted: list[Event], event_type: str) -> list[dict[str, Any]]:
    """The data (wire form) of the emitted events of one type."""
    return [event.data for event in emitted if event.event_type == event_type]


def event_types(emitted: list[Event]) -> list[str]:
    return [event.event_type for event in emitted]


@dataclass(frozen=True)
class Shelf:
    """One tenant's shop, supplier and chlore galets: 1,000 at the shop, minimum 850, maximum 1,200."""

    tenant_id: uuid.UUID
    shop: uuid.UUID
    supplier: uuid.UUID
    article: uuid.UUID


def stock_a_shelf(uow: Any, tenant_id: uuid.UUID | None = None) -> Shelf:
    with uow(tenant_id=tenant_id) as work:
        shop = add_location(work, MAGASIN)
        supplier = add_supplier(work, "HydroSud Distribution")
        article = add_article(work, CHLORE, supplier, [level(shop, 1000, 850, 1200)])
    return Shelf(work.tenant_id, shop, supplier, article)


@pytest.fixture
def shelf(uow: Any) -> Shelf:
    return stock_a_shelf(uow)


@pytest.fixture
def foreign_shelf(uow: Any) -> Shelf:
    """The same shelf in another company."""
    return stock_a_shelf(uow, uuid.uuid4())


@dataclass(frozen=True)
class Sold:
    sale_id: uuid.UUID
    changes: list[StockChange]
    emitted: list[Event]


def sale_completed(location: uuid.UUID, *lines: tuple[uuid.UUID, int]) -> dict[str, Any]:
    """A ``sale_completed``'s data as the consumer gets it: loaded by inventory's view."""
    return events.SaleCompletedView().load(
        {
            "sale_id": str(uuid.uuid4()),
            "location_id": str(location),
            "lines": [{"article_id": str(article), "quantity": quantity} for article, quantity in lines],
        }
    )


def sell(uow: Any, location: uuid.UUID, *lines: tuple[uuid.UUID, int]) -> Sold:
    """Apply a ``sale_completed`` as the consumer does."""
    sale = sale_completed(location, *lines)
    with uow() as work:
        changes = usecases.apply_sale(work, sale)
    return Sold(sale["sale_id"], changes, work.emitted)


def stock_at(uow: Any, article: uuid.UUID, location: uuid.UUID) -> tuple[int, int, int]:
    """(quantity, minimum, maximum) of an article at a location, read in a new unit of work."""
    with uow() as work:
        stock = usecases.get_article(work, article)["stock"]
    return next((s["quantity"], s["minimum"], s["maximum"]) for s in stock if s["location_id"] == location)


def basket(uow: Any) -> list[tuple[uuid.UUID | None, uuid.UUID, int]]:
    with uow() as work:
        lines = every(lambda page: usecases.supplier_basket(work, page))
        return [(line["supplier_id"], line["article_id"], line["quantity"]) for line in lines]


def ledger(uow: Any, article: uuid.UUID) -> list[tuple[uuid.UUID, int, int, str, str | None]]:
    """An article's movements, oldest first (the list gives the newest first)."""
    with uow() as work:
        movements = every(lambda page: usecases.movements(work, article, page))
    return [(m.location_id, m.delta, m.quantity_after, m.reason, m.reference) for m in reversed(movements)]


def thresholds(work: Any, shelf: Shelf, minimum: int, maximum: int, version: int = 1) -> dict[str, Any]:
    """Set the shelf's thresholds as an edit made from ``version`` (its If-Match)."""
    return usecases.set_thresholds(work, shelf.article, shelf.shop, [str(version)], minimum, maximum)


def changed_level(
    article: uuid.UUID, location: uuid.UUID, before: int, after: int, minimum: int = 850, maximum: int = 1200
) -> dict[str, Any]:
    """One level of a ``stock_levels_changed``, in its wire form."""
    return {
        "article_id": str(article),
        "location_id": str(location),
        "quantity": after,
        "previous_quantity": before,
        "minimum": minimum,
        "maximum": maximum,
    }


def level_changed(shelf: Shelf, sold: Sold, before: int, after: int) -> dict[str, Any]:
    """The ``stock_levels_changed`` a sale of the shelf's article alone at its shop emits."""
    return {
        "reason": "sale",
        "reference": str(sold.sale_id),
        "levels": [changed_level(shelf.article, shelf.shop, before, after)],
    }


def changed_levels(emitted: list[Event]) -> list[tuple[str, str, int, int]]:
    """(article, location, previous quantity, quantity) of every level the emitted
    ``stock_levels_changed`` carry, in their order."""
    return [
        (level["article_id"], level["location_id"], level["previous_quantity"], level["quantity"])
        for data in of_type(emitted, "stock_levels_changed")
        for level in data["levels"]
    ]


# --- locations and suppliers ---------------------------------------------------------------


def test_a_new_location_is_announced_with_its_wire_form(uow: Any) -> None:
    with uow() as work:
        location = usecases.create_location(work, schemas.LocationInput().load(CAMION))
    [event] = work.emitted
    assert (event.event_type, event.producer, event.tenant_id) == ("location_created", "inventory", work.tenant_id)
    assert event.data == {"location_id": str(location.id), "code": "CAM-1", "name": "Camion de Julien", "kind": "van"}


def test_a_location_code_is_used_once_per_company(uow: Any) -> None:
    with uow() as work:
        add_location(work, MAGASIN)
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        add_location(work, {**MAGASIN, "name": "Magasin d'Uzès"})
    assert refused.value.errors == {"code": ["already used by another location"]}
    assert work.emitted == []
    with uow(tenant_id=uuid.uuid4()) as other:
        add_location(other, MAGASIN)  # another company has its own codes
    with uow() as work:
        assert [location.name for location in every(lambda page: usecases.list_locations(work, page))] == [
            "Magasin de Nîmes"
        ]


def test_locations_are_listed_by_code_for_their_company_only(uow: Any) -> None:
    with uow() as work:
        ids = {place["code"]: add_location(work, place) for place in (MAGASIN, DEPOT, CAMION)}
    with uow() as work:
        assert [(loc.code, loc.id, loc.kind) for loc in every(lambda page: usecases.list_locations(work, page))] == [
            ("CAM-1", ids["CAM-1"], "van"),
            ("DEP", ids["DEP"], "warehouse"),
            ("MAG", ids["MAG"], "shop"),
        ]
    with uow(tenant_id=uuid.uuid4()) as other:
        assert every(lambda page: usecases.list_locations(other, page)) == []


def test_suppliers_are_created_silently_and_listed_by_name(uow: Any) -> None:
    with uow() as work:
        ids = {name: add_supplier(work, name) for name in ("Piscinelle Pro", "HydroSud Distribution", "Aquafiltre")}
    assert work.emitted == []
    with uow() as work:
        assert [(s.name, s.id) for s in every(lambda page: usecases.list_suppliers(work, page))] == sorted(ids.items())
    with uow(tenant_id=uuid.uuid4()) as other:
        assert every(lambda page: usecases.list_suppliers(other, page)) == []


# --- articles ----------------------------------------------------------------------------


def test_a_new_article_is_stocked_at_each_location_with_an_initial_movement(uow: Any) -> None:
    with uow() as work:
        shop, van = add_location(work, MAGASIN), add_location(work, CAMION)
        supplier = add_supplier(work, "HydroSud Distribution")
    with uow() as work:
        article = add_article(work, CHLORE, supplier, [level(shop, 1000, 850, 1200), level(van, 12, 5, 20)])
    [event] = work.emitted
    assert event.event_type == "article_created"
    assert event.data == {  # the wire form; the purchase price stays in inventory
        "article_id": str(article),
        "sku": "CHL-GAL-5KG",
        "name": "Chlore lent galets 5 kg",
        "sale_price": "39.90",
        "vat_rate": "20.00",
        "supplier_id": str(supplier),
    }
    with uow() as work:
        found = usecases.get_article(work, article)
    assert (found["purchase_price"], found["sale_price"], found["supplier_id"]) == (
        Decimal("24.00"),
        Decimal("39.90"),
        supplier,
    )
    assert [
        (s["location_code"], s["location_name"], s["quantity"], s["minimum"], s["maximum"]) for s in found["stock"]
    ] == [
        ("CAM-1", "Camion de Julien", 12, 5, 20),
        ("MAG", "Magasin de Nîmes", 1000, 850, 1200),
    ]
    assert ledger(uow, article) == [(shop, 1000, 1000, "initial", None), (van, 12, 12, "initial", None)]


def test_an_article_may_have_no_supplier_nor_stock_yet(uow: Any) -> None:
    with uow() as work:
        article = add_article(work, POMPE)
    assert of_type(work.emitted, "article_created")[0]["supplier_id"] is None
    with uow() as work:
        assert usecases.get_article(work, article)["stock"] == []
    assert ledger(uow, article) == []


REFUSED_ARTICLES: dict[str, tuple[Callable[[Shelf, Shelf], dict], str, str]] = {
    "sku already used": (lambda s, f: article_input({**CHLORE, "name": "Chlore galets"}), "sku", "already used"),
    "unknown supplier": (lambda s, f: article_input(POMPE, uuid.uuid4()), "supplier_id", "unknown supplier"),
    "another company's supplier": (lambda s, f: article_input(POMPE, f.supplier), "supplier_id", "unknown supplier"),
    "unknown location": (
        lambda s, f: article_input(POMPE, s.supplier, [level(uuid.uuid4(), 3)]),
        "stock[0].location_id",
        "unknown location",
    ),
    "another company's location": (
        lambda s, f: article_input(POMPE, s.supplier, [level(s.shop, 3), level(f.shop, 3)]),
        "stock[1].location_id",
        "unknown location",
    ),
    "location given twice": (
        lambda s, f: article_input(POMPE, s.supplier, [level(s.shop, 3), level(s.shop, 2)]),
        "stock[1].location_id",
        "location given twice",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_ARTICLES))
def test_a_refused_article_names_the_field_and_writes_nothing(
    uow: Any, shelf: Shelf, foreign_shelf: Shelf, case: str
) -> None:
    build, field, message = REFUSED_ARTICLES[case]
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_article(work, build(shelf, foreign_shelf))
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]
    assert work.emitted == []
    with uow() as work:
        assert [article.id for article in every(lambda page: usecases.search_articles(work, page), q="")] == [
            shelf.article
        ]
        assert work.session.scalar(select(func.count()).select_from(StockMovement)) == 1  # the shelf's initial


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda work, s: usecases.get_article(work, s.article), id="get_article"),
        pytest.param(lambda work, s: usecases.get_stock_level(work, s.article, s.shop), id="get_stock_level"),
        pytest.param(lambda work, s: thresholds(work, s, 900, 1300), id="set_thresholds"),
        pytest.param(lambda work, s: usecases.movements(work, s.article, PageQuery().load({})), id="movements"),
    ],
)
def test_another_company_s_article_is_not_found(uow: Any, shelf: Shelf, read: Callable) -> None:
    with pytest.raises(NotFound), uow(tenant_id=uuid.uuid4()) as work:
        read(work, shelf)
    assert stock_at(uow, shelf.article, shelf.shop) == (1000, 850, 1200)


def test_unknown_articles_and_unstocked_locations_are_not_found(uow: Any, shelf: Shelf) -> None:
    with pytest.raises(NotFound), uow() as work:
        usecases.get_article(work, uuid.uuid4())
    with uow() as work:
        van = add_location(work, CAMION)
    with pytest.raises(NotFound, match="at location"), uow() as work:
        usecases.set_thresholds(work, shelf.article, van, ["1"], 5, 20)
    with pytest.raises(NotFound, match="at location"), uow() as work:
        usecases.get_stock_level(work, shelf.article, van)
    with pytest.raises(NotFound), uow() as work:
        usecases.movements(work, uuid.uuid4(), PageQuery().load({}))


@pytest.fixture
def catalogue(uow: Any, shelf: Shelf) -> dict[str, uuid.UUID]:
    """Four articles of one company (chlore galets from the shelf), and one of another company."""
    with uow() as work:
        ids = {sku: add_article(work, article) for sku, article in (("CHL-CHOC-1KG", CHOC), ("PMP-075", POMPE))}
        ids["CART-50"] = add_article(work, CARTOUCHE)
    with uow(tenant_id=uuid.uuid4()) as other:
        add_article(other, {**POMPE, "sku": "PMP-100", "name": "Pompe de filtration 1 CV"})
    return {**ids, "CHL-GAL-5KG": shelf.article}


@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ("CHL", ["CHL-CHOC-1KG", "CHL-GAL-5KG"]),  # by SKU, in SKU order
        ("pompe", ["PMP-075"]),  # by name, whatever the case; not the other company's
        ("µm", ["CART-50"]),
        ("robot", []),
        ("", ["CART-50", "CHL-CHOC-1KG", "CHL-GAL-5KG", "PMP-075"]),  # two pages of two, then none
    ],
)
def test_search_articles_by_sku_or_name_a_page_at_a_time(
    uow: Any, catalogue: dict[str, uuid.UUID], query: str, skus: list[str]
) -> None:
    with uow() as work:
        found = every(lambda page: usecases.search_articles(work, page), q=query)
    assert [(article.sku, article.id) for article in found] == [(sku, catalogue[sku]) for sku in skus]


def test_a_page_starts_after_the_last_row_of_the_previous_one_whatever_changed_between(
    uow: Any, catalogue: dict[str, uuid.UUID]
) -> None:
    first_page = PageQuery().load({"limit": 2})
    with uow() as work:
        first = usecases.search_articles(work, first_page | {"q": ""})
    assert [article.sku for article in first.items] == ["CART-50", "CHL-CHOC-1KG"]
    with uow() as work:  # added before the cursor, and after it, while the client reads page 1
        add_article(work, {**CHOC, "sku": "AAA-1", "name": "Anti-algues 1 L"})
        add_article(work, {**CHOC, "sku": "ZZZ-1", "name": "Zéolithe 25 kg"})
    with uow() as work:
        second = usecases.search_articles(work, PageQuery().load({"limit": 2, "cursor": first.next}) | {"q": ""})
        third = usecases.search_articles(work, PageQuery().load({"limit": 2, "cursor": second.next}) | {"q": ""})
    assert [article.sku for article in second.items] == ["CHL-GAL-5KG", "PMP-075"]  # nothing skipped nor repeated
    assert ([article.sku for article in third.items], third.next) == (["ZZZ-1"], None)


@pytest.mark.parametrize(
    "cursor",
    [
        "pas-un-curseur",  # not base64 JSON
        "WyJNQUciXQ",  # ["MAG"]: one key, the list has two
        "WzEsMl0",  # [1, 2]: not a SKU and an id
        "eyJza3UiOiJNQUcifQ",  # {"sku": "MAG"}
    ],
)
def test_a_cursor_that_is_not_one_of_the_list_is_refused_naming_it(uow: Any, shelf: Shelf, cursor: str) -> None:
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.search_articles(work, PageQuery().load({"cursor": cursor}) | {"q": ""})
    assert list(refused.value.errors) == ["cursor"]


def test_a_page_holds_at_most_the_maximum_and_a_list_of_a_page_has_no_next(uow: Any, shelf: Shelf) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(schemas.ArticleSearch(), {"limit": 201})  # as the service loads it; MAX_LIMIT is 200
    assert list(refused.value.errors) == ["limit"]
    with uow() as work:
        page = usecases.list_locations(work, PageQuery().load({}))
    assert (len(page.items), page.next) == (1, None)


# --- thresholds ----------------------------------------------------------------------------


def test_raising_the_minimum_above_the_stock_asks_for_a_reorder_once(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        level = thresholds(work, shelf, 1100, 1500)
    assert (level["quantity"], level["minimum"], level["maximum"], level["version"]) == (1000, 1100, 1500, 2)
    assert event_types(work.emitted) == ["reorder_needed"]
    assert of_type(work.emitted, "reorder_needed") == [
        {
            "article_id": str(shelf.article),
            "location_id": str(shelf.shop),
            "supplier_id": str(shelf.supplier),
            "quantity_on_hand": 1000,
            "minimum": 1100,
            "maximum": 1500,
            "suggested_quantity": 500,
        }
    ]
    assert basket(uow) == [(shelf.supplier, shelf.article, 500)]
    with uow() as work:  # still below: not a new crossing
        thresholds(work, shelf, 1150, 1500, version=2)
    assert work.emitted == []
    assert basket(uow) == [(shelf.supplier, shelf.article, 500)]
    with uow() as work:  # back above the stock: no reorder, and the line is not lowered
        thresholds(work, shelf, 900, 1200, version=3)
    assert work.emitted == []
    assert basket(uow) == [(shelf.supplier, shelf.article, 500)]
    assert stock_at(uow, shelf.article, shelf.shop) == (1000, 900, 1200)


def test_lowering_thresholds_above_the_stock_changes_no_basket(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        thresholds(work, shelf, 0, 0)  # no longer managed
    assert work.emitted == []
    assert basket(uow) == []
    assert stock_at(uow, shelf.article, shelf.shop) == (1000, 0, 0)


def test_an_edit_made_from_an_older_version_is_refused_and_changes_nothing(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        read = usecases.get_stock_level(work, shelf.article, shelf.shop)
    assert (read["location_code"], read["quantity"], read["version"]) == ("MAG", 1000, 1)
    with uow() as work:  # another buyer's edit, made from version 1
        assert thresholds(work, shelf, 800, 1200)["version"] == 2
    with pytest.raises(PreconditionFailed, match="now version 2"), uow() as work:
        thresholds(work, shelf, 1100, 1500)  # this one was made from version 1 too
    assert work.emitted == []
    assert stock_at(uow, shelf.article, shelf.shop) == (1000, 800, 1200)
    assert basket(uow) == []
    with pytest.raises(PreconditionRequired), uow() as work:
        usecases.set_thresholds(work, shelf.article, shelf.shop, [], 1100, 1500)
    with pytest.raises(PreconditionFailed), uow() as work:
        usecases.set_thresholds(work, shelf.article, shelf.shop, ['W/"2"'], 1100, 1500)  # weak: never matches
    with uow() as work:  # any of the versions named may match
        assert usecases.set_thresholds(work, shelf.article, shelf.shop, ["7", "2"], 1100, 1500)["version"] == 3


def test_sales_move_the_quantity_not_the_version(uow: Any, shelf: Shelf) -> None:
    sell(uow, shelf.shop, (shelf.article, 3))
    with uow() as work:
        level = usecases.get_stock_level(work, shelf.article, shelf.shop)
        article = usecases.get_article(work, shelf.article)
    assert (level["quantity"], level["version"]) == (997, 1)
    assert article["stock"] == [{key: level[key] for key in article["stock"][0]}]
    with uow() as work:  # an edit read before the sale still applies
        assert thresholds(work, shelf, 900, 1200)["version"] == 2


# --- sales ---------------------------------------------------------------------------------


def test_a_two_line_sale_is_applied_in_one_statement(uow: Any, shelf: Shelf) -> None:
    """Both lines' levels, their movements and the unstocked articles left out: one
    statement (it was one per line plus one for the articles). A service on the ticket
    moves nothing; the events are as before, in article id order."""
    with uow() as work:
        galets = shelf.article
        brome = add_article(
            work, {**CHLORE, "sku": "BRO-5KG", "name": "Brome 5 kg"}, shelf.supplier, [level(shelf.shop, 200)]
        )
        service = add_article(work, {**CHLORE, "sku": "MO-1H", "name": "Main d'oeuvre 1 h", "stocked": False})
    sale = events.SaleCompletedView().load(
        {
            "sale_id": str(uuid.uuid4()),
            "location_id": str(shelf.shop),
            "lines": [
                {"article_id": str(article), "quantity": quantity}
                for article, quantity in ((brome, 2), (galets, 3), (service, 1))
            ],
        }
    )
    with uow() as work:
        connection = work.session.connection()  # the transaction and its tenant set first
        with recorded_statements(connection.engine) as statements, orm_executions(work.session) as through_the_orm:
            changes = usecases.apply_sale(work, sale)
    assert len(statements) == 1, statements
    assert through_the_orm == []  # fixed text on the connection: no ORM execution path (ADR 0008)
    assert sorted((c.article_id, c.before, c.after) for c in changes) == sorted(
        [(galets, 1000, 997), (brome, 200, 198)]
    )
    assert [c.article_id for c in changes] == sorted([galets, brome])
    # One event for the sale (ADR 0008), a level per stocked article, in the order applied.
    assert event_types(work.emitted) == ["stock_levels_changed"]
    levels = {
        galets: changed_level(galets, shelf.shop, 1000, 997),
        brome: changed_level(brome, shelf.shop, 200, 198, 0, 0),
    }
    assert work.emitted[0].data == {
        "reason": "sale",
        "reference": str(sale["sale_id"]),
        "levels": [levels[article] for article in sorted(levels)],
    }
    assert stock_at(uow, brome, shelf.shop)[0] == 198 and stock_at(uow, galets, shelf.shop)[0] == 997
    assert [entry[1:3] for entry in ledger(uow, brome)][-1] == (-2, 198)


def test_a_batch_of_sales_in_one_unit_of_work_announces_each_sale_once_with_its_correlation(
    uow: Any, shelf: Shelf
) -> None:
    """The consumer applies a batch of ``sale_completed`` in one transaction, each in its
    own context (``inbox.apply_each_once``): each sale has its own ``stock_levels_changed``,
    carrying its correlation id, its reference and its levels only."""
    with uow() as work:
        pompe = add_article(work, POMPE, stock=[level(shelf.shop, 5)])
    first = sale_completed(shelf.shop, (shelf.article, 2), (pompe, 1))
    second = sale_completed(shelf.shop, (shelf.article, 3))
    batch = [
        Event("sale_completed", shelf.tenant_id, "pos", sale, correlation_id=f"till-{n}")
        for n, sale in enumerate((first, second), 1)
    ]
    with uow() as work:
        assert inbox.apply_each_once(work, "inventory.sales", batch, usecases.apply_sale) == 2
    assert [(e.event_type, e.correlation_id, e.data["reference"]) for e in work.emitted] == [
        ("stock_levels_changed", "till-1", str(first["sale_id"])),
        ("stock_levels_changed", "till-2", str(second["sale_id"])),
    ]
    galets, shop = str(shelf.article), str(shelf.shop)
    assert [changed_levels([event]) for event in work.emitted] == [
        sorted([(galets, shop, 1000, 998), (str(pompe), shop, 5, 4)]),
        [(galets, shop, 998, 995)],
    ]


def test_a_sale_crossing_below_the_minimum_fills_the_basket_in_the_same_unit_of_work(uow: Any, shelf: Shelf) -> None:
    crossing = sell(uow, shelf.shop, (shelf.article, 151))  # 1000 -> 849, the minimum is 850
    assert event_types(crossing.emitted) == ["stock_levels_changed", "reorder_needed"]
    assert [event.data for event in crossing.emitted] == [
        level_changed(shelf, crossing, 1000, 849),
        {
            "article_id": str(shelf.article),
            "location_id": str(shelf.shop),
            "supplier_id": str(shelf.supplier),
            "quantity_on_hand": 849,
            "minimum": 850,
            "maximum": 1200,
            "suggested_quantity": 351,
        },
    ]
    assert basket(uow) == [(shelf.supplier, shelf.article, 351)]  # committed with the sale
    assert ledger(uow, shelf.article)[-1] == (shelf.shop, -151, 849, "sale", str(crossing.sale_id))

    still_below = sell(uow, shelf.shop, (shelf.article, 3))
    assert [(event.event_type, event.data) for event in still_below.emitted] == [
        ("stock_levels_changed", level_changed(shelf, still_below, 849, 846))
    ]  # no second reorder_needed: the open line is kept current instead
    assert basket(uow) == [(shelf.supplier, shelf.article, 354)]
    assert stock_at(uow, shelf.article, shelf.shop) == (846, 850, 1200)


def test_a_sale_below_the_minimum_is_applied_with_its_open_line_kept_current_in_three_statements(
    uow: Any, shelf: Shelf
) -> None:
    """While the line is open, every sale below the minimum asks what is on order and the
    preferred offer (one statement), then tops the line up (one more): with the level's,
    three statements (four before, one of them an ORM select: ADR 0008)."""
    sell(uow, shelf.shop, (shelf.article, 151))  # 849: the line opens
    sale = sale_completed(shelf.shop, (shelf.article, 3))
    with uow() as work:
        connection = work.session.connection()  # the transaction and its tenant set first
        with recorded_statements(connection.engine) as statements, orm_executions(work.session) as through_the_orm:
            usecases.apply_sale(work, sale)
    assert (len(statements), through_the_orm) == (3, []), statements
    assert event_types(work.emitted) == ["stock_levels_changed"]
    assert basket(uow) == [(shelf.supplier, shelf.article, 354)]


def test_an_article_without_a_preferred_offer_is_reordered_in_units_from_no_supplier(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        pompe = add_article(work, POMPE, stock=[level(shelf.shop, 10, 5, 12)])
    sold = sell(uow, shelf.shop, (pompe, 6))  # 4, under 5: 8 to reach 12
    assert of_type(sold.emitted, "reorder_needed") == [
        {
            "article_id": str(pompe),
            "location_id": str(shelf.shop),
            "supplier_id": None,
            "quantity_on_hand": 4,
            "minimum": 5,
            "maximum": 12,
            "suggested_quantity": 8,
        }
    ]
    assert basket(uow) == [(None, pompe, 8)]


def test_a_sale_at_the_minimum_is_not_below_it(uow: Any, shelf: Shelf) -> None:
    sold = sell(uow, shelf.shop, (shelf.article, 150))
    assert [event.data for event in sold.emitted] == [level_changed(shelf, sold, 1000, 850)]
    assert (sold.changes[0].after, sold.changes[0].crossed_below_minimum) == (850, False)
    assert basket(uow) == []


def test_a_failed_unit_of_work_keeps_neither_the_sale_nor_its_reorder(uow: Any, shelf: Shelf) -> None:
    sale = {
        "sale_id": uuid.uuid4(),
        "location_id": shelf.shop,
        "lines": [{"article_id": shelf.article, "quantity": 151}],
    }
    with pytest.raises(RuntimeError), uow() as work:
        usecases.apply_sale(work, sale)
        raise RuntimeError("the handler failed after applying the sale")
    assert stock_at(uow, shelf.article, shelf.shop) == (1000, 850, 1200)
    assert basket(uow) == []
    assert ledger(uow, shelf.article) == [(shelf.shop, 1000, 1000, "initial", None)]


def test_lines_of_the_same_article_are_taken_out_together(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        pompe = add_article(work, POMPE, stock=[level(shelf.shop, 5)])
    sold = sell(uow, shelf.shop, (shelf.article, 2), (pompe, 1), (shelf.article, 3))
    assert event_types(sold.emitted) == ["stock_levels_changed"]  # one for the sale
    assert changed_levels(sold.emitted) == sorted(
        [(str(shelf.article), str(shelf.shop), 1000, 995), (str(pompe), str(shelf.shop), 5, 4)]
    )  # a level per article, in article-id order (the lock order)
    assert [(c.article_id, c.before, c.after) for c in sold.changes] == sorted(
        [(shelf.article, 1000, 995), (pompe, 5, 4)]
    )
    assert ledger(uow, shelf.article) == [  # one movement for both lines, none of the pump's
        (shelf.shop, 1000, 1000, "initial", None),
        (shelf.shop, -5, 995, "sale", str(sold.sale_id)),
    ]
    assert ledger(uow, pompe) == [(shelf.shop, 5, 5, "initial", None), (shelf.shop, -1, 4, "sale", str(sold.sale_id))]


@pytest.fixture
def two_locations(uow: Any, shelf: Shelf) -> tuple[uuid.UUID, uuid.UUID]:
    """The shelf's company also has a van; chlore choc is stocked at the shop (40, min 10,
    max 60) and in the van (6, min 5, max 12). Returns (van, chlore choc)."""
    with uow() as work:
        van = add_location(work, CAMION)
        choc = add_article(work, CHOC, shelf.supplier, [level(shelf.shop, 40, 10, 60), level(van, 6, 5, 12)])
    return van, choc


def test_a_sale_takes_stock_out_of_its_own_location_only(
    uow: Any, shelf: Shelf, two_locations: tuple[uuid.UUID, uuid.UUID]
) -> None:
    van, choc = two_locations
    sold = sell(uow, van, (choc, 2))
    assert changed_levels(sold.emitted) == [(str(choc), str(van), 6, 4)]
    assert [(e["location_id"], e["suggested_quantity"]) for e in of_type(sold.emitted, "reorder_needed")] == [
        (str(van), 8)
    ]
    assert stock_at(uow, choc, van) == (4, 5, 12)
    assert stock_at(uow, choc, shelf.shop) == (40, 10, 60)
    assert basket(uow) == [(shelf.supplier, choc, 8)]


def test_two_locations_below_their_minimum_are_two_needs_in_the_basket(
    uow: Any, shelf: Shelf, two_locations: tuple[uuid.UUID, uuid.UUID]
) -> None:
    van, choc = two_locations
    sell(uow, van, (choc, 2))  # van 6 -> 4: needs 8
    shop_sale = sell(uow, shelf.shop, (choc, 31))  # shop 40 -> 9: needs 51
    assert of_type(shop_sale.emitted, "reorder_needed")[0]["suggested_quantity"] == 51
    with uow() as work:
        lines = every(lambda page: usecases.supplier_basket(work, page))
    assert sorted((line["location_code"], line["quantity"]) for line in lines) == [("CAM-1", 8), ("MAG", 51)]


def test_an_article_sold_where_it_is_not_stocked_gets_an_unmanaged_negative_level(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        van = add_location(work, CAMION)
    sold = sell(uow, van, (shelf.article, 2))
    assert [event.data for event in sold.emitted] == [
        {"reason": "sale", "reference": str(sold.sale_id), "levels": [changed_level(shelf.article, van, 0, -2, 0, 0)]}
    ]
    assert (sold.changes[0].before, sold.changes[0].after, sold.changes[0].is_managed) == (0, -2, False)
    assert stock_at(uow, shelf.article, van) == (-2, 0, 0)
    assert stock_at(uow, shelf.article, shelf.shop) == (1000, 850, 1200)
    assert basket(uow) == []


def test_concurrent_decrements_of_one_level_both_count(uow: Any, shelf: Shelf, test_settings: Any) -> None:
    def second_till() -> StockChange:
        with uow() as work:
            return usecases.decrement_stock(work, shelf.article, shelf.shop, 7, "sale", "ticket-2")

    with uow() as work:
        first = usecases.decrement_stock(work, shelf.article, shelf.shop, 5, "sale", "ticket-1")
        second = eventlet.spawn(second_till)
        # The second waits on the row this unit holds, rather than reading a stale quantity.
        wait_until(lambda: someone_waits_on_a_lock(test_settings.service_database_url("inventory")))
    assert (first.before, first.after) == (1000, 995)
    assert (second.wait().before, second.wait().after) == (995, 988)
    assert stock_at(uow, shelf.article, shelf.shop) == (988, 850, 1200)
    assert [row[1:] for row in ledger(uow, shelf.article)[1:]] == [
        (-5, 995, "sale", "ticket-1"),
        (-7, 988, "sale", "ticket-2"),
    ]
    assert work.emitted == []  # decrement_stock only moves stock; apply_sale announces


# --- the supplier basket -------------------------------------------------------------------


def test_a_basket_line_is_topped_up_never_lowered(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        line = usecases.add_to_supplier_basket(work, shelf.supplier, shelf.article, 40)
        usecases.add_to_supplier_basket(work, shelf.supplier, shelf.article, 25)  # a smaller need
    assert basket(uow) == [(shelf.supplier, shelf.article, 40)]
    with uow() as work:
        again = usecases.add_to_supplier_basket(work, shelf.supplier, shelf.article, 60)
    assert (again.id, work.emitted) == (line.id, [])
    assert basket(uow) == [(shelf.supplier, shelf.article, 60)]


def test_a_need_opens_a_line_once_and_never_lowers_what_the_buyer_raised(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        usecases.keep_basket_current(work, StockChange(shelf.article, shelf.shop, 852, 849, 850, 1200))
    assert of_type(work.emitted, "reorder_needed")[0]["suggested_quantity"] == 351
    with uow() as work:
        usecases.add_to_supplier_basket(work, shelf.supplier, shelf.article, 500, shelf.shop)  # raised by the buyer
        usecases.keep_basket_current(work, StockChange(shelf.article, shelf.shop, 849, 845, 850, 1200))
    assert work.emitted == []  # the line is open already: kept current, not announced again
    assert basket(uow) == [(shelf.supplier, shelf.article, 500)]


def test_the_basket_lists_open_lines_by_supplier_then_sku(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        aquafiltre = add_supplier(work, "Aquafiltre")
        choc = add_article(work, CHOC, aquafiltre)
        cartouche, pompe = add_article(work, CARTOUCHE, shelf.supplier), add_article(work, POMPE)
        for supplier, article, quantity in [
            (None, pompe, 2),
            (shelf.supplier, shelf.article, 351),
            (shelf.supplier, cartouche, 24),
            (aquafiltre, choc, 30),
        ]:
            usecases.add_to_supplier_basket(work, supplier, article, quantity)
    with uow() as work:
        lines = every(lambda page: usecases.supplier_basket(work, page))  # two pages of two
    assert [(line["supplier_name"], line["sku"], line["article_name"], line["quantity"]) for line in lines] == [
        ("Aquafiltre", "CHL-CHOC-1KG", "Chlore choc granulés 1 kg", 30),
        ("HydroSud Distribution", "CART-50", "Cartouche filtrante 50 µm", 24),
        ("HydroSud Distribution", "CHL-GAL-5KG", "Chlore lent galets 5 kg", 351),
        (None, "PMP-075", "Pompe de filtration 0,75 CV", 2),  # no supplier chosen yet: last
    ]
    assert {line["status"] for line in lines} == {"open"}
    with uow(tenant_id=uuid.uuid4()) as other:
        assert every(lambda page: usecases.supplier_basket(other, page)) == []


def test_an_ordered_line_leaves_the_basket_and_a_new_need_opens_another(uow: Any, shelf: Shelf) -> None:
    with uow() as work:
        line = usecases.add_to_supplier_basket(work, shelf.supplier, shelf.article, 351)
    with uow() as work:
        work.session.get(SupplierBasketLine, line.id).status = "ordered"
    assert basket(uow) == []
    with uow() as work:
        new = usecases.add_to_supplier_basket(work, shelf.supplier, shelf.article, 20)
    assert new.id != line.id
    assert basket(uow) == [(shelf.supplier, shelf.article, 20)]
