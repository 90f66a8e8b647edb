"""notifications use cases, each given the unit of work it runs in (which commits when they return)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.events import Event, EventSpec
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from notifications import delivery, domain, events, partners
from notifications.models import (
    Action,
    Contract,
    Customer,
    JobRun,
    KnownTenant,
    PendingTrigger,
    Rule,
    TenantSettings,
)


def today() -> date:
    """The service's clock (tests move it; nothing else reads the date)."""
    return datetime.now(UTC).date()


def now() -> datetime:
    return datetime.now(UTC)


# --- the company's set-up ------------------------------------------------------------------------


def ensure_company(uow: UnitOfWork) -> TenantSettings:
    """The company's settings; the first time it is seen, with its default rules installed."""
    settings = uow.session.get(TenantSettings, uow.tenant_id)
    if settings is not None:
        return settings
    uow.session.execute(insert(KnownTenant).values(id=uow.tenant_id).on_conflict_do_nothing())
    created = uow.session.execute(
        insert(TenantSettings)
        .values(tenant_id=uow.tenant_id, company_name="", version=1)
        .on_conflict_do_nothing()
        .returning(TenantSettings.tenant_id)
    ).scalar()
    if created is not None:  # this transaction installs the defaults (a concurrent one did not)
        for rule in domain.DEFAULT_RULES:
            uow.session.add(Rule(**_rule_columns(dataclasses.asdict(rule))))
        uow.session.flush()
    return uow.session.get(TenantSettings, uow.tenant_id)


def _rule_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    columns = dict(data)
    columns["conditions"] = [dict(c) for c in columns.get("conditions") or ()]
    return columns


# --- events ------------------------------------------------------------------------------------


def on_event(uow: UnitOfWork, data: dict[str, Any], *, event: Event) -> None:
    """What an event means here: a copy kept current, pending rules cancelled, rules fired."""
    ensure_company(uow)
    kind = event.event_type
    if kind in ("customer_created", "customer_updated"):
        _keep_customers(uow, [data])
    elif kind in ("contract_signed", "contract_expiring"):
        _keep_contracts(uow, [data])
    elif kind == "customers_imported":  # customer_created and contract_signed, many at once
        _keep_customers(uow, data["customers"])
        _keep_contracts(uow, data["contracts"])
    elif kind in domain.CANCELLERS:
        cancel_pending(uow, kind, data)
    elif kind in partners.SHARED:
        partners.deliver_return_event(uow, kind, data, event.event_id)
    if kind == "materials_order_due":
        data = {**data, "materials": domain.materials_text(data["lines"])}
    if kind in domain.TRIGGERS:
        apply_rules(uow, kind, data, event.event_id, today())


def _keep_customers(uow: UnitOfWork, customers: list[Mapping[str, Any]]) -> None:
    rows = [
        {
            "id": data["customer_id"],
            "display_name": data["display_name"],
            "email": data.get("email"),
            "phone": data.get("phone"),
            "consent_email": bool((data.get("consent") or {}).get("email")),
            "consent_sms": bool((data.get("consent") or {}).get("sms")),
        }
        for data in customers
    ]
    _upsert(uow, Customer, rows)


def _keep_contracts(uow: UnitOfWork, contracts: list[Mapping[str, Any]]) -> None:
    columns = ("customer_id", "formula", "starts_on", "ends_on")
    _upsert(uow, Contract, [{"id": data["contract_id"], **{k: data[k] for k in columns}} for data in contracts])


def _upsert(uow: UnitOfWork, model: Any, rows: list[dict[str, Any]]) -> None:
    """Copies kept as they are now, in one statement (none of another company's overwritten)."""
    if not rows:
        return
    statement = insert(model).values([{**row, "tenant_id": uow.tenant_id} for row in rows])
    changed = {key: statement.excluded[key] for key in rows[0] if key != "id"}
    uow.session.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_=changed, where=model.tenant_id == uow.tenant_id)
    )


def cancel_pending(uow: UnitOfWork, canceller: str, data: Mapping[str, Any]) -> int:
    """A quote sent: the follow-ups still waiting for that lead (else that customer) are moot."""
    rules = select(Rule.id).where(Rule.cancelled_by == canceller)
    pending = uow.session.scalars(
        select(PendingTrigger).where(PendingTrigger.status == "pending", PendingTrigger.rule_id.in_(rules))
    ).all()
    cancelled = 0
    for trigger in pending:
        for key in domain.CANCELLERS[canceller]:
            if data.get(key) is not None and trigger.data.get(key) is not None:
                if str(trigger.data[key]) == str(data[key]):
                    trigger.status, cancelled = "cancelled", cancelled + 1
                break  # the first id both name decides (a lead before its customer)
    return cancelled


def _as_rule(row: Rule) -> domain.Rule:
    names = {f.name for f in dataclasses.fields(domain.Rule)}
    values = {name: getattr(row, name) for name in names}
    values["conditions"] = tuple(domain.Condition(**c) for c in row.conditions or ())
    return domain.Rule(**values)


def apply_rules(uow: UnitOfWork, trigger_name: str, data: Mapping[str, Any], event_id: Any, day: date) -> int:
    """Each enabled rule of this trigger whose conditions hold fires now, or waits for its day."""
    trigger = domain.TRIGGERS[trigger_name]
    fired = 0
    data = domain.as_json(data)
    for row in uow.session.scalars(select(Rule).where(Rule.trigger == trigger_name, Rule.enabled.is_(True))):
        rule = _as_rule(row)
        if not domain.matches(rule, trigger_name, data):
            continue
        key = domain.dedup_key(row.id, trigger, data, event_id)
        due = domain.due_date(rule, data, day)
        if due > day:
            uow.session.execute(
                insert(PendingTrigger)
                .values(
                    tenant_id=uow.tenant_id,
                    id=uuid.uuid4(),
                    dedup_key=key,
                    rule_id=row.id,
                    trigger=trigger_name,
                    data=data,
                    source_ref=_source_ref(key),
                    due_on=due,
                    status="pending",
                )
                .on_conflict_do_nothing()
            )
            continue
        fired += fire(uow, row, data, key, day)
    return fired


def _source_ref(key: str) -> str:
    return key.split(":", 1)[1]  # the trigger and its subject, without the rule


def fire(uow: UnitOfWork, rule: Rule, data: Mapping[str, Any], key: str, day: date) -> int:
    """The rule's effect, once per natural key: an action in an inbox, or a message to send."""
    settings = ensure_company(uow)
    customer = _customer(uow, data.get("customer_id"))
    values = {
        **data,
        "customer_name": customer.display_name if customer else "",
        "company_name": settings.company_name or settings.sender_name or "",
    }
    due_on = day + timedelta(days=rule.due_in_days)
    values["due_on"] = due_on
    title = domain.render(rule.title_template, values)[:500]
    message = domain.render(rule.message_template, values)
    if rule.channel == "in_app":
        action = {
            "id": uuid.uuid4(),
            "dedup_key": key,
            "rule_id": rule.id,
            "title": title,
            "message": message,
            "customer_id": customer.id if customer else _uuid_or_none(data.get("customer_id")),
            "customer_name": customer.display_name if customer else None,
            "due_on": due_on,
            "priority": rule.priority,
            "source_event_type": rule.trigger,
            "source_ref": _source_ref(key),
            "link": domain.render(rule.link_template, values) or None,
            "assignee_role": rule.recipient if rule.recipient_kind == "role" else None,
            "assignee_user_id": _assignee(rule, data),
            "status": domain.OPEN,
            "snoozed_until": None,
            "version": 1,
        }
        created = uow.session.execute(
            insert(Action).values(tenant_id=uow.tenant_id, **action).on_conflict_do_nothing().returning(Action.id)
        ).scalar()
        if created is None:  # already opened for this natural key: nothing new to announce
            return 0
        uow.emit(events.ACTION_OPENED, {**action, "action_id": created})
        return 1
    return delivery.queue_customer_message(uow, rule, customer, data, key, title, message, settings)


def _assignee(rule: Rule, data: Mapping[str, Any]) -> str | None:
    """The user an action goes to: the rule's user, or the one its trigger names (the
    prospect's salesperson), within the rule's role; None: the role's inbox."""
    if rule.recipient_kind == "user":
        return rule.recipient
    named = data.get(rule.assign_to_field) if rule.assign_to_field else None
    return str(named) if named else None


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _customer(uow: UnitOfWork, customer_id: Any) -> Customer | None:
    found = _uuid_or_none(customer_id)
    return uow.session.get(Customer, found) if found else None


# --- scans -------------------------------------------------------------------------------------


def _scan_day(as_of: date | None) -> date:
    day = as_of or today()
    if day > today():
        raise ValidationFailed.field("as_of", "a scan runs for today or a past day, not a day to come")
    return day


def run_follow_up_scan(uow: UnitOfWork, scan: dict[str, Any]) -> dict[str, Any]:
    """Fire every delayed rule whose day has come (a missed day's included): idempotent, the
    triggers fired are marked, and what they produce has its natural key."""
    ensure_company(uow)
    day = _scan_day(scan.get("as_of"))
    due = uow.session.scalars(
        select(PendingTrigger)
        .where(PendingTrigger.status == "pending", PendingTrigger.due_on <= day)
        .order_by(PendingTrigger.due_on, PendingTrigger.id)
        .with_for_update(skip_locked=True)
    ).all()
    fired = 0
    for pending in due:
        rule = uow.session.get(Rule, pending.rule_id)
        if rule is not None and rule.enabled:
            fired += fire(uow, rule, pending.data, pending.dedup_key, day)
        pending.status = "fired"
    return {"scan": "follow_up", "as_of": day, "fired": fired}


def run_campaign(uow: UnitOfWork, scan: dict[str, Any]) -> dict[str, Any]:
    """A seasonal campaign: one action per customer with a running maintenance contract,
    once per season (the natural key holds the season), from its first day on."""
    campaign = scan["campaign"]
    ensure_company(uow)
    day = _scan_day(scan.get("as_of"))
    season = domain.campaign_season(campaign, day)
    fired = 0
    if season is not None:
        contracts = uow.session.scalars(
            select(Contract).where(Contract.starts_on <= day, Contract.ends_on >= day).order_by(Contract.id)
        )
        for contract in contracts:
            data = {
                "contract_id": contract.id,
                "customer_id": contract.customer_id,
                "formula": contract.formula,
                "season": season,
            }
            fired += apply_rules(uow, campaign, data, None, day)
    return {"scan": campaign, "as_of": day, "fired": fired}


# --- the inbox ---------------------------------------------------------------------------------


def _inbox(uow: UnitOfWork, statement: Any, status: str, inbox: str) -> Any:
    """``statement`` narrowed to the actions of ``status`` (open: snoozed ones whose day has
    come too) in the caller's inbox (``mine``: theirs, and their roles' assigned to no one
    in particular) or the company's (``all``)."""
    if status == domain.OPEN:
        statement = statement.where(
            or_(Action.status == domain.OPEN, and_(Action.status == domain.SNOOZED, Action.snoozed_until <= today()))
        )
    else:
        statement = statement.where(Action.status == status)
    if inbox == "mine":
        roles = sorted(uow.context.roles)
        mine = [Action.assignee_role.in_(roles) & Action.assignee_user_id.is_(None)]
        if uow.context.user_id:
            mine.append(Action.assignee_user_id == uow.context.user_id)
        statement = statement.where(or_(*mine))
    return statement


def inbox_summary(uow: UnitOfWork, query: dict[str, Any]) -> dict[str, int]:
    """What the dashboard shows of an inbox: its open actions, how many are late, due
    today, of high priority."""
    day = today()
    counts = _inbox(
        uow,
        select(
            func.count(),
            func.count().filter(Action.due_on < day),
            func.count().filter(Action.due_on == day),
            func.count().filter(Action.priority == "high"),
        ).select_from(Action),
        domain.OPEN,
        query["inbox"],
    )
    open_, overdue, due_today, high = uow.session.execute(counts).one()
    return {"open": open_, "overdue": overdue, "due_today": due_today, "high_priority": high}


def list_actions(uow: UnitOfWork, query: dict[str, Any]) -> Page[Action]:
    statement = _inbox(uow, select(Action), query["status"], query["inbox"])
    if query.get("role"):
        statement = statement.where(Action.assignee_role == query["role"])
    if query.get("user_id"):
        statement = statement.where(Action.assignee_user_id == query["user_id"])
    if query.get("customer_id"):
        statement = statement.where(Action.customer_id == query["customer_id"])
    return read_page(uow.session, statement, (Action.due_on, Action.id), query)


def get_action(uow: UnitOfWork, action_id: uuid.UUID, *, lock: bool = False) -> Action:
    statement = select(Action).where(Action.id == action_id)
    action = uow.session.scalar(statement.with_for_update() if lock else statement)
    if action is None:
        raise NotFound("no such action")
    return action


def set_action_status(uow: UnitOfWork, action_id: uuid.UUID, if_match: list[str], change: dict[str, Any]) -> Action:
    action = get_action(uow, action_id, lock=True)
    require_version(action.version, if_match, "action")
    domain.check_transition(action.status, change["status"], change.get("snoozed_until"), today())
    action.status, action.snoozed_until = change["status"], change.get("snoozed_until")
    action.version += 1
    closed = action.status in (domain.DONE, domain.DISMISSED)
    _announce(uow, events.ACTION_CLOSED if closed else events.ACTION_UPDATED, action)
    return action


def assign_action(uow: UnitOfWork, action_id: uuid.UUID, if_match: list[str], assignee: dict[str, Any]) -> Action:
    if not assignee.get("role") and not assignee.get("user_id"):
        raise ValidationFailed.field("role", "a role or a user_id (or both)")
    action = get_action(uow, action_id, lock=True)
    require_version(action.version, if_match, "action")
    action.assignee_role, action.assignee_user_id = assignee.get("role"), assignee.get("user_id")
    action.version += 1
    _announce(uow, events.ACTION_UPDATED, action)
    return action


def _announce(uow: UnitOfWork, spec: EventSpec, action: Action) -> None:
    """``spec`` of ``action`` as it is now, in the outbox with the change (ADR 0032: the
    gateway's customer-360 cache forgets what it kept of it)."""
    uow.emit(spec, {"action_id": action.id, **{k: getattr(action, k) for k in _ANNOUNCED}})


_ANNOUNCED = tuple(name for name in events.ActionChanged().fields if name != "action_id")


# --- rules -------------------------------------------------------------------------------------


def list_rules(uow: UnitOfWork, page: dict[str, Any]) -> Page[Rule]:
    ensure_company(uow)
    return read_page(uow.session, select(Rule), (Rule.code, Rule.id), page)


def get_rule(uow: UnitOfWork, rule_id: uuid.UUID, *, lock: bool = False) -> Rule:
    statement = select(Rule).where(Rule.id == rule_id)
    rule = uow.session.scalar(statement.with_for_update() if lock else statement)
    if rule is None:
        raise NotFound("no such rule")
    return rule


def create_rule(uow: UnitOfWork, data: dict[str, Any]) -> Rule:
    ensure_company(uow)
    domain.validate_rule(data)
    if uow.session.scalar(select(Rule.id).where(Rule.code == data["code"])) is not None:
        raise ValidationFailed.field("code", "another rule of the company has this code")
    rule = Rule(**_rule_columns(data), version=1)
    uow.session.add(rule)
    uow.session.flush()
    return rule


def update_rule(uow: UnitOfWork, rule_id: uuid.UUID, if_match: list[str], data: dict[str, Any]) -> Rule:
    rule = get_rule(uow, rule_id, lock=True)
    require_version(rule.version, if_match, "rule")
    domain.validate_rule(data)
    if data["code"] != rule.code and uow.session.scalar(select(Rule.id).where(Rule.code == data["code"])):
        raise ValidationFailed.field("code", "another rule of the company has this code")
    for name, value in _rule_columns(data).items():
        setattr(rule, name, value)
    rule.version += 1
    # Delayed triggers already waiting keep their rule: they fire as it now says, or not at all.
    if not rule.enabled:
        uow.session.execute(
            update(PendingTrigger)
            .where(PendingTrigger.rule_id == rule.id, PendingTrigger.status == "pending")
            .values(status="cancelled")
        )
    return rule


# --- for the scheduler ---------------------------------------------------------------------------


def known_companies(session: Any) -> list[str]:
    return [str(tenant) for tenant in session.scalars(select(KnownTenant.id).order_by(KnownTenant.id))]


CATCH_UP_DAYS = 7  # how far back a scheduler that was down catches up


def missed_days(session: Any, job: str, day: date) -> list[date]:
    """The days up to ``day`` that ``job`` has not run for, oldest first: ``day`` itself and,
    after the job's first run, each day since its last one (at most a week back)."""
    last = session.scalar(select(func.max(JobRun.day)).where(JobRun.job == job, JobRun.day <= day))
    first = day if last is None else max(last + timedelta(days=1), day - timedelta(days=CATCH_UP_DAYS - 1))
    return [first + timedelta(days=n) for n in range((day - first).days + 1)]


def record_job_run(session: Any, job: str, day: date, outcome: dict[str, Any]) -> None:
    session.execute(
        insert(JobRun)
        .values(job=job, day=day, outcome=outcome)
        .on_conflict_do_update(index_elements=["job", "day"], set_={"outcome": outcome, "finished_at": func.now()})
    )


# --- the company's settings ----------------------------------------------------------------------


def get_settings(uow: UnitOfWork) -> TenantSettings:
    return ensure_company(uow)


def update_settings(uow: UnitOfWork, if_match: list[str], data: dict[str, Any]) -> TenantSettings:
    settings = ensure_company(uow)
    uow.session.refresh(settings, with_for_update=True)
    require_version(settings.version, if_match, "settings")
    for name, value in data.items():
        setattr(settings, name, value)
    settings.version += 1
    return settings
