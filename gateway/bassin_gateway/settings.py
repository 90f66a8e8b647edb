"""The gateway's settings: the platform's, plus tokens, HTTP and RPC (``BASSIN_*`` as well)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from bassin_common.config import Settings, load_settings


@dataclasses.dataclass(frozen=True)
class GatewaySettings(Settings):
    jwt_secret: str = "change-me-in-production-this-is-only-for-development"
    jwt_key_id: str = "dev-1"
    # Keys still accepted while tokens they signed expire: "kid1:secret1,kid2:secret2".
    jwt_previous_keys: str = ""
    jwt_ttl_seconds: int = 900
    jwt_issuer: str = "bassin-gateway"
    jwt_audience: str = "bassin-api"
    rpc_timeout: float = 10.0
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000


def load_gateway_settings(env: Mapping[str, str] | None = None) -> GatewaySettings:
    return load_settings(env, GatewaySettings)
