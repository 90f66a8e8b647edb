"""The company's permission table: which roles may take each action, as its managers set
it, within the limits the platform sets (``bassin_common.permissions``).

The gateway applies the table to every request; the services check the platform's limits
again (ADR 0009). A change applies to the next request of everyone, without logging in
again.
"""

from __future__ import annotations

import dataclasses

from flask import g
from sqlalchemy import select

from bassin_common.errors import ValidationFailed
from bassin_common.permissions import MANAGE_USERS
from bassin_common.schemas import load_or_reject
from bassin_gateway import identities
from bassin_gateway.app import bassin, json_body
from bassin_gateway.models import Tenant
from bassin_gateway.own_routes import GatewayApi
from bassin_gateway.routing import if_match, versioned
from bassin_gateway.schemas import PermissionsInput, PermissionTable

api = GatewayApi("permissions")
routes = api.blueprint


@api.view(
    "GET",
    "",
    MANAGE_USERS,
    summary="The company's permission table: each action, the roles that hold it, its default and limits",
    response="bassin_gateway.schemas:PermissionTable",
    response_headers=("ETag",),
)
def get_permissions():
    with bassin("sessions")() as session:
        return _table(session)


@api.view(
    "PUT",
    "",
    MANAGE_USERS,
    summary="Set the roles of each action ({action: [roles]}; an action not named has its default roles); "
    "422 naming each action beyond the platform's limits",
    request="bassin_gateway.schemas:PermissionsInput",
    response="bassin_gateway.schemas:PermissionTable",
    headers=("If-Match",),
    response_headers=("ETag",),
    statuses=(422,),
)
def put_permissions():
    expected = if_match()
    chosen = load_or_reject(PermissionsInput(), json_body())["permissions"]
    with bassin("sessions")() as session:
        try:
            identities.replace_grants(session, g.context.tenant_id, chosen, g.context.user_id, expected)
        except ValidationFailed as refused:  # named by their path in the body
            errors = {f"permissions.{action}": messages for action, messages in refused.errors.items()}
            raise ValidationFailed(refused.detail, errors) from None
        session.commit()
        return _table(session)


def _table(session):
    table = identities.permission_table(session, g.context.tenant_id)
    version = session.scalar(select(Tenant.permissions_version).where(Tenant.id == g.context.tenant_id))
    grants = [dataclasses.asdict(grant) for grant in table]
    return versioned(PermissionTable().dump({"permissions": grants, "version": version}))
