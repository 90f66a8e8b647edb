"""Customer files through their use cases, on PostgreSQL: creating, editing with a version,
the accent- and case-blind search, the timeline, and what a bad input leaves (nothing)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text

from bassin_common.errors import NotFound, PreconditionFailed, ValidationFailed
from bassin_common.schemas import load_or_reject
from customers import schemas, usecases
from customers.models import Customer


def test_a_customer_is_created_with_its_site_and_announced(uow, customer_data) -> None:
    with uow() as work:
        created = usecases.create_customer(work, customer_data())
    assert created["display_name"] == "DURAND Hélène"
    assert [site["city"] for site in created["sites"]] == ["Saint-Chaptes"]
    (event,) = work.emitted
    assert event.event_type == "customer_created"
    assert event.data["email"] == "Helene.Durand@orange.fr"
    assert event.data["billing_address"]["postcode"] == "30900"
    assert event.data["consent"] == {"email": True, "sms": False}


def test_search_ignores_accents_and_case_and_finds_by_phone_email_city_and_postcode(uow, new_customer, find) -> None:
    new_customer()
    new_customer(first_name="Jérôme", last_name="Martin", emails=[], phones=[{"number": "04 66 00 11 22"}], sites=[])
    new_customer(
        kind="company",
        company_name="Camping Les Cigales",
        last_name=None,
        first_name=None,
        emails=[{"address": "accueil@cigales.fr"}],
        phones=[],
        sites=[],
    )
    assert find("helene") == ["DURAND Hélène"]
    assert find("HÉLÈNE dur") == ["DURAND Hélène"]
    assert find("jerome") == ["MARTIN Jérôme"]
    assert find("06 12 34") == ["DURAND Hélène"]
    assert find("0466001122") == ["MARTIN Jérôme"]
    assert find("helene.durand@orange") == ["DURAND Hélène"]
    assert find("orange") == ["DURAND Hélène"]
    assert find("nimes") == ["Camping Les Cigales", "DURAND Hélène", "MARTIN Jérôme"]
    assert find("saint chap") == ["DURAND Hélène"]  # the site's town
    assert find("30190") == ["DURAND Hélène"]
    assert find("cigales") == ["Camping Les Cigales"]
    assert find("zzz") == []
    assert find("", tag="entretien") == ["Camping Les Cigales", "DURAND Hélène", "MARTIN Jérôme"]


def test_search_is_paginated_by_name_without_repeats(uow, new_customer) -> None:
    for index in range(7):
        new_customer(last_name=f"Dupont{index}", first_name="Émile")
    new_customer(last_name="Martin", first_name="Paul")
    names, cursor = [], None
    while True:
        with uow() as work:
            page = usecases.search_customers(work, {"q": "emile", "limit": 3, "cursor": cursor, "tag": None})
        names += [item["display_name"] for item in page.items]
        if (cursor := page.next) is None:
            break
    assert names == [f"DUPONT{index} Émile" for index in range(7)]


def test_another_tenants_customers_are_not_found(uow, new_customer) -> None:
    created = new_customer()
    other = uuid.uuid4()
    with pytest.raises(NotFound), uow(tenant_id=other) as work:
        usecases.get_customer(work, created["id"])
    with uow(tenant_id=other) as work:
        assert usecases.search_customers(work, {"q": "helene", "limit": 5, "cursor": None, "tag": None}).items == []


def test_an_update_needs_the_version_read_and_reindexes(uow, new_customer, find, helene) -> None:
    created = new_customer()
    changed = {"last_name": "Leroy", "emails": [{"address": "h.leroy@free.fr"}]}
    fields = load_or_reject(schemas.CustomerFields(), {**{k: v for k, v in helene.items() if k != "sites"}, **changed})
    with pytest.raises(PreconditionFailed), uow() as work:
        usecases.update_customer(work, created["id"], ["7"], fields)
    with uow() as work:
        updated = usecases.update_customer(work, created["id"], ["1"], fields)
    assert (updated["display_name"], updated["version"]) == ("LEROY Hélène", 2)
    assert [e.event_type for e in work.emitted] == ["customer_updated"]
    assert find("leroy") == ["LEROY Hélène"]
    assert find("durand") == []


def test_bad_input_is_refused_by_field_and_writes_nothing(uow, customer_data) -> None:
    with uow() as work:
        before = work.session.scalar(select(func.count()).select_from(Customer))
    for payload, field in [
        ({"last_name": None}, "last_name"),
        ({"kind": "company", "company_name": None}, "company_name"),
    ]:
        with pytest.raises(ValidationFailed) as refused, uow() as work:
            usecases.create_customer(work, customer_data(**payload))
        assert field in refused.value.errors
    for payload, field in [
        ({"billing_address": {"line1": "x", "postcode": "3090", "city": "Nîmes"}}, "billing_address.postcode"),
        ({"phones": [{"number": "appelez-moi"}]}, "phones[0].number"),
        ({"siren": "12"}, "siren"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            customer_data(**payload)
        assert field in refused.value.errors, refused.value.errors
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Customer)) == before


def test_notes_make_a_timeline_newest_first(uow, new_customer) -> None:
    created = new_customer()
    with uow() as work:
        usecases.add_note(work, created["id"], {"kind": "call", "text": "Rappeler pour l'ouverture."})
    with uow() as work:
        entries = usecases.timeline(work, created["id"], {"limit": 10, "cursor": None}).items
        assert (entries[0].kind, entries[0].text) == ("call", "Rappeler pour l'ouverture.")
        assert entries[-1].kind == "created"


def test_the_search_index_is_used_under_row_level_security(uow, new_customer) -> None:
    """The prefix range is served by the b-tree even for the service role (RLS forced)."""
    new_customer()
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


def test_a_site_is_corrected_with_its_version_and_found_by_its_new_town(uow, new_customer, find) -> None:
    customer = new_customer()
    site = customer["sites"][0]
    corrected = {"label": "Mas", "line1": "Chemin du Moulin", "line2": None, "postcode": "30700", "city": "Uzès"}
    with pytest.raises(PreconditionFailed), uow() as work:
        usecases.update_site(work, site["id"], ["2"], {**corrected, "country": "FR", "access_notes": None})
    with uow() as work:
        updated = usecases.update_site(
            work, site["id"], ["1"], {**corrected, "country": "FR", "access_notes": "Code 4321"}
        )
        assert (updated.city, updated.version) == ("Uzès", 2)
    assert find("uzes") == ["DURAND Hélène"]
    assert find("saint chaptes") == []
