"""The gateway's settings: the platform's, plus tokens, HTTP, RPC and login limits
(``BASSIN_*`` as well; docs/operations.md lists them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from bassin_common.config import Settings, load_settings

MIN_SIGNING_KEY_BYTES = 32
# Keys that were written down in this repository once: whoever read it could sign tokens.
KNOWN_DEVELOPMENT_KEYS = frozenset(
    {
        "change-me-in-production-this-is-only-for-development",
        "compose-dev-only-jwt-secret-replace-me-in-any-shared-setup",
        "REPLACE_ME_WITH_A_LONG_RANDOM_SECRET",  # deploy/k8s/base/secret.example.yaml
    }
)


class InsecureSettings(ValueError):
    """Settings the gateway refuses to run with (a missing or weak signing key)."""


@dataclasses.dataclass(frozen=True)
class GatewaySettings(Settings):
    # No default: 32+ random bytes of the operator's own (``./bassin`` makes one locally).
    jwt_secret: str = ""
    jwt_key_id: str = "dev-1"
    # Keys still accepted while tokens they signed expire: "kid1:secret1,kid2:secret2".
    jwt_previous_keys: str = ""
    jwt_ttl_seconds: int = 900
    jwt_issuer: str = "bassin-gateway"
    jwt_audience: str = "bassin-api"
    # One deadline per HTTP request, shared by all its RPCs (then 504).
    rpc_timeout: float = 10.0
    # Seconds RabbitMQ gets to take one RPC request (connect, publish, confirm): past it,
    # 503 — a broker that is away or blocked by an alarm fails fast.
    rpc_publish_timeout: float = 2.0
    # What 503 and 504 answers tell the client in ``Retry-After``, in seconds.
    retry_after_seconds: int = 5
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # Processes serving the port (SO_REUSEPORT: the kernel spreads the connections), each
    # with its own database pool, RPC client and customer-360 cache. 1 by default: in a
    # cluster, scale the replicas; more on one host when one process is CPU-bound there
    # (ADR 0032), within the database's max_connections (each holds up to its own pool).
    gateway_processes: int = 1
    # Proxies in front of the gateway whose X-Forwarded-For is trusted (an ingress: 1).
    # It decides the client address the login limits count per.
    gateway_trusted_proxies: int = 0
    max_request_bytes: int = 1_048_576
    max_json_depth: int = 32
    # Seconds a client connection may stay silent (sending its request, reading the
    # answer, or idle between keep-alive requests) before it is closed.
    http_socket_timeout: float = 30.0
    # Seconds a stopping gateway lets requests in flight finish.
    drain_seconds: float = 20.0
    # Logins: password hashes computed at once (each takes 19 MiB), and how long a login
    # waits for a free slot before 429.
    login_hashing_slots: int = 4
    login_hashing_wait_seconds: float = 1.0
    # Per client address (per process): failed logins allowed in a burst, then per minute.
    login_address_burst: int = 10
    login_address_per_minute: float = 10.0
    # Per account (shared by every replica): failures before the first lock, its length
    # (doubling with each further failure) and the longest.
    login_account_free_failures: int = 5
    login_account_lock_seconds: float = 1.0
    login_account_max_lock_seconds: float = 900.0
    # A session's refresh token: its lifetime (each refresh gives a new one, for as long).
    refresh_ttl_seconds: int = 14 * 24 * 3600
    # The links e-mailed to invite someone and to reset a password: their lifetime, and
    # where people open Bassin (the links' base).
    invitation_ttl_hours: float = 72.0
    password_reset_ttl_hours: float = 1.0
    public_url: str = "http://127.0.0.1:8000"
    # (Sending e-mail: the smtp_* settings of every process, bassin_common.config.)
    # /readyz: how long each check (database, broker, each service) may take.
    readiness_timeout_seconds: float = 2.0
    # Seconds a process trusts an access token it checked (signature, live session)
    # without checking it again; its own writes end that at once (bassin_gateway.callers).
    auth_cache_seconds: float = 1.0
    # The customer 360's cache (ADR 0032): how long an entry may live at most (0: no
    # cache), and how many are kept per process.
    overview_cache_ttl_seconds: float = 300.0
    overview_cache_entries: int = 20_000


def load_gateway_settings(env: Mapping[str, str] | None = None) -> GatewaySettings:
    return load_settings(env, GatewaySettings)


def signing_keys(settings: GatewaySettings) -> dict[str, str]:
    """``kid -> secret``, the signing key first, then the previous ones; refuses weak ones."""
    keys = {settings.jwt_key_id.strip(): settings.jwt_secret}
    for entry in filter(None, (part.strip() for part in settings.jwt_previous_keys.split(","))):
        kid, colon, secret = entry.partition(":")
        if not colon or not kid.strip():
            raise InsecureSettings("BASSIN_JWT_PREVIOUS_KEYS: each entry is kid:secret")
        keys.setdefault(kid.strip(), secret.strip())
    check_signing_keys(keys)
    return keys


def check_signing_keys(keys: Mapping[str, str]) -> None:
    """Refuse a missing key id, or a key that is unset, known or shorter than 32 bytes."""
    if not keys:
        raise InsecureSettings("no signing key")
    for position, (kid, secret) in enumerate(keys.items()):
        name = "BASSIN_JWT_SECRET" if position == 0 else f"the previous key {kid!r}"
        if not kid:
            raise InsecureSettings("BASSIN_JWT_KEY_ID is empty")
        if not secret:
            raise InsecureSettings(f"{name} is not set: give it 32 or more random bytes")
        if secret in KNOWN_DEVELOPMENT_KEYS:
            raise InsecureSettings(f"{name} is a value published in Bassin's repository: use a key of your own")
        if len(secret.encode()) < MIN_SIGNING_KEY_BYTES:
            raise InsecureSettings(f"{name} is shorter than {MIN_SIGNING_KEY_BYTES} bytes")
