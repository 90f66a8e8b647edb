"""Failures the platform must survive: consumers down, a crash mid-stream, a handler
that keeps failing. Inventory runs as a real process here, so it can be killed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import eventlet
import psycopg
import pytest
from sqlalchemy.engine import make_url

from bassin_common import deadletters
from bassin_common.database import make_engine, make_session_factory, psycopg_conninfo
from bassin_common.events import Event
from bassin_common.outbox import OutboxPublisher
from bassin_common.tenancy import RequestContext
from bassin_common.testing import publish_event, wait_until
from bassin_common.uow import UnitOfWork
from conftest import Company, Stack, wait_for_till

SALE_QUEUE = "evt-pos-sale_completed--inventory.on_sale_completed"


def vhost_of(amqp_uri: str) -> str:
    return amqp_uri.rsplit("/", 1)[1]


def queue_depth(rabbit_manager: Any, amqp_uri: str, name: str) -> int:
    queues = {q["name"]: q for q in rabbit_manager.get_queues(vhost_of(amqp_uri))}
    return queues.get(name, {}).get("messages", 0)


def handlers_mid_transaction(database_url: str) -> int:
    """Inventory handlers sleeping in the test's trigger: inside a transaction, not yet acked."""
    database = make_url(database_url).database
    with psycopg.connect(psycopg_conninfo(database_url, "postgres")) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event = 'PgSleep'", (database,)
        ).fetchone()[0]


def sale_movements(company: Company) -> list[dict[str, Any]]:
    """The article's sale movements, oldest first (the ledger lists the newest first)."""
    ledger = company.every(f"/api/v1/inventory/articles/{company.article['id']}/movements")
    return [m for m in reversed(ledger) if m["reason"] == "sale"]


@pytest.fixture
def pos_stack(gateway_app, installed, service_config, runner_factory) -> Stack:
    """Gateway and pos in this process; inventory is the test's to start and stop."""
    from pos.service import PosService

    runner_factory(service_config, PosService).start()
    app, settings, sessions = gateway_app
    return Stack(settings, app.test_client(), sessions)


def seed_inventory_directly(stack: Stack, tenant_id: uuid.UUID) -> dict[str, Any]:
    """Create the shop and the article with inventory's own use cases, without its
    service ever running, then relay its outbox once (as its relay would have)."""
    from inventory import schemas, usecases

    engine = make_engine(stack.settings.service_database_url("inventory"), pool_size=1)
    context = RequestContext(tenant_id, "seed", frozenset({"manager"}))
    with UnitOfWork(make_session_factory(engine), context, "inventory") as uow:
        location = {"code": "MAG", "name": "Magasin", "kind": "shop"}
        shop = usecases.create_location(uow, schemas.LocationInput().load(location))
        article = {
            "sku": "CHL-GAL-5KG",
            "name": "Chlore lent galets 5 kg",
            "purchase_price": "24.00",
            "sale_price": "39.90",
            "vat_rate": "20.00",
            "stock": [{"location_id": str(shop.id), "quantity": 1000, "minimum": 0, "maximum": 0}],
        }
        # Through the RPC's own schema, as the service would have received it.
        article = usecases.create_article(uow, schemas.ArticleInput().load(article))
        ids = {"shop": {"id": str(shop.id)}, "article": {"id": str(article.id)}}
    # The stack's settings carry its context key: the events must be signed as inventory would.
    OutboxPublisher(engine, stack.settings.amqp_uri, batch_size=100, settings=stack.settings).publish_pending()
    engine.dispose()
    return ids


def test_events_wait_for_a_consumer_that_never_started_or_is_stopped(
    pos_stack: Stack, service_process, rabbit_manager
) -> None:
    tenant_id, _, token = pos_stack.new_tenant()
    company = Company(tenant_id, pos_stack.client, token, **seed_inventory_directly(pos_stack, tenant_id))
    wait_for_till(tenant_id, company.article["id"])
    amqp_uri = pos_stack.settings.amqp_uri

    # Inventory has never run on this broker: the sale waits in its queue.
    assert company.post("/api/v1/pos/sales", json=company.sale_payload()).status_code == 201
    wait_until(lambda: queue_depth(rabbit_manager, amqp_uri, SALE_QUEUE) == 1)
    inventory = service_process("inventory")
    inventory.start()
    inventory.wait_ready()
    wait_until(lambda: company.shop_quantity() == 999)

    # Stopped (SIGTERM): the next sale waits again, and is applied on restart.
    inventory.stop()
    assert company.post("/api/v1/pos/sales", json=company.sale_payload(2)).status_code == 201
    wait_until(lambda: queue_depth(rabbit_manager, amqp_uri, SALE_QUEUE) == 1)
    inventory.start()
    inventory.wait_ready()
    wait_until(lambda: company.shop_quantity() == 997)
    assert [m["delta"] for m in sale_movements(company)] == [-1, -2]


def test_sigkill_during_a_stream_of_100_sales_applies_each_exactly_once(pos_stack: Stack, service_process) -> None:
    inventory = service_process("inventory")
    inventory.start()
    inventory.wait_ready()
    company = pos_stack.new_company(stock=1000, minimum=0, maximum=0)
    # Each sale takes inventory 50 ms inside its transaction, so the kill lands while
    # handlers are mid-flight: committed-but-unacked and uncommitted work both exist.
    inventory_url = pos_stack.settings.service_database_url("inventory")
    slow = f"slow_{company.tenant_id.hex}"
    with psycopg.connect(psycopg_conninfo(inventory_url), autocommit=True) as conn:
        conn.execute(
            f"""CREATE FUNCTION {slow}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$;
                CREATE TRIGGER {slow} BEFORE INSERT ON stock_movements FOR EACH ROW
                WHEN (NEW.tenant_id = '{company.tenant_id}') EXECUTE FUNCTION {slow}();"""
        )

    def sell(index: int) -> str:
        if index == 30:
            wait_until(lambda: handlers_mid_transaction(inventory_url) > 0)
            inventory.kill()  # SIGKILL, mid-stream, handlers in flight: no chance to ack or clean up
        response = company.post("/api/v1/pos/sales", json=company.sale_payload())
        assert response.status_code == 201
        return response.get_json()["id"]

    sale_ids = list(eventlet.GreenPool(10).imap(sell, range(100)))
    inventory.start()
    inventory.wait_ready()
    wait_until(lambda: company.shop_quantity() <= 900, timeout=60)
    assert company.shop_quantity() == 900
    references = [m["reference"] for m in sale_movements(company)]
    assert sorted(references) == sorted(sale_ids)  # every sale once, none twice


def test_a_failing_handler_is_dead_lettered_then_replayed_once_fixed(stack: Stack, rabbit_manager) -> None:
    company = stack.new_company()
    amqp_uri = stack.settings.amqp_uri
    conninfo = psycopg_conninfo(stack.settings.service_database_url("inventory"))
    trigger = f"reject_{company.tenant_id.hex}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # A broken database rule, for this tenant only: every attempt fails.
        conn.execute(
            f"""CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'ledger refused by a broken rule'; END $$;
                CREATE TRIGGER {trigger} BEFORE INSERT ON stock_movements FOR EACH ROW
                WHEN (NEW.tenant_id = '{company.tenant_id}') EXECUTE FUNCTION {trigger}();"""
        )
    try:
        sale = company.post("/api/v1/pos/sales", json=company.sale_payload()).get_json()
        wait_until(lambda: queue_depth(rabbit_manager, amqp_uri, SALE_QUEUE + ".dead") == 1)
        letters = [json.loads(line) for line in _cli(["list"], amqp_uri).splitlines()]
        assert len(letters) == 1
        assert letters[0]["event_type"] == "sale_completed"
        assert letters[0]["attempts"] == 3  # the first try and two retries
        assert "ledger refused by a broken rule" in letters[0]["error"]
        assert company.shop_quantity() == 1000
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger} ON stock_movements; DROP FUNCTION IF EXISTS {trigger}();")

    assert "replayed 1 message" in _cli(["replay", "--queue", SALE_QUEUE], amqp_uri)
    wait_until(lambda: company.shop_quantity() == 999)
    assert [m["reference"] for m in sale_movements(company)] == [sale["id"]]
    assert "replayed 0 message" in _cli(["replay", "--all"], amqp_uri)


def test_a_malformed_event_goes_straight_to_the_dead_letters(stack: Stack, rabbit_manager) -> None:
    company = stack.new_company()
    amqp_uri = stack.settings.amqp_uri
    bad = Event("sale_completed", company.tenant_id, "pos", data={"sale_id": "not-a-uuid", "lines": []})
    publish_event(amqp_uri, bad)
    wait_until(lambda: queue_depth(rabbit_manager, amqp_uri, SALE_QUEUE + ".dead") == 1)
    # Every consumer of sale_completed sets it aside (inventory, customers): inventory's is read.
    letters = [json.loads(line) for line in _cli(["list"], amqp_uri).splitlines()]
    [letter] = [letter for letter in letters if letter["queue"].startswith(SALE_QUEUE)]
    assert letter["event_id"] == str(bad.event_id)
    assert letter["attempts"] == 1  # not retried: it can never succeed
    assert "malformed sale_completed" in letter["error"]


def _cli(args: list[str], amqp_uri: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert deadletters.main(["--amqp-uri", amqp_uri, *args]) == 0
    return out.getvalue()


def test_an_undecodable_message_is_dead_lettered_not_dropped(stack: Stack, rabbit_manager) -> None:
    from kombu import Connection

    amqp_uri = stack.settings.amqp_uri
    stack.new_company()  # the services are up and consuming
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(
            b"{not json",
            routing_key=SALE_QUEUE,
            exchange="",
            content_type="application/json",
            content_encoding="utf-8",
        )
    wait_until(lambda: queue_depth(rabbit_manager, amqp_uri, SALE_QUEUE + ".dead") == 1)
    # Every consumer of sale_completed sets it aside (inventory, customers): inventory's is read.
    letters = [json.loads(line) for line in _cli(["list"], amqp_uri).splitlines()]
    [letter] = [letter for letter in letters if letter["queue"].startswith(SALE_QUEUE)]
    assert "undecodable message" in letter["error"]
