"""SAV's resources for the route matrix: the company's customer file as SAV copied it (a
customers area's pump under manufacturer warranty), a van and a technician, a standard
service, a question tree for the pump, a ticket, an intervention at version 1, and a
manufacturer return on a second ticket.

The customer file is the customers area's, which SAV copies from customers' events; the
van and the part come from inventory through its events."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bassin_common.testing import wait_until
from conftest import Company, Stack
from sav import domain

SAV = "/api/v1/sav"


def created(company: Company, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` once SAV has copied what it names from other services' events."""

    def attempt() -> dict[str, Any] | None:
        response = company.post(url, json=body)
        assert response.status_code in (201, 422), response.get_json()
        return response.get_json() if response.status_code == 201 else None

    return wait_until(attempt)


def resources(stack: Stack, company: Company, made: dict[str, str]) -> dict[str, str]:
    # The customers area's pump (under manufacturer warranty), once SAV has its copy.
    ids: dict[str, str] = {}
    wait_until(lambda: company.get(f"{SAV}/equipment/{made['equipment_id']}").status_code == 200)
    van = company.post("/api/v1/inventory/locations", json={"code": "CAM-SAV", "name": "Camion SAV", "kind": "van"})
    assert van.status_code == 201, van.get_json()
    ids["van_location_id"] = van.get_json()["id"]
    technician = created(
        company,
        f"{SAV}/technicians",
        {"name": "Julien Martin", "skills": ["heat_pump"], "van_location_id": ids["van_location_id"]},
    )
    service = created(
        company,
        f"{SAV}/standard-services",
        {
            "code": "DIAG-PAC",
            "name": "Diagnostic pompe à chaleur",
            "duration_minutes": 90,
            "skill": "heat_pump",
            "checklist": ["Relever le code erreur", "Contrôler les pressions"],
            "parts": [{"article_id": company.article["id"], "quantity": 1}],
        },
    )
    tickets = [
        created(
            company,
            f"{SAV}/tickets",
            {"equipment_id": made["equipment_id"], "channel": "phone", "description": "Pompe bruyante."},
        )
        for _ in range(2)
    ]
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    intervention = created(
        company,
        f"{SAV}/interventions",
        {
            "ticket_id": tickets[0]["id"],
            "technician_id": technician["id"],
            "service_id": service["id"],
            "starts_at": datetime.combine(monday, time(14), domain.TIMEZONE).isoformat(),
        },
    )
    warranty_return = created(
        company,
        f"{SAV}/warranty-returns",
        {"ticket_id": tickets[1]["id"], "fault_description": "Moteur bloqué.", "proof_of_purchase": "FA-2026-1"},
    )
    tree = created(
        company,
        f"{SAV}/question-trees",
        {
            "category": "pump",
            "questions": [
                {
                    "key": "error_code_shown",
                    "text": "Le coffret affiche-t-il un défaut ?",
                    "choices": [{"value": "yes", "service_code": "DIAG-PAC"}, {"value": "no"}],
                }
            ],
        },
    )
    return {
        **ids,
        "tree_id": tree["id"],
        "ticket_id": tickets[0]["id"],
        "technician_id": technician["id"],
        "service_id": service["id"],
        "intervention_id": intervention["id"],
        "return_id": warranty_return["id"],
    }
