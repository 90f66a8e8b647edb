"""Wire formats of the pos RPC API."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import Money, Percentage, StrictSchema
from pos.domain import PAYMENT_METHODS

# The fields' examples (metadata, for the API document) are one pool shop's data, with the
# ids of the events' examples.
SALE = "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6"
SHOP = "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11"
ARTICLE = "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"
COMPLETED_AT = "2026-07-14T10:32:05.120000+00:00"


class SaleLineInput(StrictSchema):
    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=100_000), metadata={"example": 2}
    )
    # A cashier may sell at another price than the catalogue's (a discount, say).
    unit_price = Money(
        load_default=None,
        metadata={"example": "37.90", "description": "VAT included; the catalogue's price when left out."},
    )


class PaymentInput(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS), metadata={"example": "card"})
    amount = Money(required=True, positive=True, metadata={"example": "75.80"})


class SaleInput(StrictSchema):
    """A paid sale at a till: its lines, and payments adding up to its total."""

    location_id = fields.UUID(
        load_default=None, metadata={"example": SHOP, "description": "The shop; may be left out when there is one."}
    )
    lines = fields.List(fields.Nested(SaleLineInput), required=True, validate=validate.Length(min=1, max=500))
    payments = fields.List(fields.Nested(PaymentInput), required=True, validate=validate.Length(min=1, max=20))


class SaleLineOutput(Schema):
    article_id = fields.UUID(metadata={"example": ARTICLE})
    description = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    quantity = fields.Integer(metadata={"example": 2})
    unit_price = Money(metadata={"example": "37.90"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    total = Money(metadata={"example": "75.80"})


class PaymentOutput(Schema):
    method = fields.String(metadata={"example": "card"})
    amount = Money(metadata={"example": "75.80"})


class SaleSummary(Schema):
    """A recorded sale, without its lines and payments."""

    id = fields.UUID(metadata={"example": SALE})
    location_id = fields.UUID(metadata={"example": SHOP})
    total = Money(metadata={"example": "75.80", "description": "VAT included."})
    vat_total = Money(metadata={"example": "12.63"})
    cashier_id = fields.String(allow_none=True, metadata={"example": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"})
    completed_at = fields.DateTime(metadata={"example": COMPLETED_AT})


class SaleOutput(SaleSummary):
    """A recorded sale, with its lines and payments."""

    lines = fields.List(fields.Nested(SaleLineOutput))
    payments = fields.List(fields.Nested(PaymentOutput))


def _instant(description: str, example: str) -> fields.AwareDateTime:
    """An optional instant of a query (ISO-8601, UTC when it has no offset)."""
    return fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"example": example, "description": f"{description} (ISO-8601; UTC when no offset is given)."},
    )


class SaleQuery(PageQuery):
    """A company's sales, newest first, optionally those completed in ``[since, until)``."""

    since = _instant("Sales completed at or after this instant", "2026-07-01T00:00:00+02:00")
    until = _instant("Sales completed before this instant", "2026-08-01T00:00:00+02:00")

    @validates_schema
    def a_range_goes_forward(self, data: dict, **_: object) -> None:
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise ValidationError("must be after since", "until")


class CatalogueEntryOutput(Schema):
    """What the till knows of an article."""

    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    sale_price = Money(metadata={"example": "39.90"})
