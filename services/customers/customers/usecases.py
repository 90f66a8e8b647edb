"""customers use cases, each given the unit of work it runs in (which commits when they return).

They load and store through the ORM (scoped to the unit of work's tenant by
``bassin_common.tenancy``), apply ``domain`` rules and emit events; they never commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select

from bassin_common.errors import NotFound
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from customers import domain, events
from customers.models import Customer, SearchTerm, Site, TimelineEntry

TOP_OF_UNICODE = chr(0x10FFFF)  # after every prefix's continuations, in the "C" collation

# --- customers ---------------------------------------------------------------------------


def _set_fields(customer: Customer, data: dict[str, Any]) -> None:
    kind = domain.Kind(data["kind"])
    customer.kind = kind.value
    customer.display_name = domain.display_name(kind, data["company_name"], data["first_name"], data["last_name"])
    customer.sort_name = domain.sort_key(customer.display_name)
    for key in ("company_name", "first_name", "last_name", "siren", "vat_number", "preferred_channel", "source"):
        setattr(customer, key, data[key])
    customer.salesperson_id = data["salesperson_id"]
    customer.emails = [{"address": e["address"], "label": e["label"]} for e in data["emails"]]
    customer.phones = [{"number": p["number"], "label": p["label"]} for p in data["phones"]]
    customer.consent_email, customer.consent_sms = data["consent"]["email"], data["consent"]["sms"]
    address = data["billing_address"]
    customer.billing_line1, customer.billing_line2 = address["line1"], address["line2"]
    customer.billing_postcode, customer.billing_city = address["postcode"], address["city"]
    customer.billing_country = address["country"]
    customer.tags = sorted({tag.strip() for tag in data["tags"] if tag.strip()})


def create_customer(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    customer = Customer(id=uuid.uuid4(), version=1)
    _set_fields(customer, data)
    uow.session.add(customer)
    uow.session.flush()
    for site in data["sites"]:
        uow.session.add(Site(customer_id=customer.id, **site))
    _timeline(uow, customer.id, "created", f"Fiche créée ({domain.Source(customer.source).value}).")
    uow.session.flush()
    index_customer(uow, customer)
    uow.emit(events.CUSTOMER_CREATED, customer_event(customer))
    return customer_file(uow, customer)


def update_customer(
    uow: UnitOfWork, customer_id: uuid.UUID, if_match: list[str], data: dict[str, Any]
) -> dict[str, Any]:
    """Replace the file's own fields if it is still at a version of ``if_match``."""
    customer = customer_row(uow, customer_id, for_update=True)
    require_version(customer.version, if_match, "customer")
    _set_fields(customer, data)
    customer.version += 1
    uow.session.flush()
    index_customer(uow, customer)
    uow.emit(events.CUSTOMER_UPDATED, customer_event(customer))
    return customer_file(uow, customer)


def customer_row(uow: UnitOfWork, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer:
    statement = select(Customer).where(Customer.id == customer_id, Customer.erased_at.is_(None))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    customer = uow.session.scalar(statement)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def get_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> dict[str, Any]:
    return customer_file(uow, customer_row(uow, customer_id))


def get_own_customer(uow: UnitOfWork) -> dict[str, Any]:
    """The portal's caller's own customer file."""
    if uow.context.customer_id is None:
        raise NotFound("this account is no customer's")
    return get_customer(uow, uow.context.customer_id)


def customer_event(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "kind": customer.kind,
        "display_name": customer.display_name,
        "email": customer.emails[0]["address"] if customer.emails else None,
        "phone": customer.phones[0]["number"] if customer.phones else None,
        "billing_address": _billing_address(customer),
        "siren": customer.siren,
        "vat_number": customer.vat_number,
        "consent": {"email": customer.consent_email, "sms": customer.consent_sms},
        "tags": customer.tags,
        "source": customer.source,
        "salesperson_id": customer.salesperson_id,
    }


def _billing_address(customer: Customer) -> dict[str, Any]:
    return {
        "line1": customer.billing_line1,
        "line2": customer.billing_line2,
        "postcode": customer.billing_postcode,
        "city": customer.billing_city,
        "country": customer.billing_country,
    }


def _summary(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "kind": customer.kind,
        "display_name": customer.display_name,
        "email": customer.emails[0]["address"] if customer.emails else None,
        "phone": customer.phones[0]["number"] if customer.phones else None,
        "postcode": customer.billing_postcode,
        "city": customer.billing_city,
        "tags": customer.tags,
    }


def customer_file(uow: UnitOfWork, customer: Customer) -> dict[str, Any]:
    sites = uow.session.scalars(select(Site).where(Site.customer_id == customer.id).order_by(Site.created_at, Site.id))
    return {
        **_summary(customer),
        **{
            key: getattr(customer, key)
            for key in (
                "company_name",
                "first_name",
                "last_name",
                "siren",
                "vat_number",
                "emails",
                "phones",
                "preferred_channel",
                "source",
                "salesperson_id",
                "version",
                "created_at",
            )
        },
        "consent": {"email": customer.consent_email, "sms": customer.consent_sms},
        "billing_address": _billing_address(customer),
        "sites": [columns(site) for site in sites],
        "erased": customer.erased_at is not None,
    }


def columns(row: Any) -> dict[str, Any]:
    """A row's columns as a dict."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


# --- search ------------------------------------------------------------------------------


def index_customer(uow: UnitOfWork, customer: Customer) -> None:
    """Write again the terms ``customer`` is found by (its equipment's serials stay)."""
    sites = uow.session.scalars(select(Site).where(Site.customer_id == customer.id)).all()
    terms = domain.search_terms(
        names=[customer.display_name, customer.company_name or "", customer.first_name or ""],
        emails=[e["address"] for e in customer.emails],
        phones=[p["number"] for p in customer.phones],
        places=[customer.billing_city, customer.billing_postcode]
        + [site.city for site in sites]
        + [site.postcode for site in sites],
    )
    uow.session.execute(
        delete(SearchTerm).where(SearchTerm.customer_id == customer.id, SearchTerm.equipment_id.is_(None))
    )
    uow.session.add_all(SearchTerm(customer_id=customer.id, term=term) for term in sorted(terms))


def search_customers(uow: UnitOfWork, search: dict[str, Any]) -> Page[dict[str, Any]]:
    """Customers by name, matching every term of ``search["q"]`` by prefix; a page at a time."""
    statement = select(Customer).where(Customer.erased_at.is_(None))
    for term in domain.query_terms(search["q"]):
        matching = select(SearchTerm.customer_id).where(
            SearchTerm.term >= term, SearchTerm.term < term + TOP_OF_UNICODE
        )
        statement = statement.where(Customer.id.in_(matching))
    if search.get("tag"):
        statement = statement.where(Customer.tags.any(search["tag"]))
    found = read_page(uow.session, statement, (Customer.sort_name, Customer.id), search)
    return Page([_summary(customer) for customer in found.items], found.next)


# --- sites and timeline ------------------------------------------------------------------


def add_site(uow: UnitOfWork, customer_id: uuid.UUID, data: dict[str, Any]) -> Site:
    customer = customer_row(uow, customer_id, for_update=True)
    site = Site(customer_id=customer.id, **data)
    uow.session.add(site)
    uow.session.flush()
    index_customer(uow, customer)
    return site


def site_row(uow: UnitOfWork, site_id: uuid.UUID) -> Site:
    site = uow.session.scalar(select(Site).where(Site.id == site_id))
    if site is None:
        raise NotFound(f"site {site_id} not found")
    return site


def _timeline(
    uow: UnitOfWork, customer_id: uuid.UUID, kind: str, text: str, reference: str | None = None
) -> TimelineEntry:
    entry = TimelineEntry(
        customer_id=customer_id, kind=kind, text=text, author_id=uow.context.user_id, reference=reference
    )
    uow.session.add(entry)
    return entry


def add_note(uow: UnitOfWork, customer_id: uuid.UUID, data: dict[str, Any]) -> TimelineEntry:
    customer_row(uow, customer_id)
    entry = _timeline(uow, customer_id, data["kind"], data["text"])
    uow.session.flush()
    uow.session.refresh(entry)
    return entry


def timeline(uow: UnitOfWork, customer_id: uuid.UUID, page: dict[str, Any]) -> Page[TimelineEntry]:
    """A customer's timeline, newest first."""
    customer_row(uow, customer_id)
    statement = select(TimelineEntry).where(TimelineEntry.customer_id == customer_id)
    return read_page(uow.session, statement, (TimelineEntry.at, TimelineEntry.id), page, descending=True)
