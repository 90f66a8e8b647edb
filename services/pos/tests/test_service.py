"""The pos service in a real nameko container, on PostgreSQL and RabbitMQ.

Covered: who may record and read sales over RPC (cashier, technician, customer, partner,
a call without a tenant); inventory's ``article_created`` and ``location_created``
delivered three times are kept once, each delivery handled without error, and a later
``article_created`` updates the till's copy; a sale recorded over RPC (even twice with
the same request id) writes one ``sale_completed`` to pos's outbox.
"""

from __future__ import annotations

import uuid
from typing import Any

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, text

from bassin_common.errors import Conflict, DomainError, Forbidden, ValidationFailed
from bassin_common.events import Event
from bassin_common.testing import publish_event, rpc_client
from pos import usecases

FromInventory = Any  # the conftest's class, reached through the ``inventory`` fixture
Till = Any


def two_galets(till: Till) -> dict[str, Any]:
    """A sale payload as the gateway sends it: two chlore galets, paid by card."""
    return {
        "lines": [{"article_id": str(till.chlore), "quantity": 2}],
        "payments": [{"method": "card", "amount": "79.80"}],
    }


def as_owner(settings: Any, query: str, **params: Any) -> list[Any]:
    """Rows of pos's test database read as its owner: row-level security does not apply."""
    engine = create_engine(settings.service_database_url("pos"))
    try:
        with engine.connect() as connection:
            return connection.execute(text(query), params).all()
    finally:
        engine.dispose()


def outcome(call: Any, *args: Any) -> Any:
    """What an RPC call returned, or the type of the domain error it raised."""
    try:
        return call(*args)
    except DomainError as error:
        return type(error)


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may_record", "may_read"),
    [("cashier", True, True), ("technician", False, True), ("customer", False, False), ("partner", False, False)],
)
def test_who_may_record_and_read_a_sale(
    pos: ServiceContainer, till: Till, test_settings: Any, role: str, may_record: bool, may_read: bool
) -> None:
    with rpc_client(till.tenant_id, roles=("manager",)) as rpc:
        earlier = rpc.pos.record_sale(two_galets(till))
    with rpc_client(till.tenant_id, roles=(role,), user_id=f"{role}-1") as rpc:
        recorded = outcome(rpc.pos.record_sale, two_galets(till))
        read = outcome(rpc.pos.get_sale, earlier["id"])
    if may_record:
        assert (recorded["total"], recorded["cashier_id"], recorded["location_id"]) == (
            "79.80",
            f"{role}-1",
            str(till.shop),
        )
    else:
        assert recorded is Forbidden
    assert read == (earlier if may_read else Forbidden)
    tenant_sales = "SELECT count(*) FROM sales WHERE tenant_id = :tenant"
    assert as_owner(test_settings, tenant_sales, tenant=till.tenant_id)[0][0] == (2 if may_record else 1)


def test_a_call_without_a_tenant_is_forbidden(pos: ServiceContainer, till: Till, test_settings: Any) -> None:
    with ClusterRpcClient(context_data={"user_id": "intrus", "roles": ["manager"]}, timeout=30) as rpc:
        assert outcome(rpc.pos.record_sale, two_galets(till)) is Forbidden
        assert outcome(rpc.pos.list_catalogue, {}) is Forbidden
        assert outcome(rpc.pos.list_sales, {}) is Forbidden
    assert as_owner(test_settings, "SELECT count(*) FROM sales WHERE tenant_id = :t", t=till.tenant_id)[0][0] == 0


# --- keeping inventory's catalogue and shops ------------------------------------------------


def deliver(pos: ServiceContainer, handler: str, event: Event, amqp_uri: str, times: int = 1) -> None:
    """Publish ``event`` ``times`` times (as redeliveries would) and wait until pos handled
    each delivery; none may fail (a failure would be retried, then dead-lettered). Counted
    by event, not by worker: deliveries arriving together are applied in one batch."""
    failures: list[Any] = []

    def handled(worker_ctx: Any, _result: Any, exc_info: Any) -> bool:
        failures.extend([exc_info] * len(worker_ctx.args))
        return len(failures) >= times

    with entrypoint_waiter(pos, handler, callback=handled, timeout=20):
        for _ in range(times):
            publish_event(amqp_uri, event)
    assert failures == [None] * times


@pytest.mark.parametrize(
    ("handler", "table", "column", "make_event"),
    [
        ("on_article_created", "catalogue_articles", "sku", lambda inventory: inventory.article()),
        ("on_location_created", "shops", "code", lambda inventory: inventory.location()),
    ],
)
def test_an_event_delivered_three_times_is_kept_once(
    pos: ServiceContainer,
    inventory: FromInventory,
    amqp_uri: str,
    test_settings: Any,
    handler: str,
    table: str,
    column: str,
    make_event: Any,
) -> None:
    event = make_event(inventory)
    deliver(pos, handler, event, amqp_uri, times=3)
    kept = f"SELECT {column} FROM {table} WHERE tenant_id = :tenant"
    assert as_owner(test_settings, kept, tenant=inventory.tenant_id) == [(event.data[column],)]
    claims = "SELECT consumer FROM processed_events WHERE event_id = :event_id"
    assert as_owner(test_settings, claims, event_id=event.event_id) == [(f"pos.{handler}",)]


def test_a_later_article_created_updates_the_till_copy(
    pos: ServiceContainer, inventory: FromInventory, amqp_uri: str
) -> None:
    first = inventory.article()
    deliver(pos, "on_article_created", first, amqp_uri)
    deliver(pos, "on_article_created", inventory.article(first.data["article_id"], sale_price="42.50"), amqp_uri)
    with rpc_client(inventory.tenant_id, roles=("cashier",)) as rpc:
        assert rpc.pos.list_catalogue({}) == {
            "items": [
                {
                    "article_id": first.data["article_id"],
                    "sku": "CHL-GAL-5KG",
                    "name": "Chlore lent galets 5 kg",
                    "sale_price": "42.50",
                    "vat_rate": "20.00",
                    "category": None,
                }
            ],
            "next": None,
        }


# --- the outbox ----------------------------------------------------------------------------


def test_a_sale_writes_one_sale_completed_to_the_outbox(pos: ServiceContainer, till: Till, test_settings: Any) -> None:
    with rpc_client(till.tenant_id, roles=("cashier",), request_id="ticket-0042") as rpc:
        sale = rpc.pos.record_sale(two_galets(till))
        assert rpc.pos.record_sale(two_galets(till)) == sale  # a retry of the same sale
        with pytest.raises(ValidationFailed) as refused:  # the same key for another sale
            rpc.pos.record_sale({**two_galets(till), "payments": [{"method": "cash", "amount": "79.80"}]})
    assert refused.value.errors == {"Idempotency-Key": ["reused with a different request"]}
    recorded = "SELECT id, request_id FROM sales WHERE tenant_id = :tenant"
    assert as_owner(test_settings, recorded, tenant=till.tenant_id) == [(uuid.UUID(sale["id"]), "ticket-0042")]
    written = "SELECT exchange, routing_key, payload FROM outbox WHERE payload->>'tenant_id' = :tenant"
    [(exchange, routing_key, payload)] = as_owner(test_settings, written, tenant=str(till.tenant_id))
    assert (exchange, routing_key, payload["event_type"], payload["producer"]) == (
        "pos.events",
        "sale_completed",
        "sale_completed",
        "pos",
    )
    assert payload["data"]["sale_id"] == sale["id"]
    assert (payload["data"]["location_id"], payload["data"]["total"]) == (str(till.shop), "79.80")
    assert payload["data"]["lines"] == [
        {
            "article_id": str(till.chlore),
            "quantity": 2,
            "unit_price": "39.90",
            "vat_rate": "20.00",
            "discount": "0.00",
            "total": "79.80",
            "serial_number": None,
            "register_on_pool_id": None,
        }
    ]


# --- invoice numbers under concurrency -----------------------------------------------------------


def test_invoice_numbers_stay_gapless_under_50_concurrent_issues(pos: ServiceContainer, uow: Any, till: Till) -> None:
    """50 checked invoices issued at once, each by its own RPC (the service's workers run
    them concurrently, each in its own transaction on PostgreSQL): numbers 1 to 50."""
    customer = uuid.uuid4()
    with uow() as work:
        usecases.keep_customer(
            work, {"customer_id": customer, "kind": "company", "display_name": "Camping Les Pins", "email": None}
        )
    line = {"description": "Entretien", "quantity": "1", "unit_price_excl_vat": "100.00", "vat_rate": "20.00"}
    with rpc_client(till.tenant_id, roles=("office",)) as rpc:
        drafts = [rpc.pos.create_invoice({"customer_id": str(customer), "lines": [line]})["id"] for _ in range(50)]
        for invoice_id in drafts:
            rpc.pos.check_invoice(invoice_id)

    def issue(invoice_id: str) -> str:
        with rpc_client(till.tenant_id, roles=("office",)) as rpc:
            return rpc.pos.issue_invoice(invoice_id)["number"]

    numbers = list(eventlet.GreenPool(50).imap(issue, drafts))
    assert sorted(int(number.rsplit("-", 1)[1]) for number in numbers) == list(range(1, 51))
    with rpc_client(till.tenant_id, roles=("office",)) as rpc, pytest.raises(Conflict):
        rpc.pos.issue_invoice(drafts[0])  # issued already: no second number
