"""The customer 360's cache (ADR 0032): a composed overview, kept in this gateway process
as the JSON bytes it answered, until an event or a write says it may have changed.

Composing an overview costs about a dozen RPCs to five services; a customer file is read
far more often than it changes. So the gateway keeps each complete answer (every part
``ok``; never a 404) under ``(tenant, customer, variant)`` — the variant being what decides
the parts for the caller: its roles and the company's grants of the parts' permissions.
The tenant comes from the verified token: one company's entry is never another's.

Freshness, correctness first:

- **Events.** A green thread consumes, on a queue of this process's own (exclusive,
  deleted with its connection), every event of the services whose data an overview shows
  (``PRODUCERS``). An event naming a ``customer_id`` invalidates that customer's entries
  in the event's tenant; any other event of theirs, the whole tenant's.
- **Generations.** Invalidating is bumping a counter: one per (tenant, customer), one per
  tenant, one for everything (bumped when the consumer (re)connects: what it missed while
  away is unknown). Every counter takes its value from one process-wide sequence; a
  composition takes a ``ticket`` from it before its first RPC and is stored only if no
  counter it depends on moved since — an event that arrived during the composition is
  never overwritten by the data read before it. An entry is valid while its ticket is
  newer than all three counters.
- **Settling.** An event's effects in other services come later, and not all of them are
  announced: customers adds a sale to the timeline when it handles pos's
  ``sale_completed``, pos, sav and worksites keep their copies of a customer's name, and
  publish nothing for it. For ``settle_seconds`` after an event, the customer's (or
  tenant's) compositions are served but not stored. notifications' actions do not rely
  on it: each one opened, closed or changed is its own event (``action_opened``...).
- **This process's writes.** Any write request (POST, PUT, PATCH, DELETE) of a company
  that was not refused (4xx) invalidates the company's entries as it is answered: the
  caller reads its own write at once, before the service's event arrives.
- **Bounds.** An entry lives ``ttl_seconds`` at most (a missed event, a snoozed action's
  day coming, a date-dependent badge), and at most ``max_entries`` are kept (least recently
  used out first).
- **No consumer, no cache.** While the consumer is not connected nothing is served from
  the cache nor stored in it: every read composes.

The counters live in this process only: each replica of the gateway has its own cache and
its own queue, and learns of the others' writes through the services' events.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import eventlet
from kombu import Connection, Consumer, Exchange, Queue, binding

from bassin_common.logs import mask_secrets
from bassin_common.observability import Metric
from bassin_common.topology import event_exchange

log = logging.getLogger(__name__)

# The services whose data an overview shows (notifications: its actions, opened by its
# rules on other services' events or by its nightly scans).
PRODUCERS = ("customers", "sav", "worksites", "pos", "notifications")
TTL_SECONDS = 300.0
# The unannounced effects of an event in its consumers (see Settling above): copies and a
# timeline entry written within a few seconds of it.
SETTLE_SECONDS = 5.0
MAX_ENTRIES = 20_000
HEARTBEAT_SECONDS = 10
RECONNECT_SECONDS = 1.0
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CACHE_LOOKUPS = Metric(
    "bassin_overview_cache_total",
    "Customer 360 reads: served from the cache (hit), composed (miss), or composed because "
    "the caller or the moment cannot use the cache (bypass)",
    "counter",
    ("outcome",),
)
HIT, MISS, BYPASS = "hit", "miss", "bypass"

Key = tuple[uuid.UUID, uuid.UUID, Hashable]  # tenant, customer, variant


@dataclass(frozen=True)
class Entry:
    body: bytes
    ticket: int
    stored_at: float


class OverviewCache:
    """Composed overviews by ``(tenant, customer, variant)``; see the module's docstring.
    ``amqp_uri=None`` (or not ``start``-ed): never connected, so never used."""

    def __init__(
        self,
        amqp_uri: str | None,
        ttl_seconds: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        settle_seconds: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.amqp_uri = amqp_uri
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.settle = settle_seconds
        self._clock = clock
        self._sequence = itertools.count(1)
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        # (tenant, customer) or tenant -> (generation, when): oldest first, pruned once
        # older than any entry could be.
        self._generations: OrderedDict[Hashable, tuple[int, float]] = OrderedDict()
        self._everything = next(self._sequence)  # nothing stored before connecting counts
        self.connected = False
        self._consumer: Any = None
        self._stopping = False
        self._queue_name = f"gateway.overview-cache-{uuid.uuid4()}"

    # --- reading and storing --------------------------------------------------------------

    def ticket(self) -> int:
        """Taken before composing: what ``store`` checks the invalidations against."""
        return next(self._sequence)

    def get(self, key: Key) -> bytes | None:
        """The stored answer of ``key``, if the consumer is connected and nothing since
        invalidated it; None otherwise."""
        entry = self._entries.get(key)
        if entry is None or not self.connected:
            return None
        if not self._valid(key, entry.ticket) or self._clock() - entry.stored_at >= self.ttl:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.body

    def store(self, key: Key, body: bytes, ticket: int) -> bool:
        """Keep ``body`` for ``key`` if nothing invalidated it since ``ticket`` was taken and
        no event of the customer or its company is still settling."""
        if not self.connected or not self._valid(key, ticket):
            return False
        now = self._clock()
        for scope in ((key[0], key[1]), key[0]):
            if (seen := self._generations.get(scope)) is not None and now - seen[1] < self.settle:
                return False
        self._entries[key] = Entry(body, ticket, now)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return True

    def _valid(self, key: Key, ticket: int) -> bool:
        if ticket <= self._everything:
            return False
        for scope in ((key[0], key[1]), key[0]):
            if (seen := self._generations.get(scope)) is not None and seen[0] >= ticket:
                return False
        return True

    def __len__(self) -> int:
        return len(self._entries)

    # --- invalidating ----------------------------------------------------------------------

    def invalidate_customer(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        self._bump((tenant_id, customer_id))

    def invalidate_tenant(self, tenant_id: uuid.UUID) -> None:
        self._bump(tenant_id)

    def invalidate_everything(self) -> None:
        self._everything = next(self._sequence)
        self._entries.clear()

    def _bump(self, scope: Hashable) -> None:
        now = self._clock()
        self._generations[scope] = (next(self._sequence), now)
        self._generations.move_to_end(scope)
        # A generation older than the oldest entry could be (and than settling) decides nothing.
        horizon = now - max(self.ttl, self.settle)
        while self._generations:
            oldest = next(iter(self._generations))
            if self._generations[oldest][1] >= horizon:
                break
            del self._generations[oldest]

    def on_event(self, body: Any) -> None:
        """Invalidate what an event (the envelope of ``bassin_common.events``) may change."""
        try:
            tenant_id = uuid.UUID(str(body["tenant_id"]))
            data = body.get("data") or {}
            customer_id = uuid.UUID(str(data["customer_id"])) if data.get("customer_id") else None
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("an event without a readable tenant or customer: the whole overview cache is dropped")
            self.invalidate_everything()
            return
        if customer_id is None:
            self.invalidate_tenant(tenant_id)
        else:
            self.invalidate_customer(tenant_id, customer_id)

    # --- the event consumer ----------------------------------------------------------------

    def start(self) -> OverviewCache:
        """Consume the events in a green thread of its own; the cache is used once connected."""
        if self.amqp_uri is not None and self._consumer is None:
            self._stopping = False
            self._consumer = eventlet.spawn(self._consume)
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._consumer is not None:
            self._consumer.wait()
            self._consumer = None

    def _queue(self) -> Queue:
        return Queue(
            self._queue_name,
            bindings=[
                binding(_declared_elsewhere(event_exchange(producer)), routing_key="#") for producer in PRODUCERS
            ],
            durable=False,
            exclusive=True,
            auto_delete=True,
        )

    def _on_message(self, body: Any, message: Any) -> None:
        self.on_event(body)

    def _consume(self) -> None:
        while not self._stopping:
            try:
                with Connection(self.amqp_uri, heartbeat=HEARTBEAT_SECONDS) as connection:
                    channel = connection.channel()
                    for producer in PRODUCERS:  # declared by the topology step; checked, as the bindings need them
                        channel.exchange_declare(event_exchange(producer).name, "topic", passive=True)
                    with Consumer(channel, [self._queue()], callbacks=[self._on_message], accept=["json"], no_ack=True):
                        self.invalidate_everything()  # what happened while away is unknown
                        self.connected = True
                        log.info("overview cache: consuming the services' events")
                        while not self._stopping:
                            with contextlib.suppress(TimeoutError):
                                connection.drain_events(timeout=1)
                            connection.heartbeat_check()  # sends ours when due; fails on a silent broker
            except Exception:
                if self._stopping:
                    break
                log.exception("overview cache: event consumer lost %s; reconnecting", mask_secrets(self.amqp_uri))
                eventlet.sleep(RECONNECT_SECONDS)
            finally:
                self.connected = False
                self.invalidate_everything()


def _declared_elsewhere(exchange: Exchange) -> Exchange:
    """``exchange``, not declared again when a queue is bound to it: the topology step
    declared it, and the gateway's broker user may only read it (ADR 0034)."""
    return Exchange(exchange.name, type=exchange.type, durable=exchange.durable, no_declare=True)
