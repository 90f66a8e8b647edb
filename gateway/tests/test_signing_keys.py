"""No default signing key: the token service — and so the application, which cannot be
built without one — refuses a key that is unset, known, or shorter than 32 bytes, the
previous keys of a rotation included (issue #17). ``test_server`` checks that
``bassin-gateway`` exits with the reason."""

from __future__ import annotations

import pytest

from bassin_gateway.settings import GatewaySettings, InsecureSettings, load_gateway_settings
from bassin_gateway.tokens import TokenService

STRONG = "a-key-of-the-operators-own-0123456789"
PUBLISHED = "published in Bassin's repository"


def test_there_is_no_default_key() -> None:
    assert GatewaySettings().jwt_secret == ""
    with pytest.raises(InsecureSettings, match="BASSIN_JWT_SECRET is not set"):
        TokenService.from_settings(load_gateway_settings({}))


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"BASSIN_JWT_SECRET": "change-me-in-production-this-is-only-for-development"}, PUBLISHED),
        ({"BASSIN_JWT_SECRET": "compose-dev-only-jwt-secret-replace-me-in-any-shared-setup"}, PUBLISHED),
        ({"BASSIN_JWT_SECRET": "REPLACE_ME_WITH_A_LONG_RANDOM_SECRET"}, PUBLISHED),
        ({"BASSIN_JWT_SECRET": "x" * 31}, "shorter than 32 bytes"),
        ({"BASSIN_JWT_SECRET": "é" * 15 + "x"}, "shorter than 32 bytes"),  # 31 bytes in UTF-8
        ({"BASSIN_JWT_SECRET": STRONG, "BASSIN_JWT_PREVIOUS_KEYS": "old:short"}, "previous key 'old'"),
        ({"BASSIN_JWT_SECRET": STRONG, "BASSIN_JWT_PREVIOUS_KEYS": "old:"}, "previous key 'old' is not set"),
        ({"BASSIN_JWT_SECRET": STRONG, "BASSIN_JWT_PREVIOUS_KEYS": STRONG}, "kid:secret"),
        ({"BASSIN_JWT_SECRET": STRONG, "BASSIN_JWT_KEY_ID": " "}, "BASSIN_JWT_KEY_ID is empty"),
    ],
    ids=[
        "old-default",
        "compose-fallback",
        "k8s-placeholder",
        "31-bytes",
        "31-utf8-bytes",
        "short-previous",
        "empty-previous",
        "no-kid",
        "blank-kid",
    ],
)
def test_weak_or_known_keys_are_refused(env, reason) -> None:
    with pytest.raises(InsecureSettings, match=reason):
        TokenService.from_settings(load_gateway_settings(env))


def test_32_bytes_of_the_operators_own_are_enough() -> None:
    service = TokenService.from_settings(
        load_gateway_settings({"BASSIN_JWT_SECRET": "é" * 16, "BASSIN_JWT_PREVIOUS_KEYS": f"old:{'y' * 32}"})
    )
    assert list(service.keys) == ["dev-1", "old"]


def test_a_token_service_cannot_be_built_around_a_weak_key() -> None:
    with pytest.raises(InsecureSettings):
        TokenService({"k1": "too-short"}, "bassin-gateway", "bassin-api", 900)
    with pytest.raises(InsecureSettings):
        TokenService({}, "bassin-gateway", "bassin-api", 900)
