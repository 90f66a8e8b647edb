"""Signed contexts: who calls, for which tenant, and which tenant an event is for, as the
gateway or the producing service said it — not as whoever could publish to the broker.

A service believes the context that comes with a message: the ``tenant_id`` and ``roles``
of an RPC's nameko context data, the ``tenant_id`` of an event's envelope. Anyone able to
publish on the broker could otherwise call ``pos.create_sale`` as a manager of any company,
or replay one company's ``sale_completed`` into another's stock. So (ADR 0035):

- whoever sends an RPC — the gateway, the scheduler, the demo loader, a service, a test
  helper — signs its context: ``signed_context_data`` adds ``context_signature`` (an
  HMAC-SHA256 over a canonical encoding of every field of ``RequestContext``) to the
  context data; a service's RPC entrypoint parses it with ``verified``, which refuses a
  missing or wrong signature with ``Forbidden`` before the call is run;
- the outbox relay signs each event it publishes (``sign_event``: the whole envelope, data
  included, in the ``x-bassin-signature`` header); a consumer checks it
  (``event_is_authentic``) before the inbox, and dead-letters an event that fails.

Keys come from ``Settings.context_keys`` (``BASSIN_CONTEXT_KEYS``, comma-separated): the
first signs, any verifies, so a key is rotated without a stop (docs/operations.md). Every
process holds them: this stops a forger who can reach the broker but not the key (a leaked
broker password, a misrouted tool); it does not stop a compromised service.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from bassin_common.config import DEVELOPMENT_CONTEXT_KEY, Settings
from bassin_common.errors import Forbidden
from bassin_common.tenancy import RequestContext

# In nameko context data, so the header nameko.context_signature.
CONTEXT_SIGNATURE = "context_signature"
EVENT_SIGNATURE_HEADER = "x-bassin-signature"
MIN_KEY_BYTES = 32
# Keys written in this repository: whoever read it could sign contexts.
KNOWN_KEYS = frozenset({DEVELOPMENT_CONTEXT_KEY, "REPLACE_ME_WITH_A_LONG_RANDOM_CONTEXT_KEY"})
# Distinct prefixes: an RPC context's signature never verifies as an event's, or the reverse.
_CONTEXT_PURPOSE = "bassin-context/v1"
_EVENT_PURPOSE = "bassin-event/v1"
_COMPACT = (",", ":")


class InsecureContextKeys(ValueError):
    """Context keys a process refuses to run with (none, published or short)."""


def check_context_keys(keys: Sequence[str]) -> None:
    """Refuse no key, or a key that is published in the repository or shorter than 32 bytes:
    what every process taking calls or events checks at start (not in-process tests)."""
    if not keys:
        raise InsecureContextKeys("BASSIN_CONTEXT_KEYS is not set: give it 32 or more random bytes")
    for position, key in enumerate(keys):
        name = "BASSIN_CONTEXT_KEYS" if position == 0 else f"BASSIN_CONTEXT_KEYS (key {position + 1})"
        if key in KNOWN_KEYS:
            raise InsecureContextKeys(f"{name} is a value published in Bassin's repository: use a key of your own")
        if len(key.encode()) < MIN_KEY_BYTES:
            raise InsecureContextKeys(f"{name} is shorter than {MIN_KEY_BYTES} bytes")


def canonical_context(context: RequestContext) -> bytes:
    """Every field of the context, in a fixed order, as compact JSON (unambiguous whatever
    the values hold). All of them are signed: tenant, user, roles, customer and brand say
    what the caller may see and do; request id and deadline bind the signature to one
    request, so a captured context replays only that request (answered from the
    idempotency store) and only until its deadline; the correlation id costs nothing."""
    return json.dumps(
        [
            _CONTEXT_PURPOSE,
            str(context.tenant_id),
            context.user_id,
            sorted(context.roles),
            context.correlation_id,
            context.request_id,
            None if context.deadline is None else float(context.deadline),
            None if context.customer_id is None else str(context.customer_id),
            context.brand,
        ],
        separators=_COMPACT,
    ).encode()


def canonical_event(message: Mapping[str, Any]) -> bytes:
    """The whole envelope as published, keys sorted: tenant, event id and type, producer,
    correlation id and data. Computed from the decoded message at both ends, so it does
    not depend on how a JSON library spaced or ordered the text on the wire."""
    return json.dumps([_EVENT_PURPOSE, message], sort_keys=True, separators=_COMPACT).encode()


@dataclass(frozen=True)
class ContextSigner:
    """Signs with the first key, accepts a signature made with any."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> ContextSigner:
        if not settings.context_keys:
            raise InsecureContextKeys("BASSIN_CONTEXT_KEYS is not set: give it 32 or more random bytes")
        return cls(tuple(key.encode() for key in settings.context_keys))

    def _mac(self, key: bytes, message: bytes) -> str:
        return hmac.digest(key, message, sha256).hex()

    def _matches(self, message: bytes, signature: Any) -> bool:
        if not isinstance(signature, str):
            return False
        # Which key matched is no secret: stop at the first (the signing key, but in a rotation).
        return any(hmac.compare_digest(self._mac(key, message), signature) for key in self.keys)

    def sign(self, context: RequestContext) -> str:
        return self._mac(self.keys[0], canonical_context(context))

    def signed_context_data(self, context: RequestContext) -> dict[str, Any]:
        """What a caller sends as nameko context data: the context and its signature."""
        return {**context.to_context_data(), CONTEXT_SIGNATURE: self.sign(context)}

    def verified(self, data: Mapping[str, Any]) -> RequestContext:
        """The caller's context from nameko context data, or ``Forbidden`` when its
        signature is missing or does not match (a field changed, another key)."""
        context = RequestContext.from_context_data(data)
        if not self._matches(canonical_context(context), data.get(CONTEXT_SIGNATURE)):
            raise Forbidden(
                "the call's context is not signed by a Bassin component (its signature is missing or wrong)"
            )
        return context

    def sign_event(self, message: Mapping[str, Any]) -> str:
        return self._mac(self.keys[0], canonical_event(message))

    def event_is_authentic(self, message: Any, headers: Mapping[str, Any] | None) -> bool:
        """Whether a received event's envelope carries a signature of one of the keys."""
        if not isinstance(message, Mapping):
            return False
        return self._matches(canonical_event(message), (headers or {}).get(EVENT_SIGNATURE_HEADER))
