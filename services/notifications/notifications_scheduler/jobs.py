"""The scheduled jobs: what each calls, for which companies, for which days.

Each job is a scan of the service that owns the data, called by RPC for each company the
platform knows (``notifications.known_companies``), as the ``system`` role, for a day
(``as_of``). A scan is a level, not an edge: it handles everything due as of its day, and
what it produces has a natural key, so running it twice for a day creates nothing new.
The ledger (``notifications.missed_days`` / ``record_job_run``) says which days a job has
run for: a day the scheduler missed (down, or a scan failing) is run on the next start.

An owning service's scan not built yet (pos's, #22) is called by the name below (agreed in
docs/dev/event-contracts.md); until it answers, the job records nothing for the day and is
retried the next time (see services/notifications/README.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    service: str
    method: str
    payload: Callable[[date], dict[str, Any]]
    description: str


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "follow_up",
            "notifications",
            "run_follow_up_scan",
            lambda day: {"as_of": day.isoformat()},
            "Delayed rules whose day has come: follow-up calls, tomorrow's intervention reminders.",
        ),
        Job(
            "customers_daily",
            "customers",
            "daily_scan",
            lambda day: {"today": day.isoformat()},
            "customers' daily scan: contracts ending within 30 days (contract_expiring) and equipment "
            "near or past its expected life (equipment_end_of_life_approaching), each announced once.",
        ),
        Job(
            "overdue",
            "pos",
            "scan_overdue_invoices",
            lambda day: {"as_of": day.isoformat()},
            "Invoices past due with a balance: pos publishes invoice_overdue.",
        ),
        Job(
            "spring_opening",
            "notifications",
            "run_campaign",
            lambda day: {"campaign": "spring_opening", "as_of": day.isoformat()},
            "From 1 March: an action per customer under contract, to book the pool's opening.",
        ),
        Job(
            "autumn_closing",
            "notifications",
            "run_campaign",
            lambda day: {"campaign": "autumn_closing", "as_of": day.isoformat()},
            "From 15 September: an action per customer under contract, to book the winterizing.",
        ),
    )
}

Call = Callable[..., Any]  # call(service, method, *args, context=...) -> result


def system_context(company: str, job: str, day: date, run: str = "") -> dict[str, Any]:
    """The context of a job's call: the company, as the system; its request id names the
    job, the day and the company (and the run, for a job run several times a day), so an
    idempotent scan called again for the same day answers what it did the first time."""
    request = f"scheduler:{job}:{day.isoformat()}{run}:{company}"
    return {
        "tenant_id": company,
        "user_id": "scheduler",
        "roles": ["system"],
        "correlation_id": request,
        "request_id": request,
    }


def run_for_day(call: Call, job: Job, day: date, run: str = "") -> dict[str, Any]:
    """The job for one day, company by company; what failed is reported, not raised, so one
    company's failure does not stop the others'."""
    outcome: dict[str, Any] = {"companies": 0, "failed": {}, "results": [], "by_company": {}}
    for company in call("notifications", "known_companies"):
        try:
            context = system_context(company, job.name, day, run)
            result = call(job.service, job.method, job.payload(day), context=context)
            outcome["results"].append(result)
            outcome["by_company"][str(company)] = result
            outcome["companies"] += 1
        except Exception as error:
            outcome["failed"][company] = f"{type(error).__name__}: {error}"
            log.warning("job %s for %s, company %s: %s", job.name, day, company, error)
    return outcome


def run(call: Call, name: str, today: date) -> dict[str, dict[str, Any]]:
    """Run job ``name`` for each day it has to run for up to ``today`` (missed days first);
    a day is recorded as done only when every company's scan succeeded."""
    job = JOBS[name]
    done: dict[str, dict[str, Any]] = {}
    for raw in call("notifications", "missed_days", name, today.isoformat()):
        day = date.fromisoformat(raw)
        outcome = run_for_day(call, job, day)
        done[raw] = outcome
        if outcome["failed"]:
            log.warning("job %s for %s not recorded: %d company(ies) failed", name, raw, len(outcome["failed"]))
            break  # the next run starts again from this day
        call("notifications", "record_job_run", name, raw, {"companies": outcome["companies"]})
    return done
