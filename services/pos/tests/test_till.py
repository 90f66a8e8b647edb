"""The complete till through units of work on the test database: customers attached (from
the customers service's events), the customer's account and discounts beyond the limit
(rights), change, VAT per rate stored, the catalogue following ``article_price_changed``,
search, cart pricing, and each sale a numbered, chained ticket of its shop's journal."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bassin_common.errors import Forbidden, ValidationFailed
from bassin_common.events import Event
from bassin_common.pagination import PageQuery
from pos import events, invoices, schemas, usecases
from pos.journal import GENESIS
from pos.models import Sale, SaleVat, Shop

Till = Any


def customer_event(tenant_id: uuid.UUID, customer_id: uuid.UUID | None = None, **changes: Any) -> dict[str, Any]:
    """``customer_created`` as the customers service publishes it, through pos's view."""
    data = {
        "customer_id": str(customer_id or uuid.uuid4()),
        "kind": "private",
        "display_name": "Mme Hélène Durand",
        "email": "helene.durand@example.fr",
        "phone": "+33 6 12 34 56 78",
        "billing_address": {"line1": "12 chemin des Oliviers", "line2": None, "postcode": "30000", "city": "Nîmes"},
        "consent": {"email": True, "sms": False},
        **changes,
    }
    return Event("customer_created", tenant_id, "customers", data).seen_through(events.CustomerView()).data


def sale(till: Till, lines: list[dict], payments: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    payload = {"lines": lines, "payments": [{"method": m, "amount": a} for m, a in payments], **extra}
    return schemas.SaleInput().load(payload)


def chlore(till: Till, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"article_id": str(till.chlore), "quantity": quantity, **extra}


@pytest.fixture
def helene(uow: Any, till: Till) -> uuid.UUID:
    data = customer_event(till.tenant_id)
    with uow() as work:
        usecases.keep_customer(work, data)
    return data["customer_id"]


def test_a_sale_is_attached_to_a_known_customer_only(uow: Any, till: Till, helene: uuid.UUID) -> None:
    with uow(roles=("cashier",)) as work:
        recorded = usecases.record_sale(work, sale(till, [chlore(till)], [("card", "39.90")], customer_id=str(helene)))
    assert recorded.customer_id == helene
    assert work.emitted[0].data["customer_id"] == str(helene)
    with pytest.raises(ValidationFailed) as refused, uow(roles=("cashier",)) as work:
        usecases.record_sale(work, sale(till, [chlore(till)], [("card", "39.90")], customer_id=str(uuid.uuid4())))
    assert refused.value.errors == {"customer_id": ["unknown customer"]}


def test_a_customer_update_changes_the_till_copy(uow: Any, till: Till, helene: uuid.UUID) -> None:
    with uow() as work:
        kept = usecases.keep_customer(work, customer_event(till.tenant_id, helene, display_name="Mme Hélène Martin"))
        assert kept.display_name == "Mme Hélène Martin"


def test_the_customer_account_needs_the_right_as_the_company_grants_it(uow: Any, till: Till, helene: uuid.UUID) -> None:
    on_account = sale(till, [chlore(till, 2)], [("cash", "20.00"), ("account", "59.80")], customer_id=str(helene))
    with pytest.raises(Forbidden), uow(roles=("cashier",)) as work:  # not by default
        usecases.record_sale(work, on_account)
    with uow(roles=("cashier",)) as work:  # the company lets its cashiers
        recorded = usecases.record_sale(work, on_account, ["sell_on_account"])
    assert [(p.method, p.amount) for p in recorded.payments] == [
        ("cash", Decimal("20.00")),
        ("account", Decimal("59.80")),
    ]
    with pytest.raises(Forbidden), uow(roles=("office",)) as work:  # the office may by default, not if taken away
        usecases.record_sale(work, on_account, [])
    with uow(roles=("office",)) as work:
        usecases.record_sale(work, on_account)


def test_discounts_beyond_the_limit_need_the_right(uow: Any, till: Till) -> None:
    generous = sale(till, [chlore(till, 1, discount_percent="15.00")], [("cash", "33.91")])
    with pytest.raises(Forbidden), uow(roles=("cashier",)) as work:
        usecases.record_sale(work, generous)
    with uow(roles=("cashier",)) as work:
        assert usecases.record_sale(work, generous, ["refund_sales"]).total == Decimal("33.91")
    with uow(roles=("manager",)) as work:
        assert usecases.record_sale(work, generous).discount_total == Decimal("5.99")
    with uow() as work:  # the company lets its cashiers give up to 15 %
        settings = invoices.billing_settings(work)
        settings.discount_limit = Decimal("15.00")
    with uow(roles=("cashier",)) as work:
        assert usecases.record_sale(work, generous).total == Decimal("33.91")


def test_cash_change_and_vat_per_rate_are_stored(uow: Any, till: Till) -> None:
    data = sale(till, [chlore(till, 1), {"article_id": str(till.pompe), "quantity": 1}], [("cash", "600.00")])
    with uow(roles=("cashier",)) as work:
        recorded = usecases.record_sale(work, data)
    assert (recorded.total, recorded.change_given) == (Decimal("568.90"), Decimal("31.10"))
    with uow() as work:
        stored = work.session.scalar(select(Sale).where(Sale.id == recorded.id))
        assert stored.change_given == Decimal("31.10")
        assert [(v.rate, v.total, v.vat) for v in work.session.scalars(select(SaleVat))] == [
            (Decimal("20.00"), Decimal("568.90"), Decimal("94.82"))
        ]
        dumped = schemas.SaleOutput().dump(usecases.get_sale(work, recorded.id))
    assert dumped == schemas.SaleOutput().dump(recorded)  # what the till got is what is read back


def test_each_sale_is_the_next_ticket_of_its_shop_chained_to_the_one_before(uow: Any, till: Till) -> None:
    recorded = []
    for _ in range(3):
        with uow(roles=("cashier",)) as work:
            recorded.append(usecases.record_sale(work, sale(till, [chlore(till)], [("card", "39.90")])))
    assert [r.number for r in recorded] == [1, 2, 3]
    assert len({r.cash_session_id for r in recorded}) == 1  # the session opened by the first sale
    with uow() as work:
        rows = list(work.session.scalars(select(Sale).order_by(Sale.number)))
        shop = work.session.scalar(select(Shop).where(Shop.location_id == till.shop))
    assert [row.previous_hash for row in rows] == [GENESIS, rows[0].hash, rows[1].hash]
    assert (shop.last_ticket_number, shop.last_ticket_hash) == (3, rows[2].hash)


def test_the_catalogue_follows_article_price_changed_and_is_searchable(uow: Any, till: Till) -> None:
    changed = {
        "article_id": str(till.chlore),
        "sku": "CHL-GAL-5KG",
        "name": "Chlore lent galets 5 kg (été)",
        "sale_price": "41.90",
        "vat_rate": "20.00",
        "purchase_price": "25.10",
        "changed_at": "2026-07-01T08:00:00+02:00",
    }
    data = Event("article_price_changed", till.tenant_id, "inventory", changed)
    with uow() as work:
        usecases.keep_article(work, data.seen_through(events.ArticlePriceChangedView()).data)
    with uow() as work:
        found = usecases.list_catalogue(work, schemas.CatalogueQuery().load({"q": "été"}))
        scanned = usecases.list_catalogue(work, schemas.CatalogueQuery().load({"q": "chl-gal-5kg"}))
        none = usecases.list_catalogue(work, schemas.CatalogueQuery().load({"q": "%"}))
    assert [(a.name, a.sale_price, a.purchase_price) for a in found.items] == [
        ("Chlore lent galets 5 kg (été)", Decimal("41.90"), Decimal("25.10"))
    ]
    assert [a.article_id for a in scanned.items] == [till.chlore]
    assert none.items == []


def test_a_cart_is_priced_without_being_recorded(uow: Any, till: Till) -> None:
    cart = schemas.CartInput().load(
        {"lines": [chlore(till, 2)], "discount_amount": "4.80", "payments": [{"method": "cash", "amount": "50.00"}]}
    )
    with uow(roles=("cashier",)) as work:
        priced = schemas.CartOutput().dump(usecases.price_cart(work, cart))
    assert {k: priced[k] for k in ("subtotal", "total", "vat_total", "tendered", "due", "change", "paid_in_full")} == {
        "subtotal": "79.80",
        "total": "75.00",
        "vat_total": "12.50",
        "tendered": "50.00",
        "due": "25.00",
        "change": "0.00",
        "paid_in_full": False,
    }
    with uow() as work:
        assert work.session.scalars(select(Sale)).all() == []


def test_the_product_tree_lists_categories_and_their_articles(uow: Any, till: Till) -> None:
    with uow() as work:
        for article_id, name in ((till.chlore, "Chlore lent galets 5 kg"), (uuid.uuid4(), "pH moins 6 kg")):
            usecases.keep_article(
                work,
                {
                    "article_id": article_id,
                    "sku": name[:6],
                    "name": name,
                    "sale_price": Decimal("19.90"),
                    "vat_rate": Decimal("20.00"),
                    "category": "Traitement de l'eau",
                },
            )
    with uow() as work:
        tree = usecases.list_categories(work, PageQuery().load({}))
        assert (tree.items, tree.next) == ([{"category": "Traitement de l'eau", "articles": 2}], None)
        query = schemas.CatalogueQuery().load({"category": "Traitement de l'eau"})
        assert [a.name for a in usecases.list_catalogue(work, query).items] == [
            "Chlore lent galets 5 kg",
            "pH moins 6 kg",
        ]
