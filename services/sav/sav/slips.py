"""The intervention slip as a PDF, and the e-mail that carries it to the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bassin_common.documents import Company, render_pdf
from bassin_common.mail import Attachment, Mailer, Message
from sav import domain

# The letterhead: services hold no tenant profile yet (follow-up), so the slip is headed
# with the after-sales service and the company's name comes with the e-mail's sender.
LETTERHEAD = Company(name="Service après-vente")


def slip_pdf(slip: dict[str, Any]) -> bytes:
    return render_pdf(
        "sav",
        "slip.html",
        company=LETTERHEAD,
        slip=slip,
        starts_at=datetime.fromisoformat(slip["starts_at"]).astimezone(domain.TIMEZONE),
        signed_at=datetime.fromisoformat(slip["signed_at"]).astimezone(domain.TIMEZONE),
        signature=slip["signature_image"],
    )


def send_slip(mailer: Mailer, slip: dict[str, Any], to: str) -> None:
    number = slip["ticket_number"]
    mailer.send(
        Message(
            to=to,
            subject=f"Votre bon d'intervention {number}",
            body=(
                f"Bonjour,\n\nVeuillez trouver ci-joint le bon d'intervention {number}, "
                f"signé par {slip['signer_name']}.\n\nCordialement,\nLe service après-vente"
            ),
            attachments=(Attachment(f"bon-intervention-{number}.pdf", "application/pdf", slip_pdf(slip)),),
        )
    )
