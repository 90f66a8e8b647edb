"""Partners — manufacturers — and their API keys.

A company's managers create a key for a brand (shown once: only its SHA-256 is kept) and
revoke it; the partner calls with ``Authorization: Bearer bassin_pk_…`` and acts as the role
``partner`` for that brand of that company only. Today a partner reads its own account; the
warranty returns of its brand come with the after-sales service.
"""

from __future__ import annotations

import uuid

from flask import g, jsonify, request

from bassin_common.pagination import PageQuery
from bassin_common.permissions import MANAGE_USERS, READ_OWN_PARTNER_ACCOUNT
from bassin_common.schemas import load_or_reject
from bassin_gateway import identities
from bassin_gateway.app import bassin, json_body
from bassin_gateway.own_routes import GatewayApi
from bassin_gateway.schemas import ApiKeyInput, ApiKeyOutput, ApiKeyOutputPage, PartnerAccount

api = GatewayApi("partners")
routes = api.blueprint


@api.view(
    "GET",
    "/keys",
    MANAGE_USERS,
    summary="The company's partner API keys, revoked ones included (never the keys themselves)",
    query="bassin_common.pagination:PageQuery",
    response="bassin_gateway.schemas:ApiKeyOutputPage",
    statuses=(422,),
)
def list_keys():
    wanted = load_or_reject(PageQuery(), request.args.to_dict())
    with bassin("sessions")() as session:
        return jsonify(ApiKeyOutputPage().dump(identities.list_api_keys(session, g.context.tenant_id, wanted)))


@api.view(
    "POST",
    "/keys",
    MANAGE_USERS,
    summary="Create an API key for a partner's brand; the key is in this answer only",
    request="bassin_gateway.schemas:ApiKeyInput",
    response="bassin_gateway.schemas:NewApiKeyOutput",
    status=201,
    response_headers=("Location",),
    statuses=(422,),
)
def create_key():
    asked = load_or_reject(ApiKeyInput(), json_body())
    with bassin("sessions")() as session:
        key, secret = identities.create_api_key(
            session, g.context.tenant_id, asked["brand"], asked["name"], g.context.user_id
        )
        session.commit()
        answer = {**ApiKeyOutput().dump(key), "key": secret}  # NewApiKeyOutput
    return jsonify(answer), 201, {"Location": f"{api.prefix}/keys/{key.id}"}


@api.view(
    "POST",
    "/keys/<uuid:key_id>/revoke",
    MANAGE_USERS,
    summary="Revoke an API key: its next call is refused",
    response="bassin_gateway.schemas:ApiKeyOutput",
    statuses=(404,),
)
def revoke_key(key_id: uuid.UUID):
    with bassin("sessions")() as session:
        key = identities.revoke_api_key(session, g.context.tenant_id, key_id)
        session.commit()
        return jsonify(ApiKeyOutput().dump(key))


@api.view(
    "GET",
    "/me",
    READ_OWN_PARTNER_ACCOUNT,
    summary="The partner calling: its brand and the key it calls with",
    response="bassin_gateway.schemas:PartnerAccount",
)
def my_account():
    with bassin("sessions")() as session:
        key = identities.tenant_api_key(session, g.context.tenant_id, uuid.UUID(g.context.user_id))
        return jsonify(PartnerAccount().dump({"brand": g.context.brand, "key": key}))
