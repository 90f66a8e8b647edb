"""A company's users, managed by its managers: inviting staff and customers' portal
accounts (by e-mail, with a one-time link), changing roles, deactivating and reactivating.

A change of roles and a deactivation end the user's sessions at once. No change may leave
the company without an active manager. Another company's users do not exist (404).
"""

from __future__ import annotations

import uuid

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.pagination import PageQuery
from bassin_common.permissions import CUSTOMER, MANAGE_USERS
from bassin_common.schemas import load_or_reject
from bassin_gateway import identities, mail
from bassin_gateway.app import bassin, call, json_body
from bassin_gateway.identities import INVITATION
from bassin_gateway.models import Tenant, User
from bassin_gateway.own_routes import GatewayApi
from bassin_gateway.routing import if_match, versioned
from bassin_gateway.schemas import InvitationInput, RolesInput, UserOutput, UserOutputPage

api = GatewayApi("users")
routes = api.blueprint


@api.view(
    "GET",
    "",
    MANAGE_USERS,
    summary="The company's users, by e-mail, a page at a time",
    query="bassin_common.pagination:PageQuery",
    response="bassin_gateway.schemas:UserOutputPage",
    statuses=(422,),
)
def list_users():
    wanted = load_or_reject(PageQuery(), request.args.to_dict())
    with bassin("sessions")() as session:
        page = identities.list_users(session, g.context.tenant_id, wanted)
        return jsonify(UserOutputPage().dump(page))


@api.view(
    "GET",
    "/<uuid:user_id>",
    MANAGE_USERS,
    summary="One user, with the ETag that a change of their roles sends back",
    response="bassin_gateway.schemas:UserOutput",
    response_headers=("ETag",),
    statuses=(404,),
)
def get_user(user_id: uuid.UUID):
    with bassin("sessions")() as session:
        return versioned(UserOutput().dump(identities.tenant_user(session, g.context.tenant_id, user_id)))


@api.view(
    "POST",
    "",
    MANAGE_USERS,
    summary="Invite a staff user (staff roles) or a customer's portal account (roles [customer] and customer_id): "
    "an e-mail with a one-time link to choose a password",
    request="bassin_gateway.schemas:InvitationInput",
    response="bassin_gateway.schemas:UserOutput",
    status=201,
    response_headers=("Location",),
    statuses=(409, 422),
)
def invite_user():
    invited = load_or_reject(InvitationInput(), json_body())
    if invited["customer_id"] is not None and CUSTOMER in invited["roles"]:
        _check_customer(invited["customer_id"])
    with bassin("sessions")() as session:
        user = identities.create_user(
            session,
            g.context.tenant_id,
            invited["email"],
            None,
            invited["full_name"],
            invited["roles"],
            customer_id=invited["customer_id"],
        )
        message = _invitation(session, user)
        session.commit()
        answer = UserOutput().dump(user)
    mail.send_later(bassin("mailer"), message)
    return jsonify(answer), 201, {"Location": f"{api.prefix}/{user.id}"}


@api.view(
    "POST",
    "/<uuid:user_id>/invitation",
    MANAGE_USERS,
    summary="Send a user who has not chosen a password yet a new invitation",
    response="bassin_gateway.schemas:UserOutput",
    status=202,
    statuses=(404, 409),
)
def resend_invitation(user_id: uuid.UUID):
    with bassin("sessions")() as session:
        user = identities.tenant_user(session, g.context.tenant_id, user_id)
        if user.password_hash is not None or not user.active:
            raise Conflict("this user has chosen a password already, or is deactivated")
        message = _invitation(session, user)
        session.commit()
        answer = UserOutput().dump(user)
    mail.send_later(bassin("mailer"), message)
    return jsonify(answer), 202


def _check_customer(customer_id: uuid.UUID) -> None:
    """A portal account is for one of the company's own customers (asked of customers);
    another company's, or none, is refused naming the field, before anything is written."""
    try:
        call("customers", "get_customer", str(customer_id))
    except NotFound:
        raise ValidationFailed.field("customer_id", "no such customer in this company") from None


def _invitation(session: Session, user: User) -> mail.Message:
    """A new invitation link for ``user``, and the e-mail that carries it (sent after commit)."""
    settings = bassin("settings")
    secret = identities.issue_link(session, user, INVITATION, settings.invitation_ttl_hours)
    company = session.scalar(select(Tenant.name).where(Tenant.id == user.tenant_id))
    link = mail.link(settings, "invitation", secret)
    portal = CUSTOMER in user.roles
    return mail.invitation(user.email, user.full_name, company, link, settings.invitation_ttl_hours, portal)


@api.view(
    "PUT",
    "/<uuid:user_id>/roles",
    MANAGE_USERS,
    summary="Change a staff user's roles, if unchanged since read; their sessions end at once",
    request="bassin_gateway.schemas:RolesInput",
    response="bassin_gateway.schemas:UserOutput",
    headers=("If-Match",),
    response_headers=("ETag",),
    statuses=(404, 409, 422),
)
def change_roles(user_id: uuid.UUID):
    expected = if_match()
    roles = load_or_reject(RolesInput(), json_body())["roles"]
    with bassin("sessions")() as session:
        user = identities.change_roles(session, g.context.tenant_id, user_id, roles, expected)
        session.commit()
        return versioned(UserOutput().dump(user))


@api.view(
    "POST",
    "/<uuid:user_id>/deactivate",
    MANAGE_USERS,
    summary="Deactivate a user: refused at their next request, even with an unexpired token",
    response="bassin_gateway.schemas:UserOutput",
    statuses=(404, 409),
)
def deactivate_user(user_id: uuid.UUID):
    return _set_active(user_id, False)


@api.view(
    "POST",
    "/<uuid:user_id>/reactivate",
    MANAGE_USERS,
    summary="Reactivate a user: they log in again",
    response="bassin_gateway.schemas:UserOutput",
    statuses=(404,),
)
def reactivate_user(user_id: uuid.UUID):
    return _set_active(user_id, True)


def _set_active(user_id: uuid.UUID, active: bool):
    with bassin("sessions")() as session:
        user = identities.set_active(session, g.context.tenant_id, user_id, active)
        session.commit()
        return jsonify(UserOutput().dump(user))
