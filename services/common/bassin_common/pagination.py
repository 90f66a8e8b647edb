"""Every list of the API is read a page at a time, by keyset (cursor), never whole nor by offset.

    class InventoryService(BassinService):
        @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(LocationOutput))
        def list_locations(self, uow: UnitOfWork, page: dict) -> Page:
            return read_page(uow.session, select(Location), (Location.code, Location.id), page)

A list has a fixed order whose keys end with a unique one (the id): ``read_page`` asks for
the rows after the last key of the previous page (``(code, id) > (:code, :id)``, which an
index on the keys serves however deep the page), one row more than ``limit`` to know
whether another page follows, and answers ``Page(items, next)``. ``next`` is an opaque
cursor (the last row's keys, base64url JSON) that the client sends back as ``cursor``;
``None`` on the last page. Unlike an offset, a cursor neither skips nor repeats rows
when others are added or removed between two pages, and costs the same on page 1,000.

``PageQuery`` is the input of every list (``limit``, at most ``MAX_LIMIT``, and
``cursor``); a list with filters extends it. ``page_of(Item)`` is the schema of the
answer, ``{"items": [...], "next": "<cursor>" | null}``, the same envelope everywhere.
A cursor that is not one of the list's (tampered with, or from another list) is refused
naming the field ``cursor`` (422), never a fault.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.orm import Session

from bassin_common.errors import ValidationFailed
from bassin_common.schemas import StrictSchema

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 512

T = TypeVar("T")


class PageQuery(StrictSchema):
    """Which page of a list: its size and where it starts (the previous page's ``next``)."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, at most {MAX_LIMIT}.", "example": 20},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_CURSOR_LENGTH),
        metadata={
            "description": "Where the page starts: the `next` of the previous page, as given (opaque). "
            "Without it, the first page."
        },
    )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the next one (``None``: this is the last)."""

    items: list[T]
    next: str | None


class PageSchema(Schema):
    """Base of the page envelopes that ``page_of`` makes."""


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The schema of a page of ``item``s, named ``<Item>Page`` (the same class each time)."""
    name = f"{item.__name__}Page"
    attributes = {
        "__module__": item.__module__,
        "__qualname__": name,
        "__doc__": f"A page of {item.__name__}: the items in the list's order, and the cursor of the next page "
        "(null on the last page).",
        "items": fields.List(fields.Nested(item), required=True),
        "next": fields.String(
            required=True,
            allow_none=True,
            metadata={
                "description": "Send it back as `cursor` for the next page; null when this page is the last.",
                "example": "WyJNQUciLCAiNmQ0YjJhMTAtOGM1ZS00ZjNhLTlkMmItMWUwZjlhOGI3YzZkIl0",
            },
        ),
    }
    return type(name, (PageSchema,), attributes)


def read_page(
    session: Session,
    statement: Select[Any],
    order: Sequence[ColumnElement[Any]],
    page: Mapping[str, Any],
    *,
    descending: bool = False,
) -> Page[Any]:
    """The page of ``statement``'s rows that ``page`` (loaded by a ``PageQuery``) asks for, in
    ``order`` (ascending unless ``descending``; no key may be NULL, the last one unique).
    Each item is the row's one entity or value, or a tuple when ``statement`` selects several."""
    width = len(statement.column_descriptions)  # entities and values selected, before the keys
    keyed = statement.add_columns(*order)
    if page.get("cursor") is not None:
        values = decode_cursor(page["cursor"], order)
        keys, after = tuple_(*order), tuple_(*(literal(v, key.type) for v, key in zip(values, order, strict=True)))
        keyed = keyed.where(keys < after if descending else keys > after)
    keyed = keyed.order_by(*(key.desc() if descending else key.asc() for key in order)).limit(page["limit"] + 1)
    rows = session.execute(keyed).all()
    shown = rows[: page["limit"]]
    items = [row[0] if width == 1 else tuple(row[:width]) for row in shown]
    more = len(rows) > len(shown)
    return Page(items, encode_cursor(tuple(shown[-1][width:])) if more else None)


def encode_cursor(keys: Sequence[Any]) -> str:
    """The opaque cursor of a row's keys."""
    values = [_plain(key) for key in keys]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, order: Sequence[ColumnElement[Any]]) -> list[Any]:
    """The keys a cursor holds, typed as ``order``'s; ``ValidationFailed`` on ``cursor``
    when it is not a cursor of a list in that order."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError("not the keys of this list")
        return [_typed(value, key.type.python_type) for value, key in zip(values, order, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.field("cursor", "not a cursor of this list: send a page's `next` as given") from None


def _plain(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _typed(value: Any, kind: type) -> Any:
    if kind is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind is date and isinstance(value, str):  # a day: a list in due date order (the actions inbox)
        return date.fromisoformat(value)
    if kind is uuid.UUID and isinstance(value, str):
        return uuid.UUID(value)
    if kind in (int, str, bool) and type(value) is kind:
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")
