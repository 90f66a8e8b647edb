"""pos use cases through units of work on the test database, without nameko nor RabbitMQ.

Covered: record_sale (priced from the till's catalogue copy, stored with the id of the
request that recorded it, ``sale_completed`` emitted in its wire form; the shop and the
articles refused by field, writing nothing), get_sale, list_sales (newest first, by date
range, a page at a time), list_catalogue, keep_article (creates, then updates) and
keep_shop (shops only), each scoped to its company; the number of SQL statements a sale's
transaction issues, as the service's RPC runs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bassin_common import idempotency
from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.events import Event
from bassin_common.pagination import PageQuery
from bassin_common.schemas import load_or_reject
from bassin_common.testing import recorded_statements
from pos import events, schemas, usecases
from pos.models import Sale, Shop

FromInventory = Any  # the conftest's class, reached through the ``inventory`` fixture
Till = Any


def line(article: uuid.UUID, quantity: int, unit_price: str | None = None) -> dict[str, Any]:
    return {"article_id": str(article), "quantity": quantity, **({"unit_price": unit_price} if unit_price else {})}


def sale_input(lines: list[dict], payments: list[tuple[str, str]], location: uuid.UUID | None = None) -> dict:
    """What the service hands ``record_sale``: the payload loaded by its schema."""
    payload = {
        "location_id": location and str(location),
        "lines": lines,
        "payments": [{"method": method, "amount": amount} for method, amount in payments],
    }
    return schemas.SaleInput().load(payload)


def two_galets(till: Till, location: uuid.UUID | None = None) -> dict:
    return sale_input([line(till.chlore, 2)], [("card", "79.80")], location)


def sales(uow: Any, tenant_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, str | None, Decimal]]:
    with uow(tenant_id=tenant_id) as work:
        return [(sale.id, sale.request_id, sale.total) for sale in work.session.scalars(select(Sale))]


# --- record_sale ---------------------------------------------------------------------------


def test_a_sale_is_priced_from_the_till_catalogue_stored_and_announced(uow: Any, till: Till) -> None:
    data = sale_input([line(till.chlore, 3), line(till.pompe, 1)], [("cash", "50.00"), ("card", "598.70")])
    with uow(roles=("cashier",), user_id="caisse-nimes-1") as work:
        sale = usecases.record_sale(work, data)
    assert (sale.location_id, sale.total, sale.vat_total, sale.cashier_id) == (
        till.shop,  # no shop named: the company's only shop
        Decimal("648.70"),
        Decimal("108.12"),  # 19.95 + 88.17
        "caisse-nimes-1",
    )
    [event] = work.emitted
    assert (event.event_type, event.producer, event.tenant_id) == ("sale_completed", "pos", till.tenant_id)
    assert event.data == {
        "sale_id": str(sale.id),
        "number": 1,
        "location_id": str(till.shop),
        "customer_id": None,
        "cashier_id": "caisse-nimes-1",
        "total": "648.70",
        "vat_total": "108.12",
        "change_given": "0.00",
        "lines": [
            {
                "article_id": str(till.chlore),
                "quantity": 3,
                "unit_price": "39.90",
                "vat_rate": "20.00",
                "discount": "0.00",
                "total": "119.70",
                "serial_number": None,
                "register_on_pool_id": None,
            },
            {
                "article_id": str(till.pompe),
                "quantity": 1,
                "unit_price": "529.00",
                "vat_rate": "20.00",
                "discount": "0.00",
                "total": "529.00",
                "serial_number": None,
                "register_on_pool_id": None,
            },
        ],
        "payments": [{"method": "cash", "amount": "50.00"}, {"method": "card", "amount": "598.70"}],
        "completed_at": sale.completed_at.isoformat(),
    }
    assert sales(uow) == [(sale.id, None, Decimal("648.70"))]


# What one sale (card, one line, the shop's cash session open) costs in SQL statements, as
# the RPC adapter runs it: the idempotency claim (which tells the tenant's settings) and
# response, the use case and the outbox row. Each costs pos ~0.4 ms of CPU, ~1 ms through the ORM (ADR
# 0008): raise it knowingly.
STATEMENTS_PER_SALE = 7


def test_a_sale_is_recorded_in_a_bounded_number_of_statements(uow: Any, till: Till) -> None:
    def sell(request_id: str) -> dict[str, Any]:
        data = two_galets(till)
        with uow(roles=("cashier",), request_id=request_id, claims_first=True) as work:
            return idempotency.run_once(
                work,
                "record_sale",
                idempotency.fingerprint({"sale": request_id}),
                lambda: schemas.SaleOutput().dump(usecases.record_sale(work, data)),
            )

    sell("ticket-1")  # opens the shop's cash session
    with uow() as work:
        engine = work.session.get_bind()
    with recorded_statements(engine) as issued:
        sale = sell("ticket-2")
    assert sale["number"] == 2
    assert sell("ticket-2") == sale  # a repeat gets the stored response
    assert len(issued) <= STATEMENTS_PER_SALE, "\n\n".join(issued)


def test_the_till_sells_at_its_latest_price_unless_the_cashier_sets_one(
    uow: Any, till: Till, inventory: FromInventory
) -> None:
    with uow() as work:
        inventory.apply(work, inventory.article(till.chlore, sale_price="42.50"))
    data = sale_input([line(till.chlore, 2), line(till.chlore, 1, "39.00")], [("cheque", "124.00")], till.shop)
    with uow(roles=("cashier",)) as work:
        sale = usecases.record_sale(work, data)
    assert [(position, sold.unit_price, sold.total) for position, sold in enumerate(sale.lines, 1)] == [
        (1, Decimal("42.50"), Decimal("85.00")),
        (2, Decimal("39.00"), Decimal("39.00")),
    ]
    assert [line["unit_price"] for line in work.emitted[0].data["lines"]] == ["42.50", "39.00"]


def test_a_sale_keeps_the_id_of_the_request_that_recorded_it(uow: Any, till: Till) -> None:
    with uow(roles=("cashier",), request_id="ticket-0042") as work:
        sale = usecases.record_sale(work, two_galets(till))
    with uow(roles=("cashier",)) as work:  # an internal caller gives none
        other = usecases.record_sale(work, two_galets(till))
    assert sorted(sales(uow), key=lambda row: row[1] or "") == [
        (other.id, None, Decimal("79.80")),
        (sale.id, "ticket-0042", Decimal("79.80")),
    ]


REFUSED_SALES: dict[str, tuple[Callable[[Till, Till], dict], str, str]] = {
    "a van has no till": (lambda t, o: two_galets(t, t.van), "location_id", "unknown shop"),
    "an unknown shop": (lambda t, o: two_galets(t, uuid.uuid4()), "location_id", "unknown shop"),
    "another company's shop": (lambda t, o: two_galets(t, o.shop), "location_id", "unknown shop"),
    "another company's article": (
        lambda t, o: sale_input([line(t.pompe, 1), line(o.chlore, 1)], [("card", "568.90")]),
        "lines[1].article_id",
        "unknown article",
    ),
    "payments short of the total": (
        lambda t, o: sale_input([line(t.chlore, 2)], [("cash", "40.00")]),
        "payments",
        "payments add up to 40.00 but the sale totals 79.80: 39.80 still due",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_SALES))
def test_a_refused_sale_names_the_field_and_writes_nothing(
    uow: Any, till: Till, open_till: Callable[..., Till], case: str
) -> None:
    build, field, message = REFUSED_SALES[case]
    data = build(till, open_till(uuid.uuid4()))
    with pytest.raises(ValidationFailed) as refused, uow(roles=("cashier",)) as work:
        usecases.record_sale(work, data)
    assert refused.value.errors == {field: [message]}
    assert work.emitted == []
    assert sales(uow) == []


def test_with_several_shops_the_sale_names_its_shop(uow: Any, till: Till, inventory: FromInventory) -> None:
    uzes = inventory.location(code="UZE", name="Magasin d'Uzès")
    with uow() as work:
        inventory.apply(work, uzes)
    with pytest.raises(ValidationFailed) as refused, uow(roles=("cashier",)) as work:
        usecases.record_sale(work, two_galets(till))
    assert refused.value.errors == {"location_id": ["several shops: say which one"]}
    with uow(roles=("cashier",)) as work:
        sale = usecases.record_sale(work, two_galets(till, uzes.data["location_id"]))
    assert sale.location_id == uuid.UUID(uzes.data["location_id"])
    assert work.emitted[0].data["location_id"] == uzes.data["location_id"]


def test_a_company_without_a_shop_cannot_sell(uow: Any, inventory: FromInventory) -> None:
    with uow() as work:
        chlore = inventory.apply(work, inventory.article())
    with pytest.raises(ValidationFailed) as refused, uow(roles=("cashier",)) as work:
        usecases.record_sale(work, sale_input([line(chlore.article_id, 1)], [("cash", "39.90")]))
    assert refused.value.errors == {"location_id": ["no shop is set up yet"]}
    assert sales(uow) == []


# --- get_sale, list_sales and list_catalogue ---------------------------------------------------


def test_a_sale_is_read_with_its_lines_and_payments_by_its_company_only(uow: Any, till: Till) -> None:
    data = sale_input([line(till.pompe, 1), line(till.chlore, 2)], [("cheque", "300.00"), ("card", "308.80")])
    with uow(roles=("cashier",)) as work:
        recorded = usecases.record_sale(work, data)
    with uow(roles=("technician",)) as work:
        sale = usecases.get_sale(work, recorded.id)
    assert (sale.id, sale.total, sale.vat_total) == (recorded.id, Decimal("608.80"), Decimal("101.47"))
    assert [(sold.position, sold.description, sold.quantity, sold.total) for sold in sale.lines] == [
        (1, "Pompe de filtration 0,75 CV", 1, Decimal("529.00")),
        (2, "Chlore lent galets 5 kg", 2, Decimal("79.80")),
    ]
    assert [(paid.position, paid.method, paid.amount) for paid in sale.payments] == [
        (1, "cheque", Decimal("300.00")),
        (2, "card", Decimal("308.80")),
    ]
    with pytest.raises(NotFound), uow(tenant_id=uuid.uuid4()) as work:
        usecases.get_sale(work, recorded.id)
    with pytest.raises(NotFound), uow() as work:
        usecases.get_sale(work, uuid.uuid4())


def sold_on(uow: Any, till: Till, *days: str) -> list[uuid.UUID]:
    """One sale completed at noon (UTC) on each day, in that order; their ids."""
    ids = []
    for day in days:
        with uow(roles=("cashier",)) as work:
            sale = usecases.record_sale(work, two_galets(till))
        with uow() as work:
            work.session.get(Sale, sale.id).completed_at = datetime.fromisoformat(f"{day}T12:00:00+00:00")
        ids.append(sale.id)
    return ids


def sale_pages(uow: Any, limit: int, **query: str) -> list[list[uuid.UUID]]:
    """The ids of each page of ``list_sales``, read as a client does."""
    pages, cursor = [], None
    while True:
        page_query = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        loaded = load_or_reject(schemas.SaleQuery(), page_query)
        with uow() as work:
            page = usecases.list_sales(work, loaded)
        pages.append([sale.id for sale in page.items])
        if (cursor := page.next) is None:
            return pages


def test_sales_are_listed_newest_first_a_page_at_a_time_by_date_range(
    uow: Any, till: Till, open_till: Callable[..., Till]
) -> None:
    july_1, july_14, july_14_again, august_1 = sold_on(uow, till, "2026-07-01", *["2026-07-14"] * 2, "2026-08-01")
    elsewhere = open_till(uuid.uuid4())  # another company's sales are not seen
    with uow(tenant_id=elsewhere.tenant_id, roles=("cashier",)) as work:
        usecases.record_sale(work, two_galets(elsewhere))
    assert sale_pages(uow, 3) == [[august_1, *sorted([july_14, july_14_again], reverse=True)], [july_1]]
    july = {"since": "2026-07-01T00:00:00+02:00", "until": "2026-08-01T00:00:00+02:00"}
    assert sale_pages(uow, 1, **july) == [[max(july_14, july_14_again)], [min(july_14, july_14_again)], [july_1]]
    since_july_14 = sale_pages(uow, 50, since="2026-07-14T00:00:00+02:00")
    assert since_july_14 == [[august_1, *sorted([july_14, july_14_again], reverse=True)]]
    assert sale_pages(uow, 50, until="2026-07-02T00:00:00Z") == [[july_1]]
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(schemas.SaleQuery(), {"since": "2026-08-01T00:00:00Z", "until": "2026-07-01T00:00:00Z"})
    assert list(refused.value.errors) == ["until"]
    with pytest.raises(ValidationFailed) as refused:  # an instant, with its offset: whose midnight is a date?
        load_or_reject(schemas.SaleQuery(), {"since": "2026-07-14"})
    assert list(refused.value.errors) == ["since"]
    with uow(tenant_id=uuid.uuid4()) as work:
        assert usecases.list_sales(work, load_or_reject(schemas.SaleQuery(), {})).items == []


def test_the_catalogue_lists_the_company_s_articles_by_name(
    uow: Any, till: Till, open_till: Callable[..., Till]
) -> None:
    open_till(uuid.uuid4())  # another company, with the same articles under other ids
    with uow() as work:
        first = usecases.list_catalogue(work, PageQuery().load({"limit": 1}))
        second = usecases.list_catalogue(work, PageQuery().load({"limit": 1, "cursor": first.next}))
    assert [(entry.name, entry.article_id, entry.sale_price, entry.vat_rate) for entry in first.items] == [
        ("Chlore lent galets 5 kg", till.chlore, Decimal("39.90"), Decimal("20.00")),
    ]
    assert [(entry.name, entry.article_id) for entry in second.items] == [("Pompe de filtration 0,75 CV", till.pompe)]
    assert second.next is None


# --- keeping inventory's catalogue and shops -------------------------------------------------


def test_keep_article_creates_the_till_copy_then_brings_it_up_to_date(uow: Any, inventory: FromInventory) -> None:
    created = inventory.article(**inventory.POMPE)
    with uow() as work:
        row = inventory.apply(work, created)
    assert (row.article_id, row.sku, row.sale_price, row.vat_rate) == (
        uuid.UUID(created.data["article_id"]),
        "PMP-075",
        Decimal("529.00"),
        Decimal("20.00"),
    )
    assert work.emitted == []
    renamed = inventory.article(
        row.article_id, **{**inventory.POMPE, "name": "Pompe 0,75 CV mono", "sale_price": "549.00"}
    )
    with uow() as work:
        inventory.apply(work, renamed)
    with uow() as work:
        catalogue = usecases.list_catalogue(work, PageQuery().load({})).items
    assert [(entry.article_id, entry.name, entry.sale_price) for entry in catalogue] == [
        (row.article_id, "Pompe 0,75 CV mono", Decimal("549.00"))
    ]


def test_articles_imported_together_are_kept_as_one_by_one_and_a_repeat_brings_them_up_to_date(
    uow: Any, inventory: FromInventory, open_till: Callable[..., Till]
) -> None:
    other = open_till(uuid.uuid4())  # another company's copies stay as they are
    known, new = inventory.article(), inventory.article(**inventory.POMPE)
    with uow() as work:
        inventory.apply(work, known)  # kept from an article_created already: brought up to date
    imported = Event(
        "articles_imported",
        inventory.tenant_id,
        "inventory",
        {"articles": [{**known.data, "name": "Chlore galets 5 kg", "sale_price": "41.90"}, new.data]},
    )
    with uow() as work:
        usecases.keep_articles(work, imported.seen_through(events.ArticlesImportedView()).data)
    assert work.emitted == []
    with uow() as work:
        catalogue = usecases.list_catalogue(work, PageQuery().load({})).items
    assert sorted((str(entry.article_id), entry.name, entry.sale_price) for entry in catalogue) == sorted(
        [
            (known.data["article_id"], "Chlore galets 5 kg", Decimal("41.90")),
            (new.data["article_id"], "Pompe de filtration 0,75 CV", Decimal("529.00")),
        ]
    )
    with uow(tenant_id=other.tenant_id) as work:
        names = {entry.name for entry in usecases.list_catalogue(work, PageQuery().load({})).items}
    assert names == {"Chlore lent galets 5 kg", "Pompe de filtration 0,75 CV"}


@pytest.mark.parametrize(
    ("place", "kept"),
    [
        ({"code": "MAG", "name": "Magasin de Nîmes", "kind": "shop"}, True),
        ({"code": "CAM-1", "name": "Camion de Julien", "kind": "van"}, False),
        ({"code": "DEP", "name": "Dépôt de Milhaud", "kind": "warehouse"}, False),
    ],
)
def test_keep_shop_keeps_shops_only(uow: Any, inventory: FromInventory, place: dict[str, str], kept: bool) -> None:
    created = inventory.location(**place)
    with uow() as work:
        shop = inventory.apply(work, created)
    assert (shop is not None, work.emitted) == (kept, [])
    with uow() as work:
        shops = [(shop.location_id, shop.code, shop.name) for shop in work.session.scalars(select(Shop))]
    assert shops == ([(uuid.UUID(created.data["location_id"]), place["code"], place["name"])] if kept else [])
