"""bench/customers_search: the customer search over 100,000 customers of one company.

    .venv/bin/python bench/customers_search.py [--customers 100000] [--rounds 15]

Creates its own database (``bassin_bench_search_*``), migrated as a release does (row-level
security included), fills it with one company's customers — French names with and without
accents, phones, e-mails, towns and postcodes, an equipment serial number for one customer
in three — then runs a mix of what the shop types in the search box (a surname, an
accented first name, "helene" for "Hélène", three letters, a phone number, an e-mail, a
town, a postcode, a serial number) through the service's own use case, as the service's
database role (row-level security applies), asking for a page of 20.

It prints p50/p95 of the search (the ``search_terms`` index of migration 0001), and of a
same-run baseline: the naive search a first version would write (``ILIKE '%…%'`` on the
name, e-mail, phone, town and postcode columns, same order and page), on the same rows
and servers. The database is dropped at the end, on success or failure.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import psycopg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "customers"))

from bassin_common.config import load_settings
from bassin_common.database import make_engine, make_session_factory, psycopg_conninfo
from bassin_common.migrations import migrate_service
from bassin_common.registry import find_service
from bassin_common.tenancy import RequestContext
from bassin_common.uow import UnitOfWork
from customers import domain, usecases

FIRST = [
    "Hélène",
    "Jérôme",
    "Émile",
    "Chloé",
    "François",
    "Zoé",
    "Noël",
    "Anaïs",
    "Jean",
    "Marie",
    "Paul",
    "Léa",
    "Lucas",
    "Inès",
    "Hugo",
    "Camille",
    "Louis",
    "Manon",
    "Théo",
    "Sarah",
    "Gaëlle",
    "Loïc",
]
LAST = [
    "Durand",
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Garcia",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
]
TOWNS = [
    ("Nîmes", "30900"),
    ("Nîmes", "30000"),
    ("Uzès", "30700"),
    ("Alès", "30100"),
    ("Montpellier", "34000"),
    ("Sète", "34200"),
    ("Lunel", "34400"),
    ("Arles", "13200"),
    ("Avignon", "84000"),
    ("Béziers", "34500"),
    ("Orange", "84100"),
    ("Saint-Gilles", "30800"),
    ("Beaucaire", "30300"),
    ("Sommières", "30250"),
]
DOMAINS = ["orange.fr", "free.fr", "gmail.com", "laposte.net", "sfr.fr", "wanadoo.fr"]
QUERIES = [
    "durand",
    "Hélène",
    "helene",
    "HELENE dur",
    "gué",
    "mar",
    "06 12 3",
    "0612345",
    "chloe.fontaine1",
    "nimes",
    "sete",
    "30900",
    "34",
    "HP-2024-01",
    "saint gil",
    "zoé muller",
]
PAGE = 20


def customers(count: int, rng: random.Random) -> list[dict]:
    made = []
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        town, postcode = rng.choice(TOWNS)
        name = domain.display_name(domain.Kind.PRIVATE, None, first, last)
        email = f"{domain.fold(first)}.{domain.fold(last)}{index}@{rng.choice(DOMAINS)}".replace(" ", "")
        phone = f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        serial = f"HP-{rng.randint(2015, 2026)}-{index:06d}" if index % 3 == 0 else None
        made.append(
            {
                "id": uuid.uuid4(),
                "first": first,
                "last": last,
                "name": name,
                "email": email,
                "phone": phone,
                "town": town,
                "postcode": postcode,
                "serial": serial,
            }
        )
    return made


def fill(conninfo: str, tenant: uuid.UUID, rows: list[dict]) -> int:
    """The customers and their terms, by COPY, as the database owner (no RLS)."""
    terms = 0
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        columns = (
            "id, tenant_id, kind, first_name, last_name, display_name, sort_name, emails, phones, billing_line1, "
            "billing_postcode, billing_city, billing_country, source, tags"
        )
        with cursor.copy(f"COPY customers ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row["id"],
                        tenant,
                        "private",
                        row["first"],
                        row["last"],
                        row["name"],
                        domain.sort_key(row["name"]),
                        json.dumps([{"address": row["email"], "label": None}]),
                        json.dumps([{"number": row["phone"], "label": None}]),
                        "1 rue des Pins",
                        row["postcode"],
                        row["town"],
                        "FR",
                        "walk_in",
                        [],
                    )
                )
        with cursor.copy(
            "COPY search_terms (tenant_id, customer_id, term, sort_name, equipment_id) FROM STDIN"
        ) as copy:
            for row in rows:
                found = domain.search_terms(
                    [row["name"], row["first"]], [row["email"]], [row["phone"]], [row["town"], row["postcode"]]
                )
                sort_name = domain.sort_key(row["name"])
                for term in sorted(found):
                    copy.write_row((tenant, row["id"], term, sort_name, None))
                    terms += 1
                if row["serial"]:
                    serial = domain.serial_term(row["serial"])
                    copy.write_row((tenant, row["id"], serial, sort_name, uuid.uuid4()))
                    terms += 1
    with psycopg.connect(conninfo, autocommit=True) as connection:  # as autovacuum would have, by then
        connection.execute("VACUUM ANALYZE customers")
        connection.execute("VACUUM ANALYZE search_terms")
    return terms


NAIVE = text(
    """
    SELECT id, display_name FROM customers
    WHERE erased_at IS NULL AND (display_name ILIKE :q OR emails::text ILIKE :q OR phones::text ILIKE :q
                                 OR billing_city ILIKE :q OR billing_postcode ILIKE :q)
    ORDER BY sort_name, id LIMIT :limit
    """
)


def timed(run: Callable[[str], int], rounds: int) -> tuple[list[float], dict[str, int], dict[str, list[float]]]:
    latencies, hits, by_query = [], {}, {}
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            hits[query] = run(query)
            latencies.append((time.perf_counter() - started) * 1000)
            by_query.setdefault(query, []).append(latencies[-1])
    return latencies, hits, by_query


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--explain", action="append", help="print the plan of this query's search (repeatable)")
    options = parser.parse_args(argv)

    settings = load_settings().replace(database_prefix=f"bassin_bench_search_{secrets.token_hex(3)}_")
    settings = settings.replace(database_tenant_key=settings.database_tenant_key or secrets.token_hex(32))
    admin = psycopg_conninfo(settings.database_url, "postgres")
    try:
        started = time.perf_counter()
        migrate_service(find_service("customers"), settings)
        tenant = uuid.uuid4()
        rows = customers(options.customers, random.Random(20))
        terms = fill(psycopg_conninfo(settings.service_database_url("customers")), tenant, rows)
        print(f"{len(rows):,} customers, {terms:,} search terms, filled in {time.perf_counter() - started:.0f} s")

        engine = make_engine(
            settings.service_database_url("customers"), 2, role=settings.database_role, settings=settings
        )
        sessions = make_session_factory(engine)
        context = RequestContext(tenant, "bench", frozenset({"manager"}))

        def indexed(query: str) -> int:
            with UnitOfWork(sessions, context, "customers") as uow:
                page = {"q": query, "limit": PAGE, "cursor": None, "tag": None}
                return len(usecases.search_customers(uow, page).items)

        def naive(query: str) -> int:
            with UnitOfWork(sessions, context, "customers") as uow:
                rows = uow.session.execute(NAIVE, {"q": f"%{query}%", "limit": PAGE + 1}).all()
                return len(rows[:PAGE])

        if options.explain:
            with UnitOfWork(sessions, context, "customers") as uow:
                for query in options.explain:
                    page = {"q": query, "limit": PAGE, "cursor": None, "tag": None}
                    statement, order = usecases.search_statement(page)
                    statement = statement.order_by(*order).limit(PAGE + 1)
                    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
                    plan = uow.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars()
                    print(f"\n{query!r}:\n" + "\n".join(plan))
        timed(indexed, 1)  # warm the caches of both, once
        timed(naive, 1)
        search, hits, search_by_query = timed(indexed, options.rounds)
        baseline, naive_hits, _ = timed(naive, max(2, options.rounds // 3))
        engine.dispose()

        print(f"\n{len(QUERIES)} queries x {options.rounds} rounds, a page of {PAGE}, as the service role (RLS):")
        print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        for label, values in (("search (search_terms)", search), ("baseline (ILIKE '%q%')", baseline)):
            print(f"{label:28}{percentile(values, 0.5):>10.2f}{percentile(values, 0.95):>10.2f}{max(values):>10.2f}")
        print(
            "\nper query: the search's median ms; hits (search / baseline, which knows no accents nor phone formats):"
        )
        for query in QUERIES:
            median = statistics.median(search_by_query[query])
            print(f"  {query!r:24} {median:>8.2f} ms   {hits[query]:>3} / {naive_hits[query]:>3}")
        return 0
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            names = connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (settings.database_prefix + "%",)
            ).fetchall()
            for (name,) in names:
                with suppress(psycopg.Error):
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
