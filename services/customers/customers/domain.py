"""The customer file's rules, as plain Python: no database, no broker.

- **Pools**: volume from shape and dimensions (overridable by a measured volume).
- **Water**: targets per coating and treatment (defaults from the trade, each overridable
  per tenant), the assessment of an analysis against them, the Langelier saturation index,
  and a dosage recommendation in the tenant's own products for this pool's volume.
- **Equipment**: warranty end and end of life from the install date, the badges the file
  shows (green until, orange within 90 days, red after).
- **Contracts**: when a maintenance contract expires, and its next period when renewed.

Quantities are ``Decimal``; volumes in m³, concentrations in mg/L (ppm), temperatures in °C.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from bassin_common.errors import ValidationFailed

# --- pools -------------------------------------------------------------------------------


class Shape(StrEnum):
    RECTANGLE = "rectangle"
    ROUND = "round"
    OVAL = "oval"
    FREEFORM = "freeform"


class Coating(StrEnum):
    LINER = "liner"
    PVC_MEMBRANE = "pvc_membrane"
    TILES = "tiles"
    POLYESTER = "polyester"
    CONCRETE_PAINT = "concrete_paint"


class Treatment(StrEnum):
    CHLORINE = "chlorine"
    SALT = "salt"
    BROMINE = "bromine"
    ACTIVE_OXYGEN = "active_oxygen"
    UV = "uv"


class Filtration(StrEnum):
    SAND = "sand"
    CARTRIDGE = "cartridge"
    GLASS = "glass"
    DIATOM = "diatom"


class SafetyDevice(StrEnum):
    """The safety device French law requires of an in-ground private pool (NF P90-306 to -309)."""

    BARRIER = "barrier"
    ALARM = "alarm"
    COVER = "cover"
    SHELTER = "shelter"
    NONE_REQUIRED = "none_required"  # an above-ground pool out of reach, a public one...


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    REPLACED = "replaced"
    REMOVED = "removed"


# A free form is measured as its bounding rectangle; this share of it holds water (a
# common rule of thumb for kidney and L shapes). A measured volume overrides it.
FREEFORM_FILL = Decimal("0.85")
TENTH = Decimal("0.1")


def pool_volume_or_measured(
    shape: Shape, length: Decimal, width: Decimal, mean_depth: Decimal, measured: Decimal | None
) -> Decimal:
    """The volume the water care uses: the one measured (by a water meter), when given,
    else the one the dimensions give. Either way the dimensions must be possible."""
    computed = pool_volume(shape, length, width, mean_depth)
    if measured is not None and measured <= 0:
        raise ValidationFailed.field("volume_override_m3", "must be more than 0")
    return measured if measured is not None else computed


def pool_volume(shape: Shape, length: Decimal, width: Decimal, mean_depth: Decimal) -> Decimal:
    """Volume in m³, to a tenth. ``length`` and ``width`` in metres: a round pool's diameter
    is its length (its width is not used); an oval's are its two axes."""
    dimensions = {"length": length, "mean_depth": mean_depth}
    if shape is not Shape.ROUND:
        dimensions["width"] = width
    if errors := {name: ["must be more than 0"] for name, value in dimensions.items() if value <= 0}:
        raise ValidationFailed.of(errors)
    if shape is Shape.RECTANGLE:
        volume = length * width * mean_depth
    elif shape is Shape.ROUND:
        volume = Decimal(math.pi) * (length / 2) ** 2 * mean_depth
    elif shape is Shape.OVAL:  # an ellipse of these axes
        volume = Decimal(math.pi) * (length / 2) * (width / 2) * mean_depth
    else:
        volume = length * width * mean_depth * FREEFORM_FILL
    return volume.quantize(TENTH, rounding=ROUND_HALF_UP)


# --- water -------------------------------------------------------------------------------


class Parameter(StrEnum):
    PH = "ph"
    FREE_CHLORINE = "free_chlorine"
    COMBINED_CHLORINE = "combined_chlorine"
    TOTAL_ALKALINITY = "total_alkalinity"  # TAC, mg/L CaCO3
    CALCIUM_HARDNESS = "calcium_hardness"  # TH, mg/L CaCO3
    CYANURIC_ACID = "cyanuric_acid"  # stabiliser
    SALT = "salt"
    TEMPERATURE = "temperature"
    TDS = "tds"
    BROMINE = "bromine"
    ACTIVE_OXYGEN = "active_oxygen"


# What a measurement may physically be: beyond these, it is a typing error (pH 42).
PLAUSIBLE = {
    Parameter.PH: (Decimal(0), Decimal(14)),
    Parameter.FREE_CHLORINE: (Decimal(0), Decimal(50)),
    Parameter.COMBINED_CHLORINE: (Decimal(0), Decimal(20)),
    Parameter.TOTAL_ALKALINITY: (Decimal(0), Decimal(1000)),
    Parameter.CALCIUM_HARDNESS: (Decimal(0), Decimal(2000)),
    Parameter.CYANURIC_ACID: (Decimal(0), Decimal(500)),
    Parameter.SALT: (Decimal(0), Decimal(20000)),
    Parameter.TEMPERATURE: (Decimal(-5), Decimal(45)),
    Parameter.TDS: (Decimal(0), Decimal(50000)),
    Parameter.BROMINE: (Decimal(0), Decimal(30)),
    Parameter.ACTIVE_OXYGEN: (Decimal(0), Decimal(100)),
}


@dataclass(frozen=True)
class Target:
    """An acceptable range; ``aim`` is where a correction brings the water."""

    low: Decimal
    high: Decimal
    aim: Decimal | None = None

    @property
    def middle(self) -> Decimal:
        return self.aim if self.aim is not None else (self.low + self.high) / 2


def default_targets(coating: Coating, treatment: Treatment) -> dict[Parameter, Target]:
    """The trade's targets for a residential pool (DOMAIN.md), by coating and treatment."""
    soft_coating = coating in (Coating.LINER, Coating.PVC_MEMBRANE, Coating.POLYESTER)
    targets = {
        Parameter.PH: Target(Decimal("7.2"), Decimal("7.6"), Decimal("7.4")),
        Parameter.TOTAL_ALKALINITY: Target(Decimal(80), Decimal(120), Decimal(100)),
        Parameter.CALCIUM_HARDNESS: Target(Decimal(150), Decimal(250), Decimal(200))
        if soft_coating
        else Target(Decimal(200), Decimal(400), Decimal(300)),
        Parameter.COMBINED_CHLORINE: Target(Decimal(0), Decimal("0.6"), Decimal(0)),
    }
    if treatment in (Treatment.CHLORINE, Treatment.SALT, Treatment.UV):
        targets[Parameter.FREE_CHLORINE] = Target(Decimal(1), Decimal(3), Decimal(2))
        targets[Parameter.CYANURIC_ACID] = (
            Target(Decimal(60), Decimal(75), Decimal(70))  # salt pools run higher, under the 75 ceiling
            if treatment is Treatment.SALT
            else Target(Decimal(30), Decimal(50), Decimal(40))
        )
    if treatment is Treatment.SALT:
        targets[Parameter.SALT] = Target(Decimal(2700), Decimal(3400), Decimal(3200))
    if treatment is Treatment.BROMINE:
        targets[Parameter.BROMINE] = Target(Decimal(3), Decimal(5), Decimal(4))
    if treatment is Treatment.ACTIVE_OXYGEN:
        targets[Parameter.ACTIVE_OXYGEN] = Target(Decimal(5), Decimal(10), Decimal("7.5"))
    return targets


def targets_for(
    coating: Coating, treatment: Treatment, tenant_overrides: dict[Parameter, Target] | None = None
) -> dict[Parameter, Target]:
    """The defaults, with the tenant's own choices over them."""
    return {**default_targets(coating, treatment), **(tenant_overrides or {})}


# Langelier saturation index, continuous form (DOMAIN.md):
#   LSI = pH + 13.12·log10(T + 273) + log10(CH) + log10(TA) - log10(TDS)/10 - 44.15
LSI_BALANCED = Decimal("0.3")
DEFAULT_TDS = Decimal(1000)  # when not measured; a salt pool adds its salt to it


def langelier_index(
    ph: Decimal, temperature: Decimal, calcium_hardness: Decimal, total_alkalinity: Decimal, tds: Decimal
) -> Decimal:
    index = (
        float(ph)
        + 13.12 * math.log10(float(temperature) + 273)
        + math.log10(float(calcium_hardness))
        + math.log10(float(total_alkalinity))
        - math.log10(float(tds)) / 10
        - 44.15
    )
    return Decimal(index).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Level(StrEnum):
    LOW = "low"
    OK = "ok"
    HIGH = "high"


class Balance(StrEnum):
    CORROSIVE = "corrosive"
    BALANCED = "balanced"
    SCALING = "scaling"


@dataclass(frozen=True)
class Reading:
    parameter: Parameter
    value: Decimal
    level: Level
    target: Target | None


@dataclass(frozen=True)
class Assessment:
    readings: tuple[Reading, ...]
    lsi: Decimal | None
    balance: Balance | None

    @property
    def problems(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.readings if r.level is not Level.OK)

    def level_of(self, parameter: Parameter) -> Level | None:
        return next((r.level for r in self.readings if r.parameter is parameter), None)


def check_measurements(measurements: dict[Parameter, Decimal]) -> None:
    """Refuse values no water can have, naming each parameter."""
    errors = {
        str(parameter): [f"must be between {low} and {high}"]
        for parameter, value in measurements.items()
        for low, high in [PLAUSIBLE[parameter]]
        if not low <= value <= high
    }
    if not measurements:
        errors["_schema"] = ["at least one measurement"]
    if errors:
        raise ValidationFailed.of(errors)


def assess(
    measurements: dict[Parameter, Decimal], targets: dict[Parameter, Target], treatment: Treatment
) -> Assessment:
    """Each measured value against its target, and the water's balance when it can be told."""
    check_measurements(measurements)
    readings = []
    for parameter, value in measurements.items():
        target = targets.get(parameter)
        level = Level.OK
        if target is not None and value < target.low:
            level = Level.LOW
        elif target is not None and value > target.high:
            level = Level.HIGH
        readings.append(Reading(parameter, value, level, target))
    lsi = balance = None
    needed = (Parameter.PH, Parameter.TEMPERATURE, Parameter.CALCIUM_HARDNESS, Parameter.TOTAL_ALKALINITY)
    if all(measurements.get(p, 0) > 0 for p in needed[2:]) and all(p in measurements for p in needed[:2]):
        tds = measurements.get(Parameter.TDS) or DEFAULT_TDS + (
            measurements.get(Parameter.SALT, Decimal(0)) if treatment is Treatment.SALT else 0
        )
        lsi = langelier_index(*(measurements[p] for p in needed), tds=tds)
        balance = (
            Balance.CORROSIVE if lsi < -LSI_BALANCED else Balance.SCALING if lsi > LSI_BALANCED else Balance.BALANCED
        )
    return Assessment(tuple(readings), lsi, balance)


# --- dosage ------------------------------------------------------------------------------


class Role(StrEnum):
    """What a product does to the water: a tenant maps each role to one of its articles."""

    PH_MINUS = "ph_minus"
    PH_PLUS = "ph_plus"
    ALKALINITY_PLUS = "alkalinity_plus"
    HARDNESS_PLUS = "hardness_plus"
    CHLORINE_SHOCK = "chlorine_shock"
    STABILISER = "stabiliser"
    SALT = "salt"


# How much product (g or mL) moves the parameter by one unit in one m³ — the trade's usual
# figures for the usual products, each overridable by the tenant for its own articles:
# - pH minus (sodium bisulfate) and pH plus (sodium carbonate): 10 g/m³ per 0.1 pH;
# - sodium bicarbonate: 1.8 g/m³ per 1 mg/L of alkalinity;
# - calcium chloride (dihydrate): 1.5 g/m³ per 1 mg/L of hardness;
# - calcium hypochlorite (65 % available chlorine): 1/0.65 g/m³ per 1 mg/L (DOMAIN.md);
# - cyanuric acid, salt: 1 g/m³ per 1 mg/L.
DEFAULT_DOSES = {
    Role.PH_MINUS: Decimal(100),
    Role.PH_PLUS: Decimal(100),
    Role.ALKALINITY_PLUS: Decimal("1.8"),
    Role.HARDNESS_PLUS: Decimal("1.5"),
    Role.CHLORINE_SHOCK: (1 / Decimal("0.65")).quantize(Decimal("0.01")),
    Role.STABILISER: Decimal(1),
    Role.SALT: Decimal(1),
}


@dataclass(frozen=True)
class Product:
    """One of the tenant's articles, and how much of it moves its parameter by one unit per m³."""

    role: Role
    article_id: str
    name: str
    unit: str = "g"  # or "mL" for liquids
    dose: Decimal | None = None  # per m³ per unit; the trade's default when not set

    @property
    def dose_per_unit(self) -> Decimal:
        return self.dose if self.dose is not None else DEFAULT_DOSES[self.role]


@dataclass(frozen=True)
class Recommendation:
    parameter: Parameter
    advice: str  # in French: what the customer reads at the counter
    article_id: str | None = None
    article_name: str | None = None
    quantity: Decimal | None = None  # grams or millilitres, for this pool
    unit: str | None = None


# Corrections in the order the trade applies them: alkalinity buffers the pH, so first.
ORDER = (
    Parameter.TOTAL_ALKALINITY,
    Parameter.PH,
    Parameter.CALCIUM_HARDNESS,
    Parameter.CYANURIC_ACID,
    Parameter.SALT,
    Parameter.COMBINED_CHLORINE,
    Parameter.FREE_CHLORINE,
)
RAISES = {
    Parameter.TOTAL_ALKALINITY: Role.ALKALINITY_PLUS,
    Parameter.PH: Role.PH_PLUS,
    Parameter.CALCIUM_HARDNESS: Role.HARDNESS_PLUS,
    Parameter.CYANURIC_ACID: Role.STABILISER,
    Parameter.SALT: Role.SALT,
    Parameter.FREE_CHLORINE: Role.CHLORINE_SHOCK,
}
LOWERS = {Parameter.PH: Role.PH_MINUS}
NAMES = {
    Parameter.PH: "le pH",
    Parameter.FREE_CHLORINE: "le chlore libre",
    Parameter.COMBINED_CHLORINE: "le chlore combiné",
    Parameter.TOTAL_ALKALINITY: "le TAC",
    Parameter.CALCIUM_HARDNESS: "le TH",
    Parameter.CYANURIC_ACID: "le stabilisant",
    Parameter.SALT: "le sel",
    Parameter.BROMINE: "le brome",
    Parameter.ACTIVE_OXYGEN: "l'oxygène actif",
}
ROUNDING = Decimal(10)  # quantities to the nearest 10 g (or mL): what a scoop measures
WAIT_FOR_CHLORINE = (
    "Chlore trop élevé : ne plus en ajouter ; il baisse de lui-même (soleil, filtration) avant la baignade."
)


def _rounded(quantity: Decimal) -> Decimal:
    return max((quantity / ROUNDING).quantize(Decimal(1), rounding=ROUND_HALF_UP) * ROUNDING, ROUNDING)


def recommend(assessment: Assessment, volume: Decimal, products: dict[Role, Product]) -> list[Recommendation]:
    """What to add, in the tenant's products and for this pool's volume, to bring each
    out-of-range parameter back to its aim; advice where no product does it."""
    problems = {r.parameter: r for r in assessment.problems if r.target is not None}
    advice = []
    for parameter in ORDER:
        if (reading := problems.get(parameter)) is None:
            continue
        if parameter is Parameter.COMBINED_CHLORINE:
            # Chloramines go with a breakpoint shock: ten times their level in free chlorine.
            advice.append(_dose(reading, Role.CHLORINE_SHOCK, reading.value * 10, volume, products))
        elif (role := (RAISES if reading.level is Level.LOW else LOWERS).get(parameter)) is not None:
            advice.append(_dose(reading, role, abs(reading.target.middle - reading.value), volume, products))
        elif parameter is Parameter.FREE_CHLORINE:  # too much: it goes by itself
            advice.append(Recommendation(parameter, WAIT_FOR_CHLORINE))
        else:  # too much of something no product takes out: fresh water does
            advice.append(_renewal(reading))
    return advice


def _dose(
    reading: Reading, role: Role, change: Decimal, volume: Decimal, products: dict[Role, Product]
) -> Recommendation:
    action = {Role.PH_MINUS: "Faire baisser", Role.CHLORINE_SHOCK: "Traiter"}.get(role, "Faire monter")
    what = NAMES[reading.parameter]
    if (product := products.get(role)) is None:
        return Recommendation(reading.parameter, f"{action} {what} : aucun produit n'est choisi pour cela.")
    quantity = _rounded(change * product.dose_per_unit * volume)
    return Recommendation(
        reading.parameter,
        f"{action} {what} : ajouter {quantity} {product.unit} de {product.name}.",
        product.article_id,
        product.name,
        quantity,
        product.unit,
    )


def _renewal(reading: Reading) -> Recommendation:
    percent = math.ceil((1 - reading.target.high / reading.value) * 100 / 5) * 5  # to 5 %
    return Recommendation(
        reading.parameter,
        f"Renouveler environ {percent} % de l'eau : {NAMES[reading.parameter]} ne baisse pas avec un produit.",
    )


# --- equipment ---------------------------------------------------------------------------


class Category(StrEnum):
    PUMP = "pump"
    SAND_FILTER = "sand_filter"
    CARTRIDGE_FILTER = "cartridge_filter"
    HEAT_PUMP = "heat_pump"
    SALT_CHLORINATOR = "salt_chlorinator"
    ROBOT = "robot"
    LINER = "liner"
    PVC_MEMBRANE = "pvc_membrane"
    MULTIPORT_VALVE = "multiport_valve"
    CONTROLLER = "controller"
    COVER = "cover"
    OTHER = "other"


# Expected lifetime in years (DOMAIN.md, the middle of each range), for end-of-life notices;
# a tenant may set its own per category.
DEFAULT_LIFETIMES = {
    Category.PUMP: 10,
    Category.SAND_FILTER: 8,
    Category.CARTRIDGE_FILTER: 5,
    Category.HEAT_PUMP: 12,
    Category.SALT_CHLORINATOR: 5,
    Category.ROBOT: 5,
    Category.LINER: 10,
    Category.PVC_MEMBRANE: 17,
    Category.MULTIPORT_VALVE: 6,
    Category.CONTROLLER: 8,
    Category.COVER: 8,
    Category.OTHER: 10,
}
DEFAULT_WARRANTY_MONTHS = 24  # the legal guarantee of conformity, when the maker gives none
EXPIRING_WITHIN = timedelta(days=90)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``, on the last day of a shorter month when needed."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def warranty_end(installed_on: date, warranty_months: int | None) -> date:
    return add_months(installed_on, DEFAULT_WARRANTY_MONTHS if warranty_months is None else warranty_months)


def end_of_life(installed_on: date, category: Category, lifetimes: dict[Category, int] | None = None) -> date:
    years = {**DEFAULT_LIFETIMES, **(lifetimes or {})}[category]
    return add_months(installed_on, 12 * years)


class Badge(StrEnum):
    """What the customer file shows (UI.md): green until, orange within 90 days, red after."""

    GREEN = "green"
    ORANGE = "orange"
    RED = "red"


def badge(ends_on: date, today: date) -> Badge:
    if ends_on < today:
        return Badge.RED
    return Badge.ORANGE if ends_on - today <= EXPIRING_WITHIN else Badge.GREEN


# --- maintenance contracts ---------------------------------------------------------------


@dataclass(frozen=True)
class ContractTerm:
    starts_on: date
    ends_on: date
    tacit_renewal: bool

    def __post_init__(self) -> None:
        if self.ends_on <= self.starts_on:
            raise ValidationFailed.field("ends_on", "must be after the start")

    def expiring(self, today: date, notice: timedelta = timedelta(days=30)) -> bool:
        """Whether the expiry alert is due: within ``notice`` and not past."""
        return today <= self.ends_on <= today + notice

    def renewed(self) -> ContractTerm:
        """The next period, starting the day after this one ends, as long: in whole months
        when this one was (a season, a year — leap days or not), else in days."""
        starts = self.ends_on + timedelta(days=1)
        months = (starts.year - self.starts_on.year) * 12 + starts.month - self.starts_on.month
        if starts.day == self.starts_on.day:
            return replace(self, starts_on=starts, ends_on=add_months(starts, months) - timedelta(days=1))
        return replace(self, starts_on=starts, ends_on=starts + (self.ends_on - self.starts_on))


# --- customers and their search ----------------------------------------------------------


class Kind(StrEnum):
    PRIVATE = "private"
    COMPANY = "company"


class Source(StrEnum):
    """How the customer came to the shop."""

    WALK_IN = "walk_in"
    WEB = "web"
    PHONE = "phone"
    REFERRAL = "referral"
    NETWORK = "network"  # the franchise network, a manufacturer's lead
    OTHER = "other"


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    POST = "post"


# Letters that do not decompose into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "\u0131": "i"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PHONE_DIGITS = re.compile(r"\d")
MAX_TERM = 60  # longer words are searched by their first letters


def fold(text: str) -> str:
    """``text`` as search compares it: lower case, without accents ("Hélène" → "helene")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text``: "Jean-Luc D'Hôtel" → ["jean", "luc", "d", "hotel"]."""
    return [word[:MAX_TERM] for word in _WORD.findall(fold(text))]


def phone_terms(phone: str) -> set[str]:
    """A phone number by its digits, national and international: "+33 6 12 34 56 78" is
    found by "0612", "612 34" and "+336"."""
    digits = "".join(_PHONE_DIGITS.findall(phone))
    if not digits:
        return set()
    found = {digits}
    if phone.strip().startswith("+33") or digits.startswith("0033"):
        national = "0" + digits.removeprefix("00").removeprefix("33")
        found |= {national, national[1:]}
    elif digits.startswith("0") and len(digits) == 10:
        found |= {digits[1:], "33" + digits[1:]}
    return {term[:MAX_TERM] for term in found}


def serial_term(serial: str) -> str:
    """A serial number as search compares it: folded, without spaces nor separators."""
    return "".join(_WORD.findall(fold(serial)))[:MAX_TERM]


def query_terms(query: str) -> list[str]:
    """What a search box holds, as the prefixes each customer must match (all of them).

    A query that looks like a phone number (digits, spaces, dots, a +) is one term of its
    digits; an e-mail address is one term; else each word is a term."""
    query = query.strip()
    if re.fullmatch(r"\+?[\d .\-()]{4,}", query):
        digits = "".join(_PHONE_DIGITS.findall(query))
        return [digits.removeprefix("00")[:MAX_TERM]]
    if "@" in query:
        return [fold(query)[:MAX_TERM]]
    return sorted(set(words(query)), key=lambda word: (-len(word), word))[:5]  # the longest narrow most


def query_alternatives(query: str) -> list[list[str]]:
    """The ways ``query`` may match: its terms all together, or, when it holds digits, the
    whole of it as a serial number typed with separators ("HP-2024 0017")."""
    alternatives = [query_terms(query)]
    serial = serial_term(query)
    if any(c.isdigit() for c in serial) and [serial] not in alternatives:
        alternatives.append([serial])
    return [terms for terms in alternatives if terms]


def search_terms(
    names: list[str],
    emails: list[str],
    phones: list[str],
    places: list[str],
) -> set[str]:
    """Every term a customer is found by: the words of its names (people, company, city),
    its e-mail addresses (whole, and their parts), its phone numbers, its postcodes."""
    terms: set[str] = set()
    for text in (*names, *places):
        terms.update(words(text))
    for email in emails:
        folded = fold(email.strip())
        terms.add(folded[:MAX_TERM])
        terms.update(words(folded))
    for phone in phones:
        terms |= phone_terms(phone)
    terms.discard("")
    return terms


def display_name(kind: Kind, company_name: str | None, first_name: str | None, last_name: str | None) -> str:
    """How the customer file is titled: the company's name, or "LAST First"."""
    if kind is Kind.COMPANY:
        if not (company_name or "").strip():
            raise ValidationFailed.field("company_name", "required for a company")
        return company_name.strip()
    if not (last_name or "").strip():
        raise ValidationFailed.field("last_name", "required for a private customer")
    name = " ".join(part.strip() for part in (last_name.upper(), first_name or "") if part and part.strip())
    return name[:200]


def sort_key(name: str) -> str:
    """The order of the customer list: by name, regardless of accents and case."""
    return " ".join(words(name))[:200] or "~"


# --- the sales pipeline ------------------------------------------------------------------


class OrderKind(StrEnum):
    CONSTRUCTION = "construction"
    SERVICE = "service"
    PRODUCTS = "products"


class LeadStatus(StrEnum):
    OPEN = "open"
    QUOTED = "quoted"
    WON = "won"
    LOST = "lost"


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUPERSEDED = "superseded"


QUOTE_VALIDITY = timedelta(days=30)
# The schedule a construction quote proposes when it gives none (DOMAIN.md's example);
# the step codes are the construction template's.
DEFAULT_PAYMENT_SCHEDULE = (
    ("order", Decimal(30)),
    ("structure", Decimal(40)),
    ("waterproofing", Decimal(25)),
    ("handover", Decimal(5)),
)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
LARGEST_AMOUNT = Decimal("9999999999.99")  # what an amount column holds


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuoteLine:
    description: str
    quantity: Decimal
    unit_price_excl_vat: Decimal
    vat_rate: Decimal  # percent
    discount_percent: Decimal = Decimal(0)
    article_id: str | None = None

    @property
    def total_excl_vat(self) -> Decimal:
        return _cents(self.quantity * self.unit_price_excl_vat * (HUNDRED - self.discount_percent) / HUNDRED)


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    vat_by_rate: dict[Decimal, Decimal]


def quote_totals(lines: list[QuoteLine]) -> Totals:
    """The totals a French quote shows: lines without VAT, VAT per rate on each rate's base
    (rounded once per rate, as on an invoice), and the sum with VAT."""
    if not lines:
        raise ValidationFailed.field("lines", "a quote has at least one line")
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, Decimal(0)) + line.total_excl_vat
    vat_by_rate = {rate: _cents(base * rate / HUNDRED) for rate, base in sorted(bases.items())}
    excl = _cents(sum(bases.values(), Decimal(0)))
    vat = _cents(sum(vat_by_rate.values(), Decimal(0)))
    if excl + vat > LARGEST_AMOUNT:
        raise ValidationFailed.field("lines", f"the total would exceed {LARGEST_AMOUNT}")
    return Totals(excl, vat, excl + vat, vat_by_rate)


def price_excl_vat(price_incl_vat: Decimal, vat_rate: Decimal) -> Decimal:
    """A shelf price (VAT included) as a quote's unit price without VAT."""
    return _cents(price_incl_vat * HUNDRED / (HUNDRED + vat_rate))


def check_payment_schedule(schedule: list[tuple[str, Decimal]]) -> None:
    if not schedule:
        raise ValidationFailed.field("payment_schedule", "at least one step")
    if sum((percent for _, percent in schedule), Decimal(0)) != HUNDRED:
        raise ValidationFailed.field("payment_schedule", "the percentages must add up to 100")
    codes = [code for code, _ in schedule]
    if len(set(codes)) != len(codes):
        raise ValidationFailed.field("payment_schedule", "a step appears twice")


def check_validity(valid_until: date, today: date) -> None:
    if valid_until < today:
        raise ValidationFailed.field("valid_until", "already past")


CONTRACT_NOTICE = timedelta(days=30)  # a contract's expiry is announced this long before


def life_used_percent(installed_on: date, end_of_life_on: date, today: date) -> int:
    """How much of its expected life a piece of equipment has used, in whole percent."""
    lifetime = (end_of_life_on - installed_on).days
    return max(0, round(100 * (today - installed_on).days / lifetime)) if lifetime > 0 else 100


# --- a construction handed over (worksites' project_completed) ---------------------------

# The words a construction order may use for a pool's make-up, in French or as the codes.
_WORDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "coating": (
        (Coating.PVC_MEMBRANE, ("pvc", "membrane", "armé")),
        (Coating.TILES, ("tiles", "carrelage", "mosaïque", "mosaique")),
        (Coating.POLYESTER, ("polyester", "coque")),
        (Coating.CONCRETE_PAINT, ("paint", "peinture", "enduit")),
        (Coating.LINER, ("liner",)),
    ),
    "filtration": (
        (Filtration.CARTRIDGE, ("cartridge", "cartouche")),
        (Filtration.GLASS, ("glass", "verre")),
        (Filtration.DIATOM, ("diatom",)),
        (Filtration.SAND, ("sand", "sable")),
    ),
    "treatment": (
        (Treatment.SALT, ("salt", "sel", "électrolyse", "electrolyse")),
        (Treatment.BROMINE, ("bromine", "brome")),
        (Treatment.ACTIVE_OXYGEN, ("oxygen", "oxygène", "oxygene")),
        (Treatment.UV, ("uv",)),
        (Treatment.CHLORINE, ("chlorine", "chlore")),
    ),
    "safety_device": (
        (SafetyDevice.SHELTER, ("shelter", "abri")),
        (SafetyDevice.COVER, ("cover", "volet", "couverture", "bâche")),
        (SafetyDevice.BARRIER, ("barrier", "barrière", "barriere")),
        (SafetyDevice.ALARM, ("alarm", "alarme")),
    ),
}
_DEFAULTS = {"coating": Coating.LINER, "filtration": Filtration.SAND, "treatment": Treatment.CHLORINE}


def _named(kind: str, texts: list[str]) -> StrEnum | None:
    words = " ".join(fold(text) for text in texts if text)
    for value, names in _WORDS[kind]:
        if any(fold(name) in words for name in names):
            return value
    return None


@dataclass(frozen=True)
class HandedOverPool:
    fields: dict[str, Any]
    safety_device_unknown: bool


def handed_over_pool(pool: dict[str, Any]) -> HandedOverPool:
    """The customer file's pool from what a construction order said of it: its words
    ("liner 75/100 bleu", "sable", "électrolyse au sel", options such as "volet immergé")
    read into the file's codes; what cannot be read takes the trade's most common choice,
    except the safety device, which the office must say (flagged)."""
    options = list(pool.get("options") or [])
    fields: dict[str, Any] = {}
    for kind, default in _DEFAULTS.items():
        fields[kind] = str(_named(kind, [pool.get(kind) or ""]) or default)
    safety = _named("safety_device", options)
    shape = pool.get("shape") if pool.get("shape") in set(Shape) else Shape.FREEFORM
    fields.update(
        pool_type=(pool.get("pool_type_code") or "construction")[:40],
        shape=str(shape),
        length_m=Decimal(str(pool.get("length_m") or "0")),
        width_m=Decimal(str(pool.get("width_m") or pool.get("length_m") or "0")),
        mean_depth_m=Decimal(str(pool.get("mean_depth_m") or "0")),
        heating=next((o[:60] for o in options if _mentions(o, ("chauffage", "pompe à chaleur", "heat"))), None),
        cover=next((o[:60] for o in options if _mentions(o, ("volet", "couverture", "bâche", "cover"))), None),
        safety_device=str(safety or SafetyDevice.NONE_REQUIRED),
    )
    return HandedOverPool(fields, safety_device_unknown=safety is None)


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(fold(word) in fold(text) for word in words)


def equipment_category(text: str | None) -> Category:
    """A category from a worksite's words for an equipment ("pump", "pompe de filtration")."""
    folded = fold(text or "")
    if folded in set(Category):
        return Category(folded)
    for category, words in (
        (Category.HEAT_PUMP, ("heat", "chaleur")),
        (Category.SALT_CHLORINATOR, ("chlorinator", "electrolyseur", "sel")),
        (Category.PUMP, ("pump", "pompe")),
        (Category.CARTRIDGE_FILTER, ("cartridge", "cartouche")),
        (Category.SAND_FILTER, ("filter", "filtre")),
        (Category.ROBOT, ("robot",)),
        (Category.MULTIPORT_VALVE, ("valve", "vanne")),
        (Category.CONTROLLER, ("controller", "regulation", "coffret")),
        (Category.COVER, ("cover", "volet")),
        (Category.LINER, ("liner",)),
    ):
        if any(word in folded for word in words):
            return category
    return Category.OTHER
