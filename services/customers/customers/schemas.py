"""Wire formats of the customers RPC API (what the gateway sends and receives).

The examples (metadata, for the API document) are one pool shop's customer near Nîmes,
with the ids of the events' examples."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import StrictSchema
from customers.domain import Channel, Kind, Source
from customers.events import CUSTOMER, SITE

TIMELINE_ENTRY = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d03"
POSTCODE_FR = re.compile(r"\d{5}")


def _text(maximum: int, example: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=maximum), metadata={"example": example}, **kwargs)


def _optional(maximum: int, example: str | None) -> fields.String:
    return fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=maximum), metadata={"example": example}
    )


def _check_postcode(data: dict) -> None:
    if data.get("country", "FR") == "FR" and not POSTCODE_FR.fullmatch(data.get("postcode", "")):
        raise ValidationError({"postcode": ["a French postcode has 5 digits"]})


class AddressInput(StrictSchema):
    line1 = _text(200, "12 chemin des Oliviers", required=True)
    line2 = _optional(200, None)
    postcode = _text(10, "30900", required=True)
    city = _text(100, "Nîmes", required=True)
    country = fields.String(load_default="FR", validate=validate.Regexp(r"^[A-Z]{2}$"), metadata={"example": "FR"})

    @validates_schema
    def french_postcode(self, data: dict, **_: object) -> None:
        _check_postcode(data)


class EmailInput(StrictSchema):
    address = fields.Email(
        required=True, validate=validate.Length(max=254), metadata={"example": "helene.durand@orange.fr"}
    )
    label = _optional(40, "perso")


class PhoneInput(StrictSchema):
    number = fields.String(
        required=True,
        validate=[
            validate.Length(min=4, max=30),
            validate.Regexp(r"^\+?[\d .\-()]+$", error="digits, spaces, . - ( ) +"),
        ],
        metadata={"example": "06 12 34 56 78"},
    )
    label = _optional(40, "portable")


class ConsentInput(StrictSchema):
    email = fields.Boolean(load_default=False, metadata={"example": True})
    sms = fields.Boolean(load_default=False, metadata={"example": False})


class SiteInput(StrictSchema):
    """Where a pool is: its address and how to get in."""

    label = fields.String(
        load_default="Résidence principale",
        validate=validate.Length(min=1, max=100),
        metadata={"example": "Résidence principale"},
    )
    line1 = _text(200, "12 chemin des Oliviers", required=True)
    line2 = _optional(200, None)
    postcode = _text(10, "30900", required=True)
    city = _text(100, "Nîmes", required=True)
    country = fields.String(load_default="FR", validate=validate.Regexp(r"^[A-Z]{2}$"), metadata={"example": "FR"})
    access_notes = _optional(2000, "Portail vert, code 1234 ; chien gentil.")

    @validates_schema
    def french_postcode(self, data: dict, **_: object) -> None:
        _check_postcode(data)


class CustomerFields(StrictSchema):
    """A customer file's own fields: a private person (last name required) or a company
    (company name required)."""

    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in Kind]), metadata={"example": "private"}
    )
    company_name = _optional(200, None)
    first_name = _optional(100, "Hélène")
    last_name = _optional(100, "Durand")
    siren = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\d{9}$", error="9 digits"),
        metadata={"example": None},
    )
    vat_number = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z]{2}[0-9A-Z]{2,13}$", error="a VAT number: FR12345678901"),
        metadata={"example": None},
    )
    emails = fields.List(fields.Nested(EmailInput), load_default=list, validate=validate.Length(max=10))
    phones = fields.List(fields.Nested(PhoneInput), load_default=list, validate=validate.Length(max=10))
    preferred_channel = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([c.value for c in Channel]),
        metadata={"example": "sms"},
    )
    consent = fields.Nested(ConsentInput, load_default=lambda: {"email": False, "sms": False})
    billing_address = fields.Nested(AddressInput, required=True)
    source = fields.String(
        load_default=Source.WALK_IN.value,
        validate=validate.OneOf([s.value for s in Source]),
        metadata={"example": "walk_in"},
    )
    salesperson_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"example": None, "description": "A staff user of the company, or null."},
    )
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"example": ["entretien", "hivernage"]},
    )


class CustomerInput(CustomerFields):
    """A new customer file, with its pool sites."""

    sites = fields.List(fields.Nested(SiteInput), load_default=list, validate=validate.Length(max=20))


class CustomerSearch(PageQuery):
    """Customers by name; with ``q``, those matching every word of it by the start of a word
    of their name, company, e-mail, phone number, city, postcode or equipment serial number,
    whatever the accents and case ("helene" finds "Hélène")."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"example": "helene nimes", "description": "Words searched; empty: every customer."},
    )
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=40), metadata={"example": "entretien"})


class AddressOutput(Schema):
    line1 = fields.String(metadata={"example": "12 chemin des Oliviers"})
    line2 = fields.String(allow_none=True, metadata={"example": None})
    postcode = fields.String(metadata={"example": "30900"})
    city = fields.String(metadata={"example": "Nîmes"})
    country = fields.String(metadata={"example": "FR"})


class SiteOutput(Schema):
    id = fields.UUID(metadata={"example": SITE})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    label = fields.String(metadata={"example": "Résidence principale"})
    line1 = fields.String(metadata={"example": "12 chemin des Oliviers"})
    line2 = fields.String(allow_none=True, metadata={"example": None})
    postcode = fields.String(metadata={"example": "30900"})
    city = fields.String(metadata={"example": "Nîmes"})
    country = fields.String(metadata={"example": "FR"})
    access_notes = fields.String(allow_none=True, metadata={"example": "Portail vert, code 1234 ; chien gentil."})


class CustomerSummary(Schema):
    """A line of the customer list."""

    id = fields.UUID(metadata={"example": CUSTOMER})
    kind = fields.String(metadata={"example": "private"})
    display_name = fields.String(metadata={"example": "DURAND Hélène"})
    email = fields.String(allow_none=True, metadata={"example": "helene.durand@orange.fr"})
    phone = fields.String(allow_none=True, metadata={"example": "06 12 34 56 78"})
    postcode = fields.String(metadata={"example": "30900"})
    city = fields.String(metadata={"example": "Nîmes"})
    tags = fields.List(fields.String(), metadata={"example": ["entretien"]})


class CustomerOutput(CustomerSummary):
    """The customer file: who, how to reach them, where their pools are; ``version`` is its ETag."""

    company_name = fields.String(allow_none=True, metadata={"example": None})
    first_name = fields.String(allow_none=True, metadata={"example": "Hélène"})
    last_name = fields.String(allow_none=True, metadata={"example": "Durand"})
    siren = fields.String(allow_none=True, metadata={"example": None})
    vat_number = fields.String(allow_none=True, metadata={"example": None})
    emails = fields.List(fields.Nested(EmailInput))
    phones = fields.List(fields.Nested(PhoneInput))
    preferred_channel = fields.String(allow_none=True, metadata={"example": "sms"})
    consent = fields.Nested(ConsentInput)
    billing_address = fields.Nested(AddressOutput)
    source = fields.String(metadata={"example": "walk_in"})
    salesperson_id = fields.UUID(allow_none=True, metadata={"example": None})
    sites = fields.List(fields.Nested(SiteOutput))
    version = fields.Integer(metadata={"example": 1, "description": "Changes with each change of the file: its ETag."})
    created_at = fields.DateTime(metadata={"example": "2026-04-02T09:15:00+00:00"})
    erased = fields.Boolean(metadata={"example": False, "description": "Anonymised at the customer's request (GDPR)."})


class NoteInput(StrictSchema):
    """A line written in the customer's timeline: a note, a call, a visit."""

    kind = fields.String(
        load_default="note", validate=validate.OneOf(["note", "call", "visit", "email"]), metadata={"example": "call"}
    )
    text = _text(
        4000, "Appelle pour l'ouverture de la piscine mi-avril ; rappeler la semaine prochaine.", required=True
    )


class TimelineEntryOutput(Schema):
    id = fields.UUID(metadata={"example": TIMELINE_ENTRY})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    at = fields.DateTime(metadata={"example": "2026-04-02T09:15:00+00:00"})
    kind = fields.String(
        metadata={
            "example": "call",
            "description": "note, call, visit, email, created, sale, intervention, equipment...",
        }
    )
    text = fields.String(metadata={"example": "Appelle pour l'ouverture de la piscine mi-avril."})
    author_id = fields.String(allow_none=True, metadata={"example": "2b1c0d9e-8f7a-4b6c-9d5e-4f3a2b1c0d04"})
    reference = fields.String(allow_none=True, metadata={"example": None})
