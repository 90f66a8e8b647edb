"""Schemas of what the gateway itself answers, for the API document only: the problem
details of every error, and the answers a view composes from several services' (named
as strings in a nested field, which marshmallow resolves when the API document's
generator, which imports every service, dumps them).

The gateway never imports this module at run time.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class ProblemDetails(Schema):
    """An error (RFC 9457), as ``bassin_gateway.problems`` writes every one of them."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Invalid input"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(required=True, metadata={"example": "invalid field(s): lines[0].quantity"})
    correlation_id = fields.String(
        metadata={
            "example": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
            "description": "The request's X-Correlation-Id: quote it to support.",
        }
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "example": {"lines[0].quantity": ["Must be greater than or equal to 1 and less than or equal to 100000."]},
            "description": "400 and 422 only: each field at fault (a path such as `lines[0].quantity`, "
            "`_schema` for the whole body, or a header's name) and what is wrong with it.",
        },
    )
