"""Stock at every location through its use cases: transfers, counts (inventaire) with their
variance report, refunds, a technician's parts out of the van, worksite reservations, and
the ledger as the truth (on hand = the sum of the movements, after any sequence of them)."""

from __future__ import annotations

import uuid
from typing import Any

import eventlet
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bassin_common.errors import ValidationFailed
from bassin_common.pagination import PageQuery
from inventory import events, schemas, usecases
from inventory.models import StockLevel, StockMovement

PLACES = [("MAG", "shop"), ("DEP", "warehouse"), ("CAM-1", "van")]


def load(schema: type, payload: dict[str, Any]) -> dict[str, Any]:
    return schema().load(payload)


def stocked_places(uow: Any, quantity: int = 20) -> dict[str, Any]:
    """A shop, a warehouse and a van, and chlore choc stocked at each (``quantity``; shop
    minimum 10, maximum 60)."""
    with uow() as work:
        places = {
            code: usecases.create_location(
                work, load(schemas.LocationInput, {"code": code, "name": code, "kind": kind})
            ).id
            for code, kind in PLACES
        }
        supplier = usecases.create_supplier(work, load(schemas.SupplierInput, {"name": "HydroSud"})).id
        stock = [
            {
                "location_id": str(place),
                "quantity": quantity,
                **({"minimum": 10, "maximum": 60} if code == "MAG" else {}),
            }
            for code, place in places.items()
        ]
        article = usecases.create_article(
            work,
            load(
                schemas.ArticleInput,
                {
                    "sku": "CHL-CHOC-1KG",
                    "name": "Chlore choc 1 kg",
                    "sale_price": "16.90",
                    "purchase_price": "9.50",
                    "supplier_id": str(supplier),
                    "stock": stock,
                },
            ),
        ).id
    return {**places, "article": article, "supplier": supplier, "tenant": work.tenant_id}


@pytest.fixture
def places(uow: Any) -> dict[str, Any]:
    return stocked_places(uow)


def on_hand(uow: Any, article: uuid.UUID) -> dict[uuid.UUID, tuple[int, int]]:
    """{location: (quantity, reserved)}."""
    with uow() as work:
        return {s.location_id: (s.quantity, s.reserved) for s in work.session.scalars(select(StockLevel))}


def ledger_sums(uow: Any) -> dict[uuid.UUID, int]:
    with uow() as work:
        rows = work.session.execute(
            select(StockMovement.location_id, func.sum(StockMovement.delta)).group_by(StockMovement.location_id)
        )
        return {location: int(total) for location, total in rows}


def transfer(uow: Any, article: uuid.UUID, source: uuid.UUID, target: uuid.UUID, quantity: int) -> dict[str, Any]:
    payload = {"article_id": str(article), "from_location_id": str(source), "to_location_id": str(target)}
    with uow() as work:
        return usecases.transfer_stock(work, load(schemas.TransferInput, {**payload, "quantity": quantity}))


def count(uow: Any, location: uuid.UUID, *lines: tuple[uuid.UUID, int]) -> Any:
    payload = {"location_id": str(location), "lines": [{"article_id": str(a), "counted": n} for a, n in lines]}
    with uow() as work:
        return usecases.record_count(work, load(schemas.CountInput, payload)), work.emitted


def lines_of(article: uuid.UUID, quantity: int) -> list[dict[str, Any]]:
    return [{"article_id": str(article), "quantity": quantity}]


def announced(emitted: list[Any]) -> list[tuple[str, str | None, list[tuple[str, str, int, int]]]]:
    """Each ``stock_levels_changed`` emitted: (reason, reference, its levels as (article,
    location, previous quantity, quantity))."""
    return [
        (
            e.data["reason"],
            e.data["reference"],
            [(lv["article_id"], lv["location_id"], lv["previous_quantity"], lv["quantity"]) for lv in e.data["levels"]],
        )
        for e in emitted
        if e.event_type == "stock_levels_changed"
    ]


def test_a_transfer_moves_goods_between_two_locations_in_two_movements(uow: Any, places: dict[str, Any]) -> None:
    article, shop, van = places["article"], places["MAG"], places["CAM-1"]
    with uow() as work:
        payload = {"article_id": article, "from_location_id": shop, "to_location_id": van, "quantity": 6}
        moved = usecases.transfer_stock(work, payload)
    # One event for the transfer: the source's level, then the target's.
    assert announced(work.emitted) == [
        ("transfer", str(moved["id"]), [(str(article), str(shop), 20, 14), (str(article), str(van), 20, 26)])
    ]
    assert (moved["from_quantity"], moved["to_quantity"]) == (14, 26)
    assert on_hand(uow, article)[shop] == (14, 0) and on_hand(uow, article)[van] == (26, 0)
    with uow() as work:
        movements = usecases.movements(work, article, PageQuery().load({"limit": 2})).items
    assert [(m.location_id, m.delta, m.reason, m.reference) for m in movements] == [
        (van, 6, "transfer_in", str(moved["id"])),
        (shop, -6, "transfer_out", str(moved["id"])),
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"quantity": 21}, "quantity", "only 20 on hand at the source"),
        ({"to_location_id": "MAG"}, "to_location_id", "the same location as from_location_id"),
        ({"to_location_id": None}, "to_location_id", "unknown location"),
        ({"article_id": None}, "article_id", "unknown article"),
    ],
)
def test_a_refused_transfer_names_its_field_and_moves_nothing(
    uow: Any, places: dict[str, Any], change: dict[str, Any], field: str, message: str
) -> None:
    payload = {"article_id": places["article"], "from_location_id": places["MAG"], "to_location_id": places["CAM-1"]}
    payload |= {"quantity": 6, **{k: places.get(v, uuid.uuid4()) if k != "quantity" else v for k, v in change.items()}}
    before = on_hand(uow, places["article"])
    with uow() as work, pytest.raises(ValidationFailed) as refused:
        usecases.transfer_stock(work, payload)
    assert refused.value.errors == {field: [message]}
    assert on_hand(uow, places["article"]) == before


def test_a_count_adjusts_by_the_variance_and_keeps_its_report(uow: Any, places: dict[str, Any]) -> None:
    article, shop = places["article"], places["MAG"]
    recorded, emitted = count(uow, shop, (article, 7))
    assert recorded.lines == [{"article_id": str(article), "expected": 20, "counted": 7, "variance": -13}]
    assert announced(emitted) == [("count", str(recorded.id), [(str(article), str(shop), 20, 7)])]
    assert on_hand(uow, article)[shop] == (7, 0)
    # Under the minimum (10) by the count: the basket gets maximum - on hand.
    assert [e.data["suggested_quantity"] for e in emitted if e.event_type == "reorder_needed"] == [53]
    again, emitted = count(uow, shop, (article, 7))
    assert again.lines[0]["variance"] == 0 and emitted == []
    with uow() as work:
        assert usecases.get_count(work, recorded.id).lines == recorded.lines


def test_a_refund_puts_goods_back_on_the_refunding_shop_s_shelf(uow: Any, places: dict[str, Any]) -> None:
    article, shop = places["article"], places["MAG"]
    refund = events.SaleRefundedView().load(
        {"refund_id": str(uuid.uuid4()), "sale_id": str(uuid.uuid4()), "location_id": str(shop),
         "customer_id": None, "lines": [{"article_id": str(article), "quantity": 2, "total": "33.80"}],
         "total": "33.80", "refunded_at": "2026-07-14T10:32:05+02:00"}
    )  # fmt: skip
    with uow() as work:
        usecases.apply_refund(work, refund)
    assert on_hand(uow, article)[shop] == (22, 0)
    assert announced(work.emitted) == [("refund", str(refund["refund_id"]), [(str(article), str(shop), 20, 22)])]


def test_a_technician_s_parts_leave_the_van_not_the_shop(uow: Any, places: dict[str, Any]) -> None:
    article, shop, van = places["article"], places["MAG"], places["CAM-1"]
    used = events.PartsUsedView().load(
        {"intervention_id": str(uuid.uuid4()), "location_id": str(van), "lines": lines_of(article, 3)}
    )
    with uow() as work:
        usecases.apply_parts_used(work, used)
    assert on_hand(uow, article)[van] == (17, 0)
    assert on_hand(uow, article)[shop] == (20, 0)
    assert announced(work.emitted) == [
        ("intervention", str(used["intervention_id"]), [(str(article), str(van), 20, 17)])
    ]


def test_a_worksite_reserves_then_consumes_its_materials(uow: Any, places: dict[str, Any]) -> None:
    article, depot = places["article"], places["DEP"]
    materials = {"project_id": str(uuid.uuid4()), "task_id": str(uuid.uuid4()), "location_id": str(depot)}
    with uow() as work:
        usecases.apply_materials_reserved(
            work, events.MaterialsView().load({**materials, "lines": lines_of(article, 8)})
        )
        level = usecases.get_stock_level(work, article, depot)
    assert (level["quantity"], level["reserved"], level["available"]) == (20, 8, 12)
    with uow() as work:
        usecases.apply_materials_consumed(
            work, events.MaterialsView().load({**materials, "lines": lines_of(article, 5)})
        )
        level = usecases.get_stock_level(work, article, depot)
    assert (level["quantity"], level["reserved"], level["available"]) == (15, 3, 12)
    task = f"{materials['project_id']}/{materials['task_id']}"
    assert announced(work.emitted) == [("worksite", task, [(str(article), str(depot), 20, 15)])]


def test_a_confirmed_products_order_is_reserved_at_the_shop(uow: Any, places: dict[str, Any]) -> None:
    article, shop = places["article"], places["MAG"]
    order = {"order_id": str(uuid.uuid4()), "quote_id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4())}
    lines = [
        {"article_id": str(article), "description": "Chlore choc", "quantity": "3", "unit_price_excl_vat": "14.08"},
        {"article_id": None, "description": "Déplacement", "quantity": "1", "unit_price_excl_vat": "45.00"},
    ]
    with uow() as work:
        usecases.apply_order_confirmed(
            work, events.OrderConfirmedView().load({**order, "kind": "products", "lines": lines})
        )
        usecases.apply_order_confirmed(
            work, events.OrderConfirmedView().load({**order, "kind": "construction", "lines": lines})
        )
        level = usecases.get_stock_level(work, article, shop)
    assert (level["quantity"], level["reserved"], level["available"]) == (20, 3, 17)


def test_a_service_sold_at_the_till_moves_no_stock(uow: Any, places: dict[str, Any]) -> None:
    with uow() as work:
        service = usecases.create_article(
            work,
            load(
                schemas.ArticleInput,
                {"sku": "ANALYSE", "name": "Analyse d'eau", "sale_price": "0.00", "kind": "service"},
            ),
        ).id
        sale = events.SaleCompletedView().load(
            {"sale_id": str(uuid.uuid4()), "location_id": str(places["MAG"]), "lines": lines_of(service, 1)}
        )
        assert usecases.apply_sale(work, sale) == []
    assert ledger_sums(uow).keys() == {places["MAG"], places["DEP"], places["CAM-1"]}


# --- the ledger is the truth -----------------------------------------------------------------

MOVES = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), st.sampled_from(["MAG", "CAM-1"]), st.integers(1, 30)),
        st.tuples(st.just("refund"), st.sampled_from(["MAG"]), st.integers(1, 5)),
        st.tuples(st.just("parts"), st.sampled_from(["CAM-1"]), st.integers(1, 4)),
        st.tuples(st.just("transfer"), st.sampled_from(["MAG", "DEP", "CAM-1"]), st.integers(1, 25)),
        st.tuples(st.just("count"), st.sampled_from(["MAG", "DEP", "CAM-1"]), st.integers(0, 40)),
        st.tuples(st.just("consume"), st.sampled_from(["DEP"]), st.integers(1, 10)),
    ),
    min_size=1,
    max_size=12,
)


def apply_move(work: Any, places: dict[str, Any], kind: str, code: str, quantity: int) -> None:
    """One movement of the property test, as its use case receives it."""
    article, place = places["article"], places[code]
    lines = [{"article_id": article, "quantity": quantity}]
    if kind == "transfer":
        target = places["CAM-1" if code != "CAM-1" else "MAG"]
        payload = {"article_id": article, "from_location_id": place, "to_location_id": target, "quantity": quantity}
        usecases.transfer_stock(work, payload)
    elif kind == "count":
        usecases.record_count(
            work, {"location_id": place, "note": None, "lines": [{"article_id": article, "counted": quantity}]}
        )
    else:
        use_case, key = {
            "sale": (usecases.apply_sale, "sale_id"),
            "refund": (usecases.apply_refund, "sale_id"),
            "parts": (usecases.apply_parts_used, "intervention_id"),
            "consume": (usecases.apply_materials_consumed, "project_id"),
        }[kind]
        use_case(work, {key: uuid.uuid4(), "task_id": uuid.uuid4(), "location_id": place, "lines": lines})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
def test_on_hand_equals_the_ledger_sum_after_any_sequence_of_movements(uow: Any, moves: list[tuple]) -> None:
    tenant = uuid.uuid4()  # a fresh company per example
    places = stocked_places(lambda **kw: uow(tenant_id=tenant, **kw))

    def unit() -> Any:
        return uow(tenant_id=tenant)

    for kind, code, quantity in moves:
        try:
            with unit() as work:
                apply_move(work, places, kind, code, quantity)
        except ValidationFailed:
            pass  # a transfer of more than is on hand: refused, nothing moved
    with unit() as work:
        levels = {s.location_id: s.quantity for s in work.session.scalars(select(StockLevel))}
        sums = dict(
            work.session.execute(
                select(StockMovement.location_id, func.sum(StockMovement.delta)).group_by(StockMovement.location_id)
            ).all()
        )
        afters = work.session.execute(
            select(StockMovement.location_id, StockMovement.quantity_after).order_by(StockMovement.id)
        ).all()
    assert levels == {location: int(total) for location, total in sums.items()}
    last_after = {location: after for location, after in afters}  # each level's last movement says it too
    assert last_after == levels


def test_concurrent_consumption_at_two_locations_and_a_transfer_between_them_lose_nothing(uow: Any) -> None:
    """Sales at the shop, parts out of the van and transfers shop -> van and van -> shop, all at
    once on their own connections: every unit counts, the ledger adds up, nothing deadlocks."""
    places = stocked_places(uow, quantity=1000)
    article, shop, van = places["article"], places["MAG"], places["CAM-1"]

    def sale() -> None:
        with uow() as work:
            usecases.apply_sale(work, {"sale_id": uuid.uuid4(), "location_id": shop,
                                       "lines": [{"article_id": article, "quantity": 2}]})  # fmt: skip

    def parts() -> None:
        with uow() as work:
            usecases.apply_parts_used(work, {"intervention_id": uuid.uuid4(), "location_id": van,
                                             "lines": [{"article_id": article, "quantity": 1}]})  # fmt: skip

    def move(source: uuid.UUID, target: uuid.UUID) -> None:
        with uow() as work:
            usecases.transfer_stock(work, {"article_id": article, "from_location_id": source,
                                           "to_location_id": target, "quantity": 3})  # fmt: skip

    pool = eventlet.GreenPool(12)
    jobs = [sale] * 40 + [parts] * 40 + [lambda: move(shop, van)] * 20 + [lambda: move(van, shop)] * 20
    for job in jobs:
        pool.spawn(job)
    pool.waitall()
    levels = on_hand(uow, article)
    assert levels[shop][0] == 1000 - 40 * 2 - 20 * 3 + 20 * 3
    assert levels[van][0] == 1000 - 40 * 1 + 20 * 3 - 20 * 3
    assert ledger_sums(uow) == {location: quantity for location, (quantity, _) in levels.items()}
