"""Signed contexts (``bassin_common.signing``): what a forger without the key cannot do."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from bassin_common.config import DEVELOPMENT_CONTEXT_KEY, Settings, load_settings
from bassin_common.errors import Forbidden
from bassin_common.events import Event
from bassin_common.signing import (
    CONTEXT_SIGNATURE,
    EVENT_SIGNATURE_HEADER,
    ContextSigner,
    InsecureContextKeys,
    check_context_keys,
)
from bassin_common.tenancy import RequestContext

KEY = "k" * 40
OTHER_KEY = "o" * 40
SIGNER = ContextSigner.from_settings(Settings(context_keys=(KEY,)))
CONTEXT = RequestContext(
    tenant_id=uuid.uuid4(),
    user_id="u-1",
    roles=frozenset({"cashier", "sales"}),
    correlation_id="corr-1",
    request_id="till-1-sale-9",
    deadline=1_800_000_000.25,
    customer_id=uuid.uuid4(),
    brand="Hayward",
)


def signer(*keys: str) -> ContextSigner:
    return ContextSigner.from_settings(Settings(context_keys=keys))


def over_the_wire(data: dict[str, Any]) -> dict[str, Any]:
    """What a service reads: the context data through JSON, as text and numbers only."""
    return json.loads(json.dumps(data))


def test_a_signed_context_is_read_back_as_it_was_sent() -> None:
    sent = SIGNER.signed_context_data(CONTEXT)
    assert SIGNER.verified(over_the_wire(sent)) == CONTEXT
    # The order of the roles is no part of what was signed.
    assert SIGNER.verified({**sent, "roles": ["sales", "cashier"]}) == CONTEXT


@pytest.mark.parametrize(
    "tampered",
    [
        {"tenant_id": str(uuid.uuid4())},  # another company
        {"roles": ["cashier", "sales", "manager"]},  # a role added
        {"roles": ["manager"]},
        {"user_id": "u-2"},
        {"customer_id": str(uuid.uuid4())},  # another customer's portal data
        {"brand": "Zodiac"},  # another manufacturer's returns
        {"request_id": "till-1-sale-10"},  # a replay as a new request
        {"deadline": 1_900_000_000.0},  # a replay after the caller's deadline
        {"correlation_id": "corr-2"},
    ],
)
def test_a_context_with_any_field_changed_is_refused(tampered: dict[str, Any]) -> None:
    sent = SIGNER.signed_context_data(CONTEXT)
    with pytest.raises(Forbidden, match="signature is missing or wrong"):
        SIGNER.verified({**sent, **tampered})


@pytest.mark.parametrize("signature", [None, "", "0" * 64, 42, ["x"]])
def test_a_context_without_a_valid_signature_is_refused(signature: Any) -> None:
    data = {**CONTEXT.to_context_data(), CONTEXT_SIGNATURE: signature}
    with pytest.raises(Forbidden, match="signature"):
        SIGNER.verified(data)


def test_a_context_signed_with_another_key_is_refused() -> None:
    with pytest.raises(Forbidden):
        SIGNER.verified(signer(OTHER_KEY).signed_context_data(CONTEXT))


def test_keys_rotate_without_a_stop_sign_with_the_first_accept_any() -> None:
    old, new = KEY, OTHER_KEY
    before = signer(old).signed_context_data(CONTEXT)
    # Step 1: the new key is accepted everywhere before anyone signs with it.
    accepting = signer(old, new)
    assert accepting.verified(before) == CONTEXT
    assert accepting.signed_context_data(CONTEXT) == before  # still signs with the old
    # Step 2: the new key signs; contexts signed with the old one are still accepted.
    rotated = signer(new, old)
    after = rotated.signed_context_data(CONTEXT)
    assert after != before
    assert rotated.verified(before) == rotated.verified(after) == CONTEXT
    assert accepting.verified(after) == CONTEXT  # a process not yet at step 2 accepts it
    # Step 3: the old key is gone: what it signs is refused.
    with pytest.raises(Forbidden):
        signer(new).verified(before)


def test_an_integer_deadline_signs_as_the_float_the_service_reads() -> None:
    sent = SIGNER.signed_context_data(dataclasses.replace(CONTEXT, deadline=1_800_000_000))
    assert SIGNER.verified(over_the_wire(sent)).deadline == 1_800_000_000.0


def event_message(tenant: uuid.UUID | None = None) -> dict[str, Any]:
    event = Event("widget_sold", tenant or CONTEXT.tenant_id, "elsewhere", {"lines": [{"qty": 2, "price": "9.90"}]})
    return over_the_wire(event.to_message())


def test_a_signed_event_is_authentic_however_its_json_was_ordered() -> None:
    message = event_message()
    headers = {EVENT_SIGNATURE_HEADER: SIGNER.sign_event(message)}
    reordered = json.loads(json.dumps(dict(reversed(list(message.items())))))
    assert SIGNER.event_is_authentic(reordered, headers)


@pytest.mark.parametrize(
    "tampered",
    [
        {"tenant_id": str(uuid.uuid4())},  # the same event replayed to another company
        {"event_id": str(uuid.uuid4())},  # replayed as a new event, past the inbox
        {"event_type": "sale_cancelled"},
        {"producer": "warehouse"},
        {"correlation_id": "someone-else"},
        {"data": {"lines": [{"qty": 200, "price": "9.90"}]}},
    ],
)
def test_an_event_with_any_field_of_its_envelope_changed_is_not_authentic(tampered: dict[str, Any]) -> None:
    message = event_message()
    headers = {EVENT_SIGNATURE_HEADER: SIGNER.sign_event(message)}
    assert not SIGNER.event_is_authentic({**message, **tampered}, headers)


def test_an_event_unsigned_or_signed_with_another_key_or_as_a_context_is_not_authentic() -> None:
    message = event_message()
    assert not SIGNER.event_is_authentic(message, {})
    assert not SIGNER.event_is_authentic(message, None)
    assert not SIGNER.event_is_authentic(message, {EVENT_SIGNATURE_HEADER: signer(OTHER_KEY).sign_event(message)})
    assert not SIGNER.event_is_authentic("not an envelope", {EVENT_SIGNATURE_HEADER: SIGNER.sign_event(message)})
    # A context's signature never passes for an event's (distinct purposes are signed).
    assert not SIGNER.event_is_authentic(message, {EVENT_SIGNATURE_HEADER: SIGNER.sign(CONTEXT)})


@pytest.mark.parametrize(
    ("keys", "refusal"),
    [
        ((), "not set"),
        ((DEVELOPMENT_CONTEXT_KEY,), "published in Bassin's repository"),
        (("REPLACE_ME_WITH_A_LONG_RANDOM_CONTEXT_KEY",), "published"),
        (("x" * 31,), "shorter than 32 bytes"),
        ((KEY, "short"), r"key 2\) is shorter"),
    ],
)
def test_a_process_refuses_to_start_with_no_key_a_published_one_or_a_short_one(
    keys: tuple[str, ...], refusal: str
) -> None:
    with pytest.raises(InsecureContextKeys, match=refusal):
        check_context_keys(keys)


def test_keys_are_read_from_the_environment_as_a_list_and_the_default_is_refused() -> None:
    assert load_settings({"BASSIN_CONTEXT_KEYS": f" {KEY} , {OTHER_KEY},"}).context_keys == (KEY, OTHER_KEY)
    check_context_keys((KEY, OTHER_KEY))
    with pytest.raises(InsecureContextKeys):
        check_context_keys(Settings().context_keys)


def test_a_service_process_refuses_to_start_with_the_development_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "BASSIN_CONTEXT_KEYS"}
    command = [sys.executable, "-m", "bassin_common.run", "any-service"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "refusing to start: BASSIN_CONTEXT_KEYS is a value published" in done.stderr, done.stderr[-2000:]
