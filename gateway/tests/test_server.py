"""``bassin-gateway`` as a real process: it refuses to start without a signing key of its
own, closes slow clients, and drains on SIGTERM — new connections refused, requests in
flight finished, then exit 0 (issue #17)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet
import pytest
import requests
from nameko.rpc import rpc

from bassin_common.config import DEVELOPMENT_CONTEXT_KEY
from bassin_common.testing import wait_until

SLOW_SECONDS = 2.0
ARRIVED: list[str] = []  # article ids the slow service has started on


class SlowInventory:
    """Stands for inventory: an article takes two seconds to read."""

    name = "inventory"

    @rpc
    def get_article(self, article_id: str) -> dict[str, Any]:
        ARRIVED.append(article_id)
        eventlet.sleep(SLOW_SECONDS)
        return {"id": article_id, "sku": "CHL-GAL-5KG"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASSIN_JWT") and k != "BASSIN_CONFIG"}
    env.update({f"BASSIN_{name.upper()}": value for name, value in settings.items()})
    return env


class Gateway:
    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"gateway-{self.port}.log"
        env = environment(gateway_port=str(self.port), log_format="json", **settings)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bassin_gateway.server"], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        def answering() -> bool:
            assert self.process.poll() is None, self.log()[-3000:]
            try:
                return requests.get(f"{self.url}/healthz", timeout=1).ok
            except requests.RequestException:
                return False

        wait_until(answering, timeout=60)

    def refuses_connections(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gateway(tmp_path, service_config, gateway_settings, test_settings, migrate_gateway) -> Iterator[Any]:
    started: list[Gateway] = []

    def start(**settings: str) -> Gateway:
        settings = {
            "amqp_uri": service_config["AMQP_URI"],
            "jwt_secret": gateway_settings().jwt_secret,
            "database_prefix": test_settings.database_prefix,  # where ``bearer`` opens its sessions
            **settings,
        }
        process = Gateway(tmp_path, **settings)
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.stop()


def slow_read(url: str, headers: dict[str, str], answers: list) -> None:
    article_id = str(uuid.uuid4())
    try:
        response = requests.get(f"{url}/api/v1/inventory/articles/{article_id}", headers=headers, timeout=30)
    except requests.RequestException as error:
        answers.append((article_id, None, repr(error)))
    else:
        answers.append((article_id, response.status_code, response.json()))


@pytest.fixture
def slow_inventory(runner_factory, service_config) -> None:
    ARRIVED.clear()
    runner_factory(service_config, SlowInventory).start()


def test_sigterm_refuses_new_connections_finishes_requests_in_flight_then_exits_0(gateway, slow_inventory, bearer):
    process = gateway(drain_seconds="10")
    answers: list = []
    in_flight = eventlet.spawn(slow_read, process.url, bearer(), answers)
    wait_until(lambda: len(ARRIVED) == 1, timeout=10)
    signalled = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    wait_until(process.refuses_connections, timeout=1.5)
    assert answers == [], "the request in flight ended before its service answered"
    in_flight.wait()
    [(article_id, status, body)] = answers
    assert (status, body) == (200, {"id": article_id, "sku": "CHL-GAL-5KG"})
    assert process.process.wait(timeout=10) == 0
    assert time.monotonic() - signalled < SLOW_SECONDS + 3
    log = process.log()
    assert "draining" in log and "requests in flight finished" in log, log[-2000:]


def test_requests_still_in_flight_after_the_drain_time_do_not_hold_the_exit(
    gateway, slow_inventory, bearer, monkeypatch
):
    # The request in flight takes far longer than the exit may, however loaded the machine is.
    monkeypatch.setitem(globals(), "SLOW_SECONDS", 30.0)
    process = gateway(drain_seconds="0.5")
    answers: list = []
    eventlet.spawn(slow_read, process.url, bearer(), answers)
    wait_until(lambda: ARRIVED, timeout=10)
    signalled = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    assert process.process.wait(timeout=10) == 0
    assert time.monotonic() - signalled < SLOW_SECONDS
    assert "stopping with 1 request(s) still in flight" in process.log()


def test_a_second_signal_cuts_the_drain_short(gateway, slow_inventory, bearer, monkeypatch):
    monkeypatch.setitem(globals(), "SLOW_SECONDS", 30.0)
    process = gateway(drain_seconds="60")
    eventlet.spawn(slow_read, process.url, bearer(), [])
    wait_until(lambda: ARRIVED, timeout=10)
    signalled = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    wait_until(process.refuses_connections, timeout=10)
    process.process.send_signal(signal.SIGINT)  # Ctrl-C, say
    assert process.process.wait(timeout=10) == 0
    assert time.monotonic() - signalled < SLOW_SECONDS


def test_a_client_that_stays_silent_is_disconnected(gateway):
    process = gateway(http_socket_timeout="1")
    with socket.create_connection(("127.0.0.1", process.port)) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n")  # and never the blank line
        slow.settimeout(10)
        started = time.monotonic()
        with contextlib.suppress(ConnectionResetError):  # closed: either way
            assert slow.recv(1024) == b""
        assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({}, "BASSIN_JWT_SECRET is not set"),
        ({"jwt_secret": "change-me-in-production-this-is-only-for-development"}, "published in Bassin's repository"),
        (
            {"jwt_secret": "compose-dev-only-jwt-secret-replace-me-in-any-shared-setup"},
            "published in Bassin's repository",
        ),
        ({"jwt_secret": "x" * 31}, "shorter than 32 bytes"),
        ({"jwt_secret": "k" * 40, "jwt_previous_keys": "old:" + "y" * 20}, "previous key 'old' is shorter"),
        ({"jwt_secret": "k" * 40, "jwt_previous_keys": "no-colon-here"}, "each entry is kid:secret"),
        ({"jwt_secret": "k" * 40, "context_keys": DEVELOPMENT_CONTEXT_KEY}, "BASSIN_CONTEXT_KEYS is a value published"),
        ({"jwt_secret": "k" * 40, "context_keys": "c" * 20}, "BASSIN_CONTEXT_KEYS is shorter than 32 bytes"),
    ],
    ids=[
        "missing",
        "old-default",
        "compose-fallback",
        "short",
        "short-previous",
        "malformed-previous",
        "development-context-key",
        "short-context-key",
    ],
)
def test_the_gateway_refuses_to_start_without_a_strong_signing_key(settings, reason):
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "bassin_gateway.server"],
        env=environment(gateway_port=str(port), amqp_uri="pyamqp://guest:guest@127.0.0.1:9/", **settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to start" in result.stderr and reason in result.stderr, result.stderr[-2000:]
