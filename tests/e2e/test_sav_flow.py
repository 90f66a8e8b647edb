"""After-sales through the gateway: a ticket from a customer's equipment, with its warranty
status → an intervention in a technician's agenda → the report, parts from the van → the
customer's signature → ``parts_used`` and ``intervention_completed`` (billing unless
covered); under manufacturer warranty, a manufacturer return whose events reach the broker
once. The customer file is SAV's local copy, written here as its consumers write it."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import eventlet
import pypdf
import pytest
from kombu import Connection, Queue, binding

from bassin_common import topology
from bassin_common.registry import installed_services
from bassin_common.testing import wait_until
from conftest import Company, Stack
from sav import domain

SAV = "/api/v1/sav"
TODAY = datetime.now(UTC).astimezone(domain.TIMEZONE).date()
NEXT_MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())
SIGNATURE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def local(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), domain.TIMEZONE).isoformat()


@contextmanager
def sav_messages(amqp_uri: str, *event_types: str) -> Iterator[Any]:
    """A queue of this test bound to sav's events of ``event_types``; yields a function
    returning every message received so far, as (event_type, data)."""
    exchange = topology.event_exchange("sav")
    received: list[tuple[str, dict[str, Any]]] = []
    with Connection(amqp_uri) as connection:
        queue = Queue(
            f"test-sav-{uuid.uuid4().hex[:8]}",
            bindings=[binding(exchange, routing_key=event_type) for event_type in event_types],
            auto_delete=False,
        )
        exchange(connection.default_channel).declare()
        bound = queue(connection.default_channel)
        bound.declare()

        def drain() -> list[tuple[str, dict[str, Any]]]:
            while (message := bound.get(no_ack=True)) is not None:
                body = message.payload
                received.append((body["event_type"], body["data"]))
            return received

        try:
            yield drain
        finally:
            bound.delete()


def consumes(service: str, producer: str, event_type: str) -> bool:
    return any(
        (s.producer, s.event_type) == (producer, event_type)
        for info in installed_services()
        if info.name == service
        for s in info.subscriptions
    )


@dataclass
class File:
    customer: str
    pool: str
    old_heat_pump: str
    new_pump: str


def customer_file(company: Company) -> File:
    """Mme Durand's file made in customers through the gateway: a pool with an old heat pump
    (Zodiac, warranty ended in 2022) and a pump installed three months ago (Pentair, two
    years' warranty); SAV learns of it by customers' events."""
    customer = company.post(
        "/api/v1/customers/customers",
        json={
            "kind": "private",
            "first_name": "Claire",
            "last_name": "Durand",
            "emails": [{"address": "durand@example.fr"}],
            "consent": {"email": True, "sms": False},
            "billing_address": {"line1": "4 rue des Cigales", "postcode": "30000", "city": "Nîmes"},
            "sites": [{"label": "Maison", "line1": "4 rue des Cigales", "postcode": "30000", "city": "Nîmes"}],
        },
    )
    assert customer.status_code == 201, customer.get_json()
    site = customer.get_json()["sites"][0]["id"]
    pool = company.post(
        "/api/v1/customers/pools",
        json={
            "site_id": site,
            "shape": "rectangle",
            "length_m": "8",
            "width_m": "4",
            "mean_depth_m": "1.5",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "salt",
            "safety_device": "cover",
        },
    )
    assert pool.status_code == 201, pool.get_json()
    installed = []
    for category, brand, serial, on, months in [
        ("heat_pump", "Zodiac", "PAC-2019-77", date(2019, 5, 2), 36),
        ("pump", "Pentair", "PMP-2026-01", TODAY - timedelta(days=90), 24),
    ]:
        response = company.post(
            f"/api/v1/customers/pools/{pool.get_json()['id']}/equipment",
            json={
                "category": category,
                "brand": brand,
                "model": "Modèle",
                "serial_number": serial,
                "installed_on": on.isoformat(),
                "warranty_months": months,
            },
        )
        assert response.status_code == 201, response.get_json()
        installed.append(response.get_json()["id"])
    return File(customer.get_json()["id"], pool.get_json()["id"], *installed)


@dataclass
class Workshop:
    company: Company
    file: File
    van: dict[str, Any]
    part: dict[str, Any]
    technician: dict[str, Any]
    service: dict[str, Any]

    def van_quantity(self) -> int:
        response = self.company.get(f"/api/v1/inventory/articles/{self.part['id']}/stock/{self.van['id']}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["quantity"]


def created_once_copied(company: Company, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` once SAV has copied what it names from inventory's events (a 422 until then)."""

    def attempt() -> dict[str, Any] | None:
        response = company.post(url, json=body)
        assert response.status_code in (201, 422), response.get_json()
        return response.get_json() if response.status_code == 201 else None

    return wait_until(attempt)


@pytest.fixture
def workshop(stack: Stack) -> Workshop:
    company = stack.new_company()
    file = customer_file(company)
    for equipment in (file.old_heat_pump, file.new_pump):  # SAV's copy, from customers' events
        wait_until(lambda e=equipment: company.get(f"{SAV}/equipment/{e}").status_code == 200)
    van = company.post(
        "/api/v1/inventory/locations", json={"code": "CAM-1", "name": "Camion de Julien", "kind": "van"}
    ).get_json()
    part = company.post(
        "/api/v1/inventory/articles",
        json={
            "sku": "CONDO-PAC",
            "name": "Condensateur ventilateur PAC",
            "purchase_price": "12.00",
            "sale_price": "29.00",
            "stock": [{"location_id": van["id"], "quantity": 5}],
        },
    ).get_json()
    technician = created_once_copied(
        company,
        f"{SAV}/technicians",
        {"name": "Julien Martin", "skills": ["heat_pump"], "van_location_id": van["id"]},
    )
    service = created_once_copied(
        company,
        f"{SAV}/standard-services",
        {
            "code": "DIAG-PAC",
            "name": "Diagnostic pompe à chaleur",
            "duration_minutes": 90,
            "skill": "heat_pump",
            "checklist": ["Relever le code erreur", "Contrôler les pressions"],
            "parts": [{"article_id": part["id"], "quantity": 1}],
        },
    )
    return Workshop(company, file, van, part, technician, service)


def invoices_of(company: Company, customer_id: str) -> list[dict[str, Any]]:
    response = company.get("/api/v1/pos/invoices", query_string={"customer_id": customer_id})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def timeline(company: Company, customer_id: str) -> list[dict[str, Any]]:
    return company.get(f"/api/v1/customers/customers/{customer_id}/timeline").get_json()["items"]


def open_ticket(company: Company, **fields: Any) -> dict[str, Any]:
    response = company.post(f"{SAV}/tickets", json={"channel": "phone", "description": "Ne chauffe plus.", **fields})
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == f"{SAV}/tickets/{response.get_json()['id']}"
    return response.get_json()


def intervene(shop: Workshop, ticket: dict[str, Any], hour: int) -> dict[str, Any]:
    """Schedule, report (one part from the van) and have the customer sign."""
    company = shop.company
    scheduled = company.post(
        f"{SAV}/interventions",
        json={
            "ticket_id": ticket["id"],
            "technician_id": shop.technician["id"],
            "service_id": shop.service["id"],
            "starts_at": local(NEXT_MONDAY, hour),
        },
    )
    assert scheduled.status_code == 201, scheduled.get_json()
    url = f"{SAV}/interventions/{scheduled.get_json()['id']}"
    reported = company.edit(
        f"{url}/report",
        read_from=url,
        json={
            "checked": [0, 1],
            "report": "Condensateur du ventilateur remplacé, PAC redémarrée, 28 °C en sortie.",
            "labour_minutes": 80,
            "travel_km": "18.50",
            "parts": [{"article_id": shop.part["id"], "quantity": 1}],
        },
    )
    assert reported.status_code == 200, reported.get_json()
    assert reported.headers["ETag"] == '"2"'
    signed = company.post(f"{url}/signature", json={"signer_name": "Mme Durand", "image": SIGNATURE})
    assert signed.status_code == 200, signed.get_json()
    return signed.get_json()


def test_a_heat_pump_out_of_warranty_goes_from_ticket_to_billable_completion(
    stack: Stack, workshop: Workshop, service_config: dict[str, Any]
) -> None:
    company = workshop.company
    with sav_messages(service_config["AMQP_URI"], "parts_used", "intervention_completed") as received:
        ticket = open_ticket(company, serial_number="PAC-2019-77", priority="urgent")
        assert (ticket["equipment_id"], ticket["covered_by"]) == (workshop.file.old_heat_pump, "none")
        assert ticket["coverage_reason"].startswith(
            "hors garantie : garantie constructeur Zodiac expirée le 2022-05-02"
        )
        done = intervene(workshop, ticket, 9)
        assert done["status"] == "completed" and done["ticket_number"] == ticket["number"]
        messages = wait_until(lambda: len(received()) >= 2 and received())
        eventlet.sleep(0.5)
        messages = received()
    by_type = {event_type: data for event_type, data in messages}
    assert sorted(event_type for event_type, _ in messages) == ["intervention_completed", "parts_used"]
    assert by_type["parts_used"] == {
        "intervention_id": done["id"],
        "location_id": workshop.van["id"],
        "lines": [{"article_id": workshop.part["id"], "quantity": 1}],
    }
    completed = by_type["intervention_completed"]
    assert (completed["covered_by"], completed["labour_minutes"], completed["travel_km"]) == ("none", 80, "18.50")
    assert completed["customer_id"] == workshop.file.customer
    assert company.get(f"{SAV}/tickets/{ticket['id']}").get_json()["status"] == "completed"
    # The van's stock goes down, pos drafts the invoice for the office to check, and the
    # customer file's timeline tells the intervention.
    wait_until(lambda: workshop.van_quantity() == 4)
    (draft,) = wait_until(lambda: invoices_of(company, workshop.file.customer))
    assert (draft["status"], draft["kind"]) == ("draft", "invoice")
    wait_until(lambda: "Intervention SAV" in str(timeline(company, workshop.file.customer)))


def test_a_pump_under_warranty_is_not_billed_and_goes_back_to_its_manufacturer_once(
    stack: Stack, workshop: Workshop, service_config: dict[str, Any]
) -> None:
    company = workshop.company
    kinds = ("intervention_completed", "warranty_return_requested", "warranty_return_status_changed")
    with sav_messages(service_config["AMQP_URI"], *kinds) as received:
        ticket = open_ticket(company, equipment_id=workshop.file.new_pump, channel="portal")
        assert ticket["covered_by"] == "manufacturer_warranty"
        assert ticket["coverage_reason"].startswith("sous garantie constructeur Pentair jusqu'au ")
        intervene(workshop, ticket, 14)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {
            "ticket_id": ticket["id"],
            "fault_description": "Moteur bloqué, disjoncte à la mise en route.",
            "error_code": "E07",
            "proof_of_purchase": "Facture FA-2026-00318",
        }
        first = company.post(f"{SAV}/warranty-returns", json=body, headers=key)
        again = company.post(f"{SAV}/warranty-returns", json=body, headers=key)  # a retry of the same request
        assert first.status_code == again.status_code == 201, first.get_json()
        assert again.get_json()["id"] == first.get_json()["id"]
        rma = first.get_json()
        accepted = company.post(
            f"{SAV}/warranty-returns/{rma['id']}/status-changes", json={"status": "accepted", "note": "RMA 55-1182"}
        )
        assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
        wrong = company.post(f"{SAV}/warranty-returns/{rma['id']}/status-changes", json={"status": "closed"})
        assert wrong.status_code == 422 and "status" in wrong.get_json()["errors"]
        wait_until(lambda: len(received()) >= 3)
        eventlet.sleep(1)  # a duplicate, were there one, would have arrived by now
        messages = received()
    assert sorted(event_type for event_type, _ in messages) == sorted(kinds)
    completed = next(data for event_type, data in messages if event_type == "intervention_completed")
    assert completed["covered_by"] == "manufacturer_warranty"
    assert invoices_of(company, workshop.file.customer) == []  # pos drafts no invoice for it
    requested = next(data for event_type, data in messages if event_type == "warranty_return_requested")
    assert (requested["brand"], requested["serial_number"], requested["return_id"]) == (
        "pentair",
        "PMP-2026-01",
        rma["id"],
    )
    assert "Durand" not in str(requested) and "example.fr" not in str(requested)


def test_an_overlapping_slot_is_a_409_and_a_back_to_back_one_is_booked(workshop: Workshop) -> None:
    company = workshop.company
    ticket = open_ticket(company, serial_number="PAC-2019-77")

    def book(starts: str, ends: str):
        return company.post(
            f"{SAV}/interventions",
            json={
                "ticket_id": ticket["id"],
                "technician_id": workshop.technician["id"],
                "starts_at": starts,
                "ends_at": ends,
            },
        )

    assert book(local(NEXT_MONDAY, 9), local(NEXT_MONDAY, 10)).status_code == 201
    clash = book(local(NEXT_MONDAY, 9, 30), local(NEXT_MONDAY, 10, 30))
    assert clash.status_code == 409 and clash.mimetype == "application/problem+json"
    assert book(local(NEXT_MONDAY, 10), local(NEXT_MONDAY, 11)).status_code == 201
    late = book(local(NEXT_MONDAY, 16, 30), local(NEXT_MONDAY, 17, 30))
    assert (late.status_code == 422 and "ends_at" in late.get_json()["errors"]) or "starts_at" in late.get_json()[
        "errors"
    ]
    day = company.get(f"{SAV}/technicians/{workshop.technician['id']}/day", query_string={"date": str(NEXT_MONDAY)})
    assert day.status_code == 200
    assert [i["starts_at"][11:16] for i in day.get_json()["interventions"]] == [
        datetime.fromisoformat(local(NEXT_MONDAY, h)).astimezone(UTC).strftime("%H:%M") for h in (9, 10)
    ]
    # The slot picker's choices: an hour and a half that overlaps neither booking.
    free = company.get(
        f"{SAV}/technicians/{workshop.technician['id']}/free-slots",
        query_string={"date": str(NEXT_MONDAY), "duration_minutes": 90},
    )
    assert free.status_code == 200, free.get_json()
    starts = [datetime.fromisoformat(s["starts_at"]) for s in free.get_json()["slots"]]
    taken = (datetime.fromisoformat(local(NEXT_MONDAY, 9)), datetime.fromisoformat(local(NEXT_MONDAY, 11)))
    assert starts and all(start + timedelta(minutes=90) <= taken[0] or start >= taken[1] for start in starts)
    assert datetime.fromisoformat(local(NEXT_MONDAY, 11)) in starts


def test_the_slip_is_verified_and_emailed_to_the_customer(
    workshop: Workshop, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sav import service

    monkeypatch.setenv("BASSIN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BASSIN_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("BASSIN_SMTP_SECURITY", "none")
    service.mailer.cache_clear()
    company = workshop.company
    ticket = open_ticket(company, serial_number="PAC-2019-77")
    done = intervene(workshop, ticket, 11)
    url = f"{SAV}/interventions/{done['id']}"
    check = company.get(f"{url}/slip-verification").get_json()
    assert check["intact"] is True and check["signed_hash"] == done["slip_hash"]
    sent = company.post(f"{url}/slip-sendings", json={})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["slip_sent_to"] == "durand@example.fr"
    mail = smtp_server.wait_for("durand@example.fr")
    assert ticket["number"] in mail["Subject"]
    [pdf] = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.get_content())).pages)
    text = " ".join(text.split())
    for expected in (
        f"Ticket n° {ticket['number']}",
        "Mme Durand",
        "Julien Martin",
        "Condensateur ventilateur PAC",
        done["slip_hash"],
    ):
        assert expected in text, (expected, text)
    late_edit = company.edit(f"{url}/report", read_from=url, json={"report": "Autre chose"})
    assert late_edit.status_code == 409
    service.mailer.cache_clear()


def test_a_ticket_is_qualified_through_its_category_s_questions(workshop: Workshop) -> None:
    company = workshop.company
    tree = company.post(
        f"{SAV}/question-trees",
        json={
            "category": "heat_pump",
            "questions": [
                {
                    "key": "code_shown",
                    "text": "L'afficheur indique-t-il un code erreur ?",
                    "choices": [{"value": "oui", "next": "which_code"}, {"value": "non"}],
                },
                {
                    "key": "which_code",
                    "text": "Lequel ?",
                    "choices": [
                        {
                            "value": "E03",
                            "service_code": "DIAG-PAC",
                            "parts": [{"article_id": workshop.part["id"], "quantity": 1}],
                        },
                        {"value": "autre"},
                    ],
                },
            ],
        },
    )
    assert tree.status_code == 201, tree.get_json()
    ticket = open_ticket(company, serial_number="PAC-2019-77")
    url = f"{SAV}/tickets/{ticket['id']}/qualification"
    assert company.get(url).get_json()["next_question"]["text"] == "L'afficheur indique-t-il un code erreur ?"
    wrong = company.post(url, json={"answers": [{"question": "code_shown", "answer": "peut-être"}]})
    assert wrong.status_code == 422 and wrong.get_json()["errors"] == {"answers[0].answer": ["one of: oui, non"]}
    answered = company.post(
        url,
        json={"answers": [{"question": "code_shown", "answer": "oui"}, {"question": "which_code", "answer": "E03"}]},
    )
    assert answered.status_code == 200, answered.get_json()
    stored = company.get(url).get_json()
    assert stored["complete"] and stored["suggested_service"]["id"] == workshop.service["id"]
    assert stored["suggested_parts"] == [{"article_id": workshop.part["id"], "quantity": 1}]


def test_the_route_of_the_day_is_proposed_and_recomputed_with_an_urgent_intervention(workshop: Workshop) -> None:
    company = workshop.company
    technician = company.post(
        f"{SAV}/technicians",
        json={"name": "Léa Roux", "base_latitude": "43.8367", "base_longitude": "4.3601", "work_ends": "18:00"},
    ).get_json()
    ticket = open_ticket(company, serial_number="PAC-2019-77")
    sites = [
        ("43.9000", "4.4500", "13:00", "18:00"),
        ("43.7800", "4.2500", None, None),
        ("43.9050", "4.4550", None, None),
    ]
    for n, (latitude, longitude, opens, closes) in enumerate(sites):
        booked = company.post(
            f"{SAV}/interventions",
            json={
                "ticket_id": ticket["id"],
                "technician_id": technician["id"],
                "starts_at": local(NEXT_MONDAY, 8 + n),
                "ends_at": local(NEXT_MONDAY, 8 + n, 45),
                "latitude": latitude,
                "longitude": longitude,
                "window_starts": opens,
                "window_ends": closes,
            },
        )
        assert booked.status_code == 201, booked.get_json()
    url = f"{SAV}/technicians/{technician['id']}/route"
    route = company.get(url, query_string={"date": str(NEXT_MONDAY)}).get_json()
    assert len(route["visits"]) == 3
    assert float(route["total_km"]) <= float(route["booked_order_km"])
    # The afternoon customer is seen in the afternoon, the two others in the morning.
    starts = {v["intervention_id"]: datetime.fromisoformat(v["starts_at"]) for v in route["visits"]}
    assert max(starts.values()).astimezone(domain.TIMEZONE).hour >= 13
    urgent = open_ticket(company, serial_number="PAC-2019-77", priority="urgent")
    inserted = company.post(
        f"{SAV}/interventions",
        json={
            "ticket_id": urgent["id"],
            "technician_id": technician["id"],
            "starts_at": local(NEXT_MONDAY, 11),
            "ends_at": local(NEXT_MONDAY, 11, 30),
            "latitude": "43.8400",
            "longitude": "4.3700",
            "window_starts": "11:00",
            "window_ends": "12:00",
        },
    )
    assert inserted.status_code == 201
    again = company.get(url, query_string={"date": str(NEXT_MONDAY)}).get_json()
    assert inserted.get_json()["id"] in [v["intervention_id"] for v in again["visits"]]
    urgent_visit = next(v for v in again["visits"] if v["intervention_id"] == inserted.get_json()["id"])
    assert 11 <= datetime.fromisoformat(urgent_visit["starts_at"]).astimezone(domain.TIMEZONE).hour < 12


# --- the technician's day (issue #27): what the phone downloads in the morning, in one request ---

DAY = "/api/v1/technician-days"


def test_the_day_brings_the_visit_its_pool_its_last_analysis_and_the_van(workshop: Workshop) -> None:
    company, file = workshop.company, workshop.file
    analysis = company.post(f"/api/v1/customers/pools/{file.pool}/analyses", json={"ph": "6.8", "free_chlorine": "0.4"})
    assert analysis.status_code == 201, analysis.get_json()
    ticket = open_ticket(company, serial_number="PAC-2019-77")
    scheduled = company.post(
        f"{SAV}/interventions",
        json={
            "ticket_id": ticket["id"],
            "technician_id": workshop.technician["id"],
            "service_id": workshop.service["id"],
            "starts_at": local(NEXT_MONDAY, 9),
        },
    )
    assert scheduled.status_code == 201, scheduled.get_json()

    answer = company.get(f"{DAY}/{workshop.technician['id']}", query_string={"date": NEXT_MONDAY.isoformat()})
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    assert (body["date"], body["day"]["status"]) == (NEXT_MONDAY.isoformat(), "ok")
    (visit,) = body["day"]["visits"]
    assert visit["intervention"]["id"] == scheduled.get_json()["id"]
    assert visit["intervention"]["checklist"][0] == {"label": "Relever le code erreur", "done": False}
    assert (visit["ticket"]["equipment_id"], visit["ticket"]["covered_by"]) == (file.old_heat_pump, "none")
    assert visit["file"]["status"] == "ok"
    assert visit["file"]["customer"]["display_name"].upper().startswith("DURAND")
    assert visit["file"]["site"]["city"] == "Nîmes"
    assert visit["file"]["pool"]["id"] == file.pool
    assert file.old_heat_pump in [e["id"] for e in visit["file"]["pool"]["equipment"]]
    assert [a["id"] for a in visit["file"]["analyses"]] == [analysis.get_json()["id"]]
    assert visit["file"]["contract"] is None
    van = body["van"]
    assert (van["status"], van["location_id"], van["complete"]) == ("ok", workshop.van["id"], True)
    assert [(line["article_id"], line["quantity"]) for line in van["lines"]] == [(workshop.part["id"], 5)]


def test_a_day_without_visits_and_another_company_s_technician(workshop: Workshop, stack) -> None:
    company = workshop.company
    empty = company.get(f"{DAY}/{workshop.technician['id']}", query_string={"date": "2030-01-07"})
    assert empty.status_code == 200 and empty.get_json()["day"]["visits"] == []
    other = stack.new_company()
    assert other.get(f"{DAY}/{workshop.technician['id']}").status_code == 404
