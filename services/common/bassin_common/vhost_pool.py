"""RabbitMQ vhosts with every installed service's topology, reused from test to test.

Each test runs on a vhost of its own (nameko's ``rabbit_uri``). A test with the whole
system (the ``installed_topology`` fixture) then declares every installed service's
exchanges and some 270 queues, 108 of them quorum queues, and the vhost was deleted after
it: measured, 1.05 s of the broker's CPU to declare and 0.5 s to delete, against 0.09 s
to purge the same queues. That was most of the broker's CPU in a suite run. So such a
test gets a vhost that an earlier test of the same process used, brought back to the
state a freshly declared one is in; a vhost that cannot be shown to be in that state is
deleted, as before, and the test gets a new one.

A vhost given back is recycled in a green thread of its own, off the tests' path:

1. Close its connections, and wait until the broker shows none: a consumer left behind
   would take the next test's messages, and unacknowledged messages go back to their
   queues only when the channel that holds them closes.
2. Compare its exchanges, queues and bindings with the ``baseline``, the topology as
   ``declare_installed_topology`` declares it on an empty vhost (read once per process).
   Exchanges and queues that are not in it (the RPC queues of the services started,
   the gateway's reply queues) are deleted; one missing, changed or bound otherwise
   keeps the vhost from reuse.
3. Purge every queue (the retry queues first: an expiring retry puts its message back
   in its queue), delete the policies (the delivery limit a test sets) and the users
   whose only permissions are on the vhost (a system's own users, made per vhost; the
   partners' users). A vhost deleted loses its users the same way.
4. Let it rest longer than a statistics interval, then check it again. The management
   API shows connections and message counts as of its last statistics
   (``collect_statistics_interval``, 5 s): a connection opened in the test's last
   seconds may not have been seen in step 1, and a test that waits for a queue to hold
   one message must not read a count from before the purge. After the rest, a vhost
   with a connection, a consumer or a message (counted by the broker itself, not by the
   statistics) is deleted instead.

A vhost that no test takes within ``IDLE_SECONDS`` is deleted: idle quorum queues still
cost the broker CPU.
"""

from __future__ import annotations

import logging
import random
import string
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import eventlet
import kombu.pools
import requests
from eventlet.semaphore import Semaphore
from kombu import Connection

log = logging.getLogger(__name__)

STATISTICS_INTERVAL_SECONDS = 5.0  # RabbitMQ's collect_statistics_interval, by default
REST_SECONDS = STATISTICS_INTERVAL_SECONDS + 0.5
CONNECTIONS_GONE_SECONDS = 10.0
# Eight vhosts with the installed topology, idle, cost the broker 51 ms of CPU a second
# (measured): one kept longer than this without a taker is deleted.
IDLE_SECONDS = 30.0
RETRY_QUEUE = ".retry."  # in the name of each retry queue (``bassin_common.topology``)
DEAD_LETTERED_SECONDS = 0.5  # ample for an expired message to reach its queue
DELETE_ATTEMPTS = 10  # a second apart, as nameko's own fixture tried
# Exchanges every vhost has from its creation (and the default one, named ""): never
# compared, never deleted.
BUILT_IN_EXCHANGES = "amq."
QUEUE_COLUMNS = "name,type,durable,auto_delete,exclusive,arguments"


@dataclass(frozen=True)
class Topology:
    """What a vhost holds, by name: each exchange's and queue's declaration, and the bindings."""

    exchanges: dict[str, tuple[Any, ...]]
    queues: dict[str, tuple[Any, ...]]
    bindings: frozenset[tuple[Any, ...]]

    @classmethod
    def read(cls, management: Any, vhost: str) -> Topology:
        exchanges = {
            e["name"]: (e["type"], e["durable"], e["auto_delete"], e["internal"], _frozen(e.get("arguments")))
            for e in management._get("exchanges", vhost)
            if e["name"] and not e["name"].startswith(BUILT_IN_EXCHANGES)
        }
        queues = {
            q["name"]: (q.get("type"), q["durable"], q["auto_delete"], q.get("exclusive"), _frozen(q.get("arguments")))
            for q in management._get("queues", vhost, params={"columns": QUEUE_COLUMNS})
        }
        bindings = frozenset(
            (b["source"], b["destination"], b["destination_type"], b["routing_key"], _frozen(b.get("arguments")))
            for b in management._get("bindings", vhost)
            if b["source"]  # the default exchange's implicit binding of every queue
        )
        return cls(exchanges, queues, bindings)

    def extras(self, baseline: Topology) -> tuple[list[str], list[str]]:
        """The exchanges and queues this vhost holds that ``baseline`` does not."""
        return (
            sorted(set(self.exchanges) - set(baseline.exchanges)),
            sorted(set(self.queues) - set(baseline.queues)),
        )

    def changes(self, baseline: Topology) -> list[str]:
        """How this topology differs from ``baseline`` (none when equal)."""
        found = []
        for kind, mine, theirs in (
            ("exchange", self.exchanges, baseline.exchanges),
            ("queue", self.queues, baseline.queues),
        ):
            found += [f"{kind} {name} missing" for name in theirs.keys() - mine.keys()]
            found += [
                f"{kind} {name}: {mine[name]} not {theirs[name]}"
                for name in mine.keys() & theirs.keys()
                if mine[name] != theirs[name]
            ]
        found += [f"binding {binding} missing" for binding in baseline.bindings - self.bindings]
        found += [f"binding {binding} added" for binding in self.bindings - baseline.bindings]
        return found

    def without(self, exchanges: list[str], queues: list[str]) -> Topology:
        """This topology once ``exchanges`` and ``queues`` are deleted (their bindings with them)."""
        gone = set(exchanges) | set(queues)
        return Topology(
            {name: e for name, e in self.exchanges.items() if name not in gone},
            {name: q for name, q in self.queues.items() if name not in gone},
            frozenset(b for b in self.bindings if b[0] not in gone and b[1] not in gone),
        )


def _frozen(arguments: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((arguments or {}).items()))


@dataclass
class VhostPool:
    """This pytest process's vhosts: each test's new one, deleted after it, and those
    recycled for reuse, at most ``keep`` at a time (each holds some 270 queues).

    ``management`` is nameko's client of the management API (the ``rabbit_manager``
    fixture), whose ``_get`` and ``_delete`` take the path's parts unquoted; ``amqp_uri``
    the broker's, whose user is given every permission on each new vhost, as nameko does;
    ``declare`` declares the installed topology on a vhost's AMQP URI; ``forget`` is
    called with the AMQP URI of each vhost deleted."""

    management: Any
    amqp_uri: str
    declare: Callable[[str], None]
    forget: Callable[[str], None] = lambda _amqp_uri: None
    keep: int = 4
    rest_seconds: float = REST_SECONDS
    idle_seconds: float = IDLE_SECONDS
    baseline: Topology | None = None
    reused: int = 0
    created: int = 0
    discarded: int = 0
    _ready: list[str] = field(default_factory=list)
    _recycling: int = 0
    _pending: int = 0
    _baseline_lock: Semaphore = field(default_factory=Semaphore)

    def acquire(self, reusable: bool) -> str:
        """A vhost for a test: when ``reusable`` (the test declares the installed topology),
        one recycled if there is one; else a new, empty one."""
        if reusable and self._ready:
            self.reused += 1
            return self._ready.pop()
        self.created += 1
        return self._new()

    def release(self, vhost: str, declared: bool) -> None:
        """Give the vhost back after its test: recycled (``declared``: its topology was
        declared) or deleted, in the background."""
        self._pending += 1
        eventlet.spawn(self._recycle, vhost, declared)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until every vhost given back is recycled or deleted."""
        deadline = time.monotonic() + timeout
        while self._pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self._pending} vhosts still being recycled")
            eventlet.sleep(0.05)

    def close(self) -> None:
        """Delete every vhost, once those given back are recycled."""
        try:
            self.settle(timeout=120.0)
        except TimeoutError:
            log.exception("vhosts: some still being recycled at the end")
        while self._ready:
            self._delete(self._ready.pop())

    def uri(self, vhost: str) -> str:
        """The AMQP URI of ``vhost``."""
        base = urllib.parse.urlsplit(self.amqp_uri)
        return urllib.parse.urlunsplit((base.scheme, base.netloc, "/" + urllib.parse.quote(vhost, safe=""), "", ""))

    @property
    def _user(self) -> str:
        """The test user, ``amqp_uri``'s."""
        return urllib.parse.unquote(urllib.parse.urlsplit(self.amqp_uri).username or "guest")

    def counts(self) -> str:
        return f"{self.created} created, {self.reused} reused ({self.discarded} used with the topology, not kept)"

    def _new(self) -> str:
        vhost = "nameko_test_" + "".join(random.choices(string.ascii_lowercase, k=10))  # nameko's naming
        self.management.create_vhost(vhost)
        self.management.set_vhost_permissions(vhost, self._user, ".*", ".*", ".*")
        return vhost

    def _recycle(self, vhost: str, declared: bool) -> None:
        reused = False
        try:
            if declared and self._recycling + len(self._ready) < self.keep:
                self._recycling += 1
                try:
                    reused = self._reset(vhost) and self._still_clean_after_a_rest(vhost)
                finally:
                    self._recycling -= 1
        except Exception:
            log.exception("vhost %s: not recycled", vhost)
        if reused:
            self._ready.append(vhost)
            eventlet.spawn_after(self.idle_seconds, self._expire, vhost)
        else:
            self.discarded += declared
            self._delete(vhost)
        self._pending -= 1

    def _expire(self, vhost: str) -> None:
        """Delete a vhost no test took: its quorum queues cost the broker CPU even idle."""
        if vhost in self._ready:
            self._ready.remove(vhost)
            self._delete(vhost)

    def _baseline(self) -> Topology:
        """The installed topology as declared on an empty vhost: read once, on a vhost of
        its own (a test's holds the gateway's queues before it declares)."""
        with self._baseline_lock:
            if self.baseline is None:
                vhost = self._new()
                try:
                    self.declare(self.uri(vhost))
                    self.baseline = Topology.read(self.management, vhost)
                finally:
                    self._delete(vhost)
        return self.baseline

    def _reset(self, vhost: str) -> bool:
        if not self._closed_connections(vhost):
            return False
        baseline = self._baseline()
        found = Topology.read(self.management, vhost)
        exchanges, queues = found.extras(baseline)
        if changes := found.without(exchanges, queues).changes(baseline):
            log.info("vhost %s: not reused, its topology changed: %s", vhost, "; ".join(changes[:5]))
            return False
        for name in queues:
            self._gone("queues", vhost, name)
        for name in exchanges:  # an auto-delete one went with its last queue
            self._gone("exchanges", vhost, name)
        self._purge(vhost, baseline)
        for policy in self.management._get("policies", vhost):
            self.management._delete("policies", vhost, policy["name"])
        self._delete_users(vhost)
        return True

    def _still_clean_after_a_rest(self, vhost: str) -> bool:
        eventlet.sleep(self.rest_seconds)
        if connections := self.management._get("vhosts", vhost, "connections"):
            log.info("vhost %s: not reused, %d connections opened late", vhost, len(connections))
            return False
        assert self.baseline is not None
        with Connection(self.uri(vhost)) as connection:
            channel = connection.channel()
            for name in self.baseline.queues:
                declared = channel.queue_declare(name, passive=True)
                if declared.message_count or declared.consumer_count:
                    log.info("vhost %s: not reused, %s has messages or consumers again", vhost, name)
                    return False
        return True

    def _purge(self, vhost: str, baseline: Topology) -> None:
        """Empty every queue. With no connection left, a message enters a queue only by
        expiring from a retry queue: those are emptied first, and the others once what
        had just expired has arrived."""
        retries = [name for name in baseline.queues if RETRY_QUEUE in name]
        with Connection(self.uri(vhost)) as connection:
            channel = connection.channel()
            for name in retries:
                channel.queue_purge(name)
            eventlet.sleep(DEAD_LETTERED_SECONDS)
            for name in baseline.queues:
                channel.queue_purge(name)

    def _closed_connections(self, vhost: str) -> bool:
        """Close the vhost's connections (this process's pooled ones first); whether the
        broker shows none left."""
        for group in (kombu.pools.producers, kombu.pools.connections):  # nameko's publishers'
            for key, pool in list(group.items()):
                # kombu's key: (transport, host, user, password, vhost, port, options)
                if not isinstance(key, str) and len(key) > 4 and key[4] == vhost:
                    pool.force_close_all()
                    # Forgotten too: a closed pool refuses to lend, and the next test on
                    # this vhost would be given it. (The stored key, not ``del``, which
                    # would hash it again.)
                    dict.pop(group, key, None)
        deadline = time.monotonic() + CONNECTIONS_GONE_SECONDS
        while open_ones := self.management._get("vhosts", vhost, "connections"):
            if time.monotonic() > deadline:
                log.info("vhost %s: not reused, %d connections would not close", vhost, len(open_ones))
                return False
            for connection in open_ones:
                self._gone("connections", connection["name"])
            eventlet.sleep(0.2)
        return True

    def _delete_users(self, vhost: str) -> None:
        """The users whose only permissions are on this vhost (a system's own users, made
        per vhost; the partners' users notifications makes), never the test user: users
        are the broker's and outlive a vhost."""
        try:
            permissions = self.management._get("vhosts", vhost, "permissions")
        except requests.HTTPError as error:
            if error.response is not None and error.response.status_code == 404:
                return  # the vhost is gone already
            raise
        for permission in permissions:
            user = permission["user"]
            if user == self._user:
                continue
            if all(p["vhost"] == vhost for p in self.management._get("users", user, "permissions")):
                self._gone("users", user)

    def _gone(self, *path: str) -> None:
        """Delete what ``path`` names, unless already gone."""
        try:
            self.management._delete(*path)
        except requests.HTTPError as error:
            if error.response is None or error.response.status_code != 404:
                raise

    def _delete(self, vhost: str) -> None:
        """Delete the vhost and its own users, trying again for a while: a test that
        restarts the broker (``disruptive``) makes the management API refuse for seconds,
        and a vhost left behind keeps its queues on the broker."""
        for attempt in range(DELETE_ATTEMPTS):
            try:
                self._delete_users(vhost)
                self._gone("vhosts", vhost)
                break
            except Exception:
                if attempt + 1 == DELETE_ATTEMPTS:
                    log.exception("vhost %s: could not be deleted", vhost)
                eventlet.sleep(1.0)
        self.forget(self.uri(vhost))
