"""``bassin-pos-verify-journal``: check every company's till journal, as an auditor would.

    bassin-pos-verify-journal              # every company, every shop
    bassin-pos-verify-journal --tenant ID  # one company

Each ticket's hash is recomputed from its rows, its link to the previous ticket and its
number checked, and each shop's last ticket compared with the one its till recorded last
(``usecases.verify_journal``, the same check as ``GET /api/v1/pos/journal/verification``).
Prints one line per shop, and every problem; exits 1 when any journal is broken.
"""

from __future__ import annotations

import argparse
import sys
import uuid

from sqlalchemy import text

from bassin_common.config import load_settings
from bassin_common.database import make_engine, make_session_factory
from bassin_common.permissions import SYSTEM
from bassin_common.tenancy import RequestContext
from bassin_common.uow import UnitOfWork
from pos import usecases


def verify(database_url: str, tenants: list[uuid.UUID] | None = None) -> dict[uuid.UUID, dict]:
    """Each company's verification (``verify_journal``), by company."""
    engine = make_engine(database_url, pool_size=1)
    try:
        if tenants is None:
            with engine.connect() as connection:  # as the database's owner: every company's shops
                tenants = list(connection.scalars(text("SELECT DISTINCT tenant_id FROM shops ORDER BY 1")))
        sessions = make_session_factory(engine)
        results = {}
        for tenant in tenants:
            context = RequestContext(tenant, "bassin-pos-verify-journal", frozenset({SYSTEM}))
            with UnitOfWork(sessions, context, "pos") as uow:
                results[tenant] = usecases.verify_journal(uow, {"location_id": None})
        return results
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", type=uuid.UUID, action="append", help="a company's id (repeatable)")
    arguments = parser.parse_args(argv)
    # Every company's shops are listed as the owner (row-level security hides them from the
    # runtime login): the migration credentials when given, else BASSIN_DATABASE_URL's.
    return main_with(load_settings().migration_service_database_url("pos"), arguments.tenant)


def main_with(database_url: str, tenants: list[uuid.UUID] | None) -> int:
    """Verify and print; 0 when every journal is intact, else 1."""
    results = verify(database_url, tenants)
    for tenant, result in results.items():
        for shop in result["shops"]:
            state = "intact" if shop["intact"] else "BROKEN"
            counts = f"{shop['tickets']} tickets, last {shop['last_number']}"
            print(f"{tenant} shop {shop['location_id']}: {counts}: {state}")
            for problem in shop["problems"]:
                print(f"    ticket {problem['number']}: {problem['problem']}")
    return 0 if all(result["intact"] for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
