"""The FEC export of a month with till sales (one with change, one on a customer's account),
a refund, invoices, a deposit, a credit note and payments: its 18 columns in the legal
order, tab-separated, every entry and every journal balanced, amounts with a decimal comma."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from bassin_common.french import business_day
from pos import fec, invoices, schemas, usecases

Till = Any


def parse(content: str) -> tuple[list[str], list[dict[str, str]]]:
    lines = content.split("\r\n")
    assert lines[-1] == ""
    header, *rows = lines[:-1]
    columns = header.split("\t")
    return columns, [dict(zip(columns, row.split("\t"), strict=True)) for row in rows]


def amount(text: str) -> Decimal:
    assert "." not in text
    return Decimal(text.replace(",", "."))


def test_a_month_exports_balanced_per_entry_and_per_journal(uow: Any, till: Till) -> None:
    helene = uuid.uuid4()
    with uow() as work:
        usecases.keep_customer(
            work, {"customer_id": helene, "kind": "private", "display_name": "Mme Hélène Durand", "email": None}
        )
        settings = invoices.billing_settings(work)
        settings.siren = "812345678"

    def sell(payload: dict) -> Any:
        with uow(roles=("manager",)) as work:
            return usecases.record_sale(work, schemas.SaleInput().load(payload))

    first = sell(
        {
            "lines": [{"article_id": str(till.chlore), "quantity": 2}, {"article_id": str(till.pompe), "quantity": 1}],
            "payments": [{"method": "cash", "amount": "100.00"}, {"method": "card", "amount": "550.00"}],
        }
    )
    sell(
        {
            "customer_id": str(helene),
            "lines": [{"article_id": str(till.chlore), "quantity": 1, "discount_percent": "5.00"}],
            "payments": [{"method": "account", "amount": "37.90"}],
        }
    )
    with uow(roles=("manager",)) as work:
        usecases.refund_sale(
            work,
            first.id,
            schemas.RefundInput().load(
                {
                    "lines": [{"position": 1, "quantity": 1}],
                    "payments": [{"method": "cash", "amount": "39.90"}],
                    "reason": "x",
                }
            ),
        )

    def issue(draft: Any) -> Any:
        with uow(roles=("office",)) as work:
            invoices.check_invoice(work, draft.id)
        with uow(roles=("office",)) as work:
            return invoices.issue_invoice(work, draft.id)

    with uow(roles=("office",)) as work:
        draft = invoices.create_invoice(
            work,
            schemas.InvoiceInput().load(
                {
                    "customer_id": str(helene),
                    "lines": [
                        {
                            "description": "Ouverture de piscine",
                            "quantity": "1",
                            "unit_price_excl_vat": "180.00",
                            "vat_rate": "20",
                        },
                        {
                            "description": "Réparation (rénovation)",
                            "quantity": "2",
                            "unit_price_excl_vat": "55.55",
                            "vat_rate": "10",
                        },
                    ],
                }
            ),
        )
    invoice = issue(draft)
    with uow(roles=("system",)) as work:
        request = invoices.draft_payment_request(
            work,
            {
                "project_id": uuid.uuid4(),
                "task_id": uuid.uuid4(),
                "step_code": "terrassement",
                "order_id": None,
                "customer_id": helene,
                "milestone_percent": Decimal("30"),
                "project_total_excl_vat": Decimal("30000.00"),
                "project_total_incl_vat": Decimal("36000.00"),
            },
        )
    issue(request)
    with uow(roles=("office",)) as work:
        invoices.record_payment(
            work, invoice.id, schemas.InvoicePaymentInput().load({"amount": "100.00", "method": "cheque"})
        )
    with uow(roles=("office",)) as work:
        note = invoices.credit_invoice(work, invoice.id, {"reason": "Geste commercial"})
    issue(note)

    today = invoice.issued_on
    with uow(roles=("manager",)) as work:
        exported = invoices.fec_export(work, {"start": today.replace(day=1), "end": today})
    assert exported["filename"] == f"812345678FEC{today:%Y%m%d}.txt"
    columns, rows = parse(exported["content"])
    assert tuple(columns) == fec.COLUMNS and len(columns) == 18
    by_entry: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    by_journal: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        debit, credit = amount(row["Debit"]), amount(row["Credit"])
        assert (debit == 0) != (credit == 0)  # one side per line, never negative
        assert debit >= 0 and credit >= 0
        for totals, key in ((by_entry, row["EcritureNum"]), (by_journal, row["JournalCode"])):
            totals[key][0] += debit
            totals[key][1] += credit
        assert date(int(row["EcritureDate"][:4]), int(row["EcritureDate"][4:6]), int(row["EcritureDate"][6:])) == today
    assert all(debit == credit for debit, credit in by_entry.values()), by_entry
    assert all(debit == credit for debit, credit in by_journal.values()), by_journal
    assert set(by_journal) == {"CA", "VE", "BQ"}
    assert exported["entries"] == len(by_entry) == 7  # 2 tickets, 1 refund, 2 invoices, 1 credit note, 1 payment
    account_sale = [r for r in rows if r["JournalCode"] == "CA" and r["CompteNum"] == "411000"]
    assert [(r["CompAuxNum"], r["CompAuxLib"], r["Debit"]) for r in account_sale] == [
        (str(helene), "Mme Hélène Durand", "37,90")
    ]
    vat = [(r["PieceRef"], r["Credit"]) for r in rows if r["JournalCode"] == "VE" and r["CompteNum"] == "445710"]
    assert (invoice.number, "36,00") in vat and (invoice.number, "11,11") in vat


def test_statistics_by_day_category_and_cashier_with_margins(uow: Any, till: Till, inventory: Any) -> None:
    with uow() as work:  # the chlore's purchase price and category are known, the pump's are not
        usecases.keep_article(
            work,
            {
                "article_id": till.chlore,
                "sku": "CHL-GAL-5KG",
                "name": "Chlore lent galets 5 kg",
                "sale_price": Decimal("39.90"),
                "vat_rate": Decimal("20.00"),
                "category": "Traitement de l'eau",
                "purchase_price": Decimal("24.00"),
            },
        )

    def sell(user: str, lines: list[tuple[uuid.UUID, int]], amount: str) -> Any:
        payload = {
            "lines": [{"article_id": str(a), "quantity": q} for a, q in lines],
            "payments": [{"method": "card", "amount": amount}],
        }
        with uow(roles=("cashier",), user_id=user) as work:
            return usecases.record_sale(work, schemas.SaleInput().load(payload))

    first = sell("julie", [(till.chlore, 3)], "119.70")
    sell("marc", [(till.chlore, 1), (till.pompe, 1)], "568.90")
    with uow(roles=("manager",)) as work:
        usecases.refund_sale(
            work,
            first.id,
            schemas.RefundInput().load(
                {
                    "lines": [{"position": 1, "quantity": 1}],
                    "payments": [{"method": "card", "amount": "39.90"}],
                    "reason": "x",
                }
            ),
        )
    today = business_day(first.completed_at)

    def stats(group_by: str) -> dict[str, Any]:
        query = schemas.StatisticsQuery().load({"start": str(today), "end": str(today), "group_by": group_by})
        with uow(roles=("manager",)) as work:
            return schemas.StatisticsOutput().dump(invoices.sales_statistics(work, query))

    [day] = stats("day")["rows"]
    assert (day["key"], day["tickets"], day["revenue_incl_vat"], day["average_basket"]) == (
        str(today),
        2,
        "648.70",  # 119.70 + 568.90 - 39.90
        "324.35",
    )
    assert day["margin"] is None  # the pump's purchase price is unknown
    categories = {row["key"]: row for row in stats("category")["rows"]}
    chlore = categories["Traitement de l'eau"]
    # 3 galets net: 119.70 TTC = 99.75 HT, less 3 x 24.00
    assert (chlore["revenue_incl_vat"], chlore["revenue_excl_vat"], chlore["margin"]) == ("119.70", "99.75", "27.75")
    by_cashier = stats("cashier")
    assert [(row["key"], row["revenue_incl_vat"]) for row in by_cashier["rows"]] == [
        ("julie", "119.70"),
        ("marc", "568.90"),
        ("test-user", "-39.90"),  # who refunded
    ]
    assert by_cashier["csv"].splitlines()[0] == "key;tickets;revenue_incl_vat;revenue_excl_vat;average_basket;margin"
