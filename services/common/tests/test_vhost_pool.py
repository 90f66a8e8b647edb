"""The vhosts the test plugin reuses (``bassin_common.vhost_pool``), on the real broker: a
test's leftovers must not reach the next test that gets its vhost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from kombu import Connection

from bassin_common.config import load_settings
from bassin_common.registry import installed_services
from bassin_common.testing import declare_installed_topology, wait_until
from bassin_common.vhost_pool import Topology, VhostPool

SUBSCRIPTION = next(s for service in installed_services() for s in service.subscriptions)


@pytest.fixture
def pool(rabbit_manager: Any) -> Iterator[VhostPool]:
    forgotten: list[str] = []
    pool = VhostPool(
        rabbit_manager, load_settings().amqp_uri, declare_installed_topology, forget=forgotten.append, rest_seconds=0
    )
    pool.forgotten = forgotten  # type: ignore[attr-defined]
    yield pool
    pool.close()


def declared_vhost(pool: VhostPool) -> tuple[str, str]:
    vhost = pool.acquire(reusable=True)
    declare_installed_topology(pool.uri(vhost))
    return vhost, pool.uri(vhost)


def message_counts(amqp_uri: str, names: Any) -> dict[str, int]:
    """Each queue's messages as the broker counts them now (not the management API's
    statistics, which lag)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        return {name: channel.queue_declare(name, passive=True).message_count for name in names}


def test_a_used_vhost_comes_back_as_declared_with_nothing_left_of_its_test(pool: VhostPool, rabbit_manager) -> None:
    vhost, amqp_uri = declared_vhost(pool)
    queue, retry = SUBSCRIPTION.queue_name, SUBSCRIPTION.retry_queue_name(1)
    exchange = f"{SUBSCRIPTION.producer}.events"
    for _ in range(3):
        rabbit_manager.publish(vhost, exchange, SUBSCRIPTION.event_type, "{}")
    # A message being retried, due back in its queue while the vhost is reset.
    rabbit_manager._post(
        "exchanges",
        vhost,
        "amq.default",
        "publish",
        json={
            "routing_key": retry,
            "payload": "{}",
            "payload_encoding": "string",
            "properties": {"expiration": "300"},
        },
    )
    # A consumer that took a message and never acknowledged it, still connected (and seen
    # by the management API, as one open during a test is).
    holder = Connection(amqp_uri)
    held = holder.channel().basic_get(queue, no_ack=False)
    assert held is not None
    port = holder.connection.sock.getsockname()[1]
    wait_until(lambda: port in {c["peer_port"] for c in rabbit_manager._get("vhosts", vhost, "connections")})
    # What a test adds: a queue and an exchange of its own, a policy, the system's own user.
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.exchange_declare("left.behind", "fanout", durable=True)
        channel.queue_declare("rpc-left-behind", durable=True)
        channel.queue_bind("rpc-left-behind", "left.behind")
    rabbit_manager._put(
        "policies", vhost, "limit", json={"pattern": ".*", "definition": {"delivery-limit": 2}, "apply-to": "queues"}
    )
    users = [f"bassin-{vhost}-gateway", f"partner-{vhost}-brand"]
    for user in users:
        rabbit_manager._put("users", user, json={"password": "secret", "tags": ""})
        rabbit_manager.set_vhost_permissions(vhost, user, "", ".*", ".*")

    pool.release(vhost, declared=True)
    pool.settle()

    other = pool.acquire(reusable=False)
    assert other != vhost  # never to a test that declares nothing
    assert pool.acquire(reusable=True) == vhost
    assert Topology.read(rabbit_manager, vhost).changes(pool.baseline) == []
    # Had the holder's connection been left open, its message would come back now.
    holder.release()
    assert set(message_counts(amqp_uri, pool.baseline.queues).values()) == {0}
    assert rabbit_manager._get("policies", vhost) == []
    for user in users:
        with pytest.raises(requests.HTTPError, match="404"):
            rabbit_manager._get("users", user)
    pool.release(vhost, declared=True)
    pool.release(other, declared=False)


def test_a_vhost_whose_topology_changed_is_deleted_not_reused(pool: VhostPool, rabbit_manager) -> None:
    vhost, amqp_uri = declared_vhost(pool)
    with Connection(amqp_uri) as connection:
        connection.channel().queue_delete(SUBSCRIPTION.queue_name)

    pool.release(vhost, declared=True)
    pool.settle()

    other = pool.acquire(reusable=True)
    assert other != vhost
    assert vhost not in {v["name"] for v in rabbit_manager.get_all_vhosts()}
    assert amqp_uri in pool.forgotten  # type: ignore[attr-defined]
    pool.release(other, declared=False)


def test_a_vhost_without_the_installed_topology_is_deleted_with_its_own_users(pool: VhostPool, rabbit_manager) -> None:
    vhost = pool.acquire(reusable=False)
    other = pool.acquire(reusable=False)
    # A user of this vhost alone, and one of two vhosts (an operator's, say).
    for user, vhosts in ((f"partner-{vhost}-brand", [vhost]), (f"operator-{vhost}", [vhost, other])):
        rabbit_manager._put("users", user, json={"password": "secret", "tags": ""})
        for each in vhosts:
            rabbit_manager.set_vhost_permissions(each, user, "", ".*", "")
    pool.release(vhost, declared=False)
    pool.settle()
    assert vhost not in {v["name"] for v in rabbit_manager.get_all_vhosts()}
    with pytest.raises(requests.HTTPError, match="404"):
        rabbit_manager._get("users", f"partner-{vhost}-brand")
    assert rabbit_manager._get("users", f"operator-{vhost}")["name"] == f"operator-{vhost}"
    rabbit_manager._delete("users", f"operator-{vhost}")
    pool.release(other, declared=False)


def test_a_vhost_rests_before_it_is_reused(pool: VhostPool) -> None:
    """Long enough for the management API's connections and counts to be refreshed."""
    pool.rest_seconds = 2
    vhost, _ = declared_vhost(pool)
    pool.release(vhost, declared=True)
    other = pool.acquire(reusable=True)
    assert other != vhost
    pool.settle()
    assert pool.acquire(reusable=True) == vhost
    pool.release(vhost, declared=True)
    pool.release(other, declared=False)


def test_a_vhost_with_a_consumer_the_reset_did_not_see_is_deleted(pool: VhostPool, rabbit_manager, monkeypatch) -> None:
    """A connection opened in a test's last seconds is not yet shown by the management
    API: the check after the rest finds what it does (here, a consumer)."""
    vhost, amqp_uri = declared_vhost(pool)
    straggler = Connection(amqp_uri)
    purge = pool._purge

    def purge_then_a_consumer_arrives(*args: Any) -> None:
        purge(*args)
        straggler.channel().basic_consume(SUBSCRIPTION.queue_name, callback=lambda *_: None)

    monkeypatch.setattr(pool, "_purge", purge_then_a_consumer_arrives)
    pool.release(vhost, declared=True)
    pool.settle()

    assert vhost not in {v["name"] for v in rabbit_manager.get_all_vhosts()}
    straggler.release()


def test_a_vhost_no_test_takes_is_deleted(pool: VhostPool, rabbit_manager) -> None:
    """Its quorum queues cost the broker CPU even idle."""
    pool.idle_seconds = 0.5
    vhost, _ = declared_vhost(pool)
    pool.release(vhost, declared=True)
    pool.settle()
    wait_until(lambda: vhost not in {v["name"] for v in rabbit_manager.get_all_vhosts()}, timeout=10)
    other = pool.acquire(reusable=True)
    assert other != vhost
    pool.release(other, declared=False)
