"""bench/demo_load: ``./bassin start --scale S`` timed, and where its CPU goes (issue #29).

    .venv/bin/python bench/demo_load.py [--scale 1] [--prefix bassin_bench_demo_] [--keep]

Runs ``./bassin start`` on databases and a RabbitMQ vhost of its own (``--prefix``, the
vhost of the same name: created, then dropped at the end unless ``--keep``), as a newcomer
runs it, and reports:

- ready: from the command's start until it prints its login line (the demo company loaded,
  the dashboard populated), and each stage of the load as the loader prints it;
- quiet: until every process has been idle for a few seconds (the events still in flight
  when the load returned, applied by their consumers);
- CPU-seconds by process — the launcher (the loader), each service, the gateway, and the
  PostgreSQL backends serving this run's databases — sampled from ``/proc`` every half
  second. The CPU-seconds are the figure that predicts the time on a quiet machine; the
  wall times depend on what else the shared machine runs (the load average is printed).

RabbitMQ's own CPU is not counted: its one process serves every engineer's vhost.

``--only inventory`` starts Bassin without the demo and loads, from this process, only
those services' operations of the demo company (here the catalogue; the other services
still apply its events): a part of the load measured alone, its times and CPU counted
from the load's start. (The till and invoices name customers: pos needs customers too.)
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
READY = re.compile(r"log in at http://")
STARTED = re.compile(r"started in ([\d.]+) s \((.*)\)")
LOADED = re.compile(r"demo tenant loaded: (\d+) records in ([\d.]+) s \((.*)\)")
QUIET_SECONDS = 4.0  # every process idle this long: the events in flight are applied
IDLE_CPU = 0.03  # CPU-seconds per half-second sample below which a process is idle


def cpu_seconds(pid: int) -> float | None:
    """The process's CPU time so far, its threads' (exited ones too); None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def process_name(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except OSError:
        return "?"
    if "bassin_common.run" in command:
        return command[command.index("bassin_common.run") + 1]
    if "bassin_gateway.server" in command:
        return "gateway"
    return Path(command[0]).name


class Sampler:
    """Per-process CPU-seconds, the last value seen of each (a process may exit)."""

    def __init__(self, launcher: int, database_url: str, prefix: str) -> None:
        self.launcher, self.prefix = launcher, prefix
        self.database_url = database_url
        self.seen: dict[tuple[str, int], float] = {}
        self.last_busy = time.monotonic()
        self.stop = threading.Event()

    def backends(self, connection: psycopg.Connection) -> dict[int, str]:
        rows = connection.execute(
            "SELECT pid, datname FROM pg_stat_activity WHERE datname LIKE %s", (self.prefix + "%",)
        ).fetchall()
        return {pid: "postgres:" + name.removeprefix(self.prefix) for pid, name in rows}

    def run(self) -> None:
        with psycopg.connect(self.database_url + "/postgres", autocommit=True) as connection:
            while not self.stop.wait(0.5):
                processes = {self.launcher: "launcher (loader)"}
                for child in children(self.launcher):
                    processes[child] = process_name(child)
                processes |= self.backends(connection)
                busy = False
                for pid, name in processes.items():
                    now = cpu_seconds(pid)
                    if now is None:
                        continue
                    before = self.seen.get((name, pid), now)
                    busy = busy or (now - before > IDLE_CPU and not name.startswith("launcher"))
                    self.seen[(name, pid)] = now
                if busy:
                    self.last_busy = time.monotonic()

    def totals(self) -> dict[str, float]:
        by_name: dict[str, float] = defaultdict(float)
        for (name, _), seconds in self.seen.items():
            by_name[name] += seconds
        return dict(by_name)


def load_only(services: list[str], scale: float) -> int:
    """The operations of ``services`` in the demo company, loaded as the demo loads them."""
    from bassin_common.config import load_settings
    from bassin_dev import demo, demo_data

    plan = demo_data.company(demo.DEMO_SEED, scale=scale, slug="piscines-bench")
    plan.stages = [
        demo_data.Stage(stage.name, {s: g for s, g in stage.groups.items() if s in services}, stage.settle)
        for stage in plan.stages
    ]
    loaded = demo.load_company(load_settings(), plan)
    assert loaded is not None
    return loaded.operations


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rabbitmqctl(*arguments: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *arguments], check=True, capture_output=True)


def drop_databases(database_url: str, prefix: str) -> None:
    with psycopg.connect(database_url + "/postgres", autocommit=True) as connection:
        names = [
            row[0]
            for row in connection.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))
        ]
        for name in names:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1")
    parser.add_argument("--prefix", default="bassin_bench_demo_")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the vhost")
    parser.add_argument("--log", default="/tmp/bench_demo_load.log", help="the command's output")
    parser.add_argument(
        "--only",
        default="",
        help="load only these services' operations of the demo (inventory: the catalogue), from this "
        "process into ./bassin start --no-demo; timed from the load's start",
    )
    parser.add_argument(
        "--workers", default="4", help="BASSIN_MAX_WORKERS: each service's database pool (PostgreSQL is shared)"
    )
    args = parser.parse_args()
    database_url = os.environ.get("BASSIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    vhost = args.prefix.rstrip("_")
    drop_databases(database_url, args.prefix)
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    env = {
        **os.environ,
        "BASSIN_DATABASE_URL": database_url,
        "BASSIN_AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:5672/{urllib.parse.quote(vhost, safe='')}",
        "BASSIN_DATABASE_PREFIX": args.prefix,
        "BASSIN_MAX_WORKERS": args.workers,
    }
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped: the run cleaned up all the same
    print(f"load average before: {os.getloadavg()}")
    started = time.monotonic()
    process = subprocess.Popen(
        [str(REPO / "bassin"), "start", "--port", str(free_port()), "--scale", args.scale]
        + (["--no-demo"] if args.only else []),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    sampler = Sampler(process.pid, database_url, args.prefix)
    threading.Thread(target=sampler.run, daemon=True).start()
    output: list[str] = []
    ready_at: float | None = None
    loads: list[float] = []

    def read() -> None:
        nonlocal ready_at
        with open(args.log, "w") as log:
            for line in process.stdout:  # type: ignore[union-attr]
                output.append(line)
                log.write(line)
                log.flush()
                if ready_at is None and READY.search(line):
                    ready_at = time.monotonic()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while ready_at is None and process.poll() is None:
            loads.append(os.getloadavg()[0])
            time.sleep(1)
        if ready_at is None:
            print("".join(output[-60:]))
            return 1
        if args.only:
            os.environ.update(env)
            at_start = sampler.totals()
            started = time.monotonic()
            print(f"  {load_only(args.only.split(','), float(args.scale))} records loaded")
            ready_at = time.monotonic()
        while time.monotonic() - sampler.last_busy < QUIET_SECONDS:
            loads.append(os.getloadavg()[0])
            time.sleep(0.5)
        quiet_at = max(sampler.last_busy, ready_at)
    finally:
        sampler.stop.set()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if not args.keep:
            drop_databases(database_url, args.prefix)
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
    loaded = LOADED.search("".join(output))
    print(
        f"scale {args.scale}: ready (login line) after {ready_at - started:.1f} s, "
        f"quiet after {quiet_at - started:.1f} s"
    )
    if started_line := STARTED.search("".join(output)):
        print(f"  start-up: {started_line.group(1)} s ({started_line.group(2)})")
    if loaded:
        print(f"  loader: {loaded.group(1)} records in {loaded.group(2)} s ({loaded.group(3)})")
    print(
        f"  load average during the run: min {min(loads):.1f}, max {max(loads):.1f}, mean {sum(loads) / len(loads):.1f}"
    )
    totals = sampler.totals()
    if args.only:  # the load's CPU only, not the start's
        totals = {name: seconds - at_start.get(name, 0.0) for name, seconds in totals.items()}
    print(f"  CPU-seconds by process (total {sum(totals.values()):.1f}; RabbitMQ not counted):")
    for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"    {name:28s} {seconds:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
