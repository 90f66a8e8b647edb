"""The scheduled jobs: what each calls, for which companies, for which days.

Each job is a scan of the service that owns the data, called by RPC for each company the
platform knows (``notifications.known_companies``), as the ``system`` role, for a day
(``as_of``). A scan is a level, not an edge: it handles everything due as of its day, and
what it produces has a natural key, so running it twice for a day creates nothing new.
The ledger (``notifications.missed_days`` / ``record_job_run``) says which days a job has
run for: a day the scheduler missed (down, or a scan failing) is run on the next start.

Owning services' scans that are not built yet (#20 customers, #22 pos) are called by the
names below; until they answer, the job records nothing for the day and is retried the
next time (see services/notifications/README.md).
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
            "end_of_life",
            "customers",
            "scan_equipment_end_of_life",
            lambda day: {"as_of": day.isoformat(), "life_used_percent": "90.00"},
            "Equipment past 90 % of its expected life: customers publishes "
            "equipment_end_of_life_approaching (an e-mail to the customer, a sales action).",
        ),
        Job(
            "contract_expiry",
            "customers",
            "scan_expiring_contracts",
            lambda day: {"as_of": day.isoformat(), "within_days": 30},
            "Maintenance contracts ending within 30 days: customers publishes contract_expiring.",
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


def system_context(company: str, job: str, day: date) -> dict[str, Any]:
    return {
        "tenant_id": company,
        "user_id": "scheduler",
        "roles": ["system"],
        "correlation_id": f"scheduler:{job}:{day.isoformat()}:{company}",
    }


def run_for_day(call: Call, job: Job, day: date) -> dict[str, Any]:
    """The job for one day, company by company; what failed is reported, not raised, so one
    company's failure does not stop the others'."""
    outcome: dict[str, Any] = {"companies": 0, "failed": {}, "results": []}
    for company in call("notifications", "known_companies"):
        try:
            result = call(job.service, job.method, job.payload(day), context=system_context(company, job.name, day))
            outcome["results"].append(result)
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
