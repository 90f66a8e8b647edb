"""The notifications nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Any

from bassin_common.consumer import event_consumer
from bassin_common.events import Event, EventView
from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import (
    HANDLE_ACTIONS,
    MANAGE_ALERT_RULES,
    MANAGE_OWN_PARTNER_ENDPOINT,
    READ_BUSINESS_DATA,
    READ_OWN_PARTNER_ACCOUNT,
    RUN_SCHEDULED_JOBS,
)
from bassin_common.service import BassinService, edge_rpc, rpc
from bassin_common.uow import UnitOfWork
from notifications import delivery, events, partners, schemas, usecases
from notifications.delivery import DeliverySender


def on(producer: str, event_type: str, view: type[EventView]) -> Any:
    """A handler applying ``usecases.on_event`` once per event (the inbox), with the event
    itself: its id names what it produces when nothing else does. ``consume`` with the
    event passed on."""

    def handler(self: Any, event: Event) -> None:
        self.db.apply_once(event, partial(usecases.on_event, event=event))

    return event_consumer(producer, event_type, view)(handler)


class NotificationsService(BassinService):
    name = "notifications"
    # Its broker resources besides its events and queues: the partners' exchange and queues
    # (``partner_amqp``), granted to its RabbitMQ user (``bassin_common.broker_users``).
    broker_resources = (r"bassin\.partners", r"partner\..+")

    sender = DeliverySender()

    # --- the inbox ---
    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.ActionQuery, returns=page_of(schemas.ActionOutput))
    def list_actions(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.list_actions(uow, query)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.InboxQuery, returns=schemas.InboxSummary)
    def inbox_summary(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.inbox_summary(uow, query)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.ActionOutput)
    def get_action(self, uow: UnitOfWork, action_id: uuid.UUID) -> Any:
        return usecases.get_action(uow, action_id)

    @rpc(requires=HANDLE_ACTIONS, accepts=schemas.ActionStatusInput, returns=schemas.ActionOutput, idempotent=True)
    def set_action_status(
        self, uow: UnitOfWork, action_id: uuid.UUID, if_match: list[str], change: dict[str, Any]
    ) -> Any:
        return usecases.set_action_status(uow, action_id, if_match, change)

    @rpc(requires=HANDLE_ACTIONS, accepts=schemas.AssigneeInput, returns=schemas.ActionOutput, idempotent=True)
    def assign_action(
        self, uow: UnitOfWork, action_id: uuid.UUID, if_match: list[str], assignee: dict[str, Any]
    ) -> Any:
        return usecases.assign_action(uow, action_id, if_match, assignee)

    # --- rules ---
    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.RuleOutput))
    def list_rules(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_rules(uow, page)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.RuleOutput)
    def get_rule(self, uow: UnitOfWork, rule_id: uuid.UUID) -> Any:
        return usecases.get_rule(uow, rule_id)

    @rpc(requires=MANAGE_ALERT_RULES, accepts=schemas.RuleInput, returns=schemas.RuleOutput, idempotent=True)
    def create_rule(self, uow: UnitOfWork, rule: dict[str, Any]) -> Any:
        return usecases.create_rule(uow, rule)

    @rpc(requires=MANAGE_ALERT_RULES, accepts=schemas.RuleInput, returns=schemas.RuleOutput, idempotent=True)
    def update_rule(self, uow: UnitOfWork, rule_id: uuid.UUID, if_match: list[str], rule: dict[str, Any]) -> Any:
        return usecases.update_rule(uow, rule_id, if_match, rule)

    # --- scans (the scheduler's daily jobs, or a manager's "now") ---
    @rpc(requires=RUN_SCHEDULED_JOBS, accepts=schemas.ScanInput, returns=schemas.ScanOutput)
    def run_follow_up_scan(self, uow: UnitOfWork, scan: dict[str, Any]) -> Any:
        return usecases.run_follow_up_scan(uow, scan)

    @rpc(requires=RUN_SCHEDULED_JOBS, accepts=schemas.CampaignInput, returns=schemas.ScanOutput)
    def run_campaign(self, uow: UnitOfWork, scan: dict[str, Any]) -> Any:
        return usecases.run_campaign(uow, scan)

    @edge_rpc
    def known_companies(self) -> list[str]:
        """The companies to run the daily jobs for (ids only, no tenant: for the scheduler)."""
        with self.sender.sessions() as session:
            return usecases.known_companies(session)

    @edge_rpc
    def missed_days(self, job: str, day: str) -> list[str]:
        """The days ``job`` has to run for, up to ``day`` (ISO), missed ones first (the scheduler)."""
        with self.sender.sessions() as session:
            return [d.isoformat() for d in usecases.missed_days(session, job, date.fromisoformat(day))]

    @edge_rpc
    def record_job_run(self, job: str, day: str, outcome: dict[str, Any]) -> None:
        """Note that ``job`` ran for ``day`` for every company (the scheduler's ledger)."""
        with self.sender.sessions() as session, session.begin():
            usecases.record_job_run(session, job, date.fromisoformat(day), outcome)

    # --- deliveries ---
    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.DeliveryQuery, returns=page_of(schemas.DeliveryOutput))
    def list_deliveries(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return delivery.list_deliveries(uow, query)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.DeliveryDetail)
    def get_delivery(self, uow: UnitOfWork, delivery_id: uuid.UUID) -> Any:
        return delivery.get_delivery(uow, delivery_id)

    @rpc(requires=MANAGE_ALERT_RULES, returns=schemas.DeliveryDetail, idempotent=True)
    def send_delivery_again(self, uow: UnitOfWork, delivery_id: uuid.UUID) -> Any:
        return delivery.send_again(uow, delivery_id)

    # --- the company's settings and partners ---
    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.SettingsOutput)
    def get_settings(self, uow: UnitOfWork) -> Any:
        return usecases.get_settings(uow)

    @rpc(requires=MANAGE_ALERT_RULES, accepts=schemas.SettingsInput, returns=schemas.SettingsOutput, idempotent=True)
    def update_settings(self, uow: UnitOfWork, if_match: list[str], settings: dict[str, Any]) -> Any:
        return usecases.update_settings(uow, if_match, settings)

    @rpc(requires=MANAGE_ALERT_RULES, accepts=schemas.PartnerInput, returns=schemas.NewPartnerOutput, idempotent=True)
    def create_partner(self, uow: UnitOfWork, partner: dict[str, Any]) -> Any:
        return partners.create_partner(uow, partner)

    @rpc(requires=MANAGE_ALERT_RULES, accepts=PageQuery, returns=page_of(schemas.PartnerOutput))
    def list_partners(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return partners.list_partners(uow, page)

    @rpc(requires=MANAGE_ALERT_RULES, returns=schemas.PartnerOutput)
    def get_partner(self, uow: UnitOfWork, partner_id: uuid.UUID) -> Any:
        return partners.get_partner(uow, partner_id)

    # --- the manufacturer itself (its API key's brand) ---
    @rpc(requires=READ_OWN_PARTNER_ACCOUNT, returns=schemas.PartnerOutput)
    def partner_get_own(self, uow: UnitOfWork) -> Any:
        return partners.get_own_partner(uow)

    @rpc(requires=MANAGE_OWN_PARTNER_ENDPOINT, accepts=schemas.WebhookInput, returns=schemas.PartnerOutput)
    def partner_set_webhook(self, uow: UnitOfWork, webhook: dict[str, Any]) -> Any:
        return partners.set_own_webhook(uow, webhook)

    @rpc(requires=MANAGE_OWN_PARTNER_ENDPOINT, returns=schemas.RotatedSecretOutput)
    def partner_rotate_secret(self, uow: UnitOfWork) -> Any:
        return partners.rotate_own_secret(uow)


# --- events (docs/dev/event-contracts.md) ---------------------------------------------------------


def subscribe(service: type) -> type:
    """Subscribe ``service`` to the events of ``events.CONSUMED``, each as ``on_<event>``."""
    for producer, event_type, view in events.CONSUMED:
        setattr(service, f"on_{event_type}", on(producer, event_type, view))
    return service


subscribe(NotificationsService)
