"""The rules as plain Python: validation naming the field, conditions, delays, templates, keys."""

from __future__ import annotations

import dataclasses
import time
from datetime import date

import pytest

from bassin_common.errors import ValidationFailed
from notifications import domain, webhooks
from notifications.domain import Condition


def valid(**change):
    rule = {
        "code": "relance",
        "name": "Relance",
        "trigger": "first_contact_recorded",
        "recipient_kind": "role",
        "recipient": "sales",
        "channel": "in_app",
        "title_template": "Rappeler {customer_name} ({contacted_on})",
    }
    return {**rule, **change}


def fields_at_fault(**change) -> set[str]:
    with pytest.raises(ValidationFailed) as refused:
        domain.validate_rule(valid(**change))
    return set(refused.value.errors)


def test_every_default_rule_is_valid() -> None:
    for rule in domain.DEFAULT_RULES:
        domain.validate_rule(
            dataclasses.asdict(rule) | {"conditions": [dataclasses.asdict(c) for c in rule.conditions]}
        )


def test_a_rule_that_could_not_work_is_refused_naming_each_field() -> None:
    domain.validate_rule(valid())
    assert fields_at_fault(trigger="nope") == {"trigger"}
    assert fields_at_fault(title_template="{inconnu}") == {"title_template"}
    assert fields_at_fault(title_template="{customer_name!r}") == {"title_template"}
    assert fields_at_fault(title_template="{0}") == {"title_template"}
    assert fields_at_fault(title_template="{customer_name") == {"title_template"}
    assert fields_at_fault(channel="sms") == {"channel", "message_template"}
    assert fields_at_fault(recipient_kind="customer", recipient=None) == {"channel"}
    assert fields_at_fault(conditions=[{"field": "source", "op": "gt", "value": "x"}]) == {"conditions.0.value"}
    assert fields_at_fault(conditions=[{"field": "source", "op": "in", "value": "x"}]) == {"conditions.0.value"}
    assert fields_at_fault(delay_from="at") == {"delay_from"}
    assert fields_at_fault(cancelled_by="order_confirmed") == {"cancelled_by"}
    assert fields_at_fault(
        trigger="reorder_needed",
        recipient_kind="customer",
        recipient=None,
        channel="email",
        message_template="x",
        title_template="x",
    ) == {"recipient_kind"}


def test_conditions_compare_numbers_dates_and_text() -> None:
    data = {"category": "Heat_Pump", "balance": "1500.00", "due_on": "2026-04-30", "problems": ["ph", "chlore"]}
    holds = lambda op, field, value=None: domain.condition_holds(Condition(field, op, value), data)  # noqa: E731
    assert holds("eq", "category", "heat_pump")
    assert holds("gte", "balance", "1000") and not holds("lt", "balance", 1000)
    assert holds("lt", "due_on", "2026-05-01")
    assert not holds("gt", "category", "1")  # text is not a number: never true
    assert holds("in", "category", ["filter", "heat_pump"])
    assert holds("contains", "problems", "PH")
    assert holds("present", "balance") and holds("absent", "nothing")


def test_a_delay_counts_from_the_rule_s_date_and_the_key_from_its_subject() -> None:
    rule = domain.DEFAULT_RULES[0]
    assert domain.due_date(rule, {"contacted_on": "2026-05-04"}, date(2026, 5, 10)) == date(2026, 5, 7)
    reminder = next(r for r in domain.DEFAULT_RULES if r.code == "intervention_tomorrow")
    assert domain.due_date(reminder, {"starts_at": "2026-05-12T08:00:00+02:00"}, date(2026, 5, 4)) == date(2026, 5, 11)
    trigger = domain.TRIGGERS["equipment_end_of_life_approaching"]
    one = domain.dedup_key("r1", trigger, {"equipment_id": "e1"}, "event-1")
    assert one == domain.dedup_key("r1", trigger, {"equipment_id": "e1"}, "event-2")  # the scan again
    assert one != domain.dedup_key("r2", trigger, {"equipment_id": "e1"}, "event-1")  # another rule


def test_messages_are_rendered_in_french_formats() -> None:
    text = domain.render("Le {ends_on} : {balance} € ({x})", {"ends_on": "2026-12-31", "balance": "12.50"})
    assert text == "Le 31/12/2026 : 12.50 € ()"


def test_action_states() -> None:
    today = date(2026, 5, 4)
    domain.check_transition("open", "snoozed", date(2026, 5, 5), today)
    domain.check_transition("done", "open", None, today)
    with pytest.raises(ValidationFailed):
        domain.check_transition("done", "dismissed", None, today)
    with pytest.raises(ValidationFailed):
        domain.check_transition("open", "snoozed", today, today)


def test_campaigns_run_from_their_first_day_each_year() -> None:
    assert domain.campaign_season("spring_opening", date(2026, 2, 28)) is None
    assert domain.campaign_season("spring_opening", date(2026, 3, 1)) == "2026"
    assert domain.campaign_season("autumn_closing", date(2026, 10, 1)) == "2026"


def test_the_partner_helper_accepts_bassin_s_signature_and_rejects_a_tampered_one() -> None:
    body = b'{"type":"warranty_return_requested"}'
    headers = webhooks.headers("whsec_zodiac", "msg-1", body)
    webhooks.verify("whsec_zodiac", headers, body)
    for bad_body, secret, now in (
        (body.replace(b"requested", b"refused"), "whsec_zodiac", None),
        (body, "whsec_hayward", None),
        (body, "whsec_zodiac", time.time() + 301),
    ):
        with pytest.raises(webhooks.InvalidSignature):
            webhooks.verify(secret, headers, bad_body, now=now)
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.verify("whsec_zodiac", {}, body)


def test_a_webhook_to_the_platform_s_own_network_is_refused(monkeypatch) -> None:
    from notifications import delivery, partners

    monkeypatch.delenv("BASSIN_WEBHOOK_ALLOW_PRIVATE", raising=False)
    for url in ("http://127.0.0.1:15672/api/users", "http://10.0.0.5/x", "http://169.254.169.254/latest"):
        with pytest.raises(delivery.PermanentDeliveryError):
            partners.check_destination(url)
    monkeypatch.setenv("BASSIN_WEBHOOK_ALLOW_PRIVATE", "1")
    partners.check_destination("http://127.0.0.1:8080/hook")
