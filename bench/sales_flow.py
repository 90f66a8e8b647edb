"""bench/sales_flow: sales through the gateway, down to the stock, against the raw limits.

    .venv/bin/python bench/sales_flow.py [--sales 600] [--concurrency 20]

Starts the whole system on its own databases (``bassin_bench_*``) and RabbitMQ vhost,
drives N sales through the gateway over HTTP with C concurrent clients, and reports:
- sales/s accepted (HTTP 201) and sales/s fully applied to stock;
- p50/p99 of sale -> stock latency: the ledger movement's commit time minus the
  sale's, both read from PostgreSQL's clock;
- next to the raw limits measured in the same run on the same servers: single-row
  UPDATE transactions/s on PostgreSQL (same concurrency) and confirmed persistent
  publishes/s on RabbitMQ (one channel, a confirm per message, as the outbox relay
  publishes), each as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import requests
from kombu import Connection, Queue

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from bassin_common.database import psycopg_conninfo
from bassin_dev.launcher import _infrastructure, running_system

PREFIX = "bassin_bench_"
VHOST = "bassin_bench"
PASSWORD = "bench-password-2026"


def conninfo(settings, database: str) -> str:
    return psycopg_conninfo(settings.database_url, database)


def fresh_vhost(management_uri: str, amqp_uri: str) -> str:
    """A new, empty vhost for this run; returns the AMQP URI that points at it."""
    base = management_uri.rstrip("/")
    amqp = urlparse(amqp_uri)
    requests.delete(f"{base}/api/vhosts/{VHOST}", timeout=10)
    requests.put(f"{base}/api/vhosts/{VHOST}", timeout=10).raise_for_status()
    requests.put(
        f"{base}/api/permissions/{VHOST}/{amqp.username or 'guest'}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()
    return urlunparse(amqp._replace(path=f"/{VHOST}"))


def drop_bench_databases(settings) -> None:
    with psycopg.connect(conninfo(settings, "postgres"), autocommit=True) as conn:
        for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)):
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def postgres_update_rate(settings, concurrency: int, seconds: float) -> float:
    """Single-row UPDATE transactions/s, autocommit, ``concurrency`` connections."""
    database = conninfo(settings, f"{PREFIX}inventory")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_counter (id int PRIMARY KEY, n bigint)")
        conn.execute(
            "INSERT INTO bench_counter SELECT i, 0 FROM generate_series(0, %s) i ON CONFLICT DO NOTHING",
            (concurrency,),
        )
    counts = [0] * concurrency
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        with psycopg.connect(database, autocommit=True) as conn:
            while time.monotonic() < deadline:
                # A row per worker: the database's own limit, without lock waits.
                conn.execute("UPDATE bench_counter SET n = n + 1 WHERE id = %s", (index,))
                counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


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


def set_up_tenant(system, stock: int) -> tuple[str, str]:
    from bassin_gateway import identities
    from bassin_gateway.runtime import gateway_sessions

    suffix = uuid.uuid4().hex[:8]
    email = f"bench-{suffix}@example.fr"
    sessions = gateway_sessions(system.settings)
    with sessions() as session:
        tenant = identities.create_tenant(session, f"bench-{suffix}", "Bench")
        identities.create_user(session, tenant.id, email, PASSWORD, "Bench", ["manager"])
        session.commit()
    http = requests.Session()
    token = http.post(f"{system.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    shop = http.post(
        f"{system.url}/api/v1/inventory/locations", json={"code": "MAG", "name": "Magasin", "kind": "shop"}
    )
    article = http.post(
        f"{system.url}/api/v1/inventory/articles",
        json={
            "sku": "BENCH-1",
            "name": "Chlore choc 1 kg",
            "purchase_price": "9.50",
            "sale_price": "16.90",
            "stock": [{"location_id": shop.json()["id"], "quantity": stock}],
        },
    ).json()
    deadline = time.monotonic() + 30
    sale = {
        "lines": [{"article_id": article["id"], "quantity": 1}],
        "payments": [{"method": "card", "amount": "16.90"}],
    }
    while time.monotonic() < deadline:  # the till learns of the article by an event
        if http.post(f"{system.url}/api/v1/pos/sales", json=sale).status_code == 201:
            break
        time.sleep(0.2)
    return token["access_token"], article["id"]


def drive_sales(url: str, token: str, article_id: str, sales: int, concurrency: int) -> tuple[float, int]:
    payload = {
        "lines": [{"article_id": article_id, "quantity": 1}],
        "payments": [{"method": "card", "amount": "16.90"}],
    }
    local = threading.local()

    def sell(_: int) -> int:
        if not hasattr(local, "http"):
            local.http = requests.Session()
            local.http.headers["Authorization"] = f"Bearer {token}"
        return local.http.post(f"{url}/api/v1/pos/sales", json=payload).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(sell, range(sales)))
    return time.monotonic() - started, statuses.count(201)


def applied_latencies(settings, expected: int, timeout: float) -> tuple[list[float], float]:
    """Seconds from each sale's commit to its ledger movement's; and the span of it all."""
    pos_db, inventory_db = conninfo(settings, f"{PREFIX}pos"), conninfo(settings, f"{PREFIX}inventory")
    deadline = time.monotonic() + timeout
    with psycopg.connect(inventory_db) as inventory, psycopg.connect(pos_db) as pos:
        while True:
            moved = dict(
                inventory.execute("SELECT reference, created_at FROM stock_movements WHERE reason = 'sale'").fetchall()
            )
            inventory.commit()
            if len(moved) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        sold = dict(pos.execute("SELECT id::text, completed_at FROM sales").fetchall())
    latencies = [(moved[sale_id] - at).total_seconds() for sale_id, at in sold.items() if sale_id in moved]
    span = (max(moved.values()) - min(sold.values())).total_seconds()
    return latencies, span


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--port", type=int, default=8011)
    args = parser.parse_args()

    from bassin_common.config import load_settings

    with _infrastructure() as env:
        bench_amqp_uri = fresh_vhost(env["BASSIN_RABBIT_MANAGEMENT_URI"], env["BASSIN_AMQP_URI"])
        env.update(BASSIN_DATABASE_PREFIX=PREFIX, BASSIN_AMQP_URI=bench_amqp_uri, BASSIN_LOG_LEVEL="WARNING")
        drop_bench_databases(load_settings(env))
        return run(env, args)


def run(env: dict[str, str], args: argparse.Namespace) -> int:
    with running_system(env, args.port, quiet=True) as system:
        token, article_id = set_up_tenant(system, stock=args.sales * 2)
        elapsed, accepted = drive_sales(system.url, token, article_id, args.sales, args.concurrency)
        latencies, span = applied_latencies(system.settings, accepted + 1, timeout=120)
        applied = len(latencies) - 1  # minus the warm-up sale
        pg_rate = postgres_update_rate(system.settings, args.concurrency, seconds=5)
        rabbit_rate = rabbit_confirmed_publish_rate(system.settings.amqp_uri, 2000)
    accepted_rate, applied_rate = accepted / elapsed, applied / span
    print(f"\nbench/sales_flow: {args.sales} sales, {args.concurrency} concurrent clients")
    print(f"  sales accepted        {accepted_rate:8.1f} /s   ({accepted} of {args.sales} got 201)")
    print(f"  sales applied         {applied_rate:8.1f} /s   ({applied} applied to stock)")
    print(
        f"  sale -> stock latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print("  raw limits, same run:")
    print(f"    PostgreSQL single-row UPDATE tx  {pg_rate:8.1f} /s")
    print(f"    RabbitMQ confirmed publishes     {rabbit_rate:8.1f} /s")
    print("  ratios:")
    print(f"    accepted / PostgreSQL   {accepted_rate / pg_rate:.3f}")
    print(f"    applied  / PostgreSQL   {applied_rate / pg_rate:.3f}")
    print(f"    accepted / RabbitMQ     {accepted_rate / rabbit_rate:.3f}")
    print(f"    applied  / RabbitMQ     {applied_rate / rabbit_rate:.3f}")
    print(f"  mean latency {statistics.mean(latencies) * 1000:.0f} ms")
    return 0 if accepted == args.sales and applied == accepted else 1


if __name__ == "__main__":
    sys.exit(main())
