"""The sales pipeline through its use cases: a first contact, a quote from the catalogue
copy with VAT per rate, its versions, sending, acceptance into one order and one
``order_confirmed`` as docs/dev/event-contracts.md says, losses and conversion figures."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bassin_common.errors import Conflict, ValidationFailed
from bassin_common.french import business_day
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases
from customers.models import Order, Quote

LINER = uuid.uuid4()
POOL = {
    "pool_type_code": "BETON-8x4",
    "shape": "rectangle",
    "length_m": "8",
    "width_m": "4",
    "mean_depth_m": "1.5",
    "coating": "liner",
    "filtration": "sand",
    "treatment": "salt",
    "options": ["volet immergé"],
}


@pytest.fixture
def prospect(uow, new_customer) -> dict[str, Any]:
    customer = new_customer()
    with uow() as work:
        usecases.copy_article(
            work,
            {
                "article_id": LINER,
                "sku": "LIN-75",
                "name": "Liner 75/100 bleu",
                "sale_price": Decimal("1800.00"),
                "vat_rate": Decimal(20),
            },
        )
        lead = usecases.record_first_contact(
            work,
            load_or_reject(
                schemas.LeadInput(), {"customer_id": str(customer["id"]), "subject": "Piscine 8 x 4", "source": "web"}
            ),
        )
    (event,) = work.emitted
    assert (event.event_type, event.data["source"], event.data["lead_id"]) == (
        "first_contact_recorded",
        "web",
        str(lead.id),
    )
    return {"customer": customer, "lead_id": lead.id, "site_id": customer["sites"][0]["id"]}


def quote_input(prospect: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "customer_id": str(prospect["customer"]["id"]),
        "lead_id": str(prospect["lead_id"]),
        "site_id": str(prospect["site_id"]),
        "kind": "construction",
        "lines": [
            {
                "description": "Piscine béton 8 x 4",
                "quantity": "1",
                "unit_price_excl_vat": "30000.00",
                "vat_rate": "20",
            },
            {"article_id": str(LINER), "quantity": "1", "discount_percent": "10"},
            {
                "description": "Local technique (rénovation)",
                "quantity": "1",
                "unit_price_excl_vat": "1000.00",
                "vat_rate": "10",
            },
        ],
        "pool": POOL,
        "promised_filling_date": "2026-06-20",
        **changes,
    }
    return load_or_reject(schemas.QuoteInput(), body)


def test_a_quote_copies_the_catalogue_and_adds_vat_per_rate(uow, prospect) -> None:
    with uow() as work:
        quote = usecases.create_quote(work, quote_input(prospect))
    liner = quote["lines"][1]
    # 1,800.00 VAT included = 1,500.00 without VAT; 10 % off: 1,350.00.
    assert (liner["description"], liner["unit_price_excl_vat"], liner["total_excl_vat"]) == (
        "Liner 75/100 bleu",
        "1500.00",
        "1350.00",
    )
    assert (quote["total_excl_vat"], quote["vat_total"], quote["total_incl_vat"]) == (
        Decimal("32350.00"),
        Decimal("6370.00"),  # 20 % of 31,350.00 + 10 % of 1,000.00
        Decimal("38720.00"),
    )
    assert quote["pool"]["volume_m3"] == "48.0"
    assert sum(Decimal(step["percent"]) for step in quote["payment_schedule"]) == 100
    assert (quote["number"], quote["version"], quote["status"]) == (f"D-{business_day().year}-0001", 1, "draft")
    assert quote["valid_until"] == business_day() + timedelta(days=30)


def test_a_sent_quote_accepted_becomes_one_order_and_one_order_confirmed(uow, prospect) -> None:
    with uow() as work:
        first = usecases.create_quote(work, quote_input(prospect))
    with uow() as work:
        second = usecases.revise_quote(
            work,
            first["id"],
            quote_input(
                prospect,
                lines=[
                    {"description": "Piscine 8 x 4 tout compris", "quantity": "1", "unit_price_excl_vat": "32500.00"}
                ],
            )
            | {},
        )
    assert (second["number"], second["version"]) == (first["number"], 2)
    with uow() as work:
        assert usecases.get_quote(work, first["id"])["status"] == "superseded"
    with pytest.raises(Conflict), uow() as work:
        usecases.send_quote(work, first["id"])
    with uow() as work:
        usecases.send_quote(work, second["id"])
    (sent,) = work.emitted
    assert (sent.event_type, sent.data["version"], sent.data["total_incl_vat"]) == ("quote_sent", 2, "39000.00")
    with uow() as work:
        accepted = usecases.accept_quote(work, second["id"])
    (confirmed,) = work.emitted
    data = confirmed.data
    assert confirmed.event_type == "order_confirmed"
    assert (data["order_id"], data["quote_id"], data["kind"]) == (
        str(accepted["order_id"]),
        str(second["id"]),
        "construction",
    )
    assert (data["customer_id"], data["site_id"]) == (str(prospect["customer"]["id"]), str(prospect["site_id"]))
    assert data["lines"] == [
        {
            "article_id": None,
            "description": "Piscine 8 x 4 tout compris",
            "quantity": "1",
            "unit_price_excl_vat": "32500.00",
            "vat_rate": "20.00",
            "total_excl_vat": "32500.00",
        }
    ]
    assert (data["total_excl_vat"], data["vat_total"], data["total_incl_vat"]) == ("32500.00", "6500.00", "39000.00")
    assert data["pool"]["pool_type_code"] == "BETON-8x4" and data["pool"]["volume_m3"] == "48.0"
    assert [s["percent"] for s in data["payment_schedule"]] == ["30.00", "40.00", "25.00", "5.00"]
    assert data["promised_filling_date"] == "2026-06-20"
    with pytest.raises(Conflict), uow() as work:
        usecases.accept_quote(work, second["id"])
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Order)) == 1
        assert usecases.get_lead(work, prospect["lead_id"]).status == "won"
        figures = usecases.pipeline_figures(work, {"since": None, "until": None})
    assert (figures["leads"], figures["won"], figures["win_rate"], figures["ordered_excl_vat"]) == (
        1,
        1,
        Decimal("100.00"),
        Decimal("32500.00"),
    )


def test_bad_quotes_name_the_field_and_write_nothing(uow, prospect, new_customer) -> None:
    stranger = new_customer()
    for changes, field in [
        ({"site_id": str(stranger["sites"][0]["id"])}, "site_id"),
        ({"lead_id": str(uuid.uuid4())}, "lead_id"),
        ({"lines": [{"article_id": str(uuid.uuid4()), "quantity": "1"}]}, "lines[0].article_id"),
        ({"lines": [{"quantity": "1", "unit_price_excl_vat": "10.00"}]}, "lines[0].description"),
        ({"pool": None}, "pool"),
        ({"payment_schedule": [{"step_code": "order", "percent": "50"}]}, "payment_schedule"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
    ]:
        with pytest.raises(ValidationFailed) as refused, uow() as work:
            usecases.create_quote(work, quote_input(prospect, **changes))
        assert field in refused.value.errors, (field, refused.value.errors)
    with pytest.raises(ValidationFailed) as refused:
        quote_input(prospect, pool={**POOL, "length_m": "-8"})
    assert "pool.length_m" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_quote(work, quote_input(prospect, customer_id=str(uuid.uuid4())))
    assert "customer_id" in refused.value.errors
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Quote)) == 0


def test_a_lost_lead_keeps_its_reason(uow, prospect) -> None:
    with uow() as work:
        lead = usecases.mark_lost(work, prospect["lead_id"], {"reason": "Trop cher"})
        assert (lead.status, lead.lost_reason) == ("lost", "Trop cher")
    with uow() as work:
        assert usecases.pipeline_figures(work, {"since": None, "until": None})["lost"] == 1
