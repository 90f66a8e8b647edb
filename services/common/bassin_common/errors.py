"""The errors of Bassin, as the domain raises them.

They know nothing of nameko or HTTP. A use case raises ``ValidationFailed`` (naming each
field at fault), ``NotFound``, ``Forbidden``, ``Conflict``, ``PreconditionFailed`` or
``PreconditionRequired`` (an update's ``If-Match``); the service edge adds ``Unavailable`` when a
database or the broker cannot be reached right now (``bassin_common.faults``). The edge
(``bassin_common.service``) lets them cross RPC as themselves, and the gateway maps each
type to one HTTP status in one place (``bassin_gateway.problems``).

Their arguments are plain JSON values, so that the RPC wire format can rebuild them:
``type(error)(*error.args)`` is the same error.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a caller is meant to see and act on."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)

    @property
    def detail(self) -> str:
        return self.args[0] or type(self).__name__


class ValidationFailed(DomainError):
    """Input rejected; ``errors`` maps each field path (``lines[0].quantity``) to its messages."""

    def __init__(self, detail: str = "", errors: dict[str, list[str]] | None = None) -> None:
        Exception.__init__(self, detail, errors or {})

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.args[1]

    @classmethod
    def of(cls, errors: dict[str, list[str]]) -> ValidationFailed:
        """The error for ``errors``, its detail naming the fields."""
        return cls(f"invalid field(s): {', '.join(sorted(errors))}", errors)

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, {field: [message]})


class NotFound(DomainError):
    """The thing does not exist — or belongs to another tenant, which is the same to the caller."""


class Forbidden(DomainError):
    """The caller's roles do not allow this action."""


class Conflict(DomainError):
    """The request contradicts the current state (a duplicate created concurrently, say)."""


class PreconditionFailed(DomainError):
    """The caller's precondition does not hold: the ``If-Match`` version it read is no
    longer the current one (someone else changed the thing since). Read it again."""


class PreconditionRequired(DomainError):
    """An update without the version it was made from (no ``If-Match``): refused, since it
    could silently overwrite a change the caller never saw."""


class Unavailable(DomainError):
    """A dependency (the database, the broker) cannot be reached right now, or the caller
    stopped waiting: nothing was done, and the same request may be tried again later."""


DOMAIN_ERRORS: tuple[type[DomainError], ...] = (
    ValidationFailed,
    NotFound,
    Forbidden,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    Unavailable,
)


class TenantMissing(RuntimeError):
    """A tenant-scoped table was touched without a tenant: a programming error."""


class PermanentFailure(Exception):
    """An event that can never succeed (malformed): dead-letter it without retrying."""


def flatten_marshmallow_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"lines[0].quantity": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for field, errors in flatten_marshmallow_errors(value, path).items():
                flat.setdefault(field, []).extend(errors)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_marshmallow_errors(value, f"{prefix}[{index}]"))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
