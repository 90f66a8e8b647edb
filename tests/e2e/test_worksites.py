"""Worksites through the gateway, on real PostgreSQL and RabbitMQ: pool types, projects
from customers' ``order_confirmed``, the planner, steps on site, the handover, the portal."""

from __future__ import annotations

import base64
import io
import time
import uuid
from datetime import date, timedelta
from typing import Any

import pypdf
from sqlalchemy import create_engine, text

from bassin_common.testing import publish_event, wait_until
from bassin_gateway import identities
from conftest import PASSWORD, Company, Stack, construction_order, count_rows, new_project
from worksites.domain import Crew, Slot, Task, WorkCalendar
from worksites.schemas import PIXEL_PNG
from worksites.season import SeasonProject, violations

API = "/api/v1/worksites"
EVERY_SKILL = ["earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing"]


def emitted(stack: Stack, company: Company, event_type: str) -> list[dict[str, Any]]:
    """The data of every ``event_type`` worksites wrote to its outbox for the company."""
    return emitted_by(stack, "worksites", company, event_type)


def login_as(stack: Stack, company: Company, roles: tuple[str, ...], customer_id: uuid.UUID | None = None) -> dict:
    email = f"{roles[0]}-{uuid.uuid4().hex[:8]}@example.fr"
    with stack.sessions() as session:
        identities.create_user(session, company.tenant_id, email, PASSWORD, "Quelqu'un", roles, customer_id)
        session.commit()
    token = stack.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}", "Idempotency-Key": str(uuid.uuid4())}


def task(project: dict[str, Any], code: str) -> dict[str, Any]:
    return next(t for t in project["tasks"] if t["step_code"] == code)


def test_a_company_starts_with_thirty_pool_types_and_edits_a_template(stack: Stack) -> None:
    company = stack.new_company()
    types = company.every(f"{API}/pool-types")
    assert len(types) == 30
    concrete = next(t for t in types if t["code"] == "BET-R8")
    pool_type = company.get(f"{API}/pool-types/{concrete['id']}").get_json()
    assert [s["step_code"] for s in pool_type["steps"]][:3] == ["permit", "layout", "earthworks"]
    assert len(pool_type["steps"]) == 13
    structure = next(s for s in pool_type["steps"] if s["step_code"] == "structure")
    assert structure["milestone_percent"] == "40.00"
    assert structure["order_trigger"] == {"for_step": "waterproofing", "lead_days": 21}

    steps = pool_type["steps"]
    waterproofing = next(s for s in steps if s["step_code"] == "waterproofing")
    waterproofing["materials"][0]["article_id"] = company.article["id"]  # link the liner to the catalogue
    body = {k: pool_type[k] for k in ("code", "name", "structure", "shape", "length_m", "width_m", "mean_depth_m")}
    wait_until(lambda: count_rows(stack, "worksites", "known_articles", company.tenant_id))
    edited = company.edit(f"{API}/pool-types/{concrete['id']}", json={**body, "steps": steps})
    assert edited.status_code == 200, edited.get_json()
    assert edited.headers["ETag"] == '"2"'

    looping = [
        {**s, "depends_on": [{"step_code": "filling", "lag_days": 0}]} if s["step_code"] == "permit" else s
        for s in steps
    ]
    refused = company.edit(f"{API}/pool-types/{concrete['id']}", json={**body, "steps": looping})
    assert refused.status_code == 422 and "circle" in str(refused.get_json()["errors"])
    unknown = company.post(
        f"{API}/pool-types",
        json={
            **body,
            "code": "BET-X",
            "steps": [{**steps[0], "materials": [{**steps[8]["materials"][0], "article_id": str(uuid.uuid4())}]}],
        },
    )
    assert unknown.status_code == 422 and "steps[0].materials[0].article_id" in unknown.get_json()["errors"]


def test_a_construction_order_becomes_one_project_with_its_template_and_payment_schedule(stack: Stack) -> None:
    company = stack.new_company()
    order_id = uuid.uuid4()
    project = new_project(stack, company, order_id=order_id)
    assert project["pool_type_code"] == "BET-R8" and project["status"] == "open"
    assert len(project["tasks"]) == 13
    liner = task(project, "waterproofing")["materials"][0]
    assert (liner["description"], liner["quantity"]) == ("Liner 75/100", 52)  # 1.6 x 32 m², rounded up
    schedule = {line["step_code"]: (line["percent"], line["amount_incl_vat"]) for line in project["payment_schedule"]}
    assert schedule == {
        "order": ("30.00", "11700.00"),
        "structure": ("40.00", "15600.00"),
        "waterproofing": ("25.00", "9750.00"),
        "filling": ("5.00", "1950.00"),
    }
    assert emitted(stack, company, "project_created")[0]["order_id"] == str(order_id)

    # The same order again (a second event for it), and a service order: no new project.
    publish_event(stack.settings.amqp_uri, construction_order(company.tenant_id, order_id=order_id))
    service = construction_order(company.tenant_id)
    service.data["kind"] = "service"
    publish_event(stack.settings.amqp_uri, service)
    marker = new_project(stack, company)  # events of one producer arrive in order: those are handled
    assert {p["id"] for p in company.every(f"{API}/projects")} == {project["id"], marker["id"]}

    # The office edits the schedule (If-Match), refused when it does not add up to 100.
    url = f"{API}/projects/{project['id']}"
    bad = company.edit(url, json={"payment_schedule": [{"step_code": "structure", "percent": "50.00"}]})
    assert bad.status_code == 422 and "payment_schedule" in bad.get_json()["errors"]
    good = [{"step_code": "order", "percent": "50.00"}, {"step_code": "structure", "percent": "50.00"}]
    assert company.edit(url, json={"payment_schedule": good}).status_code == 200


def test_planning_with_crews_moves_blocks_and_a_crews_week(stack: Stack) -> None:
    company = stack.new_company()
    everyone = company.post(f"{API}/crews", json={"name": "Équipe A", "skills": EVERY_SKILL}).get_json()
    project = new_project(stack, company)
    url = f"{API}/projects/{project['id']}"
    planned = company.post(f"{url}/plan", json={"start_on": "2026-03-02"})
    assert planned.status_code == 200, planned.get_json()
    assert planned.get_json()["filling_date"] == "2026-05-11"
    structure = task(planned.get_json()["project"], "structure")
    assert (structure["planned_start"], structure["crew_id"]) == ("2026-04-14", everyone["id"])

    # A second project's structure cannot take the same crew the same days.
    other = new_project(stack, company)
    company.post(f"{API}/projects/{other['id']}/plan", json={"start_on": "2026-03-02"})
    clash = company.post(
        f"{API}/projects/{other['id']}/tasks/{task(other, 'layout')['id']}/move",
        json={"start_on": "2026-04-14", "crew_id": everyone["id"]},
    )
    assert clash.status_code == 409 and "2026-04-14" in clash.get_json()["detail"]

    # A preview shows what a move would do and saves nothing; a refused one says why, in data.
    preview = company.post(f"{url}/tasks/{structure['id']}/move-preview", json={"start_on": "2026-04-21"})
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["possible"] and preview.get_json()["filling_date"] > "2026-05-11"
    assert company.get(url).get_json()["filling_date"] == "2026-05-11"
    refused = company.post(f"{url}/tasks/{structure['id']}/move-preview", json={"start_on": "2026-04-01"})
    assert refused.get_json()["refusals"][0]["kind"] == "too_early"

    # Moving before the predecessors allow is refused; a delay re-plans what follows.
    early = company.post(f"{url}/tasks/{structure['id']}/move", json={"start_on": "2026-04-01"})
    assert early.status_code == 422 and "start_on" in early.get_json()["errors"]
    delayed = company.post(f"{url}/tasks/{structure['id']}/move", json={"start_on": "2026-04-21"})
    assert delayed.status_code == 200, delayed.get_json()
    result = delayed.get_json()
    assert result["old_filling_date"] == "2026-05-11" and result["filling_date"] > "2026-05-11"
    assert "backfill" in {m["step_code"] for m in result["moved"]} and "slab" not in {
        m["step_code"] for m in result["moved"]
    }

    # A drought order blocks the filling until the end of August.
    filling = task(result["project"], "filling")
    blocked = company.post(
        f"{url}/tasks/{filling['id']}/block", json={"reason": "Arrêté sécheresse (crise)", "until": "2026-08-31"}
    )
    assert blocked.status_code == 200 and blocked.get_json()["filling_date"] == "2026-09-01"
    assert emitted(stack, company, "project_blocked")[0]["until"] == "2026-08-31"

    week = company.get(
        f"{API}/crews/{everyone['id']}/agenda", query_string={"first_day": "2026-04-27", "last_day": "2026-05-03"}
    )
    assert week.status_code == 200
    assert {e["step_code"] for e in week.get_json()["entries"]} >= {"structure"}


def link_liner_to_the_catalogue(stack: Stack, company: Company) -> None:
    """The BET-R8 template's liner becomes the company's catalogue article."""
    wait_until(lambda: count_rows(stack, "worksites", "known_articles", company.tenant_id))
    concrete = next(t for t in company.every(f"{API}/pool-types") if t["code"] == "BET-R8")
    pool_type = company.get(f"{API}/pool-types/{concrete['id']}").get_json()
    waterproofing = next(s for s in pool_type["steps"] if s["step_code"] == "waterproofing")
    waterproofing["materials"][0]["article_id"] = company.article["id"]
    body = {k: pool_type[k] for k in ("code", "name", "structure", "shape", "length_m", "width_m", "mean_depth_m")}
    assert (
        company.edit(f"{API}/pool-types/{concrete['id']}", json={**body, "steps": pool_type["steps"]}).status_code
        == 200
    )


def emitted_by(stack: Stack, service: str, company: Company, event_type: str) -> list[dict[str, Any]]:
    engine = create_engine(stack.settings.service_database_url(service))
    with engine.connect() as connection:
        rows = connection.scalars(
            text("SELECT payload FROM outbox WHERE routing_key = :t AND payload->>'tenant_id' = :tenant ORDER BY id"),
            {"t": event_type, "tenant": str(company.tenant_id)},
        ).all()
    engine.dispose()
    return [row["data"] for row in rows]


class Site:
    """A project of a company, its liner linked to the catalogue and its shop as stock location,
    planned, and a technician to run its steps."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.company = company = stack.new_company()
        link_liner_to_the_catalogue(stack, company)
        company.post(f"{API}/crews", json={"name": "Équipe A", "skills": EVERY_SKILL})
        # The customer and the site the pool is built on, in the customer file (customers
        # tells pos and worksites by its events).
        customer = company.post(
            "/api/v1/customers/customers",
            json={
                "kind": "private",
                "first_name": "Loïc",
                "last_name": "Bérard",
                "billing_address": {"line1": "3 impasse des Pins", "postcode": "34000", "city": "Montpellier"},
                "sites": [
                    {"label": "Maison", "line1": "3 impasse des Pins", "postcode": "34000", "city": "Montpellier"}
                ],
            },
        )
        assert customer.status_code == 201, customer.get_json()
        self.customer_id = uuid.UUID(customer.get_json()["id"])
        site_id = uuid.UUID(customer.get_json()["sites"][0]["id"])
        self.project = new_project(stack, company, customer_id=self.customer_id, site_id=site_id)
        self.url = f"{API}/projects/{self.project['id']}"
        wait_until(lambda: count_rows(stack, "worksites", "known_locations", company.tenant_id))
        assert company.edit(self.url, json={"location_id": company.shop["id"]}).status_code == 200
        assert company.post(f"{self.url}/plan", json={"start_on": "2026-03-02"}).status_code == 200
        self.technician = login_as(stack, company, ("technician",))

    def run(self, code: str, action: str, headers: dict | None = None) -> Any:
        headers = {**(headers or self.technician), "Idempotency-Key": str(uuid.uuid4())}
        return self.stack.client.post(f"{self.url}/tasks/{task(self.project, code)['id']}/{action}", headers=headers)

    def build(self, *codes: str) -> None:
        for code in codes:
            assert self.run(code, "start").status_code == 200, code
            assert self.run(code, "complete").status_code == 200, code

    def build_to_filling(self) -> None:
        self.build(*BEFORE_FILLING)
        assert self.run("filling", "start").status_code == 200

    def hand_over(self) -> Any:
        """The handover report, dated the day the filling started (today)."""
        today = self.company.get(self.url).get_json()["tasks"][-1]["started_at"][:10]
        return self.stack.client.post(
            f"{self.url}/handover",
            json={
                "handover_on": today,
                "reserves": ["Margelle fissurée côté escalier"],
                "equipment": [
                    {
                        "category": "pump",
                        "brand": "Pentair",
                        "model": "SuperFlo VS",
                        "serial_number": "PF-1",
                        "warranty_months": 36,
                    }
                ],
            },
            headers={**self.technician, "Idempotency-Key": str(uuid.uuid4())},
        )


BEFORE_STRUCTURE = ("permit", "layout", "earthworks", "drainage", "slab")
BEFORE_FILLING = (
    *BEFORE_STRUCTURE,
    "structure",
    "hydraulics",
    "backfill",
    "waterproofing",
    "coping",
    "technical_room",
    "safety_device",
)


def test_steps_on_site_milestones_materials_handover_and_roles(stack: Stack) -> None:
    site = Site(stack)
    customer_id = site.customer_id
    company, url = site.company, site.url
    sales = login_as(stack, company, ("sales",))

    assert site.run("layout", "start").status_code == 409  # the permit is not done
    assert company.get(f"{url}/handover-report").status_code == 409  # not handed over yet
    assert site.run("permit", "start", sales).status_code == 403  # a salesperson reads only
    assert stack.client.get(url, headers=sales).status_code == 200
    site.build(*BEFORE_STRUCTURE)

    started = site.run("structure", "start")
    assert started.status_code == 200 and started.get_json()["status"] == "in_progress"
    (due,) = emitted(stack, company, "materials_order_due")
    assert due["for_step_code"] == "waterproofing"
    assert due["lines"][0] == {
        "article_id": company.article["id"],
        "quantity": 52,
        "description": "Liner 75/100",
        "unit": "m2",
    }
    note = stack.client.post(
        f"{url}/tasks/{task(site.project, 'structure')['id']}/notes",
        json={"text": "Ferraillage contrôlé."},
        headers={**site.technician, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert note.status_code == 201
    assert site.run("structure", "complete").status_code == 200
    completed = {e["step_code"]: e for e in emitted(stack, company, "task_completed")}
    assert completed["structure"]["milestone_percent"] == "40.00"
    assert completed["structure"]["project_total_incl_vat"] == "39000.00"
    assert completed["slab"]["milestone_percent"] is None

    site.build("hydraulics", "backfill", "waterproofing")
    liner = [{"article_id": company.article["id"], "quantity": 52}]
    (reserved,) = emitted(stack, company, "materials_reserved")
    (consumed,) = emitted(stack, company, "materials_consumed")
    assert reserved["lines"] == consumed["lines"] == liner
    assert reserved["location_id"] == consumed["location_id"] == company.shop["id"]

    site.build("coping", "technical_room", "safety_device")
    assert site.run("filling", "start").status_code == 200
    assert site.run("filling", "complete").status_code == 409  # the handover report completes it
    handover = site.hand_over()
    assert handover.status_code == 200, handover.get_json()
    assert handover.get_json()["status"] == "completed"
    (done,) = emitted(stack, company, "project_completed")
    today = done["handover_on"]
    assert done["pool"]["pool_type_code"] == "BET-R8" and done["reserves"] == ["Margelle fissurée côté escalier"]
    assert done["equipment"][0]["serial_number"] == "PF-1"
    assert done["guarantees"]["ten_year"] == str(int(today[:4]) + 10) + today[4:]
    assert emitted(stack, company, "task_completed")[-1]["milestone_percent"] == "5.00"

    # The handover report, to print and sign, with the customer file's name and address.
    name = company.get(f"/api/v1/customers/customers/{customer_id}").get_json()["display_name"]
    wait_until(lambda: company.get(url).get_json()["customer_name"] == name)
    report = company.get(f"{url}/handover-report")
    assert report.status_code == 200 and report.get_json()["content_type"] == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(base64.b64decode(report.get_json()["data"])))
    printed = " ".join("".join(page.extract_text() for page in pdf.pages).split())
    for expected in ("Procès-verbal de réception", name, "34000 Montpellier", "Margelle fissurée", "PF-1"):
        assert expected in printed, (expected, printed)
    assert (
        "Garantie décennale : jusqu'au " + date.fromisoformat(done["guarantees"]["ten_year"]).strftime("%d/%m/%Y")
        in printed
    )

    # The customer sees their own project's progress, and no one else's.
    mine = login_as(stack, company, ("customer",), customer_id)
    theirs = login_as(stack, company, ("customer",), uuid.uuid4())
    own = stack.client.get(f"/api/v1/portal/worksites/projects/{site.project['id']}", headers=mine)
    assert own.status_code == 200 and own.get_json()["progress_percent"] == 100
    assert (
        stack.client.get(f"/api/v1/portal/worksites/projects/{site.project['id']}", headers=theirs).status_code == 404
    )
    assert stack.client.get("/api/v1/portal/worksites/projects", headers=theirs).get_json()["items"] == []
    assert stack.client.get(url, headers=mine).status_code == 403


# --- with the services on the other side of the events ---


def test_the_structure_milestone_becomes_one_payment_request_in_pos(stack: Stack) -> None:
    site = Site(stack)
    site.build(*BEFORE_STRUCTURE, "structure")

    def requested() -> list[dict[str, Any]]:
        query = {"project_id": site.project["id"], "kind": "deposit"}
        return site.company.get("/api/v1/pos/invoices", query_string=query).get_json()["items"]

    (request,) = wait_until(requested)  # a draft for the office to check, then issue and send
    assert (request["status"], request["percent"], request["total_incl_vat"]) == ("draft", "40.00", "15600.00")
    site.build("hydraulics")  # later events handled: still one request for the structure
    wait_until(lambda: emitted(stack, site.company, "task_completed")[-1]["step_code"] == "hydraulics")
    assert len(requested()) == 1


def test_the_liner_leaves_the_stock_when_the_waterproofing_is_done(stack: Stack) -> None:
    site = Site(stack)
    before = site.company.shop_quantity()
    site.build(*BEFORE_FILLING)
    wait_until(lambda: site.company.shop_quantity() == before - 52)


def test_the_handover_registers_the_pool_and_its_equipment_in_the_customer_file(stack: Stack) -> None:
    site = Site(stack)
    site.build_to_filling()
    assert site.hand_over().status_code == 200

    def installed() -> list[dict[str, Any]]:
        return [
            e
            for e in emitted_by(stack, "customers", site.company, "equipment_installed")
            if e["serial_number"] == "PF-1"
        ]

    (pump,) = wait_until(installed)
    handover_on = date.fromisoformat(emitted(stack, site.company, "project_completed")[0]["handover_on"])
    assert pump["installed_on"] == handover_on.isoformat()
    months = handover_on.month - 1 + 36
    assert pump["warranty_ends_on"][:7] == f"{handover_on.year + months // 12}-{months % 12 + 1:02d}"


def test_the_season_auto_plan_is_a_proposal_applied_only_when_accepted(stack: Stack) -> None:
    company = stack.new_company()
    crews = [
        company.post(f"{API}/crews", json={"name": "Terrassement", "skills": ["earthworks"]}).get_json(),
        company.post(f"{API}/crews", json={"name": "Maçonnerie", "skills": ["masonry", "plumbing"]}).get_json(),
        company.post(
            f"{API}/crews",
            json={
                "name": "Finitions (sous-traitant)",
                "kind": "subcontractor",
                "skills": ["waterproofing", "electrics", "finishing"],
            },
        ).get_json(),
    ]
    first = new_project(stack, company, promised_filling_date="2026-05-15")
    second = new_project(stack, company, promised_filling_date="2026-05-04", pool_type_code="PAN-R8")
    proposed = company.post(f"{API}/season-plans", json={"start_on": "2026-03-02", "time_limit_seconds": 3})
    assert proposed.status_code == 201, proposed.get_json()
    proposal = proposed.get_json()
    assert proposal["status"] == "proposed" and proposal["solver"].startswith("cp-sat")
    assert {p["project_id"] for p in proposal["projects"]} == {first["id"], second["id"]}
    assert len(proposal["assignments"]) == 26
    assert {a["crew_id"] for a in proposal["assignments"]} - {None} <= {c["id"] for c in crews}
    # Nothing moved yet.
    assert all(t["planned_start"] is None for t in company.get(f"{API}/projects/{first['id']}").get_json()["tasks"])

    accepted = company.post(f"{API}/season-plans/{proposal['id']}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    planned = {t["id"]: t for t in company.get(f"{API}/projects/{second['id']}").get_json()["tasks"]}
    for assignment in (a for a in proposal["assignments"] if a["project_id"] == second["id"]):
        got = planned[assignment["task_id"]]
        assert (got["planned_start"], got["crew_id"]) == (assignment["start"], assignment["crew_id"])
    filling = next(p for p in proposal["projects"] if p["project_id"] == second["id"])["filling_date"]
    assert company.get(f"{API}/projects/{second['id']}").get_json()["filling_date"] == filling
    assert company.post(f"{API}/season-plans/{proposal['id']}/accept").status_code == 409


def test_photos_of_a_step(stack: Stack) -> None:
    company = stack.new_company()
    project = new_project(stack, company)
    url = f"{API}/projects/{project['id']}/tasks/{task(project, 'slab')['id']}/photos"
    technician = login_as(stack, company, ("technician",))
    sent = stack.client.post(
        url, json={"content_type": "image/png", "data": PIXEL_PNG, "caption": "Ferraillage"}, headers=technician
    )
    assert sent.status_code == 201, sent.get_json()
    assert (sent.get_json()["size"], sent.get_json()["caption"]) == (70, "Ferraillage")
    (listed,) = company.every(url)
    assert listed["id"] == sent.get_json()["id"] and "data" not in listed
    assert company.get(f"{url}/{listed['id']}").get_json()["data"] == PIXEL_PNG

    not_an_image = base64.b64encode(b"%PDF-1.7 pas une photo").decode()
    refused = company.post(url, json={"content_type": "image/jpeg", "data": not_an_image})
    assert refused.status_code == 422 and "data" in refused.get_json()["errors"]
    assert company.post(url, json={"content_type": "image/png", "data": "pas du base64!"}).status_code == 422
    assert len(company.every(url)) == 1


def test_a_crew_with_its_holidays_is_edited_with_its_etag(stack: Stack) -> None:
    company = stack.new_company()
    holidays = [{"first_day": "2026-08-03", "last_day": "2026-08-21", "reason": "Congés"}]
    created = company.post(f"{API}/crews", json={"name": "Équipe B", "skills": ["masonry"], "unavailable": holidays})
    assert created.status_code == 201, created.get_json()
    crew = created.get_json()
    assert crew["unavailable"] == holidays and crew["kind"] == "internal"
    url = f"{API}/crews/{crew['id']}"
    body = {"name": "Équipe B", "kind": "subcontractor", "skills": ["masonry", "plumbing"], "unavailable": holidays}
    edited = company.edit(url, json=body)
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    assert company.put(url, json=body, headers={"If-Match": '"1"'}).status_code == 412
    backwards = [{"first_day": "2026-08-21", "last_day": "2026-08-03"}]
    refused = company.edit(url, json={**body, "unavailable": backwards})
    assert refused.status_code == 422 and "unavailable[0].last_day" in refused.get_json()["errors"]
    assert [c["name"] for c in company.every(f"{API}/crews")] == ["Équipe B"]


def test_the_season_auto_plan_of_25_projects_and_5_crews_answers_within_10_seconds(stack: Stack) -> None:
    """Through the gateway, on this machine: the proposal comes back within 10 s and the
    independent validator finds no broken dependency, skill or availability rule."""
    company = stack.new_company()
    crews = [
        {"name": "Terrassement Roux", "skills": ["earthworks"]},
        {
            "name": "Maçonnerie Durand",
            "skills": ["masonry"],
            "unavailable": [{"first_day": "2026-05-04", "last_day": "2026-05-15"}],
        },
        {"name": "Maçonnerie Petit", "skills": ["masonry", "plumbing", "earthworks"]},
        {"name": "Étanchéité Blanc", "skills": ["waterproofing", "finishing"]},
        {"name": "Électricité Moreau", "kind": "subcontractor", "skills": ["electrics", "plumbing", "finishing"]},
    ]
    made = [company.post(f"{API}/crews", json=crew).get_json() for crew in crews]
    codes = ["BET-R8", "BLO-R10", "PAN-R8", "COQ-R7", "KIT-O8"]
    events = [
        construction_order(
            company.tenant_id,
            pool_type_code=codes[n % 5],
            promised_filling_date=(date(2026, 5, 11) + timedelta(days=6 * n)).isoformat(),
        )
        for n in range(25)
    ]
    for event in events:
        publish_event(stack.settings.amqp_uri, event)
    wait_until(lambda: len(company.every(f"{API}/projects")) == 25, timeout=60)

    began = time.monotonic()
    proposed = company.post(f"{API}/season-plans", json={"start_on": "2026-03-02"})
    elapsed = time.monotonic() - began
    assert proposed.status_code == 201, proposed.get_json()
    proposal = proposed.get_json()
    print(
        f"\nseason auto-plan through the gateway: {elapsed:.2f} s, {proposal['solver']}, "
        f"{proposal['total_lateness_days']} working days late in all"
    )
    assert elapsed < 10

    projects = [company.get(f"{API}/projects/{p['id']}").get_json() for p in company.every(f"{API}/projects")]
    season_projects = [
        SeasonProject(
            p["id"],
            tuple(
                Task(
                    t["id"],
                    t["step_code"],
                    t["duration_days"],
                    tuple((d["step_code"], d["lag_days"]) for d in t["depends_on"]),
                    t["skill"],
                )
                for t in p["tasks"]
            ),
            date.fromisoformat(p["promised_filling_date"]),
        )
        for p in projects
    ]
    domain_crews = [
        Crew(
            c["id"],
            c["name"],
            frozenset(c["skills"]),
            tuple((date.fromisoformat(u["first_day"]), date.fromisoformat(u["last_day"])) for u in c["unavailable"]),
        )
        for c in made
    ]
    slots = {
        a["task_id"]: Slot(date.fromisoformat(a["start"]), date.fromisoformat(a["end"]), a["crew_id"])
        for a in proposal["assignments"]
    }
    assert len(slots) == 25 * 13 - 5  # the shells have no waterproofing step
    assert violations(season_projects, domain_crews, slots, WorkCalendar()) == []
