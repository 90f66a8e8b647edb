"""The typed errors of Bassin.

Services raise these; nameko serialises them over RPC by class name, and the gateway
maps each to one HTTP status in one place (``bassin_gateway.problems``). Every error
names what is wrong in terms a client can act on; ``ValidationFailed`` names each field.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import get_module_path, registry


class BassinError(Exception):
    """Base of every error a client is meant to see."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        # nameko serialises ``str(exc)``; keep everything needed to rebuild it.
        super().__init__(json.dumps({"detail": self.detail, **extra}, default=str))

    @classmethod
    def from_message(cls, message: str) -> BassinError:
        try:
            payload = json.loads(message)
        except (TypeError, ValueError):
            return cls(message)
        detail = payload.pop("detail", "")
        return cls(detail, **payload)


def _register(cls: type[BassinError]) -> type[BassinError]:
    # Lets nameko's RPC client re-raise the same type, with its fields, rather than
    # a RemoteError: nameko calls the registered factory with the exception's args.
    registry[get_module_path(cls)] = cls.from_message
    return cls


@_register
class ValidationFailed(BassinError):
    """Input rejected; ``errors`` maps each field path to its messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, detail: str = "", errors: dict[str, list[str]] | None = None, **extra: Any):
        super().__init__(detail, errors=errors or {}, **extra)

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.extra["errors"]


@_register
class NotFound(BassinError):
    status = 404
    title = "Not found"


@_register
class Forbidden(BassinError):
    status = 403
    title = "Forbidden"


@_register
class Conflict(BassinError):
    status = 409
    title = "Conflict"


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
