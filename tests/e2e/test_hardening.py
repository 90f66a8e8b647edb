"""The system under abuse and outages, with every part a real process (``live_stack``).

- a flood of wrong logins: the gateway stays up and under its memory limit, answers
  others, and the flood gets 429s;
- pos stopped: a sale answers 503/504, and is never recorded later;
- sales held inside pos while RabbitMQ stops and starts: pos stays up, and every held
  sale (or keyless create) is recorded exactly once;
- a broker alarm: requests fail fast with 503 instead of hanging;
- a body too large (413), JSON too deep (400), an amount with three decimals (422, never
  rounded): refused, the field named, nothing written.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import eventlet
import psycopg
import pytest
import requests
from sqlalchemy import create_engine, text

from bassin_common.database import psycopg_conninfo
from bassin_common.testing import wait_until
from conftest import RABBITMQCTL, LiveStack, broker_stopped

GATEWAY_MEMORY_LIMIT = 384 * 2**20  # deploy/k8s: the gateway container's limit
needs_local_broker = pytest.mark.skipif(not RABBITMQCTL, reason="needs the local RabbitMQ to control")


def peak_memory(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) * 1024


def count_rows(stack: LiveStack, service: str, table: str, where: str = "true", **params) -> int:
    engine = create_engine(stack.settings.service_database_url(service))
    with engine.connect() as connection:
        query = f"SELECT count(*) FROM {table} WHERE tenant_id = :tenant AND {where}"
        count = connection.scalar(text(query), {"tenant": stack.tenant_id, **params})
    engine.dispose()
    return count


@contextmanager
def held_inserts(stack: LiveStack, service: str, table: str, seconds: float) -> Iterator[None]:
    """Every insert into ``table`` of this tenant sleeps ``seconds`` inside its transaction."""
    conninfo = psycopg_conninfo(stack.settings.service_database_url(service))
    name = f"hold_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$;
                CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW
                WHEN (NEW.tenant_id = '{stack.tenant_id}') EXECUTE FUNCTION {name}();"""
        )
    try:
        yield
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();")


def sleeping_in(stack: LiveStack, service: str) -> int:
    """Transactions of ``service`` sleeping in a held insert right now."""
    database = stack.settings.database_name(service)
    with psycopg.connect(psycopg_conninfo(stack.settings.database_url, "postgres")) as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event = 'PgSleep'"
        return conn.execute(query, (database,)).fetchone()[0]


@pytest.mark.e2e
def test_a_flood_of_wrong_logins_gets_429s_and_the_gateway_keeps_serving(live_stack: LiveStack) -> None:
    stack = live_stack
    attempts = [(f"gerant-{n % 20}@example.fr", f"wrong-password-{n}") for n in range(200)]

    def login(attempt: tuple[str, str]) -> int:
        email, password = attempt
        try:
            return requests.post(
                f"{stack.url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=60
            ).status_code
        except requests.RequestException:
            return 0

    flood = eventlet.GreenPool(200)
    statuses: list[int] = []
    running = eventlet.spawn(lambda: statuses.extend(flood.imap(login, attempts)))
    eventlet.sleep(0.5)
    # Others are served meanwhile: the company's article is readable.
    assert requests.get(
        f"{stack.url}/api/v1/inventory/articles/{stack.article['id']}", headers=stack.auth, timeout=30
    ).ok
    running.wait()
    stack.gateway.assert_alive()
    assert statuses.count(429) > 0, statuses
    assert set(statuses) <= {401, 429}, sorted(set(statuses))
    peak = peak_memory(stack.gateway.pid)
    print(
        f"\nlogin flood: {statuses.count(429)} of {len(statuses)} answered 429;"
        f" gateway peak memory {peak / 2**20:.0f} MiB"
    )
    assert peak < GATEWAY_MEMORY_LIMIT
    assert requests.get(f"{stack.url}/healthz", timeout=5).ok


@pytest.mark.e2e
def test_with_pos_stopped_a_sale_fails_and_is_never_recorded_later(live_stack: LiveStack) -> None:
    stack = live_stack
    pos = stack.services["pos"]
    pos.stop()
    refused = stack.sell(f"stopped-{uuid.uuid4()}", timeout=30)
    assert refused.status_code in (503, 504), refused.text
    assert refused.headers.get("Retry-After")
    pos.start()
    pos.wait_ready()
    eventlet.sleep(3)  # a request left in the queue would have been executed by now
    assert count_rows(stack, "pos", "sales") == 0
    assert stack.sell(f"after-{uuid.uuid4()}").status_code == 201


@pytest.mark.e2e
@needs_local_broker
@pytest.mark.disruptive
def test_sales_held_in_pos_while_the_broker_restarts_are_recorded_once(live_stack: LiveStack) -> None:
    stack = live_stack
    pos, inventory = stack.services["pos"], stack.services["inventory"]
    survivors = (pos.pid, inventory.pid)
    keys = [f"held-{n}-{uuid.uuid4().hex[:8]}" for n in range(4)]
    supplier_name = f"Fournisseur {uuid.uuid4().hex[:6]}"
    answers: dict[str, int] = {}

    def sell_until_accepted(key: str) -> None:
        while True:
            try:
                response = stack.sell(key, timeout=20)
                if response.status_code == 201:
                    answers[key] = 201
                    return
            except requests.RequestException:
                pass
            eventlet.sleep(0.5)

    def create_supplier_once() -> None:  # no Idempotency-Key: the gateway makes the request's id
        with suppress(requests.RequestException):
            requests.post(
                f"{stack.url}/api/v1/inventory/suppliers", json={"name": supplier_name}, headers=stack.auth, timeout=20
            )

    with held_inserts(stack, "pos", "sales", 2), held_inserts(stack, "inventory", "suppliers", 2):
        sellers = [eventlet.spawn(sell_until_accepted, key) for key in keys]
        creator = eventlet.spawn(create_supplier_once)
        wait_until(lambda: sleeping_in(stack, "pos") >= 1 and sleeping_in(stack, "inventory") >= 1)
        with broker_stopped():
            eventlet.sleep(3)  # the held transactions commit meanwhile; their replies cannot leave
        for seller in sellers:
            seller.wait()
        creator.wait()
    assert (pos.pid, inventory.pid) == survivors
    pos.assert_alive()
    inventory.assert_alive()
    assert answers == dict.fromkeys(keys, 201)
    assert count_rows(stack, "pos", "sales") == len(keys)
    wait_until(lambda: count_rows(stack, "inventory", "suppliers", "name = :name", name=supplier_name) >= 1, 30)
    eventlet.sleep(2)
    assert count_rows(stack, "inventory", "suppliers", "name = :name", name=supplier_name) == 1


@pytest.mark.e2e
@needs_local_broker
@pytest.mark.disruptive
def test_a_broker_alarm_makes_requests_fail_fast_with_503(live_stack: LiveStack) -> None:
    stack = live_stack
    watermark = subprocess.run(
        [RABBITMQCTL, "eval", "vm_memory_monitor:get_vm_memory_high_watermark()."],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run([RABBITMQCTL, "set_vm_memory_high_watermark", "0.0001"], check=True, capture_output=True)
    try:
        wait_until(lambda: "memory" in _alarms(), timeout=30)
        started = time.monotonic()
        refused = stack.sell(f"alarm-{uuid.uuid4()}", timeout=60)
        assert refused.status_code == 503, refused.text
        assert refused.headers.get("Retry-After")
        # Failing fast: well before the gateway's RPC timeout (5 s here) would have answered 504.
        assert time.monotonic() - started < 5
    finally:
        restore = watermark if re.fullmatch(r"[\d.]+", watermark) else "0.4"
        subprocess.run([RABBITMQCTL, "set_vm_memory_high_watermark", restore], check=True, capture_output=True)
        wait_until(lambda: "memory" not in _alarms(), timeout=60)
    assert stack.sell(f"after-alarm-{uuid.uuid4()}").status_code == 201


def _alarms() -> str:
    """The broker's active alarms, as RabbitMQ lists them (``[]`` when there is none)."""
    command = [RABBITMQCTL, "eval", "rabbit_alarm:get_alarms()."]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout


@pytest.mark.e2e
def test_bodies_too_large_too_deep_or_too_precise_are_refused_and_write_nothing(live_stack: LiveStack) -> None:
    stack = live_stack
    url, headers = f"{stack.url}/api/v1/pos/sales", {**stack.auth, "Content-Type": "application/json"}

    def post(body: str | bytes) -> requests.Response:
        return requests.post(url, data=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=30)

    oversized = post(b'{"lines": "' + b"x" * (2 * 2**20) + b'"}')
    assert oversized.status_code == 413 and oversized.headers["Content-Type"] == "application/problem+json"
    deep = post("[" * 50_000 + "]" * 50_000)
    assert deep.status_code == 400 and "_schema" in deep.json()["errors"]
    sale = stack.sale()
    sale["payments"] = [{"method": "card", "amount": "39.905"}]
    three_decimals = post(json.dumps(sale))
    assert three_decimals.status_code == 422 and "payments[0].amount" in three_decimals.json()["errors"]
    stack.gateway.assert_alive()
    assert count_rows(stack, "pos", "sales") == 0
