"""The technician's day through the gateway (issue #27), on the real services: what the phone
downloads in the morning — the intervention, its ticket, the customer's file narrowed to the
pool (equipment, last analysis), and the van's stock — in one request."""

from __future__ import annotations

from typing import Any

from test_sav_flow import NEXT_MONDAY, SAV, Workshop, local, open_ticket, workshop  # noqa: F401 (a fixture)

from bassin_common.testing import wait_until

DAY = "/api/v1/technician-days"


def test_the_day_brings_the_visit_its_pool_its_last_analysis_and_the_van(workshop: Workshop) -> None:  # noqa: F811
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


def test_a_day_without_visits_and_another_company_s_technician(workshop: Workshop, stack) -> None:  # noqa: F811
    company = workshop.company
    empty = company.get(f"{DAY}/{workshop.technician['id']}", query_string={"date": "2030-01-07"})
    assert empty.status_code == 200 and empty.get_json()["day"]["visits"] == []
    other = stack.new_company()
    assert other.get(f"{DAY}/{workshop.technician['id']}").status_code == 404
