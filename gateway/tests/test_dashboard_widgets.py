"""The dashboard's widgets each user chooses and orders (issue #26), kept on the server: the
choice follows the user to another computer, and is the user's alone."""

from __future__ import annotations

import uuid

import pytest

from bassin_gateway import identities
from bassin_gateway.models import LoginSession
from bassin_gateway.tokens import TokenService


@pytest.fixture
def person(gateway_database, gateway_settings):
    """A new user of a new company, with roles: its Authorization header."""

    def make(roles: list[str]) -> dict[str, str]:
        suffix = uuid.uuid4().hex[:12]
        customer = uuid.uuid4() if roles == ["customer"] else None  # a portal account is a customer's
        with gateway_database() as session:
            tenant = identities.create_tenant(session, f"t-{suffix}", f"Piscines {suffix}")
            user = identities.create_user(session, tenant.id, f"u-{suffix}@example.fr", None, "Gérant", roles, customer)
            login = LoginSession(user_id=user.id)
            session.add(login)
            session.commit()
        token = TokenService.from_settings(gateway_settings()).issue(user.id, tenant.id, roles, login.id, customer)
        return {"Authorization": f"Bearer {token}"}

    return make


def test_never_chosen_is_null_then_the_choice_is_kept_in_its_order(stand_in_app, person) -> None:
    client = stand_in_app()[0].test_client()
    manager = person(["manager"])
    first = client.get("/ui/dashboard-widgets", headers=manager)
    assert first.status_code == 200 and first.get_json() == {"widgets": None}
    assert first.headers["Cache-Control"] == "no-store"
    chosen = client.put("/ui/dashboard-widgets", json={"widgets": ["livraisons", "caisse", "caisse"]}, headers=manager)
    assert chosen.status_code == 200 and chosen.get_json() == {"widgets": ["livraisons", "caisse"]}
    again = client.put("/ui/dashboard-widgets", json={"widgets": ["caisse", "factures"]}, headers=manager)
    assert again.get_json() == {"widgets": ["caisse", "factures"]}
    assert client.get("/ui/dashboard-widgets", headers=manager).get_json() == {"widgets": ["caisse", "factures"]}
    # Another person's choice is theirs: this one still has never chosen.
    assert client.get("/ui/dashboard-widgets", headers=person(["cashier"])).get_json() == {"widgets": None}


@pytest.mark.parametrize(
    "body", [{}, {"widgets": "caisse"}, {"widgets": ["<script>"]}, {"widgets": ["a" * 41]}, {"widgets": ["x"] * 31}]
)
def test_a_bad_choice_is_refused(stand_in_app, person, body) -> None:
    answer = stand_in_app()[0].test_client().put("/ui/dashboard-widgets", json=body, headers=person(["office"]))
    assert answer.status_code == 422
    assert all(name.startswith("widgets") for name in answer.get_json()["errors"])


def test_the_choice_needs_a_member_of_the_staff(stand_in_app, person) -> None:
    client = stand_in_app()[0].test_client()
    assert client.get("/ui/dashboard-widgets").status_code == 401
    assert client.get("/ui/dashboard-widgets", headers=person(["customer"])).status_code == 403
