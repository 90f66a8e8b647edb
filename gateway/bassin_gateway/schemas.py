"""What the gateway's own routes — identities, sessions, permissions — take and give.

These schemas load the requests (every field at fault named, unknown fields refused, as the
services' do) and are named by the routes' descriptions (``ServiceApi.view``) for the API
document.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from bassin_common.pagination import page_of
from bassin_common.schemas import StrictSchema
from bassin_gateway.identities import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH

SECRET_MAX_LENGTH = 200


def _printable(value: str) -> None:
    if not value.isprintable():
        raise ValidationError("not an e-mail address")


class Email(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[validate.Length(1, MAX_EMAIL_LENGTH), _printable], **kwargs)


class Secret(fields.String):
    """A token from a link or a refresh token: opaque text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(1, SECRET_MAX_LENGTH), **kwargs)


# --- sessions --------------------------------------------------------------------------------


class LoginInput(StrictSchema):
    email = Email(required=True, metadata={"example": "gerant@piscines-azur.fr"})
    password = fields.String(
        required=True, validate=validate.Length(1, MAX_PASSWORD_LENGTH), metadata={"example": "Galets-Chlore-2026"}
    )


class RefreshInput(StrictSchema):
    refresh_token = Secret(required=True, metadata={"example": "kq3Vb8oX1t0yR6hN2mWc5eJ9sLd4aGfZ7uPiQxYvBnE"})


class UserOutput(Schema):
    id = fields.UUID()
    email = fields.String(metadata={"example": "technicien@piscines-azur.fr"})
    full_name = fields.String(metadata={"example": "Julien Martin"})
    roles = fields.List(fields.String(), metadata={"example": ["technician"]})
    customer_id = fields.UUID(allow_none=True, metadata={"example": None})
    status = fields.Method(
        "_status",
        metadata={
            "enum": ["invited", "active", "deactivated"],
            "description": "invited: no password chosen yet",
            "example": "active",
        },
    )
    last_login_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    version = fields.Integer()  # also its ETag, for PUT /users/{id}/roles

    def _status(self, user: Any) -> str:
        if not user.active:
            return "deactivated"
        return "active" if user.password_hash else "invited"


class SessionOutput(Schema):
    """A login's or a refresh's answer: a short-lived access token (send it as
    ``Authorization: Bearer``) and the refresh token that gets the next one, once."""

    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()
    user = fields.Nested(UserOutput)


class PasswordResetInput(StrictSchema):
    email = Email(required=True, metadata={"example": "gerant@piscines-azur.fr"})


class ChosenPasswordInput(StrictSchema):
    """A password chosen through an e-mailed link (invitation or reset)."""

    token = Secret(required=True, metadata={"example": "Zt4pW9cQ2xR7vB1nM5kL8jH3gF6dS0aE_yU-iO2pLqA"})
    password = fields.String(
        required=True, validate=validate.Length(10, MAX_PASSWORD_LENGTH), metadata={"example": "Galets-Chlore-2026"}
    )


class Accepted(Schema):
    detail = fields.String()


# --- users -------------------------------------------------------------------------------------


class InvitationInput(StrictSchema):
    """A staff user (staff roles), or a customer's portal account (``["customer"]`` and the
    customer's id)."""

    email = Email(required=True, metadata={"example": "helene.durand@orange.fr"})
    full_name = fields.String(
        required=True, validate=validate.Length(1, MAX_NAME_LENGTH), metadata={"example": "Hélène Durand"}
    )
    roles = fields.List(
        fields.String(),
        required=True,
        metadata={
            "example": ["customer"],
            "description": "Staff roles (manager, office, sales, technician, cashier), or [customer] alone.",
        },
    )
    customer_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "example": "3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b01",
            "description": "The customer of a portal account ([customer]), one of the company's customers; else null.",
        },
    )


class RolesInput(StrictSchema):
    roles = fields.List(
        fields.String(),
        required=True,
        metadata={
            "example": ["office", "cashier"],
            "description": "Staff roles: manager, office, sales, technician, cashier.",
        },
    )


UserOutputPage = page_of(UserOutput)


# --- partners' API keys -------------------------------------------------------------------------


class ApiKeyInput(StrictSchema):
    brand = fields.String(
        required=True, metadata={"example": "hayward", "description": "The manufacturer, as a slug (lower case)."}
    )
    name = fields.String(required=True, metadata={"example": "Portail garanties Hayward"})


class ApiKeyOutput(Schema):
    id = fields.UUID()
    brand = fields.String()
    name = fields.String()
    prefix = fields.String()  # the key's first characters
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class NewApiKeyOutput(ApiKeyOutput):
    key = fields.String()  # shown this once: only its SHA-256 is kept


ApiKeyOutputPage = page_of(ApiKeyOutput)


class PartnerAccount(Schema):
    brand = fields.String()
    key = fields.Nested(ApiKeyOutput)


# --- customers' portal ---------------------------------------------------------------------------


class PortalAccount(Schema):
    user_id = fields.UUID()
    customer_id = fields.UUID()
    email = fields.String()
    full_name = fields.String()


# --- the permission table ------------------------------------------------------------------------


class GrantOutput(Schema):
    name = fields.String()
    action = fields.String()
    roles = fields.List(fields.String())  # who holds it in this company
    default = fields.List(fields.String())
    grantable = fields.List(fields.String())  # the most the platform allows
    required = fields.List(fields.String())  # roles that always keep it
    customised = fields.Boolean()


class PermissionTable(Schema):
    permissions = fields.List(fields.Nested(GrantOutput))
    version = fields.Integer()  # also its ETag, for PUT /permissions


class PermissionsInput(StrictSchema):
    """The company's choices, ``{action: [roles]}``; an action not named has its default roles."""

    permissions = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        required=True,
        metadata={"example": {"manage_stock": ["manager", "office", "technician"]}},
    )
