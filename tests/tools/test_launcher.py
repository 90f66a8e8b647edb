"""``./bassin start`` keeps the system up: a child that exits is started again, within limits;
and the gateway gets a local signing key of its own."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from bassin_dev import launcher


def wait_for_exit(system: launcher.RunningSystem) -> None:
    for item in system.managed:
        item.process.wait(timeout=10)


def test_a_child_that_exits_is_started_again(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    # Exits the first time, then stays up: what a service does when the broker vanished once.
    flaky = f"if [ -e {marker} ]; then exec sleep 30; else touch {marker}; exit 3; fi"
    system = launcher.RunningSystem(
        "http://unused", None, [launcher._spawn("pos", ["sh", "-c", flaky], {}, True)], {}, True
    )
    try:
        wait_for_exit(system)
        assert system.restart_exited() is None
        time.sleep(0.3)
        assert system.managed[0].process.poll() is None  # running again
        assert len(system.managed[0].restarts) == 1
    finally:
        launcher._stop(system.managed)


def test_a_child_that_keeps_exiting_stops_everything_after_the_limit() -> None:
    system = launcher.RunningSystem(
        "http://unused", None, [launcher._spawn("pos", ["sh", "-c", "exit 3"], {}, True)], {}, True
    )
    for _ in range(launcher.MAX_RESTARTS):
        wait_for_exit(system)
        assert system.restart_exited() is None
    wait_for_exit(system)
    assert system.restart_exited() is system.managed[0]


def test_the_local_signing_key_is_made_once_private_and_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher, "LOCAL_SIGNING_KEY", tmp_path / ".bassin" / "jwt-secret")
    key = launcher.local_signing_key()
    assert len(key.encode()) >= 32
    assert launcher.local_signing_key() == key  # kept, so tokens survive a restart
    assert stat.S_IMODE(os.stat(tmp_path / ".bassin" / "jwt-secret").st_mode) == 0o600


def test_the_start_migrates_every_database_once_and_declares_the_queues_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every database is migrated once (the gateway's too), every service's queues declared
    and the broker users made beside the migrations; the start waits for all of it."""
    from bassin_common.registry import installed_services

    monkeypatch.setenv("BASSIN_RABBIT_MANAGEMENT_URI", "off")  # no delivery-limit policy to set here
    migrated: list[str] = []
    declared: list[str] = []
    monkeypatch.setattr(launcher, "_migrate_database", lambda name: migrated.append(name or "gateway"))
    monkeypatch.setattr(launcher, "_declare_queues", lambda name, settings: declared.append(name) or [])
    timings: dict[str, float] = {}

    _, beside = launcher.migrate_everything(quiet=True, timings=timings, meanwhile=lambda: "broker users")

    names = sorted(service.name for service in installed_services())
    assert sorted(migrated) == sorted([*names, "gateway"])
    assert sorted(declared) == names
    assert beside == "broker users"
    assert set(timings) == {"queues and broker users", "migrations"}
