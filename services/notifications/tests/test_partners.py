"""Partners on AMQP, against the real broker (this test's vhost, users made through the
management API and removed after): each partner reads its own brand's returns, and nothing
else — it can neither consume another partner's queue nor bind its own to their returns."""

from __future__ import annotations

import uuid

import amqp
import pytest
from kombu import Connection, Queue
from nameko import config as nameko_config

from bassin_common.events import Event
from bassin_common.testing import publish_event, rpc_client, wait_until
from notifications import partner_amqp


def warranty_return(brand: str) -> dict:
    return {
        "return_id": str(uuid.uuid4()),
        "ticket_id": str(uuid.uuid4()),
        "brand": brand,
        "category": "heat_pump",
        "model": "Z400 iQ",
        "serial_number": "ZQ4-22-001234",
        "installed_on": "2024-04-15",
        "fault_description": "Compresseur bloqué",
        "error_code": "E05",
        "requested_at": "2026-05-04T09:30:00+02:00",
        "customer_email": "m.durand@example.fr",  # never passed on
    }


@pytest.fixture
def partners(notifications):
    """Zodiac and Hayward, both on AMQP, in one company; their broker users removed after."""
    tenant = uuid.uuid4()
    made = {}
    with rpc_client(tenant) as rpc:
        for brand in ("zodiac", "hayward"):
            made[brand] = rpc.notifications.create_partner({"brand": brand, "name": brand.title(), "amqp": True})
    yield tenant, made
    for brand in made:
        partner_amqp.delete_user(tenant, brand)


def refused(uri: str, attempt) -> bool:
    """Whether the broker refuses ``attempt(channel)`` to the user of ``uri`` (403)."""
    with Connection(uri) as connection:
        try:
            attempt(connection.channel())
        except amqp.exceptions.AccessRefused:
            return True
    return False


def test_each_partner_reads_its_own_returns_and_cannot_reach_another_s(partners) -> None:
    tenant, made = partners
    zodiac, hayward = made["zodiac"], made["hayward"]
    assert (zodiac["amqp_queue"], zodiac["amqp_user"]) == (f"partner.{tenant}.zodiac", f"partner-{tenant}-zodiac")
    sent = {brand: warranty_return(brand) for brand in ("zodiac", "hayward")}
    for data in sent.values():
        publish_event(nameko_config["AMQP_URI"], Event("warranty_return_requested", tenant, "sav", data))

    def delivered() -> bool:
        with rpc_client(tenant) as rpc:
            items = rpc.notifications.list_deliveries({"status": "sent"})["items"]
        return len([d for d in items if d["channel"] == "amqp"]) == 2

    wait_until(delivered)

    with Connection(zodiac["amqp_uri"]) as connection:
        message = Queue(zodiac["amqp_queue"], no_declare=True)(connection.channel()).get(no_ack=False)
        assert message is not None
        body = message.decode()
        message.ack()
        assert Queue(zodiac["amqp_queue"], no_declare=True)(connection.channel()).get() is None  # only its own
    assert body["type"] == "warranty_return_requested"
    assert body["data"]["return_id"] == sent["zodiac"]["return_id"] and body["data"]["brand"] == "zodiac"
    assert "customer_email" not in body["data"]

    theirs, key = hayward["amqp_queue"], f"{tenant}.hayward"
    assert refused(zodiac["amqp_uri"], lambda ch: ch.basic_get(theirs))  # consume another's queue
    assert refused(zodiac["amqp_uri"], lambda ch: ch.basic_consume(theirs, callback=lambda m: None))
    assert refused(zodiac["amqp_uri"], lambda ch: ch.queue_bind(zodiac["amqp_queue"], "bassin.partners", key))
    assert refused(zodiac["amqp_uri"], lambda ch: ch.queue_declare("partner.mine", durable=True))
    assert refused(zodiac["amqp_uri"], lambda ch: ch.queue_declare("", exclusive=True))  # a private queue to bind
    assert refused(zodiac["amqp_uri"], lambda ch: ch.queue_purge(theirs))
    # A status change of Zodiac's return follows the same way, to Zodiac alone.
    status = {
        "return_id": sent["zodiac"]["return_id"],
        "brand": "zodiac",
        "status": "accepted",
        "note": None,
        "at": "2026-05-05T10:00:00+02:00",
    }
    publish_event(nameko_config["AMQP_URI"], Event("warranty_return_status_changed", tenant, "sav", status))
    with Connection(zodiac["amqp_uri"]) as connection:
        queue = Queue(zodiac["amqp_queue"], no_declare=True)(connection.channel())
        changed = wait_until(lambda: queue.get())
        assert changed.decode()["type"] == "warranty_return_status_changed"
        assert changed.decode()["data"]["status"] == "accepted"
    # Hayward's return is still there, for Hayward alone.
    with Connection(hayward["amqp_uri"]) as connection:
        message = Queue(theirs, no_declare=True)(connection.channel()).get()
        assert message.decode()["data"]["return_id"] == sent["hayward"]["return_id"]
