"""Signed webhooks, the Standard Webhooks scheme: what Bassin sends a partner, and the
helper a partner uses to check it (stdlib only: copy this file as is).

Each request carries three headers:

- ``webhook-id``: the message id, the same on every retry (deduplicate on it);
- ``webhook-timestamp``: UNIX seconds when this attempt was signed;
- ``webhook-signature``: ``v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>``.

The partner recomputes the signature over the raw body with its secret, compares in
constant time, and refuses a timestamp more than five minutes away (a replayed request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """The request was not signed by Bassin with this secret, or is too old or too new."""


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, message_id, stamp, body),
        "content-type": "application/json",
    }


def verify(secret: str, request_headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """Raise ``InvalidSignature`` unless ``body`` with these headers was signed with ``secret``
    within the last five minutes. ``request_headers``: the HTTP headers (any case)."""
    lower = {key.lower(): value for key, value in request_headers.items()}
    try:
        message_id, stamp = lower["webhook-id"], int(lower["webhook-timestamp"])
        signatures = lower["webhook-signature"].split()
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed webhook headers") from None
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp outside the tolerance: a replay, or a clock far off")
    expected = sign(secret, message_id, stamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("signature mismatch: the body or the headers were altered, or another secret")
