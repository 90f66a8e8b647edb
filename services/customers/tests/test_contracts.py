"""Maintenance contracts and the daily scan through their use cases: signing, expiry
notices and end-of-life notices announced once, tacit renewal, expiry, termination."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bassin_common.errors import Conflict, ValidationFailed
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases

TODAY = date(2026, 3, 10)


def contract_input(customer_id: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "customer_id": str(customer_id),
        "formula": "Sérénité",
        "includes_opening": True,
        "includes_closing": True,
        "visits_per_season": 6,
        "starts_on": "2025-04-01",
        "ends_on": "2026-03-31",
        "price_excl_vat": "690.00",
        "tacit_renewal": True,
        **changes,
    }
    return load_or_reject(schemas.ContractInput(), body)


def scan(uow, today: date = TODAY) -> tuple[dict[str, int], list[Any]]:
    with uow() as work:
        counts = usecases.daily_scan(work, {"today": today})
    return counts, work.emitted


def test_a_contract_is_signed_announced_and_its_expiry_notice_sent_once(uow, new_customer) -> None:
    customer = new_customer()
    with uow() as work:
        contract = usecases.sign_contract(work, contract_input(customer["id"]))
    (signed,) = work.emitted
    assert (signed.event_type, signed.data["price_excl_vat"], signed.data["tacit_renewal"]) == (
        "contract_signed",
        "690.00",
        True,
    )
    assert scan(uow, date(2026, 2, 1))[0]["contracts_expiring"] == 0  # two months before: not yet
    counts, emitted = scan(uow)
    assert counts["contracts_expiring"] == 1
    assert [(e.event_type, e.data["contract_id"], e.data["ends_on"]) for e in emitted] == [
        ("contract_expiring", str(contract["id"]), "2026-03-31")
    ]
    assert scan(uow, date(2026, 3, 11)) == (
        {"contracts_expiring": 0, "contracts_renewed": 0, "contracts_expired": 0, "equipment_end_of_life": 0},
        [],
    )


def test_at_its_end_a_tacit_contract_is_renewed_and_another_expires(uow, new_customer) -> None:
    customer = new_customer()
    with uow() as work:
        tacit = usecases.sign_contract(work, contract_input(customer["id"]))
        other = usecases.sign_contract(work, contract_input(customer["id"], tacit_renewal=False))
    counts, _ = scan(uow, date(2026, 4, 2))
    assert (counts["contracts_renewed"], counts["contracts_expired"]) == (1, 1)
    with uow() as work:
        renewed = usecases.get_contract(work, tacit["id"])
        assert (renewed["starts_on"], renewed["ends_on"], renewed["status"]) == (
            date(2026, 4, 1),
            date(2027, 3, 31),
            "active",
        )
        assert usecases.get_contract(work, other["id"])["status"] == "expired"


def test_equipment_near_its_end_of_life_is_announced_once(uow, new_customer) -> None:
    customer = new_customer()
    with uow() as work:
        pool = usecases.create_pool(
            work,
            load_or_reject(
                schemas.PoolInput(),
                {
                    "site_id": str(customer["sites"][0]["id"]),
                    "shape": "round",
                    "length_m": "4",
                    "mean_depth_m": "1.2",
                    "coating": "liner",
                    "filtration": "cartridge",
                    "treatment": "chlorine",
                    "safety_device": "alarm",
                },
            ),
        )
        old = usecases.install_equipment(
            work,
            pool["id"],
            load_or_reject(
                schemas.EquipmentInput(),
                {"category": "pump", "brand": "Pentair", "model": "WhisperFlo", "installed_on": "2016-05-01"},
            ),
        )
        usecases.install_equipment(
            work,
            pool["id"],
            load_or_reject(
                schemas.EquipmentInput(),
                {"category": "robot", "brand": "Zodiac", "model": "RV 5400", "installed_on": "2025-05-01"},
            ),
        )
    counts, emitted = scan(uow)
    assert counts["equipment_end_of_life"] == 1
    (event,) = emitted
    assert (event.event_type, event.data["equipment_id"], event.data["end_of_life_on"]) == (
        "equipment_end_of_life_approaching",
        str(old["id"]),
        "2026-05-01",
    )
    assert event.data["life_used_percent"] == 99  # 3,600 of 3,652 days
    assert scan(uow)[0]["equipment_end_of_life"] == 0


def test_bad_contracts_are_refused_by_field_and_a_terminated_one_is_not_announced(uow, new_customer) -> None:
    customer = new_customer()
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.sign_contract(work, contract_input(customer["id"], ends_on="2025-01-01"))
    assert "ends_on" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.sign_contract(work, contract_input(customer["id"], pool_id=str(uuid.uuid4())))
    assert "pool_id" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        contract_input(customer["id"], price_excl_vat="-5")
    assert "price_excl_vat" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.sign_contract(work, contract_input(uuid.uuid4()))
    assert "customer_id" in refused.value.errors
    with uow() as work:
        contract = usecases.sign_contract(work, contract_input(customer["id"]))
    with uow() as work:
        assert usecases.terminate_contract(work, contract["id"], {"reason": "Maison vendue"})["status"] == "terminated"
    with pytest.raises(Conflict), uow() as work:
        usecases.terminate_contract(work, contract["id"], {"reason": "encore"})
    assert scan(uow)[0]["contracts_expiring"] == 0
    assert Decimal(contract["price_excl_vat"]) == Decimal("690.00")
