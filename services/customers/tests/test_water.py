"""Water analyses through their use cases: values flagged against the pool's targets (the
company's first), the LSI, doses of the company's own products for the pool's volume, the
previous analysis's problems at the next one, and impossible values refused by name."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases
from customers.models import WaterAnalysis

PH_PLUS, SHOCK = uuid.uuid4(), uuid.uuid4()
POOL = {
    "shape": "rectangle",
    "length_m": "8",
    "width_m": "4",
    "mean_depth_m": "1.5",
    "coating": "liner",
    "filtration": "sand",
    "treatment": "chlorine",
    "safety_device": "alarm",
}


@pytest.fixture
def pool(uow, new_customer) -> dict[str, Any]:
    """A 48 m³ liner pool treated with chlorine, and the company's pH plus and shock."""
    customer = new_customer()
    with uow() as work:
        for article_id, sku, name in [(PH_PLUS, "PH-PLUS-5", "pH plus 5 kg"), (SHOCK, "CHOC-5", "Chlore choc 5 kg")]:
            usecases.copy_article(
                work,
                {
                    "article_id": article_id,
                    "sku": sku,
                    "name": name,
                    "sale_price": Decimal("24.90"),
                    "vat_rate": Decimal(20),
                },
            )
        created = usecases.create_pool(
            work, load_or_reject(schemas.PoolInput(), {**POOL, "site_id": str(customer["sites"][0]["id"])})
        )
    with uow() as work:
        usecases.set_water_products(
            work,
            load_or_reject(
                schemas.WaterProductsInput(),
                {
                    "products": [
                        {"role": "ph_plus", "article_id": str(PH_PLUS)},
                        {"role": "chlorine_shock", "article_id": str(SHOCK)},
                    ]
                },
            ),
        )
    return created


def analysis(**values: Any) -> dict[str, Any]:
    return load_or_reject(schemas.AnalysisInput(), values)


def test_low_ph_and_high_stabiliser_are_flagged_with_doses_of_the_companys_products(uow, pool) -> None:
    with uow() as work:
        recorded = usecases.record_analysis(
            work,
            pool["id"],
            analysis(
                ph="6.8",
                free_chlorine="1.5",
                total_alkalinity="100",
                calcium_hardness="200",
                cyanuric_acid="95",
                temperature="26",
            ),
        )
    levels = {r["parameter"]: r["level"] for r in recorded["readings"]}
    assert levels == {
        "ph": "low",
        "free_chlorine": "ok",
        "total_alkalinity": "ok",
        "calcium_hardness": "ok",
        "cyanuric_acid": "high",
        "temperature": "ok",
    }
    assert recorded["problems"] == ["ph_low", "cyanuric_acid_high"]
    assert recorded["balance"] == "corrosive" and recorded["lsi"] < Decimal("-0.3")
    ph, cya = recorded["recommendation"]
    # 0.6 pH x 100 g/m³ per unit x 48 m³ = 2,880 g of the company's pH plus.
    assert (ph["article_id"], ph["quantity"], ph["unit"]) == (str(PH_PLUS), "2880", "g")
    assert "pH plus 5 kg" in ph["advice"]
    assert cya["article_id"] is None and "Renouveler" in cya["advice"]
    (event,) = [e for e in work.emitted if e.event_type == "water_analysis_recorded"]
    assert event.data["problems"] == ["ph_low", "cyanuric_acid_high"]
    assert event.data["recommendation"] == [{"article_id": str(PH_PLUS), "quantity": "2880", "unit": "g"}]


def test_the_companys_targets_win_and_the_next_analysis_says_what_was_solved(uow, pool) -> None:
    with uow() as work:
        usecases.set_water_targets(
            work,
            load_or_reject(
                schemas.WaterTargetsInput(), {"targets": [{"parameter": "ph", "low": "7.0", "high": "7.4"}]}
            ),
        )
    with uow() as work:
        first = usecases.record_analysis(work, pool["id"], analysis(ph="7.1", free_chlorine="0.3"))
    assert first["problems"] == ["free_chlorine_low"] and first["previous"] is None
    assert first["recommendation"][0]["article_id"] == str(SHOCK)
    with uow() as work:
        second = usecases.record_analysis(work, pool["id"], analysis(ph="6.9", free_chlorine="2"))
    assert second["previous"]["solved"] == ["free_chlorine_low"]
    assert second["problems"] == ["ph_low"] and second["previous"]["persisting"] == []
    with uow() as work:
        history = usecases.pool_analyses(work, pool["id"], {"limit": 10, "cursor": None}).items
    assert [a["id"] for a in history] == [second["id"], first["id"]]


def test_impossible_values_and_unknown_pools_are_refused_and_nothing_is_written(uow, pool) -> None:
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.record_analysis(work, pool["id"], analysis(ph="42", temperature="26"))
    assert list(refused.value.errors) == ["ph"]
    with pytest.raises(ValidationFailed), uow() as work:
        usecases.record_analysis(work, pool["id"], analysis())
    with pytest.raises(NotFound), uow() as work:
        usecases.record_analysis(work, uuid.uuid4(), analysis(ph="7.2"))
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.set_water_products(
            work,
            load_or_reject(
                schemas.WaterProductsInput(), {"products": [{"role": "ph_minus", "article_id": str(uuid.uuid4())}]}
            ),
        )
    assert list(refused.value.errors) == ["products[0].article_id"]
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(WaterAnalysis)) == 0
