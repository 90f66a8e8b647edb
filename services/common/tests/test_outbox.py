"""The outbox relay: replicas share the rows and never publish one twice."""

from __future__ import annotations

import uuid

import eventlet
from common_test_models import WIDGET_MADE
from kombu import Connection, Queue
from sqlalchemy import text

from bassin_common.database import make_engine
from bassin_common.outbox import OutboxPublisher
from bassin_common.tenancy import RequestContext
from bassin_common.topology import event_exchange
from bassin_common.uow import UnitOfWork

EVENTS = 400


def emit_widgets(sessions, count: int) -> tuple[uuid.UUID, set[str]]:
    tenant = uuid.uuid4()
    with UnitOfWork(sessions, RequestContext(tenant), "tests") as uow:
        for n in range(count):
            uow.emit(WIDGET_MADE, {"widget_id": uuid.uuid4(), "name": f"W-{n}"})
    return tenant, {str(event.event_id) for event in uow.emitted}


def test_two_relays_publish_every_row_exactly_once(sessions, platform_database, service_config) -> None:
    amqp_uri = service_config["AMQP_URI"]
    _, emitted = emit_widgets(sessions, EVENTS)
    queue = Queue("test.outbox", exchange=event_exchange("tests"), routing_key="widget_made")
    with Connection(amqp_uri) as connection:
        event_exchange("tests")(connection.default_channel).declare()
        queue(connection.default_channel).declare()

    # Small batches so that both replicas are claiming rows at the same time.
    engine = make_engine(platform_database, pool_size=4)
    replicas = [OutboxPublisher(engine, amqp_uri, batch_size=10) for _ in range(2)]
    published = [0, 0]

    def relay(index: int) -> None:
        while (count := replicas[index].publish_pending()) > 0:
            published[index] += count

    threads = [eventlet.spawn(relay, index) for index in range(2)]
    for thread in threads:
        thread.wait()
    engine.dispose()

    received = []
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            received.append(message.payload["event_id"])
    assert sum(published) == EVENTS
    assert all(published), f"one replica did all the work: {published}"
    assert len(received) == EVENTS and set(received) == emitted


def test_rows_confirmed_before_a_failure_are_not_published_again(sessions, platform_database, service_config) -> None:
    tenant, _ = emit_widgets(sessions, 5)

    class BrokerDiesAfterTwo(OutboxPublisher):
        def _publish(self, rows, confirmed) -> None:
            confirmed.extend(row.id for row in rows[:2])
            raise ConnectionError("broker went away")

    engine = make_engine(platform_database, pool_size=2)
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
