"""``./bassin start`` and ``./bassin test`` (the shell script bootstraps the virtualenv first).

start: find PostgreSQL and RabbitMQ, migrate every database, declare the topology,
       start every service and the gateway, load the demo tenant, print the URL and
       login, and stop everything cleanly on Ctrl-C.
test:  find the same infrastructure (enabling RabbitMQ's management API, which
       nameko's test fixtures use), then run the whole suite with pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("inventory", "pos")  # the others join as their issues fill them
MIGRATIONS = (("gateway", "bassin_gateway"), ("inventory", "inventory"), ("pos", "pos"))
STOP_GRACE_SECONDS = 20


@dataclass
class Managed:
    name: str
    process: subprocess.Popen[str]


def _pump(name: str, stream, width: int) -> None:
    """Copy a child's output to ours, prefixed; keep draining even if our terminal is gone."""
    for line in stream:
        with contextlib.suppress(OSError):
            sys.stdout.write(f"{name:<{width}} | {line}")
            sys.stdout.flush()


def _spawn(name: str, command: list[str], env: dict[str, str], quiet: bool = False) -> Managed:
    process = subprocess.Popen(
        command,
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else subprocess.STDOUT,
        text=True,
        start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
    )
    if not quiet:
        threading.Thread(target=_pump, args=(name, process.stdout, 9), daemon=True).start()
    return Managed(name, process)


def _stop(managed: list[Managed]) -> None:
    for item in reversed(managed):
        if item.process.poll() is None:
            item.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for item in reversed(managed):
        try:
            item.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            print(f"{item.name} did not stop in {STOP_GRACE_SECONDS}s: killing it")
            item.process.kill()
            item.process.wait()


def _wait_http(url: str, timeout: float, managed: list[Managed]) -> None:
    """Wait for ``url`` to answer 200, failing early if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in managed:
            if item.process.poll() is not None:
                raise SystemExit(f"{item.name} exited with code {item.process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout}s")


def _environment() -> dict[str, str]:
    from bassin_common.infra import InfrastructureMissing, resolve_infrastructure

    try:
        infra = resolve_infrastructure()
    except InfrastructureMissing as missing:
        raise SystemExit(f"error: {missing}") from None
    print(f"PostgreSQL and RabbitMQ: {infra.origin}")
    return {
        **os.environ,
        "BASSIN_DATABASE_URL": infra.database_url,
        "BASSIN_AMQP_URI": infra.amqp_uri,
        "BASSIN_RABBIT_MANAGEMENT_URI": infra.management_uri,
    }


@contextmanager
def running_system(env: dict[str, str], port: int, quiet: bool = False) -> Iterator[RunningSystem]:
    """Migrate, declare the topology, start every service and the gateway; stop them after."""
    env = {
        **env,
        "BASSIN_GATEWAY_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        # `nameko run` imports eventlet before bassin_common can quiet its deprecation notice.
        "PYTHONWARNINGS": env.get("PYTHONWARNINGS", "ignore:::nameko.extensions"),
    }
    os.environ.update(env)
    from bassin_common.config import load_settings
    from bassin_common.migrations import upgrade
    from bassin_common.topology import declare_from_settings

    settings = load_settings()
    for service, package in MIGRATIONS:
        upgrade(service, settings, package)
        if not quiet:
            print(f"database {settings.database_name(service)}: migrated")
    declare_from_settings()

    python = sys.executable
    config = str(REPO / "services/config.yml")
    commands = {s: [python, "-m", "nameko", "run", "--config", config, f"{s}.service"] for s in SERVICES}
    commands["gateway"] = [python, "-m", "bassin_gateway.server"]
    managed = [_spawn(name, command, env, quiet) for name, command in commands.items()]
    try:
        url = f"http://{settings.gateway_host}:{port}"
        _wait_http(f"{url}/healthz", 60, managed)
        yield RunningSystem(url, settings, managed)
    finally:
        # The terminal may be gone (SIGHUP): printing must not prevent the stop.
        with contextlib.suppress(OSError):
            print("stopping…", flush=True)
        _stop(managed)
        with contextlib.suppress(OSError):
            print("stopped", flush=True)


@dataclass
class RunningSystem:
    url: str
    settings: Any
    managed: list[Managed]

    def exited(self) -> Managed | None:
        return next((item for item in self.managed if item.process.poll() is not None), None)


def start(args: argparse.Namespace) -> int:
    env = _environment()
    env.setdefault("BASSIN_LOG_FORMAT", "text")
    stop_requested = threading.Event()
    # SIGINT set explicitly: a shell may start us with it ignored; SIGHUP: the terminal closed.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop_requested.set())
    with running_system(env, args.port) as system:
        if not args.no_demo:
            from bassin_dev.demo import load_demo

            login = load_demo(system.settings)
            print(f"demo tenant {'loaded' if login.created else 'already there'}")
        print(f"\n  Bassin is running: {system.url}/")
        if not args.no_demo:
            print(f"  Demo login: {login.email} / {login.password}")
        print("  Ctrl-C stops everything.\n")
        while not stop_requested.wait(0.5):
            if dead := system.exited():
                print(f"{dead.name} exited with code {dead.process.returncode}: stopping")
                return 1
    return 0


def run_tests(pytest_args: list[str]) -> int:
    os.environ.update(_environment())
    from bassin_common.infra import ensure_rabbit_management

    ensure_rabbit_management(os.environ["BASSIN_RABBIT_MANAGEMENT_URI"])
    command = [sys.executable, "-m", "pytest", *pytest_args]
    print(" ".join(command))
    return subprocess.call(command, cwd=REPO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bassin")
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="run the whole system with a demo tenant")
    start_parser.add_argument("--port", type=int, default=int(os.environ.get("BASSIN_GATEWAY_PORT", 8000)))
    start_parser.add_argument("--no-demo", action="store_true", help="do not load the demo tenant")
    commands.add_parser("test", help="run the whole test suite; other arguments go to pytest")
    args, extra = parser.parse_known_args(argv)
    if args.command == "test":
        return run_tests(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return start(args)


if __name__ == "__main__":
    sys.exit(main())
