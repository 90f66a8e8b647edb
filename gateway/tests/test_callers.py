"""Callers recently checked (bassin_gateway.callers): trusted for a moment, forgotten at
once by a write of their company or by a write that names none (a logout)."""

from __future__ import annotations

import uuid

from bassin_common.tenancy import RequestContext
from bassin_gateway.callers import CallerCache

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
