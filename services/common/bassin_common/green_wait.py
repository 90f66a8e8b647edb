"""psycopg's wait, through eventlet's hub: a green thread waiting for PostgreSQL lets the
process's other green threads run, as ``PSYCOPG_WAIT_FUNC=wait_select`` does under
eventlet (bassin_common/__init__), for less CPU per round trip.

Eventlet's green ``select`` builds its lists, closures and listeners on every call and
schedules a timer for psycopg's wake-up interval (0.1 s) that is cancelled at once; this
registers the socket with the hub and schedules a timer only when psycopg gives a deadline.
The interval is for noticing Ctrl-C during a blocking wait; under eventlet a signal reaches
the main green thread through the hub whatever the wait does.

``bassin_common.database`` installs it when imported in a monkey-patched process
(``install_in_green_process``); elsewhere (the command-line tools, migrations) psycopg keeps
the wait it chose.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any, TypeVar

import greenlet
from eventlet import patcher
from eventlet.hubs import get_hub
from psycopg import errors, waiting
from psycopg.abc import PQGen

RV = TypeVar("RV")


def wait_on_hub(gen: PQGen[RV], fileno: int, interval: float | None = 0.0, timeout: float | None = None) -> RV:
    """Run psycopg's generator ``gen`` to its end, waiting through the hub whenever it asks
    to wait for ``fileno``; ``timeout`` seconds at most (psycopg's own wait-timeout error).

    ``interval`` is not used (see above). Errors are psycopg's wait functions': a socket
    closed under the wait is an ``OperationalError``; what the generator raises (the
    server's errors, a dropped connection) passes through.
    """
    hub = get_hub()
    deadline = None if timeout is None else monotonic() + timeout
    try:
        wait = next(gen)
        while True:
            left = None if deadline is None else max(0.0, deadline - monotonic())
            wait = gen.send(_ready(hub, fileno, wait, left))
            # After the generator took what arrived, as psycopg's functions do: a timeout
            # of 0 still reads what is there once.
            if deadline is not None and monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except OSError as error:
        # eventlet throws IOClosed when the descriptor is reused while waited on.
        raise errors.OperationalError("connection socket closed") from error
    except StopIteration as finished:
        result: RV = finished.value
        return result


def _ready(hub: Any, fileno: int, wait: int, timeout: float | None) -> int:
    """Switch to the hub until ``fileno`` is ready for ``wait`` (psycopg's ``Wait``) or
    ``timeout`` passes; the ``Ready`` flag the hub reported, ``NONE`` on a timeout."""
    if not wait & waiting.WAIT_RW:
        raise errors.InternalError(f"bad poll status: {wait}")
    current = greenlet.getcurrent()
    pending = True

    def resume(ready: int) -> None:
        # Once: a socket in error wakes both of its listeners in one pass of the hub, and the
        # second would otherwise switch into this green thread after it moved on.
        nonlocal pending
        if pending:
            pending = False
            current.switch(ready)

    def closed(error: BaseException) -> None:
        nonlocal pending
        if pending:
            pending = False
            current.throw(error)

    def on(ready: int) -> Callable[[int], None]:
        return lambda _fileno: resume(ready)

    listeners = []
    timer = None
    try:
        if wait & waiting.WAIT_R:
            listeners.append(hub.add(hub.READ, fileno, on(waiting.READY_R), closed, None))
        if wait & waiting.WAIT_W:
            listeners.append(hub.add(hub.WRITE, fileno, on(waiting.READY_W), closed, None))
        if timeout is not None:
            # Timed out only after one more pass of the hub, as eventlet's select: a socket
            # ready by then (a timeout of 0, say) is reported ready.
            timer = hub.schedule_call_global(timeout, hub.schedule_call_global, 0, resume, waiting.READY_NONE)
        ready: int = hub.switch()
        return ready
    finally:
        pending = False
        for listener in listeners:
            hub.remove(listener)
        if timer is not None:
            timer.cancel()


def install_in_green_process() -> bool:
    """Make psycopg wait through the hub if eventlet has monkey-patched this process
    (``select``: where psycopg's ``wait_select`` is eventlet's); True if it does."""
    if not patcher.is_monkey_patched("select"):
        return False
    waiting.wait = wait_on_hub  # psycopg's Connection.wait looks it up at each call
    return True
