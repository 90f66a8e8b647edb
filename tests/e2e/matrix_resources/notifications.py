"""Notifications' resources for the route matrix: an action (from a real flow: a sale takes
the stock under its minimum, inventory publishes ``reorder_needed``, a default rule puts
"supplier basket to validate" in the office's inbox), a rule, a partner and a delivery."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from bassin_common.testing import wait_until
from conftest import Company, Stack


def resources(stack: Stack, company: Company) -> dict[str, str]:
    sale = company.post("/api/v1/pos/sales", json=company.sale_payload(quantity=151))  # 1000 -> 849 < 850
    assert sale.status_code == 201, sale.get_json()

    def an_action() -> list[dict]:
        return company.get("/api/v1/notifications/actions", query_string={"inbox": "all"}).get_json()["items"]

    action = wait_until(an_action, timeout=30)[0]  # the basket's, or one the other areas' flows raised
    rule = company.get("/api/v1/notifications/rules").get_json()["items"][0]
    partner = company.post(
        "/api/v1/notifications/partners",
        json={"brand": f"zodiac-{uuid.uuid4().hex[:6]}", "name": "Zodiac", "webhook_url": None},
    )
    assert partner.status_code == 201, partner.get_json()
    return {
        "action_id": action["id"],
        "rule_id": rule["id"],
        "partner_id": partner.get_json()["id"],
        "delivery_id": _a_skipped_delivery(stack, company),
    }


def _a_skipped_delivery(stack: Stack, company: Company) -> str:
    """A delivery row as a rule writing to a customer leaves it (skipped: no consent). Made
    in the database: the events that make one (customers', sav's) are not published by any
    service of this build yet."""
    delivery_id = str(uuid.uuid4())
    engine = create_engine(stack.settings.service_database_url("notifications"))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO deliveries (id, tenant_id, dedup_key, channel, recipient, subject, body_text, "
                "source_event_type, status, attempts, last_error) VALUES (:id, :tenant, :key, 'email', '', "
                "'Votre pompe arrive en fin de vie', '', 'equipment_end_of_life_approaching', 'skipped', 0, "
                "'the customer has not consented to e-mail (or opted out)')"
            ),
            {"id": delivery_id, "tenant": company.tenant_id, "key": f"matrix:{delivery_id}"},
        )
    engine.dispose()
    return delivery_id
