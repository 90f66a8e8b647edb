"""Billing through the gateway (#22): an invoice issued, e-mailed as PDF (received by a
real SMTP server), paid, and the customer's balance; a till sale invoiced; a credit note.
(Numbers under 50 concurrent issues: services/pos/tests/test_service.py.)"""

from __future__ import annotations

import base64
import io
import re
import uuid
from typing import Any

import pypdf
import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree

from bassin_common.testing import wait_until
from conftest import Company, Stack, known_customer

INVOICES = "/api/v1/pos/invoices"
SETTINGS = {
    "company_name": "Piscines du Gard",
    "address": ["ZA des Costières, 12 rue de l'Écluse", "30900 Nîmes"],
    "siren": "812345678",
    "siret": "81234567800021",
    "vat_number": "FR12812345678",
    "legal_form": "SARL au capital de 20 000 €",
    "email": "contact@piscines-du-gard.fr",
    "phone": "04 66 00 00 00",
    "payment_terms_days": 45,
    "late_payment_terms": "Pénalités de retard : 3 fois le taux d'intérêt légal ; indemnité forfaitaire de 40 €.",
    "discount_limit": "10.00",
    "labour_rate": "58.00",
    "travel_rate": "0.65",
    "service_vat_rate": "20.00",
}


def a_draft(company: Company, customer: str, amount: str = "245.00") -> dict[str, Any]:
    line = {"description": "Mise en service de la piscine", "quantity": "1", "unit_price_excl_vat": amount}
    response = company.post(INVOICES, json={"customer_id": customer, "lines": [{**line, "vat_rate": "20.00"}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def text_of(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def test_an_invoice_is_issued_emailed_paid_and_followed(
    stack: Stack, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASSIN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BASSIN_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("BASSIN_SMTP_SECURITY", "none")
    company = stack.new_company()
    settings = company.get("/api/v1/pos/billing-settings")
    changed = company.put("/api/v1/pos/billing-settings", json=SETTINGS, headers={"If-Match": settings.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    customer = known_customer(stack, company)
    invoice = a_draft(company, customer, "1234.50")
    assert company.post(f"{INVOICES}/{invoice['id']}/sending", json={}).status_code == 409  # a draft
    company.post(f"{INVOICES}/{invoice['id']}/check")
    issued = company.post(f"{INVOICES}/{invoice['id']}/issue").get_json()
    assert re.fullmatch(r"FA\d{4}-00001", issued["number"])
    assert (issued["total_incl_vat"], issued["status"]) == ("1481.40", "issued")

    no_address = company.post(f"{INVOICES}/{invoice['id']}/sending", json={})
    assert no_address.status_code == 422 and list(no_address.get_json()["errors"]) == ["to"]
    sent = company.post(f"{INVOICES}/{invoice['id']}/sending", json={"to": "loic.berard@example.fr"})
    assert sent.status_code == 200, sent.get_json()
    assert (sent.get_json()["status"], sent.get_json()["sent_to"]) == ("sent", "loic.berard@example.fr")
    message = smtp_server.wait_for("loic.berard@example.fr")
    assert message["Subject"] == f"Facture {issued['number']} — Piscines du Gard"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{issued['number']}.pdf"
    text = text_of(attachment.get_content())
    for expected in ("Piscines du Gard", "Écluse", "1 481,40 €", "SIRET 81234567800021", "Pénalités de retard"):
        assert expected in text, (expected, text)
    pdf = company.get(f"{INVOICES}/{invoice['id']}/pdf").get_json()
    assert text_of(base64.b64decode(pdf["content"])) == text

    paid = company.post(f"{INVOICES}/{invoice['id']}/payments", json={"amount": "481.40", "method": "cheque"})
    assert paid.status_code == 200, paid.get_json()
    assert (paid.get_json()["status"], paid.get_json()["balance"]) == ("partially_paid", "1000.00")
    no_key = company.post(
        f"{INVOICES}/{invoice['id']}/payments",
        json={"amount": "1.00", "method": "cheque"},
        headers={"Idempotency-Key": None},
    )
    assert no_key.status_code == 400
    balance = company.get(f"/api/v1/pos/customers/{customer}/balance").get_json()
    assert (balance["invoiced"], balance["paid"], balance["balance"]) == ("1481.40", "481.40", "1000.00")
    assert [i["number"] for i in balance["open_invoices"]] == [issued["number"]]
    assert company.get(f"/api/v1/pos/customers/{uuid.uuid4()}/balance").status_code == 404

    credit = company.post(f"{INVOICES}/{invoice['id']}/credit-note", json={"reason": "Geste commercial"})
    assert credit.status_code == 201, credit.get_json()
    company.post(f"{INVOICES}/{credit.get_json()['id']}/check")
    note = company.post(f"{INVOICES}/{credit.get_json()['id']}/issue").get_json()
    assert (note["kind"], note["total_incl_vat"]) == ("credit_note", "1000.00")
    assert company.get(f"{INVOICES}/{invoice['id']}").get_json()["status"] == "paid"
    assert company.get(f"/api/v1/pos/customers/{customer}/balance").get_json()["balance"] == "0.00"


def test_a_till_sale_is_invoiced_on_request(stack: Stack) -> None:
    company = stack.new_company()
    customer = known_customer(stack, company)
    sale = company.post("/api/v1/pos/sales", json={**company.sale_payload(3), "customer_id": customer}).get_json()
    asked = company.post(f"/api/v1/pos/sales/{sale['id']}/invoice", json={})
    assert asked.status_code == 201, asked.get_json()
    invoice = asked.get_json()
    assert (invoice["total_incl_vat"], invoice["vat_total"], invoice["balance"]) == ("119.70", "19.95", "0.00")
    assert company.post(f"/api/v1/pos/sales/{sale['id']}/invoice", json={}).get_json()["id"] == invoice["id"]
    ticket = company.get(f"/api/v1/pos/sales/{sale['id']}/pdf").get_json()
    assert "119,70 €" in text_of(base64.b64decode(ticket["content"]))


def test_an_invoice_to_a_company_is_a_factur_x_naming_both_parties(stack: Stack) -> None:
    """The customer file opened in customers reaches pos with its billing address, SIREN and
    VAT number; the issued invoice's PDF carries them in its EN 16931 XML (Factur-X)."""
    company = stack.new_company()
    settings = company.get("/api/v1/pos/billing-settings")
    company.put("/api/v1/pos/billing-settings", json=SETTINGS, headers={"If-Match": settings.headers["ETag"]})
    opened = company.post(
        "/api/v1/customers/customers",
        json={
            "kind": "company",
            "company_name": "Camping Les Pins",
            "siren": "443061841",
            "vat_number": "FR40443061841",
            "billing_address": {"line1": "4 route de la Mer", "postcode": "34300", "city": "Agde"},
        },
    )
    assert opened.status_code == 201, opened.get_json()
    customer = opened.get_json()["id"]

    def pos_knows_the_customer() -> bool:
        """pos's copy of the customer file arrived"""
        return company.get(f"/api/v1/pos/customers/{customer}/balance").status_code == 200

    wait_until(pos_knows_the_customer)
    invoice = a_draft(company, customer, "2890.00")
    company.post(f"{INVOICES}/{invoice['id']}/check")
    issued = company.post(f"{INVOICES}/{invoice['id']}/issue").get_json()
    pdf = base64.b64decode(company.get(f"{INVOICES}/{invoice['id']}/pdf").get_json()["content"])
    assert "Camping Les Pins" in text_of(pdf) and "SIREN 443061841" in text_of(pdf)
    _, xml = get_facturx_xml_from_pdf(pdf)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    structured = etree.fromstring(xml)
    assert structured.findtext(".//{*}ExchangedDocument/{*}ID") == issued["number"]
    buyer = structured.find(".//{*}BuyerTradeParty")
    assert buyer.findtext("{*}SpecifiedLegalOrganization/{*}ID") == "443061841"
    assert buyer.findtext("{*}SpecifiedTaxRegistration/{*}ID") == "FR40443061841"
    assert buyer.findtext("{*}PostalTradeAddress/{*}CityName") == "Agde"
    seller = structured.find(".//{*}SellerTradeParty")
    assert seller.findtext("{*}SpecifiedLegalOrganization/{*}ID") == "812345678"
    assert structured.findtext(".//{*}DuePayableAmount") == issued["total_incl_vat"] == "3468.00"
