"""Aggregation: one request of a screen, answered from several services called at once, with
one overall deadline; a part whose service is slow, down or refuses is marked, and the
rest still answers (issue #26: the dashboard; the customer 360 is built the same way).

A part is a function of a ``Caller`` (its RPCs, as the request's caller, under the shared
deadline) and the permission it needs, checked against the caller's company table as a
route's own permission is. Each runs in its own green thread; none outlives the deadline.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import eventlet
from flask import g
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from bassin_common import logs
from bassin_common.errors import DomainError, Forbidden, Unavailable
from bassin_common.faults import is_transient
from bassin_common.permissions import Permission
from bassin_gateway.app import bassin
from bassin_gateway.rpc import BrokerUnavailable, RpcClient

log = logging.getLogger(__name__)

OK, NOT_ALLOWED, UNAVAILABLE, LATE, FAILED = "ok", "not_allowed", "unavailable", "late", "failed"
STATUSES = (OK, NOT_ALLOWED, UNAVAILABLE, LATE, FAILED)


@dataclass(frozen=True)
class Caller:
    """RPCs as the request's caller, all under the aggregate's one deadline."""

    rpc: RpcClient
    context: Any

    def call(self, service: str, method: str, *args: Any) -> Any:
        return self.rpc.call_async(self.context, service, method, *args).result()


@dataclass(frozen=True)
class Part:
    requires: Permission
    fetch: Callable[[Caller], Any]


def gather_parts(parts: Mapping[str, Part], seconds: float) -> dict[str, dict[str, Any]]:
    """``{name: {"status": "ok", "data": ...}}`` for each part, or its status (``not_allowed``,
    ``unavailable``, ``late``, ``failed``) and a ``detail``, within ``seconds`` at most."""
    deadline = min(g.context.deadline or time.time() + seconds, time.time() + seconds)
    caller = Caller(bassin("rpc"), dataclasses.replace(g.context, deadline=deadline))
    grants = g.get("grants", {})
    outcomes: dict[str, dict[str, Any]] = {}
    threads = {}
    for name, part in parts.items():
        if part.requires.allows(caller.context.roles, grants.get(part.requires.name)):
            threads[name] = eventlet.spawn(part.fetch, caller)
        else:
            outcomes[name] = {"status": NOT_ALLOWED, "detail": f"not allowed to {part.requires.action}"}
    for name, thread in threads.items():
        outcomes[name] = _outcome(thread, deadline)
    return {name: outcomes[name] for name in parts}


def _outcome(thread: Any, deadline: float) -> dict[str, Any]:
    try:
        with eventlet.Timeout(max(deadline - time.time(), 0)):
            return {"status": OK, "data": thread.wait()}
    except eventlet.Timeout:
        thread.kill()
        return {"status": LATE, "detail": "no answer in time"}
    except RpcTimeout:
        return {"status": LATE, "detail": "no answer in time"}
    except (UnknownService, BrokerUnavailable, Unavailable):
        return {"status": UNAVAILABLE, "detail": "the service is not running or cannot reach its database"}
    except Forbidden as refused:
        return {"status": NOT_ALLOWED, "detail": refused.detail}
    except DomainError as error:
        return {"status": FAILED, "detail": error.detail}
    except RemoteError as error:
        log.error("unexpected error in a service: %s", error)
        return {"status": FAILED, "detail": "unexpected error; quote the correlation id to support"}
    except Exception as error:
        if is_transient(error):
            return {"status": UNAVAILABLE, "detail": "a database or the broker cannot be reached"}
        log.exception("unexpected error in an aggregate's part: %s", logs.describe(error))
        return {"status": FAILED, "detail": "unexpected error; quote the correlation id to support"}
