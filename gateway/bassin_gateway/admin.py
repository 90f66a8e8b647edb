"""``bassin-admin``: operator commands for identities.

bassin-admin create-tenant --slug piscines-dupont --name "Piscines Dupont"
bassin-admin create-user --tenant piscines-dupont --email a@b.fr --roles manager

A company's first manager is made here; they invite the others through the API (users,
customers' portal accounts, partners' API keys).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid

from sqlalchemy import select

from bassin_common.config import load_settings
from bassin_common.permissions import USER_ROLES
from bassin_gateway import identities
from bassin_gateway.models import Tenant
from bassin_gateway.runtime import gateway_sessions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bassin-admin")
    commands = parser.add_subparsers(dest="command", required=True)
    tenant = commands.add_parser("create-tenant")
    tenant.add_argument("--slug", required=True)
    tenant.add_argument("--name", required=True)
    user = commands.add_parser("create-user")
    user.add_argument("--tenant", required=True, help="tenant slug")
    user.add_argument("--email", required=True)
    user.add_argument("--full-name", default="")
    user.add_argument("--roles", required=True, help="comma-separated: " + ",".join(USER_ROLES))
    user.add_argument("--customer-id", type=uuid.UUID, help="with --roles customer: the customer's id")
    args = parser.parse_args(argv)

    sessions = gateway_sessions(load_settings())
    with sessions() as session:
        if args.command == "create-tenant":
            created = identities.create_tenant(session, args.slug, args.name)
            session.commit()
            print(created.id)
            return 0
        found = session.scalar(select(Tenant).where(Tenant.slug == args.tenant))
        if found is None:
            print(f"no tenant {args.tenant}", file=sys.stderr)
            return 1
        password = getpass.getpass("password: ")
        created_user = identities.create_user(
            session,
            found.id,
            args.email,
            password,
            args.full_name or args.email,
            _roles(args.roles),
            customer_id=args.customer_id,
        )
        session.commit()
        print(created_user.id)
        return 0


def _roles(raw: str) -> list[str]:
    return [role.strip() for role in raw.split(",") if role.strip()]
