"""Sending e-mail, for every process: ``SmtpMailer`` through the SMTP server of the
settings (``BASSIN_SMTP_*``): STARTTLS (port 587) by default, implicit TLS (``tls``, port
465), or none (a relay on the same host, a test server). Without ``BASSIN_SMTP_HOST`` a
process runs in **console mode** (``ConsoleMailer``): each message is written to the log
instead of being sent — for development only, said at start-up and in every such log line.

A message is text, optionally with an HTML alternative and attachments (a PDF purchase
order, invoice or intervention slip). What to send, and when (after the transaction that
decided it has committed), is the caller's business.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from bassin_common.config import Settings

log = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str  # plain text, always
    html: str | None = None  # an alternative for mail readers that show HTML
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


def as_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email.set_content(message.body)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return email


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    security: str = "starttls"
    user: str = ""
    password: str = ""
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"BASSIN_SMTP_SECURITY: one of {', '.join(SECURITY)}, not {self.security!r}")

    def send(self, message: Message) -> None:
        context = ssl.create_default_context()
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password)
            client.send_message(as_email(message, self.sender))


class ConsoleMailer:
    """Console mode: messages are logged, never sent."""

    def send(self, message: Message) -> None:
        attached = "".join(f"\n[attached: {a.filename}, {len(a.data)} bytes]" for a in message.attachments)
        log.warning(
            "CONSOLE MAIL MODE (BASSIN_SMTP_HOST is not set): this e-mail is NOT sent, only logged.\n"
            "To: %s\nSubject: %s\n\n%s%s",
            message.to,
            message.subject,
            message.body,
            attached,
        )


def mailer_from_settings(settings: Settings) -> Mailer:
    if not settings.smtp_host:
        log.warning("e-mail in console mode: BASSIN_SMTP_HOST is not set, e-mails are logged instead of sent")
        return ConsoleMailer()
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )
