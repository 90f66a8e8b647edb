"""E-mail through a real SMTP server: text, its HTML alternative and a PDF attachment
arrive as sent, accents included; without an SMTP host, messages are only logged."""

from __future__ import annotations

import logging

from bassin_common.config import Settings
from bassin_common.mail import Attachment, ConsoleMailer, Message, SmtpMailer, mailer_from_settings
from bassin_common.testing import SmtpServer

PDF = b"%PDF-1.7\n% bon de commande\n%%EOF\n"


def test_a_message_arrives_with_its_html_and_its_attachment(smtp_server: SmtpServer) -> None:
    mailer = SmtpMailer("127.0.0.1", smtp_server.port, "Piscines Azur <achats@piscines-azur.fr>", security="none")
    mailer.send(
        Message(
            to="commandes@hydrosud.fr",
            subject="Bon de commande BC-2026-00042 — Piscines Azur",
            body="Bonjour,\n\nVeuillez trouver notre commande ci-jointe (1 250,00 €).\n",
            html="<p>Veuillez trouver notre commande ci-jointe (1&nbsp;250,00&nbsp;€).</p>",
            attachments=(Attachment("BC-2026-00042.pdf", "application/pdf", PDF),),
            reply_to="achats@piscines-azur.fr",
        )
    )
    received = smtp_server.wait_for("commandes@hydrosud.fr")
    assert received["Subject"] == "Bon de commande BC-2026-00042 — Piscines Azur"
    assert received["Reply-To"] == "achats@piscines-azur.fr"
    assert "1 250,00 €" in received.get_body(("plain",)).get_content()
    assert "€" in received.get_body(("html",)).get_content()
    (attachment,) = received.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == ("BC-2026-00042.pdf", "application/pdf")
    assert attachment.get_content() == PDF


def test_without_an_smtp_host_messages_are_logged_not_sent(caplog) -> None:
    mailer = mailer_from_settings(Settings(smtp_host=""))
    assert isinstance(mailer, ConsoleMailer)
    with caplog.at_level(logging.WARNING):
        mailer.send(
            Message(
                "client@example.fr",
                "Votre facture",
                "Bonjour",
                attachments=(Attachment("f.pdf", "application/pdf", PDF),),
            )
        )
    assert "NOT sent" in caplog.text and "f.pdf" in caplog.text
