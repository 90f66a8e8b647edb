"""bench/shape_floor: what Bassin's fixed shape costs per request with nothing else in it.

    .venv/bin/python bench/shape_floor.py [--seconds 20] [--clients 1,8,32] [--port 8799]

The shape every Bassin write goes through (nameko services on RabbitMQ, a PostgreSQL
database per service, a Flask gateway under eventlet), carrying one trivial order:

- ``POST /orders`` on a Flask app served by ``eventlet.wsgi``, which calls
- a nameko RPC, published by the gateway's own client (``bassin_gateway.rpc``: one reply
  queue per process; ``--nameko-client``: nameko's standalone ``ClusterRpcClient``, one per
  concurrent request, which costs the broker several operations per call) to the
  ``floor_orders`` service, which inserts one row in its database (psycopg 3, autocommit,
  waiting through eventlet's hub as Bassin's services do) and dispatches ``order_placed``
  (nameko's ``EventDispatcher``: persistent, with publisher confirms), then replies;
- the ``floor_stock`` service's nameko ``event_handler`` updates one row in its own database.

No token, no tenancy, no idempotency, no outbox nor inbox, no ledger, no validation: the
nameko example application's shape with one RPC instead of two. For each number of clients
it prints orders/s, the HTTP p50/p99, and the CPU milliseconds per order of each process
(/proc, as bench/sales_flow does: the three processes, RabbitMQ, this bench's PostgreSQL
backends) and in total; then a reconciliation (orders recorded = units gone from stock).
bench/sales_flow.py runs it in the same run as a baseline (``measure_floor``): what a sale
costs beyond the shape, and the least any request of this design costs on this machine.

Needs ``wrk``. Uses its own databases (``bassin_floor_*``) and vhost, stops what it started.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ORDERS_DB = "bassin_floor_orders"
STOCK_DB = "bassin_floor_stock"
VHOST = "bassin_floor"
STOCK = 10_000_000
ARTICLES = 10

PlaceOrder = Callable[[int, int], int]  # (article, quantity) -> the order's id, over RPC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

# The served processes (``serve``) import nothing at the top but the standard library:
# they must monkey-patch before psycopg, kombu or nameko are imported.

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"article": ' .. (n % 10) .. ', "quantity": 1}')
end
"""


# --- the three processes (each `shape_floor.py serve floor_orders|floor_stock|floor_http`) ---


def _green_process() -> None:
    import bassin_common  # noqa: F401  (first, as in Bassin's services: quiets eventlet's notice)

    # isort: split
    import eventlet

    eventlet.monkey_patch()
    from bassin_common import green_wait

    green_wait.install_in_green_process()  # psycopg waits through the hub, as in Bassin


def _connections(conninfo: str, size: int) -> Any:
    """A green queue of ``size`` autocommit connections (psycopg_pool is not installed)."""
    import psycopg
    from eventlet.queue import LightQueue

    pool: LightQueue = LightQueue()
    for _ in range(size):
        pool.put(psycopg.connect(conninfo, autocommit=True))
    return pool


def serve_orders() -> None:
    _green_process()
    from nameko import config
    from nameko.events import EventDispatcher
    from nameko.rpc import rpc
    from nameko.runners import ServiceRunner

    pool = _connections(os.environ["FLOOR_ORDERS_DB"], 10)

    class FloorOrders:
        name = "floor_orders"
        dispatch = EventDispatcher()

        @rpc
        def place(self, article: int, quantity: int) -> int:
            conn = pool.get()
            try:
                (order_id,) = conn.execute(
                    "INSERT INTO orders (article, quantity) VALUES (%s, %s) RETURNING id", (article, quantity)
                ).fetchone()
            finally:
                pool.put(conn)
            self.dispatch("order_placed", {"order_id": order_id, "article": article, "quantity": quantity})
            return order_id

    _run_service(config, ServiceRunner, FloorOrders)


def serve_stock() -> None:
    _green_process()
    from nameko import config
    from nameko.events import EventHandler
    from nameko.runners import ServiceRunner

    pool = _connections(os.environ["FLOOR_STOCK_DB"], 10)

    class QuorumEventHandler(EventHandler):
        """Bassin's consumer queues are quorum queues (ADR 0036): so is the floor's, unless
        ``--classic-queue`` (nameko's own default, a classic queue)."""

        def setup(self) -> None:
            super().setup()
            if os.environ["FLOOR_QUEUE_TYPE"] == "quorum":
                self.queue.queue_arguments = {"x-queue-type": "quorum"}

    class FloorStock:
        name = "floor_stock"

        @QuorumEventHandler.decorator("floor_orders", "order_placed")
        def apply(self, order: dict) -> None:
            conn = pool.get()
            try:
                conn.execute(
                    "UPDATE stock SET quantity = quantity - %s WHERE article = %s",
                    (order["quantity"], order["article"]),
                )
            finally:
                pool.put(conn)

    _run_service(config, ServiceRunner, FloorStock)


def _run_service(config: Any, runner_class: type, service_class: type) -> None:
    import eventlet

    config.update({"AMQP_URI": os.environ["FLOOR_AMQP_URI"]})
    runner = runner_class()
    runner.add_service(service_class)
    runner.start()
    stopped = eventlet.event.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.send())
    stopped.wait()
    runner.stop()


def serve_http() -> None:
    _green_process()
    import eventlet
    import eventlet.wsgi
    from flask import Flask, jsonify, request
    from nameko import config

    amqp_uri = os.environ["FLOOR_AMQP_URI"]
    place = _bassin_client(amqp_uri) if os.environ["FLOOR_CLIENT"] == "bassin" else _nameko_clients(config, amqp_uri)
    app = Flask("floor")

    @app.post("/orders")
    def place_order() -> tuple[Any, int]:
        order = request.get_json()
        return jsonify({"id": place(int(order["article"]), int(order["quantity"]))}), 201

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    listener = eventlet.listen(("127.0.0.1", int(os.environ["FLOOR_PORT"])))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    eventlet.wsgi.server(listener, app, log_output=False)


def _bassin_client(amqp_uri: str) -> PlaceOrder:
    """The gateway's own RPC client (bassin_gateway.rpc): one reply queue and listener for
    the process, each call a confirmed publish and a wait on its own event."""
    import uuid

    from bassin_common.signing import ContextSigner
    from bassin_common.tenancy import RequestContext
    from bassin_gateway.rpc import RpcClient

    client = RpcClient(amqp_uri, name="floor", signer=ContextSigner((os.urandom(32),))).start()
    context = RequestContext(tenant_id=uuid.uuid4())
    return lambda article, quantity: client.call(context, "floor_orders", "place", article, quantity)


def _nameko_clients(config: Any, amqp_uri: str) -> PlaceOrder:
    """nameko's standalone ``ClusterRpcClient``, one per concurrent request (it is
    single-threaded). Each call starts and cancels a consumer on its reply queue and
    checks that queue with a passive declare: several broker operations per call."""
    from eventlet.queue import LightQueue
    from nameko.standalone.rpc import ClusterRpcClient

    config.update({"AMQP_URI": amqp_uri})
    clients: LightQueue = LightQueue()
    for _ in range(32):
        clients.put(ClusterRpcClient(timeout=10).start())

    def place(article: int, quantity: int) -> int:
        client = clients.get()
        try:
            return client.floor_orders.place(article, quantity)
        finally:
            clients.put(client)

    return place


# --- the bench ----------------------------------------------------------------------------


@dataclass
class FloorStep:
    clients: int
    orders_per_second: float
    p50_ms: float
    p99_ms: float
    failed: int
    cpu_ms: dict[str, float]

    @property
    def cpu_total_ms(self) -> float:
        return sum(self.cpu_ms.values())


@dataclass
class FloorRun:
    steps: list[FloorStep]
    orders: int
    units_gone: int

    @property
    def reconciled(self) -> bool:
        return self.orders == self.units_gone


def _conninfo(database_url: str, database: str) -> str:
    from bassin_common.database import psycopg_conninfo

    return psycopg_conninfo(database_url, database)


def _create_databases(database_url: str) -> None:
    import psycopg

    with psycopg.connect(_conninfo(database_url, "postgres"), autocommit=True) as conn:
        for name in (ORDERS_DB, STOCK_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(_conninfo(database_url, ORDERS_DB), autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, article int NOT NULL, quantity int NOT NULL)")
    with psycopg.connect(_conninfo(database_url, STOCK_DB), autocommit=True) as conn:
        conn.execute("CREATE TABLE stock (article int PRIMARY KEY, quantity bigint NOT NULL)")
        conn.execute("INSERT INTO stock SELECT a, %s FROM generate_series(0, %s) a", (STOCK, ARTICLES - 1))


def _drop_databases(database_url: str) -> None:
    import psycopg

    with psycopg.connect(_conninfo(database_url, "postgres"), autocommit=True) as conn:
        for name in (ORDERS_DB, STOCK_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for_http(url: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a floor process exited while starting")
        try:
            if requests.post(f"{url}/orders", json={"article": 0, "quantity": 0}, timeout=2).status_code == 201:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("the floor app did not answer in time")


@contextmanager
def floor_system(
    database_url: str, amqp_uri: str, management_uri: str, port: int, queue_type: str = "quorum", client: str = "bassin"
) -> Iterator[dict[str, int]]:
    """The three processes running on fresh databases and a fresh vhost; their pids by name."""
    import requests
    from measure import fresh_vhost

    _create_databases(database_url)
    env = {
        **os.environ,
        "FLOOR_AMQP_URI": fresh_vhost(management_uri, amqp_uri, VHOST),
        "FLOOR_ORDERS_DB": _conninfo(database_url, ORDERS_DB),
        "FLOOR_STOCK_DB": _conninfo(database_url, STOCK_DB),
        "FLOOR_PORT": str(port),
        "FLOOR_QUEUE_TYPE": queue_type,
        "FLOOR_CLIENT": client,
    }
    processes = {
        name: subprocess.Popen([sys.executable, __file__, "serve", name], env=env)
        for name in ("floor_stock", "floor_orders", "floor_http")
    }
    try:
        _wait_for_http(f"http://127.0.0.1:{port}", list(processes.values()))
        yield {name: process.pid for name, process in processes.items()}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _drop_databases(database_url)
        requests.delete(f"{management_uri.rstrip('/')}/api/vhosts/{VHOST}", timeout=10)


def _read_cpu(pids: dict[str, int], database_url: str) -> dict[str, dict[int, float]]:
    import psycopg
    from measure import cpu_seconds, pids_of

    readings = {name: {pid: cpu_seconds(pid)} for name, pid in pids.items()}
    readings["RabbitMQ"] = {pid: cpu_seconds(pid) for pid in pids_of("beam.smp")}
    with psycopg.connect(_conninfo(database_url, "postgres")) as conn:
        backends = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            ([ORDERS_DB, STOCK_DB],),
        ).fetchall()
    readings["PostgreSQL"] = {pid: cpu_seconds(pid) for (pid,) in backends}
    return readings


def _orders_and_units(database_url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(_conninfo(database_url, ORDERS_DB)) as conn:
        (orders,) = conn.execute("SELECT count(*) FROM orders WHERE quantity > 0").fetchone()
    with psycopg.connect(_conninfo(database_url, STOCK_DB)) as conn:
        (left,) = conn.execute("SELECT sum(quantity) FROM stock").fetchone()
    return orders, STOCK * ARTICLES - left


def _settled(database_url: str, timeout: float = 60) -> tuple[int, int]:
    """Orders and units gone once every order's event has reached the stock (or the timeout)."""
    deadline = time.monotonic() + timeout
    orders, gone = _orders_and_units(database_url)
    while orders != gone and time.monotonic() < deadline:
        time.sleep(0.2)
        orders, gone = _orders_and_units(database_url)
    return orders, gone


def measure_floor(
    database_url: str,
    amqp_uri: str,
    management_uri: str,
    clients: list[int],
    seconds: float,
    port: int = 8799,
    queue_type: str = "quorum",
    client: str = "bassin",
) -> FloorRun:
    """The floor app started, loaded at each client count, reconciled, stopped."""
    from measure import wrk

    system = floor_system(database_url, amqp_uri, management_uri, port, queue_type, client)
    with system as pids, tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "order.lua"
        script.write_text(WRK_SCRIPT)
        url = f"http://127.0.0.1:{port}/orders"
        wrk(url, 4, 3, script)  # warm up
        _settled(database_url)
        steps = []
        for count in clients:
            before_orders, _ = _orders_and_units(database_url)
            before = _read_cpu(pids, database_url)
            http = wrk(url, count, seconds, script)
            orders, _ = _settled(database_url)
            after = _read_cpu(pids, database_url)
            done = max(orders - before_orders, 1)
            cpu = {
                name: sum(value - before[name].get(pid, 0.0) for pid, value in after[name].items()) * 1000 / done
                for name in after
            }
            steps.append(FloorStep(count, http.accepted / http.seconds, http.p50_ms, http.p99_ms, http.failed, cpu))
        orders, gone = _settled(database_url)
    return FloorRun(steps, orders, gone)


def floor_servers() -> tuple[str, str, str]:
    """PostgreSQL (as a user that creates databases), RabbitMQ and its management API, as
    ``./bassin start`` finds them; read before a system is started in this process (it
    leaves its runtime login in the environment)."""
    from bassin_dev.launcher import _infrastructure

    with _infrastructure() as env:
        return env["BASSIN_DATABASE_URL"], env["BASSIN_AMQP_URI"], env["BASSIN_RABBIT_MANAGEMENT_URI"]


def run_floor(
    clients: list[int],
    seconds: float,
    port: int = 8799,
    queue_type: str = "quorum",
    servers: tuple[str, str, str] | None = None,
    client: str = "bassin",
) -> FloorRun:
    """``measure_floor`` on ``servers`` (``floor_servers()`` if not given)."""
    return measure_floor(*(servers or floor_servers()), clients, seconds, port, queue_type, client)


def report(run: FloorRun) -> None:
    names = list(run.steps[0].cpu_ms)
    print("\nbench/shape_floor: Flask -> nameko RPC -> one INSERT + an event -> a handler's one UPDATE")
    header = f"{'clients':>7} {'orders/s':>9} {'HTTP p50':>9} {'p99':>7}"
    print(header + "".join(f" {n[:12]:>12}" for n in names) + "  CPU total")
    for step in run.steps:
        cells = f"{step.clients:>7} {step.orders_per_second:>9.1f} {step.p50_ms:>7.1f}ms {step.p99_ms:>5.0f}ms"
        print(cells + "".join(f" {step.cpu_ms[n]:>10.2f}ms" for n in names) + f" {step.cpu_total_ms:>7.2f}ms")
        if step.failed:
            print(f"        ({step.failed} not accepted)")
    verdict = "ok" if run.reconciled else "MISMATCH"
    print(f"reconciliation: orders recorded {run.orders} = units gone from stock {run.units_gone} ({verdict})")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        {"floor_orders": serve_orders, "floor_stock": serve_stock, "floor_http": serve_http}[sys.argv[2]]()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="load per step (default 20)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients per step (default 1,8,32)")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--classic-queue", action="store_true", help="the handler's queue classic, as nameko's default")
    parser.add_argument(
        "--nameko-client",
        action="store_true",
        help="call with nameko's standalone ClusterRpcClient instead of the gateway's RPC client",
    )
    args = parser.parse_args()
    queue_type = "classic" if args.classic_queue else "quorum"
    client = "nameko" if args.nameko_client else "bassin"
    run = run_floor([int(c) for c in args.clients.split(",")], args.seconds, args.port, queue_type, client=client)
    report(run)
    return 0 if run.reconciled and not any(step.failed for step in run.steps) else 1


if __name__ == "__main__":
    sys.exit(main())
