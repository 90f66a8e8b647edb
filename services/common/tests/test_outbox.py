"""The outbox relay: replicas share the rows and never publish one twice; a row the broker
refuses is set aside after a few attempts, without holding back the others, and replayed
by an operator; the relay comes back quickly after a failure, and keeps its database tidy."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import eventlet
import pytest
from common_test_models import PLATFORM_TESTS, WIDGET_MADE, WidgetIn, WidgetOut
from eventlet.event import Event as GreenEvent
from kombu import Connection, Queue
from sqlalchemy import text

from bassin_common import outbox
from bassin_common.config import Settings
from bassin_common.database import make_engine, psycopg_conninfo
from bassin_common.faults import is_transient
from bassin_common.outbox import OutboxPublisher, OutboxRelay
from bassin_common.permissions import MANAGE_STOCK
from bassin_common.service import BassinService, Database, rpc
from bassin_common.tenancy import RequestContext
from bassin_common.testing import recorded_statements, rpc_client, wait_until
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
        def _publish(self, rows, confirmed, refused) -> None:
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


# --- rows the broker refuses -----------------------------------------------------------------


def emit_one(sessions, producer: str, tenant: uuid.UUID) -> str:
    with UnitOfWork(sessions, RequestContext(tenant), producer) as uow:
        uow.emit(WIDGET_MADE, {"widget_id": uuid.uuid4(), "name": producer})
    return str(uow.emitted[0].event_id)


def drain(amqp_uri: str, queue: Queue) -> list[str]:
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        received = []
        while (message := bound.get(no_ack=True)) is not None:
            received.append(message.payload["event_id"])
        return received


def outbox_row(engine, event_id: str) -> tuple[int, bool, bool, str | None]:
    query = "SELECT attempts, set_aside_at IS NOT NULL, published_at IS NOT NULL, last_error FROM outbox"
    with engine.connect() as conn:
        return tuple(conn.execute(text(f"{query} WHERE event_id = :e"), {"e": event_id}).one())


def test_a_row_the_broker_refuses_is_set_aside_without_holding_back_the_others_then_replayed(
    sessions, platform_database, service_config, test_settings, monkeypatch, capsys
) -> None:
    amqp_uri, tenant = service_config["AMQP_URI"], uuid.uuid4()
    kept = Queue("test.kept", exchange=event_exchange("tests"), routing_key="widget_made")
    doomed = Queue("test.doomed", exchange=event_exchange("doomed"), routing_key="widget_made")
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        kept(channel).declare()
        doomed(channel).declare()
        channel.exchange_delete("doomed.events")  # deleted by hand
    before = emit_one(sessions, "tests", tenant)
    poison = emit_one(sessions, "doomed", tenant)
    after = emit_one(sessions, "tests", tenant)

    engine = make_engine(platform_database, pool_size=2)
    publisher = OutboxPublisher(engine, amqp_uri, batch_size=10, settings=Settings(outbox_max_attempts=3))
    assert publisher.publish_pending() == 2  # the rows on either side of the refused one
    assert drain(amqp_uri, kept) == [before, after]
    attempts, set_aside, published, error = outbox_row(engine, poison)
    assert (attempts, set_aside, published) == (1, False, False)
    assert "NOT_FOUND" in error and "doomed.events" in error
    assert [publisher.publish_pending() for _ in range(3)] == [0, 0, 0]
    assert outbox_row(engine, poison)[:3] == (3, True, False)  # set aside at the third refusal: not tried again

    # The operator sees it, restores the exchange and replays it.
    monkeypatch.setenv("BASSIN_DATABASE_PREFIX", test_settings.database_prefix)
    monkeypatch.setattr("bassin_common.registry.find_service", lambda name: SimpleNamespace(name=name))
    assert outbox.main(["--service", PLATFORM_TESTS, "list"]) == 0
    [listed] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (listed["event_id"], listed["exchange"], listed["attempts"]) == (poison, "doomed.events", 3)
    assert listed["tenant_id"] == str(tenant) and "NOT_FOUND" in listed["last_error"]
    with Connection(amqp_uri) as connection:
        doomed(connection.default_channel).declare()
    assert outbox.main(["--service", PLATFORM_TESTS, "replay", "--event-id", poison]) == 0
    assert outbox_row(engine, poison) == (0, False, False, None)
    assert publisher.publish_pending() == 1
    assert drain(amqp_uri, doomed) == [poison]
    assert outbox.set_aside(engine) == []
    engine.dispose()


def test_a_lost_broker_counts_no_attempt_against_the_rows(sessions, platform_database, service_config) -> None:
    emit_one(sessions, "tests", uuid.uuid4())
    engine = make_engine(platform_database, pool_size=2)
    publisher = OutboxPublisher(engine, "pyamqp://guest:guest@127.0.0.1:1/", batch_size=10)  # nothing listens
    for _ in range(3):
        with pytest.raises(Exception) as failure:
            publisher.publish_pending()
        assert is_transient(failure.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT max(attempts), count(set_aside_at) FROM outbox")).one() == (0, 0)
    engine.dispose()


def test_the_relay_backs_off_at_most_outbox_max_backoff(platform_database, monkeypatch) -> None:
    relay = OutboxRelay()
    relay.settings = Settings(outbox_poll_interval=0.5, outbox_max_backoff=2.0)
    relay.listen_conninfo = psycopg_conninfo(platform_database)
    relay._declared, relay._stopping = True, False
    waits: list[float] = []

    class BrokerAway:
        batch_size = 10
        handed = 0
        calls = 0

        def publish_pending(self) -> int:
            self.calls += 1
            if self.calls <= 5:
                raise ConnectionRefusedError(111, "Connection refused")
            relay._stopping = True  # back: one batch, then the test ends
            return 0

        def housekeeping(self) -> None:
            pass

    relay.publisher = BrokerAway()
    monkeypatch.setattr("bassin_common.outbox.eventlet.sleep", waits.append)
    relay._run()
    assert waits == [0.5, 1.0, 2.0, 2.0, 2.0]


def test_housekeeping_purges_what_outlived_its_retention_in_every_tenant(
    sessions, owner_sessions, platform_database, test_settings
) -> None:
    tenant = uuid.uuid4()
    old_event, new_event = uuid.uuid4(), uuid.uuid4()
    published = [emit_one(sessions, "tests", tenant) for _ in range(2)]
    with owner_sessions() as session:
        ages = [("8 days", published[0]), ("6 days", published[1])]
        for age, event_id in ages:
            query = f"UPDATE outbox SET published_at = now() - interval '{age}' WHERE event_id = :e"
            session.execute(text(query), {"e": event_id})
        session.execute(
            text(
                "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES "
                "('tests.old', :old, now() - interval '31 days'), ('tests.new', :new, now() - interval '29 days')"
            ),
            {"old": old_event, "new": new_event},
        )
        session.execute(
            text(
                "INSERT INTO processed_requests (tenant_id, rpc, request_id, fingerprint, created_at) VALUES "
                "(:t, 'make', 'old', 'f', now() - interval '8 days'), "
                "(:t, 'make', 'new', 'f', now() - interval '6 days')"
            ),
            {"t": tenant},
        )
        session.commit()
    engine = make_engine(platform_database, pool_size=1, role=test_settings.database_role)  # as the relay
    OutboxPublisher(engine, "pyamqp://unused", batch_size=10).housekeeping()  # defaults: 7 and 30 days
    engine.dispose()
    with owner_sessions() as session:
        left = session.scalars(
            text("SELECT event_id::text FROM outbox WHERE payload->>'tenant_id' = :t"), {"t": str(tenant)}
        )
        assert list(left) == [published[1]]
        claims = session.scalars(text("SELECT consumer FROM processed_events WHERE consumer LIKE 'tests.%'"))
        assert list(claims) == ["tests.new"]
        requests = session.scalars(
            text("SELECT request_id FROM processed_requests WHERE tenant_id = :t"), {"t": tenant}
        )
        assert list(requests) == ["new"]


def test_events_are_recorded_in_their_order_with_the_envelope_the_schema_would_dump(
    sessions, platform_database
) -> None:
    """``record`` writes a unit's events in one statement: each row is the event's envelope,
    exactly as ``EnvelopeSchema`` dumps it (hand-built for speed), in emission order."""
    from bassin_common.events import EnvelopeSchema, Event

    tenant = uuid.uuid4()
    context = RequestContext(tenant, correlation_id="corr-42")
    with UnitOfWork(sessions, context, "tests") as uow:
        for n in range(5):
            uow.emit(WIDGET_MADE, {"widget_id": uuid.uuid4(), "name": f"Pompe n°{n} — 12 kW"})
    engine = make_engine(platform_database, pool_size=1)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT event_id, routing_key, payload, headers FROM outbox "
                "WHERE payload->>'tenant_id' = :t ORDER BY id"
            ),
            {"t": str(tenant)},
        ).all()
    engine.dispose()
    assert [row.event_id for row in rows] == [event.event_id for event in uow.emitted]
    for row, event in zip(rows, uow.emitted, strict=True):
        assert row.routing_key == "widget_made"
        assert row.payload == EnvelopeSchema().dump(event) == json.loads(json.dumps(event.to_message()))
        assert Event.from_message(row.payload) == event
    assert rows[0].headers == outbox.message_headers(context)


# --- one confirm wait per batch ----------------------------------------------------------------


def test_a_batch_is_published_at_once_and_a_refusal_in_its_middle_holds_only_its_row(
    sessions, platform_database, service_config, monkeypatch
) -> None:
    """A batch goes out on one channel, its confirms awaited together (the one by one path
    is not used); a row the broker refuses in the middle of a batch stays pending with its
    attempt counted, and each of the others is published exactly once, in their order."""
    amqp_uri, tenant = service_config["AMQP_URI"], uuid.uuid4()
    kept = Queue("test.batch.kept", exchange=event_exchange("tests"), routing_key="widget_made")
    full = Queue(
        "test.batch.full",
        exchange=event_exchange("full"),
        routing_key="widget_made",
        queue_arguments={"x-max-length": 0, "x-overflow": "reject-publish"},  # a negative confirm
    )
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        kept(channel).declare()
        full(channel).declare()
        event_exchange("gone")(channel).declare()
        channel.exchange_delete("gone.events")  # a channel error, which names no message
    engine = make_engine(platform_database, pool_size=2)
    publisher = OutboxPublisher(engine, amqp_uri, batch_size=50, settings=Settings(outbox_max_attempts=3))
    drain(amqp_uri, kept)
    publisher.publish_pending()  # earlier tests' rows, if any, out of the way

    one_by_one = []
    original = OutboxPublisher._publish_one_by_one

    def spy(self, rows, confirmed, refused) -> None:
        one_by_one.append([row.id for row in rows])
        original(self, rows, confirmed, refused)

    monkeypatch.setattr(OutboxPublisher, "_publish_one_by_one", spy)
    clean = [emit_one(sessions, "tests", tenant) for _ in range(4)]
    assert publisher.publish_pending() == 4
    assert one_by_one == [] and drain(amqp_uri, kept) == clean

    nacked_batch = [emit_one(sessions, "tests", tenant) for _ in range(2)]
    nacked = emit_one(sessions, "full", tenant)
    nacked_batch += [emit_one(sessions, "tests", tenant) for _ in range(2)]
    assert publisher.publish_pending() == 4
    assert one_by_one == []  # a negative confirm names its row
    assert drain(amqp_uri, kept) == nacked_batch
    assert outbox_row(engine, nacked)[:3] == (1, False, False)

    closed_batch = [emit_one(sessions, "tests", tenant) for _ in range(3)]
    closed = emit_one(sessions, "gone", tenant)
    closed_batch += [emit_one(sessions, "tests", tenant) for _ in range(3)]
    assert publisher.publish_pending() == 6
    assert len(one_by_one) == 1  # the rows the closed channel left unconfirmed
    assert drain(amqp_uri, kept) == closed_batch  # each once, in order
    attempts, set_aside, published, error = outbox_row(engine, closed)
    assert (attempts, set_aside, published) == (1, False, False) and "NOT_FOUND" in error
    assert outbox_row(engine, nacked)[:3] == (2, False, False)  # retried with the second batch
    with Connection(amqp_uri) as connection:
        connection.default_channel.queue_delete("test.batch.full")
    publisher.close()
    engine.dispose()


# --- the lease ------------------------------------------------------------------------------


def test_a_claim_is_a_committed_lease_and_a_relay_dying_mid_batch_leaves_its_rows_until_it_ends(
    sessions, platform_database, service_config
) -> None:
    """No transaction stays open while a batch is published: the claim's lease is already
    committed (seen from another connection). A relay killed mid-batch marks nothing and
    gives nothing back: no other relay takes its rows until their lease has run out, then
    the next claim publishes them."""
    amqp_uri = service_config["AMQP_URI"]
    queue = Queue("test.outbox.lease", exchange=event_exchange("tests"), routing_key="widget_made")
    engine = make_engine(platform_database, pool_size=4)
    with Connection(amqp_uri) as connection:
        queue(connection.default_channel).declare()
    OutboxPublisher(engine, amqp_uri, batch_size=100).publish_pending()  # earlier tests' rows out of the way
    tenant, emitted = emit_widgets(sessions, 3)
    leased = text("SELECT count(*) FROM outbox WHERE payload->>'tenant_id' = :t AND leased_until > now()")
    seen_leased = []

    class KilledMidBatch(OutboxPublisher):
        def _publish(self, rows, confirmed, refused) -> None:
            with engine.connect() as observer:
                seen_leased.append(observer.scalar(leased, {"t": str(tenant)}))
            raise eventlet.greenlet.GreenletExit  # what killing the relay's green thread raises

    with pytest.raises(eventlet.greenlet.GreenletExit):
        KilledMidBatch(engine, amqp_uri, batch_size=10).publish_pending()
    assert seen_leased == [3]
    other = OutboxPublisher(engine, amqp_uri, batch_size=10)
    assert other.lease_seconds() > Settings().amqp_confirm_timeout
    assert other.publish_pending() == 0 and drain(amqp_uri, queue) == []
    with engine.begin() as conn:  # the lease runs out
        conn.execute(
            text("UPDATE outbox SET leased_until = now() - interval '1 second' WHERE leased_until IS NOT NULL")
        )
    assert other.publish_pending() == 3
    assert set(drain(amqp_uri, queue)) == emitted
    with engine.connect() as conn:
        assert conn.scalar(leased, {"t": str(tenant)}) == 0
    engine.dispose()


# --- the writer's relay publishes its own rows -----------------------------------------------

LEASED = text("SELECT count(*) FROM outbox WHERE payload->>'tenant_id' = :t AND leased_until > now()")
MARK = "UPDATE outbox SET published_at"


def handing_publisher(engine, amqp_uri: str, **settings) -> OutboxPublisher:
    """A relay's publisher whose own poll is not due during the test (claims only once)."""
    publisher = OutboxPublisher(engine, amqp_uri, batch_size=10, settings=Settings(outbox_poll_interval=60, **settings))
    publisher.publish_pending()  # earlier tests' rows, if any, out of the way; its poll is done
    return publisher


def widgets_for(relay, count: int, tenant: uuid.UUID | None = None, sessions=None) -> list[str]:
    with UnitOfWork(sessions, RequestContext(tenant or uuid.uuid4()), "tests", relay) as uow:
        for n in range(count):
            uow.emit(WIDGET_MADE, {"widget_id": uuid.uuid4(), "name": f"W-{n}"})
    return [str(event.event_id) for event in uow.emitted]


@pytest.fixture
def handoff_queue(service_config) -> Queue:
    queue = Queue("test.outbox.handoff", exchange=event_exchange("tests"), routing_key="widget_made")
    with Connection(service_config["AMQP_URI"]) as connection:
        event_exchange("tests")(connection.default_channel).declare()
        queue(connection.default_channel).declare()
    drain(service_config["AMQP_URI"], queue)
    return queue


def test_a_unit_of_work_hands_its_committed_rows_to_its_relay_which_publishes_them_without_a_claim(
    sessions, platform_database, service_config, handoff_queue
) -> None:
    """The rows are written leased (no other relay's claim takes them) and handed over once
    committed; the relay's batch is then one statement, the mark, and the events go out in
    their order."""
    amqp_uri, tenant = service_config["AMQP_URI"], uuid.uuid4()
    engine = make_engine(platform_database, pool_size=2)
    publisher = handing_publisher(engine, amqp_uri)
    emitted = widgets_for(publisher, 3, tenant, sessions)
    assert publisher.handed == 3
    with engine.connect() as observer:
        assert observer.scalar(LEASED, {"t": str(tenant)}) == 3
    assert OutboxPublisher(engine, amqp_uri, batch_size=10).publish_pending() == 0  # another replica's claim
    with recorded_statements(engine) as statements:
        assert publisher.publish_pending() == 3
    assert len(statements) == 1 and statements[0].startswith(MARK)
    assert drain(amqp_uri, handoff_queue) == emitted
    with engine.connect() as conn:
        pending = text("SELECT count(*) FROM outbox WHERE payload->>'tenant_id' = :t AND published_at IS NULL")
        assert conn.scalar(pending, {"t": str(tenant)}) == 0
        assert conn.scalar(LEASED, {"t": str(tenant)}) == 0
    publisher.close()
    engine.dispose()


def test_a_rolled_back_unit_of_work_hands_nothing(sessions, platform_database, service_config) -> None:
    tenant = uuid.uuid4()
    engine = make_engine(platform_database, pool_size=2)
    publisher = handing_publisher(engine, service_config["AMQP_URI"])
    with pytest.raises(RuntimeError), UnitOfWork(sessions, RequestContext(tenant), "tests", publisher) as uow:
        uow.emit(WIDGET_MADE, {"widget_id": uuid.uuid4(), "name": "never"})
        raise RuntimeError("the use case failed")
    assert publisher.handed == 0
    with engine.connect() as conn:
        assert (
            conn.scalar(text("SELECT count(*) FROM outbox WHERE payload->>'tenant_id' = :t"), {"t": str(tenant)}) == 0
        )
    engine.dispose()


def test_rows_handed_to_a_relay_that_dies_before_publishing_go_to_another_relay_after_their_lease(
    sessions, platform_database, service_config, handoff_queue
) -> None:
    amqp_uri, tenant = service_config["AMQP_URI"], uuid.uuid4()
    engine = make_engine(platform_database, pool_size=2)
    dead = handing_publisher(engine, amqp_uri)
    emitted = widgets_for(dead, 3, tenant, sessions)
    assert dead.handed == 3  # and the process dies: nothing published, nothing given back
    other = OutboxPublisher(engine, amqp_uri, batch_size=10)
    assert other.publish_pending() == 0 and drain(amqp_uri, handoff_queue) == []
    with engine.begin() as conn:  # the lease runs out
        conn.execute(
            text("UPDATE outbox SET leased_until = now() - interval '1 second' WHERE payload->>'tenant_id' = :t"),
            {"t": str(tenant)},
        )
    assert other.publish_pending() == 3
    assert drain(amqp_uri, handoff_queue) == emitted
    other.close()
    engine.dispose()


def test_rows_a_relay_could_not_publish_within_their_lease_are_given_back_and_claimed_in_order(
    sessions, platform_database, service_config, handoff_queue
) -> None:
    """A relay that fell behind its handed rows (their lease could run out before their
    confirm) gives them back and claims them again, with a fresh lease."""
    amqp_uri = service_config["AMQP_URI"]
    engine = make_engine(platform_database, pool_size=2)
    late = handing_publisher(engine, amqp_uri, outbox_lease_margin=0)  # late as soon as handed
    emitted = widgets_for(late, 2, sessions=sessions) + widgets_for(late, 2, sessions=sessions)
    with recorded_statements(engine) as statements:
        assert late.publish_pending() == 4
    assert [statement.split()[0] for statement in statements] == ["UPDATE"] * 3  # give back, claim, mark
    assert "SKIP LOCKED" in statements[1] and statements[2].startswith(MARK)
    assert drain(amqp_uri, handoff_queue) == emitted and late.handed == 0
    late.close()
    engine.dispose()


def test_rows_that_would_not_fit_one_batch_and_rows_of_a_unit_without_a_relay_are_written_free(
    sessions, platform_database, service_config, handoff_queue
) -> None:
    amqp_uri = service_config["AMQP_URI"]
    engine = make_engine(platform_database, pool_size=2)
    publisher = handing_publisher(engine, amqp_uri)
    tenants = [uuid.uuid4(), uuid.uuid4()]
    emitted = widgets_for(publisher, 11, tenants[0], sessions)  # its batch is 10
    emitted += widgets_for(None, 1, tenants[1], sessions)
    assert publisher.handed == 0
    with engine.connect() as conn:
        assert [conn.scalar(LEASED, {"t": str(tenant)}) for tenant in tenants] == [0, 0]
    other = OutboxPublisher(engine, amqp_uri, batch_size=100)
    assert other.publish_pending() == 12
    assert drain(amqp_uri, handoff_queue) == emitted
    other.close()
    publisher.close()
    engine.dispose()


def test_a_stopping_relay_publishes_the_rows_handed_to_it_before_it_ends(
    sessions, platform_database, service_config, handoff_queue
) -> None:
    """Graceful shutdown: the last workers' rows, handed after the relay was told to stop,
    are still published by it."""
    amqp_uri = service_config["AMQP_URI"]
    engine = make_engine(platform_database, pool_size=2)
    relay = OutboxRelay()
    relay.settings = Settings(outbox_poll_interval=60)
    relay.publisher = handing_publisher(engine, amqp_uri)
    relay._declared, relay._woken, relay._stopping = True, GreenEvent(), True
    emitted = widgets_for(relay, 2, sessions=sessions)
    relay._run()  # returns once they are published
    assert drain(amqp_uri, handoff_queue) == emitted and relay.publisher.handed == 0
    relay.publisher.close()
    engine.dispose()


# --- in a service: the relay's connection, the handoff ---------------------------------------


class HandingService(BassinService):
    name = PLATFORM_TESTS  # its database is the platform tests'

    @rpc(requires=MANAGE_STOCK, accepts=WidgetIn, returns=WidgetOut)
    def make(self, uow: UnitOfWork, widget: dict) -> dict:
        made = {"widget_id": uuid.uuid4(), "name": widget["name"]}
        uow.emit(WIDGET_MADE, made)
        return {"id": made["widget_id"], "name": made["name"]}


def handing_service(container_factory, service_config) -> tuple[OutboxRelay, Database]:
    container = container_factory(HandingService, service_config)
    container.start()
    [relay] = [d for d in container.dependencies if isinstance(d, OutboxRelay)]
    [database] = [d for d in container.dependencies if isinstance(d, Database)]
    return relay, database


def test_the_relay_s_connection_commits_asynchronously_and_a_business_transaction_does_not(
    platform_database, service_config, container_factory, tenant_id
) -> None:
    """Losing the relay's last statements in a crash of PostgreSQL only republishes rows or
    frees their lease early; a business transaction's commit still waits for the disk."""
    relay, database = handing_service(container_factory, service_config)
    show = text("SHOW synchronous_commit")
    with relay.engine.connect() as conn:
        assert conn.scalar(show) == "off"
    with UnitOfWork(database.sessions, RequestContext(tenant_id), PLATFORM_TESTS) as uow:
        assert uow.session.scalar(show) == "on"


def test_in_a_service_the_relay_publishes_an_rpc_s_events_with_its_mark_as_only_statement(
    platform_database, service_config, container_factory, tenant_id, monkeypatch
) -> None:
    monkeypatch.setenv("BASSIN_OUTBOX_POLL_INTERVAL", "60")  # no poll during the test
    amqp_uri = service_config["AMQP_URI"]
    queue = Queue("test.outbox.service", exchange=event_exchange(PLATFORM_TESTS), routing_key="widget_made")
    relay, _ = handing_service(container_factory, service_config)
    with Connection(amqp_uri) as connection:
        queue(connection.default_channel).declare()
    with rpc_client(tenant_id) as client:
        client.platform_tests.make({"name": "warm-up"})  # the relay's first batch, its poll, are behind
        wait_until(lambda: drain(amqp_uri, queue))
        with recorded_statements(relay.engine) as statements:
            made = client.platform_tests.make({"name": "W-1"})
            [event_id] = wait_until(lambda: drain(amqp_uri, queue))
            wait_until(lambda: statements)
    assert len(statements) == 1 and statements[0].startswith(MARK)
    assert event_id and made["name"] == "W-1"
