"""Callers recently checked (bassin_gateway.callers): trusted for a moment, forgotten at
once by a write of their company or by a write that names none (a logout)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from bassin_common.tenancy import RequestContext
from bassin_gateway.callers import CallerCache, Checked

OURS, THEIRS = uuid.uuid4(), uuid.uuid4()
GRANTS = {"read_business_data": ["manager"]}


class Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def caller(tenant: uuid.UUID) -> RequestContext:
    return RequestContext(tenant, user_id=str(uuid.uuid4()), roles=frozenset({"manager"}))


def test_a_checked_token_is_trusted_for_its_seconds_only() -> None:
    clock = Clock()
    callers = CallerCache(seconds=1.0, clock=clock)
    context = caller(OURS)
    callers.put("token-a", context, GRANTS, callers.ticket())
    assert callers.get("token-a") == (context, GRANTS)
    assert callers.get("token-b") is None
    clock.now += 1.0
    assert callers.get("token-a") is None


def test_a_write_of_a_company_forgets_its_callers_only() -> None:
    callers = CallerCache(seconds=60)
    callers.put("ours", caller(OURS), GRANTS, callers.ticket())
    callers.put("theirs", caller(THEIRS), GRANTS, callers.ticket())
    callers.forget(OURS)  # a deactivation, new roles, a new permission table...
    assert "ours" not in callers and "theirs" in callers
    callers.forget(None)  # a logout or a refresh: it names no company
    assert len(callers) == 0


def test_zero_seconds_keeps_nothing_and_the_size_is_bounded() -> None:
    idle = CallerCache(seconds=0)
    idle.put("token", caller(OURS), GRANTS, idle.ticket())
    assert len(idle) == 0
    callers = CallerCache(seconds=60, max_callers=3)
    for number in range(10):
        callers.put(f"token-{number}", caller(OURS), GRANTS, callers.ticket())
    assert len(callers) <= 3 and "token-9" in callers


def test_a_check_that_a_write_overlapped_is_not_kept() -> None:
    callers = CallerCache(seconds=60)
    ticket = callers.ticket()  # the session is read as live...
    callers.forget(THEIRS)  # ...while a logout is answered (any company: the check cannot tell)
    callers.put("token", caller(OURS), GRANTS, ticket)
    assert "token" not in callers
    callers.put("token", caller(OURS), GRANTS, callers.ticket())  # the next check is kept
    assert "token" in callers


class HeldCheck:
    """A check that starts, then waits for ``release`` before answering (or refusing)."""

    def __init__(self, answer: Checked | None) -> None:
        self.answer = answer
        self.started = threading.Event()
        self.release = threading.Event()
        self.runs = 0

    def __call__(self) -> Checked:
        self.runs += 1
        self.started.set()
        self.release.wait()
        if self.answer is None:
            raise PermissionError("refused")
        return self.answer


def in_thread(run: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    found: list[object] = []

    def target() -> None:
        try:
            found.append(run())
        except PermissionError as error:
            found.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, found


def test_the_requests_that_come_during_a_check_wait_for_it_and_share_its_answer() -> None:
    callers = CallerCache(seconds=60)
    answer = (caller(OURS), GRANTS)
    first = HeldCheck(answer)
    checking, first_found = in_thread(lambda: callers.check("token", first))
    first.started.wait()
    others = HeldCheck(answer)  # what a second check would run: it must not run
    waiting = [in_thread(lambda: callers.check("token", others)) for _ in range(5)]
    first.release.set()
    for thread, _ in [(checking, first_found), *waiting]:
        thread.join()
    assert first.runs == 1 and others.runs == 0
    assert first_found == [answer] and all(found == [answer] for _, found in waiting)
    assert callers.get("token") == answer


def test_a_refused_check_or_one_a_write_overlapped_is_not_shared() -> None:
    callers = CallerCache(seconds=60)
    refused = HeldCheck(None)  # the session was over when it was read
    checking, first_found = in_thread(lambda: callers.check("token", refused))
    refused.started.wait()
    answer = (caller(OURS), GRANTS)
    own = HeldCheck(answer)  # logged in again meanwhile: the waiting request checks on its own
    own.release.set()
    waiting, found = in_thread(lambda: callers.check("token", own))
    refused.release.set()
    checking.join()
    waiting.join()
    assert isinstance(first_found[0], PermissionError) and found == [answer] and own.runs == 1

    overlapped = HeldCheck(answer)
    callers.forget(None)
    checking, _ = in_thread(lambda: callers.check("other", overlapped))
    overlapped.started.wait()
    callers.forget(OURS)  # a logout answered while the session was being read as live
    after = HeldCheck(answer)
    after.release.set()
    waiting, found = in_thread(lambda: callers.check("other", after))
    overlapped.release.set()
    checking.join()
    waiting.join()
    assert after.runs == 1 and found == [answer] and callers.get("other") == answer


def test_a_write_to_a_service_keeps_the_callers_one_to_the_gateway_forgets_them(stand_in_app, bearer) -> None:
    """A sale is the till's steady write: it cannot change a session, a user, roles or the
    permission table (the gateway's database), so it does not force the next request's
    token check; a write of the gateway's own routes (users here) still does."""
    app, rpc = stand_in_app(auth_cache_seconds=60)
    headers = bearer("manager")
    token = headers["Authorization"].partition(" ")[2]
    callers = app.extensions["bassin"]["callers"]
    client = app.test_client()
    sale = {"lines": [], "payments": []}

    answer = client.post("/api/v1/pos/sales", json=sale, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})

    assert answer.status_code == 201, answer.get_json()
    assert [call[1:3] for call in rpc.calls] == [("pos", "record_sale")]
    assert token in callers
    answer = client.post("/api/v1/users", json={}, headers=headers)  # refused, but a write all the same
    assert answer.status_code == 422, answer.get_json()
    assert token not in callers
