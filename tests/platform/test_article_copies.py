"""``articles_imported`` (inventory's ``import_articles``: many articles in one event) keeps
every copy of the catalogue as ``article_created`` does: every service that consumes one
consumes the other, and applying an import leaves the rows that applying its articles one
by one leaves — on each consumer's own test database, through its own handlers' use cases
and views (ADR 0029)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from bassin_common.events import Event
from bassin_common.registry import installed_services
from bassin_common.testing import UnitsOfWork

# Each consumer's copy of the catalogue: its table and the column holding the article's id.
COPIES = {
    "pos": ("catalogue_articles", "article_id"),
    "customers": ("articles", "id"),
    "sav": ("articles", "id"),
    "worksites": ("known_articles", "id"),
}
CHLORE = {"sku": "CHL-GAL-5KG", "name": "Chlore lent galets 5 kg", "sale_price": "39.90", "vat_rate": "20.00"}
POMPE = {"sku": "PMP-075", "name": "Pompe 0,75 CV", "sale_price": "529.00", "vat_rate": "20.00", "supplier_id": None}


def consumers(event_type: str) -> dict[str, Callable[[Any, Event], Any]]:
    """Each service consuming inventory's ``event_type``: what its handler does with one."""
    found = {}
    for service in installed_services():
        for subscription in service.subscriptions:
            if (subscription.producer, subscription.event_type) == ("inventory", event_type):
                use_case = getattr(service.service_class, subscription.handler).use_case
                view = subscription.view

                def apply(work: Any, event: Event, use_case: Any = use_case, view: Any = view) -> Any:
                    return use_case(work, event.seen_through(view()).data)

                found[service.name] = apply
    return found


def test_every_copy_of_the_catalogue_hears_of_imported_articles() -> None:
    assert set(consumers("article_created")) == set(consumers("articles_imported")) == set(COPIES)


@pytest.mark.parametrize("service", sorted(COPIES))
def test_an_import_leaves_the_copy_that_its_articles_one_by_one_leave(
    service: str, migrate: Callable[[str], None], service_sessions: Any
) -> None:
    migrate(service)
    uow = UnitsOfWork(service, service_sessions(service), uuid.uuid4())
    one_by_one, imported = uuid.uuid4(), uuid.uuid4()
    created, bulk = consumers("article_created")[service], consumers("articles_imported")[service]

    def event(event_type: str, company: uuid.UUID, data: dict[str, Any]) -> Event:
        return Event(event_type, company, "inventory", data)

    def articles(company: uuid.UUID) -> list[dict[str, Any]]:
        """Chlore, known before (then renamed by the import), and a new pump."""
        chlore, pompe = str(uuid.uuid4()), str(uuid.uuid4())
        with uow(tenant_id=company) as work:
            created(work, event("article_created", company, {"article_id": chlore, **CHLORE, "supplier_id": None}))
        renamed = {"article_id": chlore, **CHLORE, "name": "Chlore galets 5 kg", "supplier_id": None}
        return [renamed, {"article_id": pompe, **POMPE}]

    for article in articles(one_by_one):
        with uow(tenant_id=one_by_one) as work:
            created(work, event("article_created", one_by_one, article))
    with uow(tenant_id=imported) as work:
        bulk(work, event("articles_imported", imported, {"articles": articles(imported)}))
    assert work.emitted == []

    table, key = COPIES[service]

    def copy(company: uuid.UUID) -> list[dict[str, Any]]:
        """The company's copy of the catalogue, but for the ids."""
        with uow(tenant_id=company) as work:
            rows = work.session.execute(
                text(f"SELECT * FROM {table} WHERE tenant_id = :company ORDER BY sku"), {"company": company}
            ).mappings()
            return [{name: value for name, value in row.items() if name not in (key, "tenant_id")} for row in rows]

    kept = copy(one_by_one)
    assert [(row["sku"], row["name"]) for row in kept][1:] == [("PMP-075", "Pompe 0,75 CV")]
    assert copy(imported) == kept
