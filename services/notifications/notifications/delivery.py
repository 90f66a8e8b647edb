"""Messages out: e-mail over SMTP, SMS through a provider, signed webhooks to partners.

A rule that writes to a customer queues a ``Delivery`` in the transaction that decided it
(nothing is sent for an effect that rolls back), unless the customer has not consented to
that channel or has no address for it: then the delivery is recorded as ``skipped``, with
why. The ``DeliverySender`` of the service sends what is due after the commit: it claims due
deliveries across companies from ``due_deliveries`` (ids only), then handles each in its
company's transaction — an attempt logged (``delivery_attempts``), ``sent`` on success, else
retried with backoff (``BASSIN_DELIVERY_RETRY_DELAYS``, seconds, the last one repeating)
until ``give_up_at`` (24 hours), then ``failed``. A person can send a delivery again.

SMS go through an ``SmsProvider``; ``LoggingSmsProvider`` (the development provider, and the
only one here: ``BASSIN_SMS_PROVIDER=log``) writes each SMS to the log, said in every line.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import formataddr
from typing import Any, Protocol

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider
from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from bassin_common.config import settings_from_nameko
from bassin_common.database import assert_cooperative_psycopg, make_engine, make_session_factory
from bassin_common.errors import NotFound, ValidationFailed
from bassin_common.faults import is_transient
from bassin_common.logs import describe
from bassin_common.mail import Mailer, Message, SmtpMailer, mailer_from_settings
from bassin_common.pagination import Page, read_page
from bassin_common.tenancy import TENANT_KEY
from bassin_common.uow import UnitOfWork
from notifications.models import Customer, Delivery, DeliveryAttempt, DueDelivery, Partner, Rule, TenantSettings

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
GIVE_UP_AFTER = timedelta(hours=24)
DEFAULT_DELAYS = (60.0, 300.0, 900.0, 3600.0, 7200.0, 14400.0)
BATCH = 20
LEASE = timedelta(minutes=2)  # a claimed delivery not finished by then is claimed again


def retry_delays() -> tuple[float, ...]:
    raw = os.environ.get("BASSIN_DELIVERY_RETRY_DELAYS", "")
    return tuple(float(part) for part in raw.split(",") if part.strip()) or DEFAULT_DELAYS


def backoff(attempts: int) -> timedelta:
    delays = retry_delays()
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


def _now() -> datetime:
    return datetime.now(UTC)


# --- queueing ------------------------------------------------------------------------------------


def queue(uow: UnitOfWork, **values: Any) -> Delivery | None:
    """A delivery, once per ``dedup_key``; pending ones are due at once. None: it existed."""
    pending = values.get("status", PENDING) == PENDING
    now = _now()
    row = {
        "tenant_id": uow.tenant_id,
        "id": uuid.uuid4(),
        "status": PENDING,
        "attempts": 0,
        "subject": "",
        "body_text": "",
        "next_attempt_at": now if pending else None,
        "give_up_at": now + GIVE_UP_AFTER,
        **values,
    }
    created = uow.session.execute(
        insert(Delivery).values(**row).on_conflict_do_nothing().returning(Delivery.id)
    ).scalar()
    if created is None:
        return None
    if pending:
        uow.session.add(DueDelivery(delivery_id=created, company=uow.tenant_id, due_at=now))
    return uow.session.get(Delivery, created)


def queue_customer_message(
    uow: UnitOfWork,
    rule: Rule,
    customer: Customer | None,
    data: dict[str, Any],
    key: str,
    title: str,
    message: str,
    settings: TenantSettings,
) -> int:
    """An e-mail or an SMS to the customer the trigger is about, if they agreed to it."""
    email = rule.channel == "email"
    address = (customer.email if email else customer.phone) if customer else None
    consented = customer is not None and (customer.consent_email if email else customer.consent_sms)
    status, reason = PENDING, None
    if customer is None:
        status, reason = SKIPPED, "customer unknown here (no customer_created received)"
    elif not address:
        status, reason = SKIPPED, f"the customer has no {'e-mail address' if email else 'mobile number'}"
    elif not consented:
        status, reason = SKIPPED, f"the customer has not consented to {'e-mail' if email else 'SMS'} (or opted out)"
    created = queue(
        uow,
        dedup_key=key,
        channel=rule.channel,
        rule_id=rule.id,
        customer_id=customer.id if customer else None,
        recipient=address or "",
        subject=title,
        body_text=message,
        body_html=email_html(title, message, settings.company_name or settings.sender_name or "") if email else None,
        source_event_type=rule.trigger,
        status=status,
        last_error=reason,
    )
    return 1 if created is not None else 0


def email_html(title: str, message: str, company: str) -> str:
    """The HTML alternative of a customer e-mail: the text, escaped, in a plain letter."""
    paragraphs = "".join(
        f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in message.split("\n\n") if block.strip()
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:Arial,sans-serif;color:#12324a;max-width:40em">'
        f'<h1 style="font-size:1.2em;color:#0a6b8f">{html.escape(title)}</h1>{paragraphs}'
        f'<hr><p style="font-size:.8em;color:#667">{html.escape(company)}</p></body></html>'
    )


# --- reading and sending again -----------------------------------------------------------------


def list_deliveries(uow: UnitOfWork, query: dict[str, Any]) -> Page[Delivery]:
    statement = select(Delivery)
    if query.get("status"):
        statement = statement.where(Delivery.status == query["status"])
    if query.get("partner_id"):
        statement = statement.where(Delivery.partner_id == query["partner_id"])
    return read_page(uow.session, statement, (Delivery.created_at, Delivery.id), query, descending=True)


def get_delivery(uow: UnitOfWork, delivery_id: uuid.UUID) -> dict[str, Any]:
    found = uow.session.scalar(select(Delivery).where(Delivery.id == delivery_id))
    if found is None:
        raise NotFound("no such delivery")
    attempts = uow.session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == found.id).order_by(DeliveryAttempt.number)
    ).all()
    return {**{c.key: getattr(found, c.key) for c in Delivery.__table__.columns}, "log": attempts}


def send_again(uow: UnitOfWork, delivery_id: uuid.UUID) -> dict[str, Any]:
    """Send a delivery again (a failed one, a skipped one whose customer now consents, or a
    sent one the customer says they lost): it is due at once, with a fresh 24 hours."""
    found = uow.session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())
    if found is None:
        raise NotFound("no such delivery")
    if found.status == PENDING:
        raise ValidationFailed.field("status", "this delivery is still being sent")
    if found.customer_id is not None:
        customer = uow.session.get(Customer, found.customer_id)
        email = found.channel == "email"
        address = (customer.email if email else customer.phone) if customer else None
        if not customer or not address or not (customer.consent_email if email else customer.consent_sms):
            raise ValidationFailed.field("customer_id", "the customer has no address for it or has not consented")
        found.recipient = address
    now = _now()
    found.status, found.next_attempt_at, found.give_up_at, found.last_error = PENDING, now, now + GIVE_UP_AFTER, None
    uow.session.execute(
        insert(DueDelivery).values(delivery_id=found.id, company=uow.tenant_id, due_at=now).on_conflict_do_nothing()
    )
    return get_delivery(uow, delivery_id)


# --- the channels ---------------------------------------------------------------------------------


class SmsProvider(Protocol):
    def send(self, to: str, text: str) -> str:
        """Send one SMS; returns the provider's message id; raises when it was not accepted."""


class LoggingSmsProvider:
    """Development provider: every SMS is written to the log, never sent."""

    sent: list[tuple[str, str]] = []  # what it was given, for tests of one process

    def send(self, to: str, text: str) -> str:
        log.warning(
            "SMS LOG PROVIDER (BASSIN_SMS_PROVIDER=log): this SMS is NOT sent, only logged. To: %s\n%s", to, text
        )
        LoggingSmsProvider.sent.append((to, text))
        return f"log-{uuid.uuid4()}"


def sms_provider_from_environment() -> SmsProvider:
    name = os.environ.get("BASSIN_SMS_PROVIDER", "log")
    if name != "log":
        raise RuntimeError(f"BASSIN_SMS_PROVIDER={name!r}: only 'log' is available in this version")
    return LoggingSmsProvider()


@dataclasses.dataclass
class Channels:
    mailer: Mailer
    sms: SmsProvider

    def send(self, delivery: Delivery, settings: TenantSettings | None, partner: Partner | None) -> str:
        """Send one delivery; returns what to log; raises when it did not go."""
        if delivery.channel == "email":
            mailer = self.mailer
            if isinstance(mailer, SmtpMailer) and settings is not None and settings.sender_email:
                mailer = dataclasses.replace(
                    mailer, sender=formataddr((settings.sender_name or "", settings.sender_email))
                )
            mailer.send(
                Message(
                    to=delivery.recipient, subject=delivery.subject, body=delivery.body_text, html=delivery.body_html
                )
            )
            return "accepted by the SMTP server"
        if delivery.channel == "sms":
            return f"accepted by the SMS provider ({self.sms.send(delivery.recipient, delivery.body_text)})"
        if delivery.channel == "amqp":
            from notifications import partner_amqp

            if partner is None or not partner.active:
                raise PermanentDeliveryError("the partner is gone or inactive")
            return partner_amqp.publish(delivery.tenant_id, partner.brand, str(delivery.id), delivery.payload or {})
        if delivery.channel == "webhook":
            from notifications.partners import post_webhook

            if partner is None or not partner.active:
                raise PermanentDeliveryError("the partner is gone or inactive")
            return post_webhook(delivery, partner)
        raise PermanentDeliveryError(f"unknown channel {delivery.channel}")


class PermanentDeliveryError(Exception):
    """Retrying would not help (no partner, unknown channel)."""


def deliver_one(session: Any, delivery_id: uuid.UUID, channels: Channels) -> str | None:
    """Attempt one due delivery, in its company's transaction (``session``); returns its status."""
    delivery = session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update(skip_locked=True))
    if delivery is None or delivery.status != PENDING:
        session.execute(delete(DueDelivery).where(DueDelivery.delivery_id == delivery_id))
        return delivery.status if delivery else None
    if delivery.customer_id is not None and (withdrawn := _consent_withdrawn(session, delivery)):
        delivery.status, delivery.last_error = SKIPPED, withdrawn  # an opt-out since it was queued
        session.execute(delete(DueDelivery).where(DueDelivery.delivery_id == delivery.id))
        return delivery.status
    settings = session.get(TenantSettings, delivery.tenant_id)
    partner = session.get(Partner, delivery.partner_id) if delivery.partner_id else None
    delivery.attempts += 1
    now = _now()
    try:
        detail = channels.send(delivery, settings, partner)
        ok, delivery.status, delivery.sent_at, delivery.last_error = True, SENT, now, None
    except Exception as error:
        ok, detail = False, describe(error)
        delivery.last_error = detail
        permanent = isinstance(error, PermanentDeliveryError)
        retry_at = now + backoff(delivery.attempts)
        if permanent or retry_at > delivery.give_up_at:
            delivery.status = FAILED
        else:
            delivery.next_attempt_at = retry_at
    session.add(DeliveryAttempt(delivery_id=delivery.id, number=delivery.attempts, ok=ok, detail=detail[:2000]))
    if delivery.status == PENDING:
        session.execute(
            update(DueDelivery).where(DueDelivery.delivery_id == delivery.id).values(due_at=delivery.next_attempt_at)
        )
    else:
        session.execute(delete(DueDelivery).where(DueDelivery.delivery_id == delivery.id))
    log.info("delivery %s (%s) attempt %s: %s", delivery.id, delivery.channel, delivery.attempts, detail)
    return delivery.status


def _consent_withdrawn(session: Any, delivery: Delivery) -> str | None:
    """Why a customer message may no longer go (consent withdrawn since it was queued)."""
    customer = session.get(Customer, delivery.customer_id)
    allowed = customer is not None and (customer.consent_email if delivery.channel == "email" else customer.consent_sms)
    return None if allowed else f"the customer withdrew consent to {delivery.channel} (opted out) before it was sent"


_CLAIM = text(
    """
    UPDATE due_deliveries SET due_at = :lease
    WHERE delivery_id IN (
        SELECT delivery_id FROM due_deliveries WHERE due_at <= :now
        ORDER BY due_at LIMIT :batch FOR UPDATE SKIP LOCKED
    )
    RETURNING delivery_id, company
    """
)


class DeliverySender(DependencyProvider):
    """Sends due deliveries in the service's container, polling ``due_deliveries``
    (``BASSIN_DELIVERY_POLL_INTERVAL`` seconds, 1 by default) and woken by new ones."""

    def setup(self) -> None:
        assert_cooperative_psycopg()
        settings = settings_from_nameko()
        url = settings.service_database_url(self.container.service_name)
        self.engine = make_engine(url, pool_size=1, role=settings.database_role, settings=settings)
        self.sessions = make_session_factory(self.engine)
        self.channels = Channels(mailer_from_settings(settings), sms_provider_from_environment())
        self.interval = float(os.environ.get("BASSIN_DELIVERY_POLL_INTERVAL", "1"))
        self._stopping, self._thread, self._woken = False, None, GreenEvent()

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._run, identifier="delivery_sender")

    def stop(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.wait()
        self.engine.dispose()

    def kill(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()

    def get_dependency(self, worker_ctx: Any) -> DeliverySender:
        return self

    def wake(self) -> None:
        if not self._woken.ready():
            self._woken.send()

    def send_due(self) -> int:
        """One round: claim what is due, attempt each; returns how many were attempted."""
        with self.sessions() as session, session.begin():
            now = _now()
            claimed = session.execute(_CLAIM, {"now": now, "lease": now + LEASE, "batch": BATCH}).all()
        for delivery_id, company in claimed:
            with self.sessions(info={TENANT_KEY: company}) as session, session.begin():
                deliver_one(session, delivery_id, self.channels)
        return len(claimed)

    def _run(self) -> None:
        while not self._stopping:
            try:
                self._woken = GreenEvent()
                if self.send_due() < BATCH:
                    with eventlet.Timeout(self.interval, False):
                        self._woken.wait()
            except Exception as error:
                if is_transient(error):
                    log.warning("delivery sender: %s; retrying", describe(error))
                else:
                    log.exception("delivery sender failed; retrying")
                eventlet.sleep(self.interval)
        time.sleep(0)
