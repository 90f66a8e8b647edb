"""The outbox relay: replicas share the rows and never publish one twice."""

from __future__ import annotations

import uuid

import eventlet
from kombu import Connection, Queue
from sqlalchemy import text

from bassin_common.db import UnitOfWork, make_engine, make_session_factory
from bassin_common.outbox import OutboxPublisher
from bassin_common.tenancy import TENANT_KEY, RequestContext
from bassin_common.topology import declare_topology, event_exchange

EVENTS = 400


def test_two_relays_publish_every_row_exactly_once(migrate, test_settings, service_config) -> None:
    migrate("inventory")
    amqp_uri = service_config["AMQP_URI"]
    engine = make_engine(test_settings.service_database_url("inventory"), pool_size=4)
    tenant = uuid.uuid4()
    with make_session_factory(engine)(info={TENANT_KEY: tenant}) as session:
        uow = UnitOfWork(session, RequestContext(tenant), "inventory", "test")
        emitted = {str(uow.emit("stock_level_changed", {"n": n}).event_id) for n in range(EVENTS)}
        uow.commit()

    queue = Queue("test.outbox", exchange=event_exchange("inventory"), routing_key="stock_level_changed")
    with Connection(amqp_uri) as connection:
        declare_topology(connection, 2)
        queue(connection.default_channel).declare()

    # Small batches so that both replicas are claiming rows at the same time.
    replicas = [OutboxPublisher(engine, amqp_uri, batch_size=10) for _ in range(2)]
    published = [0, 0]

    def relay(index: int) -> None:
        while (count := replicas[index].publish_pending()) > 0:
            published[index] += count

    threads = [eventlet.spawn(relay, index) for index in range(2)]
    for thread in threads:
        thread.wait()

    received = []
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            received.append(message.payload["event_id"])
    engine.dispose()

    assert sum(published) == EVENTS
    assert all(published), f"one replica did all the work: {published}"
    assert len(received) == EVENTS and set(received) == emitted


def test_rows_confirmed_before_a_failure_are_not_published_again(migrate, test_settings) -> None:
    migrate("inventory")
    engine = make_engine(test_settings.service_database_url("inventory"), pool_size=2)
    tenant = uuid.uuid4()
    with make_session_factory(engine)(info={TENANT_KEY: tenant}) as session:
        uow = UnitOfWork(session, RequestContext(tenant), "inventory", "test")
        for n in range(5):
            uow.emit("stock_level_changed", {"n": n})
        uow.commit()

    class BrokerDiesAfterTwo(OutboxPublisher):
        def _publish(self, rows, confirmed) -> None:
            confirmed.extend(row.id for row in rows[:2])
            raise ConnectionError("broker went away")

    try:
        BrokerDiesAfterTwo(engine, "pyamqp://unused", batch_size=10).publish_pending()
    except ConnectionError:
        pass
    else:
        raise AssertionError("the failure must reach the relay loop (it backs off and retries)")
    # Only this test's rows: earlier tests' rows may share this outbox.
    counting = text(
        "SELECT count(*) FROM outbox WHERE payload->>'tenant_id' = :t AND (published_at IS NULL) = :pending"
    )
    with engine.connect() as conn:
        sent = conn.scalar(counting, {"t": str(tenant), "pending": False})
        pending = conn.scalar(counting, {"t": str(tenant), "pending": True})
    engine.dispose()
    assert (sent, pending) == (2, 3)
