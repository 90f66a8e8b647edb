"""The customer 360's cache on its own (ADR 0032): what it serves, what invalidates it, and
the race it must not lose — without a broker (the events are handed to ``on_event`` as the
consumer would)."""

from __future__ import annotations

import re
import uuid

import pytest

from bassin_common.broker_users import gateway_permissions
from bassin_common.registry import installed_services
from bassin_common.topology import event_exchange
from bassin_gateway.overview_cache import PRODUCERS, OverviewCache

OURS, THEIRS = uuid.uuid4(), uuid.uuid4()
HELENE, JEROME = uuid.uuid4(), uuid.uuid4()
MANAGER = (frozenset({"manager"}), (True, True, True))
TECHNICIAN = (frozenset({"technician"}), (True, True, False))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def connected(clock: Clock, **options: float) -> OverviewCache:
    cache = OverviewCache(None, clock=clock, **options)
    cache.connected = True  # as its consumer marks it once its queue is bound
    return cache


def stored(cache: OverviewCache, tenant: uuid.UUID, customer: uuid.UUID, body: bytes, variant=MANAGER) -> bool:
    return cache.store((tenant, customer, variant), body, cache.ticket())


def event(tenant: uuid.UUID, customer: uuid.UUID | None = None) -> dict:
    data = {"ticket_id": str(uuid.uuid4())} | ({"customer_id": str(customer)} if customer else {})
    return {"event_id": str(uuid.uuid4()), "event_type": "ticket_opened", "tenant_id": str(tenant), "data": data}


def test_a_stored_answer_is_served_to_its_tenant_and_variant_only(clock: Clock) -> None:
    cache = connected(clock)
    assert stored(cache, OURS, HELENE, b'{"ours": 1}')
    assert cache.get((OURS, HELENE, MANAGER)) == b'{"ours": 1}'
    assert cache.get((THEIRS, HELENE, MANAGER)) is None  # the same customer id, another company
    assert cache.get((OURS, HELENE, TECHNICIAN)) is None  # other roles, other parts
    assert cache.get((OURS, JEROME, MANAGER)) is None


def test_nothing_is_served_or_stored_while_the_consumer_is_not_connected(clock: Clock) -> None:
    cache = connected(clock)
    assert stored(cache, OURS, HELENE, b"{}")
    cache.connected = False
    assert cache.get((OURS, HELENE, MANAGER)) is None
    assert not stored(cache, OURS, JEROME, b"{}")


def test_a_customers_event_invalidates_that_customer_in_that_company_only(clock: Clock) -> None:
    cache = connected(clock)
    for tenant, customer in ((OURS, HELENE), (OURS, JEROME), (THEIRS, HELENE)):
        assert stored(cache, tenant, customer, b"{}")
    cache.on_event(event(OURS, HELENE))
    assert cache.get((OURS, HELENE, MANAGER)) is None
    assert cache.get((OURS, JEROME, MANAGER)) == b"{}"
    assert cache.get((THEIRS, HELENE, MANAGER)) == b"{}"


def test_an_event_without_a_customer_invalidates_its_whole_company(clock: Clock) -> None:
    cache = connected(clock)
    for tenant, customer in ((OURS, HELENE), (OURS, JEROME), (THEIRS, HELENE)):
        assert stored(cache, tenant, customer, b"{}")
    cache.on_event(event(OURS))
    assert cache.get((OURS, HELENE, MANAGER)) is None and cache.get((OURS, JEROME, MANAGER)) is None
    assert cache.get((THEIRS, HELENE, MANAGER)) == b"{}"


def test_an_unreadable_event_invalidates_everything(clock: Clock) -> None:
    cache = connected(clock)
    assert stored(cache, THEIRS, HELENE, b"{}")
    cache.on_event({"event_type": "ticket_opened", "data": {}})  # no tenant
    assert cache.get((THEIRS, HELENE, MANAGER)) is None


def test_a_composition_that_an_event_overtook_is_not_stored(clock: Clock) -> None:
    cache = connected(clock, settle_seconds=0)
    ticket = cache.ticket()  # the composition starts, reads the services...
    cache.on_event(event(OURS, HELENE))  # ...a ticket is opened meanwhile...
    assert not cache.store((OURS, HELENE, MANAGER), b'{"tickets": []}', ticket)  # ...stale: dropped
    assert cache.get((OURS, HELENE, MANAGER)) is None
    # Another customer's composition of the same moment is not concerned.
    assert cache.store((OURS, JEROME, MANAGER), b"{}", ticket)
    # Nor one that started after the event.
    assert stored(cache, OURS, HELENE, b'{"tickets": [1]}')


def test_a_write_of_the_company_during_a_composition_wins_too(clock: Clock) -> None:
    cache = connected(clock, settle_seconds=0)
    ticket = cache.ticket()
    cache.invalidate_tenant(OURS)
    assert not cache.store((OURS, HELENE, MANAGER), b"{}", ticket)


def test_a_reconnection_invalidates_what_was_composed_before(clock: Clock) -> None:
    cache = connected(clock)
    ticket = cache.ticket()
    assert stored(cache, OURS, HELENE, b"{}")
    cache.invalidate_everything()  # what the consumer does when it (re)connects
    assert cache.get((OURS, HELENE, MANAGER)) is None
    assert not cache.store((OURS, JEROME, MANAGER), b"{}", ticket)


def test_an_event_settles_before_its_customer_is_stored_again(clock: Clock) -> None:
    cache = connected(clock, settle_seconds=5)
    cache.on_event(event(OURS, HELENE))
    clock.now += 1  # another service may still be acting on the event
    assert not stored(cache, OURS, HELENE, b"{}")
    assert stored(cache, OURS, JEROME, b"{}")
    clock.now += 5
    assert stored(cache, OURS, HELENE, b"{}")


def test_an_entry_lives_its_ttl_at_most(clock: Clock) -> None:
    cache = connected(clock, ttl_seconds=120)
    assert stored(cache, OURS, HELENE, b"{}")
    clock.now += 119
    assert cache.get((OURS, HELENE, MANAGER)) == b"{}"
    clock.now += 1
    assert cache.get((OURS, HELENE, MANAGER)) is None
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first(clock: Clock) -> None:
    cache = connected(clock, max_entries=2)
    assert stored(cache, OURS, HELENE, b"1") and stored(cache, OURS, JEROME, b"2")
    assert cache.get((OURS, HELENE, MANAGER)) == b"1"  # Hélène read last: Jérôme is the oldest
    assert stored(cache, THEIRS, HELENE, b"3")
    assert len(cache) == 2
    assert cache.get((OURS, JEROME, MANAGER)) is None
    assert cache.get((OURS, HELENE, MANAGER)) == b"1" and cache.get((THEIRS, HELENE, MANAGER)) == b"3"


def test_old_generations_are_forgotten(clock: Clock) -> None:
    cache = connected(clock, ttl_seconds=120)
    for _ in range(100):
        cache.on_event(event(OURS, uuid.uuid4()))
    clock.now += 121  # every entry these could invalidate has expired
    cache.on_event(event(OURS, HELENE))
    assert len(cache._generations) == 1


def test_every_producer_it_binds_is_installed_and_readable_by_the_gateways_broker_user() -> None:
    """The consumer binds its queue to each producer's exchange: one the gateway's own
    RabbitMQ user may not read would keep the cache from ever connecting (ADR 0034)."""
    services = installed_services()
    assert set(PRODUCERS) <= {service.name for service in services}
    readable = gateway_permissions(services).read
    for producer in PRODUCERS:
        assert re.fullmatch(readable, event_exchange(producer).name), producer
