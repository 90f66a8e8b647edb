"""GDPR through the service in a real container: export everything about a customer, then
erase it — gone from the file, the search and the timeline, its copies anonymised by
``customer_updated``, and no event about it replayable with its personal data, neither
from the outbox nor from a dead-letter queue."""

from __future__ import annotations

import json
import uuid

import pytest
from kombu import Connection
from sqlalchemy import create_engine, text

from bassin_common.config import load_settings
from bassin_common.errors import NotFound
from bassin_common.registry import all_subscriptions
from bassin_common.signing import EVENT_SIGNATURE_HEADER, ContextSigner
from bassin_common.testing import rpc_client, wait_until
from bassin_common.topology import dead_letter_queue

SIGNER = ContextSigner.from_settings(load_settings())

HELENE = {
    "kind": "private",
    "first_name": "Hélène",
    "last_name": "Durand",
    "emails": [{"address": "helene.durand@orange.fr"}],
    "phones": [{"number": "06 12 34 56 78"}],
    "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    "sites": [{"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes", "access_notes": "Code 1234"}],
}


def outbox_payloads(test_settings, customer_id: str) -> list[str]:
    engine = create_engine(test_settings.service_database_url("customers"))
    with engine.connect() as connection:
        found = connection.scalars(
            text("SELECT payload::text FROM outbox WHERE payload->'data'->>'customer_id' = :id"), {"id": customer_id}
        ).all()
    engine.dispose()
    return found


def test_export_then_erase_leaves_no_replayable_personal_data(customers, service_config, test_settings) -> None:
    tenant = uuid.uuid4()
    amqp_uri = service_config["AMQP_URI"]
    with rpc_client(tenant) as rpc:
        customer = rpc.customers.create_customer(HELENE)
        rpc.customers.add_note(customer["id"], {"kind": "call", "text": "Mme Durand rappelle demain."})
        exported = rpc.customers.export_customer(customer["id"])
    assert exported["customer"]["display_name"] == "DURAND Hélène"
    assert exported["customer"]["sites"][0]["access_notes"] == "Code 1234"
    assert [entry["kind"] for entry in exported["timeline"]] == ["created", "call"]
    assert any("durand" in payload.lower() for payload in outbox_payloads(test_settings, customer["id"]))

    # An event about her failed somewhere and waits in a dead-letter queue, replayable.
    subscription = all_subscriptions()[0]
    letter = {
        "event_id": str(uuid.uuid4()),
        "event_type": "customer_updated",
        "version": 1,
        "tenant_id": str(tenant),
        "occurred_at": "2026-09-01T08:00:00+00:00",
        "producer": "customers",
        "data": {"customer_id": customer["id"], "display_name": "DURAND Hélène", "email": "helene.durand@orange.fr"},
    }
    other = {**letter, "event_id": str(uuid.uuid4()), "data": {**letter["data"], "customer_id": str(uuid.uuid4())}}
    with Connection(amqp_uri) as connection, connection.channel() as channel:
        queue = dead_letter_queue(subscription)(channel)
        queue.declare()
        producer = connection.Producer(channel)
        for body in (letter, other):  # hers signed, as a relay signs: still replayable once redacted
            headers = {EVENT_SIGNATURE_HEADER: SIGNER.sign_event(body)} if body is letter else {}
            producer.publish(
                json.dumps(body), exchange="", routing_key=queue.name, content_type="application/json", headers=headers
            )

    with rpc_client(tenant, roles=("manager",)) as rpc:
        erased = rpc.customers.erase_customer(customer["id"])
        assert erased["dead_letters_redacted"] == 1 and erased["events_redacted"] >= 1
        for call in (rpc.customers.get_customer, rpc.customers.export_customer):
            with pytest.raises(NotFound):
                call(customer["id"])
        assert rpc.customers.search_customers({"q": "helene"})["items"] == []
        assert rpc.customers.search_customers({"q": "0612"})["items"] == []

    # Neither the outbox (published or not) nor the dead letters hold her data any more;
    # the erasure's own customer_updated carries none either.
    def published_erasure() -> bool:
        return any('"effacé"' in p and "customer_updated" in p for p in outbox_payloads(test_settings, customer["id"]))

    wait_until(published_erasure)
    for payload in outbox_payloads(test_settings, customer["id"]):
        assert "durand" not in payload.lower() and "hélène" not in payload.lower() and "06 12" not in payload, payload
    with Connection(amqp_uri) as connection, connection.channel() as channel:
        queue = dead_letter_queue(subscription)(channel)
        bodies, authentic = [], []
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
            authentic.append(SIGNER.event_is_authentic(bodies[-1], message.headers))
    assert sorted(b["data"]["customer_id"] for b in bodies) == sorted([customer["id"], other["data"]["customer_id"]])
    mine = next(b for b in bodies if b["data"]["customer_id"] == customer["id"])
    assert (mine["data"]["display_name"], mine["data"]["email"]) == ("effacé", None)
    theirs = next(b for b in bodies if b["data"]["customer_id"] != customer["id"])
    assert theirs["data"]["display_name"] == "DURAND Hélène"  # another customer's letter is left alone
    # Hers, signed, is signed again once redacted (still replayable); an unsigned one is not.
    assert (authentic[bodies.index(mine)], authentic[bodies.index(theirs)]) == (True, False)
