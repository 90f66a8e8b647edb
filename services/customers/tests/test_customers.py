"""Customer files through their use cases, on PostgreSQL: creating, editing with a version,
the accent- and case-blind search, the timeline, and what a bad input leaves (nothing)."""

from __future__ import annotations

import uuid
from copy import deepcopy
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bassin_common.errors import NotFound, PreconditionFailed, ValidationFailed
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases
from customers.models import Customer

HELENE = {
    "kind": "private",
    "first_name": "Hélène",
    "last_name": "Durand",
    "emails": [{"address": "Helene.Durand@orange.fr", "label": "perso"}],
    "phones": [{"number": "+33 6 12 34 56 78", "label": "portable"}],
    "consent": {"email": True, "sms": False},
    "billing_address": {"line1": "12 chemin des Oliviers", "postcode": "30900", "city": "Nîmes"},
    "tags": ["entretien"],
    "sites": [{"label": "Mas", "line1": "Route d'Uzès", "postcode": "30190", "city": "Saint-Chaptes"}],
}


def customer_input(**changes: Any) -> dict[str, Any]:
    return load_or_reject(schemas.CustomerInput(), {**deepcopy(HELENE), **changes})


def create(uow, **changes: Any) -> dict[str, Any]:
    with uow() as work:
        return usecases.create_customer(work, customer_input(**changes))


def search(uow, q: str, limit: int = 50, **extra: Any) -> list[str]:
    with uow() as work:
        page = usecases.search_customers(work, {"q": q, "limit": limit, "cursor": None, "tag": None, **extra})
    return [item["display_name"] for item in page.items]


def test_a_customer_is_created_with_its_site_and_announced(uow) -> None:
    with uow() as work:
        created = usecases.create_customer(work, customer_input())
    assert created["display_name"] == "DURAND Hélène"
    assert [site["city"] for site in created["sites"]] == ["Saint-Chaptes"]
    (event,) = work.emitted
    assert event.event_type == "customer_created"
    assert event.data["email"] == "Helene.Durand@orange.fr"
    assert event.data["billing_address"]["postcode"] == "30900"
    assert event.data["consent"] == {"email": True, "sms": False}


def test_search_ignores_accents_and_case_and_finds_by_phone_email_city_and_postcode(uow) -> None:
    create(uow)
    create(uow, first_name="Jérôme", last_name="Martin", emails=[], phones=[{"number": "04 66 00 11 22"}], sites=[])
    create(
        uow,
        kind="company",
        company_name="Camping Les Cigales",
        last_name=None,
        first_name=None,
        emails=[{"address": "accueil@cigales.fr"}],
        phones=[],
        sites=[],
    )
    assert search(uow, "helene") == ["DURAND Hélène"]
    assert search(uow, "HÉLÈNE dur") == ["DURAND Hélène"]
    assert search(uow, "jerome") == ["MARTIN Jérôme"]
    assert search(uow, "06 12 34") == ["DURAND Hélène"]
    assert search(uow, "0466001122") == ["MARTIN Jérôme"]
    assert search(uow, "helene.durand@orange") == ["DURAND Hélène"]
    assert search(uow, "orange") == ["DURAND Hélène"]
    assert search(uow, "nimes") == ["Camping Les Cigales", "DURAND Hélène", "MARTIN Jérôme"]
    assert search(uow, "saint chap") == ["DURAND Hélène"]  # the site's town
    assert search(uow, "30190") == ["DURAND Hélène"]
    assert search(uow, "cigales") == ["Camping Les Cigales"]
    assert search(uow, "zzz") == []
    assert search(uow, "", tag="entretien") == ["Camping Les Cigales", "DURAND Hélène", "MARTIN Jérôme"]


def test_search_is_paginated_by_name_without_repeats(uow) -> None:
    for index in range(7):
        create(uow, last_name=f"Dupont{index}", first_name="Émile")
    names, cursor = [], None
    while True:
        with uow() as work:
            page = usecases.search_customers(work, {"q": "emile", "limit": 3, "cursor": cursor, "tag": None})
        names += [item["display_name"] for item in page.items]
        if (cursor := page.next) is None:
            break
    assert names == [f"DUPONT{index} Émile" for index in range(7)]


def test_another_tenants_customers_are_not_found(uow) -> None:
    created = create(uow)
    other = uuid.uuid4()
    with pytest.raises(NotFound), uow(tenant_id=other) as work:
        usecases.get_customer(work, created["id"])
    with uow(tenant_id=other) as work:
        assert usecases.search_customers(work, {"q": "helene", "limit": 5, "cursor": None, "tag": None}).items == []


def test_an_update_needs_the_version_read_and_reindexes(uow) -> None:
    created = create(uow)
    changed = {"last_name": "Leroy", "emails": [{"address": "h.leroy@free.fr"}]}
    fields = load_or_reject(schemas.CustomerFields(), {**{k: v for k, v in HELENE.items() if k != "sites"}, **changed})
    with pytest.raises(PreconditionFailed), uow() as work:
        usecases.update_customer(work, created["id"], ["7"], fields)
    with uow() as work:
        updated = usecases.update_customer(work, created["id"], ["1"], fields)
    assert (updated["display_name"], updated["version"]) == ("LEROY Hélène", 2)
    assert [e.event_type for e in work.emitted] == ["customer_updated"]
    assert search(uow, "leroy") == ["LEROY Hélène"]
    assert search(uow, "durand") == []


def test_bad_input_is_refused_by_field_and_writes_nothing(uow) -> None:
    with uow() as work:
        before = work.session.scalar(select(func.count()).select_from(Customer))
    for payload, field in [
        ({"last_name": None}, "last_name"),
        ({"kind": "company", "company_name": None}, "company_name"),
    ]:
        with pytest.raises(ValidationFailed) as refused, uow() as work:
            usecases.create_customer(work, customer_input(**payload))
        assert field in refused.value.errors
    for payload, field in [
        ({"billing_address": {"line1": "x", "postcode": "3090", "city": "Nîmes"}}, "billing_address.postcode"),
        ({"phones": [{"number": "appelez-moi"}]}, "phones[0].number"),
        ({"siren": "12"}, "siren"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            customer_input(**payload)
        assert field in refused.value.errors, refused.value.errors
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Customer)) == before


def test_notes_make_a_timeline_newest_first(uow) -> None:
    created = create(uow)
    with uow() as work:
        usecases.add_note(work, created["id"], {"kind": "call", "text": "Rappeler pour l'ouverture."})
    with uow() as work:
        entries = usecases.timeline(work, created["id"], {"limit": 10, "cursor": None}).items
        assert (entries[0].kind, entries[0].text) == ("call", "Rappeler pour l'ouverture.")
        assert entries[-1].kind == "created"


def test_the_search_index_is_used_under_row_level_security(uow) -> None:
    """The prefix range is served by the b-tree even for the service role (RLS forced)."""
    create(uow)
    with uow() as work:
        work.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in work.session.execute(
                text(
                    "EXPLAIN SELECT customer_id FROM search_terms "
                    "WHERE term >= 'hel' AND term < 'hel' || chr(1114111) COLLATE \"C\""
                )
            )
        )
    # The range is the index's condition (not a filter over every row of the index).
    assert "search_terms_by_term" in plan, plan
    assert any("Index Cond" in line and "term >=" in line for line in plan.splitlines()), plan
