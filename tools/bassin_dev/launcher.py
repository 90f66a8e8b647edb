"""``./bassin start``, ``./bassin test`` and the developer's other commands (the shell
script bootstraps the virtualenv first).

start:        find PostgreSQL and RabbitMQ, migrate every database and declare every
              service's queues, give each component its own RabbitMQ user, start every
              registered service and the gateway (each logged in as its user), load the
              demo tenant (``bassin_dev.demo``; ``--empty``: only its logins and 8
              articles), print the URL and login, and stop everything cleanly on Ctrl-C.
demo:         the same, then a network of N more demo companies (``--companies 50``),
              each load timed; ``--exit`` stops once loaded.
test:         find the same infrastructure (enabling RabbitMQ's management API, which
              nameko's test fixtures use), then run the whole suite: pytest processes
              side by side, then the disruptive tests alone (``bassin_dev.suite``); with
              arguments, one pytest process with them.
new-service:  create a working, tested, empty service (``bassin_dev.scaffold``).
generate:     rewrite what is derived from the service registry (``bassin_dev.generate``).

Services come from the registry (``bassin_common.registry``): nothing here names one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STOP_GRACE_SECONDS = 20
LOCAL_SIGNING_KEY = REPO / ".bassin" / "jwt-secret"  # .bassin/ is ignored by Git
LOCAL_BROKER_PASSWORDS = REPO / ".bassin" / "broker-passwords.json"
LOCAL_CONTEXT_KEY = REPO / ".bassin" / "context-key"
LOCAL_TENANT_KEY = REPO / ".bassin" / "database-tenant-key"
LOCAL_RUNTIME_PASSWORD = REPO / ".bassin" / "database-runtime-password"
LOCAL_GATEWAY_PASSWORD = REPO / ".bassin" / "database-gateway-password"
# The logins the services and the gateway use on a developer's machine (ADR 0033); the
# migration step creates them.
LOCAL_RUNTIME_USER = "bassin_runtime"
LOCAL_GATEWAY_USER = "bassin_gateway_runtime"
# A child that exits is started again, but not forever: this many times within the window.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0


@dataclass
class Managed:
    name: str
    process: subprocess.Popen[str]
    command: list[str]
    restarts: list[float] = field(default_factory=list)
    env: dict[str, str] | None = None  # its own, when it differs from the system's (its logins)


def _pump(name: str, stream, width: int) -> None:
    """Copy a child's output to ours, prefixed; keep draining even if our terminal is gone."""
    for line in stream:
        with contextlib.suppress(OSError):
            sys.stdout.write(f"{name:<{width}} | {line}")
            sys.stdout.flush()


def _spawn(name: str, command: list[str], env: dict[str, str], quiet: bool = False) -> Managed:
    return Managed(name, _popen(name, command, env, quiet), command, env=env)


def _popen(name: str, command: list[str], env: dict[str, str], quiet: bool) -> subprocess.Popen[str]:
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
    return process


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


def _wait_http(url: str, timeout: float, managed: list[Managed], ready: str | None = None) -> None:
    """Wait for ``url`` to answer 200 (with ``"status": ready`` in its JSON when given),
    failing early if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in managed:
            if item.process.poll() is not None:
                raise SystemExit(f"{item.name} exited with code {item.process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200 and (ready is None or json.load(response).get("status") == ready):
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout}s")


def _local_secret(path: Path) -> str:
    """A secret of a developer's machine: random, made once, kept in .bassin/ (out of Git)."""
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def local_signing_key() -> str:
    """The gateway's token key on a developer's machine (``_local_secret``). The gateway
    refuses to start without a key of its own."""
    return _local_secret(LOCAL_SIGNING_KEY)


def runtime_credentials(env: dict[str, str]) -> dict[str, str]:
    """The database environment of a release, made from the one URL found (ADR 0033): it
    becomes the migration step's; the services get the runtime login's and the gateway its
    own (``BASSIN_GATEWAY_DATABASE_URL``), on the same server; with the tenant key. What
    ``env`` sets already is kept."""
    from sqlalchemy.engine import make_url

    found: dict[str, str] = {}
    if not env.get("BASSIN_MIGRATION_DATABASE_URL"):
        server = make_url(env["BASSIN_DATABASE_URL"])
        runtime = server.set(username=LOCAL_RUNTIME_USER, password=_local_secret(LOCAL_RUNTIME_PASSWORD))
        gateway = server.set(username=LOCAL_GATEWAY_USER, password=_local_secret(LOCAL_GATEWAY_PASSWORD))
        found["BASSIN_MIGRATION_DATABASE_URL"] = env["BASSIN_DATABASE_URL"]
        found["BASSIN_DATABASE_URL"] = runtime.render_as_string(hide_password=False)
        found["BASSIN_GATEWAY_DATABASE_URL"] = gateway.render_as_string(hide_password=False)
    if not env.get("BASSIN_DATABASE_TENANT_KEY"):
        found["BASSIN_DATABASE_TENANT_KEY"] = _local_secret(LOCAL_TENANT_KEY)
    return found


@contextmanager
def _infrastructure() -> Iterator[dict[str, str]]:
    """The environment naming PostgreSQL and RabbitMQ, for as long as the block lasts
    (throwaway containers, when those are what was found, are removed after it), and the
    local signing and context keys unless they are set."""
    from bassin_dev.infra import InfrastructureMissing, infrastructure

    try:
        with infrastructure() as infra:
            print(f"PostgreSQL and RabbitMQ: {infra.origin}")
            env = {**os.environ, **infra.environment()}
            env.setdefault("BASSIN_JWT_SECRET", local_signing_key())
            env.setdefault("BASSIN_CONTEXT_KEYS", _local_secret(LOCAL_CONTEXT_KEY))
            yield env
    except InfrastructureMissing as missing:
        raise SystemExit(f"error: {missing}") from None


def migrate_everything(
    quiet: bool = False, timings: dict[str, float] | None = None, meanwhile: Callable[[], Any] | None = None
) -> tuple[Any, Any]:
    """Every database to head and every service's queues declared, as a release's migration
    step does; returns the settings used, with the migration step's URL (the tooling that
    runs beside the system, the demo loader, reads the gateway's database as its owner),
    and what ``meanwhile`` returned.

    The queues are declared (each service's in a thread of its own) and ``meanwhile`` run
    (the broker users) while the databases are migrated: those wait on the broker's
    answers, the migrations are Python work. The databases are migrated one after the
    other: in processes side by side they were no faster on a 2-core machine (ADR 0029).
    Every step is idempotent and cheap when already done. ``timings``: how long each took."""
    from bassin_common.config import load_settings
    from bassin_common.quorum import management_uri
    from bassin_common.registry import installed_services
    from bassin_dev.infra import ensure_rabbit_management

    started = time.monotonic()
    settings = load_settings()
    if (management := management_uri(settings)) is not None:
        ensure_rabbit_management(management)  # the delivery-limit policy is set through it
    names = [service.name for service in installed_services()]
    with ThreadPoolExecutor(len(names) + 1) as threads:
        queues = {name: threads.submit(_declare_queues, name, settings) for name in names}
        beside = threads.submit(meanwhile) if meanwhile is not None else None
        _migrate_database(None)
        for name in names:
            _migrate_database(name)
            if not quiet:
                print(f"{name}: database {settings.database_name(name)} migrated")
        if timings is not None:
            timings["migrations"] = time.monotonic() - started
        for name, declared in queues.items():
            for queue in declared.result():
                print(f"{queue}: was a classic queue, now a quorum queue with its messages")
            if not quiet:
                print(f"{name}: queues declared")
        result = beside.result() if beside is not None else None
    if timings is not None:
        timings["queues and broker users"] = time.monotonic() - started
    return settings.replace(database_url=settings.migration_database_url or settings.database_url), result


def _migrate_database(service_name: str | None) -> None:
    """One database to head: a registered service's; None: the gateway's."""
    from bassin_common.config import load_settings
    from bassin_common.migrations import grant_component_login, migrate_service, upgrade_database
    from bassin_common.registry import find_service
    from bassin_gateway.runtime import GATEWAY_MIGRATIONS, SERVICE_NAME

    settings = load_settings()
    if service_name is not None:
        migrate_service(find_service(service_name), settings)
        return
    gateway_database = settings.migration_service_database_url(SERVICE_NAME)
    upgrade_database(gateway_database, GATEWAY_MIGRATIONS, settings=settings)
    gateway_login = os.environ.get("BASSIN_GATEWAY_DATABASE_URL") or settings.database_url
    grant_component_login(gateway_database, settings.replace(database_url=gateway_login))


def _declare_queues(service_name: str, settings: Any) -> list[str]:
    from bassin_common.migrations import declare_topology
    from bassin_common.registry import find_service

    return declare_topology(find_service(service_name), settings)


def component_amqp_uris(env: dict[str, str]) -> dict[str, str]:
    """Each component's own RabbitMQ user (``bassin_common.broker_users``; named after the
    vhost unless it is ``/``) created or updated on the vhost of ``BASSIN_AMQP_URI``, as a
    release's step does, with passwords made once and kept in .bassin/; returns the AMQP
    URI each component connects with."""
    from bassin_common import broker_users as users
    from bassin_dev.infra import ensure_rabbit_management

    management_uri, amqp_uri = env["BASSIN_RABBIT_MANAGEMENT_URI"], env["BASSIN_AMQP_URI"]
    ensure_rabbit_management(management_uri)
    permissions = users.component_permissions()
    known = json.loads(LOCAL_BROKER_PASSWORDS.read_text()) if LOCAL_BROKER_PASSWORDS.exists() else {}
    passwords = {component: known.get(component) or secrets.token_urlsafe(24) for component in permissions}
    if passwords != known:
        LOCAL_BROKER_PASSWORDS.parent.mkdir(exist_ok=True)
        LOCAL_BROKER_PASSWORDS.touch(mode=0o600)
        LOCAL_BROKER_PASSWORDS.write_text(json.dumps(passwords, indent=2))
    vhost = users.vhost_of(amqp_uri)
    # Users are the broker's, not a vhost's: two systems on two vhosts of one broker (two
    # worktrees, a bench beside ./bassin start) would each set the other's passwords, and
    # the first one's relays be refused. A vhost of its own gets users of its own.
    prefix = users.USER_PREFIX if vhost == "/" else f"{users.USER_PREFIX}{vhost}-"
    users.apply(users.Management(management_uri), vhost, passwords, permissions, prefix)
    return {c: users.component_uri(amqp_uri, users.username(c, prefix), password) for c, password in passwords.items()}


@contextmanager
def running_system(env: dict[str, str], port: int, quiet: bool = False) -> Iterator[RunningSystem]:
    """Migrate, declare the topology, start every service and the gateway; stop them after.

    The migration step runs with the migration credentials; the processes started get the
    runtime ones only (``runtime_credentials``)."""
    env = {
        **env,
        **runtime_credentials(env),
        "BASSIN_GATEWAY_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    from bassin_common.registry import installed_services

    started = time.monotonic()
    timings: dict[str, float] = {}
    # Each process logs in to RabbitMQ as itself: its user made while the databases migrate.
    settings, amqp_uris = migrate_everything(quiet, timings, meanwhile=lambda: component_amqp_uris(env))
    env = {name: value for name, value in env.items() if name != "BASSIN_MIGRATION_DATABASE_URL"}
    os.environ.pop("BASSIN_MIGRATION_DATABASE_URL", None)
    python = sys.executable
    commands = {service.name: [python, "-m", "bassin_common.run", service.name] for service in installed_services()}
    managed = [
        _spawn(name, command, {**env, "BASSIN_AMQP_URI": amqp_uris[name]}, quiet) for name, command in commands.items()
    ]
    gateway_env = {
        **env,
        "BASSIN_AMQP_URI": amqp_uris["gateway"],
        "BASSIN_DATABASE_URL": env.get("BASSIN_GATEWAY_DATABASE_URL") or env["BASSIN_DATABASE_URL"],
    }
    managed.append(_spawn("gateway", [python, "-m", "bassin_gateway.server"], gateway_env, quiet))
    try:
        url = f"http://127.0.0.1:{port}"
        spawned = time.monotonic()
        _wait_http(f"{url}/healthz", 60, managed)
        timings["gateway up"] = time.monotonic() - spawned
        # Every service answering its RPCs (readyz "ready"): the demo loader and the first user need them.
        _wait_http(f"{url}/readyz", 120, managed, ready="ready")
        timings["services ready"] = time.monotonic() - spawned
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
        print(f"started in {time.monotonic() - started:.1f} s ({stages})", flush=True)
        yield RunningSystem(url, settings, managed, env, quiet)
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
    env: dict[str, str]
    quiet: bool = False

    def restart_exited(self) -> Managed | None:
        """Start again every child that exited; the one that exited too often, if any."""
        now = time.monotonic()
        for item in self.managed:
            if (code := item.process.poll()) is None:
                continue
            item.restarts = [t for t in item.restarts if now - t < RESTART_WINDOW_SECONDS]
            if len(item.restarts) >= MAX_RESTARTS:
                return item
            item.restarts.append(now)
            print(
                f"{item.name} exited with code {code}: starting it again "
                f"({len(item.restarts)} of {MAX_RESTARTS} restarts allowed in {RESTART_WINDOW_SECONDS:.0f} s)"
            )
            item.process = _popen(item.name, item.command, item.env or self.env, self.quiet)
        return None


def start(args: argparse.Namespace) -> int:
    stop_requested = threading.Event()
    loading = threading.Event()  # a stop asked while the demo loads ends the load at once

    def stop(*_: Any) -> None:
        stop_requested.set()
        if loading.is_set():
            loading.clear()
            raise KeyboardInterrupt

    # SIGINT set explicitly: a shell may start us with it ignored; SIGHUP: the terminal closed.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        return _start(args, stop_requested, loading)
    except KeyboardInterrupt:
        print("stopped while loading the demo: it is loaded again, whole, on the next start")
        return 130


def _start(args: argparse.Namespace, stop_requested: threading.Event, loading: threading.Event) -> int:
    with _infrastructure() as env, running_system({"BASSIN_LOG_FORMAT": "text", **env}, args.port) as system:
        if stop_requested.is_set():
            return 0
        loading.set()
        if not args.no_demo:
            from bassin_dev.demo import load_demo

            login = load_demo(system.settings, empty=args.empty, scale=args.scale, slug=args.company)
            cashier = login.email.replace("gerant@", "caisse@")
            if login.created:
                stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in login.stages.items())
                print(f"demo tenant loaded: {login.operations} records in {login.seconds:.1f} s ({stages})")
            else:
                print("demo tenant already there")
        for slug, seconds, created in load_network_timed(system.settings, args.companies, args.scale):
            print(f"network company {slug} {'loaded' if created else 'already there'} ({seconds:.1f} s)")
        loading.clear()
        print(f"\n  Bassin is running: log in at {system.url}/connexion")
        if not args.no_demo:
            print(f"  Demo login: {login.email} / {login.password} (the cashier: {cashier}, same password)")
        print(f"  The API: {system.url}/api/v1 (its reference: {system.url}/api/docs)")
        print("  Ctrl-C stops everything.\n")
        if args.exit_after_load:
            return 0
        while not stop_requested.wait(0.5):
            if failing := system.restart_exited():
                print(
                    f"{failing.name} keeps exiting (code {failing.process.returncode}, {MAX_RESTARTS} restarts "
                    f"in {RESTART_WINDOW_SECONDS:.0f} s): stopping everything; its log is above"
                )
                return 1
    return 0


def load_network_timed(settings: Any, companies: int, scale: float) -> Iterator[tuple[str, float, bool]]:
    """The network's companies (``./bassin demo --companies N``; the benchmarks' ``--network N``), timed."""
    if not companies:
        return
    from bassin_dev.demo import load_network

    started = time.monotonic()
    yield from load_network(settings, companies, scale)
    print(f"network of {companies} companies loaded in {time.monotonic() - started:.1f} s")


def run_tests(pytest_args: list[str]) -> int:
    from bassin_dev.infra import ensure_rabbit_management

    with _infrastructure() as env:
        ensure_rabbit_management(env["BASSIN_RABBIT_MANAGEMENT_URI"])
        if not pytest_args:  # the whole suite: independent processes side by side
            from bassin_dev.suite import run_suite

            return run_suite(REPO, env)
        command = [sys.executable, "-m", "pytest", *pytest_args]
        print(" ".join(command))
        return subprocess.call(command, cwd=REPO, env=env)


# The demo company is a whole shop (1,350 customers, 6,500 articles): 33 s to load on a quiet
# 2-core machine since the bulk imports (docs/guide/demo.md); --scale 0.1 is a tenth of it.
DEFAULT_SCALE = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bassin")
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="run the whole system with a demo tenant")
    start_parser.add_argument("--port", type=int, default=int(os.environ.get("BASSIN_GATEWAY_PORT", 8000)))
    start_parser.add_argument("--no-demo", action="store_true", help="do not load the demo tenant")
    demo = commands.add_parser("demo", help="start with the demo company and a network of N more")
    demo.add_argument("--port", type=int, default=int(os.environ.get("BASSIN_GATEWAY_PORT", 8000)))
    demo.add_argument("--companies", type=int, default=50, help="how many network companies (default 50)")
    for parser_ in (start_parser, demo):
        parser_.add_argument(
            "--scale",
            type=float,
            default=DEFAULT_SCALE,
            help=f"each demo company's size, as a share of a real shop's (default {DEFAULT_SCALE:g}: a whole shop)",
        )
        parser_.add_argument(
            "--empty", action="store_true", help="an empty demo company: its logins and 8 articles, no customers"
        )
        parser_.add_argument(
            "--company", default="piscines-demo", help="the demo company's name in URLs and logins (piscines-demo)"
        )
        parser_.add_argument(
            "--exit", dest="exit_after_load", action="store_true", help="stop once loaded (to time it)"
        )
    start_parser.set_defaults(companies=0)
    commands.add_parser("test", help="run the whole test suite; other arguments go to pytest")
    new_service = commands.add_parser("new-service", help="create a working, tested, empty service")
    new_service.add_argument("name", help="lower case, words joined by _ (e.g. demo_probe)")
    generate = commands.add_parser("generate", help="rewrite the files derived from the service registry")
    generate.add_argument("--check", action="store_true", help="only say whether they are up to date")
    args, extra = parser.parse_known_args(argv)
    if args.command == "test":
        return run_tests(extra)
    if args.command == "new-service":
        from bassin_dev.scaffold import new_service

        return new_service(args.name)
    if args.command == "generate":
        from bassin_dev.generate import generate

        return generate(check=args.check)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "demo":
        args.no_demo = False
    return start(args)


if __name__ == "__main__":
    sys.exit(main())
