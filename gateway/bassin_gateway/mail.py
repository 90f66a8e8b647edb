"""E-mail: invitations and password resets, in French (the people who read them use
Bassin in French).

``SmtpMailer`` sends through the SMTP server of the settings (``BASSIN_SMTP_*``): STARTTLS
(port 587) by default, implicit TLS (``tls``, port 465), or none (a relay on the same
host, a test server). Without ``BASSIN_SMTP_HOST`` the gateway runs in **console mode**
(``ConsoleMailer``): each message is written to the log, link included, instead of being
sent — for development only, said at start-up and in every such log line.

Messages leave after the request's transaction has committed, in a green thread of their
own (``send_later``): the answer does not wait for the SMTP server, so it takes the same
time whether an e-mail was sent or not (a password reset tells nothing about an address).
A message that cannot be sent is logged as an error; the manager resends an invitation,
the user asks for another reset.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import eventlet

from bassin_common.logs import describe
from bassin_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "none")
SENDING_AT_ONCE = 10  # messages in flight per process; more wait for a free slot


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


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
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip("> ") or None)
        email.set_content(message.body)
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
            client.send_message(email)


class ConsoleMailer:
    """Console mode: messages are logged, never sent."""

    def send(self, message: Message) -> None:
        log.warning(
            "CONSOLE MAIL MODE (BASSIN_SMTP_HOST is not set): this e-mail is NOT sent, only logged.\n"
            "To: %s\nSubject: %s\n\n%s",
            message.to,
            message.subject,
            message.body,
        )


def mailer_from_settings(settings: GatewaySettings) -> Mailer:
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


_sending = eventlet.GreenPool(SENDING_AT_ONCE)


def send_later(mailer: Mailer, message: Message) -> None:
    """Send ``message`` in a green thread of its own; a failure is logged, never raised."""
    run_later(mailer.send, message)


def run_later(work: Callable[..., Any], *args: Any) -> None:
    """Run ``work(*args)`` — whatever sends an e-mail — in a green thread of its own; a
    failure is logged, never raised."""
    _sending.spawn_n(_run, work, *args)


def _run(work: Callable[..., Any], *args: Any) -> None:
    try:
        work(*args)
    except Exception as error:
        log.error("an e-mail could not be sent: %s", describe(error))


# --- the messages ----------------------------------------------------------------------------


def _hours(hours: float) -> str:
    count = f"{hours:g}"
    return f"{count} heure" if hours <= 1 else f"{count} heures"


def invitation(to: str, full_name: str, company: str, link: str, hours: float, portal: bool) -> Message:
    if portal:
        subject = f"Votre espace client {company}"
        purpose = f"{company} vous ouvre un espace client sur Bassin."
    else:
        subject = f"Invitation à rejoindre {company} sur Bassin"
        purpose = f"{company} vous invite à utiliser Bassin."
    body = (
        f"Bonjour {full_name},\n\n"
        f"{purpose}\n"
        f"Pour activer votre compte et choisir votre mot de passe, ouvrez ce lien "
        f"(valable {_hours(hours)}, utilisable une seule fois) :\n\n"
        f"{link}\n\n"
        f"Votre identifiant sera votre adresse e-mail : {to}\n\n"
        "Si vous n'attendiez pas cette invitation, ignorez simplement ce message.\n\n"
        "— Bassin\n"
    )
    return Message(to, subject, body)


def password_reset(to: str, full_name: str, link: str, hours: float) -> Message:
    body = (
        f"Bonjour {full_name},\n\n"
        "Une réinitialisation du mot de passe de votre compte Bassin a été demandée.\n"
        f"Pour choisir un nouveau mot de passe, ouvrez ce lien (valable {_hours(hours)}, "
        "utilisable une seule fois) :\n\n"
        f"{link}\n\n"
        "Vos sessions ouvertes seront fermées : reconnectez-vous ensuite avec le nouveau mot de passe.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : "
        "votre mot de passe actuel reste valable.\n\n"
        "— Bassin\n"
    )
    return Message(to, "Réinitialisation de votre mot de passe Bassin", body)


def link(settings: GatewaySettings, page: str, secret: str) -> str:
    """The address of a page of Bassin's web application carrying a one-time secret. The
    secret is in the fragment (``#``): browsers never send it to a server, so it does not
    end up in access logs or in a ``Referer``."""
    return f"{settings.public_url.rstrip('/')}/{page}#token={secret}"
