"""Callers recently checked: an access token whose signature and session were verified is
trusted again, by this process, for ``seconds`` (1 by default) without a second check.

Every authenticated request checks its token's signature and, in the gateway's database,
that its session and user are still live (``bassin_gateway.sessions``): one indexed query,
but a round trip to PostgreSQL and most of the cost of a read the gateway answers alone
(the customer 360 from its cache, ADR 0032). A client sends many requests a second with the
same token; this keeps the answer of the check for that long.

What it must not weaken: a logout, a deactivation, new roles or a new permission table end
the caller's rights at its next request. All of them are writes through the gateway, and
every write a process answers forgets what it trusted — the writer's company's callers,
or every caller when the write names no company (a login, a refresh, a logout, a password
reset) — before the next request is checked. A change made through *another* replica, or
by ``bassin-admin`` in the database, takes effect within ``seconds`` here. API keys
(partners) are not kept: they are checked at each request as before.

One check at a time per token (``check``): when a token's entry expires, every request of
that client arriving meanwhile would miss at once and run its own check — with one client
on 32 connections, 32 queries queued on the gateway's pool of 20, once a second, the tail
of the customer 360 (ADR 0032). A request that finds the token's check in flight waits for
it and takes its answer if it was kept; otherwise (it failed, or a write overlapped it) it
checks on its own.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bassin_common.tenancy import RequestContext

SECONDS = 1.0
MAX_CALLERS = 10_000

Checked = tuple[RequestContext, dict[str, list[str]]]


class CallerCache:
    def __init__(
        self, seconds: float = SECONDS, max_callers: int = MAX_CALLERS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.max_callers = max_callers
        self._clock = clock
        self._checked: dict[str, tuple[Checked, float]] = {}
        self._forgets = 0  # moved by every ``forget``: a check that overlapped one is not kept
        # credential -> the check in flight and, once done, what it kept (None: nothing).
        self._checking: dict[str, tuple[threading.Event, list[Checked | None]]] = {}

    def get(self, credential: str) -> Checked | None:
        found = self._checked.get(credential)
        if found is None:
            return None
        if self._clock() >= found[1]:
            del self._checked[credential]
            return None
        return found[0]

    def ticket(self) -> int:
        """Taken before checking a credential; ``put`` keeps the check only if no write made
        this process forget callers meanwhile (a logout answered while its session was
        being read as live)."""
        return self._forgets

    def check(self, credential: str, verify: Callable[[], Checked]) -> Checked:
        """The caller of ``credential``: kept, or the answer of the check in flight for it
        (waited for), or ``verify()``'s — run here, kept, and shared with the requests
        that came meanwhile. ``verify`` raises when the credential is refused."""
        if (checked := self.get(credential)) is not None:
            return checked
        if (pending := self._checking.get(credential)) is not None:
            done, kept = pending
            done.wait()
            if kept[0] is not None:
                return kept[0]
            return self.check(credential, verify)  # not kept: this request checks on its own
        done, kept = threading.Event(), [None]
        self._checking[credential] = (done, kept)
        try:
            ticket = self.ticket()
            checked = verify()
            if self.put(credential, *checked, ticket):
                kept[0] = checked
            return checked
        finally:
            del self._checking[credential]
            done.set()

    def put(self, credential: str, context: RequestContext, grants: dict[str, list[str]], ticket: int) -> bool:
        """Keep a check begun at ``ticket``; False if not kept."""
        if self.seconds <= 0 or ticket != self._forgets:
            return False
        now = self._clock()
        if len(self._checked) >= self.max_callers:
            self._checked = {key: value for key, value in self._checked.items() if value[1] > now}
            if len(self._checked) >= self.max_callers:
                self._checked.clear()
        self._checked[credential] = ((context, grants), now + self.seconds)
        return True

    def forget(self, tenant_id: uuid.UUID | None) -> None:
        """Forget the callers of ``tenant_id`` (every caller when None)."""
        self._forgets += 1
        if tenant_id is None:
            self._checked.clear()
        elif self._checked:
            self._checked = {key: value for key, value in self._checked.items() if value[0][0].tenant_id != tenant_id}

    def __len__(self) -> int:
        return len(self._checked)

    def __contains__(self, credential: Any) -> bool:
        return self.get(credential) is not None
