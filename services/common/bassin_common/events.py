"""Events: the envelope every service shares, how a producer declares an event, and
how a consumer declares its view of one.

An event is a past-tense fact (``sale_completed``, ``reorder_needed``), declared once, in
its producer's ``events.py``, as an ``EventSpec``: type, version, the schema of its
``data``, a one-line description and an example. ``UnitOfWork.emit(spec, data)`` builds
the event from it; the catalogue (docs/events) and the contract tests read the same specs.

A consumer keeps its own view of the data it reads (no shared contracts library): an
``EventView`` lists only the fields that consumer uses and ignores the others, so a
producer may add fields freely. ``bassin_common.testing.contracts`` loads every
producer's example into every consumer's view, so a breaking change fails the suite.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from bassin_common.errors import PermanentFailure
from bassin_common.permissions import SYSTEM
from bassin_common.tenancy import RequestContext


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    version = fields.Integer(required=True)
    tenant_id = fields.UUID(required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    producer = fields.String(required=True)
    correlation_id = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Event:
    event_type: str
    tenant_id: uuid.UUID
    producer: str
    data: dict[str, Any]
    version: int = 1
    correlation_id: str | None = None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def context(self) -> RequestContext:
        """The context a consumer acts in: the event's tenant, as the system."""
        return RequestContext(
            tenant_id=self.tenant_id,
            roles=frozenset({SYSTEM}),
            correlation_id=self.correlation_id,
        )

    def to_message(self) -> dict[str, Any]:
        """The envelope as ``EnvelopeSchema`` dumps it, built by hand: it is the platform's
        own fixed shape, and the schema's dump was most of the cost of a unit of work that
        emits thousands of events (a supplier's price list)."""
        return {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "version": self.version,
            "tenant_id": str(self.tenant_id),
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "data": dict(self.data),
        }

    @classmethod
    def from_message(cls, body: Any) -> Event:
        try:
            loaded = _ENVELOPE.load(body)
        except ValidationError as exc:
            raise PermanentFailure(f"malformed event envelope: {exc.messages}") from exc
        return cls(**loaded)

    def seen_through(self, view: Schema) -> Event:
        """This event with its data loaded by a consumer's view; malformed data is permanent."""
        try:
            return replace(self, data=view.load(self.data))
        except ValidationError as exc:
            raise PermanentFailure(f"malformed {self.event_type} data: {exc.messages}") from exc


class InvalidEvent(ValueError):
    """A producer tried to emit data its own event schema refuses: a programming error."""


@dataclass(frozen=True, eq=False)  # a declaration: equal only to itself
class EventSpec:
    """One event a service publishes. Additive changes keep the version; a breaking one
    is a new event (``<name>_v2``), so consumers of the old one keep working."""

    event_type: str
    schema: type[Schema]
    description: str
    example: Mapping[str, Any]
    version: int = 1

    @cached_property
    def _schema(self) -> Schema:
        return self.schema()

    def serialize(self, data: Any) -> dict[str, Any]:
        """``data`` in its wire form, checked against the schema.

        The dump converts every value it finds (a value it cannot convert raises), but it
        silently leaves out what the producer forgot: so the check is that every required
        field is there, nested ones included — not a second, full load of the result.
        """
        dumped = self._schema.dump(data)
        if missing := _missing_required(self._schema, dumped):
            raise InvalidEvent(f"{self.event_type} data lacks required field(s): {', '.join(missing)}")
        return dumped


def _missing_required(schema: Schema, dumped: Mapping[str, Any], path: str = "") -> list[str]:
    missing = []
    for name, declared in schema.fields.items():
        key = declared.data_key or name
        value = dumped.get(key)
        if value is None:
            if declared.required and not (key in dumped and declared.allow_none):
                missing.append(f"{path}{key}")
            continue
        inner = declared.inner if isinstance(declared, fields.List) else declared
        if isinstance(inner, fields.Nested):
            items = value if isinstance(declared, fields.List) or inner.many else [value]
            for index, item in enumerate(items):
                missing += _missing_required(inner.schema, item, f"{path}{key}[{index}].")
    return missing


class EventView(Schema):
    """Base of a consumer's view of an event's data: fields it does not read are ignored."""

    class Meta:
        unknown = EXCLUDE
