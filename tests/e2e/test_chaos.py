"""Chaos: tills keep selling while every part of the system fails in turn.

Every registered service and the gateway run as real processes. Tills (green threads)
sell continuously, each sale with its own Idempotency-Key, retrying the same key until
they are told it succeeded. Meanwhile, one after the other: inventory, pos and the
gateway are SIGKILLed and started again; RabbitMQ is stopped and started
(``rabbitmqctl stop_app`` / ``start_app``); PostgreSQL is restarted
(``pg_ctlcluster … restart -m immediate``). The broker and database faults are survived by
the same processes: nothing restarts them.

Afterwards every sale a till was told succeeded is recorded once and applied to stock
once, and nothing is dead-lettered. The recovery time of each fault (until a new sale is
accepted and applied to stock) is printed. The broker and the database are always
restored, even when the test fails.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import eventlet
import pytest
import requests
from sqlalchemy import create_engine, text

from bassin_common.testing import wait_until
from conftest import PG_CTLCLUSTER, RABBITMQCTL, LiveStack, broker_stopped, restart_postgres

TILLS = 6
SALES_PER_TILL = 40


class Tills:
    """Tills selling one article, each sale retried with its key until it is accepted."""

    def __init__(self, stack: LiveStack) -> None:
        self.stack = stack
        self.accepted: dict[str, str] = {}  # Idempotency-Key -> sale id
        self.attempts = 0
        self.unexpected: list[str] = []

    def sell_until_accepted(self, key: str) -> str:
        delay = 0.1
        while True:
            self.attempts += 1
            try:
                response = self.stack.sell(key, timeout=10)
            except requests.RequestException:
                response = None
            if response is not None and response.status_code == 201:
                self.accepted[key] = response.json()["id"]
                return self.accepted[key]
            if response is not None and response.status_code not in (502, 503, 504):
                self.unexpected.append(f"{response.status_code} {response.text[:300]}")
            eventlet.sleep(delay)
            delay = min(delay * 2, 2.0)

    def run(self, till: int) -> None:
        for number in range(SALES_PER_TILL):
            self.sell_until_accepted(f"till-{till}-sale-{number}-{uuid.uuid4().hex[:8]}")
            eventlet.sleep(0.05)


def stock_once_reachable(stack: LiveStack) -> int:
    """The shop's quantity, asked again until the system answers (a fault may still be on)."""

    def read() -> int | None:
        try:
            return stack.shop_quantity()
        except requests.RequestException:
            return None

    answers: list[int] = []

    def answered() -> bool:
        if (quantity := read()) is not None:
            answers.append(quantity)
        return bool(answers)

    wait_until(answered, timeout=120)
    return answers[-1]


def recovery(stack: LiveStack, tills: Tills, since: float) -> float:
    """Seconds from ``since`` until a new sale is accepted and applied to stock."""
    before = stock_once_reachable(stack)
    tills.sell_until_accepted(f"probe-{uuid.uuid4()}")
    wait_until(lambda: stock_once_reachable(stack) < before, timeout=120)
    return time.monotonic() - since


def dead_letters(rabbit_manager, vhost: str) -> dict[str, int]:
    return {q["name"]: q.get("messages", 0) for q in rabbit_manager.get_queues(vhost) if q["name"].endswith(".dead")}


def recorded_sales(stack: LiveStack) -> list[str]:
    """Ids of the tenant's sales in pos's database, read as its owner."""
    engine = create_engine(stack.settings.service_database_url("pos"))
    with engine.connect() as connection:
        rows = connection.scalars(text("SELECT id FROM sales WHERE tenant_id = :t"), {"t": stack.tenant_id}).all()
    engine.dispose()
    return [str(row) for row in rows]


def sale_movements(stack: LiveStack) -> list[str]:
    ledger = stack.every(f"/api/v1/inventory/articles/{stack.article['id']}/movements")
    return [m["reference"] for m in ledger if m["reason"] == "sale"]


@pytest.mark.e2e
@pytest.mark.skipif(not (RABBITMQCTL and PG_CTLCLUSTER), reason="needs the local RabbitMQ and PostgreSQL to control")
@pytest.mark.disruptive
def test_sales_survive_killed_processes_a_broker_restart_and_a_database_restart(
    live_stack: LiveStack, rabbit_manager
) -> None:
    stack, tills = live_stack, Tills(live_stack)
    initial = stock_once_reachable(stack)
    sellers = [eventlet.spawn(tills.run, till) for till in range(TILLS)]
    recoveries: dict[str, float] = {}

    def fault(name: str, inject: Callable[[], None]) -> None:
        wait_until(lambda: len(tills.accepted) >= (len(recoveries) + 1) * 25, timeout=120)
        inject()
        recoveries[name] = recovery(stack, tills, since=time.monotonic())

    def kill_and_restart(process) -> Callable[[], None]:
        def inject() -> None:
            process.kill()
            eventlet.sleep(1)  # the tills keep trying meanwhile
            process.start()

        return inject

    survivors = {process.name: process.pid for process in stack.processes()}
    for name in ("inventory", "pos"):
        fault(f"SIGKILL {name}", kill_and_restart(stack.services[name]))
    fault("SIGKILL gateway", kill_and_restart(stack.gateway))
    survivors = {process.name: process.pid for process in stack.processes()}

    def broker_outage() -> None:
        with broker_stopped():
            eventlet.sleep(3)

    fault("RabbitMQ stop_app/start_app", broker_outage)
    fault("PostgreSQL restart -m immediate", restart_postgres)
    for seller in sellers:
        seller.wait()

    # Nothing restarted the processes after the broker and database faults.
    for process in stack.processes():
        process.assert_alive()
    assert {process.name: process.pid for process in stack.processes()} == survivors

    assert tills.unexpected == [], tills.unexpected[:5]
    sold = len(tills.accepted)
    wait_until(lambda: stock_once_reachable(stack) == initial - sold, timeout=120)
    eventlet.sleep(2)  # a duplicate application, were there one, would land by now
    assert stock_once_reachable(stack) == initial - sold
    assert sorted(sale_movements(stack)) == sorted(tills.accepted.values())  # each applied once
    # Each key got one sale, and pos holds no other: nothing recorded twice.
    assert sorted(recorded_sales(stack)) == sorted(tills.accepted.values())
    assert len(set(tills.accepted.values())) == sold
    queues = dead_letters(rabbit_manager, stack.vhost)
    assert queues and set(queues.values()) == {0}, queues
    print(f"\nchaos: {sold} sales in {tills.attempts} attempts; recovery after each fault (s):")
    for name, seconds in recoveries.items():
        print(f"  {name:<34} {seconds:5.1f}")
