"""sav use cases, each given the unit of work it runs in (which commits when they return)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from bassin_common.copies import keep_copies
from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from sav import domain, events, routing
from sav.models import (
    Article,
    Contract,
    Customer,
    Equipment,
    Handover,
    Intervention,
    Location,
    MaintenancePlan,
    Photo,
    PlannedVisit,
    QuestionTree,
    StandardService,
    Technician,
    Ticket,
    WarrantyReturn,
)

DEFAULT_HOURS = (time(8, 0), time(17, 0))


def _now() -> datetime:
    return datetime.now(UTC)


def _own(uow: UnitOfWork, model: type, key: Any, what: str) -> Any:
    """A row of the caller's company by primary key, or NotFound (another company's too)."""
    row = uow.session.get(model, key) if key is not None else None
    # session.get may answer from the identity map without a query; check the tenant.
    if row is None or row.tenant_id != uow.tenant_id:
        raise NotFound(f"{what} {key} not found")
    return row


def _in_body(uow: UnitOfWork, model: type, key: Any, field: str, what: str, *, lock: bool = False) -> Any:
    """A row named in a request body: a 422 naming the field when the company has none."""
    if lock:
        row = uow.session.scalar(
            select(model).where(model.id == key).with_for_update().execution_options(populate_existing=True)
        )
    else:
        row = uow.session.get(model, key)
    if row is None or row.tenant_id != uow.tenant_id:
        raise ValidationFailed.field(field, f"unknown {what}")
    return row


# --- local copies (consumers; each idempotent by its natural key) -------------------------------


def _kept(uow: UnitOfWork, model: Any, row_id: Any, known: dict[Any, Any] | None) -> Any:
    """The copy kept already, if any: read, or found among ``known`` (read all at once)."""
    return uow.session.get(model, row_id) if known is None else known.get(row_id)


def _known(uow: UnitOfWork, model: Any, ids: list[Any]) -> dict[Any, Any]:
    return {row.id: row for row in uow.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}


def keep_customer(uow: UnitOfWork, data: dict[str, Any], known: dict[Any, Any] | None = None) -> Customer:
    customer = _kept(uow, Customer, data["customer_id"], known) or Customer(id=data["customer_id"])
    customer.display_name = data["display_name"]
    customer.email = data["email"]
    customer.phone = data["phone"]
    customer.email_consent = bool(data["consent"].get("email", False))
    uow.session.add(customer)
    return customer


def keep_equipment(uow: UnitOfWork, data: dict[str, Any], known: dict[Any, Any] | None = None) -> Equipment:
    equipment = _kept(uow, Equipment, data["equipment_id"], known) or Equipment(id=data["equipment_id"])
    for field in (
        "customer_id",
        "pool_id",
        "category",
        "brand",
        "model",
        "serial_number",
        "installed_on",
        "warranty_ends_on",
    ):
        setattr(equipment, field, data[field])
    uow.session.add(equipment)
    return equipment


def keep_replaced_equipment(uow: UnitOfWork, data: dict[str, Any]) -> Equipment:
    equipment = keep_equipment(uow, data)
    if data.get("replaced_equipment_id") and (old := uow.session.get(Equipment, data["replaced_equipment_id"])):
        old.replaced_by = equipment.id
    return equipment


def keep_contract(uow: UnitOfWork, data: dict[str, Any], known: dict[Any, Any] | None = None) -> Contract:
    contract = _kept(uow, Contract, data["contract_id"], known) or Contract(id=data["contract_id"])
    for field in ("customer_id", "formula", "starts_on", "ends_on", "tacit_renewal"):
        setattr(contract, field, data[field])
    uow.session.add(contract)
    return contract


def keep_imported(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """customers_imported: each customer, piece of equipment and contract kept as its own
    event would keep it — those kept already read in one query per kind, the new ones
    written together."""
    for items, key, model, keep in (
        (data["customers"], "customer_id", Customer, keep_customer),
        (data["equipment"], "equipment_id", Equipment, keep_equipment),
        (data["contracts"], "contract_id", Contract, keep_contract),
    ):
        known = _known(uow, model, [item[key] for item in items])
        for item in items:
            keep(uow, item, known)


def keep_handover(uow: UnitOfWork, data: dict[str, Any]) -> Handover:
    handover = uow.session.get(Handover, data["project_id"]) or Handover(project_id=data["project_id"])
    handover.customer_id = data["customer_id"]
    handover.site_id = data["site_id"]
    handover.handover_on = data["handover_on"]
    handover.serial_numbers = [e["serial_number"] for e in data["equipment"] if e.get("serial_number")]
    uow.session.add(handover)
    return handover


def keep_location(uow: UnitOfWork, data: dict[str, Any]) -> Location:
    location = uow.session.get(Location, data["location_id"]) or Location(id=data["location_id"])
    location.code, location.name, location.kind = data["code"], data["name"], data["kind"]
    uow.session.add(location)
    return location


def keep_article(uow: UnitOfWork, data: dict[str, Any]) -> Article:
    article = uow.session.get(Article, data["article_id"]) or Article(id=data["article_id"])
    article.sku, article.name = data["sku"], data["name"]
    uow.session.add(article)
    return article


def keep_articles(uow: UnitOfWork, imported: dict[str, Any]) -> None:
    """Articles inventory created together, each kept as ``keep_article``, in one statement."""
    rows = [
        {"tenant_id": uow.tenant_id, "id": a["article_id"], "sku": a["sku"], "name": a["name"]}
        for a in imported["articles"]
    ]
    keep_copies(uow.session, Article, rows, key=["id"])


def _check_parts(uow: UnitOfWork, parts: list[dict[str, Any]], field: str = "parts") -> None:
    """Each part is an article of the company's catalogue (SAV's copy of it)."""
    for index, part in enumerate(parts):
        article = uow.session.get(Article, part["article_id"])
        if article is None or article.tenant_id != uow.tenant_id:
            raise ValidationFailed.field(f"{field}[{index}].article_id", "unknown article")


# --- coverage ---------------------------------------------------------------------------------


def _handover_for(uow: UnitOfWork, customer_id: uuid.UUID, equipment: Equipment | None) -> Handover | None:
    """The construction an equipment came with (listed in it by serial, or installed on its
    handover day); for a pool ticket, the customer's latest construction."""
    handovers = list(
        uow.session.scalars(
            select(Handover).where(Handover.customer_id == customer_id).order_by(Handover.handover_on.desc())
        )
    )
    if equipment is None:
        return handovers[0] if handovers else None
    for handover in handovers:
        if equipment.serial_number in handover.serial_numbers or equipment.installed_on == handover.handover_on:
            return handover
    return None


def coverage_of(
    uow: UnitOfWork, customer_id: uuid.UUID, equipment: Equipment | None, category: str | None, on: date
) -> domain.Coverage:
    handover = _handover_for(uow, customer_id, equipment)
    contracts = uow.session.scalars(select(Contract).where(Contract.customer_id == customer_id))
    return domain.coverage(
        on,
        category,
        domain.Equipment(e.category, e.brand, e.model, e.installed_on, e.warranty_ends_on)
        if (e := equipment)
        else None,
        domain.Handover(handover.handover_on) if handover else None,
        [domain.Contract(c.formula, c.starts_on, c.ends_on) for c in contracts],
    )


def _today() -> date:
    return _now().astimezone(domain.TIMEZONE).date()


def get_equipment(uow: UnitOfWork, equipment_id: uuid.UUID) -> dict[str, Any]:
    """An equipment of SAV's copy, with who covers a fault on it today."""
    equipment = _own(uow, Equipment, equipment_id, "equipment")
    covered = coverage_of(uow, equipment.customer_id, equipment, equipment.category, _today())
    return {**_columns(equipment), "covered_by": covered.covered_by, "coverage_reason": covered.reason}


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in type(row).__table__.columns}


# --- tickets ------------------------------------------------------------------------------------


def _equipment_by_serial(uow: UnitOfWork, serial_number: str) -> Equipment:
    found = list(
        uow.session.scalars(
            select(Equipment).where(Equipment.serial_number == serial_number, Equipment.replaced_by.is_(None))
        )
    )
    if not found:
        raise ValidationFailed.field("serial_number", "no equipment of the company has this serial number")
    if len(found) > 1:
        raise ValidationFailed.field("serial_number", "several equipment share this serial number: open from the file")
    return found[0]


def next_number(uow: UnitOfWork, series: str) -> int:
    """The next number of a series, gapless: the counter row is locked until commit."""
    return uow.session.execute(
        text(
            "INSERT INTO counters (tenant_id, series, value) VALUES (:tenant, :series, 1) "
            "ON CONFLICT (tenant_id, series) DO UPDATE SET value = counters.value + 1 RETURNING value"
        ),
        {"tenant": uow.tenant_id, "series": series},
    ).scalar_one()


def open_ticket(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    equipment = None
    if data["equipment_id"] is not None:
        equipment = _in_body(uow, Equipment, data["equipment_id"], "equipment_id", "equipment")
    elif data["serial_number"] is not None:
        equipment = _equipment_by_serial(uow, data["serial_number"])
    customer_id = data["customer_id"] or (equipment.customer_id if equipment else None)
    if customer_id is None:
        raise ValidationFailed.field("customer_id", "required for a pool ticket")
    if equipment is not None and equipment.customer_id != customer_id:
        raise ValidationFailed.field("customer_id", "the equipment belongs to another customer")
    customer = _in_body(uow, Customer, customer_id, "customer_id", "customer")
    pool_id = data["pool_id"] or (equipment.pool_id if equipment else None)
    if equipment is not None and data["pool_id"] and equipment.pool_id and data["pool_id"] != equipment.pool_id:
        raise ValidationFailed.field("pool_id", "the equipment is on another pool")
    category = equipment.category if equipment else data["category"]
    opened_at = _now()
    on = data["reported_on"] or opened_at.astimezone(domain.TIMEZONE).date()
    covered = coverage_of(uow, customer.id, equipment, category, on)
    number = domain.ticket_number(on.year, next_number(uow, f"tickets-{on.year}"))
    ticket = Ticket(
        id=uuid.uuid4(),
        number=number,
        customer_id=customer.id,
        pool_id=pool_id,
        equipment_id=equipment.id if equipment else None,
        category=category,
        channel=data["channel"],
        priority=data["priority"],
        description=data["description"],
        status="open",
        covered_by=covered.covered_by,
        coverage_reason=covered.reason,
        covered_until=covered.until,
        opened_at=opened_at,
    )
    uow.session.add(ticket)
    uow.session.flush()
    uow.emit(events.TICKET_OPENED, ticket)
    return _ticket_view(ticket, customer)


def _ticket_view(ticket: Ticket, customer: Customer | None) -> dict[str, Any]:
    return {**_columns(ticket), "customer_name": customer.display_name if customer else None}


def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID) -> dict[str, Any]:
    ticket = _own(uow, Ticket, ticket_id, "ticket")
    return _ticket_view(ticket, uow.session.get(Customer, ticket.customer_id))


def list_tickets(uow: UnitOfWork, query: dict[str, Any]) -> Page[dict[str, Any]]:
    statement = select(Ticket, Customer).outerjoin(Customer, Customer.id == Ticket.customer_id)
    if query["status"]:
        statement = statement.where(Ticket.status == query["status"])
    if query["customer_id"]:
        statement = statement.where(Ticket.customer_id == query["customer_id"])
    found = read_page(uow.session, statement, (Ticket.opened_at, Ticket.id), query, descending=True)
    return Page([_ticket_view(ticket, customer) for ticket, customer in found.items], found.next)


# --- qualification ----------------------------------------------------------------------------------


def create_question_tree(uow: UnitOfWork, data: dict[str, Any]) -> QuestionTree:
    questions = data["questions"]
    if errors := domain.tree_errors(questions):
        raise ValidationFailed.of(errors)
    codes = set(uow.session.scalars(select(StandardService.code)))
    for index, question in enumerate(questions):
        for position, choice in enumerate(question["choices"]):
            field = f"questions[{index}].choices[{position}]"
            if choice["service_code"] is not None and choice["service_code"] not in codes:
                raise ValidationFailed.field(f"{field}.service_code", "no standard service has this code")
            _check_parts(uow, choice["parts"], f"{field}.parts")
    stored = [
        {
            **question,
            "choices": [
                {**choice, "label": choice["label"] or choice["value"], "parts": _plain_parts(choice["parts"])}
                for choice in question["choices"]
            ],
        }
        for question in questions
    ]
    tree = QuestionTree(id=uuid.uuid4(), category=data["category"], questions=stored, created_at=_now())
    uow.session.add(tree)
    uow.session.flush()
    return tree


def get_question_tree(uow: UnitOfWork, tree_id: uuid.UUID) -> QuestionTree:
    return _own(uow, QuestionTree, tree_id, "question tree")


def list_question_trees(uow: UnitOfWork, page: dict[str, Any]) -> Page[QuestionTree]:
    """The question trees, newest first: a category's first is the one new tickets are asked."""
    order = (QuestionTree.created_at, QuestionTree.id)
    return read_page(uow.session, select(QuestionTree), order, page, descending=True)


def _tree_for(uow: UnitOfWork, ticket: Ticket) -> QuestionTree:
    """The tree the ticket was answered with, else its category's newest one."""
    if ticket.qualification is not None:
        return uow.session.get(QuestionTree, uuid.UUID(ticket.qualification["tree_id"]))
    tree = uow.session.scalar(
        select(QuestionTree)
        .where(QuestionTree.category == ticket.category)
        .order_by(QuestionTree.created_at.desc(), QuestionTree.id)
        .limit(1)
    )
    if tree is None:
        raise ValidationFailed.field("answers", f"no questions for the category {ticket.category or '(none)'}")
    return tree


def _qualification_view(uow: UnitOfWork, ticket: Ticket, tree: QuestionTree, walked: domain.Walked) -> dict:
    service = None
    if walked.service_code is not None:
        service = uow.session.scalar(select(StandardService).where(StandardService.code == walked.service_code))
    return {
        "ticket_id": ticket.id,
        "tree_id": tree.id,
        "answers": walked.answers,
        "complete": walked.complete,
        "next_question": walked.next_question,
        "suggested_service": service,
        "suggested_parts": walked.parts,
    }


def get_qualification(uow: UnitOfWork, ticket_id: uuid.UUID) -> dict[str, Any]:
    """The answers given so far, the next question to ask, and what they suggest."""
    ticket = _own(uow, Ticket, ticket_id, "ticket")
    tree = _tree_for(uow, ticket)
    given = (ticket.qualification or {}).get("answers", [])
    return _qualification_view(uow, ticket, tree, domain.walk(tree.questions, given))


def qualify_ticket(uow: UnitOfWork, ticket_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Store the answers (all of them, in order) if each is to the question it leads to and
    one of its choices; the first wrong one is refused, naming it, and nothing is stored."""
    ticket = uow.session.scalar(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update().execution_options(populate_existing=True)
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    tree = _tree_for(uow, ticket)
    try:
        walked = domain.walk(tree.questions, data["answers"])
    except ValueError as wrong:
        field, message = wrong.args[0]
        raise ValidationFailed.field(field, message) from None
    ticket.qualification = {
        "tree_id": str(tree.id),
        "answers": walked.answers,
        "complete": walked.complete,
        "service_code": walked.service_code,
        "parts": walked.parts,
    }
    uow.session.flush()
    return _qualification_view(uow, ticket, tree, walked)


# --- maintenance plans and planned visits -------------------------------------------------------------


def set_maintenance_plan(uow: UnitOfWork, data: dict[str, Any]) -> MaintenancePlan:
    codes = set(uow.session.scalars(select(StandardService.code)))
    for index, visit in enumerate(data["visits"]):
        if visit["service_code"] not in codes:
            raise ValidationFailed.field(f"visits[{index}].service_code", "no standard service has this code")
    plan = uow.session.scalar(
        select(MaintenancePlan).where(MaintenancePlan.formula == data["formula"]).with_for_update()
    ) or MaintenancePlan(id=uuid.uuid4(), formula=data["formula"])
    plan.visits = sorted(
        ({"service_code": v["service_code"], "month": v["month"]} for v in data["visits"]),
        key=lambda v: (v["month"], v["service_code"]),
    )
    uow.session.add(plan)
    uow.session.flush()
    return plan


def list_maintenance_plans(uow: UnitOfWork, page: dict[str, Any]) -> Page[MaintenancePlan]:
    return read_page(uow.session, select(MaintenancePlan), (MaintenancePlan.formula, MaintenancePlan.id), page)


def generate_planned_visits(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """Open a ticket for each visit the month brings under each running contract's plan
    (opening in April, closing in October…), once: a visit already generated is not again."""
    year, month = data["year"], data["month"]
    plans = {plan.formula: plan for plan in uow.session.scalars(select(MaintenancePlan))}
    services = {service.code: service for service in uow.session.scalars(select(StandardService))}
    done = {
        (visit.contract_id, visit.service_code)
        for visit in uow.session.scalars(
            select(PlannedVisit).where(PlannedVisit.year == year, PlannedVisit.month == month)
        )
    }
    created, already = [], 0
    contracts = uow.session.scalars(select(Contract).order_by(Contract.customer_id, Contract.id))
    for contract in contracts:
        plan = plans.get(contract.formula)
        if plan is None or not domain.contract_runs_in(contract.starts_on, contract.ends_on, year, month):
            continue
        for visit in (v for v in plan.visits if v["month"] == month):
            if (contract.id, visit["service_code"]) in done:
                already += 1
                continue
            service = services.get(visit["service_code"])
            if service is None:  # the service was renamed since the plan was set
                continue
            ticket = _planned_ticket(uow, contract, service, year, month)
            uow.session.add(
                PlannedVisit(
                    contract_id=contract.id, service_code=service.code, year=year, month=month, ticket_id=ticket.id
                )
            )
            created.append(_ticket_view(ticket, uow.session.get(Customer, contract.customer_id)))
    uow.session.flush()
    return {"created": created, "already_generated": already}


def _planned_ticket(uow: UnitOfWork, contract: Contract, service: StandardService, year: int, month: int) -> Ticket:
    ticket = Ticket(
        id=uuid.uuid4(),
        number=domain.ticket_number(year, next_number(uow, f"tickets-{year}")),
        customer_id=contract.customer_id,
        pool_id=None,
        equipment_id=None,
        category=None,
        channel=domain.PLANNED,
        priority="normal",
        description=f"{service.name} — {domain.MONTHS[month - 1]} {year} (contrat d'entretien « {contract.formula} »)",
        status="open",
        covered_by=domain.CONTRACT,
        coverage_reason=f"visite prévue au contrat d'entretien « {contract.formula} »",
        covered_until=contract.ends_on,
        opened_at=_now(),
        service_id=service.id,
    )
    uow.session.add(ticket)
    uow.session.flush()
    uow.emit(events.TICKET_OPENED, ticket)
    return ticket


# --- technicians and standard services ------------------------------------------------------------


def create_technician(uow: UnitOfWork, data: dict[str, Any]) -> Technician:
    if data["van_location_id"] is not None:
        van = _in_body(uow, Location, data["van_location_id"], "van_location_id", "stock location")
        if van.kind != "van":
            raise ValidationFailed.field("van_location_id", f"the location {van.code} is not a van")
    technician = Technician(
        name=data["name"],
        skills=sorted(set(data["skills"])),
        work_starts=data["work_starts"] or DEFAULT_HOURS[0],
        work_ends=data["work_ends"] or DEFAULT_HOURS[1],
        working_days=sorted(set(data["working_days"])),
        van_location_id=data["van_location_id"],
        base_latitude=data["base_latitude"],
        base_longitude=data["base_longitude"],
    )
    if technician.work_ends <= technician.work_starts:
        raise ValidationFailed.field("work_ends", "must be after work_starts")
    uow.session.add(technician)
    uow.session.flush()
    return technician


def list_technicians(uow: UnitOfWork, page: dict[str, Any]) -> Page[Technician]:
    return read_page(uow.session, select(Technician), (Technician.name, Technician.id), page)


def get_technician(uow: UnitOfWork, technician_id: uuid.UUID) -> Technician:
    return _own(uow, Technician, technician_id, "technician")


def create_standard_service(uow: UnitOfWork, data: dict[str, Any]) -> StandardService:
    if uow.session.scalar(select(StandardService.id).where(StandardService.code == data["code"])):
        raise ValidationFailed.field("code", "already used by another standard service")
    _check_parts(uow, data["parts"])
    service = StandardService(**{**data, "parts": _plain_parts(data["parts"])})
    uow.session.add(service)
    uow.session.flush()
    return service


def _plain_parts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parts as stored in JSON, one line per article (quantities of a repeated article added)."""
    quantities: dict[str, int] = {}
    for part in parts:
        quantities[str(part["article_id"])] = quantities.get(str(part["article_id"]), 0) + part["quantity"]
    return [{"article_id": article, "quantity": quantity} for article, quantity in sorted(quantities.items())]


def list_standard_services(uow: UnitOfWork, page: dict[str, Any]) -> Page[StandardService]:
    return read_page(uow.session, select(StandardService), (StandardService.code, StandardService.id), page)


# --- scheduling ---------------------------------------------------------------------------------


def schedule_intervention(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """Put an intervention in a technician's agenda. The technician's row is locked first,
    so that two bookings of one technician are checked one after the other: of two
    overlapping requests, the second sees the first and is refused."""
    technician = _in_body(uow, Technician, data["technician_id"], "technician_id", "technician", lock=True)
    ticket = _in_body(uow, Ticket, data["ticket_id"], "ticket_id", "ticket")
    if ticket.status == "completed":
        raise ValidationFailed.field("ticket_id", "the ticket is completed")
    service = None
    if data["service_id"] is not None:
        service = _in_body(uow, StandardService, data["service_id"], "service_id", "standard service")
        if service.skill and service.skill not in technician.skills:
            raise ValidationFailed.field("technician_id", f"the technician lacks the skill {service.skill}")
    starts_at = data["starts_at"]
    ends_at = data["ends_at"] or starts_at + timedelta(minutes=service.duration_minutes)
    _check_slot(uow, technician, starts_at, ends_at)
    intervention = Intervention(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        technician_id=technician.id,
        service_id=service.id if service else None,
        starts_at=starts_at,
        ends_at=ends_at,
        status="scheduled",
        checklist=[{"label": label, "done": False} for label in (service.checklist if service else [])],
        report="",
        labour_minutes=0,
        travel_km=Decimal("0"),
        parts=list(service.parts) if service else [],
        equipment_changes=[],
        version=1,
        latitude=data["latitude"],
        longitude=data["longitude"],
        window_starts=data["window_starts"],
        window_ends=data["window_ends"],
    )
    ticket.status = "scheduled"
    uow.session.add(intervention)
    uow.session.flush()
    uow.emit(events.INTERVENTION_SCHEDULED, {**_columns(intervention), "customer_id": ticket.customer_id})
    return _intervention_view(intervention, ticket)


def _check_slot(
    uow: UnitOfWork, technician: Technician, starts_at: datetime, ends_at: datetime, moving: uuid.UUID | None = None
) -> None:
    """Within the technician's working hours, overlapping none of their other interventions
    (``moving``: the one being moved); call it with the technician's row locked."""
    hours = domain.WorkingHours(technician.work_starts, technician.work_ends, frozenset(technician.working_days))
    if problem := domain.outside_working_hours(starts_at, ends_at, hours):
        raise ValidationFailed.field("ends_at" if "end" in problem else "starts_at", problem)
    overlapping = select(Intervention).where(
        Intervention.technician_id == technician.id,
        Intervention.starts_at < ends_at,
        Intervention.ends_at > starts_at,
    )
    if moving is not None:
        overlapping = overlapping.where(Intervention.id != moving)
    clash = uow.session.scalar(overlapping)
    if clash is not None:
        raise Conflict(
            f"the technician is already booked from {clash.starts_at.isoformat()} to {clash.ends_at.isoformat()}"
        )


def move_intervention(uow: UnitOfWork, intervention_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Another slot (or technician) for a scheduled intervention; the customer is told again
    (``intervention_scheduled``). A move is a command, not an edit of what the technician
    records: it leaves the report's version (the ETag) alone."""
    intervention = _locked_intervention(uow, intervention_id)
    if intervention.status != "scheduled":
        raise Conflict("the intervention is completed")
    technician_id = data["technician_id"] or intervention.technician_id
    technician = _in_body(uow, Technician, technician_id, "technician_id", "technician", lock=True)
    if intervention.service_id and technician.id != intervention.technician_id:
        service = uow.session.get(StandardService, intervention.service_id)
        if service.skill and service.skill not in technician.skills:
            raise ValidationFailed.field("technician_id", f"the technician lacks the skill {service.skill}")
    starts_at = data["starts_at"]
    ends_at = data["ends_at"] or starts_at + (intervention.ends_at - intervention.starts_at)
    _check_slot(uow, technician, starts_at, ends_at, moving=intervention.id)
    intervention.technician_id, intervention.starts_at, intervention.ends_at = technician.id, starts_at, ends_at
    uow.session.flush()
    ticket = uow.session.get(Ticket, intervention.ticket_id)
    uow.emit(events.INTERVENTION_SCHEDULED, {**_columns(intervention), "customer_id": ticket.customer_id})
    return _intervention_view(intervention, ticket)


def _intervention_view(intervention: Intervention, ticket: Ticket) -> dict[str, Any]:
    return {
        **_columns(intervention),
        "ticket_number": ticket.number,
        "customer_id": ticket.customer_id,
        "covered_by": ticket.covered_by,
    }


def get_intervention(uow: UnitOfWork, intervention_id: uuid.UUID) -> dict[str, Any]:
    intervention = _own(uow, Intervention, intervention_id, "intervention")
    return _intervention_view(intervention, uow.session.get(Ticket, intervention.ticket_id))


def technician_day(uow: UnitOfWork, technician_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """A technician's interventions of one (local) day, in start order."""
    technician = _own(uow, Technician, technician_id, "technician")
    day = query["date"] or _today()
    start, end = domain.day_bounds(day)
    rows = uow.session.execute(
        select(Intervention, Ticket)
        .join(Ticket, Ticket.id == Intervention.ticket_id)
        .where(Intervention.technician_id == technician.id, Intervention.starts_at < end, Intervention.ends_at > start)
        .order_by(Intervention.starts_at)
    ).all()
    return {
        "technician_id": technician.id,
        "date": day,
        "interventions": [_intervention_view(intervention, ticket) for intervention, ticket in rows],
    }


def technician_free_slots(uow: UnitOfWork, technician_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """The slots a technician can still take on a day for an intervention of that length:
    the slot picker's choices (booking one is still checked, against a booking meanwhile)."""
    technician = _own(uow, Technician, technician_id, "technician")
    day = query["date"] or _today()
    start, end = domain.day_bounds(day)
    booked = uow.session.execute(
        select(Intervention.starts_at, Intervention.ends_at).where(
            Intervention.technician_id == technician.id, Intervention.starts_at < end, Intervention.ends_at > start
        )
    ).all()
    hours = domain.WorkingHours(technician.work_starts, technician.work_ends, frozenset(technician.working_days))
    booked_slots = [(first, last) for first, last in booked]
    slots = domain.free_slots(day, hours, booked_slots, query["duration_minutes"], not_before=datetime.now(UTC))
    return {
        "technician_id": technician.id,
        "date": day,
        "duration_minutes": query["duration_minutes"],
        "slots": [{"starts_at": first, "ends_at": last} for first, last in slots],
    }


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def route_of_day(uow: UnitOfWork, technician_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """The technician's interventions of a day in the order that drives the least, each
    within its customer's window (else the working hours); computed at each request, so an
    urgent intervention booked in the day is in the next proposal."""
    technician = _own(uow, Technician, technician_id, "technician")
    if technician.base_latitude is None or technician.base_longitude is None:
        raise Conflict("the technician has no base coordinates: the route starts and ends there")
    day = query["date"] or _today()
    start, end = domain.day_bounds(day)
    rows = uow.session.execute(
        select(Intervention, Ticket)
        .join(Ticket, Ticket.id == Intervention.ticket_id)
        .where(Intervention.technician_id == technician.id, Intervention.starts_at < end, Intervention.ends_at > start)
        .order_by(Intervention.booked_at, Intervention.id)
    ).all()
    placed = [(i, t) for i, t in rows if i.latitude is not None and i.longitude is not None]
    stops = [
        routing.Stop(
            str(intervention.id),
            routing.Place(intervention.latitude, intervention.longitude),
            round((intervention.ends_at - intervention.starts_at).total_seconds() / 60),
            _minutes(intervention.window_starts or technician.work_starts),
            _minutes(intervention.window_ends or technician.work_ends),
        )
        for intervention, _ in placed
    ]
    base = routing.Place(technician.base_latitude, technician.base_longitude)
    leaves, back_by = _minutes(technician.work_starts), _minutes(technician.work_ends)
    try:
        route = routing.plan(base, stops, leaves, back_by)
    except routing.NoFeasibleRoute as impossible:
        raise Conflict(str(impossible)) from None
    booked = routing.follow(base, stops, leaves, back_by)
    midnight = start

    def at(minutes: int) -> datetime:
        return midnight + timedelta(minutes=minutes)

    numbers = {str(i.id): t.number for i, t in placed}
    return {
        "technician_id": technician.id,
        "date": day,
        "visits": [
            {
                "intervention_id": visit.key,
                "ticket_number": numbers[visit.key],
                "arrives_at": at(visit.arrives),
                "starts_at": at(visit.starts),
                "ends_at": at(visit.ends),
                "km_from_previous": Decimal(f"{visit.km_from_previous:.2f}"),
            }
            for visit in route.visits
        ],
        "total_km": Decimal(f"{route.km:.2f}"),
        "booked_order_km": Decimal(f"{booked.km:.2f}") if booked else None,
        "back_at": at(route.back_at),
        "unplaced": [i.id for i, _ in rows if i.latitude is None or i.longitude is None],
    }


# --- execution and completion --------------------------------------------------------------------


def _locked_intervention(uow: UnitOfWork, intervention_id: uuid.UUID) -> Intervention:
    intervention = uow.session.scalar(
        select(Intervention)
        .where(Intervention.id == intervention_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if intervention is None:
        raise NotFound(f"intervention {intervention_id} not found")
    return intervention


def record_report(
    uow: UnitOfWork, intervention_id: uuid.UUID, if_match: list[str], data: dict[str, Any]
) -> dict[str, Any]:
    """The technician's checklist, report, time, travel, parts and equipment changes (each
    save replaces the previous one), while the slip is not signed."""
    intervention = _locked_intervention(uow, intervention_id)
    require_version(intervention.version, if_match, "intervention")
    if intervention.status != "scheduled":
        raise Conflict("the slip is signed: the report can no longer change")
    ticket = uow.session.get(Ticket, intervention.ticket_id)
    checklist = intervention.checklist
    for index, position in enumerate(data["checked"]):
        if position >= len(checklist):
            raise ValidationFailed.field(f"checked[{index}]", f"the checklist has {len(checklist)} operation(s)")
    _check_parts(uow, data["parts"])
    if data["parts"]:
        technician = uow.session.get(Technician, intervention.technician_id)
        if technician.van_location_id is None:
            raise ValidationFailed.field("parts", "the technician has no van to take parts from")
    for index, change in enumerate(data["equipment_changes"]):
        equipment = uow.session.get(Equipment, change["equipment_id"])
        if equipment is None or equipment.tenant_id != uow.tenant_id or equipment.customer_id != ticket.customer_id:
            raise ValidationFailed.field(f"equipment_changes[{index}].equipment_id", "not an equipment of the customer")
        if change["action"] == "replaced" and not change["new_serial_number"]:
            raise ValidationFailed.field(
                f"equipment_changes[{index}].new_serial_number", "the new equipment's serial number"
            )
    done = set(data["checked"])
    intervention.checklist = [{"label": item["label"], "done": i in done} for i, item in enumerate(checklist)]
    intervention.report = data["report"]
    intervention.labour_minutes = data["labour_minutes"]
    intervention.travel_km = data["travel_km"]
    intervention.parts = _plain_parts(data["parts"])
    intervention.equipment_changes = [
        {**change, "equipment_id": str(change["equipment_id"])} for change in data["equipment_changes"]
    ]
    intervention.version += 1
    uow.session.flush()
    return _intervention_view(intervention, ticket)


def slip_content(uow: UnitOfWork, intervention: Intervention) -> dict[str, Any]:
    """What the customer signs: everything the slip shows, as plain values (the hash's input)."""
    ticket = uow.session.get(Ticket, intervention.ticket_id)
    customer = uow.session.get(Customer, ticket.customer_id)
    technician = uow.session.get(Technician, intervention.technician_id)
    service = uow.session.get(StandardService, intervention.service_id) if intervention.service_id else None

    def instant(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value else None

    image = intervention.signature_image or ""
    return {
        "intervention_id": str(intervention.id),
        "ticket_number": ticket.number,
        "customer": {"id": str(ticket.customer_id), "name": customer.display_name if customer else ""},
        "technician": technician.name,
        "service": service.name if service else None,
        "starts_at": instant(intervention.starts_at),
        "ends_at": instant(intervention.ends_at),
        "description": ticket.description,
        "covered_by": ticket.covered_by,
        "coverage_reason": ticket.coverage_reason,
        "checklist": intervention.checklist,
        "report": intervention.report,
        "labour_minutes": intervention.labour_minutes,
        "travel_km": f"{Decimal(intervention.travel_km):.2f}",
        "parts": [{**part, "name": _article_name(uow, part["article_id"])} for part in intervention.parts],
        "equipment_changes": intervention.equipment_changes,
        "signer_name": intervention.signer_name,
        "signed_at": instant(intervention.signed_at),
        "signature_sha256": hashlib.sha256(image.encode()).hexdigest(),
        "photos": [
            {"caption": photo.caption, "sha256": photo.sha256}
            for photo in uow.session.scalars(
                select(Photo).where(Photo.intervention_id == intervention.id).order_by(Photo.taken_at, Photo.id)
            )
        ],
    }


def _article_name(uow: UnitOfWork, article_id: str) -> str:
    article = uow.session.get(Article, uuid.UUID(article_id))
    return f"{article.sku} {article.name}" if article else article_id


def sign_and_complete(uow: UnitOfWork, intervention_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """The customer signs the slip: its content is fingerprinted (SHA-256), the intervention
    completes, the van's parts go to inventory (``parts_used``) and the work to billing
    (``intervention_completed``) — in one transaction."""
    intervention = _locked_intervention(uow, intervention_id)
    if intervention.status != "scheduled":
        raise Conflict("the slip is already signed")
    if not intervention.report.strip():
        raise ValidationFailed.field("signer_name", "record the report before the customer signs")
    ticket = uow.session.get(Ticket, intervention.ticket_id)
    technician = uow.session.get(Technician, intervention.technician_id)
    signed_at = _now()
    intervention.signer_name = data["signer_name"]
    intervention.signature_image = data["image"]
    intervention.signed_at = signed_at
    intervention.completed_at = signed_at
    intervention.status = "completed"
    intervention.slip_hash = domain.slip_hash(slip_content(uow, intervention))
    ticket.status = "completed"
    uow.session.flush()
    if intervention.parts:
        uow.emit(
            events.PARTS_USED,
            {
                "intervention_id": intervention.id,
                "location_id": technician.van_location_id,
                "lines": intervention.parts,
            },
        )
    uow.emit(
        events.INTERVENTION_COMPLETED,
        {
            "intervention_id": intervention.id,
            "ticket_id": ticket.id,
            "customer_id": ticket.customer_id,
            "covered_by": ticket.covered_by,
            "labour_minutes": intervention.labour_minutes,
            "travel_km": intervention.travel_km,
            "parts": intervention.parts,
            "completed_at": signed_at,
            "equipment_changes": intervention.equipment_changes,
            "report_summary": intervention.report[:500],
        },
    )
    return _intervention_view(intervention, ticket)


def verify_slip(uow: UnitOfWork, intervention_id: uuid.UUID) -> dict[str, Any]:
    """Whether the signed slip is still what was signed: its content hashed again."""
    intervention = _own(uow, Intervention, intervention_id, "intervention")
    if intervention.slip_hash is None:
        raise Conflict("the slip is not signed yet")
    current = domain.slip_hash(slip_content(uow, intervention))
    return {
        "intervention_id": intervention.id,
        "signed_hash": intervention.slip_hash,
        "current_hash": current,
        "intact": current == intervention.slip_hash,
    }


def slip_to_send(uow: UnitOfWork, intervention_id: uuid.UUID, to: str | None) -> tuple[dict[str, Any], str]:
    """The signed slip's content and the address it goes to (the customer's by default)."""
    intervention = _own(uow, Intervention, intervention_id, "intervention")
    if intervention.status != "completed":
        raise Conflict("the slip is sent once signed")
    content = slip_content(uow, intervention)
    if to is None:
        ticket = uow.session.get(Ticket, intervention.ticket_id)
        customer = uow.session.get(Customer, ticket.customer_id)
        to = customer.email if customer else None
        if not to:
            raise ValidationFailed.field("to", "the customer has no e-mail address: give one")
    return {**content, "slip_hash": intervention.slip_hash, "signature_image": intervention.signature_image}, to


def record_slip_sent(uow: UnitOfWork, intervention_id: uuid.UUID, to: str) -> dict[str, Any]:
    intervention = _own(uow, Intervention, intervention_id, "intervention")
    intervention.slip_sent_to, intervention.slip_sent_at = to, _now()
    uow.session.flush()
    return _intervention_view(intervention, uow.session.get(Ticket, intervention.ticket_id))


def _photo(data: dict[str, Any], **owner: uuid.UUID) -> Photo:
    return Photo(
        id=uuid.uuid4(),
        caption=data["caption"],
        image=data["image"],
        sha256=hashlib.sha256(data["image"].encode()).hexdigest(),
        taken_at=_now(),
        **owner,
    )


def add_intervention_photo(uow: UnitOfWork, intervention_id: uuid.UUID, data: dict[str, Any]) -> Photo:
    """A photo of the work, until the slip is signed (its hash covers the photos then)."""
    intervention = _locked_intervention(uow, intervention_id)
    if intervention.status != "scheduled":
        raise Conflict("the slip is signed: no more photos on it")
    photo = _photo(data, intervention_id=intervention.id)
    uow.session.add(photo)
    uow.session.flush()
    return photo


def intervention_photos(uow: UnitOfWork, intervention_id: uuid.UUID, page: dict[str, Any]) -> Page[Photo]:
    _own(uow, Intervention, intervention_id, "intervention")
    statement = select(Photo).where(Photo.intervention_id == intervention_id)
    return read_page(uow.session, statement, (Photo.taken_at, Photo.id), page)


def add_return_photo(uow: UnitOfWork, return_id: uuid.UUID, data: dict[str, Any]) -> Photo:
    rma = _own(uow, WarrantyReturn, return_id, "warranty return")
    photo = _photo(data, return_id=rma.id)
    uow.session.add(photo)
    uow.session.flush()
    return photo


def return_photos(uow: UnitOfWork, return_id: uuid.UUID, page: dict[str, Any]) -> Page[Photo]:
    _own(uow, WarrantyReturn, return_id, "warranty return")
    statement = select(Photo).where(Photo.return_id == return_id)
    return read_page(uow.session, statement, (Photo.taken_at, Photo.id), page)


# --- manufacturer returns ------------------------------------------------------------------------


def request_warranty_return(uow: UnitOfWork, data: dict[str, Any]) -> WarrantyReturn:
    ticket = _in_body(uow, Ticket, data["ticket_id"], "ticket_id", "ticket")
    if ticket.equipment_id is None:
        raise ValidationFailed.field("ticket_id", "the ticket names no equipment")
    if ticket.covered_by != domain.MANUFACTURER:
        raise ValidationFailed.field(
            "ticket_id", f"the equipment is not under manufacturer warranty ({ticket.coverage_reason})"
        )
    if uow.session.scalar(select(WarrantyReturn.id).where(WarrantyReturn.ticket_id == ticket.id)):
        raise ValidationFailed.field("ticket_id", "the ticket already has a manufacturer return")
    equipment = uow.session.get(Equipment, ticket.equipment_id)
    if not equipment.serial_number:  # the manufacturer identifies the unit by it
        raise ValidationFailed.field("ticket_id", "the equipment has no serial number in the customer file yet")
    requested_at = _now()
    rma = WarrantyReturn(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        equipment_id=equipment.id,
        brand=domain.slug(equipment.brand),
        category=equipment.category,
        model=equipment.model,
        serial_number=equipment.serial_number,
        installed_on=equipment.installed_on,
        fault_description=data["fault_description"],
        error_code=data["error_code"],
        proof_of_purchase=data["proof_of_purchase"],
        status="requested",
        history=[{"status": "requested", "note": None, "at": requested_at.isoformat()}],
        requested_at=requested_at,
    )
    uow.session.add(rma)
    uow.session.flush()
    uow.emit(events.WARRANTY_RETURN_REQUESTED, rma)
    return rma


def get_warranty_return(uow: UnitOfWork, return_id: uuid.UUID) -> WarrantyReturn:
    return _own(uow, WarrantyReturn, return_id, "warranty return")


def list_warranty_returns(uow: UnitOfWork, page: dict[str, Any]) -> Page[WarrantyReturn]:
    order = (WarrantyReturn.requested_at, WarrantyReturn.id)
    return read_page(uow.session, select(WarrantyReturn), order, page, descending=True)


def change_return_status(uow: UnitOfWork, return_id: uuid.UUID, data: dict[str, Any]) -> WarrantyReturn:
    rma = uow.session.scalar(
        select(WarrantyReturn)
        .where(WarrantyReturn.id == return_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if rma is None:
        raise NotFound(f"warranty return {return_id} not found")
    if problem := domain.return_transition_error(rma.status, data["status"]):
        raise ValidationFailed.field("status", problem)
    at = _now()
    rma.status = data["status"]
    rma.history = [*rma.history, {"status": data["status"], "note": data["note"], "at": at.isoformat()}]
    uow.session.flush()
    uow.emit(
        events.WARRANTY_RETURN_STATUS_CHANGED,
        {"return_id": rma.id, "brand": rma.brand, "status": rma.status, "note": data["note"], "at": at},
    )
    return rma


# --- the customer's portal: their own tickets, interventions and signed slips ----------------------


def _own_customer(uow: UnitOfWork) -> uuid.UUID:
    if uow.context.customer_id is None:
        raise NotFound("this account is no customer's")
    return uow.context.customer_id


def request_service(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """A service request from the portal: a ticket for the caller's own pool or equipment,
    opened on the ``portal`` channel. Another customer's equipment or pool is refused."""
    customer_id = _own_customer(uow)
    if data["pool_id"] is not None and data["equipment_id"] is None:
        others = select(Equipment.id).where(Equipment.pool_id == data["pool_id"], Equipment.customer_id != customer_id)
        if uow.session.scalar(others.limit(1)) is not None:
            raise ValidationFailed.field("pool_id", "unknown pool")
    if data["equipment_id"] is not None:
        equipment = uow.session.get(Equipment, data["equipment_id"])
        if equipment is None or equipment.tenant_id != uow.tenant_id or equipment.customer_id != customer_id:
            raise ValidationFailed.field("equipment_id", "unknown equipment")
    return open_ticket(
        uow,
        {**data, "customer_id": customer_id, "serial_number": None, "channel": "portal", "reported_on": None},
    )


def own_tickets(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    return list_tickets(uow, {**page, "status": None, "customer_id": _own_customer(uow)})


def own_interventions(uow: UnitOfWork, page: dict[str, Any]) -> Page[dict[str, Any]]:
    """The caller's interventions, the latest first, with their slip once signed."""
    statement = (
        select(Intervention, Ticket)
        .join(Ticket, Ticket.id == Intervention.ticket_id)
        .where(Ticket.customer_id == _own_customer(uow))
    )
    found = read_page(uow.session, statement, (Intervention.starts_at, Intervention.id), page, descending=True)
    return Page([_intervention_view(i, t) for i, t in found.items], found.next)


def own_slip(uow: UnitOfWork, intervention_id: uuid.UUID) -> dict[str, Any]:
    """The signed slip of one of the caller's interventions (another's: NotFound)."""
    intervention = _own(uow, Intervention, intervention_id, "intervention")
    ticket = uow.session.get(Ticket, intervention.ticket_id)
    if ticket.customer_id != _own_customer(uow):
        raise NotFound(f"intervention {intervention_id} not found")
    if intervention.status != "completed":
        raise Conflict("the slip is not signed yet")
    content = slip_content(uow, intervention)
    return {**content, "slip_hash": intervention.slip_hash, "signature_image": intervention.signature_image}


# --- the manufacturer's portal: its own brand's returns only -----------------------------------------


def _brand_return(uow: UnitOfWork, return_id: uuid.UUID) -> WarrantyReturn:
    rma = _own(uow, WarrantyReturn, return_id, "warranty return")
    if uow.context.brand is None or rma.brand != uow.context.brand:
        raise NotFound(f"warranty return {return_id} not found")
    return rma


def brand_returns(uow: UnitOfWork, page: dict[str, Any]) -> Page[WarrantyReturn]:
    if uow.context.brand is None:
        raise NotFound("this caller is no partner")
    statement = select(WarrantyReturn).where(WarrantyReturn.brand == uow.context.brand)
    order = (WarrantyReturn.requested_at, WarrantyReturn.id)
    return read_page(uow.session, statement, order, page, descending=True)


def get_brand_return(uow: UnitOfWork, return_id: uuid.UUID) -> WarrantyReturn:
    return _brand_return(uow, return_id)


def answer_brand_return(uow: UnitOfWork, return_id: uuid.UUID, data: dict[str, Any]) -> WarrantyReturn:
    """The manufacturer answers one of its brand's returns (accepted, refused, part shipped,
    credited); closing it stays the company's."""
    _brand_return(uow, return_id)
    if data["status"] == "closed":
        raise ValidationFailed.field("status", "the company closes a return, not the manufacturer")
    return change_return_status(uow, return_id, data)
