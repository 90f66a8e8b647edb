"""The demo company as data: what ``bassin_dev.demo`` loads, drawn from a seed.

``company(seed, today)`` returns a ``Company``: its users (for the gateway) and, stage by
stage, the operations each service runs through its own RPCs (``BassinService.seed``):
an operation is ``{"call": RPC name, "args": [...], "as": name}``. A text argument
``"@name"`` is the id an earlier operation named ``name`` returned (from any service, any
earlier stage); ``"@name.path.0.id"`` a path into the result of an earlier operation of
the same group. A group's operations always travel in one batch (one transaction).

The same seed and day give the same company, to the last character: every draw comes
from one ``random.Random(seed)``, in a fixed order. ``scale`` shrinks the volumes (the
tests load a tenth of a company); the users, the 8 articles the browser tests use, the
locations, suppliers, standard services and pool types are always all there.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bassin_dev import demo_words as words

PASSWORD = "bassin-demo-2026"
SIZES = {"customers": 1350, "articles": 6500, "contracts": 300}
IMPORT_CHUNK = 50  # customer files per import_customers: one transaction, one event
PARIS = timezone(timedelta(hours=1))

LOCATIONS = [
    {"code": "MAG", "name": "Magasin", "kind": "shop"},
    {"code": "DEP", "name": "Dépôt", "kind": "warehouse"},
    {"code": "VAN1", "name": "Camion de Lucas", "kind": "van"},
    {"code": "VAN2", "name": "Camion de Karim", "kind": "van"},
    {"code": "VAN3", "name": "Camion de Mathieu", "kind": "van"},
]
# The articles the browser tests use (tests/ui/journeys.py): sku, name, supplier index,
# purchase, sale, shop stock / min / max (the warehouse holds twice the shop's stock).
FIXED_ARTICLES = [
    ("CHL-GAL-5KG", "Chlore lent galets 5 kg", 0, "24.00", "39.90", 40, 10, 60),
    ("CHL-CHOC-1KG", "Chlore choc granulés 1 kg", 0, "9.50", "16.90", 25, 8, 40),
    ("PH-MOINS-6KG", "pH moins poudre 6 kg", 0, "11.20", "19.90", 18, 6, 30),
    ("SEL-25KG", "Sel pour électrolyseur 25 kg", 0, "6.80", "12.50", 60, 20, 100),
    ("BAND-TEST-50", "Bandelettes d'analyse 5 en 1 (50)", 1, "5.10", "11.90", 30, 10, 50),
    ("CART-FIL-C100", "Cartouche de filtration C100", 1, "21.00", "42.00", 12, 4, 20),
    ("POMPE-0.75CV", "Pompe de filtration 0,75 CV", 2, "310.00", "529.00", 3, 1, 4),
    ("CELL-ELEC-T15", "Cellule d'électrolyseur T-15", 2, "390.00", "649.00", 2, 1, 3),
]
FIXED_CATEGORY = {"CHL": "Chlore", "PH-": "pH", "SEL": "Sel et stabilisant", "BAN": "Analyse"}
FIXED_CATEGORY |= {"CAR": "Cartouches", "POM": "Pompes", "CEL": "Électrolyse"}
IMPORT_ARTICLES = 500  # articles per import_articles operation (inventory takes up to 1,000)


@dataclass(frozen=True)
class User:
    email: str
    name: str
    roles: tuple[str, ...]


@dataclass
class Stage:
    """Operations the services run side by side; a stage starts once the previous one is
    loaded. ``settle``: its operations read copies other services keep from events (the
    customers a ticket names…), so a batch refused for a copy not there yet is retried."""

    name: str
    groups: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    settle: bool = False
    parallel: bool = True  # its batches independent of one another (but for each service's first)

    def add(self, service: str, *operations: dict[str, Any]) -> None:
        self.groups.setdefault(service, []).append(list(operations))

    def count(self) -> int:
        return sum(len(group) for groups in self.groups.values() for group in groups)


@dataclass
class Company:
    slug: str
    name: str
    users: list[User]
    stages: list[Stage]

    def operations(self, service: str, call: str) -> list[dict[str, Any]]:
        return [
            operation
            for stage in self.stages
            for group in stage.groups.get(service, [])
            for operation in group
            if operation["call"] == call
        ]


def op(call: str, *args: Any, name: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"call": call, "args": list(args)}
    if name:
        operation["as"] = name
    return operation


def _plain(text: str) -> str:
    """``Hélène Le Gall`` → ``helene.le-gall``: for e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ascii_text.lower().replace(" ", "-").replace("'", "")


def _money(value: float) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _shelf_price(purchase: float, rng: random.Random) -> str:
    """A sale price incl. VAT ending in ,90 (or ,50 below 10 €)."""
    price = purchase * rng.uniform(1.55, 2.1)
    if price < 10:
        return _money(max(int(price), 1) + 0.5)
    return _money(int(price) + 0.9)


class _Draw:
    """The draws, in a fixed order, from one seeded generator."""

    def __init__(self, seed: int, today: date, scale: float, domain: str) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.scale = scale
        self.domain = domain
        self.emails: set[str] = set()
        self.serials = 0

    def size(self, name: str) -> int:
        return max(1, round(SIZES[name] * self.scale))

    def person(self) -> tuple[str, str]:
        return self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)

    def phone(self, mobile: bool = True) -> str:
        prefix = self.rng.choice(("06", "07")) if mobile else self.rng.choice(("04", "04", "09"))
        pairs = " ".join(f"{self.rng.randrange(100):02d}" for _ in range(4))
        return f"{prefix} {pairs}"

    def email(self, local: str) -> str:
        address = f"{_plain(local)}@{self.rng.choice(words.MAIL_DOMAINS)}"
        while address in self.emails:
            address = f"{_plain(local)}{self.rng.randrange(10, 99)}@{address.split('@')[1]}"
        self.emails.add(address)
        return address

    def address(self) -> dict[str, str]:
        town, postcode = self.rng.choice(words.TOWNS)
        kind, street = self.rng.choice(words.STREET_KINDS), self.rng.choice(words.STREET_NAMES)
        return {"line1": f"{self.rng.randrange(1, 180)} {kind} {street}", "postcode": postcode, "city": town}

    def day_within(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange(max((last - first).days, 0) + 1))

    def serial(self, brand: str, year: int) -> str:
        self.serials += 1
        return f"{_plain(brand)[:3].upper()}-{year}-{self.serials:06d}"


def company(seed: int = 2026, today: date | None = None, scale: float = 1.0, slug: str = "piscines-demo") -> Company:
    """The demo company drawn from ``seed`` (same seed and day: same company)."""
    today = today or date.today()
    domain = f"{slug}.fr"
    draw = _Draw(seed, today, scale, domain)
    name = "Piscines Démo" if slug == "piscines-demo" else f"Piscines {slug.rsplit('-', 1)[-1].upper()}"
    # The catalogue and the customers load side by side; the after-sales desk and billing
    # then, once the copies they keep of both (from events) are there.
    stages = [Stage("catalogue and customers"), Stage("after-sales and billing", settle=True, parallel=False)]
    first, second = stages
    _catalogue(draw, first)
    _staff(draw, first, second)
    _customers(draw, first, second)
    _billing(draw, second)
    _till(draw, second)
    return Company(slug, name, _users(domain), stages)


def _users(domain: str) -> list[User]:
    return [
        User(f"gerant@{domain}", "Claire Martin", ("manager",)),
        User(f"caisse@{domain}", "Lucie Roux", ("cashier",)),
        User(f"bureau@{domain}", "Sophie Fabre", ("office",)),
        User(f"commercial@{domain}", "Antoine Vidal", ("sales",)),
        User(f"lucas@{domain}", "Lucas Bousquet", ("technician",)),
        User(f"karim@{domain}", "Karim Arnal", ("technician",)),
        # The site manager (conducteur de travaux): runs the worksites' steps.
        User(f"chantier@{domain}", "Mathieu Castan", ("technician",)),
    ]


# --- the catalogue: locations, suppliers, the category tree, 6,500 articles --------------


def _catalogue(draw: _Draw, stage: Stage) -> None:
    rng = draw.rng
    stage.add("inventory", *(op("create_location", location, name=f"loc:{location['code']}") for location in LOCATIONS))
    stage.add(
        "inventory",
        *(
            op(
                "create_supplier",
                {"name": supplier, "email": f"commandes@{_plain(supplier.split()[0])}.example.fr"},
                name=f"sup:{index}",
            )
            for index, supplier in enumerate(words.SUPPLIERS)
        ),
    )
    leaves: list[tuple[str, tuple[Any, ...]]] = []
    for root_index, (root, children) in enumerate(words.CATALOGUE):
        group = [op("create_category", {"name": root, "parent_id": None}, name=f"cat:{root_index}")]
        for leaf in children:
            group.append(
                op("create_category", {"name": leaf[0], "parent_id": f"@cat:{root_index}"}, name=f"cat:{leaf[0]}")
            )
            leaves.append((leaf[0], leaf))
        stage.add("inventory", *group)
    shop, warehouse, vans = "@loc:MAG", "@loc:DEP", ["@loc:VAN1", "@loc:VAN2", "@loc:VAN3"]
    for sku, label, supplier, purchase, sale, stock, minimum, maximum in FIXED_ARTICLES:
        article = {
            "sku": sku,
            "name": label,
            "category_id": f"@cat:{FIXED_CATEGORY[sku[:3]]}",
            "supplier_id": f"@sup:{supplier}",
            "purchase_price": purchase,
            "sale_price": sale,
            "stock": [
                {"location_id": shop, "quantity": stock, "minimum": minimum, "maximum": maximum},
                {"location_id": warehouse, "quantity": stock * 2},
            ],
        }
        stage.add("inventory", op("create_article", article, name=f"art:{sku}"))
    articles = []
    for index in range(max(draw.size("articles") - len(FIXED_ARTICLES), 0)):
        leaf_name, (_, nouns, unit, low, high) = leaves[index % len(leaves)]
        noun = rng.choice(nouns)
        brand = rng.choice(words.ARTICLE_BRANDS)
        size = rng.choice(words.VARIANT_SIZES[unit])
        reference = f"{rng.randrange(100, 999)}{chr(65 + index % 26)}"
        label = " ".join(part for part in (noun, brand, size, f"réf. {reference}") if part)
        purchase = rng.uniform(low, high)
        sku = f"{_plain(leaf_name)[:4].upper()}-{index + 1:05d}"
        stock: list[dict[str, Any]] = []
        stocked = rng.random() < 0.45
        if stocked:
            minimum = rng.randrange(0, 8)
            maximum = minimum + rng.randrange(2, 30)
            # A few below their minimum: the supplier basket has lines at first login.
            quantity = (
                rng.randrange(0, minimum) if minimum and rng.random() < 0.05 else rng.randrange(minimum, maximum + 1)
            )
            stock.append({"location_id": shop, "quantity": quantity, "minimum": minimum, "maximum": maximum})
            if rng.random() < 0.3:
                stock.append({"location_id": warehouse, "quantity": rng.randrange(0, 40)})
            if leaf_name in ("Joints", "Hydraulique", "Paniers et couvercles", "Chlore", "pH") and rng.random() < 0.5:
                for van in vans:
                    if rng.random() < 0.6:
                        stock.append({"location_id": van, "quantity": rng.randrange(1, 6), "minimum": 1, "maximum": 6})
        article = {
            "sku": sku,
            "name": label[:300],
            "category_id": f"@cat:{leaf_name}",
            "brand": brand,
            "unit": unit,
            "supplier_id": f"@sup:{rng.randrange(len(words.SUPPLIERS))}",
            "purchase_price": _money(purchase),
            "sale_price": _shelf_price(purchase, rng),
            "stocked": stocked,
            "stock": stock,
        }
        articles.append(article)
    # The rest of the catalogue in imports of IMPORT_ARTICLES: one transaction and one
    # articles_imported event each (the same rules as create_article, ADR 0029).
    for start in range(0, len(articles), IMPORT_ARTICLES):
        chunk = articles[start : start + IMPORT_ARTICLES]
        stage.add("inventory", {**op("import_articles", {"articles": chunk}), "records": len(chunk)})


# --- staff: technicians, standard services, crews, pool types ----------------------------


def _staff(draw: _Draw, stage: Stage, follow_up: Stage) -> None:
    technicians = [
        ("Lucas Bousquet", ["heat_pump", "electricity"], "@loc:VAN1", "43.8367", "4.3601"),
        ("Karim Arnal", ["leak_search", "liner", "pump"], "@loc:VAN2", "43.8100", "4.3500"),
        ("Mathieu Castan", ["salt_chlorinator", "robot", "cover"], "@loc:VAN3", "43.7900", "4.4300"),
    ]
    follow_up.add(
        "sav",
        *(
            op(
                "create_technician",
                {
                    "name": name,
                    "skills": skills,
                    "work_starts": "08:00",
                    "work_ends": "17:00",
                    "van_location_id": van,
                    "base_latitude": latitude,
                    "base_longitude": longitude,
                },
                name=f"tech:{index}",
            )
            for index, (name, skills, van, latitude, longitude) in enumerate(technicians)
        ),
    )
    follow_up.add(
        "sav",
        *(
            op(
                "create_standard_service",
                {
                    "code": code,
                    "name": label,
                    "duration_minutes": minutes,
                    "skill": skill,
                    "checklist": ["Prévenir le client", "Contrôler l'installation", "Faire signer le bon"],
                },
            )
            for code, label, minutes, skill in words.STANDARD_SERVICES
        ),
    )
    # The 30 pool types and their construction templates: the company's defaults, installed
    # by the worksites service itself on first use.
    stage.add("worksites", op("list_pool_types", {"limit": 1}))
    stage.add(
        "worksites",
        op("create_crew", {"name": "Équipe maçonnerie Castan", "skills": ["masonry", "earthworks", "finishing"]}),
        op("create_crew", {"name": "Équipe technique Bousquet", "skills": ["plumbing", "electrics", "waterproofing"]}),
        op(
            "create_crew",
            {"name": "Terrassements Gardois (sous-traitant)", "kind": "subcontractor", "skills": ["earthworks"]},
        ),
    )


# --- customers, their sites, pools, equipment, analyses and contracts ---------------------

POOL_SHAPES = ("rectangle",) * 6 + ("round", "oval", "freeform")
COATINGS = ("liner",) * 5 + ("pvc_membrane", "pvc_membrane", "tiles", "polyester", "concrete_paint")
TREATMENTS = ("chlorine",) * 4 + ("salt",) * 4 + ("bromine", "active_oxygen", "uv")
FILTRATIONS = ("sand",) * 6 + ("cartridge", "cartridge", "glass", "diatom")
SAFETY = ("barrier", "alarm", "alarm", "cover", "cover", "shelter")
LIFETIMES = {"pump": 10, "sand_filter": 8, "cartridge_filter": 5, "heat_pump": 12, "salt_chlorinator": 5}
LIFETIMES |= {"robot": 5, "liner": 10, "pvc_membrane": 18, "multiport_valve": 6, "controller": 8}


def _customer(draw: _Draw, index: int) -> dict[str, Any]:
    rng = draw.rng
    address = draw.address()
    source = rng.choice(("walk_in", "walk_in", "phone", "web", "referral", "network"))
    if rng.random() < 0.08:
        kind, label = rng.choice(words.COMPANY_KINDS), rng.choice(words.COMPANY_NAMES)
        company_name = f"{kind} {label}"
        customer: dict[str, Any] = {
            "kind": "company",
            "company_name": company_name,
            "siren": f"{rng.randrange(300_000_000, 999_999_999)}",
            "emails": [{"address": draw.email(f"contact.{company_name}")}],
            "phones": [{"number": draw.phone(mobile=False)}],
            "preferred_channel": "email",
            "tags": ["professionnel"],
        }
    else:
        first, last = draw.person()
        customer = {
            "kind": "private",
            "first_name": first,
            "last_name": last,
            "emails": [{"address": draw.email(f"{first}.{last}")}] if rng.random() < 0.85 else [],
            "phones": [{"number": draw.phone()}]
            + ([{"number": draw.phone(mobile=False)}] if rng.random() < 0.2 else []),
            "preferred_channel": rng.choice(("email", "sms", "phone")),
            "consent": {"email": rng.random() < 0.6, "sms": rng.random() < 0.4},
            "tags": [],
        }
    if not customer["emails"] and customer["preferred_channel"] == "email":
        customer["preferred_channel"] = "phone"
    customer |= {"billing_address": address, "source": source}
    site = {"label": "Résidence principale", **address, "access_notes": rng.choice(words.ACCESS_NOTES)}
    sites = [site]
    if rng.random() < 0.05:
        sites.append({"label": "Résidence secondaire", **draw.address(), "access_notes": None})
    customer["sites"] = sites
    return customer


def _pool(draw: _Draw, site: int, built: int) -> dict[str, Any]:
    rng = draw.rng
    shape = rng.choice(POOL_SHAPES)
    length = rng.choice((6, 7, 8, 8, 9, 10, 11, 12))
    above = rng.random() < 0.1
    pool = {
        "site": site,
        "name": "Piscine" if not above else "Piscine hors-sol",
        "pool_type": "above_ground" if above else rng.choice(("in_ground",) * 5 + ("semi_buried",)),
        "shape": shape,
        "length_m": f"{length if shape != 'round' else rng.choice((4, 5, 6))}.00",
        "width_m": "0.00" if shape == "round" else f"{rng.choice((3, 4, 4, 5))}.{rng.choice(('00', '50'))}",
        "mean_depth_m": rng.choice(("1.20", "1.40", "1.50", "1.60")),
        "coating": "liner" if above else rng.choice(COATINGS),
        "filtration": rng.choice(FILTRATIONS),
        "treatment": rng.choice(TREATMENTS),
        "heating": rng.choice((None, None, "pompe à chaleur", "réchauffeur électrique", "panneaux solaires")),
        "cover": rng.choice((None, "volet immergé", "bâche à barres", "abri bas")),
        "safety_device": "none_required" if above else rng.choice(SAFETY),
    }
    pool["_built"] = built
    return pool


def _installed_on(draw: _Draw, built: int, lifetime: int) -> date:
    """Within the pool's life: the first piece since it was built, replaced at end of life;
    about one in six pieces bought in the last two years (under warranty), one in six near
    or past its end of life."""
    rng, today = draw.rng, draw.today
    yesterday = today - timedelta(days=1)
    roll = rng.random()
    if roll < 0.17:
        first, last = today - timedelta(days=700), yesterday
    elif roll < 0.34:
        first = max(date(built, 3, 1), date(today.year - lifetime - 1, 3, 1))
        last = date(max(today.year - lifetime + 1, built), 10, 31)
    else:
        first, last = max(date(built, 3, 1), date(today.year - lifetime, 3, 1)), yesterday
    return min(draw.day_within(min(first, yesterday), min(last, yesterday)), yesterday)


def _equipment(draw: _Draw, pool: dict[str, Any]) -> list[dict[str, Any]]:
    rng = draw.rng
    categories = ["pump", "sand_filter" if pool["filtration"] != "cartridge" else "cartridge_filter"]
    categories.append("multiport_valve") if categories[1] == "sand_filter" and rng.random() < 0.5 else None
    if pool["heating"] == "pompe à chaleur":
        categories.append("heat_pump")
    if pool["treatment"] == "salt":
        categories.append("salt_chlorinator")
    if rng.random() < 0.4:
        categories.append("robot")
    if pool["coating"] in ("liner", "pvc_membrane") and rng.random() < 0.6:
        categories.append(pool["coating"])
    if rng.random() < 0.1:
        categories.append("controller")
    pieces = []
    for category in categories:
        brand, models = rng.choice(words.EQUIPMENT[category])
        installed = _installed_on(draw, pool["_built"], LIFETIMES[category])
        pieces.append(
            {
                "category": category,
                "brand": brand,
                "model": rng.choice(models),
                "serial_number": draw.serial(brand, installed.year),
                "supplier": rng.choice(words.SUPPLIERS[:8]),
                "installed_on": installed.isoformat(),
                "warranty_months": 36 if category == "heat_pump" else 24,
            }
        )
    return pieces


def _analysis(draw: _Draw, pool: dict[str, Any], when: datetime) -> dict[str, Any]:
    rng = draw.rng
    salt = pool["treatment"] == "salt"
    values = {
        "source": rng.choice(("shop_station", "shop_station", "technician", "customer")),
        "recorded_at": when.isoformat(),
        "ph": f"{rng.uniform(6.8, 8.2):.1f}",
        "free_chlorine": f"{rng.uniform(0.0, 4.0):.1f}" if pool["treatment"] in ("chlorine", "salt") else None,
        "combined_chlorine": f"{rng.uniform(0.0, 0.9):.1f}",
        "total_alkalinity": str(rng.randrange(50, 180, 10)),
        "calcium_hardness": str(rng.randrange(100, 450, 10)),
        "cyanuric_acid": str(rng.randrange(10, 110, 5)) if pool["treatment"] in ("chlorine", "salt") else None,
        "salt": str(rng.randrange(2200, 4000, 100)) if salt else None,
        "temperature": str(rng.randrange(14, 30)),
        "bromine": f"{rng.uniform(1.0, 5.0):.1f}" if pool["treatment"] == "bromine" else None,
    }
    return {key: value for key, value in values.items() if value is not None}


def customer_ref(index: int, path: str = "id") -> str:
    """The demo's customer number ``index`` (or ``path`` in its file: ``sites.0.id``), as
    the ``import_customers`` that created it returned it."""
    return f"@customers:{index // IMPORT_CHUNK}.customers.{index % IMPORT_CHUNK}.{path}"


def _customers(draw: _Draw, stage: Stage, follow_up: Stage) -> None:
    """The customers' files with their sites, pools, equipment, analyses and contracts: an
    ``import_customers`` of ``IMPORT_CHUNK`` files at a time (customers' bulk use case, the
    same rules as one RPC per record: ADR 0029)."""
    rng, today = draw.rng, draw.today
    total = draw.size("customers")
    contract_count = draw.size("contracts")
    contract_holders = set(rng.sample(range(total), min(contract_count, total)))
    ticket_holders: list[str] = []
    season_start = datetime.combine(date(today.year if today.month >= 5 else today.year - 1, 5, 1), time(9), PARIS)
    files: list[dict[str, Any]] = []
    for index in range(total):
        customer = _customer(draw, index)
        customer["pools"] = []
        for site_index in range(len(customer["sites"])):
            if site_index and rng.random() < 0.5:
                continue
            built = rng.choice(range(1985, today.year))
            pool = _pool(draw, site_index, built)
            pieces = _equipment(draw, pool)
            del pool["_built"]
            # About one pool in 33 has a fault reported on one of its pieces: an open ticket.
            faulty = rng.randrange(len(pieces)) if site_index == 0 and rng.random() < 0.03 else None
            if faulty is not None:
                ticket_holders.append(customer_ref(index, f"pools.{len(customer['pools'])}.equipment.{faulty}.id"))
            analyses = []
            for _ in range(rng.choice((0, 0, 1, 2, 3, 4))):
                when = season_start + timedelta(days=rng.randrange(0, 150), hours=rng.randrange(0, 8))
                analyses.append(_analysis(draw, pool, min(when, _now(today))))
            contract = _contract(draw) if site_index == 0 and index in contract_holders else None
            customer["pools"].append({**pool, "equipment": pieces, "analyses": analyses, "contract": contract})
        files.append(customer)
    for first in range(0, total, IMPORT_CHUNK):
        chunk = files[first : first + IMPORT_CHUNK]
        operation = op("import_customers", {"customers": chunk}, name=f"customers:{first // IMPORT_CHUNK}")
        stage.add("customers", {**operation, "full": True, "records": _records(chunk)})
    _worksites(draw, follow_up, total)
    for holder in ticket_holders:
        fault = rng.choice(words.FAULTS)[1]
        follow_up.add(
            "sav",
            op(
                "open_ticket",
                {
                    "equipment_id": holder,
                    "channel": rng.choice(("phone", "email", "shop")),
                    "priority": rng.choice(("normal", "normal", "urgent")),
                    "description": fault,
                    "reported_on": (today - timedelta(days=rng.randrange(0, 20))).isoformat(),
                },
            ),
        )


def _records(files: list[dict[str, Any]]) -> int:
    """How many records customer files hold: each file, pool, piece, analysis, contract."""
    pools = [pool for file in files for pool in file["pools"]]
    return len(files) + sum(1 + len(p["equipment"]) + len(p["analyses"]) + bool(p["contract"]) for p in pools)


def _now(today: date) -> datetime:
    return datetime.combine(today, time(8), PARIS)


def _contract(draw: _Draw) -> dict[str, Any]:
    rng, today = draw.rng, draw.today
    formula, opening, closing, visits, products, price = rng.choice(words.CONTRACT_FORMULAS)
    starts = today - timedelta(days=rng.randrange(10, 360))
    return {
        "formula": formula,
        "includes_opening": opening,
        "includes_closing": closing,
        "visits_per_season": visits,
        "included_products": products,
        "starts_on": starts.isoformat(),
        "ends_on": (starts.replace(year=starts.year + 1) - timedelta(days=1)).isoformat()
        if not (starts.month == 2 and starts.day == 29)
        else (starts + timedelta(days=364)).isoformat(),
        "price_excl_vat": price,
        "tacit_renewal": rng.random() < 0.7,
    }


def _worksites(draw: _Draw, stage: Stage, total: int) -> None:
    """A few pools being built: quotes sent and accepted (the worksites service opens
    their projects from the order), others still waiting for an answer."""
    rng, today = draw.rng, draw.today
    for number in range(max(2, round(8 * draw.scale))):
        customer = rng.randrange(total)
        accepted = number < max(1, round(5 * draw.scale))
        length, width = rng.choice(((8, 4), (9, 4), (10, 5), (7, 3.5)))
        quote = {
            "customer_id": customer_ref(customer),
            "site_id": customer_ref(customer, "sites.0.id"),
            "kind": "construction",
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "lines": [
                {
                    "description": f"Piscine béton {length} x {width} m, liner 75/100",
                    "quantity": "1",
                    "unit_price_excl_vat": _money(rng.uniform(28000, 42000)),
                    "vat_rate": "20.00",
                },
                {
                    "description": "Local technique et filtration",
                    "quantity": "1",
                    "unit_price_excl_vat": _money(rng.uniform(3500, 6000)),
                    "vat_rate": "20.00",
                },
            ],
            "pool": {
                "pool_type_code": "BET-R8",
                "shape": "rectangle",
                "length_m": f"{length:.2f}",
                "width_m": f"{width:.2f}",
                "mean_depth_m": "1.50",
                "coating": "liner",
                "filtration": "sand",
                "treatment": rng.choice(("salt", "chlorine")),
            },
            "promised_filling_date": (today + timedelta(days=rng.randrange(40, 120))).isoformat(),
        }
        name = f"quote:{number}"
        group = [op("create_quote", quote, name=name), op("send_quote", f"@{name}")]
        if accepted:
            group.append(op("accept_quote", f"@{name}"))
        stage.add("customers", *group)


# --- invoices: paid and due -----------------------------------------------------------------


def _billing(draw: _Draw, stage: Stage) -> None:
    rng = draw.rng
    total = draw.size("customers")
    count = max(4, round(60 * draw.scale))
    for number in range(count):
        customer = rng.randrange(total)
        name = f"inv:{number}"
        lines = [
            {
                "description": rng.choice(
                    ("Visite d'entretien", "Ouverture de piscine", "Remplacement pompe de filtration", "Hivernage")
                ),
                "quantity": "1.00",
                "unit_price_excl_vat": _money(rng.uniform(80, 900)),
                "vat_rate": "20.00",
            }
        ]
        group = [
            op("create_invoice", {"customer_id": customer_ref(customer), "lines": lines}, name=name),
            op("check_invoice", f"@{name}"),
            op("issue_invoice", f"@{name}", name=f"{name}:issued"),
        ]
        if number % 3 != 0:  # two in three paid, the others due
            group.append(
                op(
                    "record_payment",
                    f"@{name}",
                    {"amount": f"@{name}:issued.total_incl_vat", "method": rng.choice(("transfer", "cheque", "card"))},
                )
            )
        stage.add("pos", *group)


def _till(draw: _Draw, stage: Stage) -> None:
    """Today at the shop's till: a session opened this morning and a few sales of the
    usual products (some to customers, paid by card or in cash): the dashboard's till."""
    rng = draw.rng
    total = draw.size("customers")
    group = [op("open_cash_session", {"location_id": "@loc:MAG", "opening_float": "150.00"})]
    prices = {sku: Decimal(sale) for sku, _, _, _, sale, *_ in FIXED_ARTICLES}
    everyday = ["CHL-GAL-5KG", "CHL-CHOC-1KG", "PH-MOINS-6KG", "SEL-25KG", "BAND-TEST-50", "CART-FIL-C100"]
    for _ in range(12):
        skus = rng.sample(everyday, rng.choice((1, 1, 2, 3)))
        lines = [{"article_id": f"@art:{sku}", "quantity": rng.choice((1, 1, 2, 4))} for sku in skus]
        amount = sum(prices[sku] * line["quantity"] for sku, line in zip(skus, lines, strict=True))
        if rng.random() < 0.6:
            payment = {"method": "card", "amount": str(amount)}
        else:
            payment = {"method": "cash", "amount": str((amount // 10 + 1) * 10)}
        sale: dict[str, Any] = {"location_id": "@loc:MAG", "lines": lines, "payments": [payment]}
        if rng.random() < 0.5:
            sale["customer_id"] = customer_ref(rng.randrange(total))
        group.append(op("record_sale", sale))
    stage.add("pos", *group)
