"""The demo company — a pool shop the size of a real one — and the demo network.

``./bassin start`` loads the demo company once (skipped when it exists; ``--empty`` loads
only its users and the 8 articles the browser tests use); ``./bassin demo --companies 50``
loads a network of such companies beside it. What is loaded comes from
``bassin_dev.demo_data`` (a seed, the same data every time).

Everything goes through each service's own RPCs and use cases — never into another
service's tables — but in batches: ``BassinService.seed`` runs a few hundred of a service's
RPCs (each checked, loaded and executed as if called alone) in one transaction, so the
company loads in well under a minute instead of the twenty it would take call by call.
Events are written to each service's outbox as usual: the other services keep their copies
(customers, articles, equipment) from them, exactly as in real use. The services load side
by side; the stage that reads those copies (tickets name equipment the after-sales service
knows from ``equipment_installed``, invoices name customers the till knows) retries a batch
refused for a copy not there yet.

The gateway's tenant row and its users are written last: a load that failed is done again,
whole, on the next start (under a new tenant id; the rows of the failed one belong to no
tenant anyone can log in to).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import select

from bassin_common.config import Settings
from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.signing import ContextSigner
from bassin_common.tenancy import RequestContext
from bassin_dev import demo_data
from bassin_gateway import identities
from bassin_gateway.models import Tenant
from bassin_gateway.runtime import gateway_sessions

DEMO_SLUG = "piscines-demo"
DEMO_EMAIL = "gerant@piscines-demo.fr"
DEMO_PASSWORD = demo_data.PASSWORD
# The shop's cashier: the till and the stock, not the basket nor the thresholds.
DEMO_CASHIER_EMAIL = "caisse@piscines-demo.fr"
DEMO_SEED = 2026
NETWORK_SLUG = "piscines-reseau-{:02d}"

BATCH_OPERATIONS = 150  # operations per seed call: one transaction each (a session grows slower past that)
SETTLE_SECONDS = 180.0  # how long a stage waits for the copies it reads (see module doc)
RPC_TIMEOUT = 300


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    created: bool
    seconds: float = 0.0
    operations: int = 0
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class Loaded:
    """What a load did: the ids the operations named, and how long each stage took."""

    ids: dict[str, Any] = field(default_factory=dict)  # an id, or a whole result (``"full"``)
    stages: dict[str, float] = field(default_factory=dict)
    operations: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_demo(
    settings: Settings, empty: bool = False, scale: float = 1.0, seed: int = DEMO_SEED, slug: str = DEMO_SLUG
) -> DemoLogin:
    """The demo company, once: its users, and unless ``empty`` its whole business
    (``scale``: a share of a real shop's size). Its manager's login."""
    plan = demo_data.company(seed, scale=0.0 if empty else scale, slug=slug)
    if empty:
        plan = _only_fixed(plan)
    email = plan.users[0].email
    started = time.monotonic()
    loaded = load_company(settings, plan)
    if loaded is None:
        return DemoLogin(email, DEMO_PASSWORD, created=False)
    return DemoLogin(email, DEMO_PASSWORD, True, time.monotonic() - started, loaded.operations, loaded.stages)


def load_network(settings: Settings, companies: int, scale: float = 1.0) -> Iterator[tuple[str, float, bool]]:
    """``companies`` demo companies (``piscines-reseau-01``…), each from its own seed;
    yields each one's slug, load time and whether it was created (not already there)."""
    for number in range(1, companies + 1):
        slug = NETWORK_SLUG.format(number)
        started = time.monotonic()
        loaded = load_company(settings, demo_data.company(DEMO_SEED + number, scale=scale, slug=slug))
        yield slug, time.monotonic() - started, loaded is not None


def _only_fixed(plan: demo_data.Company) -> demo_data.Company:
    """The empty company: its locations, suppliers and categories, the 8 fixed articles."""
    catalogue = plan.stages[0]
    fixed = {f"art:{sku}" for sku, *_ in demo_data.FIXED_ARTICLES}
    inventory = [
        group
        for group in catalogue.groups["inventory"]
        if group[0]["call"] not in ("create_article", "import_articles") or group[0].get("as") in fixed
    ]
    stage = demo_data.Stage("catalogue", {"inventory": inventory})
    return demo_data.Company(plan.slug, plan.name, plan.users, [stage])


def load_company(settings: Settings, plan: demo_data.Company) -> Loaded | None:
    """Load ``plan`` (None when its tenant exists already). The tenant and its users are
    written last, in a short transaction of their own: a load takes longer than the
    database lets a transaction stay idle, and a load that failed leaves no tenant."""
    sessions = gateway_sessions(settings)
    try:
        with sessions() as session:
            if session.scalar(select(Tenant.id).where(Tenant.slug == plan.slug)):
                return None
        tenant_id = uuid.uuid4()
        context = RequestContext(tenant_id, "demo-loader", frozenset({"manager"}), f"demo-loader-{plan.slug}")
        loaded = Loaded()
        for stage in plan.stages:
            started = time.monotonic()
            _run_stage(settings, context, stage, loaded)
            loaded.stages[stage.name] = time.monotonic() - started
        with sessions() as session:
            session.add(Tenant(id=tenant_id, slug=plan.slug, name=plan.name))
            session.flush()
            for user in plan.users:
                identities.create_user(session, tenant_id, user.email, demo_data.PASSWORD, user.name, list(user.roles))
            session.commit()
        return loaded
    finally:
        sessions.kw["bind"].dispose()


def _run_stage(settings: Settings, context: RequestContext, stage: demo_data.Stage, loaded: Loaded) -> None:
    failures: list[BaseException] = []

    def stream(service: str, groups: list[list[dict[str, Any]]]) -> None:
        try:
            client = ClusterRpcClient(
                context_data=ContextSigner.from_settings(settings).signed_context_data(context),
                timeout=RPC_TIMEOUT,
                uri=settings.amqp_uri,
            )
            with client as rpc:
                for batch in _batches(groups):
                    _send(rpc, service, batch, loaded, settle=stage.settle)
        except BaseException as error:  # reported by the stage, after the other streams
            failures.append(error)

    threads = [threading.Thread(target=stream, args=item, daemon=True) for item in stage.groups.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _batches(groups: list[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """Groups joined into batches of about ``BATCH_OPERATIONS`` records (an operation that
    writes many, ``import_customers``, says how many: its ``"records"``)."""
    batch: list[dict[str, Any]] = []
    for group in groups:
        if batch and _records(batch) + _records(group) > BATCH_OPERATIONS:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def _records(operations: list[dict[str, Any]]) -> int:
    return sum(operation.get("records", 1) for operation in operations)


def _send(rpc: Any, service: str, batch: list[dict[str, Any]], loaded: Loaded, settle: bool) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        with loaded.lock:
            operations = [{**operation, "args": _resolved(operation["args"], loaded.ids)} for operation in batch]
        try:
            returned = getattr(rpc, service).seed(operations)
            break
        except (NotFound, ValidationFailed):
            # A copy this service keeps from another's events is not there yet: wait.
            if not settle or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    with loaded.lock:
        loaded.ids.update(returned)
        loaded.operations += _records(batch)


def _resolved(value: Any, ids: dict[str, Any]) -> Any:
    """``"@name"`` replaced by the id an earlier batch returned for ``name``, and
    ``"@name.customers.3.id"`` by that path in its whole result (``"full"``); a name of the
    same batch is left to the service."""
    if isinstance(value, str):
        if not value.startswith("@"):
            return value
        name, *path = value[1:].split(".")
        found = ids.get(name)
        if found is None or (path and isinstance(found, str)):
            return value
        for step in path:
            found = found[int(step)] if isinstance(found, list) else found[step]
        return found
    if isinstance(value, list):
        return [_resolved(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _resolved(item, ids) for key, item in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    """``python -m bassin_dev.demo [--companies N] [--scale S]``: the demo company and a
    network of N more into a running deployment (its settings from the environment)."""
    import argparse

    from bassin_common.config import load_settings

    parser = argparse.ArgumentParser(prog="python -m bassin_dev.demo")
    parser.add_argument("--companies", type=int, default=0, help="network companies beside the demo one")
    parser.add_argument("--scale", type=float, default=1.0, help="each company's size, as a share of a shop's")
    parser.add_argument("--empty", action="store_true", help="an empty demo company")
    args = parser.parse_args(argv)
    settings = load_settings()
    login = load_demo(settings, empty=args.empty, scale=args.scale)
    print(f"demo company {'loaded' if login.created else 'already there'} ({login.seconds:.1f} s)")
    started = time.monotonic()
    for slug, seconds, created in load_network(settings, args.companies, args.scale):
        print(f"network company {slug} {'loaded' if created else 'already there'} ({seconds:.1f} s)")
    if args.companies:
        print(f"network of {args.companies} companies loaded in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
