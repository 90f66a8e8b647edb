"""The entrypoints of a Bassin service: ``rpc`` and ``event_consumer``.

``rpc`` is nameko's, with Bassin's client errors (``BassinError``: invalid input, not
found, forbidden…) declared expected: nameko logs them as warnings, the caller's
mistake, rather than as errors of the service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.rpc import rpc as nameko_rpc

from bassin_common.consumer import event_consumer
from bassin_common.errors import BassinError

__all__ = ["event_consumer", "rpc"]


def rpc(method: Callable[..., Any]) -> Callable[..., Any]:
    return nameko_rpc(expected_exceptions=(BassinError,))(method)
