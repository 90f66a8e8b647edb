"""Access tokens: short-lived JWTs, checked as RFC 8725 recommends.

One algorithm is allowed (HS256), never taken from the token; issuer, audience and
expiry are required and checked; the ``kid`` header selects the key, so a new key can
be introduced while tokens signed with the previous one are still honoured. There is no
default key: a token service (so an application) is never built with a key that is
missing, shorter than 32 bytes or published in this repository
(``settings.check_signing_keys``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from bassin_common.tenancy import RequestContext
from bassin_gateway.settings import GatewaySettings, check_signing_keys, signing_keys

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


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

    def issue(self, user_id: uuid.UUID, tenant_id: uuid.UUID, roles: list[str]) -> str:
        kid, secret = next(iter(self.keys.items()))
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "tid": str(tenant_id),
            "roles": roles,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": kid})

    def verify(self, token: str, correlation_id: str) -> RequestContext:
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
                options={"require": ["exp", "iat", "iss", "aud", "sub", "tid"]},
            )
            return RequestContext(
                tenant_id=uuid.UUID(claims["tid"]),
                user_id=claims["sub"],
                roles=frozenset(claims.get("roles", [])),
                correlation_id=correlation_id,
            )
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise InvalidToken(str(exc)) from exc
