"""A service process as a container runs it (``bassin-run``, ``BASSIN_HTTP_PORT`` set):
its health, readiness and Prometheus metrics on its small HTTP port, its JSON logs, and
its clean stop on SIGTERM. Real PostgreSQL, real RabbitMQ, a real process."""

from __future__ import annotations

import json
import re
import signal
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from bassin_common.events import Event
from bassin_common.observability import METRICS
from bassin_common.testing import publish_event, rpc_client, wait_until

SERVICE = "customers"  # any registered service: the endpoints come from BassinService


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def samples(exposition: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of the samples named ``name`` (labels as written)."""
    found = {}
    for line in exposition.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(\{{.*\}})? (\S+)", line)
        if match:
            found[match[1] or ""] = float(match[2])
    return found


@pytest.fixture
def running(migrate: Callable[[str], None], service_process: Any, process_environment: Any):
    migrate(SERVICE)
    port = free_port()
    process = service_process(SERVICE)
    process.env = {**process.env, "BASSIN_HTTP_PORT": str(port), "BASSIN_LOG_FORMAT": "json"}
    process.start()
    process.wait_ready()
    return process, f"http://127.0.0.1:{port}"


def test_a_running_service_is_healthy_ready_and_exposes_the_named_metrics(running: Any) -> None:
    process, url = running
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200

    def ready() -> bool:
        return requests.get(f"{url}/readyz", timeout=5).status_code == 200

    wait_until(ready, timeout=30)
    with rpc_client(uuid.uuid4()) as client:
        assert getattr(client, SERVICE).health()["database"] == "ok"

    response = requests.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.text
    for metric in METRICS.all():  # every family is declared, samples or not
        assert f"# TYPE {metric.name} {metric.kind}\n" in text, metric.name
    # The RPC just served, timed.
    counts = samples(text, "bassin_rpc_duration_seconds_count")
    assert counts[f'{{service="{SERVICE}",method="health",outcome="ok"}}'] >= 1
    assert samples(text, "bassin_rpc_duration_seconds_bucket")
    # The outbox, read from the service's database at the scrape.
    for gauge in ("bassin_outbox_pending", "bassin_outbox_lag_seconds", "bassin_outbox_set_aside"):
        assert f'{{service="{SERVICE}"}}' in samples(text, gauge), gauge
    assert requests.get(f"{url}/nothing", timeout=5).status_code == 404
    process.assert_alive()


def test_events_published_consumed_and_dead_lettered_are_counted(running: Any, service_config: Any) -> None:
    process, url = running
    tenant = uuid.uuid4()
    customer = {
        "kind": "private",
        "first_name": "Hélène",
        "last_name": "Durand",
        "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    }
    with rpc_client(tenant) as client:
        created = client.customers.create_customer(customer)  # announces customer_created (outbox)
    anonymous = {
        "sale_id": str(uuid.uuid4()),
        "customer_id": None,
        "total": "10.00",
        "lines": [],
        "completed_at": datetime(2026, 6, 1, 10, 0, tzinfo=UTC).isoformat(),
    }
    sale = {
        "sale_id": str(uuid.uuid4()),
        "customer_id": created["id"],
        "total": "10.00",
        "lines": [],
        "completed_at": datetime(2026, 6, 1, 10, 0, tzinfo=UTC).isoformat(),
    }
    publish_event(service_config["AMQP_URI"], Event("sale_completed", tenant, "pos", sale))  # handled
    publish_event(service_config["AMQP_URI"], Event("sale_completed", tenant, "pos", anonymous))  # not its concern
    publish_event(service_config["AMQP_URI"], Event("sale_completed", tenant, "pos", {}))  # malformed

    def counted() -> str | None:
        text = requests.get(f"{url}/metrics", timeout=5).text
        handled = f'{{service="{SERVICE}",handler="on_sale_completed",outcome="ok"}}'
        wanted = [
            ("bassin_events_published_total", f'{{service="{SERVICE}",event_type="customer_created"}}'),
            ("bassin_events_consumed_total", handled),
            ("bassin_events_consumed_total", handled.replace('outcome="ok"', 'outcome="not_concerned"')),
            ("bassin_handler_duration_seconds_count", handled),
            ("bassin_dead_letters_total", f'{{service="{SERVICE}",handler="on_sale_completed"}}'),
            ("bassin_rpc_duration_seconds_count", f'{{service="{SERVICE}",method="create_customer",outcome="ok"}}'),
        ]
        # Published and marked, so nothing waits in the outbox any more.
        drained = samples(text, "bassin_outbox_pending").get(f'{{service="{SERVICE}"}}') == 0
        return text if drained and all(samples(text, name).get(labels, 0) >= 1 for name, labels in wanted) else None

    wait_until(counted, timeout=30)
    process.assert_alive()


def test_sigterm_stops_the_service_cleanly_with_json_logs(running: Any) -> None:
    process, url = running
    process.process.send_signal(signal.SIGTERM)
    assert process.process.wait(timeout=60) == 0, process.log_tail()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)
    lines = [line for line in process.log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and len(records) == len(lines), "every log line is one JSON object"
    assert any("health and metrics on" in record.get("message", "") for record in records)
