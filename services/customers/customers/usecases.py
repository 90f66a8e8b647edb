"""customers use cases, each given the unit of work it runs in (which commits when they return).

They load and store through the ORM (scoped to the unit of work's tenant by
``bassin_common.tenancy``), apply ``domain`` rules and emit events; they never commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, delete, func, insert, literal, select, tuple_, union, update

from bassin_common.copies import keep_copies
from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.french import business_day
from bassin_common.pagination import Page, read_page
from bassin_common.permissions import MANAGE_SALES_PIPELINE, RECORD_WATER_ANALYSES
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from customers import domain, events, gdpr
from customers.models import (
    Article,
    Contract,
    Customer,
    Equipment,
    EquipmentLifetime,
    Lead,
    Order,
    Pool,
    Quote,
    SearchTerm,
    Site,
    TimelineEntry,
    WaterAnalysis,
    WaterProduct,
    WaterTarget,
)

log = logging.getLogger(__name__)

Owned = TypeVar("Owned", Site, Pool, Equipment, Lead, Quote, Contract)
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
    _timeline(uow, customer.id, "created", created_text(customer))
    uow.session.flush()
    index_customer(uow, customer)
    uow.emit(events.CUSTOMER_CREATED, customer_event(customer))
    return customer_file(uow, customer)


def created_text(customer: Customer) -> str:
    return f"Fiche créée ({domain.Source(customer.source).value})."


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


def _owned_row(uow: UnitOfWork, model: type[Owned], row_id: uuid.UUID, noun: str, for_update: bool) -> Owned:
    """A row that belongs to a customer (site, pool, equipment, lead, quote, contract), read
    only while that customer is not erased; locked for an update when asked."""
    owner = Customer.id == model.customer_id
    statement = select(model).join(Customer, owner).where(model.id == row_id, Customer.erased_at.is_(None))
    if for_update:
        statement = statement.with_for_update(of=model).execution_options(populate_existing=True)
    row = uow.session.scalar(statement)
    if row is None:
        raise NotFound(f"{noun} {row_id} not found")
    return row


def body_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    """The customer a request's body names: unknown (or another company's) is refused
    naming the field (422), as a path's would be not found."""
    try:
        return customer_row(uow, customer_id)
    except NotFound:
        raise ValidationFailed.field("customer_id", "no such customer in this company") from None


def get_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> dict[str, Any]:
    return customer_file(uow, customer_row(uow, customer_id))


def get_own_customer(uow: UnitOfWork) -> dict[str, Any]:
    """The portal's caller's own customer file."""
    return get_customer(uow, own_customer_id(uow))


def own_customer_id(uow: UnitOfWork) -> uuid.UUID:
    """The portal caller's customer (NotFound for an account that is no customer's)."""
    if uow.context.customer_id is None:
        raise NotFound("this account is no customer's")
    return uow.context.customer_id


def own_pool_analyses(uow: UnitOfWork, pool_id: uuid.UUID, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """The portal: a pool's analyses, if the pool is the caller's (another's is NotFound)."""
    if pool_row(uow, pool_id).customer_id != own_customer_id(uow):
        raise NotFound(f"pool {pool_id} not found")
    return pool_analyses(uow, pool_id, page)


def own_contracts(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """The portal: the caller's own maintenance contracts, the latest first."""
    return customer_contracts(uow, own_customer_id(uow), page)


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
    terms = customer_terms(customer, sites)
    uow.session.execute(
        delete(SearchTerm).where(SearchTerm.customer_id == customer.id, SearchTerm.equipment_id.is_(None))
    )
    uow.session.execute(
        update(SearchTerm).where(SearchTerm.customer_id == customer.id).values(sort_name=customer.sort_name)
    )
    uow.session.add_all(
        SearchTerm(customer_id=customer.id, term=term, sort_name=customer.sort_name) for term in sorted(terms)
    )


def customer_terms(customer: Customer, sites: Any) -> set[str]:
    """The terms a customer is found by (its name, e-mails, phones, towns), serials aside."""
    return domain.search_terms(
        names=[customer.display_name, customer.company_name or "", customer.first_name or ""],
        emails=[e["address"] for e in customer.emails],
        phones=[p["number"] for p in customer.phones],
        places=[customer.billing_city, customer.billing_postcode]
        + [site.city for site in sites]
        + [site.postcode for site in sites],
    )


LIST_ORDER = (Customer.sort_name, Customer.id)


def search_statement(search: dict[str, Any]) -> Any:
    """``(customer_id, sort_name)`` of the customers matching every term of one of the
    query's alternatives (and the tag), read from the terms' index alone."""
    matches = []
    for terms in domain.query_alternatives(search["q"]):
        first, *others = terms  # the longest first: it narrows most
        statement = select(SearchTerm.customer_id, SearchTerm.sort_name).where(_prefix(first))
        for term in others:
            statement = statement.where(SearchTerm.customer_id.in_(select(SearchTerm.customer_id).where(_prefix(term))))
        matches.append(statement)
    found = matches[0] if len(matches) == 1 else union(*matches)
    found = found.subquery("found")
    statement = select(found.c.customer_id, found.c.sort_name).group_by(found.c.customer_id, found.c.sort_name)
    if search.get("tag"):
        tagged = select(Customer.id).where(Customer.tags.any(search["tag"]))
        statement = statement.where(found.c.customer_id.in_(tagged))
    return statement, (found.c.sort_name, found.c.customer_id)


def _prefix(term: str) -> Any:
    """Terms starting with ``term``: a range of the b-tree (leakproof, so used under RLS)."""
    return and_(SearchTerm.term >= term, SearchTerm.term < term + TOP_OF_UNICODE)


def search_customers(uow: UnitOfWork, search: dict[str, Any]) -> Page[dict[str, Any]]:
    """Customers by name, those matching every term of ``search["q"]`` by prefix; a page at a time."""
    if not domain.query_alternatives(search["q"]):
        statement = select(Customer).where(Customer.erased_at.is_(None))
        if search.get("tag"):
            statement = statement.where(Customer.tags.any(search["tag"]))
        found = read_page(uow.session, statement, LIST_ORDER, search)
        return Page([_summary(customer) for customer in found.items], found.next)
    statement, order = search_statement(search)
    page = read_page(uow.session, statement, order, search)
    ids = [customer_id for customer_id, _ in page.items]
    rows = {c.id: c for c in uow.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return Page([_summary(rows[customer_id]) for customer_id in ids if customer_id in rows], page.next)


# --- sites and timeline ------------------------------------------------------------------


def add_site(uow: UnitOfWork, customer_id: uuid.UUID, data: dict[str, Any]) -> Site:
    customer = customer_row(uow, customer_id, for_update=True)
    site = Site(customer_id=customer.id, **data)
    uow.session.add(site)
    uow.session.flush()
    index_customer(uow, customer)
    return site


def site_row(uow: UnitOfWork, site_id: uuid.UUID, *, for_update: bool = False) -> Site:
    return _owned_row(uow, Site, site_id, "site", for_update)


def get_site(uow: UnitOfWork, site_id: uuid.UUID) -> Site:
    return site_row(uow, site_id)


def update_site(uow: UnitOfWork, site_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> Site:
    """Correct a site's address or access notes, if unchanged since read; the customer is
    found by its new town and postcode."""
    site = site_row(uow, site_id, for_update=True)
    require_version(site.version, if_match, "site")
    for key, value in data.items():
        setattr(site, key, value)
    site.version += 1
    uow.session.flush()
    index_customer(uow, customer_row(uow, site.customer_id))
    return site


def _timeline(
    uow: UnitOfWork, customer_id: uuid.UUID, kind: str, text: str, reference: str | None = None
) -> TimelineEntry:
    # Its id given here, not by the column's default at INSERT: a flush of many entries is
    # then one plain batch, without RETURNING the ids (the bulk import writes thousands).
    entry = TimelineEntry(
        id=uuid.uuid4(),
        customer_id=customer_id,
        kind=kind,
        text=text,
        author_id=uow.context.user_id,
        reference=reference,
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
    _timeline(uow, customer.id, "pool", pool_text(pool), str(pool.id))
    return pool_file(uow, pool)


def pool_text(pool: Pool) -> str:
    return f"Bassin enregistré : {pool.name}, {pool.volume_m3} m³."


def update_pool(uow: UnitOfWork, pool_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> dict[str, Any]:
    pool = pool_row(uow, pool_id, for_update=True)
    require_version(pool.version, if_match, "pool")
    _set_pool_fields(pool, data)
    pool.version += 1
    return pool_file(uow, pool)


def pool_row(uow: UnitOfWork, pool_id: uuid.UUID, *, for_update: bool = False) -> Pool:
    return _owned_row(uow, Pool, pool_id, "pool", for_update)


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
    today = today or business_day()
    return {
        **columns(equipment),
        "warranty_badge": domain.badge(equipment.warranty_ends_on, today),
        "end_of_life_badge": domain.badge(equipment.end_of_life_on, today),
    }


def equipment_keys(data: dict[str, Any]) -> tuple[str, str | None]:
    """The brand and serial number as compared: a serial is unique per brand in a company."""
    serial_key = domain.serial_term(data["serial_number"]) if data["serial_number"] else None
    return domain.fold(data["brand"]).strip(), serial_key


def new_equipment_row(pool: Pool, data: dict[str, Any], company_lifetimes: dict[domain.Category, int]) -> Equipment:
    """A new piece of equipment on ``pool``: its warranty and end of life from its install
    date (``lifetimes``: the company's, over the trade's)."""
    category = domain.Category(data["category"])
    brand_key, serial_key = equipment_keys(data)
    warranty_months = data["warranty_months"] if data["warranty_months"] is not None else domain.DEFAULT_WARRANTY_MONTHS
    years = data["lifetime_years"] or company_lifetimes[category]
    return Equipment(
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


def _new_equipment(uow: UnitOfWork, pool: Pool, data: dict[str, Any]) -> Equipment:
    brand_key, serial_key = equipment_keys(data)
    if serial_key and uow.session.scalar(
        select(Equipment.id).where(Equipment.brand_key == brand_key, Equipment.serial_key == serial_key)
    ):
        raise ValidationFailed.field("serial_number", f"already registered for a {data['brand']} equipment")
    equipment = new_equipment_row(pool, data, lifetimes(uow))
    uow.session.add(equipment)
    uow.session.flush()
    if serial_key:
        sort_name = uow.session.scalar(select(Customer.sort_name).where(Customer.id == pool.customer_id))
        uow.session.add(
            SearchTerm(customer_id=pool.customer_id, term=serial_key, sort_name=sort_name, equipment_id=equipment.id)
        )
    return equipment


def equipment_text(equipment: Equipment) -> str:
    return f"Équipement installé : {equipment.brand} {equipment.model}."


def equipment_event(equipment: Equipment) -> dict[str, Any]:
    return {"equipment_id": equipment.id, **columns(equipment)}


def install_equipment(uow: UnitOfWork, pool_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    pool = pool_row(uow, pool_id)
    equipment = _new_equipment(uow, pool, data)
    _timeline(uow, pool.customer_id, "equipment", equipment_text(equipment), str(equipment.id))
    uow.emit(events.EQUIPMENT_INSTALLED, equipment_event(equipment))
    return equipment_view(equipment)


def equipment_row(uow: UnitOfWork, equipment_id: uuid.UUID, *, for_update: bool = False) -> Equipment:
    return _owned_row(uow, Equipment, equipment_id, "equipment", for_update)


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
    uow.emit(events.EQUIPMENT_REPLACED, {**equipment_event(new), "replaced_equipment_id": old.id})
    return equipment_view(new)


# --- the catalogue copy ------------------------------------------------------------------


def copy_article(uow: UnitOfWork, article: dict[str, Any]) -> None:
    """Keep inventory's article (created, or its price or name changed) as it is now."""
    row = uow.session.scalar(select(Article).where(Article.id == article["article_id"]))
    if row is None:
        row = Article(id=article["article_id"])
        uow.session.add(row)
    row.sku, row.name = article["sku"], article["name"]
    row.sale_price, row.vat_rate = article["sale_price"], article["vat_rate"]


def copy_articles(uow: UnitOfWork, imported: dict[str, Any]) -> None:
    """Keep articles inventory created together, each as ``copy_article``, in one statement."""
    kept = ("sku", "name", "sale_price", "vat_rate")
    rows = [
        {"tenant_id": uow.tenant_id, "id": a["article_id"], **{key: a[key] for key in kept}}
        for a in imported["articles"]
    ]
    keep_copies(uow.session, Article, rows, key=["id", "tenant_id"])


def article_row(uow: UnitOfWork, article_id: uuid.UUID, field: str) -> Article:
    article = uow.session.scalar(select(Article).where(Article.id == article_id))
    if article is None:
        raise ValidationFailed.field(field, "no such article in this company's catalogue")
    return article


# --- water care --------------------------------------------------------------------------


def water_products(uow: UnitOfWork) -> dict[domain.Role, domain.Product]:
    rows = uow.session.execute(select(WaterProduct, Article).join(Article, Article.id == WaterProduct.article_id))
    return {
        domain.Role(product.role): domain.Product(
            domain.Role(product.role), str(article.id), article.name, product.unit, product.dose
        )
        for product, article in rows
    }


def get_water_products(uow: UnitOfWork) -> dict[str, Any]:
    products = sorted(water_products(uow).values(), key=lambda p: p.role)
    return {
        "products": [
            {
                "role": p.role,
                "article_id": p.article_id,
                "article_name": p.name,
                "unit": p.unit,
                "dose": p.dose,
                "dose_per_unit": p.dose_per_unit,
            }
            for p in products
        ]
    }


def set_water_products(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    for index, chosen in enumerate(data["products"]):
        article_row(uow, chosen["article_id"], f"products[{index}].article_id")
        row = uow.session.scalar(select(WaterProduct).where(WaterProduct.role == chosen["role"]))
        if row is None:
            row = WaterProduct(role=chosen["role"])
            uow.session.add(row)
        row.article_id, row.unit, row.dose = chosen["article_id"], chosen["unit"], chosen["dose"]
    uow.session.flush()
    return get_water_products(uow)


def _target_rows(uow: UnitOfWork) -> list[WaterTarget]:
    return list(uow.session.scalars(select(WaterTarget).order_by(WaterTarget.parameter)))


def get_water_targets(uow: UnitOfWork) -> dict[str, Any]:
    return {"targets": [columns(row) for row in _target_rows(uow)]}


def set_water_targets(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    for target in data["targets"]:
        key = (target["parameter"], target["coating"], target["treatment"])
        row = uow.session.scalar(
            select(WaterTarget).where(
                WaterTarget.parameter == key[0], WaterTarget.coating == key[1], WaterTarget.treatment == key[2]
            )
        )
        if row is None:
            row = WaterTarget(parameter=key[0], coating=key[1], treatment=key[2])
            uow.session.add(row)
        row.low, row.high, row.aim = target["low"], target["high"], target["aim"]
    uow.session.flush()
    return get_water_targets(uow)


def pool_targets(uow: UnitOfWork, pool: Pool) -> dict[domain.Parameter, domain.Target]:
    """The trade's targets for the pool's coating and treatment, under the company's own
    (for any coating or treatment first, then the more specific ones)."""
    return targets_for(_target_rows(uow), pool)


def targets_for(rows: list[WaterTarget], pool: Pool) -> dict[domain.Parameter, domain.Target]:
    """``pool_targets`` from the company's target rows (all of them, read once)."""
    rows = [r for r in rows if r.coating in ("*", pool.coating) and r.treatment in ("*", pool.treatment)]
    rows.sort(key=lambda r: (r.coating != "*") + (r.treatment != "*"))
    overrides = {domain.Parameter(r.parameter): domain.Target(r.low, r.high, r.aim) for r in rows}
    return domain.targets_for(domain.Coating(pool.coating), domain.Treatment(pool.treatment), overrides)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def record_analysis(uow: UnitOfWork, pool_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Assess the values against the pool's targets, compute the LSI and the doses of the
    company's products for the pool's volume; the previous analysis's problems come back."""
    pool = pool_row(uow, pool_id)
    analysis = analysis_row(pool, data, pool_targets(uow, pool), water_products(uow), uow.context.user_id)
    uow.session.add(analysis)
    uow.session.flush()
    _timeline(uow, pool.customer_id, "analysis", analysis_text(analysis), str(analysis.id))
    uow.emit(events.WATER_ANALYSIS_RECORDED, analysis_event(analysis))
    return analysis_view(uow, analysis)


def analysis_row(
    pool: Pool,
    data: dict[str, Any],
    targets: dict[domain.Parameter, domain.Target],
    products: dict[domain.Role, domain.Product],
    user_id: Any,
) -> WaterAnalysis:
    """A new analysis of ``pool``'s water, assessed against ``targets``, with the doses of
    ``products`` (the company's) for the pool's volume."""
    measurements = {p: data[p.value] for p in domain.Parameter if data.get(p.value) is not None}
    treatment = domain.Treatment(pool.treatment)
    assessment = domain.assess(measurements, targets, treatment)
    advice = domain.recommend(assessment, pool.volume_m3, products)
    return WaterAnalysis(
        id=uuid.uuid4(),
        customer_id=pool.customer_id,
        pool_id=pool.id,
        recorded_at=data["recorded_at"] or datetime.now(UTC),
        recorded_by=user_id,
        source=data["source"],
        volume_m3=pool.volume_m3,
        readings=[
            {
                "parameter": r.parameter.value,
                "value": str(r.value),
                "level": r.level.value,
                "low": _text_or_none(r.target and r.target.low),
                "high": _text_or_none(r.target and r.target.high),
            }
            for r in assessment.readings
        ],
        lsi=assessment.lsi,
        balance=assessment.balance,
        problems=[f"{r.parameter.value}_{r.level.value}" for r in assessment.problems],
        recommendation=[
            {
                "parameter": a.parameter.value,
                "advice": a.advice,
                "article_id": a.article_id,
                "article_name": a.article_name,
                "quantity": _text_or_none(a.quantity),
                "unit": a.unit,
            }
            for a in advice
        ],
    )


def analysis_text(analysis: WaterAnalysis) -> str:
    return f"Analyse d'eau : {', '.join(analysis.problems) or 'eau équilibrée'}."


def analysis_event(analysis: WaterAnalysis) -> dict[str, Any]:
    return {
        "analysis_id": analysis.id,
        "customer_id": analysis.customer_id,
        "pool_id": analysis.pool_id,
        "recorded_at": analysis.recorded_at,
        "problems": analysis.problems,
        "recommendation": [
            {"article_id": a["article_id"], "quantity": a["quantity"], "unit": a["unit"]}
            for a in analysis.recommendation
            if a["article_id"] is not None
        ],
        "lsi": analysis.lsi,
    }


def _previous(uow: UnitOfWork, analysis: WaterAnalysis) -> WaterAnalysis | None:
    keys = tuple_(WaterAnalysis.recorded_at, WaterAnalysis.id)
    return uow.session.scalar(
        select(WaterAnalysis)
        .where(
            WaterAnalysis.pool_id == analysis.pool_id,
            keys < tuple_(literal(analysis.recorded_at), literal(analysis.id)),
        )
        .order_by(WaterAnalysis.recorded_at.desc(), WaterAnalysis.id.desc())
        .limit(1)
    )


def analysis_view(uow: UnitOfWork, analysis: WaterAnalysis) -> dict[str, Any]:
    previous = _previous(uow, analysis)
    return {
        **columns(analysis),
        "previous": None
        if previous is None
        else {
            "analysis_id": previous.id,
            "recorded_at": previous.recorded_at,
            "problems": previous.problems,
            "solved": [p for p in previous.problems if p not in analysis.problems],
            "persisting": [p for p in previous.problems if p in analysis.problems],
        },
    }


def get_analysis(uow: UnitOfWork, analysis_id: uuid.UUID) -> dict[str, Any]:
    analysis = uow.session.scalar(select(WaterAnalysis).where(WaterAnalysis.id == analysis_id))
    if analysis is None:
        raise NotFound(f"analysis {analysis_id} not found")
    pool_row(uow, analysis.pool_id)  # an erased customer's analyses are gone with them
    return analysis_view(uow, analysis)


def pool_analyses(uow: UnitOfWork, pool_id: uuid.UUID, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """A pool's analyses, newest first: its history, each with what changed since the one before."""
    pool_row(uow, pool_id)
    statement = select(WaterAnalysis).where(WaterAnalysis.pool_id == pool_id)
    found = read_page(uow.session, statement, (WaterAnalysis.recorded_at, WaterAnalysis.id), page, descending=True)
    return Page([analysis_view(uow, analysis) for analysis in found.items], found.next)


# --- the sales pipeline ------------------------------------------------------------------


def record_first_contact(uow: UnitOfWork, data: dict[str, Any]) -> Lead:
    customer = body_customer(uow, data["customer_id"])
    lead = Lead(
        customer_id=customer.id,
        subject=data["subject"],
        source=data["source"],
        contacted_on=data["contacted_on"] or business_day(),
        salesperson_id=data["salesperson_id"] or customer.salesperson_id,
        status=domain.LeadStatus.OPEN.value,
        next_follow_up_on=data["next_follow_up_on"],
    )
    uow.session.add(lead)
    uow.session.flush()
    _timeline(uow, customer.id, "lead", f"Premier contact : {lead.subject}.", str(lead.id))
    uow.emit(events.FIRST_CONTACT_RECORDED, {"lead_id": lead.id, **columns(lead)})
    return lead


def lead_row(uow: UnitOfWork, lead_id: uuid.UUID, *, for_update: bool = False) -> Lead:
    return _owned_row(uow, Lead, lead_id, "lead", for_update)


def get_lead(uow: UnitOfWork, lead_id: uuid.UUID) -> Lead:
    return lead_row(uow, lead_id)


def list_leads(uow: UnitOfWork, page: dict[str, Any]) -> Page[Lead]:
    """Leads, the latest first contacts first."""
    return read_page(uow.session, select(Lead), (Lead.contacted_on, Lead.id), page, descending=True)


def follow_up(uow: UnitOfWork, lead_id: uuid.UUID, data: dict[str, Any]) -> Lead:
    lead = lead_row(uow, lead_id, for_update=True)
    lead.next_follow_up_on = data["next_follow_up_on"]
    _timeline(uow, lead.customer_id, "follow_up", data["text"], str(lead.id))
    return lead


def mark_lost(uow: UnitOfWork, lead_id: uuid.UUID, data: dict[str, Any]) -> Lead:
    lead = lead_row(uow, lead_id, for_update=True)
    if lead.status == domain.LeadStatus.WON:
        raise Conflict("this lead was won: it has an order")
    lead.status, lead.lost_reason, lead.next_follow_up_on = domain.LeadStatus.LOST.value, data["reason"], None
    _timeline(uow, lead.customer_id, "lead", f"Affaire perdue : {data['reason']}.", str(lead.id))
    return lead


def _quote_lines(uow: UnitOfWork, lines: list[dict[str, Any]]) -> list[domain.QuoteLine]:
    """Each line with its catalogue article's name, price (without VAT) and rate, unless given."""
    made = []
    for index, line in enumerate(lines):
        description, price, rate = line["description"], line["unit_price_excl_vat"], line["vat_rate"]
        article_id = None
        if line["article_id"] is not None:
            article = article_row(uow, line["article_id"], f"lines[{index}].article_id")
            article_id = str(article.id)
            rate = article.vat_rate if rate is None else rate
            description = description or article.name
            price = domain.price_excl_vat(article.sale_price, article.vat_rate) if price is None else price
        if description is None:
            raise ValidationFailed.field(f"lines[{index}].description", "required for a line without an article")
        if price is None:
            raise ValidationFailed.field(
                f"lines[{index}].unit_price_excl_vat", "required for a line without an article"
            )
        rate = Decimal(20) if rate is None else rate
        made.append(domain.QuoteLine(description, line["quantity"], price, rate, line["discount_percent"], article_id))
    return made


def _fill_quote(uow: UnitOfWork, quote: Quote, data: dict[str, Any]) -> None:
    kind = domain.OrderKind(data["kind"])
    site_id = data["site_id"]
    if site_id is not None:
        site = uow.session.scalar(select(Site).where(Site.id == site_id, Site.customer_id == quote.customer_id))
        if site is None:
            raise ValidationFailed.field("site_id", "not a site of this customer")
    lines = _quote_lines(uow, data["lines"])
    totals = domain.quote_totals(lines)
    pool = schedule = None
    if kind is domain.OrderKind.CONSTRUCTION:
        if site_id is None:
            raise ValidationFailed.field("site_id", "a construction is built at one of the customer's sites")
        if data["pool"] is None:
            raise ValidationFailed.field("pool", "a construction quote says which pool it builds")
        spec = data["pool"]
        shape = domain.Shape(spec["shape"])
        width = spec["length_m"] if shape is domain.Shape.ROUND else spec["width_m"]
        volume = domain.pool_volume(shape, spec["length_m"], width, spec["mean_depth_m"])
        pool = {k: str(v) if isinstance(v, Decimal) else v for k, v in {**spec, "width_m": width}.items()}
        pool["volume_m3"] = str(volume)
        steps = data["payment_schedule"] or [
            {"step_code": code, "percent": percent} for code, percent in domain.DEFAULT_PAYMENT_SCHEDULE
        ]
        domain.check_payment_schedule([(s["step_code"], s["percent"]) for s in steps])
        schedule = [{"step_code": s["step_code"], "percent": str(s["percent"])} for s in steps]
    valid_until = data["valid_until"] or business_day() + domain.QUOTE_VALIDITY
    domain.check_validity(valid_until, business_day())
    quote.kind, quote.site_id, quote.valid_until = kind.value, site_id, valid_until
    quote.lines = [
        {
            "article_id": line.article_id,
            "description": line.description,
            "quantity": format(line.quantity.normalize(), "f"),
            "unit_price_excl_vat": str(line.unit_price_excl_vat),
            "vat_rate": str(line.vat_rate),
            "discount_percent": str(line.discount_percent),
            "total_excl_vat": str(line.total_excl_vat),
        }
        for line in lines
    ]
    quote.total_excl_vat, quote.vat_total, quote.total_incl_vat = totals.excl_vat, totals.vat, totals.incl_vat
    quote.pool, quote.payment_schedule = pool, schedule
    quote.promised_filling_date, quote.notes = data["promised_filling_date"], data["notes"]


def create_quote(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    customer = body_customer(uow, data["customer_id"])
    lead = None
    if data["lead_id"] is not None:
        lead = uow.session.scalar(select(Lead).where(Lead.id == data["lead_id"], Lead.customer_id == customer.id))
        if lead is None:
            raise ValidationFailed.field("lead_id", "not a lead of this customer")
    year = business_day().year
    numbers = uow.session.scalar(
        select(func.count(func.distinct(Quote.number))).where(Quote.number.startswith(f"D-{year}-"))
    )
    quote = Quote(
        number=f"D-{year}-{numbers + 1:04d}",
        version=1,
        customer_id=customer.id,
        lead_id=lead.id if lead else None,
        status=domain.QuoteStatus.DRAFT.value,
    )
    _fill_quote(uow, quote, data)
    uow.session.add(quote)
    if lead is not None and lead.status == domain.LeadStatus.OPEN:
        lead.status = domain.LeadStatus.QUOTED.value
    uow.session.flush()
    _timeline(uow, customer.id, "quote", f"Devis {quote.number} préparé.", str(quote.id))
    return quote_view(uow, quote)


def quote_row(uow: UnitOfWork, quote_id: uuid.UUID, *, for_update: bool = False) -> Quote:
    return _owned_row(uow, Quote, quote_id, "quote", for_update)


def quote_view(uow: UnitOfWork, quote: Quote) -> dict[str, Any]:
    order_id = uow.session.scalar(select(Order.id).where(Order.quote_id == quote.id))
    return {**columns(quote), "order_id": order_id}


def get_quote(uow: UnitOfWork, quote_id: uuid.UUID) -> dict[str, Any]:
    return quote_view(uow, quote_row(uow, quote_id))


def customer_overview(uow: UnitOfWork, customer_id: uuid.UUID, include: dict[str, Any]) -> dict[str, Any]:
    """What the customer file's screen reads of this service, in one call (the gateway's
    customer 360): the file, its timeline, and — when asked and the caller's roles allow —
    each pool's last analyses and the quotes."""
    file = get_customer(uow, customer_id)
    first = {"limit": include["limit"], "cursor": None}
    answer: dict[str, Any] = {"file": file, "timeline": timeline(uow, customer_id, first), "analyses": None}
    answer["quotes"] = None
    if include["analyses"]:
        uow.context.require(RECORD_WATER_ANALYSES)
        pools = [pool["id"] for pool in file["pools"]]
        answer["analyses"] = [a for pool in pools for a in pool_analyses(uow, pool, first).items]
    if include["quotes"]:
        uow.context.require(MANAGE_SALES_PIPELINE)
        answer["quotes"] = customer_quotes(uow, customer_id, first)
    return answer


def quote_pdf(uow: UnitOfWork, quote_id: uuid.UUID, letterhead: dict[str, Any]) -> tuple[str, bytes]:
    """A version of a quote as a PDF, under the company's letterhead (which billing keeps:
    the caller passes it); its file name and bytes."""
    from bassin_common.documents import Company, render_pdf  # WeasyPrint: only where printed

    quote = quote_row(uow, quote_id)
    company = Company(
        name=letterhead.get("name") or "—",
        address=tuple(letterhead.get("address") or ()),
        siret=letterhead.get("siret") or "",
        vat_number=letterhead.get("vat_number") or "",
        phone=letterhead.get("phone") or "",
        email=letterhead.get("email") or "",
        legal_form=letterhead.get("legal_form") or "",
        mentions=tuple(letterhead.get("mentions") or ()),
    )
    customer = customer_row(uow, quote.customer_id)
    pdf = render_pdf("customers", "quote.html", company=company, quote=quote, customer=customer)
    suffix = f"-v{quote.version}" if quote.version > 1 else ""
    return f"{quote.number}{suffix}.pdf", pdf


def customer_quotes(uow: UnitOfWork, customer_id: uuid.UUID, page: dict[str, Any]) -> Page[dict[str, Any]]:
    customer_row(uow, customer_id)
    statement = select(Quote).where(Quote.customer_id == customer_id)
    found = read_page(uow.session, statement, (Quote.created_at, Quote.id), page, descending=True)
    return Page([quote_view(uow, quote) for quote in found.items], found.next)


def revise_quote(uow: UnitOfWork, quote_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """A new version of a quote not yet decided; the one it replaces is superseded."""
    previous = quote_row(uow, quote_id, for_update=True)
    if previous.status not in (domain.QuoteStatus.DRAFT, domain.QuoteStatus.SENT):
        raise Conflict(f"this version is {previous.status}: revise the latest one, before it is decided")
    quote = Quote(
        number=previous.number,
        version=previous.version + 1,
        customer_id=previous.customer_id,
        lead_id=previous.lead_id,
        status=domain.QuoteStatus.DRAFT.value,
    )
    _fill_quote(uow, quote, data)
    previous.status = domain.QuoteStatus.SUPERSEDED.value
    uow.session.add(quote)
    uow.session.flush()
    _timeline(uow, quote.customer_id, "quote", f"Devis {quote.number} v{quote.version} préparé.", str(quote.id))
    return quote_view(uow, quote)


def send_quote(uow: UnitOfWork, quote_id: uuid.UUID) -> dict[str, Any]:
    quote = quote_row(uow, quote_id, for_update=True)
    if quote.status != domain.QuoteStatus.DRAFT:
        raise Conflict(f"this quote is {quote.status}: only a draft is sent")
    domain.check_validity(quote.valid_until, business_day())
    quote.status, quote.sent_at = domain.QuoteStatus.SENT.value, datetime.now(UTC)
    _timeline(uow, quote.customer_id, "quote", f"Devis {quote.number} v{quote.version} envoyé.", str(quote.id))
    uow.emit(events.QUOTE_SENT, {"quote_id": quote.id, **columns(quote)})
    return quote_view(uow, quote)


def accept_quote(uow: UnitOfWork, quote_id: uuid.UUID) -> dict[str, Any]:
    """The customer signed: the quote becomes an order, once (a second acceptance is refused),
    and ``order_confirmed`` tells worksites, inventory and billing."""
    quote = quote_row(uow, quote_id, for_update=True)
    if quote.status != domain.QuoteStatus.SENT:
        raise Conflict(f"this quote is {quote.status}: only a sent quote is accepted")
    if quote.valid_until < business_day():
        raise Conflict(f"this quote expired on {quote.valid_until}: send a new version")
    now = datetime.now(UTC)
    quote.status, quote.decided_at = domain.QuoteStatus.ACCEPTED.value, now
    order = Order(
        quote_id=quote.id,
        customer_id=quote.customer_id,
        site_id=quote.site_id,
        kind=quote.kind,
        confirmed_at=now,
        total_excl_vat=quote.total_excl_vat,
        vat_total=quote.vat_total,
        total_incl_vat=quote.total_incl_vat,
    )
    uow.session.add(order)
    if quote.lead_id is not None:
        lead_row(uow, quote.lead_id, for_update=True).status = domain.LeadStatus.WON.value
    uow.session.flush()
    _timeline(uow, quote.customer_id, "order", f"Commande sur le devis {quote.number} v{quote.version}.", str(order.id))
    uow.emit(
        events.ORDER_CONFIRMED,
        {
            "order_id": order.id,
            **columns(order),
            "lines": quote.lines,
            "pool": quote.pool,
            "payment_schedule": quote.payment_schedule,
            "promised_filling_date": quote.promised_filling_date,
        },
    )
    return quote_view(uow, quote)


def decline_quote(uow: UnitOfWork, quote_id: uuid.UUID) -> dict[str, Any]:
    quote = quote_row(uow, quote_id, for_update=True)
    if quote.status != domain.QuoteStatus.SENT:
        raise Conflict(f"this quote is {quote.status}: only a sent quote is declined")
    quote.status, quote.decided_at = domain.QuoteStatus.DECLINED.value, datetime.now(UTC)
    _timeline(uow, quote.customer_id, "quote", f"Devis {quote.number} v{quote.version} refusé.", str(quote.id))
    return quote_view(uow, quote)


def pipeline_figures(uow: UnitOfWork, query: dict[str, Any]) -> dict[str, Any]:
    """How leads first contacted in the period went: quoted, won, lost, still open."""
    statement = select(Lead.status, func.count()).group_by(Lead.status)
    ordered = select(func.coalesce(func.sum(Order.total_excl_vat), 0)).join(Quote, Quote.id == Order.quote_id)
    ordered = ordered.join(Lead, Lead.id == Quote.lead_id)
    if query["since"] is not None:
        statement = statement.where(Lead.contacted_on >= query["since"])
        ordered = ordered.where(Lead.contacted_on >= query["since"])
    if query["until"] is not None:
        statement = statement.where(Lead.contacted_on <= query["until"])
        ordered = ordered.where(Lead.contacted_on <= query["until"])
    counts = {status: count for status, count in uow.session.execute(statement)}
    leads = sum(counts.values())
    won, lost = counts.get("won", 0), counts.get("lost", 0)
    quoted = counts.get("quoted", 0) + won

    def rate(part: int) -> Decimal:
        return (Decimal(100) * part / leads).quantize(Decimal("0.01")) if leads else Decimal(0)

    return {
        "leads": leads,
        "quoted": quoted,
        "won": won,
        "lost": lost,
        "open": counts.get("open", 0) + counts.get("quoted", 0),
        "quote_rate": rate(quoted),
        "win_rate": rate(won),
        "ordered_excl_vat": uow.session.scalar(ordered),
    }


# --- maintenance contracts ---------------------------------------------------------------


def contract_view(contract: Contract, today: date | None = None) -> dict[str, Any]:
    return {**columns(contract), "expiry_badge": domain.badge(contract.ends_on, today or business_day())}


def contract_event(contract: Contract) -> dict[str, Any]:
    return {"contract_id": contract.id, **columns(contract)}


def contract_row_for(data: dict[str, Any]) -> Contract:
    """A new active contract (its customer and pool checked by the caller)."""
    domain.ContractTerm(data["starts_on"], data["ends_on"], data["tacit_renewal"])  # a period that ends after it starts
    return Contract(id=uuid.uuid4(), status="active", **data)


def contract_text(contract: Contract) -> str:
    return f"Contrat d'entretien signé : {contract.formula}, du {contract.starts_on} au {contract.ends_on}."


def sign_contract(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    customer = body_customer(uow, data["customer_id"])
    if data["pool_id"] is not None:
        pool = uow.session.scalar(select(Pool).where(Pool.id == data["pool_id"], Pool.customer_id == customer.id))
        if pool is None:
            raise ValidationFailed.field("pool_id", "not a pool of this customer")
    contract = contract_row_for(data)
    uow.session.add(contract)
    uow.session.flush()
    _timeline(uow, customer.id, "contract", contract_text(contract), str(contract.id))
    uow.emit(events.CONTRACT_SIGNED, contract_event(contract))
    return contract_view(contract)


def contract_row(uow: UnitOfWork, contract_id: uuid.UUID, *, for_update: bool = False) -> Contract:
    return _owned_row(uow, Contract, contract_id, "contract", for_update)


def get_contract(uow: UnitOfWork, contract_id: uuid.UUID) -> dict[str, Any]:
    return contract_view(contract_row(uow, contract_id))


def customer_contracts(uow: UnitOfWork, customer_id: uuid.UUID, page: dict[str, Any]) -> Page[dict[str, Any]]:
    customer_row(uow, customer_id)
    statement = select(Contract).where(Contract.customer_id == customer_id)
    found = read_page(uow.session, statement, (Contract.starts_on, Contract.id), page, descending=True)
    return Page([contract_view(contract) for contract in found.items], found.next)


def terminate_contract(uow: UnitOfWork, contract_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """End a contract now: it is not renewed, and no expiry notice follows."""
    contract = contract_row(uow, contract_id, for_update=True)
    if contract.status != "active":
        raise Conflict(f"this contract is {contract.status} already")
    contract.status = "terminated"
    text = f"Contrat d'entretien résilié : {data['reason']}."
    _timeline(uow, contract.customer_id, "contract", text, str(contract.id))
    return contract_view(contract)


# --- the daily scan ----------------------------------------------------------------------


def daily_scan(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, int]:
    """What the scheduler calls once a day for a company: announce each contract ending
    within 30 days and each equipment near or past its end of life, once; renew the
    contracts that end with tacit renewal, let the others expire. Running it again the
    same day announces nothing more."""
    today = data["today"] or business_day()
    counts = {"contracts_expiring": 0, "contracts_renewed": 0, "contracts_expired": 0, "equipment_end_of_life": 0}
    active = uow.session.scalars(
        select(Contract)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(Contract.status == "active", Customer.erased_at.is_(None))
        .where(Contract.ends_on <= today + domain.CONTRACT_NOTICE)
        .with_for_update(of=Contract)
    ).all()
    for contract in active:
        term = domain.ContractTerm(contract.starts_on, contract.ends_on, contract.tacit_renewal)
        if contract.ends_on < today:
            if contract.tacit_renewal:
                while term.ends_on < today:
                    term = term.renewed()
                contract.starts_on, contract.ends_on = term.starts_on, term.ends_on
                text = f"Contrat d'entretien reconduit du {term.starts_on} au {term.ends_on}."
                counts["contracts_renewed"] += 1
            else:
                contract.status = "expired"
                text = f"Contrat d'entretien arrivé à échéance le {contract.ends_on}."
                counts["contracts_expired"] += 1
            _timeline(uow, contract.customer_id, "contract", text, str(contract.id))
        if (
            contract.status == "active"
            and term.expiring(today, domain.CONTRACT_NOTICE)
            and contract.expiry_notified_for != contract.ends_on
        ):
            contract.expiry_notified_for = contract.ends_on
            uow.emit(events.CONTRACT_EXPIRING, contract_event(contract))
            counts["contracts_expiring"] += 1
    due = uow.session.scalars(
        select(Equipment)
        .join(Customer, Customer.id == Equipment.customer_id)
        .where(Equipment.status == domain.EquipmentStatus.IN_SERVICE, Customer.erased_at.is_(None))
        .where(Equipment.end_of_life_on <= today + domain.EXPIRING_WITHIN)
        .where(Equipment.end_of_life_notified_on.is_(None))
        .with_for_update(of=Equipment)
    ).all()
    for equipment in due:
        equipment.end_of_life_notified_on = today
        uow.emit(
            events.EQUIPMENT_END_OF_LIFE_APPROACHING,
            {
                "equipment_id": equipment.id,
                **columns(equipment),
                "life_used_percent": domain.life_used_percent(equipment.installed_on, equipment.end_of_life_on, today),
            },
        )
        counts["equipment_end_of_life"] += 1
    return counts


# --- GDPR: export and erasure ------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` as JSON holds it: ids and dates as text, amounts as strings."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if key != "tenant_id"}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, uuid.UUID | Decimal | date | datetime):
        return value.isoformat() if isinstance(value, date | datetime) else str(value)
    return value


def export_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> dict[str, Any]:
    """Everything the company holds about one customer (the right of access), as JSON."""
    customer = customer_row(uow, customer_id)
    session = uow.session

    def rows(model: Any, *order: Any) -> list[dict[str, Any]]:
        found = session.scalars(select(model).where(model.customer_id == customer.id).order_by(*order))
        return [columns(row) for row in found]

    return _plain(
        {
            "exported_at": datetime.now(UTC),
            "customer": customer_file(uow, customer),
            "timeline": rows(TimelineEntry, TimelineEntry.at, TimelineEntry.id),
            "water_analyses": rows(WaterAnalysis, WaterAnalysis.recorded_at, WaterAnalysis.id),
            "leads": rows(Lead, Lead.contacted_on, Lead.id),
            "quotes": rows(Quote, Quote.number, Quote.version),
            "orders": rows(Order, Order.confirmed_at, Order.id),
            "contracts": rows(Contract, Contract.starts_on, Contract.id),
        }
    )


def erase_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> dict[str, Any]:
    """Anonymise a customer (the right to erasure): names, contacts, addresses, notes and
    search terms go; what the company must keep (orders, contracts, quotes' lines, its
    pools and equipment for their warranties) stays, under "effacé". The copies other
    services hold are anonymised by the ``customer_updated`` this announces; the events
    still replayable here (the outbox) are rewritten without the personal data."""
    customer = customer_row(uow, customer_id, for_update=True)
    for key in ("company_name", "first_name", "last_name", "siren", "vat_number", "preferred_channel"):
        setattr(customer, key, None)
    customer.display_name, customer.sort_name = gdpr.ERASED, "~"
    customer.emails, customer.phones, customer.tags, customer.salesperson_id = [], [], [], None
    customer.consent_email = customer.consent_sms = False
    address = gdpr.PERSONAL["billing_address"]
    customer.billing_line1, customer.billing_line2 = address["line1"], None
    customer.billing_postcode, customer.billing_city = address["postcode"], address["city"]
    customer.erased_at, customer.version = datetime.now(UTC), customer.version + 1
    session = uow.session
    session.execute(
        update(Site)
        .where(Site.customer_id == customer.id)
        .values(
            label=gdpr.ERASED, line1=address["line1"], line2=None, postcode="00000", city=gdpr.ERASED, access_notes=None
        )
    )
    session.execute(delete(TimelineEntry).where(TimelineEntry.customer_id == customer.id))
    session.execute(delete(SearchTerm).where(SearchTerm.customer_id == customer.id))
    session.execute(update(Lead).where(Lead.customer_id == customer.id).values(subject=gdpr.ERASED, lost_reason=None))
    session.execute(update(Quote).where(Quote.customer_id == customer.id).values(notes=None))
    session.flush()
    rewritten = gdpr.redact_outbox(session, uow.context.tenant_id, customer.id)
    uow.emit(events.CUSTOMER_UPDATED, customer_event(customer))
    return {"customer_id": customer.id, "erased_at": customer.erased_at, "events_redacted": rewritten}


# --- what other services tell ------------------------------------------------------------


def sale_concerns_a_customer(sale: dict[str, Any]) -> bool:
    """Only a sale to a named customer says anything to customers: an anonymous till sale
    (most of a shop's) is not even opened in a transaction (``consume``'s ``applies_to``)."""
    return sale["customer_id"] is not None


def record_sale(uow: UnitOfWork, sale: dict[str, Any]) -> None:
    """A till sale to a known customer: a timeline entry, and each piece of equipment sold
    with a serial number for one of their pools registered on it (installed the day of
    the sale, the legal guarantee unless set later). A serial number already registered
    is noted in the timeline instead: the sale stands."""
    if not sale_concerns_a_customer(sale):
        return
    customer = uow.session.scalar(
        select(Customer).where(Customer.id == sale["customer_id"], Customer.erased_at.is_(None))
    )
    if customer is None:
        return
    reference = str(sale["sale_id"])
    if uow.session.scalar(
        select(TimelineEntry.id).where(TimelineEntry.reference == reference, TimelineEntry.kind == "sale")
    ):
        return  # told already (a redelivery from another path)
    count = sum(line["quantity"] for line in sale["lines"])
    _timeline(uow, customer.id, "sale", f"Achat en magasin : {sale['total']} € TTC ({count} article(s)).", reference)
    for line in sale["lines"]:
        if not (line["serial_number"] and line["register_on_pool_id"]):
            continue
        pool = uow.session.scalar(
            select(Pool).where(Pool.id == line["register_on_pool_id"], Pool.customer_id == customer.id)
        )
        article = uow.session.scalar(select(Article).where(Article.id == line["article_id"]))
        if pool is None or article is None:
            _timeline(uow, customer.id, "equipment", f"N° de série {line['serial_number']} vendu, non enregistré.")
            continue
        equipment = {
            "category": line["category"] if line["category"] in set(domain.Category) else domain.Category.OTHER,
            "brand": article.name.split()[0],
            "model": article.name,
            "serial_number": line["serial_number"],
            "supplier": None,
            "installed_on": sale["completed_at"].date(),
            "purchase_document": reference,
            "warranty_months": None,
            "lifetime_years": None,
        }
        try:
            with uow.session.begin_nested():
                install_equipment(uow, pool.id, equipment)
        except ValidationFailed:
            _timeline(uow, customer.id, "equipment", f"N° de série {line['serial_number']} déjà enregistré.")


def remove_equipment(uow: UnitOfWork, equipment_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Take a piece of equipment out of service without a successor (sold, scrapped): it
    stays in the pool's history, and no end-of-life notice follows."""
    equipment = equipment_row(uow, equipment_id, for_update=True)
    if equipment.status != domain.EquipmentStatus.IN_SERVICE:
        raise Conflict(f"this equipment is {equipment.status} already")
    if data["removed_on"] < equipment.installed_on:
        raise ValidationFailed.field("removed_on", "before the equipment was installed")
    equipment.status, equipment.out_of_service_on = domain.EquipmentStatus.REMOVED.value, data["removed_on"]
    text = f"Équipement retiré : {equipment.brand} {equipment.model} ({data['reason']})."
    _timeline(uow, equipment.customer_id, "equipment", text, str(equipment.id))
    return equipment_view(equipment)


# --- what worksites and sav tell ----------------------------------------------------------


def register_handover(uow: UnitOfWork, project: dict[str, Any]) -> None:
    """A construction handed over: its pool registered on the customer's site, and each piece
    of equipment installed on it the day of the handover (manufacturer warranty as the
    project says). Once per project; a customer or site unknown here is left alone (logged)."""
    reference = str(project["project_id"])
    if uow.session.scalar(
        select(TimelineEntry.id).where(TimelineEntry.reference == reference, TimelineEntry.kind == "handover")
    ):
        return
    sites = uow.session.scalars(
        select(Site)
        .join(Customer, Customer.id == Site.customer_id)
        .where(Site.customer_id == project["customer_id"], Customer.erased_at.is_(None))
    ).all()
    # The order's site; an order without one: the customer's site when there is only one.
    site = next((s for s in sites if s.id == project["site_id"]), sites[0] if len(sites) == 1 else None)
    if site is None:
        log.warning("project %s handed over for a site not in the customer files", reference)
        return
    handover_on = project["handover_on"]
    facts = domain.handed_over_pool(project["pool"] or {})
    pool = Pool(customer_id=site.customer_id, site_id=site.id, version=1)
    _set_pool_fields(pool, {**facts.fields, "name": "Bassin construit", "volume_override_m3": None})
    uow.session.add(pool)
    uow.session.flush()
    text = f"Chantier réceptionné le {handover_on:%d/%m/%Y} : bassin de {pool.volume_m3} m³ enregistré."
    if project["reserves"]:
        text += " Réserves : " + " ; ".join(project["reserves"]) + "."
    _timeline(uow, site.customer_id, "handover", text, reference)
    if facts.safety_device_unknown:
        _timeline(uow, site.customer_id, "pool", "Dispositif de sécurité non précisé à la réception : à renseigner.")
    for item in project["equipment"]:
        equipment = {
            "category": domain.equipment_category(item["category"]),
            "brand": item["brand"],
            "model": item["model"],
            "serial_number": item["serial_number"],
            "supplier": None,
            "installed_on": handover_on,
            "purchase_document": reference,
            "warranty_months": item["warranty_months"],
            "lifetime_years": None,
        }
        try:
            with uow.session.begin_nested():
                install_equipment(uow, pool.id, equipment)
        except ValidationFailed:
            note = f"N° de série {item['serial_number']} ({item['brand']}) déjà enregistré : non repris."
            _timeline(uow, site.customer_id, "equipment", note, reference)


def record_intervention(uow: UnitOfWork, intervention: dict[str, Any]) -> None:
    """An after-sales intervention done: a timeline entry, and the equipment it replaced or
    removed changed in the file (a replacement keeps the old one in the history)."""
    reference = str(intervention["intervention_id"])
    customer = uow.session.scalar(
        select(Customer).where(Customer.id == intervention["customer_id"], Customer.erased_at.is_(None))
    )
    if customer is None or uow.session.scalar(
        select(TimelineEntry.id).where(TimelineEntry.reference == reference, TimelineEntry.kind == "intervention")
    ):
        return
    summary = intervention["report_summary"] or "sans compte rendu"
    done_on = intervention["completed_at"].date()
    _timeline(uow, customer.id, "intervention", f"Intervention SAV du {done_on:%d/%m/%Y} : {summary}", reference)
    for change in intervention["equipment_changes"]:
        equipment = uow.session.scalar(
            select(Equipment).where(Equipment.id == change["equipment_id"], Equipment.customer_id == customer.id)
        )
        if equipment is None or equipment.status != domain.EquipmentStatus.IN_SERVICE:
            continue
        if change["action"] == "removed":
            remove_equipment(uow, equipment.id, {"removed_on": done_on, "reason": "retiré en intervention SAV"})
        elif change["action"] == "replaced":
            successor = {
                **{key: getattr(equipment, key) for key in ("category", "brand", "model", "supplier")},
                "serial_number": change["new_serial_number"],
                "installed_on": done_on,
                "purchase_document": reference,
                "warranty_months": None,
                "lifetime_years": None,
            }
            try:
                with uow.session.begin_nested():
                    replace_equipment(uow, equipment.id, successor)
            except ValidationFailed:
                note = f"Remplacement de {equipment.brand} {equipment.model} non repris : n° de série déjà connu."
                _timeline(uow, customer.id, "equipment", note, reference)


# --- importing customer files in bulk ----------------------------------------------------


@contextmanager
def _at(path: str) -> Iterator[None]:
    """A rule refused inside an imported record: its fields named from the import's root."""
    try:
        yield
    except ValidationFailed as refused:
        raise ValidationFailed.of({f"{path}.{field}": messages for field, messages in refused.errors.items()}) from None


def import_customers(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """Customer files with their sites, pools, equipment, water analyses and maintenance
    contracts, written together: each record is built and checked by what its own use case
    applies (``create_customer``, ``create_pool``, ``install_equipment``,
    ``record_analysis``, ``sign_contract``: the same row builders and domain rules), but the
    company's settings are read once, the rows written in a few multi-row statements, and
    one ``customers_imported`` event carries what those use cases' events would have. Any
    refusal refuses the whole import, naming the record (``customers[3].pools[0].width_m``)."""
    files = data["customers"]
    if any(pool["analyses"] for file in files for pool in file["pools"]):
        uow.context.require(RECORD_WATER_ANALYSES)
    _check_serials(uow, files)
    company_lifetimes, target_rows, products = lifetimes(uow), _target_rows(uow), water_products(uow)
    customers: list[Customer] = []
    sites: list[Site] = []
    pools: list[Pool] = []
    later: list[Any] = []  # equipment, analyses, contracts: written once their pools are
    entries: list[tuple[uuid.UUID, str, str, str | None]] = []
    published: dict[str, list[dict[str, Any]]] = {"customers": [], "equipment": [], "contracts": [], "analyses": []}
    ids: list[dict[str, Any]] = []
    for index, file in enumerate(files):
        customer = Customer(id=uuid.uuid4(), version=1)
        with _at(f"customers[{index}]"):
            _set_fields(customer, file)
        own_sites = [Site(id=uuid.uuid4(), customer_id=customer.id, **site) for site in file["sites"]]
        customers.append(customer)
        sites.extend(own_sites)
        entries.append((customer.id, "created", created_text(customer), None))
        published["customers"].append(customer_event(customer))
        pool_ids = []
        for number, pool_data in enumerate(file["pools"]):
            path = f"customers[{index}].pools[{number}]"
            if pool_data["site"] >= len(own_sites):
                raise ValidationFailed.field(f"{path}.site", "no such site in this customer's sites")
            pool = Pool(id=uuid.uuid4(), customer_id=customer.id, site_id=own_sites[pool_data["site"]].id, version=1)
            with _at(path):
                _set_pool_fields(pool, pool_data)
            pools.append(pool)
            entries.append((customer.id, "pool", pool_text(pool), str(pool.id)))
            equipment = [new_equipment_row(pool, piece, company_lifetimes) for piece in pool_data["equipment"]]
            for piece in equipment:
                entries.append((customer.id, "equipment", equipment_text(piece), str(piece.id)))
                published["equipment"].append(equipment_event(piece))
            targets = targets_for(target_rows, pool)
            analyses = []
            for analysis_number, values in enumerate(pool_data["analyses"]):
                with _at(f"{path}.analyses[{analysis_number}]"):
                    analyses.append(analysis_row(pool, values, targets, products, uow.context.user_id))
            for analysis in analyses:
                entries.append((customer.id, "analysis", analysis_text(analysis), str(analysis.id)))
                published["analyses"].append(analysis_event(analysis))
            contract = None
            if pool_data["contract"] is not None:
                with _at(f"{path}.contract"):
                    contract = contract_row_for(
                        {**pool_data["contract"], "customer_id": customer.id, "pool_id": pool.id}
                    )
                entries.append((customer.id, "contract", contract_text(contract), str(contract.id)))
                published["contracts"].append(contract_event(contract))
            later.extend([*equipment, *analyses, *([contract] if contract else [])])
            pool_ids.append(
                {
                    "id": pool.id,
                    "equipment": [{"id": piece.id} for piece in equipment],
                    "analyses": [{"id": analysis.id} for analysis in analyses],
                    "contract_id": contract.id if contract else None,
                }
            )
        ids.append({"id": customer.id, "sites": [{"id": site.id} for site in own_sites], "pools": pool_ids})
    _write_imported(uow, customers, sites, pools, later, entries)
    uow.emit(events.CUSTOMERS_IMPORTED, published)
    return {"customers": ids}


def _check_serials(uow: UnitOfWork, files: list[dict[str, Any]]) -> None:
    """``install_equipment``'s rule, for a whole import at once: a serial number is unique
    per brand in the company — among the imported pieces and those already registered."""
    seen: dict[tuple[str, str], str] = {}
    for index, file in enumerate(files):
        for number, pool in enumerate(file["pools"]):
            for piece_number, piece in enumerate(pool["equipment"]):
                brand_key, serial_key = equipment_keys(piece)
                if serial_key is None:
                    continue
                path = f"customers[{index}].pools[{number}].equipment[{piece_number}].serial_number"
                if (brand_key, serial_key) in seen:
                    raise ValidationFailed.field(path, f"given twice for a {piece['brand']} equipment")
                seen[(brand_key, serial_key)] = path
    if not seen:
        return
    registered = uow.session.execute(
        select(Equipment.brand_key, Equipment.serial_key).where(Equipment.serial_key.in_({s for _, s in seen}))
    )
    for brand_key, serial_key in registered:
        if path := seen.get((brand_key, serial_key)):
            raise ValidationFailed.field(path, "already registered for an equipment of this brand")


def _write_imported(
    uow: UnitOfWork,
    customers: list[Customer],
    sites: list[Site],
    pools: list[Pool],
    later: list[Any],
    entries: list[tuple[uuid.UUID, str, str, str | None]],
) -> None:
    """The rows, parents first: each flush writes one kind of row in one ``executemany``.
    Their creation time is the transaction's, as the columns' default would give it: given
    here, it needs no ``RETURNING`` (which would turn the statement into big multi-row
    INSERTs that the driver parses again, page by page)."""
    now = uow.now()
    for customer in customers:
        customer.created_at = customer.updated_at = now
    for rows in (customers, sites, pools, later):
        for row in rows:
            if not isinstance(row, (Customer, WaterAnalysis)):
                row.created_at = now
        uow.session.add_all(rows)
        uow.session.flush()
    for customer_id, kind, text, reference in entries:
        _timeline(uow, customer_id, kind, text, reference).at = now
    uow.session.flush()
    sort_names = {customer.id: customer.sort_name for customer in customers}
    sites_of: dict[uuid.UUID, list[Site]] = {}
    for site in sites:
        sites_of.setdefault(site.customer_id, []).append(site)
    terms = [
        {"customer_id": customer.id, "term": term, "sort_name": customer.sort_name, "equipment_id": None}
        for customer in customers
        for term in sorted(customer_terms(customer, sites_of.get(customer.id, [])))
    ]
    terms += [
        {
            "customer_id": row.customer_id,
            "term": row.serial_key,
            "sort_name": sort_names[row.customer_id],
            "equipment_id": row.id,
        }
        for row in later
        if isinstance(row, Equipment) and row.serial_key
    ]
    # Their ids are the database's: written as rows, not objects, they need no RETURNING.
    uow.session.execute(insert(SearchTerm.__table__), [{**term, "tenant_id": uow.tenant_id} for term in terms])
