"""Loading input with marshmallow, failing with every field at fault named."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError

from bassin_common.errors import NotFound, ValidationFailed, flatten_marshmallow_errors

# What the database columns hold: larger values are refused as input, not by a crash.
MONEY_MAX = Decimal("9999999999.99")  # NUMERIC(12, 2)
INTEGER_MAX = 2**31 - 1  # INTEGER


def _nul_characters(value: Any, path: str = "") -> dict[str, list[str]]:
    """Fields whose text holds a NUL character, which PostgreSQL cannot store."""
    if isinstance(value, str):
        return {path or "_schema": ["must not contain a NUL character"]} if "\x00" in value else {}
    found: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(_nul_characters(key, path or "_schema"))
            found.update(_nul_characters(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_nul_characters(item, f"{path}[{index}]"))
    return found


def load_or_reject(schema: Schema, payload: Any) -> Any:
    if not isinstance(payload, dict) and not schema.many:
        raise ValidationFailed("the body must be a JSON object", errors={"_schema": ["expected an object"]})
    if errors := _nul_characters(payload):
        raise ValidationFailed(f"invalid field(s): {', '.join(sorted(errors))}", errors=errors)
    try:
        return schema.load(payload)
    except ValidationError as exc:
        errors = flatten_marshmallow_errors(exc.messages)
        raise ValidationFailed(f"invalid field(s): {', '.join(sorted(errors))}", errors=errors) from exc


def parse_id(raw: Any) -> uuid.UUID:
    """An id from a URL: one that is not even a UUID names nothing, hence 404."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound(f"no such id: {raw}") from None
