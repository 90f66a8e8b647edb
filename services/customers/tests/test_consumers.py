"""What customers does with other services' events: a till sale to a customer goes in the
timeline, and equipment sold with a serial number for their pool is registered on it —
through a real container receiving pos's ``sale_completed``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from bassin_common.events import Event
from bassin_common.schemas import load_or_reject
from bassin_common.testing import declare_installed_topology, publish_event, wait_until
from customers import schemas, usecases
from customers.models import Equipment, TimelineEntry

HEAT_PUMP = uuid.uuid4()


def test_a_sale_to_a_customer_is_in_the_timeline_and_registers_the_equipment_sold(
    uow, new_customer, customers, service_config, tenant_id
) -> None:
    customer = new_customer()
    with uow() as work:
        usecases.copy_article(
            work,
            {
                "article_id": HEAT_PUMP,
                "sku": "PAC-9",
                "name": "Hayward EnergyLine Pro 9 kW",
                "sale_price": Decimal("2990.00"),
                "vat_rate": Decimal(20),
            },
        )
        pool = usecases.create_pool(
            work,
            load_or_reject(
                schemas.PoolInput(),
                {
                    "site_id": str(customer["sites"][0]["id"]),
                    "shape": "rectangle",
                    "length_m": "8",
                    "width_m": "4",
                    "mean_depth_m": "1.5",
                    "coating": "liner",
                    "filtration": "sand",
                    "treatment": "salt",
                    "safety_device": "cover",
                },
            ),
        )
    sale_id = uuid.uuid4()
    sale = {
        "sale_id": str(sale_id),
        "location_id": str(uuid.uuid4()),
        "customer_id": str(customer["id"]),
        "total": "3029.90",
        "vat_total": "504.98",
        "lines": [
            {"article_id": str(uuid.uuid4()), "quantity": 1, "total": "39.90"},
            {
                "article_id": str(HEAT_PUMP),
                "quantity": 1,
                "total": "2990.00",
                "serial_number": "HP-2026-777",
                "register_on_pool_id": str(pool["id"]),
                "category": "heat_pump",
            },
        ],
        "payments": [{"method": "card", "amount": "3029.90"}],
        "completed_at": datetime(2026, 6, 1, 10, 0, tzinfo=UTC).isoformat(),
    }
    declare_installed_topology(service_config["AMQP_URI"])
    event = Event("sale_completed", tenant_id, "pos", sale)
    publish_event(service_config["AMQP_URI"], event)
    publish_event(service_config["AMQP_URI"], event)  # a redelivery: applied once

    def registered() -> list[Equipment]:
        with uow() as work:
            return list(work.session.scalars(select(Equipment).where(Equipment.pool_id == pool["id"])))

    (equipment,) = wait_until(registered)
    assert (equipment.category, equipment.brand, equipment.serial_number) == ("heat_pump", "Hayward", "HP-2026-777")
    assert (str(equipment.installed_on), equipment.purchase_document) == ("2026-06-01", str(sale_id))
    with uow() as work:
        kinds = work.session.scalars(
            select(TimelineEntry.kind).where(TimelineEntry.customer_id == customer["id"]).order_by(TimelineEntry.at)
        ).all()
    assert kinds.count("sale") == 1 and kinds.count("equipment") == 1


def test_an_anonymous_till_sale_is_acknowledged_by_customers_without_a_transaction() -> None:
    from customers.service import CustomersService

    assert not usecases.sale_concerns_a_customer({"customer_id": None})
    assert usecases.sale_concerns_a_customer({"customer_id": uuid.uuid4()})
    assert CustomersService.on_sale_completed.applies_to is usecases.sale_concerns_a_customer
