"""Loading input with marshmallow, failing with every field at fault named."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import Schema, ValidationError

from bassin_common.errors import NotFound, ValidationFailed, flatten_marshmallow_errors


def load_or_reject(schema: Schema, payload: Any) -> Any:
    if not isinstance(payload, dict) and not schema.many:
        raise ValidationFailed("the body must be a JSON object", errors={"_schema": ["expected an object"]})
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
