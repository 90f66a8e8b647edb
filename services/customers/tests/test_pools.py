"""Pools and equipment through their use cases: computed and measured volumes, warranty and
end-of-life dates (the company's lifetimes first), unique serial numbers per brand,
replacement keeping the history, and the serial number found by the customer search."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bassin_common.errors import NotFound, PreconditionFailed, ValidationFailed
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases
from customers.models import Equipment, Pool

POOL = {
    "shape": "rectangle",
    "length_m": "8",
    "width_m": "4",
    "mean_depth_m": "1.5",
    "coating": "liner",
    "filtration": "sand",
    "treatment": "salt",
    "safety_device": "cover",
}
HEAT_PUMP = {
    "category": "heat_pump",
    "brand": "Hayward",
    "model": "EnergyLine Pro 9 kW",
    "serial_number": "HP-2024-001742",
    "installed_on": "2024-04-15",
    "warranty_months": 36,
}


def pool_input(site_id: Any, **changes: Any) -> dict[str, Any]:
    return load_or_reject(schemas.PoolInput(), {**POOL, "site_id": str(site_id), **changes})


def equipment_input(**changes: Any) -> dict[str, Any]:
    return load_or_reject(schemas.EquipmentInput(), {**HEAT_PUMP, **changes})


@pytest.fixture
def new_pool(uow, new_customer) -> Any:
    """``new_pool(**changes)``: a pool at a new customer's site."""

    def make(**changes: Any) -> dict[str, Any]:
        customer = new_customer()
        with uow() as work:
            return usecases.create_pool(work, pool_input(customer["sites"][0]["id"], **changes))

    return make


def test_a_pool_gets_its_volume_from_its_dimensions_unless_measured(uow, new_pool) -> None:
    pool = new_pool()
    assert (pool["computed_volume_m3"], pool["volume_m3"]) == (Decimal("48.0"), Decimal("48.0"))
    round_pool = new_pool(shape="round", length_m="4.6", width_m="0", mean_depth_m="1.2")
    assert round_pool["volume_m3"] == Decimal("19.9")
    measured = new_pool(volume_override_m3="45.5")
    assert (measured["computed_volume_m3"], measured["volume_m3"]) == (Decimal("48.0"), Decimal("45.5"))
    with uow() as work:
        changed = usecases.update_pool(work, pool["id"], ["1"], {**pool_input(pool["site_id"], length_m="10")} | {})
    assert (changed["volume_m3"], changed["version"]) == (Decimal("60.0"), 2)
    with pytest.raises(PreconditionFailed), uow() as work:
        usecases.update_pool(work, pool["id"], ["1"], pool_input(pool["site_id"]))


def test_impossible_pools_are_refused_by_field_and_write_nothing(uow, new_customer) -> None:
    customer = new_customer()
    site_id = customer["sites"][0]["id"]
    for change, field in [({"length_m": "-8"}, "length_m"), ({"mean_depth_m": "0"}, "mean_depth_m")]:
        with pytest.raises(ValidationFailed) as refused:
            pool_input(site_id, **change)
        assert field in refused.value.errors
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_pool(work, pool_input(site_id, width_m="0"))
    assert "width_m" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_pool(work, pool_input("6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c05"))
    assert "site_id" in refused.value.errors
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Pool)) == 0


def test_three_pieces_of_equipment_get_their_dates_and_the_serial_finds_the_customer(uow, find, new_pool) -> None:
    pool = new_pool()
    with uow() as work:
        usecases.set_lifetimes(work, {"lifetimes": {"heat_pump": 14}})
    with uow() as work:
        heat_pump = usecases.install_equipment(work, pool["id"], equipment_input())
        pump = usecases.install_equipment(
            work,
            pool["id"],
            equipment_input(
                category="pump", brand="Pentair", model="SuperFlo", serial_number=None, warranty_months=None
            ),
        )
        cell = usecases.install_equipment(
            work,
            pool["id"],
            equipment_input(
                category="salt_chlorinator", brand="Zodiac", model="Ei²", serial_number="ZD 55 12", lifetime_years=4
            ),
        )
    assert (heat_pump["warranty_ends_on"], heat_pump["end_of_life_on"]) == (date(2027, 4, 15), date(2038, 4, 15))
    assert (pump["warranty_ends_on"], pump["end_of_life_on"]) == (date(2026, 4, 15), date(2034, 4, 15))
    assert cell["end_of_life_on"] == date(2028, 4, 15)
    assert [e.event_type for e in work.emitted] == ["equipment_installed"] * 3
    assert work.emitted[0].data["warranty_ends_on"] == "2027-04-15"
    assert find("hp-2024-0017") == ["DURAND Hélène"]
    assert find("zd5512") == ["DURAND Hélène"]
    with uow() as work:
        assert len(usecases.get_pool(work, pool["id"])["equipment"]) == 3


def test_a_serial_number_is_unique_per_brand_in_a_company(uow, new_pool) -> None:
    pool = new_pool()
    with uow() as work:
        usecases.install_equipment(work, pool["id"], equipment_input())
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.install_equipment(work, pool["id"], equipment_input(serial_number="hp 2024 001742", brand="HAYWARD"))
    assert "serial_number" in refused.value.errors
    with uow() as work:  # another brand may use the same serial
        usecases.install_equipment(work, pool["id"], equipment_input(brand="Zodiac"))
        assert work.session.scalar(select(func.count()).select_from(Equipment)) == 2


def test_a_replacement_keeps_the_history(uow, new_pool) -> None:
    pool = new_pool()
    with uow() as work:
        old = usecases.install_equipment(work, pool["id"], equipment_input())
    with uow() as work:
        new = usecases.replace_equipment(
            work, old["id"], equipment_input(serial_number="HP-2026-000001", installed_on="2026-06-01")
        )
    (event,) = work.emitted
    assert (event.event_type, event.data["replaced_equipment_id"]) == ("equipment_replaced", str(old["id"]))
    with uow() as work:
        history = usecases.get_pool(work, pool["id"])["equipment"]
    assert [(e["id"], e["status"]) for e in history] == [(old["id"], "replaced"), (new["id"], "in_service")]
    assert history[0]["replaced_by_id"] == new["id"] and history[1]["replaces_id"] == old["id"]
    with pytest.raises(NotFound), uow(tenant_id=__import__("uuid").uuid4()) as work:
        usecases.get_equipment(work, new["id"])


def test_a_removed_equipment_stays_in_the_history_and_is_not_announced(uow, new_pool) -> None:
    pool = new_pool()
    with uow() as work:
        robot = usecases.install_equipment(
            work, pool["id"], equipment_input(category="robot", serial_number=None, installed_on="2016-05-01")
        )
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.remove_equipment(work, robot["id"], {"removed_on": date(2015, 1, 1), "reason": "HS"})
    assert "removed_on" in refused.value.errors
    with uow() as work:
        removed = usecases.remove_equipment(work, robot["id"], {"removed_on": date(2026, 5, 10), "reason": "HS"})
    assert (removed["status"], removed["out_of_service_on"]) == ("removed", date(2026, 5, 10))
    with uow() as work:
        assert usecases.daily_scan(work, {"today": date(2026, 6, 1)})["equipment_end_of_life"] == 0
        assert [e["status"] for e in usecases.get_pool(work, pool["id"])["equipment"]] == ["removed"]
