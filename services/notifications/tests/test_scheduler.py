"""The scheduler: a Celery app with no nameko in it, whose jobs call the services by RPC
(kombu alone) for each company, once per day, catching up the days it missed."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from nameko import config as nameko_config

from bassin_common.events import Event
from bassin_common.testing import publish_event, rpc_client, wait_until
from notifications import usecases
from notifications_scheduler import jobs
from notifications_scheduler.rpc import RemoteError, RpcClient

DAY = date(2026, 5, 11)


def test_the_celery_app_imports_neither_nameko_nor_eventlet() -> None:
    code = (
        "import sys, notifications_scheduler.app as a; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('nameko', 'eventlet', 'bassin_common')]; "
        "assert not bad, bad; print(len(a.app.conf.beat_schedule))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


@pytest.fixture
def company(notifications, monkeypatch: pytest.MonkeyPatch) -> uuid.UUID:
    """A company the service knows, with a first contact recorded five days before DAY, no
    quote since: its follow-up is due two days before DAY."""
    clock = {"today": DAY - timedelta(days=5)}
    monkeypatch.setattr(usecases, "today", lambda: clock["today"])
    tenant = uuid.uuid4()
    contact = {
        "lead_id": str(uuid.uuid4()),
        "customer_id": str(uuid.uuid4()),
        "source": "téléphone",
        "contacted_on": (DAY - timedelta(days=5)).isoformat(),
        "salesperson_id": None,
    }
    publish_event(nameko_config["AMQP_URI"], Event("first_contact_recorded", tenant, "customers", contact))
    with rpc_client(tenant) as rpc:
        wait_until(lambda: str(tenant) in rpc.notifications.known_companies())
    clock["today"] = DAY
    return tenant


def open_actions(tenant: uuid.UUID) -> list[dict]:
    with rpc_client(tenant) as rpc:
        return rpc.notifications.list_actions({"inbox": "all"})["items"]


def test_a_job_runs_once_per_day_for_each_company_and_catches_up_missed_days(company: uuid.UUID) -> None:
    client = RpcClient(nameko_config["AMQP_URI"], timeout=30)
    wait_until(lambda: client.call("notifications", "missed_days", "follow_up", DAY.isoformat()))
    # The job ran three days before; the scheduler was down since.
    client.call("notifications", "record_job_run", "follow_up", (DAY - timedelta(days=3)).isoformat(), {})

    first = jobs.run(client.call, "follow_up", DAY)
    assert list(first) == [(DAY - timedelta(days=n)).isoformat() for n in (2, 1, 0)]  # missed days first
    fired = [result["fired"] for outcome in first.values() for result in outcome["results"]]
    assert sum(fired) == 1  # the follow-up, fired once (the first missed day it was due on)
    assert len(open_actions(company)) == 1

    assert jobs.run(client.call, "follow_up", DAY) == {}  # the same day again: nothing to run
    assert len(open_actions(company)) == 1


def test_a_job_whose_service_does_not_answer_is_not_recorded_and_runs_again(company: uuid.UUID) -> None:
    client = RpcClient(nameko_config["AMQP_URI"], timeout=5)
    wait_until(lambda: client.call("notifications", "known_companies"))
    outcome = jobs.run(client.call, "customers_daily", DAY)  # customers' scan: not running here
    assert "UnknownService" in outcome[DAY.isoformat()]["failed"][str(company)]
    assert client.call("notifications", "missed_days", "customers_daily", DAY.isoformat()) == [DAY.isoformat()]


def test_a_remote_error_comes_back_typed(company: uuid.UUID) -> None:
    client = RpcClient(nameko_config["AMQP_URI"], timeout=10)
    context = jobs.system_context(str(company), "follow_up", DAY)
    future = (DAY + timedelta(days=1)).isoformat()
    with pytest.raises(RemoteError) as refused:
        client.call("notifications", "run_follow_up_scan", {"as_of": future}, context=context)
    assert refused.value.exc_type == "ValidationFailed"


def test_a_real_celery_worker_runs_a_job_through_the_broker(
    company: uuid.UUID, tmp_path: Path, broker_users: dict[str, str]
) -> None:
    """As in production, the worker logs in to RabbitMQ as the scheduler's own user."""
    uri = broker_users["scheduler"]
    env = {**os.environ, "BASSIN_AMQP_URI": uri, "BASSIN_SCHEDULER_STATE": str(tmp_path / "beat-schedule")}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "notifications_scheduler.app",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        from notifications_scheduler.app import app, run_job

        app.conf.broker_url = uri
        run_job.apply_async(("follow_up", DAY.isoformat()))
        wait_until(lambda: open_actions(company), timeout=60)
        client = RpcClient(uri, timeout=30)
        assert client.call("notifications", "missed_days", "follow_up", DAY.isoformat()) == []
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_the_beat_starts_and_keeps_its_schedule_in_the_file_it_is_given(tmp_path: Path, service_config) -> None:
    state = tmp_path / "state" / "beat-schedule"
    state.parent.mkdir()
    env = {**os.environ, "BASSIN_AMQP_URI": service_config["AMQP_URI"]}
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "notifications_scheduler.app",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(state),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: list(state.parent.iterdir()), timeout=60)  # the schedule's shelve file(s)
    finally:
        beat.terminate()
        _, errors = beat.communicate(timeout=30)
    assert "beat: Starting" in errors
