"""sav use cases through units of work on the test database, without nameko nor RabbitMQ:
local copies (idempotent), tickets with their coverage, the agenda, execution and the
signed slip, manufacturer returns — what each writes, refuses and emits (wire form)."""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bassin_common.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from bassin_common.events import Event
from bassin_common.schemas import load_or_reject
from sav import domain, events, schemas, usecases
from sav.models import Contract, Customer, Equipment, Intervention, Ticket, WarrantyReturn

TODAY = datetime.now(UTC).astimezone(domain.TIMEZONE).date()
SIGNATURE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def of_type(emitted: list[Event], event_type: str) -> list[dict[str, Any]]:
    return [event.data for event in emitted if event.event_type == event_type]


@dataclass
class File:
    """One company's customer file as SAV copied it: a customer, a pool, a heat pump out of
    warranty, a filtration pump under warranty, and a pool the company built."""

    customer: uuid.UUID
    pool: uuid.UUID
    old_heat_pump: uuid.UUID
    new_pump: uuid.UUID


def customer_event(customer: uuid.UUID, name: str = "Mme Durand", email: str | None = "durand@example.fr") -> dict:
    return events.CustomerView().load(
        {
            "customer_id": str(customer),
            "kind": "private",
            "display_name": name,
            "email": email,
            "phone": "06 12 34 56 78",
            "billing_address": {"line1": "3 chemin des Oliviers", "postcode": "30000", "city": "Nîmes"},
            "consent": {"email": True, "sms": False},
        }
    )


def equipment_event(customer, pool, category, brand, serial, installed_on, warranty_ends_on, **more) -> dict:
    view = events.EquipmentReplacedView if "replaced_equipment_id" in more else events.EquipmentInstalledView
    return view().load(
        {
            "equipment_id": str(more.pop("equipment_id", uuid.uuid4())),
            "customer_id": str(customer),
            "pool_id": str(pool),
            "category": category,
            "brand": brand,
            "model": "Modèle",
            "serial_number": serial,
            "installed_on": installed_on.isoformat(),
            "warranty_ends_on": warranty_ends_on and warranty_ends_on.isoformat(),
            **{k: str(v) for k, v in more.items()},
        }
    )


def copy_a_file(uow: Any, tenant_id: uuid.UUID | None = None, suffix: str = "") -> File:
    customer, pool = uuid.uuid4(), uuid.uuid4()
    with uow(tenant_id=tenant_id) as work:
        usecases.keep_customer(work, customer_event(customer))
        old = usecases.keep_equipment(
            work,
            equipment_event(
                customer, pool, "heat_pump", "Zodiac", f"PAC-OLD{suffix}", date(2019, 5, 2), date(2022, 5, 2)
            ),
        )
        new = usecases.keep_equipment(
            work,
            equipment_event(
                customer,
                pool,
                "filtration_pump",
                "Pentair",
                f"PMP-NEW{suffix}",
                TODAY - timedelta(days=100),
                TODAY + timedelta(days=630),
            ),
        )
    return File(customer, pool, old.id, new.id)


@pytest.fixture
def file(uow: Any) -> File:
    return copy_a_file(uow)


def ticket_input(**fields: Any) -> dict[str, Any]:
    payload = {"channel": "phone", "description": "La PAC ne chauffe plus, code E03.", **fields}
    return load_or_reject(
        schemas.TicketInput(), {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in payload.items()}
    )


def open_ticket(uow: Any, **fields: Any) -> tuple[dict[str, Any], list[Event]]:
    with uow() as work:
        ticket = usecases.open_ticket(work, ticket_input(**fields))
    return ticket, work.emitted


# --- local copies ---------------------------------------------------------------------------


def test_local_copies_are_kept_once_and_updated_in_place(uow: Any, file: File) -> None:
    with uow() as work:
        usecases.keep_customer(work, customer_event(file.customer))  # the same event again
        usecases.keep_customer(work, customer_event(file.customer, "M. et Mme Durand", None))
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Customer)) == 1
        customer = work.session.get(Customer, file.customer)
        assert (customer.display_name, customer.email, customer.email_consent) == ("M. et Mme Durand", None, True)
        assert work.session.scalar(select(func.count()).select_from(Equipment)) == 2


def test_an_import_of_customers_is_copied_as_its_records_events_would_be(uow: Any) -> None:
    customer, pool, contract = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pump = equipment_event(customer, pool, "pump", "Pentair", "PMP-1", TODAY - timedelta(days=10), TODAY)
    imported = {
        "customers": [{**customer_event(customer), "customer_id": str(customer)}],
        "equipment": [{k: str(v) if v is not None else None for k, v in pump.items()}],
        "contracts": [
            {
                "contract_id": str(contract),
                "customer_id": str(customer),
                "formula": "Sérénité",
                "starts_on": "2026-04-01",
                "ends_on": "2027-03-31",
                "tacit_renewal": True,
            }
        ],
        "analyses": [],  # not read here
    }
    with uow() as work:
        usecases.keep_imported(work, events.CustomersImportedView().load(imported))
    with uow() as work:
        assert work.session.get(Customer, customer).display_name == "Mme Durand"
        assert work.session.get(Equipment, pump["equipment_id"]).warranty_ends_on == TODAY
        assert work.session.get(Contract, contract).ends_on == date(2027, 3, 31)


def test_a_replaced_equipment_points_to_its_successor_and_its_serial_opens_no_ticket(uow: Any, file: File) -> None:
    with uow() as work:
        new = usecases.keep_replaced_equipment(
            work,
            equipment_event(
                file.customer,
                file.pool,
                "heat_pump",
                "Poolex",
                "PAC-2026",
                TODAY,
                TODAY + timedelta(days=730),
                replaced_equipment_id=file.old_heat_pump,
            ),
        )
    with uow() as work:
        assert work.session.get(Equipment, file.old_heat_pump).replaced_by == new.id
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.open_ticket(work, ticket_input(serial_number="PAC-OLD"))
    assert list(refused.value.errors) == ["serial_number"]


# --- tickets --------------------------------------------------------------------------------


def test_a_ticket_from_a_serial_number_out_of_warranty_says_why(uow: Any, file: File) -> None:
    ticket, emitted = open_ticket(uow, serial_number="PAC-OLD", priority="urgent")
    assert (ticket["customer_id"], ticket["equipment_id"], ticket["pool_id"]) == (
        file.customer,
        file.old_heat_pump,
        file.pool,
    )
    assert ticket["covered_by"] == "none"
    assert ticket["coverage_reason"] == (
        "hors garantie : garantie constructeur Zodiac expirée le 2022-05-02, pas de contrat d'entretien"
    )
    assert ticket["number"] == f"SAV-{TODAY.year}-00001"
    assert ticket["customer_name"] == "Mme Durand"
    [opened] = of_type(emitted, "ticket_opened")
    assert opened == {
        "ticket_id": str(ticket["id"]),
        "number": ticket["number"],
        "customer_id": str(file.customer),
        "pool_id": str(file.pool),
        "equipment_id": str(file.old_heat_pump),
        "category": "heat_pump",
        "priority": "urgent",
        "channel": "phone",
        "covered_by": "none",
        "coverage_reason": ticket["coverage_reason"],
        "opened_at": opened["opened_at"],
    }


def test_a_ticket_from_an_equipment_under_warranty_and_numbers_follow(uow: Any, file: File) -> None:
    open_ticket(uow, serial_number="PAC-OLD")
    ticket, _ = open_ticket(uow, equipment_id=file.new_pump, channel="portal")
    until = TODAY + timedelta(days=630)
    assert (ticket["covered_by"], ticket["covered_until"]) == ("manufacturer_warranty", until)
    assert ticket["coverage_reason"] == f"sous garantie constructeur Pentair jusqu'au {until.isoformat()}"
    assert ticket["number"] == f"SAV-{TODAY.year}-00002"


def test_a_pool_ticket_is_covered_by_the_decennale_of_a_pool_the_company_built(uow: Any, file: File) -> None:
    handed_over = TODAY - timedelta(days=3 * 365)
    with uow() as work:
        usecases.keep_handover(
            work,
            events.ProjectCompletedView().load(
                {
                    "project_id": str(uuid.uuid4()),
                    "order_id": str(uuid.uuid4()),
                    "customer_id": str(file.customer),
                    "site_id": str(uuid.uuid4()),
                    "handover_on": handed_over.isoformat(),
                    "reserves": [],
                    "equipment": [{"category": "filtration_pump", "serial_number": "PMP-NEW", "warranty_months": 24}],
                }
            ),
        )
    ticket, _ = open_ticket(uow, customer_id=file.customer, pool_id=file.pool, category="structure")
    assert ticket["covered_by"] == "legal_guarantee"
    assert ticket["coverage_reason"].startswith("sous garantie décennale jusqu'au ")
    # a heat pump of that pool is past its biennale: not covered by the construction
    heat_pump, _ = open_ticket(uow, equipment_id=file.old_heat_pump)
    assert heat_pump["covered_by"] == "none"


def test_a_maintenance_contract_covers_an_old_heat_pump(uow: Any, file: File) -> None:
    with uow() as work:
        usecases.keep_contract(
            work,
            events.ContractSignedView().load(
                {
                    "contract_id": str(uuid.uuid4()),
                    "customer_id": str(file.customer),
                    "formula": "Sérénité",
                    "starts_on": (TODAY - timedelta(days=10)).isoformat(),
                    "ends_on": (TODAY + timedelta(days=355)).isoformat(),
                    "price_excl_vat": "390.00",
                    "tacit_renewal": True,
                }
            ),
        )
    ticket, _ = open_ticket(uow, serial_number="PAC-OLD")
    assert ticket["covered_by"] == "contract"
    assert "« Sérénité »" in ticket["coverage_reason"]


@pytest.mark.parametrize(
    ("case", "fields", "field"),
    [
        ("unknown serial", lambda f, o: {"serial_number": "NOPE"}, "serial_number"),
        ("another company's serial", lambda f, o: {"serial_number": "PAC-OLD-O"}, "serial_number"),
        ("another company's equipment", lambda f, o: {"equipment_id": o.new_pump}, "equipment_id"),
        ("another company's customer", lambda f, o: {"customer_id": o.customer, "pool_id": o.pool}, "customer_id"),
        ("a pool without its customer", lambda f, o: {"pool_id": f.pool}, "customer_id"),
        ("equipment of another customer", lambda f, o: {"equipment_id": f.new_pump, "customer_id": o.customer}, None),
        ("nothing named", lambda f, o: {"customer_id": f.customer}, "equipment_id"),
    ],
)
def test_a_refused_ticket_names_the_field_and_writes_nothing(uow: Any, file: File, case, fields, field) -> None:
    other = copy_a_file(uow, uuid.uuid4(), suffix="-O")
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.open_ticket(work, ticket_input(**fields(file, other)))
    assert field is None or list(refused.value.errors) == [field], refused.value.errors
    assert work.emitted == []
    with uow() as work:
        assert work.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_another_company_s_ticket_is_not_found(uow: Any, file: File) -> None:
    ticket, _ = open_ticket(uow, serial_number="PAC-OLD")
    with pytest.raises(NotFound), uow(tenant_id=uuid.uuid4()) as work:
        usecases.get_ticket(work, ticket["id"])
    with uow() as work:
        assert usecases.get_ticket(work, ticket["id"])["number"] == ticket["number"]
        assert usecases.get_equipment(work, file.new_pump)["covered_by"] == "manufacturer_warranty"


# --- the agenda -------------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), domain.TIMEZONE).isoformat()


NEXT_MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())
VAN = ARTICLE = uuid.UUID(int=0)  # new ones for each test (ids of copies are global keys)


@pytest.fixture(autouse=True)
def fresh_inventory_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "VAN", uuid.uuid4())
    monkeypatch.setattr(sys.modules[__name__], "ARTICLE", uuid.uuid4())


@dataclass
class Agenda:
    technician: uuid.UUID
    service: uuid.UUID
    ticket: dict[str, Any]


@pytest.fixture
def agenda(uow: Any, file: File) -> Agenda:
    with uow() as work:
        usecases.keep_location(
            work,
            events.LocationCreatedView().load(
                {"location_id": str(VAN), "code": "CAM-1", "name": "Camion de Julien", "kind": "van"}
            ),
        )
        usecases.keep_article(
            work,
            events.ArticleCreatedView().load(
                {
                    "article_id": str(ARTICLE),
                    "sku": "CONDO-PAC",
                    "name": "Condensateur ventilateur",
                    "sale_price": "29.00",
                }
            ),
        )
    with uow() as work:
        technician = usecases.create_technician(
            work,
            schemas.TechnicianInput().load(
                {"name": "Julien Martin", "skills": ["heat_pump"], "van_location_id": str(VAN), "work_starts": "08:00"}
            ),
        )
        service = usecases.create_standard_service(
            work,
            schemas.StandardServiceInput().load(
                {
                    "code": "DIAG-PAC",
                    "name": "Diagnostic pompe à chaleur",
                    "duration_minutes": 90,
                    "skill": "heat_pump",
                    "checklist": ["Relever le code erreur", "Contrôler les pressions", "Nettoyer l'évaporateur"],
                    "parts": [{"article_id": str(ARTICLE), "quantity": 1}],
                }
            ),
        )
    ticket, _ = open_ticket(uow, serial_number="PAC-OLD")
    return Agenda(technician.id, service.id, ticket)


def schedule(uow: Any, agenda: Agenda, starts_at: str, ends_at: str | None = None, service: bool = True):
    payload = {"ticket_id": str(agenda.ticket["id"]), "technician_id": str(agenda.technician), "starts_at": starts_at}
    if service:
        payload["service_id"] = str(agenda.service)
    if ends_at:
        payload["ends_at"] = ends_at
    with uow() as work:
        intervention = usecases.schedule_intervention(work, schemas.InterventionInput().load(payload))
    return intervention, work.emitted


def test_scheduling_refuses_overlaps_and_accepts_back_to_back_slots(uow: Any, agenda: Agenda) -> None:
    first, emitted = schedule(uow, agenda, local(NEXT_MONDAY, 9))  # 9:00-10:30 from the service
    assert first["ends_at"] - first["starts_at"] == timedelta(minutes=90)
    assert first["checklist"][0]["label"] == "Relever le code erreur"
    [scheduled] = of_type(emitted, "intervention_scheduled")
    assert scheduled["technician_id"] == str(agenda.technician)
    assert scheduled["customer_id"] == str(agenda.ticket["customer_id"])
    for start, end in [(9, 10), (10, 11), (8, 12)]:  # inside, straddling the end, around
        with pytest.raises(Conflict, match="already booked"), uow() as work:
            usecases.schedule_intervention(
                work,
                schemas.InterventionInput().load(
                    {
                        "ticket_id": str(agenda.ticket["id"]),
                        "technician_id": str(agenda.technician),
                        "starts_at": local(NEXT_MONDAY, start, 29),
                        "ends_at": local(NEXT_MONDAY, end),
                    }
                ),
            )
        assert work.emitted == []
    before, _ = schedule(uow, agenda, local(NEXT_MONDAY, 8), local(NEXT_MONDAY, 9), service=False)
    after, _ = schedule(uow, agenda, local(NEXT_MONDAY, 10, 30), local(NEXT_MONDAY, 11), service=False)
    with uow() as work:
        day = usecases.technician_day(work, agenda.technician, {"date": NEXT_MONDAY})
    assert [i["id"] for i in day["interventions"]] == [before["id"], first["id"], after["id"]]
    with uow() as work:
        assert usecases.get_ticket(work, agenda.ticket["id"])["status"] == "scheduled"


@pytest.mark.parametrize(
    ("starts", "ends", "field", "message"),
    [
        (lambda d: local(d, 7, 30), None, "starts_at", "working hours"),
        (lambda d: local(d, 16), None, "starts_at", "working hours"),  # 16:00 + 90 min ends at 17:30
        (lambda d: local(d + timedelta(days=5), 9), None, "starts_at", "Saturdays"),
        (lambda d: local(d, 10), lambda d: local(d, 9), "ends_at", "end after"),
    ],
)
def test_scheduling_outside_working_hours_is_refused(uow: Any, agenda: Agenda, starts, ends, field, message) -> None:
    with pytest.raises(ValidationFailed) as refused:
        schedule(uow, agenda, starts(NEXT_MONDAY), ends and ends(NEXT_MONDAY))
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]


def test_a_service_needing_a_skill_the_technician_lacks_is_refused(uow: Any, agenda: Agenda) -> None:
    with uow() as work:
        other = usecases.create_technician(work, schemas.TechnicianInput().load({"name": "Paul Roux"}))
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.schedule_intervention(
            work,
            schemas.InterventionInput().load(
                {
                    "ticket_id": str(agenda.ticket["id"]),
                    "technician_id": str(other.id),
                    "service_id": str(agenda.service),
                    "starts_at": local(NEXT_MONDAY, 9),
                }
            ),
        )
    assert refused.value.errors == {"technician_id": ["the technician lacks the skill heat_pump"]}


# --- execution, signature, completion ----------------------------------------------------------------


def report(uow: Any, intervention: dict[str, Any], version: int = 1, **fields: Any) -> dict[str, Any]:
    payload = {
        "checked": [0, 1],
        "report": "Condensateur du ventilateur remplacé, PAC redémarrée.",
        "labour_minutes": 75,
        "travel_km": "18.50",
        "parts": [{"article_id": str(ARTICLE), "quantity": 1}],
        **fields,
    }
    with uow() as work:
        return usecases.record_report(work, intervention["id"], [str(version)], schemas.ReportInput().load(payload))


def sign(uow: Any, intervention: dict[str, Any]) -> tuple[dict[str, Any], list[Event]]:
    with uow() as work:
        signed = usecases.sign_and_complete(
            work, intervention["id"], schemas.SignatureInput().load({"signer_name": "Mme Durand", "image": SIGNATURE})
        )
    return signed, work.emitted


def test_a_signed_intervention_completes_with_its_parts_and_its_work(uow: Any, agenda: Agenda, file: File) -> None:
    intervention, _ = schedule(uow, agenda, local(NEXT_MONDAY, 9))
    with pytest.raises(ValidationFailed, match="record the report"):
        sign(uow, intervention)
    recorded = report(
        uow,
        intervention,
        equipment_changes=[{"equipment_id": str(file.old_heat_pump), "action": "repaired"}],
    )
    assert recorded["version"] == 2
    assert [item["done"] for item in recorded["checklist"]] == [True, True, False]
    with pytest.raises(PreconditionFailed):
        report(uow, intervention, version=1)  # made from a stale read
    signed, emitted = sign(uow, intervention)
    assert signed["status"] == "completed" and len(signed["slip_hash"]) == 64
    assert of_type(emitted, "parts_used") == [
        {
            "intervention_id": str(intervention["id"]),
            "location_id": str(VAN),
            "lines": [{"article_id": str(ARTICLE), "quantity": 1}],
        }
    ]
    [completed] = of_type(emitted, "intervention_completed")
    assert completed == {
        "intervention_id": str(intervention["id"]),
        "ticket_id": str(agenda.ticket["id"]),
        "customer_id": str(file.customer),
        "covered_by": "none",
        "labour_minutes": 75,
        "travel_km": "18.50",
        "parts": [{"article_id": str(ARTICLE), "quantity": 1}],
        "completed_at": completed["completed_at"],
        "equipment_changes": [
            {"equipment_id": str(file.old_heat_pump), "action": "repaired", "new_serial_number": None}
        ],
        "report_summary": "Condensateur du ventilateur remplacé, PAC redémarrée.",
    }
    with pytest.raises(Conflict, match="signed"):
        report(uow, intervention, version=2)
    with pytest.raises(Conflict, match="already signed"):
        sign(uow, intervention)
    with uow() as work:
        assert usecases.get_ticket(work, agenda.ticket["id"])["status"] == "completed"


def test_the_slip_hash_detects_a_report_changed_after_signing(uow: Any, agenda: Agenda) -> None:
    intervention, _ = schedule(uow, agenda, local(NEXT_MONDAY, 9))
    report(uow, intervention)
    signed, _ = sign(uow, intervention)
    with uow() as work:
        check = usecases.verify_slip(work, intervention["id"])
    assert check["intact"] and check["current_hash"] == signed["slip_hash"]
    with uow() as work:  # someone edits the report in the database, behind the API's back
        work.session.execute(
            text("UPDATE interventions SET report = report || ' (corrigé)' WHERE id = :id"), {"id": intervention["id"]}
        )
    with uow() as work:
        check = usecases.verify_slip(work, intervention["id"])
    assert not check["intact"] and check["signed_hash"] == signed["slip_hash"] != check["current_hash"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"checked": [3]}, "checked[0]"),
        ({"parts": [{"article_id": str(uuid.uuid4()), "quantity": 1}]}, "parts[0].article_id"),
        ({"equipment_changes": [{"equipment_id": str(uuid.uuid4()), "action": "repaired"}]}, None),
        ({"equipment_changes": [{"equipment_id": "OLD", "action": "replaced"}]}, None),
    ],
)
def test_a_refused_report_names_the_field_and_changes_nothing(uow: Any, agenda, file, fields, field) -> None:
    if fields.get("equipment_changes", [{}])[0].get("equipment_id") == "OLD":
        fields["equipment_changes"][0]["equipment_id"] = str(file.old_heat_pump)
    intervention, _ = schedule(uow, agenda, local(NEXT_MONDAY, 9))
    with pytest.raises(ValidationFailed) as refused:
        report(uow, intervention, **fields)
    assert field is None or list(refused.value.errors) == [field]
    with uow() as work:
        assert work.session.get(Intervention, intervention["id"]).version == 1


# --- manufacturer returns ------------------------------------------------------------------------


def request_return(uow: Any, ticket: dict[str, Any]) -> tuple[WarrantyReturn, list[Event]]:
    with uow() as work:
        rma = usecases.request_warranty_return(
            work,
            schemas.WarrantyReturnInput().load(
                {
                    "ticket_id": str(ticket["id"]),
                    "fault_description": "Moteur bloqué, disjoncte à la mise en route.",
                    "error_code": "E07",
                    "proof_of_purchase": "Facture FA-2026-00318",
                }
            ),
        )
        data = schemas.WarrantyReturnOutput().dump(rma)
    return data, work.emitted


def test_a_return_for_equipment_under_warranty_tells_the_manufacturer_only_what_it_needs(uow: Any, file) -> None:
    ticket, _ = open_ticket(uow, equipment_id=file.new_pump)
    rma, emitted = request_return(uow, ticket)
    [requested] = of_type(emitted, "warranty_return_requested")
    assert set(requested) == {
        "return_id",
        "ticket_id",
        "brand",
        "category",
        "model",
        "serial_number",
        "installed_on",
        "fault_description",
        "error_code",
        "requested_at",
    }
    assert (requested["brand"], requested["serial_number"], requested["error_code"]) == ("pentair", "PMP-NEW", "E07")
    assert "Durand" not in str(requested) and "example.fr" not in str(requested)
    for status in ("accepted", "part_shipped", "credited", "closed"):
        with uow() as work:
            usecases.change_return_status(
                work, rma["id"], schemas.ReturnStatusInput().load({"status": status, "note": f"étape {status}"})
            )
        [changed] = of_type(work.emitted, "warranty_return_status_changed")
        assert (changed["return_id"], changed["brand"], changed["status"]) == (rma["id"], "pentair", status)
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.change_return_status(work, rma["id"], schemas.ReturnStatusInput().load({"status": "accepted"}))
    assert list(refused.value.errors) == ["status"] and work.emitted == []
    with uow() as work:
        history = usecases.get_warranty_return(work, rma["id"]).history
    assert [h["status"] for h in history] == ["requested", "accepted", "part_shipped", "credited", "closed"]


def test_a_return_is_refused_out_of_manufacturer_warranty_and_twice(uow: Any, file: File) -> None:
    old, _ = open_ticket(uow, serial_number="PAC-OLD")
    with pytest.raises(ValidationFailed) as refused:
        request_return(uow, old)
    assert "not under manufacturer warranty" in refused.value.errors["ticket_id"][0]
    ticket, _ = open_ticket(uow, equipment_id=file.new_pump)
    request_return(uow, ticket)
    with pytest.raises(ValidationFailed, match="ticket_id"):
        request_return(uow, ticket)


def test_a_technician_s_van_is_a_van_of_the_company(uow: Any, agenda: Agenda) -> None:
    shop = uuid.uuid4()
    with uow() as work:
        usecases.keep_location(
            work,
            events.LocationCreatedView().load(
                {"location_id": str(shop), "code": "MAG", "name": "Magasin", "kind": "shop"}
            ),
        )
    for van, message in [(shop, "not a van"), (uuid.uuid4(), "unknown stock location")]:
        with pytest.raises(ValidationFailed) as refused, uow() as work:
            usecases.create_technician(
                work, schemas.TechnicianInput().load({"name": "Paul Roux", "van_location_id": str(van)})
            )
        assert message in refused.value.errors["van_location_id"][0]
    with pytest.raises(ValidationFailed) as refused, uow(tenant_id=uuid.uuid4()) as work:  # another company
        usecases.create_technician(work, schemas.TechnicianInput().load({"name": "Paul", "van_location_id": str(VAN)}))
    assert list(refused.value.errors) == ["van_location_id"]


def test_working_hours_are_hh_mm() -> None:
    loaded = schemas.TechnicianInput().load({"name": "Paul", "work_starts": "07:30", "work_ends": "16:00"})
    assert (loaded["work_starts"], loaded["work_ends"]) == (time(7, 30), time(16))
    assert schemas.TechnicianOutput().dump({"work_starts": time(7, 30)})["work_starts"] == "07:30"
    for wrong in ("7h30", "24:00", "", 730):
        with pytest.raises(ValidationFailed) as refused:
            load_or_reject(schemas.TechnicianInput(), {"name": "Paul", "work_starts": wrong})
        assert list(refused.value.errors) == ["work_starts"]
    with pytest.raises(ValidationFailed) as refused:
        load_or_reject(schemas.TechnicianInput(), {"name": "Paul", "work_starts": "17:00", "work_ends": "08:00"})
    assert list(refused.value.errors) == ["work_ends"]


# --- qualification ---------------------------------------------------------------------------


def pac_tree() -> dict[str, Any]:
    return {
        "category": "heat_pump",
        "questions": [
            {
                "key": "code_shown",
                "text": "L'afficheur indique-t-il un code erreur ?",
                "choices": [{"value": "yes", "next": "which_code"}, {"value": "no", "next": "fan_turns"}],
            },
            {
                "key": "which_code",
                "text": "Lequel ?",
                "choices": [
                    {
                        "value": "E03",
                        "service_code": "DIAG-PAC",
                        "parts": [{"article_id": str(ARTICLE), "quantity": 1}],
                    },
                    {"value": "autre", "next": "describe"},
                ],
            },
            {"key": "describe", "text": "Décrivez le code", "kind": "text"},
            {
                "key": "fan_turns",
                "text": "Le ventilateur tourne-t-il ?",
                "choices": [{"value": "oui"}, {"value": "non", "service_code": "DIAG-PAC"}],
            },
        ],
    }


def qualify(uow: Any, ticket: dict[str, Any], *answers: tuple[str, str]) -> dict[str, Any]:
    payload = {"answers": [{"question": q, "answer": a} for q, a in answers]}
    with uow() as work:
        return usecases.qualify_ticket(work, ticket["id"], load_or_reject(schemas.QualificationInput(), payload))


def test_a_question_tree_with_branches_is_answered_and_stored(uow: Any, agenda: Agenda) -> None:
    with uow() as work:
        tree = usecases.create_question_tree(work, schemas.QuestionTreeInput().load(pac_tree()))
    ticket = agenda.ticket  # the old heat pump's
    with uow() as work:
        first = usecases.get_qualification(work, ticket["id"])
    assert first["next_question"]["key"] == "code_shown" and first["answers"] == []
    halfway = qualify(uow, ticket, ("code_shown", "yes"))
    assert not halfway["complete"] and halfway["next_question"]["key"] == "which_code"
    done = qualify(uow, ticket, ("code_shown", "yes"), ("which_code", "E03"))
    assert done["complete"] and done["tree_id"] == tree.id
    assert (done["suggested_service"].code, done["suggested_parts"]) == (
        "DIAG-PAC",
        [{"article_id": str(ARTICLE), "quantity": 1}],
    )
    with uow() as work:
        stored = usecases.get_qualification(work, ticket["id"])
    assert [(a["question"], a["answer"]) for a in stored["answers"]] == [("code_shown", "yes"), ("which_code", "E03")]
    # An invalid answer is refused, naming it, and the stored answers stay.
    with pytest.raises(ValidationFailed) as refused:
        qualify(uow, ticket, ("code_shown", "yes"), ("which_code", "E99"))
    assert refused.value.errors == {"answers[1].answer": ["one of: E03, autre"]}
    with uow() as work:
        assert len(usecases.get_qualification(work, ticket["id"])["answers"]) == 2
    # The other branch.
    other = qualify(uow, ticket, ("code_shown", "no"), ("fan_turns", "non"))
    assert other["complete"] and other["suggested_service"].code == "DIAG-PAC" and other["suggested_parts"] == []


def test_a_tree_naming_an_unknown_service_or_part_is_refused(uow: Any, agenda: Agenda) -> None:
    tree = pac_tree()
    tree["questions"][1]["choices"][0]["service_code"] = "NOPE"
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_question_tree(work, schemas.QuestionTreeInput().load(tree))
    assert list(refused.value.errors) == ["questions[1].choices[0].service_code"]
    tree = pac_tree()
    tree["questions"][1]["choices"][0]["parts"][0]["article_id"] = str(uuid.uuid4())
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.create_question_tree(work, schemas.QuestionTreeInput().load(tree))
    assert list(refused.value.errors) == ["questions[1].choices[0].parts[0].article_id"]


def test_a_ticket_without_questions_for_its_category_says_so(uow: Any, agenda: Agenda) -> None:
    with pytest.raises(ValidationFailed) as refused:
        qualify(uow, agenda.ticket, ("code_shown", "yes"))
    assert refused.value.errors == {"answers": ["no questions for the category heat_pump"]}


# --- route of the day --------------------------------------------------------------------------


def test_the_route_of_a_booked_day_is_proposed_within_the_windows(uow: Any, agenda: Agenda) -> None:
    import random

    rng = random.Random(7)
    with uow() as work:
        technician = usecases.create_technician(
            work,
            schemas.TechnicianInput().load(
                {"name": "Léa Roux", "base_latitude": "43.8367", "base_longitude": "4.3601", "work_ends": "18:00"}
            ),
        )
    windows = [("08:00", "12:00")] * 4 + [(None, None)] * 4 + [("13:00", "18:00")] * 4
    booked = []
    for n, (opens, closes) in enumerate(windows):
        payload = {
            "ticket_id": str(agenda.ticket["id"]),
            "technician_id": str(technician.id),
            "starts_at": local(NEXT_MONDAY, 8 + n // 2, 30 * (n % 2)),
            "ends_at": local(NEXT_MONDAY, 8 + n // 2, 30 * (n % 2) + 20),
            "latitude": f"{43.8367 + rng.uniform(-0.08, 0.08):.6f}",
            "longitude": f"{4.3601 + rng.uniform(-0.1, 0.1):.6f}",
            "window_starts": opens,
            "window_ends": closes,
        }
        with uow() as work:
            booked.append(usecases.schedule_intervention(work, schemas.InterventionInput().load(payload))["id"])
    with uow() as work:
        unplaced = usecases.schedule_intervention(
            work,
            schemas.InterventionInput().load(
                {
                    "ticket_id": str(agenda.ticket["id"]),
                    "technician_id": str(technician.id),
                    "starts_at": local(NEXT_MONDAY, 17),
                    "ends_at": local(NEXT_MONDAY, 17, 30),
                }
            ),
        )
    with uow() as work:
        route = usecases.route_of_day(work, technician.id, {"date": NEXT_MONDAY})
    assert sorted(str(v["intervention_id"]) for v in route["visits"]) == sorted(str(i) for i in booked)
    assert route["unplaced"] == [unplaced["id"]]
    assert route["total_km"] <= route["booked_order_km"]
    by_id = {str(i): w for i, w in zip(booked, windows, strict=True)}
    previous_end = None
    for visit in route["visits"]:
        opens, closes = by_id[str(visit["intervention_id"])]
        local_start = visit["starts_at"].astimezone(domain.TIMEZONE).strftime("%H:%M")
        assert (opens or "08:00") <= local_start <= (closes or "18:00")
        assert visit["ends_at"] - visit["starts_at"] == timedelta(minutes=20)
        assert previous_end is None or visit["arrives_at"] >= previous_end
        previous_end = visit["ends_at"]
    with pytest.raises(Conflict, match="no base"), uow() as work:
        usecases.route_of_day(work, agenda.technician, {"date": NEXT_MONDAY})


def test_coordinates_are_decimal_degrees_as_text() -> None:
    loaded = schemas.TechnicianInput().load({"name": "Léa", "base_latitude": "43.8367", "base_longitude": "-0.5"})
    assert (loaded["base_latitude"], loaded["base_longitude"]) == (43.8367, -0.5)
    assert schemas.TechnicianOutput().dump({"base_latitude": 43.8367})["base_latitude"] == "43.8367"
    for wrong in ("91", "43.12345678", "nord", 43.8, "NaN", "1e3"):
        with pytest.raises(ValidationFailed) as refused:
            load_or_reject(schemas.TechnicianInput(), {"name": "Léa", "base_latitude": wrong})
        assert list(refused.value.errors) == ["base_latitude"]


# --- recurring interventions -------------------------------------------------------------------


def test_a_contract_s_plan_opens_its_month_s_visits_once(uow: Any, agenda: Agenda, file: File) -> None:
    with uow() as work:
        usecases.create_standard_service(
            work,
            schemas.StandardServiceInput().load(
                {"code": "OUV", "name": "Ouverture de piscine", "duration_minutes": 90}
            ),
        )
        usecases.set_maintenance_plan(
            work,
            schemas.MaintenancePlanInput().load(
                {
                    "formula": "Sérénité",
                    "visits": [{"service_code": "OUV", "month": 4}, {"service_code": "DIAG-PAC", "month": 10}],
                }
            ),
        )
        for formula, starts, ends in [
            ("Sérénité", "2026-10-15", "2027-10-14"),
            ("Essentiel", "2026-01-01", "2027-12-31"),
        ]:
            usecases.keep_contract(
                work,
                events.ContractSignedView().load(
                    {
                        "contract_id": str(uuid.uuid4()),
                        "customer_id": str(file.customer),
                        "formula": formula,
                        "starts_on": starts,
                        "ends_on": ends,
                    }
                ),
            )
    with uow() as work:
        april = usecases.generate_planned_visits(work, {"year": 2027, "month": 4})
    [ticket] = april["created"]
    assert (ticket["channel"], ticket["covered_by"], ticket["customer_id"]) == ("contract", "contract", file.customer)
    assert ticket["coverage_reason"] == "visite prévue au contrat d'entretien « Sérénité »"
    assert ticket["description"].startswith("Ouverture de piscine — avril 2027")
    assert ticket["number"].startswith("SAV-2027-")
    [opened] = of_type(work.emitted, "ticket_opened")
    assert opened["ticket_id"] == str(ticket["id"])
    with uow() as work:
        again = usecases.generate_planned_visits(work, {"year": 2027, "month": 4})
    assert (again["created"], again["already_generated"]) == ([], 1) and work.emitted == []
    with uow() as work:  # before the contract starts, and a month without visits
        assert usecases.generate_planned_visits(work, {"year": 2026, "month": 4})["created"] == []
        assert usecases.generate_planned_visits(work, {"year": 2027, "month": 5})["created"] == []
    with pytest.raises(ValidationFailed) as refused, uow() as work:
        usecases.set_maintenance_plan(
            work,
            schemas.MaintenancePlanInput().load({"formula": "X", "visits": [{"service_code": "NOPE", "month": 4}]}),
        )
    assert list(refused.value.errors) == ["visits[0].service_code"]


# --- photos ---------------------------------------------------------------------------------------

PHOTO = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ=="


def test_photos_are_part_of_the_signed_slip(uow: Any, agenda: Agenda, file: File) -> None:
    intervention, _ = schedule(uow, agenda, local(NEXT_MONDAY, 9))
    with uow() as work:
        photo = usecases.add_intervention_photo(
            work, intervention["id"], schemas.PhotoInput().load({"caption": "Condensateur gonflé", "image": PHOTO})
        )
    report(uow, intervention)
    sign(uow, intervention)
    with pytest.raises(Conflict, match="signed"), uow() as work:
        usecases.add_intervention_photo(work, intervention["id"], schemas.PhotoInput().load({"image": PHOTO}))
    with uow() as work:
        assert usecases.verify_slip(work, intervention["id"])["intact"]
        [listed] = usecases.intervention_photos(work, intervention["id"], {"limit": 10, "cursor": None}).items
        assert (listed.id, listed.caption) == (photo.id, "Condensateur gonflé")
    with uow() as work:  # a photo swapped behind the API's back
        work.session.execute(text("UPDATE photos SET sha256 = repeat('0', 64) WHERE id = :id"), {"id": photo.id})
    with uow() as work:
        assert not usecases.verify_slip(work, intervention["id"])["intact"]
    ticket, _ = open_ticket(uow, equipment_id=file.new_pump)
    rma, _ = request_return(uow, ticket)
    with uow() as work:
        usecases.add_return_photo(work, rma["id"], schemas.PhotoInput().load({"caption": "Plaque", "image": PHOTO}))
    with uow() as work:
        assert [p.caption for p in usecases.return_photos(work, rma["id"], {"limit": 10, "cursor": None}).items] == [
            "Plaque"
        ]
    with pytest.raises(NotFound), uow(tenant_id=uuid.uuid4()) as work:
        usecases.add_return_photo(work, rma["id"], schemas.PhotoInput().load({"image": PHOTO}))


def test_a_move_is_checked_like_a_booking_and_tells_the_customer_again(uow: Any, agenda: Agenda) -> None:
    schedule(uow, agenda, local(NEXT_MONDAY, 9))  # 9:00-10:30
    second, _ = schedule(uow, agenda, local(NEXT_MONDAY, 11))  # 11:00-12:30

    def move(starts: str, **more: Any) -> tuple[dict[str, Any], list[Event]]:
        with uow() as work:
            moved = usecases.move_intervention(
                work, second["id"], schemas.SlotInput().load({"starts_at": starts, **more})
            )
        return moved, work.emitted

    with pytest.raises(Conflict, match="already booked"):
        move(local(NEXT_MONDAY, 10))
    moved, emitted = move(local(NEXT_MONDAY, 10, 30))  # back-to-back with the first
    assert (moved["starts_at"], moved["ends_at"] - moved["starts_at"]) == (
        datetime.fromisoformat(local(NEXT_MONDAY, 10, 30)),
        timedelta(minutes=90),
    )
    [told] = of_type(emitted, "intervention_scheduled")
    assert told["intervention_id"] == str(second["id"])
    moved_again, _ = move(local(NEXT_MONDAY, 10, 30))  # onto itself: no clash with its own slot
    assert moved_again["version"] == 1
    with pytest.raises(ValidationFailed) as refused:
        move(local(NEXT_MONDAY, 17))
    assert list(refused.value.errors) == ["starts_at"]
    with uow() as work:
        other = usecases.create_technician(work, schemas.TechnicianInput().load({"name": "Paul Roux"}))
    with pytest.raises(ValidationFailed, match="technician_id"):
        move(local(NEXT_MONDAY, 9), technician_id=str(other.id))
