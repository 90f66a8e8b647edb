"""What an operator and a cluster see of a service process: health and Prometheus metrics,
on a small HTTP port of its own (``BASSIN_HTTP_PORT``; 0, the default, serves nothing:
tests and ``./bassin start`` run many services on one machine).

- ``GET /healthz``: 200 while the process runs (liveness: nothing else is checked, so a
  database or broker outage never restarts every replica at once).
- ``GET /readyz``: 200 when the service's database (accepting its tenant key) and the
  broker answer, 503 (with what failed) otherwise, and from the moment the process was
  told to stop.
- ``GET /metrics``: the Prometheus text format (version 0.0.4):

  ===================================  =========  ======================================
  bassin_rpc_duration_seconds          histogram  service, method, outcome
  bassin_handler_duration_seconds      histogram  service, handler, outcome
  bassin_events_published_total        counter    service, event_type
  bassin_events_consumed_total         counter    service, handler, outcome
  bassin_event_retries_total           counter    service, handler, cause
  bassin_dead_letters_total            counter    service, handler
  bassin_outbox_pending                gauge      service
  bassin_outbox_lag_seconds            gauge      service
  bassin_outbox_set_aside              gauge      service
  ===================================  =========  ======================================

  ``outcome`` is ``ok``, ``refused`` (a domain error: the caller's mistake) or ``error``
  (and, for an event that does not concern its handler, ``not_concerned``: acknowledged
  without being applied, ``consume(..., applies_to=...)``);
  a retry's ``cause`` is ``failure`` (the handler failed: an attempt spent) or
  ``transient`` (the database or the broker was unreachable). The outbox gauges are read
  from the service's database at each scrape: rows waiting to be published, the age of
  the oldest of them (0 when none waits), rows the broker refused too often.

The counters live in this process (``METRICS``): the outbox relay and the event consumer
count what they publish, retry and dead-letter; ``Observability``, a nameko dependency
of every ``BassinService``, times every worker and serves the port.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import eventlet
import eventlet.wsgi
from kombu import Connection
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from sqlalchemy import text

from bassin_common.broker import FAIL_FAST
from bassin_common.config import Settings, settings_from_nameko
from bassin_common.errors import DomainError
from bassin_common.logs import describe
from bassin_common.tenancy import check_tenant_key

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: from a fast cached read to an RPC close to its timeout.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CHECK_TIMEOUT = 2.0  # seconds each /readyz check may take


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else f"{int(value)}"


@dataclass
class Metric:
    name: str
    help: str
    kind: str  # counter, gauge, histogram
    labelnames: tuple[str, ...]
    values: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name} takes the labels {self.labelnames}, not {tuple(labels)}")
        return tuple(str(labels[name]) for name in self.labelnames)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def set(self, value: float, **labels: str) -> None:
        self.values[self._key(labels)] = float(value)

    def observe(self, seconds: float, **labels: str) -> None:
        key = self._key(labels)
        counts, total, count = self.values.get(key, ([0] * len(DURATION_BUCKETS), 0.0, 0))
        counts = [before + (seconds <= bound) for before, bound in zip(counts, DURATION_BUCKETS, strict=True)]
        self.values[key] = (counts, total + seconds, count + 1)

    def exposition(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for key, value in sorted(self.values.items()):
            if self.kind != "histogram":
                yield f"{self.name}{_labels(self.labelnames, key)} {_number(value)}"
            else:
                counts, total, count = value
                for bound, below in zip([*DURATION_BUCKETS, "+Inf"], [*counts, count], strict=True):
                    le = f'le="{bound}"'
                    yield f"{self.name}_bucket{_labels(self.labelnames, key, le)} {below}"
                yield f"{self.name}_sum{_labels(self.labelnames, key)} {_number(total)}"
                yield f"{self.name}_count{_labels(self.labelnames, key)} {count}"


class Metrics:
    """This process's metrics (one per process: ``METRICS``)."""

    def __init__(self) -> None:
        def metric(name: str, kind: str, help: str, *labelnames: str) -> Metric:
            return Metric(name, help, kind, labelnames)

        self.rpc_duration = metric(
            "bassin_rpc_duration_seconds", "histogram", "RPC calls served, by outcome", "service", "method", "outcome"
        )
        self.handler_duration = metric(
            "bassin_handler_duration_seconds",
            "histogram",
            "Event handlers run, by outcome",
            "service",
            "handler",
            "outcome",
        )
        self.events_published = metric(
            "bassin_events_published_total",
            "counter",
            "Events the outbox relay published (confirmed by the broker)",
            "service",
            "event_type",
        )
        self.events_consumed = metric(
            "bassin_events_consumed_total", "counter", "Events handled, by outcome", "service", "handler", "outcome"
        )
        self.retries = metric(
            "bassin_event_retries_total",
            "counter",
            "Events sent to a retry queue: the handler failed, or a dependency was unreachable",
            "service",
            "handler",
            "cause",
        )
        self.dead_letters = metric(
            "bassin_dead_letters_total", "counter", "Events sent to a dead-letter queue", "service", "handler"
        )
        self.outbox_pending = metric("bassin_outbox_pending", "gauge", "Outbox rows waiting to be published", "service")
        self.outbox_lag = metric(
            "bassin_outbox_lag_seconds", "gauge", "Age of the oldest outbox row waiting to be published", "service"
        )
        self.outbox_set_aside = metric(
            "bassin_outbox_set_aside", "gauge", "Outbox rows set aside after the broker refused them", "service"
        )

    def all(self) -> list[Metric]:
        return [value for value in vars(self).values() if isinstance(value, Metric)]

    def exposition(self) -> str:
        return "".join(f"{line}\n" for metric in self.all() for line in metric.exposition())


METRICS = Metrics()

_OUTBOX_STATE = text(
    "SELECT count(*) FILTER (WHERE set_aside_at IS NULL) AS pending, "
    "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE set_aside_at IS NULL)), 0) AS lag, "
    "count(*) FILTER (WHERE set_aside_at IS NOT NULL) AS set_aside "
    "FROM outbox WHERE published_at IS NULL"
)


def outcome_of(exc_info: Any) -> str:
    if exc_info is None:
        return "ok"
    return "refused" if isinstance(exc_info[1], DomainError) else "error"


class Observability(DependencyProvider):
    """Times every worker of the service, and serves /healthz, /readyz and /metrics."""

    def setup(self) -> None:
        self.settings: Settings = settings_from_nameko()
        self.service = self.container.service_name
        self.stopping = False
        self.started: dict[int, float] = {}
        self._socket: Any = None

    def start(self) -> None:
        if not self.settings.http_port:
            return
        self._socket = eventlet.listen((self.settings.http_host, self.settings.http_port))
        self.container.spawn_managed_thread(self._serve, identifier="observability_http")
        log.info("health and metrics on http://%s:%s", self.settings.http_host, self.settings.http_port)

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the socket closed by stop()
            eventlet.wsgi.server(self._socket, self.wsgi, log_output=False, max_size=16)

    def stop(self) -> None:
        # nameko stops the dependencies last, after the workers in flight have finished.
        self.stopping = True
        if self._socket is not None:
            self._socket.close()

    kill = stop

    # --- timing the workers ------------------------------------------------------

    def worker_setup(self, worker_ctx: Any) -> None:
        self.started[id(worker_ctx)] = time.monotonic()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        began = self.started.pop(id(worker_ctx), None)
        if began is None:
            return
        seconds = time.monotonic() - began
        entrypoint = worker_ctx.entrypoint
        outcome = outcome_of(exc_info)
        if isinstance(entrypoint, Rpc):
            METRICS.rpc_duration.observe(seconds, service=self.service, method=entrypoint.method_name, outcome=outcome)
        elif isinstance(entrypoint, EventHandler):
            handler = entrypoint.method_name
            METRICS.handler_duration.observe(seconds, service=self.service, handler=handler, outcome=outcome)
            METRICS.events_consumed.inc(service=self.service, handler=handler, outcome=outcome)

    # --- HTTP ----------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            status, body, kind = "200 OK", b"ok\n", "text/plain"
        elif path == "/readyz":
            failures = self.readiness_failures()
            status = "503 Service Unavailable" if failures else "200 OK"
            body = ("\n".join(failures) or "ready").encode() + b"\n"
            kind = "text/plain"
        elif path == "/metrics":
            self.read_outbox()
            status, body, kind = "200 OK", METRICS.exposition().encode(), CONTENT_TYPE
        else:
            status, body, kind = "404 Not Found", b"not found\n", "text/plain"
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]

    def _engine(self) -> Any:
        from bassin_common.service import Database  # service.py imports this module

        return next(d.engine for d in self.container.dependencies if isinstance(d, Database))

    def readiness_failures(self) -> list[str]:
        if self.stopping:
            return ["stopping"]
        failures = []
        try:
            with eventlet.Timeout(CHECK_TIMEOUT), self._engine().connect() as connection:
                check_tenant_key(connection)  # answers, and accepts our tenant proofs
        except (Exception, eventlet.Timeout) as error:
            failures.append(f"database: {describe(error)}")
        try:
            broker = Connection(self.settings.amqp_uri, connect_timeout=CHECK_TIMEOUT)
            with eventlet.Timeout(CHECK_TIMEOUT), broker:
                broker.ensure_connection(**FAIL_FAST)
        except (Exception, eventlet.Timeout) as error:
            failures.append(f"broker: {describe(error)}")
        return failures

    def read_outbox(self) -> None:
        try:
            with eventlet.Timeout(CHECK_TIMEOUT), self._engine().connect() as connection:
                row = connection.execute(_OUTBOX_STATE).one()
        except (Exception, eventlet.Timeout) as error:
            log.warning("metrics: could not read the outbox (%s)", describe(error))
            return
        METRICS.outbox_pending.set(row.pending, service=self.service)
        METRICS.outbox_lag.set(float(row.lag), service=self.service)
        METRICS.outbox_set_aside.set(row.set_aside, service=self.service)
