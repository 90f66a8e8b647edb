"""Worksites as real processes (``nameko run`` and the gateway's server): a construction
order's event becomes a project, and the season auto-plan's solver, which runs in an OS
thread of the service, answers before the gateway stops waiting (its RPC timeout is 5 s
here: the solver's limit follows the caller's deadline)."""

from __future__ import annotations

import requests

from bassin_common.testing import publish_event, wait_until
from conftest import LiveStack, construction_order

API = "/api/v1/worksites"


def test_an_order_becomes_a_project_and_the_season_plan_answers_within_the_callers_deadline(
    live_stack: LiveStack,
) -> None:
    stack = live_stack
    headers = {**stack.auth, "Idempotency-Key": "crew-1"}
    crew = requests.post(
        f"{stack.url}{API}/crews",
        json={
            "name": "Équipe A",
            "skills": ["earthworks", "masonry", "plumbing", "waterproofing", "electrics", "finishing"],
        },
        headers=headers,
        timeout=15,
    )
    assert crew.status_code == 201, crew.text
    amqp_uri = stack.settings.amqp_uri.rsplit("/", 1)[0] + "/" + stack.vhost
    for _ in range(12):  # one crew for twelve pools: the solver uses all the time it is given
        publish_event(amqp_uri, construction_order(stack.tenant_id))
    wait_until(lambda: len(stack.every(f"{API}/projects")) == 12, timeout=60)

    proposed = requests.post(
        f"{stack.url}{API}/season-plans",
        json={"start_on": "2026-03-02", "time_limit_seconds": 9},  # more than the gateway waits
        headers={**stack.auth, "Idempotency-Key": "season-1"},
        timeout=30,
    )
    assert proposed.status_code == 201, proposed.text  # not 504: it answered before the gateway gave up
    assert len(proposed.json()["projects"]) == 12
    print(f"\nseason plan through real processes: {proposed.json()['solver']}")
    assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
    for process in stack.processes():
        process.assert_alive()
