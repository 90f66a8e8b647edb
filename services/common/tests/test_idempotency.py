"""Idempotent RPCs on a real database, through units of work: a request id is executed once,
its repeats get the first response, a repeat with another body is refused, and a
concurrent repeat waits for the first and gets its response."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import eventlet
import pytest
from common_test_models import Widget
from sqlalchemy import func, select, text

from bassin_common import idempotency
from bassin_common.errors import ValidationFailed
from bassin_common.tenancy import TENANT_KEY, RequestContext
from bassin_common.testing import recorded_statements, someone_waits_on_a_lock, wait_until
from bassin_common.uow import UnitOfWork

RPC = "make_widget"


class MakeWidget:
    """An RPC's use case and response, counting how often it really ran."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, sessions: Any, tenant: uuid.UUID, request_id: str | None, name: str) -> Any:
        context = RequestContext(tenant, request_id=request_id)
        # As the RPC adapter opens it (``service.rpc``): claiming first when there is a key.
        with UnitOfWork(sessions, context, "tests", claims_first=idempotency.claims(context)) as uow:
            return idempotency.run_once(uow, RPC, idempotency.fingerprint({"name": name}), lambda: self.run(uow, name))

    def run(self, uow: UnitOfWork, name: str) -> dict[str, str]:
        self.runs += 1
        widget = Widget(name=name)
        uow.session.add(widget)
        uow.session.flush()
        return {"id": str(widget.id), "name": name}


def widgets(sessions: Any, tenant: uuid.UUID) -> int:
    with sessions(info={TENANT_KEY: tenant}) as session:
        return session.scalar(select(func.count()).select_from(Widget))


def test_a_repeated_request_gets_the_first_response_without_running_again(sessions) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    first = make(sessions, tenant, "req-1", "W-1")
    assert make(sessions, tenant, "req-1", "W-1") == first
    assert make(sessions, tenant, "req-1", "W-1") == first
    assert (make.runs, widgets(sessions, tenant)) == (1, 1)
    # Another request id, another tenant with the same id: each runs.
    make(sessions, tenant, "req-2", "W-2")
    elsewhere = uuid.uuid4()
    assert make(sessions, elsewhere, "req-1", "W-1")["id"] != first["id"]
    assert (make.runs, widgets(sessions, tenant), widgets(sessions, elsewhere)) == (3, 2, 1)


def test_a_request_id_reused_with_another_body_is_refused_on_the_key(sessions) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    make(sessions, tenant, "req-1", "W-1")
    with pytest.raises(ValidationFailed) as refused:
        make(sessions, tenant, "req-1", "W-other")
    assert refused.value.errors == {"Idempotency-Key": ["reused with a different request"]}
    assert (make.runs, widgets(sessions, tenant)) == (1, 1)
    with pytest.raises(ValidationFailed) as refused:
        make(sessions, tenant, "k" * 101, "W-3")
    assert list(refused.value.errors) == ["Idempotency-Key"]


def test_without_a_request_id_every_call_runs(sessions) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    make(sessions, tenant, None, "W-1")
    make(sessions, tenant, None, "W-2")
    assert (make.runs, widgets(sessions, tenant)) == (2, 2)


def test_a_failed_request_leaves_no_record_and_its_retry_runs(sessions) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    make(sessions, tenant, "req-1", "W-1")
    with pytest.raises(Exception, match="this already exists"):  # a unique name taken: Conflict
        make(sessions, tenant, "req-2", "W-1")
    assert make(sessions, tenant, "req-2", "W-2")["name"] == "W-2"
    assert (make.runs, widgets(sessions, tenant)) == (3, 2)


def test_a_concurrent_repeat_waits_for_the_first_and_gets_its_response(sessions, platform_database) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    fingerprint = idempotency.fingerprint({"name": "W-1"})
    with UnitOfWork(sessions, RequestContext(tenant, request_id="req-1"), "tests") as first:
        response = idempotency.run_once(first, RPC, fingerprint, lambda: make.run(first, "W-1"))
        # The repeat arrives while the first has not committed: it waits on the key.
        repeat = eventlet.spawn(make, sessions, tenant, "req-1", "W-1")
        wait_until(lambda: someone_waits_on_a_lock(platform_database))
    assert repeat.wait() == response
    assert (make.runs, widgets(sessions, tenant)) == (1, 1)


def test_a_repeat_runs_if_the_first_rolled_back_while_it_waited(sessions, platform_database) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    fingerprint = idempotency.fingerprint({"name": "W-1"})
    with pytest.raises(RuntimeError), UnitOfWork(sessions, RequestContext(tenant, request_id="req-1"), "t") as first:
        idempotency.run_once(first, RPC, fingerprint, lambda: make.run(first, "W-1"))
        repeat = eventlet.spawn(make, sessions, tenant, "req-1", "W-1")
        wait_until(lambda: someone_waits_on_a_lock(platform_database))
        raise RuntimeError("the first attempt failed after claiming the key")
    assert repeat.wait()["name"] == "W-1"
    assert (make.runs, widgets(sessions, tenant)) == (2, 1)


def test_processed_requests_are_forgotten_after_their_retention_by_the_housekeeping_only(
    sessions, owner_sessions
) -> None:
    make, tenant = MakeWidget(), uuid.uuid4()
    make(sessions, tenant, "old", "W-old")
    make(sessions, tenant, "recent", "W-recent")
    with owner_sessions() as session:
        session.execute(
            text("UPDATE processed_requests SET created_at = now() - interval '8 days' WHERE request_id = 'old'")
        )
        session.commit()
    service_role = sessions.kw["bind"]  # row-level security applies to it
    with service_role.begin() as conn:  # without a tenant, and not housekeeping: sees nothing
        assert conn.scalar(text("SELECT count(*) FROM processed_requests")) == 0
        assert conn.execute(text("DELETE FROM processed_requests")).rowcount == 0
    idempotency.purge(service_role, days=7)
    with owner_sessions() as session:
        kept = session.scalars(text("SELECT request_id FROM processed_requests WHERE tenant_id = :t"), {"t": tenant})
        assert list(kept) == ["recent"]


def test_an_idempotent_calls_claim_tells_the_tenant_itself_one_statement_less_and_still_isolated(sessions) -> None:
    make, mine, theirs = MakeWidget(), uuid.uuid4(), uuid.uuid4()
    make(sessions, theirs, "req-theirs", "W-theirs")
    counts = []
    with recorded_statements(sessions.kw["bind"]) as statements:
        for claims_first in (False, True):
            statements.clear()
            context = RequestContext(mine, request_id=f"req-{claims_first}")
            assert idempotency.claims(context)
            name = f"W-{claims_first}"
            with UnitOfWork(sessions, context, "tests", claims_first=claims_first) as uow:
                idempotency.run_once(uow, RPC, idempotency.fingerprint({"name": name}), partial(make.run, uow, name))
                # Row-level security knows the tenant: its own rows only (the ORM's filter aside).
                names = uow.session.scalars(text("SELECT name FROM widgets ORDER BY name")).all()
            counts.append(len(statements))
            assert "processed_requests" in statements[0 if claims_first else 1]
        assert names == ["W-False", "W-True"]
    assert counts[1] == counts[0] - 1
    # A repeat in a unit that claims first gets the first response, read under its tenant.
    with UnitOfWork(sessions, RequestContext(mine, request_id="req-True"), "tests", claims_first=True) as uow:
        again = idempotency.run_once(uow, RPC, idempotency.fingerprint({"name": "W-True"}), lambda: make.run(uow, "x"))
    assert again["name"] == "W-True" and make.runs == 3
