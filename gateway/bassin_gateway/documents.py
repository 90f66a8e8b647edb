"""Schemas of the answers the gateway composes from several services' (for the API
document only).

Nested schemas are named as strings: marshmallow resolves them when the API document's
generator, which imports every service, dumps these. The gateway itself never imports
this module — its image holds no service.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class ArticleLedger(Schema):
    """An article with its stock everywhere, and every movement of its ledger."""

    article = fields.Nested("ArticleOutput", required=True)
    movements = fields.List(fields.Nested("MovementOutput"), required=True)
