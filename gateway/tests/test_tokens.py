"""Access tokens are checked as RFC 8725 asks: algorithm, issuer, audience, expiry, key id."""

from __future__ import annotations

import time
import uuid
import warnings

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from bassin_gateway.tokens import InvalidToken, TokenService

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def service(**changes) -> TokenService:
    fields = {"keys": {"k1": SECRET}, "issuer": "bassin-gateway", "audience": "bassin-api", "ttl_seconds": 900}
    return TokenService(**{**fields, **changes})


def forged(claims: dict, key: str = SECRET, algorithm: str = "HS256", kid: str | None = "k1") -> str:
    headers = {"kid": kid} if kid else {}
    with warnings.catch_warnings():  # PyJWT finds the key short for HS512: the forger's problem
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def valid_claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": "bassin-gateway",
        "aud": "bassin-api",
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "roles": ["cashier"],
        "iat": now,
        "exp": now + 60,
    }
    return {**claims, **changes}


def test_an_issued_token_gives_back_the_caller() -> None:
    tenant, session_id, customer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = service().verify(service().issue(uuid.uuid4(), tenant, ["manager"], session_id), "corr-1")
    context = token.context
    assert context.tenant_id == tenant and context.roles == {"manager"} and context.correlation_id == "corr-1"
    assert token.session_id == session_id and context.customer_id is None
    portal = service().verify(service().issue(uuid.uuid4(), tenant, ["customer"], session_id, customer), "c")
    assert portal.context.customer_id == customer


@pytest.mark.parametrize(
    "token",
    [
        forged(valid_claims(exp=int(time.time()) - 10)),
        forged(valid_claims(aud="someone-else")),
        forged(valid_claims(iss="evil")),
        forged(valid_claims(), key="another-secret-that-is-long-enough-too"),
        forged(valid_claims(), kid="unknown"),
        forged(valid_claims(), kid=None),
        forged({k: v for k, v in valid_claims().items() if k != "tid"}),
        forged({k: v for k, v in valid_claims().items() if k != "sid"}),
        forged(valid_claims(sub="u1")),
        forged(valid_claims(), algorithm="HS512"),
        jwt.encode(valid_claims(), key=None, algorithm="none", headers={"kid": "k1"}),
        "not-a-token",
    ],
    ids=[
        "expired",
        "audience",
        "issuer",
        "signature",
        "unknown-kid",
        "no-kid",
        "no-tenant",
        "no-session",
        "subject-not-a-user-id",
        "other-alg",
        "alg-none",
        "garbage",
    ],
)
def test_anything_else_is_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        service().verify(token, "corr")


def test_a_previous_key_still_verifies_during_rotation() -> None:
    old = service(keys={"k1": SECRET})
    rotated = service(keys={"k2": "the-new-secret-that-is-long-enough-too", "k1": SECRET})
    token = old.issue(uuid.uuid4(), uuid.uuid4(), ["office"], uuid.uuid4())
    assert rotated.verify(token, "c").context.roles == {"office"}
    assert jwt.get_unverified_header(rotated.issue(uuid.uuid4(), uuid.uuid4(), [], uuid.uuid4()))["kid"] == "k2"


def test_previous_keys_come_from_settings() -> None:
    from bassin_gateway.settings import load_gateway_settings

    settings = load_gateway_settings(
        {
            "BASSIN_JWT_SECRET": "the-new-secret-that-is-long-enough-too",
            "BASSIN_JWT_KEY_ID": "k2",
            "BASSIN_JWT_PREVIOUS_KEYS": f"k1:{SECRET}",
        }
    )
    rotated = TokenService.from_settings(settings)
    assert list(rotated.keys) == ["k2", "k1"]
    token = service().issue(uuid.uuid4(), uuid.uuid4(), ["office"], uuid.uuid4())
    assert rotated.verify(token, "c").context.roles == {"office"}
