"""customers use cases, each given the unit of work it runs in (which commits when they return).

They load and store through the ORM (scoped to the unit of work's tenant by
``bassin_common.tenancy``), apply ``domain`` rules and emit events; they never commit.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, or_, select

from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from customers import domain, events
from customers.models import Customer, Equipment, EquipmentLifetime, Pool, SearchTerm, Site, TimelineEntry

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
        "pools": [
            pool_file(uow, pool)
            for pool in uow.session.scalars(
                select(Pool).where(Pool.customer_id == customer.id).order_by(Pool.created_at, Pool.id)
            ).all()
        ],
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


def _matching(term: str) -> Any:
    """Customers with a term starting with ``term``: a range of the b-tree."""
    return Customer.id.in_(
        select(SearchTerm.customer_id).where(SearchTerm.term >= term, SearchTerm.term < term + TOP_OF_UNICODE)
    )


def search_customers(uow: UnitOfWork, search: dict[str, Any]) -> Page[dict[str, Any]]:
    """Customers by name, matching every term of ``search["q"]`` by prefix; a page at a time."""
    statement = select(Customer).where(Customer.erased_at.is_(None))
    if alternatives := domain.query_alternatives(search["q"]):
        statement = statement.where(or_(*(and_(*map(_matching, terms)) for terms in alternatives)))
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


# --- pools -------------------------------------------------------------------------------


def _set_pool_fields(pool: Pool, data: dict[str, Any]) -> None:
    shape = domain.Shape(data["shape"])
    width = data["width_m"] if shape is not domain.Shape.ROUND else data["length_m"]
    if shape is not domain.Shape.ROUND and data["width_m"] <= 0:
        raise ValidationFailed.field("width_m", "must be more than 0")
    computed = domain.pool_volume(shape, data["length_m"], width, data["mean_depth_m"])
    for key in ("name", "pool_type", "shape", "length_m", "mean_depth_m", "volume_override_m3", "coating"):
        setattr(pool, key, data[key])
    for key in ("filtration", "treatment", "heating", "cover", "safety_device"):
        setattr(pool, key, data[key])
    pool.width_m = width
    pool.computed_volume_m3 = computed


def create_pool(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    site = uow.session.scalar(select(Site).where(Site.id == data.pop("site_id")))
    if site is None:
        raise ValidationFailed.field("site_id", "no such site in this company")
    customer = customer_row(uow, site.customer_id)
    pool = Pool(customer_id=customer.id, site_id=site.id, version=1)
    _set_pool_fields(pool, data)
    uow.session.add(pool)
    uow.session.flush()
    _timeline(uow, customer.id, "pool", f"Bassin enregistré : {pool.name}, {pool.volume_m3} m³.", str(pool.id))
    return pool_file(uow, pool)


def update_pool(uow: UnitOfWork, pool_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> dict[str, Any]:
    pool = pool_row(uow, pool_id, for_update=True)
    require_version(pool.version, if_match, "pool")
    _set_pool_fields(pool, data)
    pool.version += 1
    return pool_file(uow, pool)


def pool_row(uow: UnitOfWork, pool_id: uuid.UUID, *, for_update: bool = False) -> Pool:
    statement = (
        select(Pool)
        .join(Customer, Customer.id == Pool.customer_id)
        .where(Pool.id == pool_id, Customer.erased_at.is_(None))
    )
    if for_update:
        statement = statement.with_for_update(of=Pool).execution_options(populate_existing=True)
    pool = uow.session.scalar(statement)
    if pool is None:
        raise NotFound(f"pool {pool_id} not found")
    return pool


def get_pool(uow: UnitOfWork, pool_id: uuid.UUID) -> dict[str, Any]:
    return pool_file(uow, pool_row(uow, pool_id))


def pool_file(uow: UnitOfWork, pool: Pool) -> dict[str, Any]:
    uow.session.flush()
    equipment = uow.session.scalars(
        select(Equipment).where(Equipment.pool_id == pool.id).order_by(Equipment.installed_on, Equipment.created_at)
    )
    return {**columns(pool), "volume_m3": pool.volume_m3, "equipment": [equipment_view(e) for e in equipment]}


# --- equipment ---------------------------------------------------------------------------


def lifetimes(uow: UnitOfWork) -> dict[domain.Category, int]:
    """The company's lifetimes, over the trade's."""
    chosen = {domain.Category(row.category): row.years for row in uow.session.scalars(select(EquipmentLifetime))}
    return {**domain.DEFAULT_LIFETIMES, **chosen}


def get_lifetimes(uow: UnitOfWork) -> dict[str, Any]:
    return {"lifetimes": {str(category): years for category, years in lifetimes(uow).items()}}


def set_lifetimes(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    for category, years in data["lifetimes"].items():
        row = uow.session.scalar(select(EquipmentLifetime).where(EquipmentLifetime.category == category))
        if row is None:
            uow.session.add(EquipmentLifetime(category=category, years=years))
        else:
            row.years = years
    uow.session.flush()
    return get_lifetimes(uow)


def equipment_view(equipment: Equipment, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    return {
        **columns(equipment),
        "warranty_badge": domain.badge(equipment.warranty_ends_on, today),
        "end_of_life_badge": domain.badge(equipment.end_of_life_on, today),
    }


def _new_equipment(uow: UnitOfWork, pool: Pool, data: dict[str, Any]) -> Equipment:
    category = domain.Category(data["category"])
    serial_key = domain.serial_term(data["serial_number"]) if data["serial_number"] else None
    brand_key = domain.fold(data["brand"]).strip()
    if serial_key and uow.session.scalar(
        select(Equipment.id).where(Equipment.brand_key == brand_key, Equipment.serial_key == serial_key)
    ):
        raise ValidationFailed.field("serial_number", f"already registered for a {data['brand']} equipment")
    warranty_months = data["warranty_months"] if data["warranty_months"] is not None else domain.DEFAULT_WARRANTY_MONTHS
    years = data["lifetime_years"] or lifetimes(uow)[category]
    equipment = Equipment(
        id=uuid.uuid4(),
        customer_id=pool.customer_id,
        pool_id=pool.id,
        category=category.value,
        brand=data["brand"],
        brand_key=brand_key,
        model=data["model"],
        serial_number=data["serial_number"],
        serial_key=serial_key,
        supplier=data["supplier"],
        installed_on=data["installed_on"],
        purchase_document=data["purchase_document"],
        warranty_months=warranty_months,
        warranty_ends_on=domain.warranty_end(data["installed_on"], warranty_months),
        lifetime_years=years,
        end_of_life_on=domain.end_of_life(data["installed_on"], category, {category: years}),
        status=domain.EquipmentStatus.IN_SERVICE.value,
    )
    uow.session.add(equipment)
    uow.session.flush()
    if serial_key:
        uow.session.add(SearchTerm(customer_id=pool.customer_id, term=serial_key, equipment_id=equipment.id))
    return equipment


def _equipment_event(equipment: Equipment) -> dict[str, Any]:
    return {"equipment_id": equipment.id, **columns(equipment)}


def install_equipment(uow: UnitOfWork, pool_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    pool = pool_row(uow, pool_id)
    equipment = _new_equipment(uow, pool, data)
    text = f"Équipement installé : {equipment.brand} {equipment.model}"
    _timeline(uow, pool.customer_id, "equipment", text + ".", str(equipment.id))
    uow.emit(events.EQUIPMENT_INSTALLED, _equipment_event(equipment))
    return equipment_view(equipment)


def equipment_row(uow: UnitOfWork, equipment_id: uuid.UUID, *, for_update: bool = False) -> Equipment:
    statement = (
        select(Equipment)
        .join(Customer, Customer.id == Equipment.customer_id)
        .where(Equipment.id == equipment_id, Customer.erased_at.is_(None))
    )
    if for_update:
        statement = statement.with_for_update(of=Equipment).execution_options(populate_existing=True)
    equipment = uow.session.scalar(statement)
    if equipment is None:
        raise NotFound(f"equipment {equipment_id} not found")
    return equipment


def get_equipment(uow: UnitOfWork, equipment_id: uuid.UUID) -> dict[str, Any]:
    return equipment_view(equipment_row(uow, equipment_id))


def replace_equipment(uow: UnitOfWork, equipment_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Install ``data`` on the same pool in place of an equipment in service, which stays in
    the history as replaced (out of service on the new one's install date)."""
    old = equipment_row(uow, equipment_id, for_update=True)
    if old.status != domain.EquipmentStatus.IN_SERVICE:
        raise Conflict(f"this equipment is {old.status} already")
    if data["installed_on"] < old.installed_on:
        raise ValidationFailed.field("installed_on", "before the replaced equipment was installed")
    pool = pool_row(uow, old.pool_id)
    new = _new_equipment(uow, pool, data)
    new.replaces_id = old.id
    old.status, old.replaced_by_id = domain.EquipmentStatus.REPLACED.value, new.id
    old.out_of_service_on = data["installed_on"]
    text = f"Équipement remplacé : {old.brand} {old.model} par {new.brand} {new.model}."
    _timeline(uow, pool.customer_id, "equipment", text, str(new.id))
    uow.emit(events.EQUIPMENT_REPLACED, {**_equipment_event(new), "replaced_equipment_id": old.id})
    return equipment_view(new)
