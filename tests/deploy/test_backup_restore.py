"""The backup and restore of one service database, run exactly as docs/operations.md
tells it: the shell block marked for this test is read from the guide and run with
bash, against the real PostgreSQL (pg_dump, pg_restore, createdb: no restart, no other
database touched). The restored copy, a new empty database, must hold the same rows as
the original in every table."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bassin_common.database import psycopg_conninfo
from bassin_common.schemas import load_or_reject
from bassin_common.testing import unit_of_work_fixture

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs/operations.md"
MARKER = "<!-- tests/deploy/test_backup_restore.py runs the next block -->"
SERVICE = "customers"

uow = unit_of_work_fixture(SERVICE)


def guide_block() -> str:
    """The shell block right after MARKER in the operations guide."""
    text = GUIDE.read_text()
    assert text.count(MARKER) == 1, f"{GUIDE.name} must mark the backup block once"
    match = re.match(r"\s*```sh\n(?P<body>.*?)```", text.split(MARKER, 1)[1], re.S)
    assert match, "the marker must be followed by a ```sh block"
    return match["body"]


def rows_of_every_table(conninfo: str) -> dict[str, list[str]]:
    """Every table of the public schema -> its rows as JSON text, sorted (read as the
    superuser of the test server: row-level security does not hide any)."""
    with psycopg.connect(conninfo) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: sorted(row[0] for row in connection.execute(f'SELECT to_jsonb(t)::text FROM "{table}" t'))
            for table in tables
        }


def some_customers(uow: Any, count: int) -> None:
    from customers import schemas, usecases

    for number in range(count):
        data = {
            "kind": "private",
            "first_name": f"Client{number}",
            "last_name": "Sauvegarde",
            "emails": [{"address": f"client{number}@exemple.fr", "label": "perso"}],
            "billing_address": {"line1": f"{number} rue des Bassins", "postcode": "30900", "city": "Nîmes"},
            "sites": [{"label": "Maison", "line1": f"{number} rue des Bassins", "postcode": "30900", "city": "Nîmes"}],
        }
        with uow() as work:
            usecases.create_customer(work, load_or_reject(schemas.CustomerInput(), data))


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="PostgreSQL's client tools are not installed")
def test_a_database_restored_from_its_backup_holds_the_same_rows(
    migrate: Callable[[str], None], test_settings: Any, uow: Any, tmp_path: Path
) -> None:
    migrate(SERVICE)
    some_customers(uow, 12)
    database = test_settings.database_name(SERVICE)
    restored = f"{database}_restored"  # under the test prefix: dropped with the others
    server = psycopg_conninfo(test_settings.database_url).rstrip("/")

    environment = {**os.environ, "PGURL": server, "DB": database, "RESTORED": restored}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", guide_block()],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert (tmp_path / f"{database}.dump").stat().st_size > 0

    original = rows_of_every_table(psycopg_conninfo(test_settings.database_url, database))
    copy = rows_of_every_table(psycopg_conninfo(test_settings.database_url, restored))
    assert len(original["customers"]) >= 12 and original["outbox"], "the backup has something to prove"
    assert copy.keys() == original.keys()
    for table, rows in original.items():
        assert copy[table] == rows, f"{table} differs after the restore"
