"""Customer files imported in bulk (``import_customers``, the demo company's path): the same
records as the use cases one by one would write — the file, its pools and equipment with
their dates, its analyses assessed, its contract, its timeline and search terms — one
``customers_imported`` event carrying what their events would, and every rule of those use
cases applied, a refusal naming the record and writing nothing."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import pytest
from sqlalchemy import func, select

from bassin_common.errors import ValidationFailed
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases
from customers.models import Customer, TimelineEntry

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
PUMP = {
    "category": "pump",
    "brand": "Hayward",
    "model": "PowerFlo 0,75 CV",
    "serial_number": "HAY-2021-000042",
    "installed_on": "2021-05-03",
}
ANALYSIS = {"source": "shop_station", "recorded_at": "2026-06-01T10:00:00+02:00", "ph": "6.8", "free_chlorine": "0.4"}
CONTRACT = {
    "formula": "Sérénité",
    "starts_on": "2026-04-01",
    "ends_on": "2027-03-31",
    "price_excl_vat": "690.00",
    "tacit_renewal": True,
}


def imported_file(helene: dict[str, Any], **pool_changes: Any) -> dict[str, Any]:
    """Hélène's file with a pool, its pump, an analysis and a contract, changed as given."""
    pool = {**POOL, "equipment": [PUMP], "analyses": [ANALYSIS], "contract": CONTRACT, **pool_changes}
    return {**deepcopy(helene), "pools": [pool]}


def import_files(uow, *files: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    payload = load_or_reject(schemas.CustomersImport(), {"customers": list(files)})
    with uow() as work:
        return usecases.import_customers(work, payload), work.emitted


def one_by_one(uow, helene: dict[str, Any]) -> dict[str, Any]:
    """Hélène's file, pool, pump, analysis and contract through their own use cases."""
    with uow() as work:
        customer = usecases.create_customer(work, load_or_reject(schemas.CustomerInput(), deepcopy(helene)))
        site_id = customer["sites"][0]["id"]
        pool = usecases.create_pool(work, load_or_reject(schemas.PoolInput(), {**POOL, "site_id": str(site_id)}))
        usecases.install_equipment(work, pool["id"], load_or_reject(schemas.EquipmentInput(), PUMP))
        usecases.record_analysis(work, pool["id"], load_or_reject(schemas.AnalysisInput(), ANALYSIS))
        contract = {**CONTRACT, "customer_id": str(customer["id"]), "pool_id": str(pool["id"])}
        usecases.sign_contract(work, load_or_reject(schemas.ContractInput(), contract))
    return customer


def comparable(value: Any) -> Any:
    """A record as a user sees it: without its ids and timestamps, which differ by nature."""
    if isinstance(value, dict):
        return {
            key: comparable(item)
            for key, item in value.items()
            if key not in ("id", "created_at", "updated_at", "at") and not key.endswith("_id")
        }
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def test_an_import_writes_what_the_use_cases_write_one_by_one(uow, helene, find) -> None:
    alone = one_by_one(uow, helene)
    # Another serial number: the first Hélène's pump is registered already.
    other_pump = {**PUMP, "serial_number": "HAY-2021-000043"}
    result, emitted = import_files(uow, imported_file(helene, equipment=[other_pump]))

    (ids,) = result["customers"]
    with uow() as work:
        mine, theirs = usecases.get_customer(work, ids["id"]), usecases.get_customer(work, alone["id"])
        (pool_ids,) = ids["pools"]
        analysis = usecases.get_analysis(work, pool_ids["analyses"][0]["id"])
        contract = usecases.get_contract(work, pool_ids["contract_id"])
        kinds = sorted(
            work.session.scalars(select(TimelineEntry.kind).where(TimelineEntry.customer_id == ids["id"])).all()
        )
    for piece in mine["pools"][0]["equipment"] + theirs["pools"][0]["equipment"]:
        piece.pop("serial_number"), piece.pop("serial_key")
    assert comparable(mine) == comparable(theirs)
    assert [site["id"] for site in mine["sites"]] == [site["id"] for site in ids["sites"]]
    assert mine["pools"][0]["equipment"][0]["warranty_ends_on"].isoformat() == "2023-05-03"
    assert analysis["problems"] == ["ph_low", "free_chlorine_low"] and analysis["readings"]
    assert contract["customer_id"] == ids["id"] and contract["pool_id"] == pool_ids["id"]
    assert kinds == ["analysis", "contract", "created", "equipment", "pool"]
    assert find("HAY-2021-000043") == ["DURAND Hélène"]
    assert find("helene saint-chaptes") == ["DURAND Hélène", "DURAND Hélène"]  # by name and site's town

    (event,) = emitted
    assert event.event_type == "customers_imported"
    assert [c["customer_id"] for c in event.data["customers"]] == [str(ids["id"])]
    assert [e["serial_number"] for e in event.data["equipment"]] == ["HAY-2021-000043"]
    assert [c["contract_id"] for c in event.data["contracts"]] == [str(pool_ids["contract_id"])]
    assert [a["problems"] for a in event.data["analyses"]] == [["ph_low", "free_chlorine_low"]]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ([{}, {}], "customers[1].pools[0].equipment[0].serial_number"),  # the same serial number twice
        ([{"site": 1}], "customers[0].pools[0].site"),  # Hélène has one site
        ([{"width_m": "0"}], "customers[0].pools[0].width_m"),
        ([{"contract": {**CONTRACT, "ends_on": "2026-01-01"}}], "customers[0].pools[0].contract.ends_on"),
        ([{"analyses": [{**ANALYSIS, "ph": "15"}]}], "customers[0].pools[0].analyses[0].ph"),
    ],
)
def test_a_rule_refused_names_the_record_and_nothing_is_written(uow, helene, changes, field) -> None:
    with pytest.raises(ValidationFailed) as refused:
        import_files(uow, *(imported_file(helene, **change) for change in changes))
    assert field in refused.value.errors
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_serial_number_registered_before_is_refused(uow, helene) -> None:
    one_by_one(uow, helene)
    with pytest.raises(ValidationFailed) as refused:
        import_files(uow, imported_file(helene))
    assert "customers[0].pools[0].equipment[0].serial_number" in refused.value.errors


def test_the_import_s_input_is_checked_by_the_schemas_of_the_records_rpcs(helene) -> None:
    bad = imported_file(helene, equipment=[{**PUMP, "category": "teapot"}], analyses=[{**ANALYSIS, "ph": "acide"}])
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(schemas.CustomersImport(), {"customers": [bad]})
    assert set(refused.value.errors) >= {
        "customers[0].pools[0].equipment[0].category",
        "customers[0].pools[0].analyses[0].ph",
    }
