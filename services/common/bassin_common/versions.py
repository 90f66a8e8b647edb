"""Optimistic concurrency for updates (``docs/api-conventions.md``): a resource carries a
``version`` that each change increments; the gateway serves it as the ETag and passes the
client's ``If-Match`` down; the owner of the row compares the two with the row locked, so
of two edits made from the same read, the second fails instead of silently winning."""

from __future__ import annotations

from bassin_common.errors import PreconditionFailed, PreconditionRequired


def require_version(current: int, if_match: list[str], what: str) -> None:
    """Refuse the update unless ``if_match`` (the ETags the caller read, as the gateway
    passes them) names ``current``. Call it with the row locked."""
    if not if_match:
        raise PreconditionRequired(f"send If-Match with the ETag of the {what} you read")
    if str(current) not in if_match:
        raise PreconditionFailed(f"the {what} changed since you read it (now version {current}): read it again")
