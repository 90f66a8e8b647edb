"""The event envelope shared by every service (see docs/events).

An event is a past-tense fact: ``sale_completed``, ``reorder_needed``. The envelope is
the same for all; ``data`` is described by the producer's own schema in its
``events.py``. Consumers keep their own view of ``data`` (no shared contracts library).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from bassin_common.errors import PermanentFailure
from bassin_common.tenancy import RequestContext

SYSTEM_ROLE = "system"


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
            roles=frozenset({SYSTEM_ROLE}),
            correlation_id=self.correlation_id,
        )

    def to_message(self) -> dict[str, Any]:
        return EnvelopeSchema().dump(self)

    @classmethod
    def from_message(cls, body: Any) -> Event:
        try:
            loaded = EnvelopeSchema().load(body)
        except ValidationError as exc:
            raise PermanentFailure(f"malformed event envelope: {exc.messages}") from exc
        return cls(**loaded)


def load_data(schema: Schema, event: Event) -> Any:
    """Validate an event's data with the consumer's schema; malformed data is permanent."""
    try:
        return schema.load(event.data)
    except ValidationError as exc:
        raise PermanentFailure(f"malformed {event.event_type} data: {exc.messages}") from exc
