"""Signed contexts at a real service's edge, on PostgreSQL and RabbitMQ: a call whose
context was changed after it was signed is refused before anything runs, and an event
whose signature does not match its envelope goes straight to the dead letters, unapplied.

The service is the platform's own test service (``common_test_models``): an RPC making
widgets, and a consumer making them from events.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from common_test_models import PLATFORM_TESTS, Widget, WidgetIn, WidgetOrdered, WidgetOut
from kombu import Connection
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import func, select, text

from bassin_common.config import load_settings
from bassin_common.consumer import ATTEMPT_HEADER, ERROR_HEADER
from bassin_common.errors import Forbidden
from bassin_common.events import Event
from bassin_common.permissions import MANAGE_STOCK
from bassin_common.service import BassinService, consume, rpc
from bassin_common.signing import ContextSigner
from bassin_common.tenancy import TENANT_KEY, RequestContext
from bassin_common.testing import publish_event, rpc_client, wait_until
from bassin_common.topology import Subscription
from bassin_common.uow import UnitOfWork

CALLS: Counter[str] = Counter()


def make_widget(uow: UnitOfWork, data: dict[str, Any]) -> Widget:
    CALLS[data["name"]] += 1
    widget = Widget(name=data["name"])
    uow.session.add(widget)
    uow.session.flush()
    return widget


class SignedEdgeService(BassinService):
    name = PLATFORM_TESTS

    @rpc(requires=MANAGE_STOCK, accepts=WidgetIn, returns=WidgetOut, idempotent=True)
    def make(self, uow: UnitOfWork, widget: dict[str, Any]) -> Widget:
        return make_widget(uow, widget)

    on_widget_ordered = consume("elsewhere", "widget_ordered", WidgetOrdered, make_widget)


QUEUE = Subscription("elsewhere", "widget_ordered", PLATFORM_TESTS, "on_widget_ordered").queue_name


@pytest.fixture
def edge(platform_database: str, service_config: dict[str, Any], container_factory: Any) -> ServiceContainer:
    CALLS.clear()
    container = container_factory(SignedEdgeService, service_config)
    container.start()
    return container


def signed(context: RequestContext) -> dict[str, Any]:
    return ContextSigner.from_settings(load_settings()).signed_context_data(context)


def widget_names(sessions: Any, tenant: uuid.UUID) -> list[str]:
    with sessions(info={TENANT_KEY: tenant}) as session:
        return sorted(session.scalars(select(Widget.name)))


def requests_remembered(owner_sessions: Any) -> int:
    """Processed idempotent requests, every tenant's (what an idempotent call writes first)."""
    with owner_sessions() as session:
        return session.scalar(text("SELECT count(*) FROM processed_requests"))


# Each forged context would be allowed to make a widget if it were believed.
@pytest.mark.parametrize(
    ("role", "tamper"),
    [
        pytest.param("cashier", lambda data, other: {**data, "roles": ["manager"]}, id="a-cashier-made-manager"),
        pytest.param("manager", lambda data, other: {**data, "tenant_id": str(other)}, id="sent-to-another-company"),
        pytest.param(
            "manager", lambda data, other: {k: v for k, v in data.items() if k != "context_signature"}, id="unsigned"
        ),
    ],
)
def test_a_call_whose_context_was_changed_after_signing_is_refused_and_writes_nothing(
    edge: ServiceContainer, sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID, role: str, tamper: Any
) -> None:
    other = uuid.uuid4()
    caller = RequestContext(tenant_id, "u-1", frozenset({role}), "corr-1", "ticket-forged")
    forged = tamper(signed(caller), other)
    with ClusterRpcClient(context_data=forged, timeout=30) as client, pytest.raises(Forbidden, match="signature"):
        client.platform_tests.make({"name": "W-forged"})
    assert CALLS["W-forged"] == 0
    assert widget_names(sessions, tenant_id) == widget_names(sessions, other) == []
    assert requests_remembered(owner_sessions) == 0
    # The same service answers a call signed as sent.
    with rpc_client(tenant_id, request_id="ticket-genuine") as client:
        assert client.platform_tests.make({"name": "W-genuine"})["name"] == "W-genuine"
    assert widget_names(sessions, tenant_id) == ["W-genuine"]


def test_an_event_replayed_to_another_company_goes_straight_to_the_dead_letters_unapplied(
    edge: ServiceContainer, sessions: Any, tenant_id: uuid.UUID, amqp_uri: str
) -> None:
    genuine = Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-event"})
    its_signature = ContextSigner.from_settings(load_settings()).sign_event(genuine.to_message())
    victim = uuid.uuid4()
    replayed = Event("widget_ordered", victim, "elsewhere", {"name": "W-replayed"}, event_id=genuine.event_id)
    publish_event(amqp_uri, replayed, signature=its_signature)  # a genuine signature, another envelope
    publish_event(amqp_uri, Event("widget_ordered", tenant_id, "elsewhere", {"name": "W-unsigned"}), signature="")
    publish_event(amqp_uri, genuine)
    wait_until(lambda: widget_names(sessions, tenant_id) == ["W-event"], timeout=30)

    with Connection(amqp_uri) as connection:
        channel = connection.channel()  # the queue as declared (a quorum queue): read, not declared again
        wait_until(lambda: channel.queue_declare(f"{QUEUE}.dead", passive=True).message_count == 2, timeout=30)
        dead = [channel.basic_get(f"{QUEUE}.dead", no_ack=True) for _ in range(2)]
    assert sorted(json.loads(m.body)["data"]["name"] for m in dead) == ["W-replayed", "W-unsigned"]
    # Refused at once, not retried: no attempt counted, the reason given for operators.
    assert all(ATTEMPT_HEADER not in m.headers for m in dead)
    assert all("signature is missing or wrong" in m.headers[ERROR_HEADER] for m in dead)
    assert (CALLS["W-replayed"], CALLS["W-unsigned"]) == (0, 0)
    assert widget_names(sessions, victim) == []
    with sessions(info={TENANT_KEY: victim}) as session:
        assert session.scalar(select(func.count()).select_from(Widget)) == 0
