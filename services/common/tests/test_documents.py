"""Documents print in French, accents and € included, with the company's legal mentions."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bassin_common import french
from bassin_common.documents import Company, render_pdf

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_french_formats() -> None:
    assert french.euros(Decimal("1234.5")) == "1\u202f234,50\u00a0€"
    assert french.number(Decimal("48.25"), 1) == "48,3"
    assert (french.percent(Decimal("20.00")), french.percent(Decimal("5.50"))) == ("20\u00a0%", "5,5\u00a0%")
    assert french.day(date(2026, 11, 29)) == "29/11/2026"


def test_a_day_is_a_day_in_france_whatever_the_servers_clock_zone() -> None:
    # 23:30 UTC on the last night of November is already December in Paris (winter, UTC+1),
    # and 22:30 UTC on a summer night is already the next day (UTC+2).
    assert french.business_day(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert french.business_day(datetime(2026, 11, 30, 22, 59, tzinfo=UTC)) == date(2026, 11, 30)
    assert french.business_day(datetime(2026, 7, 14, 22, 30, tzinfo=UTC)) == date(2026, 7, 15)


def test_a_document_renders_accents_euros_and_legal_mentions() -> None:
    company = Company(
        "Piscines Hélène & Fils",
        ("12 rue des Écluses", "34000 Montpellier"),
        siret="123 456 789 00012",
        vat_number="FR12123456789",
        legal_form="SARL au capital de 10 000 €",
        mentions=("Pénalités de retard : 3 fois le taux d'intérêt légal.",),
    )
    pdf = render_pdf("document_probe", "probe.html", company=company, total=Decimal("1234.50"))
    assert pdf.startswith(b"%PDF")
    text = " ".join(text_of(pdf).split())
    for expected in ("Piscines Hélène & Fils", "Écluses", "Bon de commande n° BC-2026-0042", "SIRET 123 456 789 00012"):
        assert expected in text, (expected, text)
    assert "1 234,50 €" in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Pénalités de retard" in text
