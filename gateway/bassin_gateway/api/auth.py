"""Logging in: an e-mail and a password for a short-lived bearer token."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bassin_common.errors import ValidationFailed
from bassin_gateway import identities
from bassin_gateway.app import bassin, json_body
from bassin_gateway.problems import problem

routes = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


@routes.post("/login")
def login():
    body = json_body()
    errors = {f: ["required"] for f in ("email", "password") if not isinstance(body.get(f), str) or not body[f]}
    if errors:
        raise ValidationFailed("email and password are required", errors)
    tokens = bassin("tokens")
    with bassin("sessions")() as session:
        user = identities.authenticate(session, body["email"], body["password"])
        if user is None:
            return problem(401, "Unauthorized", "wrong e-mail or password")
        session.commit()  # a rehashed password, if any
        token = tokens.issue(user.id, user.tenant_id, list(user.roles))
        return jsonify(
            access_token=token,
            token_type="Bearer",
            expires_in=tokens.ttl_seconds,
            user={"id": str(user.id), "email": user.email, "full_name": user.full_name, "roles": user.roles},
        )
