"""What the tenant proof costs PostgreSQL (ADR 0033), before and after, in the same run.

    .venv/bin/python bench/tenant_proof.py

Two identical tables (50 tenants x 2,000 rows, indexed on tenant and SKU) in a database of
its own, one under the old policy (the tenant setting alone) and one under the checked one
(``tenant_id = (SELECT bassin_current_tenant())``), read and written by a login that is
only a member of ``bassin_service``, in loops run by the server (no network, no client),
alternating the two tables sample after sample. Prints the median and the quickest sample
of each: a single-row indexed SELECT, and a sale's shape (3 SELECTs and 4 INSERTs).
Drops its database and login at the end. Needs the server's URL (``BASSIN_DATABASE_URL``,
or ``BASSIN_MIGRATION_DATABASE_URL`` when set) with the rights of ``bassin-migrate``.
"""

from __future__ import annotations

import os
import secrets
import uuid

import psycopg
from sqlalchemy import create_engine, pool, text

from bassin_common.config import load_settings
from bassin_common.database import psycopg_conninfo
from bassin_common.tenancy import _VISIBLE, prepare_tenant_proof, store_tenant_keys, tenant_proof

DATABASE = f"bassin_bench_proof_{secrets.token_hex(3)}"
LOGIN = f"{DATABASE}_login"
OLD = "tenant_id = NULLIF(current_setting('bassin.tenant_id', true), '')::uuid"
LOOP = """
DO $$
DECLARE t timestamptz; n int; tenant uuid := current_setting('bassin.tenant_id')::uuid; tbl text; res jsonb := '{}';
BEGIN
  FOR r IN 1..%(samples)s LOOP
    FOREACH tbl IN ARRAY ARRAY['items_old', 'items_new'] LOOP
      t := clock_timestamp();
      FOR i IN 1..%(rounds)s LOOP
        %(body)s
      END LOOP;
      res := jsonb_set(res, ARRAY[tbl], coalesce(res->tbl, '[]')
             || to_jsonb(extract(epoch FROM clock_timestamp() - t) * 1e6 / %(rounds)s));
    END LOOP;
  END LOOP;
  PERFORM set_config('bench.result', res::text, true);
END $$"""
SELECT = "EXECUTE 'SELECT qty FROM ' || tbl || ' WHERE sku = $1' INTO n USING 'SKU-' || (i % 2000 + 1);"
SALE = (
    SELECT * 2
    + "EXECUTE 'SELECT count(*) FROM ' || tbl || ' WHERE sku = $1' INTO n USING 'SKU-' || (i % 1998 + 1);"
    + " FOR k IN 1..4 LOOP EXECUTE 'INSERT INTO ' || tbl || ' (id, tenant_id, sku, qty) "
    "VALUES (gen_random_uuid(), $1, $2, 1)' USING tenant, 'SALE-' || i || '-' || k; END LOOP;"
)


def main() -> None:
    settings = load_settings()
    server = settings.migration_database_url or settings.database_url
    key = secrets.token_hex(32)
    admin = psycopg_conninfo(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
        connection.execute(f'CREATE ROLE "{LOGIN}" LOGIN NOBYPASSRLS IN ROLE "{settings.database_role}"')
    try:
        tenants = [uuid.uuid4() for _ in range(50)]
        engine = create_engine(f"{server.rstrip('/')}/{DATABASE}", poolclass=pool.NullPool)
        with engine.begin() as connection:
            prepare_tenant_proof(connection)
            store_tenant_keys(connection, [key])
            for table, policy in (("items_old", OLD), ("items_new", _VISIBLE)):
                connection.execute(
                    text(f"CREATE TABLE {table} (id uuid PRIMARY KEY, tenant_id uuid, sku text, qty int)")
                )
                connection.execute(text(f"CREATE INDEX ON {table} (tenant_id, sku)"))
                connection.execute(
                    text(
                        f"INSERT INTO {table} SELECT gen_random_uuid(), t, 'SKU-' || g, g "
                        "FROM unnest(CAST(:t AS uuid[])) t, generate_series(1, 2000) g"
                    ),
                    {"t": tenants},
                )
                for statement in ("ENABLE", "FORCE"):
                    connection.execute(text(f"ALTER TABLE {table} {statement} ROW LEVEL SECURITY"))
                connection.execute(text(f"CREATE POLICY p ON {table} USING ({policy}) WITH CHECK ({policy})"))
                connection.execute(text(f'GRANT SELECT, INSERT ON {table} TO "{settings.database_role}"'))
                connection.execute(text(f"ANALYZE {table}"))
        engine.dispose()
        tenant = tenants[7]
        login = psycopg_conninfo(server, DATABASE).replace("postgresql://", "", 1)
        login = f"postgresql://{LOGIN}@{login.split('@', 1)[-1]}"
        with psycopg.connect(login) as connection:
            for name, body, rounds in (("single-row SELECT", SELECT, 3000), ("a sale's 7 statements", SALE, 300)):
                connection.execute(
                    "SELECT set_config('bassin.tenant_id', %s, true), set_config('bassin.tenant_proof', %s, true)",
                    (str(tenant), tenant_proof(key, tenant)),
                )
                connection.execute(LOOP % {"samples": 11, "rounds": rounds, "body": body})
                result = connection.execute(
                    "SELECT e.key, percentile_cont(0.5) WITHIN GROUP (ORDER BY x::numeric), min(x::numeric) "
                    "FROM jsonb_each(current_setting('bench.result')::jsonb) e, jsonb_array_elements_text(e.value) x "
                    "GROUP BY e.key ORDER BY e.key DESC"
                ).fetchall()
                connection.rollback()
                figures = ", ".join(
                    f"{table[6:]} median {median:.1f} µs (min {low:.1f})" for table, median, low in result
                )
                print(f"{name}: {figures}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            connection.execute(f'DROP ROLE IF EXISTS "{LOGIN}"')


if __name__ == "__main__":
    main()
