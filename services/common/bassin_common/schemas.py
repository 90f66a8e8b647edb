"""Marshmallow building blocks shared by every service's wire formats, and loading input
with every field at fault named.

- ``StrictSchema``: input schemas refuse unknown fields (a typo is an error, not ignored).
- ``Money``: a decimal amount with two places, as a string on the wire (``"39.90"``),
  never a float; bounded by what a ``NUMERIC(12, 2)`` column holds. ``Percentage`` likewise.
  Both refuse a value that two places cannot hold exactly (``"12.345"``), naming the
  field, rather than rounding it: ``"12"``, ``"12.3"`` and ``"12.30"`` are all ``12.30``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from bassin_common.errors import NotFound, ValidationFailed, flatten_marshmallow_errors

# What the database columns hold: larger values are refused as input, not by a crash.
MONEY_MAX = Decimal("9999999999.99")  # NUMERIC(12, 2)
INTEGER_MAX = 2**31 - 1  # INTEGER


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class TwoPlaces(fields.Decimal):
    """A decimal with two places, a string on the wire; input with more places than that
    is refused, never rounded (``"39.9049"`` is not ``39.90``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(places=2, as_string=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        exact = fields.Decimal(as_string=True).deserialize(value)  # unrounded, same errors
        try:
            rounded = exact.quantize(self.places)
        except InvalidOperation:  # too many digits for any places: refused below as invalid
            rounded = exact
        if exact != rounded:
            raise ValidationError("at most 2 decimal places")
        return super()._deserialize(value, attr, data, **kwargs)


class Money(TwoPlaces):
    """An amount in euros: two places, a string on the wire, within what the database holds;
    ``positive`` refuses zero too."""

    def __init__(self, *, positive: bool = False, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=0, min_inclusive=not positive, max=MONEY_MAX), **kwargs)


class Percentage(TwoPlaces):
    """A rate in percent (VAT: ``"20.00"``), two places, from 0 to 100."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=0, max=100), **kwargs)


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
        raise ValidationFailed("the body must be a JSON object", {"_schema": ["expected an object"]})
    if errors := _nul_characters(payload):
        raise ValidationFailed.of(errors)
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise ValidationFailed.of(flatten_marshmallow_errors(exc.messages)) from exc


def parse_id(raw: Any) -> uuid.UUID:
    """An id from a URL: one that is not even a UUID names nothing, hence 404."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound(f"no such id: {raw}") from None
