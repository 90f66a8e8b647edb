"""Read copies a service keeps of another's data (DESIGN.md: pos keeps the articles'
names and prices for its till), written many rows at a time: what the consumer of an
event carrying many records (``articles_imported``) writes, in one statement instead of
one query and one write per record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session


def keep_copies(
    session: Session, model: type[Any], rows: list[dict[str, Any]], *, key: Sequence[str], update: bool = True
) -> None:
    """``rows`` of ``model`` (each with its ``tenant_id``) inserted; a row whose ``key``
    exists already is brought up to date with the columns it carries (``update``), or
    left as it is. One statement per shape of row (the columns a row carries)."""
    table = model.__table__
    for columns in {frozenset(row) for row in rows}:
        statement = insert(table)
        if update:
            statement = statement.on_conflict_do_update(
                index_elements=list(key),
                set_={name: statement.excluded[name] for name in columns - {*key, "tenant_id"}},
                where=table.c.tenant_id == statement.excluded.tenant_id,
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
        session.execute(statement, [row for row in rows if frozenset(row) == columns])
