"""The gateway's e-mails: invitations and password resets, in French (the people who read
them use Bassin in French), sent through ``bassin_common.mail`` (SMTP, or the log in
console mode).

Messages leave after the request's transaction has committed, in a green thread of their
own (``send_later``): the answer does not wait for the SMTP server, so it takes the same
time whether an e-mail was sent or not (a password reset tells nothing about an address).
A message that cannot be sent is logged as an error; the manager resends an invitation,
the user asks for another reset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import eventlet

from bassin_common.logs import describe
from bassin_common.mail import ConsoleMailer, Mailer, Message, SmtpMailer, mailer_from_settings
from bassin_gateway.settings import GatewaySettings

__all__ = ["ConsoleMailer", "Mailer", "Message", "SmtpMailer", "mailer_from_settings", "send_later"]

log = logging.getLogger(__name__)

SENDING_AT_ONCE = 10  # messages in flight per process; more wait for a free slot
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
