"""Worksites' resources for the route matrix: a crew, a planned project (from a construction
order's event) and one of its steps, a pool type; and the company's shop and article known
to worksites (inventory's events), which bodies name."""

from __future__ import annotations

from bassin_common.testing import wait_until
from conftest import Company, Stack, count_rows, new_project
from worksites.schemas import PIXEL_PNG


def resources(stack: Stack, company: Company) -> dict[str, str]:
    crew = company.post(
        "/api/v1/worksites/crews",
        json={
            "name": "Équipe Durand",
            "skills": ["earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing"],
        },
    )
    assert crew.status_code == 201, crew.get_json()
    project = new_project(stack, company)
    planned = company.post(f"/api/v1/worksites/projects/{project['id']}/plan", json={"start_on": "2026-01-05"})
    assert planned.status_code == 200, planned.get_json()
    pool_types = company.get("/api/v1/worksites/pool-types").get_json()["items"]

    def inventory_known() -> bool:
        """worksites holds the company's shop and article (a body naming them is accepted)."""
        return (
            count_rows(stack, "worksites", "known_locations", company.tenant_id) >= 1
            and count_rows(stack, "worksites", "known_articles", company.tenant_id) >= 1
        )

    wait_until(inventory_known)
    proposal = company.post("/api/v1/worksites/season-plans", json={"start_on": "2026-01-05", "time_limit_seconds": 1})
    assert proposal.status_code == 201, proposal.get_json()
    layout = next(task for task in project["tasks"] if task["step_code"] == "layout")  # needs a crew
    photo = company.post(
        f"/api/v1/worksites/projects/{project['id']}/tasks/{layout['id']}/photos",
        json={"content_type": "image/png", "data": PIXEL_PNG, "caption": "Piquetage"},
    )
    assert photo.status_code == 201, photo.get_json()
    return {
        "crew_id": crew.get_json()["id"],
        "project_id": project["id"],
        "task_id": layout["id"],
        "pool_type_id": pool_types[0]["id"],
        "proposal_id": proposal.get_json()["id"],
        "photo_id": photo.get_json()["id"],
    }
