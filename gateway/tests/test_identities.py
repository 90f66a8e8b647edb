"""Identities for every kind of user (issue #19): sessions with refresh tokens (rotation,
reuse detection, logout), revocation at the next request, users managed by the company's
managers, customers' portal accounts and partners' API keys each scoped to their own data,
and the company's permission table within the platform's limits."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import func, select, text, update

from bassin_common.errors import Forbidden, ValidationFailed
from bassin_common.permissions import (
    CUSTOMER,
    MANAGE_STOCK,
    MANAGE_USERS,
    PARTNER,
    PERMISSIONS,
    READ_BUSINESS_DATA,
    RECORD_SALES,
    STAFF,
    validate_grants,
)
from bassin_common.tenancy import RequestContext
from bassin_common.testing import recorded_statements
from bassin_gateway import identities
from bassin_gateway import sessions as login_sessions
from bassin_gateway.app import called_services, route_tables
from bassin_gateway.models import ApiKey, LoginSession, OneTimeToken, RefreshToken, User
from bassin_gateway.tokens import digest

LOCATIONS = "/api/v1/inventory/locations"
SALES = "/api/v1/pos/sales"
PERMISSIONS_URL = "/api/v1/permissions"


def read_first(client, url: str, auth: dict[str, str]) -> dict[str, str]:
    """``auth`` and the ``If-Match`` of ``url`` as it is now: an update made from a fresh read."""
    return {**auth, "If-Match": client.get(url, headers=auth).headers["ETag"]}


REFRESH = "/api/v1/auth/refresh"
A_LOCATION = {"code": "VAN1", "name": "Camion 1", "kind": "van"}


def refresh(client, token: str):
    return client.post(REFRESH, json={"refresh_token": token})


def bearer_of(answer: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer['access_token']}"}


# --- sessions: refresh rotation, reuse detection, logout ---------------------------------------


def test_a_login_gives_an_access_token_and_a_refresh_token_that_rotates(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    _, manager = people.new_company()
    session = people.login(app, manager)
    assert session["token_type"] == "Bearer" and session["expires_in"] == 900
    assert session["refresh_expires_in"] == 14 * 24 * 3600 and session["user"]["status"] == "active"

    renewed = refresh(client, session["refresh_token"])
    assert renewed.status_code == 200, renewed.get_json()
    renewed = renewed.get_json()
    assert renewed["refresh_token"] != session["refresh_token"]
    assert client.get("/api/v1/users", headers=bearer_of(renewed)).status_code == 200
    again = refresh(client, renewed["refresh_token"])  # the next one works in turn
    assert again.status_code == 200


def test_a_refresh_token_presented_twice_revokes_its_whole_session(stand_in_app, people, gateway_database):
    app, _ = stand_in_app()
    client = app.test_client()
    _, manager = people.new_company()
    first = people.login(app, manager)
    other_session = people.login(app, manager)  # the same user on another device
    second = refresh(client, first["refresh_token"]).get_json()

    stolen = refresh(client, first["refresh_token"])  # spent already: a copy is in use somewhere
    assert stolen.status_code == 401 and "already used" in stolen.get_json()["detail"]
    # Every token of the session is worthless now: the latest refresh token and access token.
    assert refresh(client, second["refresh_token"]).status_code == 401
    assert client.get("/api/v1/users", headers=bearer_of(second)).status_code == 401
    assert client.get("/api/v1/users", headers=first["auth"]).status_code == 401
    # The user's other session is not this one.
    assert client.get("/api/v1/users", headers=other_session["auth"]).status_code == 200
    with gateway_database() as session:
        stored = session.scalars(select(RefreshToken.token_hash)).all()
    assert first["refresh_token"] not in stored and second["refresh_token"] not in stored  # digests only


def test_logout_ends_the_session_and_its_access_token_at_once(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    _, manager = people.new_company()
    session, other = people.login(app, manager), people.login(app, manager)
    assert client.post("/api/v1/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code == 204
    assert client.get("/api/v1/users", headers=session["auth"]).status_code == 401  # not at its expiry
    assert refresh(client, session["refresh_token"]).status_code == 401
    assert client.get("/api/v1/users", headers=other["auth"]).status_code == 200
    # Logging out with a token that opens nothing says nothing either.
    assert client.post("/api/v1/auth/logout", json={"refresh_token": "nothing"}).status_code == 204
    assert client.post("/api/v1/auth/logout", json={}).status_code == 422


def test_two_refreshes_racing_with_one_token_revoke_the_session(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    _, manager = people.new_company()
    session = people.login(app, manager)
    answers = list(eventlet.GreenPool(2).imap(lambda _: refresh(client, session["refresh_token"]), range(2)))
    assert sorted(answer.status_code for answer in answers) == [200, 401]
    winner = next(answer.get_json() for answer in answers if answer.status_code == 200)
    assert client.get("/api/v1/users", headers=bearer_of(winner)).status_code == 401  # the session is revoked


def test_a_password_changed_while_a_login_hashed_opens_no_session(stand_in_app, people, gateway_database, monkeypatch):
    app, _ = stand_in_app()
    tenant, _ = people.new_company()
    email = people.add_user(tenant, "office")
    real = identities._hasher

    class ChangingMeanwhile:
        """Verifies, then lets a reset land before the login records its session."""

        def verify(self, hash_: str, password: str) -> bool:
            verified = real.verify(hash_, password)
            with gateway_database() as session:
                session.execute(update(User).where(User.email == email).values(password_hash=real.hash("x" * 12)))
                session.commit()
            return verified

        def __getattr__(self, name: str):
            return getattr(real, name)

    monkeypatch.setattr(identities, "_hasher", ChangingMeanwhile())
    answer = app.test_client().post("/api/v1/auth/login", json={"email": email, "password": "bonne-saison-2026"})
    assert answer.status_code == 401


def test_expired_tokens_links_and_sessions_are_purged(stand_in_app, people, gateway_database):
    app, _ = stand_in_app()
    _, manager = people.new_company()
    old, current = people.login(app, manager), people.login(app, manager)
    with gateway_database() as session:
        user = session.scalar(select(User).where(User.email == manager))
        identities.issue_link(session, user, identities.PASSWORD_RESET, hours=-48)
        old_session = session.scalar(
            select(RefreshToken.session_id).where(RefreshToken.token_hash == digest(old["refresh_token"]))
        )
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.session_id == old_session)
            .values(expires_at=func.now() - timedelta(days=2))
        )
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == old_session)
            .values(created_at=func.now() - timedelta(days=20))
        )
        login_sessions.purge_expired(session)
        session.commit()
        assert session.get(LoginSession, old_session) is None
        assert (
            session.scalar(select(func.count()).select_from(OneTimeToken).where(OneTimeToken.user_id == user.id)) == 0
        )
    assert refresh(app.test_client(), current["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_a_401(stand_in_app):
    app, _ = stand_in_app()
    assert refresh(app.test_client(), "not-a-refresh-token").status_code == 401


# --- revocation: a changed account is refused at its next request ---------------------------


def test_a_deactivated_user_is_refused_at_the_next_request_even_with_an_unexpired_token(stand_in_app, people):
    app, rpc = stand_in_app()
    client = app.test_client()
    tenant, manager = people.new_company()
    office_email = people.add_user(tenant, "office")
    boss, office = people.login(app, manager), people.login(app, office_email)
    assert client.post(LOCATIONS, json=A_LOCATION, headers=office["auth"]).status_code == 201

    deactivated = client.post(f"/api/v1/users/{office['user']['id']}/deactivate", headers=boss["auth"])
    assert deactivated.status_code == 200 and deactivated.get_json()["status"] == "deactivated"
    calls = len(rpc.calls)
    refused = client.post(LOCATIONS, json=A_LOCATION, headers=office["auth"])  # the token has 15 minutes left
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(rpc.calls) == calls  # no service was asked
    assert refresh(client, office["refresh_token"]).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": office_email, "password": "bonne-saison-2026"})
    assert login.status_code == 401

    assert client.post(f"/api/v1/users/{office['user']['id']}/reactivate", headers=boss["auth"]).status_code == 200
    assert client.post(LOCATIONS, json=A_LOCATION, headers=office["auth"]).status_code == 401  # stays over
    assert client.post(LOCATIONS, json=A_LOCATION, headers=people.login(app, office_email)["auth"]).status_code == 201


def test_new_roles_end_the_users_sessions_and_the_next_login_has_them(stand_in_app, people):
    app, rpc = stand_in_app()
    client = app.test_client()
    tenant, manager = people.new_company()
    cashier_email = people.add_user(tenant, "cashier")
    boss, cashier = people.login(app, manager), people.login(app, cashier_email)
    assert client.post(LOCATIONS, json=A_LOCATION, headers=cashier["auth"]).status_code == 403

    user = f"/api/v1/users/{cashier['user']['id']}"
    changed = client.put(
        f"{user}/roles", json={"roles": ["office", "cashier"]}, headers=read_first(client, user, boss["auth"])
    )
    assert changed.status_code == 200 and sorted(changed.get_json()["roles"]) == ["cashier", "office"]
    assert client.post(LOCATIONS, json=A_LOCATION, headers=cashier["auth"]).status_code == 401
    again = people.login(app, cashier_email)
    assert client.post(LOCATIONS, json=A_LOCATION, headers=again["auth"]).status_code == 201
    assert rpc.calls[-1][0].roles == {"office", "cashier"}


def test_the_last_active_manager_cannot_step_down(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    tenant, manager = people.new_company()
    boss = people.login(app, manager)
    me = f"/api/v1/users/{boss['user']['id']}"
    assert client.post(f"{me}/deactivate", headers=boss["auth"]).status_code == 409
    assert (
        client.put(f"{me}/roles", json={"roles": ["office"]}, headers=read_first(client, me, boss["auth"])).status_code
        == 409
    )
    # An invited manager who has not chosen a password yet is no manager yet.
    invited = {"email": f"n-{uuid.uuid4().hex[:8]}@example.fr", "full_name": "Nouveau", "roles": ["manager"]}
    assert client.post("/api/v1/users", json=invited, headers=boss["auth"]).status_code == 201
    assert client.post(f"{me}/deactivate", headers=boss["auth"]).status_code == 409

    people.add_user(tenant, "manager")
    assert (
        client.put(f"{me}/roles", json={"roles": ["office"]}, headers=read_first(client, me, boss["auth"])).status_code
        == 200
    )


def test_roles_and_the_permission_table_change_only_from_what_the_manager_last_read(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    tenant, manager = people.new_company()
    boss = people.login(app, manager)
    office = people.login(app, people.add_user(tenant, "office"))
    user = f"/api/v1/users/{office['user']['id']}"
    for url, body in ((f"{user}/roles", {"roles": ["office", "cashier"]}), (PERMISSIONS_URL, {"permissions": {}})):
        assert client.put(url, json=body, headers=boss["auth"]).status_code == 428
    read = client.get(user, headers=boss["auth"])
    stale = {**boss["auth"], "If-Match": read.headers["ETag"]}
    assert client.put(f"{user}/roles", json={"roles": ["office", "cashier"]}, headers=stale).status_code == 200
    # Another manager's change came in between: the second edit from the same read is refused.
    late = client.put(f"{user}/roles", json={"roles": ["office"]}, headers=stale)
    assert late.status_code == 412
    assert sorted(client.get(user, headers=boss["auth"]).get_json()["roles"]) == ["cashier", "office"]

    table = client.get(PERMISSIONS_URL, headers=boss["auth"])
    stale = {**boss["auth"], "If-Match": table.headers["ETag"]}
    chosen = {"permissions": {"manage_stock": ["manager", "office", "technician"]}}
    assert client.put(PERMISSIONS_URL, json=chosen, headers=stale).status_code == 200
    assert client.put(PERMISSIONS_URL, json={"permissions": {}}, headers=stale).status_code == 412
    rows = {row["name"]: row for row in client.get(PERMISSIONS_URL, headers=boss["auth"]).get_json()["permissions"]}
    assert rows["manage_stock"]["customised"]


# --- managing users ---------------------------------------------------------------------------


def test_users_are_listed_a_page_at_a_time_and_another_companys_do_not_exist(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    tenant, manager = people.new_company()
    for role in ("office", "sales", "technician"):
        people.add_user(tenant, role)
    _, stranger = people.new_company()
    boss = people.login(app, manager)

    first = client.get("/api/v1/users?limit=3", headers=boss["auth"]).get_json()
    assert len(first["items"]) == 3 and first["next"]
    rest = client.get(f"/api/v1/users?limit=3&cursor={first['next']}", headers=boss["auth"]).get_json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    emails = [user["email"] for user in first["items"] + rest["items"]]
    assert emails == sorted(emails) and stranger not in emails

    strangers_id = people.login(app, stranger)["user"]["id"]
    for request in (
        lambda: client.get(f"/api/v1/users/{strangers_id}", headers=boss["auth"]),
        lambda: client.post(f"/api/v1/users/{strangers_id}/deactivate", headers=boss["auth"]),
        lambda: client.put(
            f"/api/v1/users/{strangers_id}/roles",
            json={"roles": ["office"]},
            headers={**boss["auth"], "If-Match": '"1"'},
        ),
        lambda: client.get("/api/v1/users/not-an-id", headers=boss["auth"]),
    ):
        assert request().status_code == 404


@pytest.mark.parametrize(
    ("invitation", "field"),
    [
        ({"roles": ["customer"]}, "customer_id"),
        ({"roles": ["customer", "office"], "customer_id": str(uuid.uuid4())}, "roles"),
        ({"roles": ["office"], "customer_id": str(uuid.uuid4())}, "customer_id"),
        ({"roles": ["partner"]}, "roles"),
        ({"roles": ["system"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": ["office"], "email": "pas-une-adresse"}, "email"),
        ({"roles": ["office"], "full_name": "a\x00b"}, "full_name"),
    ],
    ids=[
        "customer-without-id",
        "customer-and-staff",
        "staff-with-customer",
        "partner",
        "system",
        "none",
        "email",
        "nul",
    ],
)
def test_an_invitation_names_what_is_wrong(stand_in_app, people, invitation, field):
    app, _ = stand_in_app()
    _, manager = people.new_company()
    body = {"email": f"i-{uuid.uuid4().hex[:8]}@example.fr", "full_name": "Invité", **invitation}
    refused = app.test_client().post("/api/v1/users", json=body, headers=people.login(app, manager)["auth"])
    assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()


def test_only_managers_manage_users(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    tenant, _ = people.new_company()
    office = people.login(app, people.add_user(tenant, "office"))
    assert client.get("/api/v1/users", headers=office["auth"]).status_code == 403
    assert client.get("/api/v1/permissions", headers=office["auth"]).status_code == 403
    assert client.get("/api/v1/partners/keys", headers=office["auth"]).status_code == 403


# --- customers and partners: their own data only ----------------------------------------------


def staff_routes() -> list[tuple[str, str]]:
    """Every route of the API whose permission is a staff action, its path ids made up."""
    found = []
    for table in route_tables():
        for route in [*table.forwards, *table.views]:
            if route.requires is not None and route.requires.grantable & STAFF:
                found.append(
                    (route.http_method, table.prefix + re.sub(r"<(?:\w+:)?\w+>", str(uuid.uuid4()), route.rule))
                )
    return found


STAFF_ROUTES = staff_routes()


def test_every_route_but_the_samples_is_for_staff_only() -> None:
    others = [
        (table.prefix + route.rule, route.requires.name)
        for table in route_tables()
        for route in [*table.forwards, *table.views]
        if route.requires is not None and not route.requires.grantable & STAFF
    ]
    assert sorted(others) == [  # the partner and customer portals (issue 27), each scoped server-side
        ("/api/v1/partner/notifications/endpoint", "manage_own_partner_endpoint"),
        ("/api/v1/partner/notifications/endpoint", "read_own_partner_account"),
        ("/api/v1/partner/notifications/endpoint/secret-rotation", "manage_own_partner_endpoint"),
        ("/api/v1/partner/sav/warranty-returns", "read_brand_warranty_returns"),
        ("/api/v1/partner/sav/warranty-returns/<return_id>", "read_brand_warranty_returns"),
        ("/api/v1/partner/sav/warranty-returns/<return_id>/status-changes", "read_brand_warranty_returns"),
        ("/api/v1/partners/me", "read_own_partner_account"),
        ("/api/v1/portal/billing/balance", "read_own_customer_account"),
        ("/api/v1/portal/billing/invoices", "read_own_customer_account"),
        ("/api/v1/portal/billing/invoices/<invoice_id>/pdf", "read_own_customer_account"),
        ("/api/v1/portal/contracts", "read_own_customer_account"),
        ("/api/v1/portal/customer", "read_own_customer_account"),
        ("/api/v1/portal/me", "read_own_customer_account"),
        ("/api/v1/portal/pools/<pool_id>/analyses", "read_own_customer_account"),
        ("/api/v1/portal/sav/interventions", "read_own_customer_account"),
        ("/api/v1/portal/sav/interventions/<intervention_id>/slip", "read_own_customer_account"),
        ("/api/v1/portal/sav/service-requests", "read_own_customer_account"),
        ("/api/v1/portal/sav/tickets", "read_own_customer_account"),
        ("/api/v1/portal/worksites/projects", "read_own_customer_account"),
        ("/api/v1/portal/worksites/projects/<project_id>", "read_own_customer_account"),
    ]
    assert len(STAFF_ROUTES) > 15


def test_a_customers_portal_account_reads_its_own_account_and_nothing_of_the_company(stand_in_app, people):
    app, rpc = stand_in_app()
    client = app.test_client()
    tenant, _ = people.new_company()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    me = people.login(app, people.add_user(tenant, "customer", customer_id=mine))
    neighbour = people.login(app, people.add_user(tenant, "customer", customer_id=theirs))
    assert me["user"]["customer_id"] == str(mine) and me["user"]["roles"] == ["customer"]

    assert client.get("/api/v1/portal/me", headers=me["auth"]).get_json()["customer_id"] == str(mine)
    assert client.get("/api/v1/portal/me", headers=neighbour["auth"]).get_json()["customer_id"] == str(theirs)
    for method, url in [*STAFF_ROUTES, ("GET", "/api/v1/partners/me")]:
        answer = client.open(url, method=method, json={}, headers={**me["auth"], "Idempotency-Key": "k-1"})
        assert answer.status_code == 403, (method, url)
    assert rpc.calls == []  # no service was asked anything


def test_a_partners_api_key_acts_for_its_brand_only(stand_in_app, people, gateway_database):
    app, rpc = stand_in_app()
    client = app.test_client()
    _, manager = people.new_company()
    _, other_manager = people.new_company()
    boss, other_boss = people.login(app, manager), people.login(app, other_manager)

    created = client.post(
        "/api/v1/partners/keys", json={"brand": "hayward", "name": "SAV Hayward"}, headers=boss["auth"]
    )
    assert created.status_code == 201, created.get_json()
    hayward = created.get_json()
    assert hayward["key"].startswith("bassin_pk_") and hayward["key"].startswith(hayward["prefix"])
    zodiac = client.post("/api/v1/partners/keys", json={"brand": "zodiac", "name": "Zodiac"}, headers=boss["auth"])
    as_hayward = {"Authorization": f"Bearer {hayward['key']}"}
    as_zodiac = {"Authorization": f"Bearer {zodiac.get_json()['key']}"}

    me = client.get("/api/v1/partners/me", headers=as_hayward).get_json()
    assert me["brand"] == "hayward" and me["key"]["id"] == hayward["id"] and "key" not in me["key"]
    assert client.get("/api/v1/partners/me", headers=as_zodiac).get_json()["brand"] == "zodiac"
    for method, url in [*STAFF_ROUTES, ("GET", "/api/v1/portal/me")]:
        answer = client.open(url, method=method, json={}, headers={**as_hayward, "Idempotency-Key": "k-1"})
        assert answer.status_code == 403, (method, url)
    assert rpc.calls == []

    listed = client.get("/api/v1/partners/keys", headers=boss["auth"]).get_json()["items"]
    assert [key["brand"] for key in listed] == ["hayward", "zodiac"] and all("key" not in key for key in listed)
    with gateway_database() as session:
        assert session.scalar(select(ApiKey.key_hash).where(ApiKey.id == uuid.UUID(hayward["id"]))) != hayward["key"]
    # Another company's manager cannot see or revoke it; its own can, at once.
    assert client.post(f"/api/v1/partners/keys/{hayward['id']}/revoke", headers=other_boss["auth"]).status_code == 404
    assert client.get("/api/v1/partners/keys", headers=other_boss["auth"]).get_json()["items"] == []
    revoked = client.post(f"/api/v1/partners/keys/{hayward['id']}/revoke", headers=boss["auth"])
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert client.get("/api/v1/partners/me", headers=as_hayward).status_code == 401
    assert client.get("/api/v1/partners/me", headers=as_zodiac).status_code == 200
    assert client.get("/api/v1/partners/me", headers={"Authorization": "Bearer bassin_pk_guessed"}).status_code == 401


@pytest.mark.parametrize("brand", ["Hayward", "hay ward", "-hayward", "", "h" * 61, 42])
def test_a_brand_is_a_slug(stand_in_app, people, brand):
    app, _ = stand_in_app()
    _, manager = people.new_company()
    refused = app.test_client().post(
        "/api/v1/partners/keys", json={"brand": brand, "name": "x"}, headers=people.login(app, manager)["auth"]
    )
    assert refused.status_code == 422 and "brand" in refused.get_json()["errors"]


# --- the company's permission table, within the platform's limits ------------------------------


def test_a_companys_table_changes_what_a_role_may_do_in_that_company_only(stand_in_app, people):
    app, rpc = stand_in_app()
    client = app.test_client()
    tenant, manager = people.new_company()
    other_tenant, _ = people.new_company()
    boss = people.login(app, manager)
    technician = people.login(app, people.add_user(tenant, "technician"))
    office = people.login(app, people.add_user(tenant, "office"))
    elsewhere = people.login(app, people.add_user(other_tenant, "technician"))
    assert client.post(LOCATIONS, json=A_LOCATION, headers=technician["auth"]).status_code == 403

    table = {"manage_stock": ["manager", "office", "technician"], "record_sales": ["manager", "cashier"]}
    changed = client.put(
        "/api/v1/permissions", json={"permissions": table}, headers=read_first(client, PERMISSIONS_URL, boss["auth"])
    )
    assert changed.status_code == 200, changed.get_json()
    rows = {row["name"]: row for row in changed.get_json()["permissions"]}
    assert rows["manage_stock"]["roles"] == ["manager", "office", "technician"] and rows["manage_stock"]["customised"]
    assert rows["read_business_data"]["customised"] is False

    # At the next request, without logging in again.
    assert client.post(LOCATIONS, json=A_LOCATION, headers=technician["auth"]).status_code == 201
    assert rpc.calls[-1][0].roles == {"technician"}
    assert client.post(SALES, json={}, headers={**office["auth"], "Idempotency-Key": "s-1"}).status_code == 403
    assert client.post(LOCATIONS, json=A_LOCATION, headers=elsewhere["auth"]).status_code == 403

    again = {**boss["auth"], "If-Match": changed.headers["ETag"]}
    assert client.put("/api/v1/permissions", json={"permissions": {}}, headers=again).status_code == 200
    assert client.post(LOCATIONS, json=A_LOCATION, headers=technician["auth"]).status_code == 403
    back = client.get("/api/v1/permissions", headers=boss["auth"]).get_json()["permissions"]
    assert not any(row["customised"] for row in back)


def test_a_table_beyond_the_platforms_limits_is_refused_naming_each_action(stand_in_app, people):
    app, _ = stand_in_app()
    client = app.test_client()
    _, manager = people.new_company()
    boss = people.login(app, manager)
    table = {
        "manage_stock": ["manager", "customer"],  # customers never manage stock
        "record_sales": ["cashier", "technician"],  # beyond the till's limit
        "manage_users": ["office"],  # the manager always keeps it
        "read_business_data": ["manager", "partner"],  # a partner never reads staff data
        "fly": ["manager"],
    }
    refused = client.put(
        "/api/v1/permissions", json={"permissions": table}, headers=read_first(client, PERMISSIONS_URL, boss["auth"])
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {f"permissions.{name}" for name in table}, refused.get_json()
    unchanged = client.get("/api/v1/permissions", headers=boss["auth"]).get_json()["permissions"]
    assert not any(row["customised"] for row in unchanged)


def test_the_platforms_limits_never_let_customers_or_partners_take_a_staff_action() -> None:
    for permission in PERMISSIONS:
        assert permission.roles <= permission.grantable and permission.required <= permission.roles
        if permission.grantable & STAFF:
            assert not permission.grantable & {CUSTOMER, PARTNER}, permission.name
    with pytest.raises(ValidationFailed) as refused:
        validate_grants({"manage_stock": ["manager", "cashier"], "manage_users": []})
    assert set(refused.value.errors) == {"manage_stock", "manage_users"}
    assert validate_grants({"manage_stock": ["manager", "sales"]}) == {"manage_stock": frozenset({"manager", "sales"})}


def test_services_check_the_platforms_limit_and_the_gateway_the_companys_table() -> None:
    technician = RequestContext(uuid.uuid4(), roles=frozenset({"technician"}))
    technician.require(MANAGE_STOCK)  # some company may allow it: the service lets it through
    assert not MANAGE_STOCK.allows({"technician"})  # by default, the gateway does not
    assert MANAGE_STOCK.allows({"technician"}, granted=["manager", "technician"])
    assert not MANAGE_STOCK.allows({"cashier"}, granted=["manager", "cashier"])  # never beyond the limit
    assert MANAGE_STOCK.allows({"manager"}, granted=[])  # a required role keeps it
    assert READ_BUSINESS_DATA.allows({"system"}, granted=["manager"])  # the platform's own work
    for role, permission in [("cashier", MANAGE_STOCK), ("customer", READ_BUSINESS_DATA), ("partner", RECORD_SALES)]:
        with pytest.raises(Forbidden):
            RequestContext(uuid.uuid4(), roles=frozenset({role})).require(permission)
    with pytest.raises(Forbidden):
        RequestContext(uuid.uuid4(), roles=frozenset({"office"})).require(MANAGE_USERS)


# --- the check of every authenticated request ----------------------------------------------------


def test_an_authenticated_request_costs_one_query_of_the_gateways_database(stand_in_app, people, gateway_database):
    app, _ = stand_in_app()
    tenant, manager = people.new_company()
    key = app.test_client().post(
        "/api/v1/partners/keys", json={"brand": "hayward", "name": "x"}, headers=people.login(app, manager)["auth"]
    )
    office = people.login(app, people.add_user(tenant, "office"))
    with recorded_statements(gateway_database.kw["bind"]) as statements:
        assert app.test_client().get(LOCATIONS, headers=office["auth"]).status_code == 200
        assert len(statements) == 1 and "login_sessions" in statements[0] and "tenant_permissions" in statements[0]
        statements.clear()
        as_partner = {"Authorization": f"Bearer {key.get_json()['key']}"}
        assert app.test_client().get(LOCATIONS, headers=as_partner).status_code == 403
        assert len(statements) == 1 and "api_keys" in statements[0]
        statements.clear()
        assert app.test_client().get(LOCATIONS, headers={"Authorization": "Bearer forged"}).status_code == 401
        assert statements == []  # a token that is not even signed costs no query
    with gateway_database() as session:  # the indexes it relies on
        indexes = set(session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'api_keys'")))
    assert "api_keys_key_hash_key" in indexes


# --- readiness -----------------------------------------------------------------------------------


def test_readyz_is_unready_without_its_database_or_broker_degraded_without_a_service(
    stand_in_app, unreachable_database
):
    app, rpc = stand_in_app()
    rpc.outcome = {"service": "any", "database": "ok"}
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    checks = ready.get_json()["checks"]
    assert checks["database"] == checks["broker"] == {"status": "ok"}
    services = called_services()  # the services its routes call
    assert {"inventory", "pos", "worksites"} <= set(services) == set(checks["services"])
    assert sorted(call[1:3] for call in rpc.calls) == [(service, "health") for service in services]

    # A service's trouble degrades the gateway without taking it out of the load balancer:
    # logins and the other services' routes still work.
    rpc.outcome = {"service": "any", "database": "failing"}
    degraded = app.test_client().get("/readyz")
    assert degraded.status_code == 200 and degraded.get_json()["status"] == "degraded"
    body = degraded.get_json()
    assert body["detail"] == "failing: " + ", ".join(f"service {service}" for service in services)
    assert body["checks"]["services"]["pos"] == {"status": "failing", "detail": "its database is failing"}

    broken, rpc = stand_in_app(unreachable_database, amqp_uri="pyamqp://guest:guest@127.0.0.1:9/")
    rpc.outcome = {"service": "any", "database": "ok"}
    unready = broken.test_client().get("/readyz")
    assert unready.status_code == 503 and unready.headers["Retry-After"]
    answer = unready.get_json()
    assert answer["detail"] == "not ready: database, broker"
    assert answer["checks"]["services"]["inventory"] == {"status": "ok"}
