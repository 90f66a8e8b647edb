"""The Celery application: ``celery -A notifications_scheduler.app worker`` and
``celery -A notifications_scheduler.app beat`` (exactly one replica, its schedule kept in
``BASSIN_SCHEDULER_STATE``, on a persistent volume).

Broker: RabbitMQ (``BASSIN_AMQP_URI``), on its own vhost or the platform's; tasks are
acknowledged late (a worker that dies mid-job leaves it to another) and run one at a time
per worker process. No result backend: a job's outcome is in the notifications ledger and
the logs. Times are Europe/Paris, the companies' time.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

from celery import Celery
from celery.schedules import crontab

from notifications_scheduler import jobs
from notifications_scheduler.rpc import RpcClient

log = logging.getLogger(__name__)

TIMEZONE = "Europe/Paris"
RPC_TIMEOUT = float(os.environ.get("BASSIN_SCHEDULER_RPC_TIMEOUT", "120"))

app = Celery("bassin-scheduler", broker=os.environ.get("BASSIN_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672//"))
app.conf.update(
    timezone=TIMEZONE,
    enable_utc=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_time_limit=3600,
    task_soft_time_limit=3300,
    task_default_queue="bassin.scheduler",
    # Named, so Celery publishes to that exchange rather than to the default one, which the
    # scheduler's own RabbitMQ user may not write to (bassin_common.broker_users).
    task_routes={
        "bassin.*": {"queue": "bassin.scheduler", "exchange": "bassin.scheduler", "routing_key": "bassin.scheduler"}
    },
    broker_connection_retry_on_startup=True,
    beat_schedule_filename=os.environ.get("BASSIN_SCHEDULER_STATE", "celerybeat-schedule"),
    beat_schedule={
        # Hourly: tomorrow's reminders and follow-ups go out the morning their day comes.
        "follow-up-hourly": {"task": "bassin.run_job", "schedule": crontab(minute=5), "args": ("follow_up",)},
        "customers-daily": {
            "task": "bassin.run_job",
            "schedule": crontab(hour=6, minute=10),
            "args": ("customers_daily",),
        },
        "overdue-daily": {"task": "bassin.run_job", "schedule": crontab(hour=6, minute=30), "args": ("overdue",)},
        "spring-opening-daily": {
            "task": "bassin.run_job",
            "schedule": crontab(hour=7, minute=0, month_of_year="3-6"),
            "args": ("spring_opening",),
        },
        "autumn-closing-daily": {
            "task": "bassin.run_job",
            "schedule": crontab(hour=7, minute=0, month_of_year="9-11"),
            "args": ("autumn_closing",),
        },
    },
)


def today() -> datetime:
    return datetime.now(ZoneInfo(TIMEZONE))


@app.task(name="bassin.run_job", bind=True, max_retries=3, default_retry_delay=300)
def run_job(self, name: str, day: str | None = None) -> dict:
    """Run a job for its missed days and today (or up to ``day``, ISO). The follow-up job
    also runs hourly: the ledger records a day once, and the scan is idempotent, so the
    later runs of a day only pick up what became due since."""
    from datetime import date

    until = date.fromisoformat(day) if day else today().date()
    client = RpcClient(app.conf.broker_url, timeout=RPC_TIMEOUT)
    try:
        if name == "follow_up":  # hourly: run today's scan even once today is recorded
            outcome = jobs.run(client.call, name, until)
            if until.isoformat() not in outcome:
                run = f"T{today().hour:02d}"  # this hour's run of the day
                outcome[until.isoformat()] = jobs.run_for_day(client.call, jobs.JOBS[name], until, run)
            return outcome
        return jobs.run(client.call, name, until)
    except Exception as error:  # the notifications service itself unreachable: later
        log.warning("job %s: %s; retrying in %ss", name, error, self.default_retry_delay)
        raise self.retry(exc=error) from error
