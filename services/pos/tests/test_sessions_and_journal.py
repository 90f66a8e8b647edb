"""Cash sessions, refunds and the tamper-evident journal, through units of work on the
test database: a session opened with a float, closed with counted amounts and a variance,
its Z report equal to the sum of its tickets; refunds as new tickets (never edits),
bounded by what is left to refund, announced as ``sale_refunded``; the verification
naming a ticket edited or deleted behind the till's back."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import eventlet
import pytest
from sqlalchemy import create_engine, select, text

from bassin_common.errors import Conflict, ValidationFailed
from bassin_common.testing import someone_waits_on_a_lock, wait_until
from pos import schemas, usecases, verify
from pos.models import Shop

Till = Any


def sell(
    uow: Any, till: Till, lines: list[tuple[uuid.UUID, int]], payments: list[tuple[str, str]], user: str = "julie"
):
    payload = {
        "lines": [{"article_id": str(article), "quantity": quantity} for article, quantity in lines],
        "payments": [{"method": method, "amount": amount} for method, amount in payments],
    }
    with uow(roles=("cashier",), user_id=user) as work:
        return usecases.record_sale(work, schemas.SaleInput().load(payload))


def refund(uow: Any, sale_id: uuid.UUID, lines: list[tuple[int, int]], payments: list[tuple[str, str]]):
    payload = {
        "lines": [{"position": position, "quantity": quantity} for position, quantity in lines],
        "payments": [{"method": method, "amount": amount} for method, amount in payments],
        "reason": "Produit non ouvert, échangé",
    }
    with uow(roles=("manager",), user_id="gerant") as work:
        done = usecases.refund_sale(work, sale_id, schemas.RefundInput().load(payload))
    return done, work.emitted


def open_session(uow: Any, opening_float: str) -> dict[str, Any]:
    with uow(roles=("cashier",), user_id="julie") as work:
        return usecases.open_cash_session(work, schemas.CashSessionInput().load({"opening_float": opening_float}))


def close(uow: Any, session_id: uuid.UUID, counted: dict[str, str]) -> dict[str, Any]:
    body = {"counted": [{"method": m, "amount": a} for m, a in counted.items()]}
    with uow(roles=("cashier",), user_id="julie") as work:
        closed = usecases.close_cash_session(work, session_id, schemas.CashSessionClosing().load(body))
    return schemas.CashSessionOutput().dump(closed)


def test_a_day_at_the_till_closes_with_its_z_report_and_variance(uow: Any, till: Till) -> None:
    opened = open_session(uow, "150.00")
    assert (opened["number"], opened["status"], opened["opening_float"]) == (1, "open", Decimal("150.00"))
    with pytest.raises(Conflict):
        open_session(uow, "100.00")
    first = sell(uow, till, [(till.chlore, 2)], [("cash", "100.00")])  # 79.80, 20.20 change
    second = sell(uow, till, [(till.pompe, 1), (till.chlore, 1)], [("card", "500.00"), ("cheque", "68.90")], "marc")
    third = sell(uow, till, [(till.chlore, 1)], [("cash", "39.90")])
    returned, _ = refund(uow, second.id, [(2, 1)], [("cash", "39.90")])
    assert all(sale.cash_session_id == opened["id"] for sale in (first, second, third))
    assert returned.cash_session_id == opened["id"]

    closed = close(uow, opened["id"], {"cash": "228.60", "card": "500.00", "cheque": "68.90"})
    z = closed["z_report"]
    assert (z["sales_count"], z["refunds_count"], z["sales_total"], z["refunds_total"], z["net_total"]) == (
        3,
        1,
        "688.60",
        "39.90",
        "648.70",
    )
    assert z["by_method"] == [
        {"method": "card", "amount": "500.00"},
        {"method": "cash", "amount": "79.80"},  # 79.80 + 39.90 - 39.90 refunded
        {"method": "cheque", "amount": "68.90"},
    ]
    assert z["by_vat_rate"] == [{"rate": "20.00", "base": "540.58", "vat": "108.12", "total": "648.70"}]
    assert z["by_cashier"] == [
        {"cashier_id": "gerant", "total": "-39.90"},
        {"cashier_id": "julie", "total": "119.70"},
        {"cashier_id": "marc", "total": "568.90"},
    ]
    assert z["by_category"] == [{"category": "—", "total": "648.70"}]
    assert closed["expected"] == [
        {"method": "card", "amount": "500.00"},
        {"method": "cash", "amount": "229.80"},  # the float and the cash taken
        {"method": "cheque", "amount": "68.90"},
    ]
    assert closed["variances"] == [
        {"method": "card", "amount": "0.00"},
        {"method": "cash", "amount": "-1.20"},
        {"method": "cheque", "amount": "0.00"},
    ]
    assert (closed["status"], closed["variance_total"]) == ("closed", "-1.20")
    with pytest.raises(Conflict):
        close(uow, opened["id"], {"cash": "0.00"})
    # The next sale opens the next session (no float declared).
    assert sell(uow, till, [(till.chlore, 1)], [("card", "39.90")]).cash_session_id != opened["id"]
    with uow() as work:
        again = schemas.CashSessionOutput().dump(usecases.get_cash_session(work, opened["id"]))
    assert again == closed  # a closed session's report does not move


def test_a_z_report_equals_the_sum_of_its_tickets(uow: Any, till: Till) -> None:
    sales = [
        sell(uow, till, [(till.chlore, n), (till.pompe, 1)], [("cash", "600.00"), ("card", f"{39.90 * n:.2f}")])
        for n in (1, 2, 3)
    ]
    refund(uow, sales[0].id, [(1, 1)], [("card", "39.90")])
    with uow() as work:
        z = usecases.get_cash_session(work, sales[0].cash_session_id)["z_report"]
    assert z["sales_total"] == sum(sale.total for sale in sales)
    assert z["vat_total"] == sum(sale.vat_total for sale in sales) - Decimal("6.65")
    assert sum(m["amount"] for m in z["by_method"]) == z["net_total"] == z["sales_total"] - Decimal("39.90")


def test_a_refund_is_bounded_by_what_is_left_and_announced(uow: Any, till: Till) -> None:
    sale = sell(uow, till, [(till.chlore, 3)], [("card", "119.70")])
    done, emitted = refund(uow, sale.id, [(1, 2)], [("card", "79.80")])
    assert (done.number, done.total, done.vat_total) == (2, Decimal("79.80"), Decimal("13.30"))
    [event] = emitted
    assert event.event_type == "sale_refunded"
    assert event.data == {
        "refund_id": str(done.id),
        "number": 2,
        "sale_id": str(sale.id),
        "location_id": str(till.shop),
        "customer_id": None,
        "lines": [{"article_id": str(till.chlore), "quantity": 2, "total": "79.80"}],
        "total": "79.80",
        "refunded_at": done.refunded_at.isoformat(),
    }
    with pytest.raises(ValidationFailed) as refused:
        refund(uow, sale.id, [(1, 2)], [("card", "79.80")])
    assert refused.value.errors == {"lines[0].quantity": ["only 1 left to refund on this line"]}
    with pytest.raises(ValidationFailed) as refused:
        refund(uow, sale.id, [(1, 1)], [("card", "30.00")])
    assert list(refused.value.errors) == ["payments"]
    with pytest.raises(ValidationFailed) as refused:
        refund(uow, sale.id, [(2, 1)], [("card", "39.90")])
    assert list(refused.value.errors) == ["lines[0].position"]


def test_a_discounted_line_refunded_in_parts_gives_back_exactly_what_was_paid(uow: Any, till: Till) -> None:
    payload = {
        "lines": [{"article_id": str(till.chlore), "quantity": 3, "discount_percent": "3.33"}],
        "payments": [{"method": "card", "amount": "115.71"}],
    }
    with uow(roles=("cashier",)) as work:
        sale = usecases.record_sale(work, schemas.SaleInput().load(payload))
    parts = [refund(uow, sale.id, [(1, 1)], [("card", amount)])[0].total for amount in ("38.57", "38.57", "38.57")]
    assert sum(parts) == sale.total == Decimal("115.71")


# --- the journal's verification ---------------------------------------------------------------


def as_owner(settings: Any, *statements: str, **params: Any) -> None:
    """Statements run on pos's database as its owner: what someone editing it by hand does."""
    engine = create_engine(settings.service_database_url("pos"))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), params)
    finally:
        engine.dispose()


def verification(uow: Any) -> dict[str, Any]:
    with uow(roles=("manager",)) as work:
        return schemas.JournalVerification().dump(usecases.verify_journal(work, {"location_id": None}))


@pytest.fixture
def journal(uow: Any, till: Till) -> list[Any]:
    tickets = [sell(uow, till, [(till.chlore, n)], [("card", f"{39.90 * n:.2f}")]) for n in (1, 2, 3, 4)]
    tickets.append(refund(uow, tickets[1].id, [(1, 1)], [("cash", "39.90")])[0])
    return tickets


def test_an_untouched_journal_is_intact(uow: Any, journal: list[Any]) -> None:
    checked = verification(uow)
    assert checked["intact"] is True
    assert [(s["tickets"], s["last_number"], s["problems"]) for s in checked["shops"]] == [(5, 5, [])]


def test_concurrent_sales_number_their_tickets_without_gaps_and_chain_them(uow: Any, till: Till) -> None:
    """Sales recorded at once, each in its own transaction (they wait on the shop's row):
    tickets 1 to 12, one cash session, and the journal's chain intact."""
    pool = eventlet.GreenPool(6)
    sold = list(pool.imap(lambda n: sell(uow, till, [(till.chlore, n)], [("card", f"{39.90 * n:.2f}")]), range(1, 13)))
    assert sorted(sale.number for sale in sold) == list(range(1, 13))
    assert len({sale.cash_session_id for sale in sold}) == 1
    checked = verification(uow)
    assert checked["intact"] is True
    assert [(s["tickets"], s["last_number"], s["problems"]) for s in checked["shops"]] == [(12, 12, [])]


def test_a_sale_waiting_for_the_shop_while_its_session_closes_goes_to_the_next_session(
    uow: Any, till: Till, test_settings: Any
) -> None:
    """The shop's row names its open session, read with the ticket number once the row's lock
    is granted: a sale queued behind the closing is not recorded in the closed session."""
    opened = open_session(uow, "100.00")
    sell(uow, till, [(till.chlore, 1)], [("cash", "39.90")])
    with uow(roles=("cashier",), user_id="julie") as closing:
        usecases.close_cash_session(
            closing,
            opened["id"],
            schemas.CashSessionClosing().load({"counted": [{"method": "cash", "amount": "139.90"}]}),
        )
        waiting = eventlet.spawn(sell, uow, till, [(till.chlore, 2)], [("card", "79.80")])
        wait_until(lambda: someone_waits_on_a_lock(test_settings.service_database_url("pos")))
    queued = waiting.wait()
    assert queued.cash_session_id != opened["id"]
    with uow() as work:
        session = usecases.get_cash_session(work, queued.cash_session_id)
        assert (session["number"], session["status"]) == (2, "open")
        assert usecases.get_cash_session(work, opened["id"])["z_report"]["sales_count"] == 1


def test_a_shop_row_that_does_not_name_its_open_session_finds_it_and_names_it(
    uow: Any, till: Till, test_settings: Any
) -> None:
    """Shops from before migration 0010 name no open session: the next ticket finds it."""
    opened = open_session(uow, "50.00")
    as_owner(test_settings, "UPDATE shops SET open_cash_session_id = NULL")
    assert sell(uow, till, [(till.chlore, 1)], [("card", "39.90")]).cash_session_id == opened["id"]
    with uow() as work:
        assert work.session.scalar(select(Shop.open_cash_session_id)) == opened["id"]
    assert sell(uow, till, [(till.chlore, 1)], [("card", "39.90")]).cash_session_id == opened["id"]


@pytest.mark.parametrize(
    ("tampering", "problems"),
    [
        (
            ["UPDATE sale_lines SET quantity = 1, total = 39.90 WHERE sale_id = :second"],
            [{"number": 2, "problem": "ticket 2 was altered after it was recorded"}],
        ),
        (
            ["UPDATE sales SET total = 1.00 WHERE id = :second"],
            [{"number": 2, "problem": "ticket 2 was altered after it was recorded"}],
        ),
        (
            ["UPDATE sale_payments SET method = 'cash' WHERE sale_id = :third"],
            [{"number": 3, "problem": "ticket 3 was altered after it was recorded"}],
        ),
        (
            ["UPDATE refund_payments SET amount = 3.99 WHERE refund_id = :refund"],
            [{"number": 5, "problem": "ticket 5 was altered after it was recorded"}],
        ),
        (
            [f"DELETE FROM {table} WHERE sale_id = :third" for table in ("sale_lines", "sale_payments", "sale_vat")]
            + ["DELETE FROM sales WHERE id = :third"],
            [{"number": 3, "problem": "ticket 3 missing (deleted?)"}],
        ),
        (
            [
                f"DELETE FROM {table} WHERE refund_id = :refund"
                for table in ("refund_lines", "refund_payments", "refund_vat")
            ]
            + ["DELETE FROM refunds WHERE id = :refund"],
            [{"number": 5, "problem": "ticket 5 missing (deleted?)"}],
        ),
        (
            # Re-hashing an edited ticket breaks the next ticket's link instead.
            ["UPDATE sales SET hash = repeat('a', 64) WHERE id = :second"],
            [
                {"number": 2, "problem": "ticket 2 was altered after it was recorded"},
                {"number": 3, "problem": "not chained to ticket 2 (it was altered or replaced)"},
            ],
        ),
    ],
    ids=["quantity", "total", "method", "refund", "deleted", "last deleted", "re-hashed"],
)
def test_an_edited_or_deleted_ticket_is_named(
    uow: Any, journal: list[Any], test_settings: Any, tampering: list[str], problems: list[dict]
) -> None:
    ids = {"second": journal[1].id, "third": journal[2].id, "refund": journal[4].id}
    as_owner(test_settings, *tampering, **ids)
    checked = verification(uow)
    assert checked["intact"] is False
    assert checked["shops"][0]["problems"] == problems


def test_the_verification_command_names_a_broken_journal(
    uow: Any, journal: list[Any], till: Till, test_settings: Any, capsys: Any
) -> None:
    database = test_settings.service_database_url("pos")
    assert verify.main_with(database, [till.tenant_id]) == 0
    assert "5 tickets, last 5: intact" in capsys.readouterr().out
    as_owner(test_settings, "UPDATE sales SET total = 1.00 WHERE id = :second", second=journal[1].id)
    assert verify.main_with(database, [till.tenant_id]) == 1
    assert "ticket 2: ticket 2 was altered after it was recorded" in capsys.readouterr().out


def test_a_refund_as_a_voucher_is_spent_at_the_till_once(uow: Any, till: Till) -> None:
    sale = sell(uow, till, [(till.chlore, 2)], [("card", "79.80")])
    done, _ = refund(uow, sale.id, [(1, 2)], [("voucher", "79.80")])
    [code] = [p.reference for p in done.payments]
    assert code.startswith("BA-")

    def pay_with(reference: str | None, amount: str = "39.90") -> Any:
        payment = {"method": "voucher", "amount": amount, **({"reference": reference} if reference else {})}
        payload = {"lines": [{"article_id": str(till.chlore), "quantity": 1}], "payments": [payment]}
        with uow(roles=("cashier",)) as work:
            return usecases.record_sale(work, schemas.SaleInput().load(payload))

    pay_with(code.lower())  # as typed
    with pytest.raises(ValidationFailed) as refused:
        pay_with(None)
    assert refused.value.errors == {"payments[0].reference": ["the voucher's code"]}
    with pytest.raises(ValidationFailed) as refused:
        pay_with("BA-00000000")
    assert refused.value.errors == {"payments[0].reference": ["unknown voucher"]}
    pay_with(code)
    with pytest.raises(ValidationFailed) as refused:
        pay_with(code)
    assert refused.value.errors == {"payments[0].reference": ["only 0.00 left on this voucher"]}
