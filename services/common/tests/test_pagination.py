"""Keyset pages' building blocks without a database: the page query, the envelope's
schema, cursors that round-trip their keys and refuse what is not one of the list's.
Reading pages from PostgreSQL is tested through the services' lists (inventory, pos)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from marshmallow import Schema, fields
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, String, Uuid

from bassin_common.errors import ValidationFailed
from bassin_common.pagination import MAX_LIMIT, Page, PageQuery, decode_cursor, encode_cursor, page_of
from bassin_common.schemas import load_or_reject

ORDER = (
    Column("completed_at", DateTime(timezone=True)),
    Column("unsupplied", Boolean),
    Column("name", String),
    Column("position", Integer),
    Column("id", Uuid),
)


class Location(Schema):
    code = fields.String()


def test_a_page_query_has_a_default_and_a_maximum_size() -> None:
    assert load_or_reject(PageQuery(), {}) == {"limit": 50, "cursor": None}
    assert load_or_reject(PageQuery(), {"limit": "20", "cursor": "abc"}) == {"limit": 20, "cursor": "abc"}
    for refused in ({"limit": MAX_LIMIT + 1}, {"limit": 0}, {"cursor": ""}, {"offset": 10}):
        with pytest.raises(ValidationFailed) as error:
            load_or_reject(PageQuery(), refused)
        assert list(error.value.errors) == list(refused)


def test_a_page_is_its_items_and_the_next_cursor_under_one_schema_per_item() -> None:
    assert page_of(Location) is page_of(Location)
    assert page_of(Location).__name__ == "LocationPage"
    dumped = page_of(Location)().dump(Page([{"code": "MAG"}], None))
    assert dumped == {"items": [{"code": "MAG"}], "next": None}


def test_a_cursor_gives_back_the_keys_it_was_made_of() -> None:
    keys = [datetime(2026, 7, 14, 10, 32, 5, 120000, tzinfo=UTC), False, "Magasin de Nîmes", 3, uuid.uuid4()]
    cursor = encode_cursor(keys)
    assert cursor.isascii() and "=" not in cursor  # fits in a query string as it is
    assert decode_cursor(cursor, ORDER) == keys


def test_a_cursor_holds_a_day() -> None:
    """A list in due date order (the actions inbox: due_on, id) pages like any other (#29)."""
    order = (Column("due_on", Date), Column("id", Uuid))
    keys = [date(2026, 12, 1), uuid.uuid4()]
    assert decode_cursor(encode_cursor(keys), order) == keys
    with pytest.raises(ValidationFailed):
        decode_cursor(encode_cursor(["1er décembre", str(keys[1])]), order)


@pytest.mark.parametrize(
    "keys",
    [
        ["2026-07-14T10:32:05+00:00", False, "MAG", 3],  # one key short
        ["2026-07-14T10:32:05+00:00", "no", "MAG", 3, str(uuid.uuid4())],  # not a boolean
        ["2026-07-14T10:32:05+00:00", False, "MAG", "3", str(uuid.uuid4())],  # not an integer
        ["2026-07-14T10:32:05+00:00", False, "MAG", True, str(uuid.uuid4())],  # a boolean is no integer
        ["hier", False, "MAG", 3, str(uuid.uuid4())],
        ["2026-07-14T10:32:05+00:00", False, "MAG", 3, "pas-un-uuid"],
    ],
)
def test_a_cursor_of_other_keys_is_refused_naming_the_cursor(keys: list) -> None:
    with pytest.raises(ValidationFailed) as refused:
        decode_cursor(encode_cursor(keys), ORDER)
    assert list(refused.value.errors) == ["cursor"]


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "e30", "//8"])
def test_what_is_not_a_cursor_at_all_is_refused_naming_it(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        decode_cursor(cursor, ORDER)
    assert list(refused.value.errors) == ["cursor"]
