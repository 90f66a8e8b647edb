"""Access tokens — short-lived JWTs, checked as RFC 8725 recommends — and the random
secrets the gateway hands out (refresh tokens, one-time links, API keys).

One algorithm is allowed (HS256), never taken from the token; issuer, audience, expiry
and the session are required and checked; the ``kid`` header selects the key, so a new
key can be introduced while tokens signed with the previous one are still honoured.
There is no default key: a token service (so an application) is never built with a key
that is missing, shorter than 32 bytes or published in this repository
(``settings.check_signing_keys``).

A valid signature is not enough: every access token names its login session (``sid``),
and the gateway checks for each request that the session and its user are still live
(``sessions.live_caller``). The other secrets are opaque: 256 random bits, stored only as
their SHA-256 (``digest``) — they are too long to guess, so a fast hash is the right one,
and a lookup by it is one index probe.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from bassin_common.tenancy import RequestContext
from bassin_gateway.settings import GatewaySettings, check_signing_keys, signing_keys

ALGORITHM = "HS256"
SECRET_BYTES = 32
# API keys say what they are, so that a caller's credential is told from a JWT at a glance
# (and secret scanners can find a leaked one).
API_KEY_PREFIX = "bassin_pk_"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class AccessToken:
    """What a valid access token says: the caller, and the login session it belongs to."""

    context: RequestContext
    session_id: uuid.UUID


@dataclass(frozen=True)
class TokenService:
    keys: dict[str, str]  # kid -> secret; the first one signs
    issuer: str
    audience: str
    ttl_seconds: int

    def __post_init__(self) -> None:
        check_signing_keys(self.keys)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> TokenService:
        return cls(signing_keys(settings), settings.jwt_issuer, settings.jwt_audience, settings.jwt_ttl_seconds)

    def issue(
        self,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        roles: list[str],
        session_id: uuid.UUID,
        customer_id: uuid.UUID | None = None,
    ) -> str:
        kid, secret = next(iter(self.keys.items()))
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "tid": str(tenant_id),
            "sid": str(session_id),
            "roles": roles,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": str(uuid.uuid4()),
        }
        if customer_id is not None:
            claims["cid"] = str(customer_id)
        return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": kid})

    def verify(self, token: str, correlation_id: str) -> AccessToken:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self.keys.get(kid)
            if secret is None:
                raise InvalidToken("unknown key id")
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "tid", "sid"]},
            )
            context = RequestContext(
                tenant_id=uuid.UUID(claims["tid"]),
                user_id=str(uuid.UUID(claims["sub"])),
                roles=frozenset(claims.get("roles", [])),
                correlation_id=correlation_id,
                customer_id=uuid.UUID(claims["cid"]) if claims.get("cid") else None,
            )
            return AccessToken(context, uuid.UUID(claims["sid"]))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidToken(str(exc)) from exc


def new_secret(prefix: str = "") -> str:
    """A secret to hand out once: 256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()
