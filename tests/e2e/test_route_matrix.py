"""Every operation of the API document, called as an attacker or a mistaken client would,
through the whole stack: without a valid token, with a role its permission does not hold,
with another company's ids in its path or in its body.

The operations come from the committed document (gateway/bassin_gateway/openapi.json), so
a route is in this matrix the day it is declared. A path parameter or a body id that this
module cannot fill with another company's resource fails the test, naming it: when a
route brings a new kind of id, make one in its area's ``matrix_resources/<area>.py``.

Each test walks the whole matrix and reports every cell that answered wrong, not the first.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import create_engine, text

from bassin_common.permissions import PARTNER, USER_ROLES
from bassin_common.registry import installed_services
from bassin_gateway import identities
from bassin_gateway.api.docs import DOCUMENT as DOCUMENT_FILE
from bassin_gateway.tokens import TokenService
from conftest import PASSWORD, Company, Stack

DOCUMENT = json.loads(DOCUMENT_FILE.read_text())
EVERY_ROLE = (*USER_ROLES, PARTNER)
# Gateway tables holding a company's rows (the services' come from the registry).
GATEWAY_TENANT_TABLES = ("users", "api_keys", "tenant_permissions")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the document's template: /api/v1/users/{user_id}
    roles: frozenset[str]  # x-roles: who may call it
    protected: bool
    example: Any  # the request body's example, or None
    sends_if_match: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    def url(self, ids: dict[str, str]) -> str:
        return self.path.format(**{name: ids[name] for name in self.path_parameters})


def operations() -> list[Operation]:
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            headers = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "header"}
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    roles=frozenset(operation.get("x-roles", ())),
                    protected=bool(operation.get("security")),
                    example=body.get("example"),
                    sends_if_match="If-Match" in headers,
                )
            )
    return found


OPERATIONS = operations()
PROTECTED = [operation for operation in OPERATIONS if operation.protected]
RESOURCES = Path(__file__).parent / "matrix_resources"


@dataclass
class Tenant:
    """A company with one caller per role and one resource of each kind an id names."""

    company: Company
    auth: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> headers
    ids: dict[str, str] = field(default_factory=dict)  # path parameter or body field -> id

    def headers(self, role: str, operation: Operation, if_match: bool = True) -> dict[str, str]:
        """``role``'s headers for ``operation``; with ``if_match``, a version that updates
        send, to get past their 428 to the check under test."""
        headers = {**self.auth[role], "Idempotency-Key": str(uuid.uuid4())}
        if operation.sends_if_match and if_match:
            headers["If-Match"] = '"1"'
        return headers


def resource_makers() -> dict[str, Callable[[Stack, Company], dict[str, str]]]:
    """Each ``matrix_resources/<area>.py``'s ``resources(stack, company)``: one resource of
    each kind of id that area's routes take, made in ``company`` through the API, by the
    name its path parameters and body fields give it (``article_id``...)."""
    makers = {}
    for path in sorted(RESOURCES.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"matrix_resources_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        makers[path.stem] = module.resources
    return makers


RESOURCE_MAKERS = resource_makers()


def new_tenant(stack: Stack) -> Tenant:
    company = stack.new_company()
    tenant = Tenant(company)
    tenant.auth["manager"] = company.auth
    for role in USER_ROLES:
        if role not in ("manager", "customer"):
            tenant.auth[role] = {"Authorization": f"Bearer {stack.new_user(company.tenant_id, (role,))}"}
    with stack.sessions() as session:
        key, secret = identities.create_api_key(session, company.tenant_id, "hayward", "Garanties", None)
        session.commit()
    tenant.auth[PARTNER] = {"Authorization": f"Bearer {secret}"}

    users = company.get("/api/v1/users").get_json()["items"]
    # The gateway's own resources; then each area's.
    tenant.ids = {
        "user_id": next(user["id"] for user in users if "manager" in user["roles"]),
        "key_id": str(key.id),
    }
    for area, make in RESOURCE_MAKERS.items():
        # An area whose resources name another's (sav's tickets, a customer's equipment)
        # takes a third argument: the ids made so far, areas taken in name order.
        wants_ids = len(inspect.signature(make).parameters) == 3
        made = make(stack, company, dict(tenant.ids)) if wants_ids else make(stack, company)
        assert not set(made) & set(tenant.ids), f"{area} makes ids already made: {set(made) & set(tenant.ids)}"
        tenant.ids.update(made)
    # The portal account of the customers area's customer (who owns its pool and equipment,
    # so that a portal request naming them is accepted: the portals of issue #27).
    email = f"client-{uuid.uuid4().hex[:10]}@example.fr"
    with stack.sessions() as session:
        owner = uuid.UUID(tenant.ids["customer_id"])
        identities.create_user(session, company.tenant_id, email, PASSWORD, "Client", ["customer"], owner)
        session.commit()
    login = stack.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    tenant.auth["customer"] = {"Authorization": f"Bearer {login['access_token']}"}
    return tenant


def a_caller_allowed(operation: Operation) -> str:
    return "manager" if "manager" in operation.roles else sorted(operation.roles)[0]


def report(wrong: list[str]) -> str:
    return "\n" + "\n".join(wrong)


# --- without a valid token -----------------------------------------------------------------------


def bad_credentials(stack: Stack, tenant: Tenant) -> dict[str, dict[str, str]]:
    settings = stack.client.application.extensions["bassin"]["settings"]
    tokens = TokenService.from_settings(settings)
    user_id, tenant_id = uuid.UUID(tenant.ids["user_id"]), tenant.company.tenant_id
    expired = TokenService(tokens.keys, settings.jwt_issuer, settings.jwt_audience, -60)
    valid = tokens.issue(user_id, tenant_id, ["manager"], uuid.uuid4())
    claims = jwt.decode(valid, options={"verify_signature": False})
    kid = jwt.get_unverified_header(valid)["kid"]
    return {
        "no token": {},
        "not a bearer": {"Authorization": f"Basic {valid}"},
        "garbage": {"Authorization": "Bearer pas-un-jeton"},
        "expired": {"Authorization": f"Bearer {expired.issue(user_id, tenant_id, ['manager'], uuid.uuid4())}"},
        "signed by another key": {
            "Authorization": f"Bearer {jwt.encode(claims, 'x' * 64, algorithm='HS256', headers={'kid': kid})}"
        },
        "alg none": {"Authorization": f"Bearer {jwt.encode(claims, None, algorithm='none', headers={'kid': kid})}"},
        "no session behind it": {"Authorization": f"Bearer {valid}"},  # a session id never opened
        "unknown API key": {"Authorization": "Bearer bassin_pk_" + "A" * 43},
        "future token": {
            "Authorization": "Bearer "
            + jwt.encode(
                {**claims, "iat": int(time.time()) + 3600, "nbf": int(time.time()) + 3600},
                next(iter(tokens.keys.values())),
                algorithm="HS256",
                headers={"kid": kid},
            )
        },
    }


def test_every_protected_operation_answers_401_without_a_valid_token(stack: Stack) -> None:
    tenant = new_tenant(stack)
    wrong = []
    for name, headers in bad_credentials(stack, tenant).items():
        for operation in PROTECTED:
            response = stack.client.open(
                operation.url(tenant.ids), method=operation.method, json=operation.example, headers=headers
            )
            if response.status_code != 401 or response.mimetype != "application/problem+json":
                wrong.append(f"{operation.label} with {name}: {response.status_code}")
    assert not wrong, report(wrong)


# --- with a role its permission does not hold -------------------------------------------------------


def test_each_role_is_refused_where_its_permission_is_not_held_and_let_in_where_it_is(stack: Stack) -> None:
    tenant = new_tenant(stack)
    random_ids = {name: str(uuid.uuid4()) for name in tenant.ids}  # nothing found: no write either
    wrong = []
    for operation in PROTECTED:
        for role in EVERY_ROLE:
            response = stack.client.open(
                operation.url(random_ids),
                method=operation.method,
                json=operation.example,
                # No If-Match: an allowed update stops at 428, so the table under test
                # (PUT /permissions) is never changed by the test itself.
                headers=tenant.headers(role, operation, if_match=False),
            )
            allowed = role in operation.roles
            if allowed and response.status_code in (401, 403):
                wrong.append(f"{operation.label} as {role} (allowed): {response.status_code}")
            elif not allowed and response.status_code != 403:
                wrong.append(f"{operation.label} as {role} (not allowed): {response.status_code}")
    assert not wrong, report(wrong)


# --- with another company's ids -------------------------------------------------------------------


def test_another_companys_ids_in_a_path_are_not_found_and_change_nothing(stack: Stack) -> None:
    ours, theirs = new_tenant(stack), new_tenant(stack)
    wrong = []
    for operation in PROTECTED:
        if not operation.path_parameters:
            continue
        unknown = [name for name in operation.path_parameters if name not in theirs.ids]
        assert not unknown, f"{operation.label}: no resource for {unknown}: make one in matrix_resources/"
        role = a_caller_allowed(operation)
        response = stack.client.open(
            operation.url(theirs.ids),
            method=operation.method,
            json=operation.example,
            headers=ours.headers(role, operation),
        )
        if response.status_code != 404:
            wrong.append(f"{operation.label} as {role}: {response.status_code}")
    assert not wrong, report(wrong)

    # Their manager still logs in (not deactivated), their key still works (not revoked).
    company = theirs.company
    assert company.get(f"/api/v1/users/{theirs.ids['user_id']}").get_json()["status"] == "active"
    assert stack.client.get("/api/v1/partners/me", headers=theirs.auth[PARTNER]).status_code == 200
    assert (company.stock_level()["minimum"], company.stock_level()["version"]) == (850, 1)


def tenant_rows(stack: Stack, tenant_id: uuid.UUID) -> dict[str, int]:
    """How many rows the tenant has in every table of every database that holds its data."""
    counts = {}
    databases = [(service.name, service.tenant_tables) for service in installed_services()]
    databases.append(("gateway", GATEWAY_TENANT_TABLES))
    for database, tables in databases:
        engine = create_engine(stack.settings.service_database_url(database))
        try:
            with engine.connect() as connection:
                for table in tables:
                    query = text(f"SELECT count(*) FROM {table} WHERE tenant_id = :tenant")  # our own table names
                    counts[f"{database}.{table}"] = connection.scalar(query, {"tenant": tenant_id})
        finally:
            engine.dispose()
    return counts


def settled_rows(stack: Stack, tenant_id: uuid.UUID) -> dict[str, int]:
    """``tenant_rows`` once the events of the previous request have been applied (the
    copies other services keep of an article arrive asynchronously): two reads alike."""
    rows = tenant_rows(stack, tenant_id)
    for _ in range(50):
        time.sleep(0.1)
        if (again := tenant_rows(stack, tenant_id)) == rows:
            return rows
        rows = again
    return rows


def id_fields(example: Any) -> set[str]:
    """The id fields of a body (``*_id`` holding a UUID), at any depth."""
    if isinstance(example, list):
        return set().union(*(id_fields(item) for item in example))
    if not isinstance(example, dict):
        return set()
    found = {key for key, value in example.items() if key.endswith("_id") and isinstance(value, str)}
    return found.union(*(id_fields(value) for value in example.values()))


def with_ids(example: Any, ids: dict[str, str]) -> Any:
    """``example`` with each id field set to the resource of that name in ``ids``, and its
    unique keys (SKU, code, e-mail) made new, so that only the ids can make it fail."""
    if isinstance(example, list):
        return [with_ids(item, ids) for item in example]
    if not isinstance(example, dict):
        return example
    changed = {}
    for key, value in example.items():
        if key in ids and isinstance(value, str):
            changed[key] = ids[key]
        elif key in UNIQUE_KEYS and isinstance(value, str):
            changed[key] = UNIQUE_KEYS[key](value)
        else:
            changed[key] = with_ids(value, ids)
    return changed


UNIQUE_KEYS = {
    "sku": lambda sku: f"{sku}-{uuid.uuid4().hex[:6].upper()}",
    "code": lambda code: f"{code}{uuid.uuid4().hex[:6].upper()}",
    "email": lambda email: f"{uuid.uuid4().hex[:8]}-{email}",
}


def test_another_companys_id_in_a_body_is_refused_and_writes_nothing(stack: Stack) -> None:
    ours, theirs = new_tenant(stack), new_tenant(stack)
    wrong, tried = [], []
    for operation in PROTECTED:
        fields = id_fields(operation.example)
        if not fields:
            continue
        missing = fields - set(ours.ids)
        assert not missing, f"{operation.label}: no resource for body fields {missing}: make one in matrix_resources/"
        role = a_caller_allowed(operation)
        for foreign in sorted(fields):  # one foreign id at a time, the body otherwise ours
            body = with_ids(operation.example, {**ours.ids, foreign: theirs.ids[foreign]})
            before = settled_rows(stack, ours.company.tenant_id), tenant_rows(stack, theirs.company.tenant_id)
            response = stack.client.open(
                operation.url(ours.ids), method=operation.method, json=body, headers=ours.headers(role, operation)
            )
            after = tenant_rows(stack, ours.company.tenant_id), tenant_rows(stack, theirs.company.tenant_id)
            tried.append(f"{operation.label} {foreign}")
            if response.status_code not in (404, 422) or before != after:
                written = sorted(table for table in before[0] if before[0][table] != after[0][table])
                wrong.append(f"{operation.label} with their {foreign}: {response.status_code}, wrote {written}")
        # The same body with our own ids is accepted: the foreign id alone was refused.
        control = stack.client.open(
            operation.url(ours.ids),
            method=operation.method,
            json=with_ids(operation.example, ours.ids),
            headers=ours.headers(role, operation),
        )
        if control.status_code >= 300:
            wrong.append(f"{operation.label} with our own ids: {control.status_code} {control.get_json()}")
    assert tried, "no operation takes an id in its body: this test checks nothing"
    assert not wrong, report(wrong)
