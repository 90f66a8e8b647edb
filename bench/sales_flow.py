"""bench/sales_flow: sales through the gateway, down to the stock, against the raw limits.

    .venv/bin/python bench/sales_flow.py [--seconds 20] [--clients 1,8,32] [--prefix bassin_bench_] [--port 8765]
        [--network N] [--keep] [--shops 1]

Needs ``wrk`` (Debian: ``apt install wrk``) and ``pgbench`` (PostgreSQL's client tools).
Starts the whole system as ``./bassin start`` does, on its own databases
(``bassin_bench_*``) and RabbitMQ vhost, with one company of 10 articles stocked in
``--shops`` shops (the sales dealt among them in turn), and prints in one table, for each
number of concurrent clients:

- sales/s accepted (HTTP 201) and sales/s applied to stock (until the last movement);
- p50/p99 of the HTTP answer (wrk) and of sale -> stock (the ledger movement's
  transaction time minus the sale's, both from PostgreSQL's clock);
- CPU milliseconds per sale of each process (gateway, each service, RabbitMQ,
  PostgreSQL: the backends of this bench's databases), read from /proc before and after,
  and in total (on a shared broker, RabbitMQ's figure includes other users' traffic);

then the same-run baselines on the same servers — PostgreSQL single-row update TPS
(``pgbench -N``, 8 clients), RabbitMQ confirmed persistent publishes/s (one channel, a
confirm per message), the gateway's ``/healthz`` req/s (wrk, 32 connections) — with
Bassin's ratio to each, and a reconciliation line: sales recorded = movements applied =
stock dropped. Last, with the system stopped, the shape's floor at the same client counts
(bench/shape_floor.py: the same stack carrying a trivial order, no tenancy nor outbox) and
Bassin's ratios to it (``--no-floor`` skips it). It stops everything it started, on success
or failure.

``--network N`` loads N demo companies into the system before the measure, as ``./bassin
demo --companies N`` does (``bench_system``, which bench/customer_360.py uses too), prints
how long that took and its CPU, and waits until the services have digested the network's
events. ``--keep`` keeps the databases at the end and starts on kept ones (the network's
companies then are there already; each run makes its own company under a new name).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
import requests
from kombu import Connection, Queue

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from measure import WrkResult, cpu_seconds, fresh_vhost, pids_of, wrk
from shape_floor import FloorRun, floor_servers, run_floor
from shape_floor import report as report_floor

from bassin_common.database import psycopg_conninfo
from bassin_dev.launcher import DEFAULT_SCALE, RunningSystem, _infrastructure, load_network_timed, running_system

PREFIX = "bassin_bench_"
VHOST = "bassin_bench"
PASSWORD = "bench-password-2026"
ARTICLES = 10
STOCK = 1_000_000  # units of each article at the start


# --- the system and its company ------------------------------------------------------


def conninfo(settings, database: str) -> str:
    return psycopg_conninfo(settings.database_url, database)


def bench_databases() -> list[str]:
    """This bench's databases, by exact name: a pattern on the prefix would also match
    other runs' databases on a shared server (``bassin_bench_demo_pos`` starts with it)."""
    from bassin_common.registry import installed_services

    return [f"{PREFIX}{name}" for name in [*(s.name for s in installed_services()), "gateway", "pgbench"]]


def drop_bench_databases(settings) -> None:
    with psycopg.connect(conninfo(settings, "postgres"), autocommit=True) as conn:
        for name in bench_databases():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_system_options(parser: argparse.ArgumentParser, prefix: str, port: int) -> None:
    """The options of the system a bench starts (``bench_system``): both benches take them."""
    parser.add_argument("--port", type=int, default=port, help=f"the gateway's port (default {port})")
    parser.add_argument("--verbose", action="store_true", help="show the processes' logs")
    parser.add_argument(
        "--prefix", default=prefix, help=f"databases' prefix, and the vhost's name without its '_' (default {prefix})"
    )
    parser.add_argument(
        "--network",
        type=int,
        default=0,
        metavar="N",
        help="before measuring, load a network of N demo companies, as ./bassin demo --companies N does",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"each network company's size, as a share of a real shop's (default {DEFAULT_SCALE:g}, as ./bassin demo)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="do not drop the databases at the end, and start on the kept ones (a kept network is not loaded again)",
    )


@contextmanager
def bench_system(args: argparse.Namespace, **more_env: str) -> Iterator[RunningSystem]:
    """The whole system on this run's databases and a fresh vhost, with ``--network N``
    companies loaded; stopped after, and its databases dropped unless ``--keep`` (then
    the next run with ``--keep`` starts on them: the bench makes its own company under a
    new slug each run, and the network's companies are found already there)."""
    from bassin_common.config import load_settings

    use_prefix(args.prefix)
    with _infrastructure() as env:
        env.update(
            BASSIN_DATABASE_PREFIX=PREFIX,
            BASSIN_AMQP_URI=fresh_vhost(env["BASSIN_RABBIT_MANAGEMENT_URI"], env["BASSIN_AMQP_URI"], VHOST),
            BASSIN_LOG_LEVEL="WARNING",
            **more_env,
        )
        settings = load_settings(env)
        if not args.keep:
            drop_bench_databases(settings)
        try:
            with running_system(env, args.port, quiet=not args.verbose) as system:
                if args.network:
                    load_network(system, args.network, args.scale)
                yield system
        finally:
            if args.keep:
                print(f"databases {PREFIX}* kept (--keep): drop them by hand when done")
            else:
                drop_bench_databases(settings)


def load_network(system: RunningSystem, companies: int, scale: float) -> None:
    """``companies`` network companies loaded into the running system by the code and at
    the scale of ``./bassin demo --companies N``, with the CPU it took; then the system
    left to digest the network's events, so that the measure that follows is not theirs."""
    meter = CpuMeter(system)
    before, own_before = meter.read(), _own_cpu_seconds()
    loaded = 0
    for slug, seconds, created in load_network_timed(system.settings, companies, scale):
        print(f"network company {slug} {'loaded' if created else 'already there'} ({seconds:.1f} s)", flush=True)
        loaded += created
    settling = time.monotonic()
    wait_quiet(system)
    print(f"the system quiet {time.monotonic() - settling:.0f} s after the load")
    after = meter.read()
    cpu = {name: CpuMeter.used(before[name], after[name]) for name in after}
    cpu["bench (the loader)"] = _own_cpu_seconds() - own_before
    total = sum(cpu.values())
    parts = ", ".join(f"{name} {seconds:.0f}" for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]))
    each = f", {total / loaded:.0f} s per company loaded" if loaded else ""
    print(f"network load CPU: {total:.0f} s in all{each} ({loaded} loaded; {parts})")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def wait_quiet(system: RunningSystem, timeout: float = 600) -> None:
    """Until no service has an event left to publish and every consumed queue of the
    vhost is empty, twice 5 s apart (the management API's counts lag a few seconds). A
    queue nobody consumes is no work the system is doing, and is not waited for."""
    from bassin_common.registry import installed_services

    management = system.env["BASSIN_RABBIT_MANAGEMENT_URI"].rstrip("/")
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 2:
        queues = requests.get(f"{management}/api/queues/{VHOST}", timeout=10).json()
        queued = {q["name"]: q.get("messages", 0) for q in queues if q.get("consumers", 0) and q.get("messages", 0)}
        unpublished = 0
        for service in installed_services():
            with psycopg.connect(conninfo(system.settings, f"{PREFIX}{service.name}")) as conn:
                if conn.execute("SELECT to_regclass('outbox')").fetchone()[0]:
                    unpublished += conn.execute(
                        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL"
                    ).fetchone()[0]
        quiet = quiet + 1 if not queued and not unpublished else 0
        if time.monotonic() > deadline:
            print(f"  (not quiet after {timeout:.0f} s: {unpublished} events to publish, queued {queued})")
            return
        time.sleep(5)


@dataclass
class Company:
    tenant_id: uuid.UUID
    token: str
    shop_ids: list[str]  # each stocked with every article
    articles: list[dict]  # id and sale price


def set_up_company(system, stock: int, shops: int = 1) -> Company:
    from bassin_gateway import identities
    from bassin_gateway.runtime import gateway_sessions

    suffix = uuid.uuid4().hex[:8]
    email = f"bench-{suffix}@example.fr"
    sessions = gateway_sessions(system.settings)
    with sessions() as session:
        tenant = identities.create_tenant(session, f"bench-{suffix}", "Bench")
        identities.create_user(session, tenant.id, email, PASSWORD, "Bench", ["manager"])
        session.commit()
    sessions.kw["bind"].dispose()
    http = requests.Session()
    token = http.post(f"{system.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def create(collection: str, body: dict) -> dict:
        response = http.post(
            f"{system.url}/api/v1/inventory/{collection}", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        response.raise_for_status()
        return response.json()

    shop_ids = [
        create("locations", {"code": f"MAG-{number:02d}", "name": f"Magasin {number}", "kind": "shop"})["id"]
        for number in range(1, shops + 1)
    ]
    articles = []
    for number in range(ARTICLES):
        price = f"{9.90 + number * 3:.2f}"
        article = create(
            "articles",
            {
                "sku": f"ART-{number:03d}",
                "name": f"Article {number}",
                "purchase_price": "5.00",
                "sale_price": price,
                "stock": [{"location_id": shop_id, "quantity": stock} for shop_id in shop_ids],
            },
        )
        articles.append({"id": article["id"], "price": price})
    # The till learns of shops and articles by events: wait until each shop sells the last one.
    deadline = time.monotonic() + 60
    waiting = list(shop_ids)
    while waiting and time.monotonic() < deadline:
        if sell_once(system.url, token["access_token"], articles[-1], waiting[0] if shops > 1 else None) == 201:
            waiting.pop(0)
        else:
            time.sleep(0.2)
    if waiting:
        raise SystemExit("the till never learnt of the shops and articles")
    return Company(tenant.id, token["access_token"], shop_ids, articles)


def sale_body(articles: list[dict], rng: random.Random, shop_id: str | None = None) -> dict:
    """One or two lines, paid by card; at ``shop_id`` (the company's only shop if None)."""
    lines = rng.sample(articles, rng.choice((1, 2)))
    total = sum(float(a["price"]) for a in lines)
    return {
        "lines": [{"article_id": a["id"], "quantity": 1} for a in lines],
        "payments": [{"method": "card", "amount": f"{total:.2f}"}],
        **({"location_id": shop_id} if shop_id else {}),
    }


def sell_once(url: str, token: str, article: dict, shop_id: str | None = None) -> int:
    body = {
        "lines": [{"article_id": article["id"], "quantity": 1}],
        "payments": [{"method": "card", "amount": article["price"]}],
        **({"location_id": shop_id} if shop_id else {}),
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    return requests.post(f"{url}/api/v1/pos/sales", json=body, headers=headers, timeout=30).status_code


# --- load with wrk ---------------------------------------------------------------------

WRK_SCRIPT = """
local bodies = {bodies}
local token = "{token}"
local counter = 0
local thread_id = 0
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end

function init(args)
  thread_id = args[1] .. "-" .. id
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. token
  headers["Idempotency-Key"] = thread_id .. "-" .. counter
  return wrk.format("POST", "/api/v1/pos/sales", headers, body)
end
"""


def wrk_script(company: Company, directory: Path) -> Path:
    rng = random.Random(2026)
    shops = company.shop_ids if len(company.shop_ids) > 1 else [None]
    bodies = [json.dumps(sale_body(company.articles, rng, shops[n % len(shops)])) for n in range(50)]
    lua_bodies = "{" + ", ".join(json.dumps(body) for body in bodies) + "}"
    path = directory / "sale.lua"
    path.write_text(WRK_SCRIPT.format(bodies=lua_bodies, token=company.token))
    return path


# --- CPU from /proc ---------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by each process of the system, between two readings.

    PostgreSQL and RabbitMQ are shared servers. PostgreSQL counts the backends connected
    to this bench's databases only (found at each reading: a backend that appears meanwhile
    counts from its start), not the server's own background processes nor other users'
    sessions. RabbitMQ is one process for every vhost: on a shared broker its figure
    includes other users' traffic, and is an upper bound."""

    def __init__(self, system) -> None:
        self.settings = system.settings
        self.groups = {item.name: [item.process.pid] for item in system.managed}
        self.groups["RabbitMQ"] = pids_of("beam.smp")

    def _backends(self) -> dict[int, float]:
        with psycopg.connect(conninfo(self.settings, "postgres")) as conn:
            pids = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (bench_databases(),),
            ).fetchall()
        return {pid: cpu_seconds(pid) for (pid,) in pids}

    def read(self) -> dict[str, dict[int, float]]:
        readings = {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in self.groups.items()}
        readings["PostgreSQL"] = self._backends()
        return readings

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        """Seconds used between two readings by the processes alive at the second."""
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# --- after the load: what reached the stock --------------------------------------------


def database_now(settings) -> datetime:
    with psycopg.connect(conninfo(settings, f"{PREFIX}pos")) as pos:
        return pos.execute("SELECT now()").fetchone()[0]


@dataclass
class Applied:
    recorded: int  # sales since the step began
    applied: int  # of those, the ones whose stock movement exists
    latencies: list[float]  # sale -> stock, seconds
    last_movement: datetime | None


def applied_since(settings, company: Company, since: datetime) -> Applied:
    """The company's sales since ``since`` (PostgreSQL's clock) and their stock movements."""
    with psycopg.connect(conninfo(settings, f"{PREFIX}pos")) as pos:
        sales = dict(
            pos.execute(
                "SELECT id::text, completed_at FROM sales WHERE tenant_id = %s AND completed_at >= %s",
                (company.tenant_id, since),
            ).fetchall()
        )
    with psycopg.connect(conninfo(settings, f"{PREFIX}inventory")) as inventory:
        moved = dict(
            inventory.execute(
                "SELECT reference, min(created_at) FROM stock_movements "
                "WHERE tenant_id = %s AND reason = 'sale' AND created_at >= %s GROUP BY reference",
                (company.tenant_id, since),
            ).fetchall()
        )
    latencies = [(moved[sale] - at).total_seconds() for sale, at in sales.items() if sale in moved]
    return Applied(len(sales), len(latencies), latencies, max(moved.values(), default=None))


def wait_applied(settings, company: Company, since: datetime, timeout: float = 120) -> Applied:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = applied_since(settings, company, since)
        except psycopg.OperationalError as error:  # a shared server's connections all taken, say
            if time.monotonic() > deadline:
                raise
            print(f"  (reading the stock failed, retrying: {error})", file=sys.stderr)
            time.sleep(1)
            continue
        if result.applied == result.recorded or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def settled(settings, company: Company, since: datetime, quiet: float = 3, timeout: float = 180) -> None:
    """Wait until no sale has been recorded for ``quiet`` seconds and all reached the stock:
    a request wrk gave up on may still be waiting in pos's queue, and be recorded late."""
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        done = wait_applied(settings, company, since)
        if done.recorded == last and done.applied == done.recorded:
            return
        last = done.recorded
        time.sleep(quiet)


def reconcile(settings, company: Company, initial_stock: int) -> tuple[int, int, int, int, int]:
    """(sales recorded, sales with a movement, units sold, units moved, units gone from stock)."""
    with psycopg.connect(conninfo(settings, f"{PREFIX}pos")) as pos:
        sales, sold = pos.execute(
            "SELECT count(DISTINCT s.id), coalesce(sum(l.quantity), 0) FROM sales s "
            "JOIN sale_lines l ON l.sale_id = s.id WHERE s.tenant_id = %s",
            (company.tenant_id,),
        ).fetchone()
    with psycopg.connect(conninfo(settings, f"{PREFIX}inventory")) as inventory:
        moved_sales, moved = inventory.execute(
            "SELECT count(DISTINCT reference), coalesce(-sum(delta), 0) FROM stock_movements "
            "WHERE tenant_id = %s AND reason = 'sale'",
            (company.tenant_id,),
        ).fetchone()
        left = inventory.execute(
            "SELECT sum(quantity) FROM stock_levels WHERE tenant_id = %s", (company.tenant_id,)
        ).fetchone()[0]
    return sales, moved_sales, sold, moved, initial_stock * ARTICLES * len(company.shop_ids) - left


def batching(settings, since: datetime) -> dict[str, float]:
    """Rows per transaction where the flow batches, from the rows' own clocks (``now()`` is
    a transaction's start): outbox rows per relay batch (one mark each) in pos and
    inventory, and events per consumer transaction in inventory. 1.0 means no batching at
    all. Only the rows since ``since``: a network loaded before, or a kept run's rows, are
    not the sales'."""
    found = {}
    for service in ("pos", "inventory"):
        with psycopg.connect(conninfo(settings, f"{PREFIX}{service}")) as conn:
            rows, batches = conn.execute(
                "SELECT count(*), count(DISTINCT published_at) FROM outbox WHERE published_at >= %s", (since,)
            ).fetchone()
            found[f"{service} outbox rows per relay batch"] = rows / max(batches, 1)
    with psycopg.connect(conninfo(settings, f"{PREFIX}inventory")) as conn:
        events, transactions = conn.execute(
            "SELECT count(*), count(DISTINCT processed_at) FROM processed_events "
            "WHERE consumer = 'inventory.on_sale_completed' AND processed_at >= %s",
            (since,),
        ).fetchone()
        found["inventory sales per consumer transaction"] = events / max(transactions, 1)
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] if ordered else float("nan")


# --- baselines --------------------------------------------------------------------------


@contextmanager
def pgbench_database(settings) -> Iterator[str]:
    name = f"{PREFIX}pgbench"
    with psycopg.connect(conninfo(settings, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield conninfo(settings, name)
    finally:
        with psycopg.connect(conninfo(settings, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_update_tps(settings, seconds: float) -> float:
    """pgbench's simple-update transactions (-N), 8 clients: PostgreSQL's own limit here."""
    with pgbench_database(settings) as database:
        subprocess.run(["pgbench", "-i", "-q", "-s", "2", database], check=True, capture_output=True)
        output = subprocess.run(
            ["pgbench", "-N", "-c", "8", "-j", "2", "-T", str(int(seconds)), database],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return float(re.search(r"tps = ([\d.]+)", output)[1])


def rabbit_confirmed_publish_rate(amqp_uri: str, messages: int) -> float:
    queue = Queue("bench.confirms", durable=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        queue(connection.default_channel).declare()
        body = {"event_type": "sale_completed", "data": {"lines": [{"quantity": 1}]}}
        started = time.monotonic()
        for _ in range(messages):
            producer.publish(body, routing_key=queue.name, delivery_mode="persistent", serializer="json")
        elapsed = time.monotonic() - started
        queue(connection.default_channel).delete()
    return messages / elapsed


def healthz_rate(url: str) -> float:
    """The gateway's /healthz req/s (wrk, 32 connections, 5 s)."""
    return wrk(f"{url}/healthz", 32, 5).accepted / 5


# --- the run ----------------------------------------------------------------------------


@dataclass
class Step:
    clients: int
    http: WrkResult
    recorded: int
    applied: int
    applied_per_second: float
    stock_p50_ms: float
    stock_p99_ms: float
    cpu_ms: dict[str, float]


def run_step(system, company: Company, clients: int, seconds: float, script: Path) -> Step:
    since = database_now(system.settings)
    meter = CpuMeter(system)
    cpu_before = meter.read()
    http = wrk(f"{system.url}/api/v1/pos/sales", clients, seconds, script)
    done = wait_applied(system.settings, company, since)
    cpu_after = meter.read()
    span = (done.last_movement - since).total_seconds() if done.last_movement else float("inf")
    sales = max(done.recorded, 1)
    return Step(
        clients,
        http,
        done.recorded,
        done.applied,
        done.applied / span,
        percentile(done.latencies, 0.5) * 1000,
        percentile(done.latencies, 0.99) * 1000,
        {name: CpuMeter.used(cpu_before[name], cpu_after[name]) * 1000 / sales for name in cpu_after},
    )


def report(
    steps: list[Step],
    baselines: dict[str, float],
    reconciliation: tuple[int, int, int, int, int],
    shops: int = 1,
    floor: FloorRun | None = None,
) -> None:
    names = list(steps[0].cpu_ms)
    print(f"\nbench/sales_flow: sales through the gateway to the stock (10 articles, 1-2 lines, card, {shops} shop(s))")
    header = (
        f"{'clients':>7} {'accepted/s':>10} {'applied/s':>9} {'HTTP p50':>9} {'p99':>7} {'stock p50':>9} {'p99':>7}"
    )
    print(header + "".join(f" {name[:10]:>10}" for name in names) + f" {'CPU total':>9}")
    for step in steps:
        accepted_rate = step.http.accepted / step.http.seconds
        cells = (
            f"{step.clients:>7} {accepted_rate:>10.1f} {step.applied_per_second:>9.1f} "
            f"{step.http.p50_ms:>7.1f}ms {step.http.p99_ms:>5.0f}ms "
            f"{step.stock_p50_ms:>7.1f}ms {step.stock_p99_ms:>5.0f}ms"
        )
        total = sum(step.cpu_ms.values())
        print(cells + "".join(f" {step.cpu_ms[name]:>8.2f}ms" for name in names) + f" {total:>7.2f}ms")
        if step.http.failed or step.applied != step.recorded:
            print(f"        ({step.http.failed} not accepted; {step.recorded - step.applied} not applied to stock)")
    print(
        "  (CPU: milliseconds per sale, all processes of each part, PostgreSQL the bench's backends,"
        " RabbitMQ the whole broker; stock: sale -> stock movement)"
    )
    best = max(step.http.accepted / step.http.seconds for step in steps)
    print("same-run baselines, and Bassin's best accepted/s as a ratio of each:")
    for name, value in baselines.items():
        print(f"  {name:<48} {value:9.1f}/s   ratio {best / value:.3f}")
    if floor is not None:
        report_floor(floor)
        print("Bassin's sale against the shape's floor, at the same clients (rate ratio; CPU per sale ratio):")
        for step, floor_step in zip(steps, floor.steps, strict=True):
            rate = step.http.accepted / step.http.seconds
            print(
                f"  {step.clients:>3} clients: {rate / floor_step.orders_per_second:.2f}x the orders/s; "
                f"{sum(step.cpu_ms.values()) / floor_step.cpu_total_ms:.2f}x the CPU per request"
            )
    sales, moved_sales, sold, moved, gone = reconciliation
    verdict = "ok" if sales == moved_sales and sold == moved == gone else "MISMATCH"
    print(
        f"reconciliation: sales recorded {sales} = sales applied {moved_sales}; "
        f"units sold {sold} = units moved {moved} = units gone from stock {gone} ({verdict})"
    )


def run_all(args: argparse.Namespace) -> tuple[list[Step], tuple, dict[str, float], FloorRun | None]:
    """The system started (the network loaded), its company set up, each step loaded,
    the baselines measured; then, the system stopped, the shape's floor at the same steps."""
    stock = STOCK
    servers = None if args.no_floor else floor_servers()
    with bench_system(args) as system, tempfile.TemporaryDirectory() as directory:
        company = set_up_company(system, stock, args.shops)
        script = wrk_script(company, Path(directory))
        warm_up = database_now(system.settings)
        wrk(f"{system.url}/api/v1/pos/sales", 4, 3, script)
        wait_applied(system.settings, company, warm_up)
        steps = [run_step(system, company, int(c), args.seconds, script) for c in args.clients.split(",")]
        settled(system.settings, company, warm_up)
        reconciliation = reconcile(system.settings, company, stock)
        for name, value in batching(system.settings, warm_up).items():
            print(f"batching: {name} {value:.2f}")
        baselines = {
            "PostgreSQL single-row update TPS (pgbench -N, 8)": baseline(postgres_update_tps, system.settings, 5),
            "RabbitMQ confirmed persistent publishes": baseline(
                rabbit_confirmed_publish_rate, system.settings.amqp_uri, 2000
            ),
            "gateway /healthz (wrk, 32 connections)": baseline(healthz_rate, system.url),
        }
    floor = None
    if servers is not None:
        try:
            floor = run_floor([step.clients for step in steps], args.seconds, servers=servers)
        except (RuntimeError, subprocess.CalledProcessError, psycopg.Error, OSError) as error:
            print(f"  (the shape's floor could not be measured: {error})", file=sys.stderr)
    return steps, reconciliation, baselines, floor


def baseline(measure, *args) -> float:
    """A baseline's rate, or NaN (said) when it cannot be measured: on a shared server
    pgbench may find no connection left, and the sales measured must not be lost for it."""
    try:
        return measure(*args)
    except (subprocess.CalledProcessError, psycopg.Error, OSError) as error:
        print(f"  (a baseline failed: {error})", file=sys.stderr)
        return float("nan")


def load_average() -> str:
    return "load average " + ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def use_prefix(prefix: str) -> None:
    """Databases and vhost of this run: two runs at once (two engineers) need two prefixes."""
    global PREFIX, VHOST
    PREFIX, VHOST = prefix, prefix.rstrip("_")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="load per step (default 20)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients per step (default 1,8,32)")
    parser.add_argument(
        "--shops",
        type=int,
        default=1,
        help="the company's shops, the sales dealt among them in turn (default 1: every sale waits for the "
        "one shop's ticket lock, ADR 0008)",
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the shape's floor (bench/shape_floor.py) at the end"
    )
    add_system_options(parser, PREFIX, 8765)
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench/sales_flow needs {tool} (Debian: apt install {tool})")
    steps, reconciliation, baselines, floor = run_all(args)
    report(steps, baselines, reconciliation, args.shops, floor)
    print(f"after the run: {load_average()}")
    sales, moved_sales, sold, moved, gone = reconciliation
    ok = all(step.http.failed == 0 for step in steps) and sales == moved_sales and sold == moved == gone
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
