"""The customers' portal: a customer's portal account sees its own customer's data, and
nothing of the company's. Today its own account only; the customer file (quotes,
interventions, invoices) comes with the customers service."""

from __future__ import annotations

import uuid

from flask import g, jsonify

from bassin_common.permissions import READ_OWN_CUSTOMER_ACCOUNT
from bassin_gateway import identities
from bassin_gateway.app import bassin
from bassin_gateway.own_routes import GatewayApi
from bassin_gateway.schemas import PortalAccount

api = GatewayApi("portal")
routes = api.blueprint


@api.view(
    "GET",
    "/me",
    READ_OWN_CUSTOMER_ACCOUNT,
    summary="The portal account calling: its customer",
    response="bassin_gateway.schemas:PortalAccount",
)
def my_account():
    with bassin("sessions")() as session:
        user = identities.tenant_user(session, g.context.tenant_id, uuid.UUID(g.context.user_id))
    account = {"user_id": user.id, "customer_id": user.customer_id, "email": user.email, "full_name": user.full_name}
    return jsonify(PortalAccount().dump(account))
