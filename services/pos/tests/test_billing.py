"""Billing through units of work on the test database: settings, an invoice's lifecycle
(draft, checked, issued with the next number of its series, paid in parts), credit notes,
an invoice from a till sale, payment requests from worksites' milestones (once per task,
deducted from the final invoice), a customer's balance, PDFs in French with € (their
text extracted)."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree

from bassin_common.errors import Conflict, PreconditionFailed, ValidationFailed
from bassin_common.events import Event
from pos import billing, events, invoices, schemas, usecases

Till = Any
SETTINGS = {
    "company_name": "Piscines du Gard",
    "address": ["ZA des Costières, 12 rue de l'Écluse", "30900 Nîmes"],
    "siren": "812345678",
    "siret": "81234567800021",
    "vat_number": "FR12812345678",
    "legal_form": "SARL au capital de 20 000 €",
    "email": "contact@piscines-du-gard.fr",
    "phone": "04 66 00 00 00",
    "payment_terms_days": 30,
    "late_payment_terms": "Pénalités de retard : 3 fois le taux d'intérêt légal ; indemnité forfaitaire de 40 €.",
    "discount_limit": "10.00",
    "labour_rate": "58.00",
    "travel_rate": "0.65",
    "service_vat_rate": "20.00",
}


def text_of(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


@pytest.fixture
def helene(uow: Any, till: Till) -> uuid.UUID:
    customer_id = uuid.uuid4()
    data = {"customer_id": customer_id, "kind": "private", "display_name": "Mme Hélène Durand"}
    address = {"line1": "12 chemin des Oliviers", "line2": None, "postcode": "30900", "city": "Nîmes", "country": "FR"}
    with uow() as work:
        usecases.keep_customer(work, {**data, "email": "helene.durand@example.fr", "billing_address": address})
        invoices.update_billing_settings(work, ["1"], schemas.BillingSettingsInput().load(SETTINGS))
    return customer_id


def draft(uow: Any, customer: uuid.UUID, *lines: tuple[str, str, str, str], **extra: Any) -> Any:
    payload = {
        "customer_id": str(customer),
        "lines": [{"description": d, "quantity": q, "unit_price_excl_vat": p, "vat_rate": r} for d, q, p, r in lines],
        **extra,
    }
    with uow(roles=("office",)) as work:
        return invoices.create_invoice(work, schemas.InvoiceInput().load(payload))


def issued(uow: Any, invoice_id: uuid.UUID) -> tuple[Any, list[Event]]:
    with uow(roles=("office",)) as work:
        invoices.check_invoice(work, invoice_id)
    with uow(roles=("office",)) as work:
        return invoices.issue_invoice(work, invoice_id), work.emitted


def pay(uow: Any, invoice_id: uuid.UUID, amount: str) -> tuple[Any, list[Event]]:
    with uow(roles=("office",)) as work:
        paid = invoices.record_payment(
            work, invoice_id, schemas.InvoicePaymentInput().load({"amount": amount, "method": "transfer"})
        )
    return paid, work.emitted


def test_settings_are_changed_only_from_their_current_version(uow: Any, helene: uuid.UUID) -> None:
    with uow() as work:
        settings = invoices.billing_settings(work)
        assert (settings.version, settings.company_name, settings.payment_terms_days) == (2, "Piscines du Gard", 30)
    with pytest.raises(PreconditionFailed), uow() as work:
        invoices.update_billing_settings(work, ["1"], schemas.BillingSettingsInput().load(SETTINGS))


def test_an_invoice_goes_from_draft_to_paid(uow: Any, helene: uuid.UUID) -> None:
    invoice = draft(
        uow,
        helene,
        ("Mise en service de la piscine", "1", "245.00", "20.00"),
        ("Produit de traitement choc", "2.5", "12.30", "5.50"),
    )
    assert (invoice.status, invoice.number) == ("draft", None)
    assert (invoice.total_excl_vat, invoice.vat_total, invoice.total_incl_vat) == (
        Decimal("275.75"),
        Decimal("50.69"),  # 49.00 + 1.69
        Decimal("326.44"),
    )
    with pytest.raises(Conflict), uow() as work:
        invoices.issue_invoice(work, invoice.id)  # not checked yet
    done, emitted = issued(uow, invoice.id)
    year = done.issued_on.year
    assert (done.status, done.number, done.due_on) == ("issued", f"FA{year}-00001", done.issued_on + timedelta(30))
    assert [e.event_type for e in emitted] == ["invoice_issued"]
    assert emitted[0].data["number"] == f"FA{year}-00001"
    assert emitted[0].data["total_incl_vat"] == "326.44"

    part, emitted = pay(uow, invoice.id, "126.44")
    assert (part.status, part.balance) == ("partially_paid", Decimal("200.00"))
    assert emitted[0].event_type == "payment_received"
    with pytest.raises(ValidationFailed) as refused:
        pay(uow, invoice.id, "200.01")
    assert list(refused.value.errors) == ["amount"]
    paid, _ = pay(uow, invoice.id, "200.00")
    assert (paid.status, paid.balance) == ("paid", Decimal("0.00"))
    second, _ = issued(uow, draft(uow, helene, ("Hivernage", "1", "180.00", "20.00")).id)
    assert second.number == f"FA{year}-00002"


def test_a_credit_note_settles_what_is_left_of_an_invoice(uow: Any, helene: uuid.UUID) -> None:
    invoice, _ = issued(uow, draft(uow, helene, ("Robot Dolphin E20", "1", "749.17", "20.00")).id)
    pay(uow, invoice.id, "299.00")
    with uow(roles=("office",)) as work:
        note = invoices.credit_invoice(work, invoice.id, {"reason": "Robot repris"})
    assert (note.kind, note.total_incl_vat) == ("credit_note", invoice.total_incl_vat - Decimal("299.00"))
    note, emitted = issued(uow, note.id)
    assert note.number.startswith("AV") and note.number.endswith("-00001")
    assert emitted[0].data["kind"] == "credit_note"
    with uow() as work:
        credited = invoices.get_invoice(work, invoice.id)
        assert (credited.status, credited.balance) == ("paid", Decimal("0.00"))
        balance = invoices.customer_balance(work, helene)
    assert (balance["invoiced"], balance["credited"], balance["paid"], balance["balance"]) == (
        Decimal("899.00"),
        Decimal("600.00"),
        Decimal("299.00"),
        Decimal("0.00"),
    )
    with pytest.raises(Conflict), uow() as work:
        invoices.credit_invoice(work, invoice.id, {"reason": "encore"})


def test_a_till_sale_is_invoiced_once_as_the_ticket_states_it(uow: Any, till: Till, helene: uuid.UUID) -> None:
    payload = {
        "customer_id": str(helene),
        "lines": [
            {"article_id": str(till.chlore), "quantity": 3, "discount_percent": "5.00"},
            {"article_id": str(till.pompe), "quantity": 1},
        ],
        "payments": [{"method": "card", "amount": "300.00"}, {"method": "account", "amount": "342.71"}],
    }
    with uow(roles=("manager",)) as work:
        sale = usecases.record_sale(work, schemas.SaleInput().load(payload))
    with uow(roles=("office",)) as work:
        invoice = invoices.invoice_sale(work, sale.id, {"customer_id": None})
    assert (invoice.total_incl_vat, invoice.vat_total) == (sale.total, sale.vat_total)
    assert sum(line.total_excl_vat for line in invoice.lines) == invoice.total_excl_vat
    assert (invoice.paid_total, invoice.balance) == (Decimal("300.00"), Decimal("342.71"))
    with uow(roles=("office",)) as work:
        assert invoices.invoice_sale(work, sale.id, {"customer_id": None}).id == invoice.id

    anonymous = {**payload, "customer_id": None, "payments": [{"method": "cash", "amount": "642.71"}]}
    with uow(roles=("manager",)) as work:
        other = usecases.record_sale(work, schemas.SaleInput().load(anonymous))
    with pytest.raises(ValidationFailed) as refused, uow(roles=("office",)) as work:
        invoices.invoice_sale(work, other.id, {"customer_id": None})
    assert list(refused.value.errors) == ["customer_id"]


def task_completed(tenant_id: uuid.UUID, customer: uuid.UUID, project: uuid.UUID, percent: str | None) -> dict:
    data = {
        "project_id": str(project),
        "task_id": str(uuid.uuid4()),
        "step_code": "structure",
        "order_id": str(uuid.uuid4()),
        "customer_id": str(customer),
        "at": "2026-07-14T17:00:00+02:00",
        "milestone_percent": percent,
        "project_total_excl_vat": "30000.00",
        "project_total_incl_vat": "36000.00",
    }
    return Event("task_completed", tenant_id, "worksites", data).seen_through(events.TaskCompletedView()).data


def test_a_30_percent_milestone_drafts_one_deposit_the_final_invoice_deducts(
    uow: Any, till: Till, helene: uuid.UUID
) -> None:
    project = uuid.uuid4()
    milestone = task_completed(till.tenant_id, helene, project, "30")
    for _ in range(2):  # delivered twice
        with uow(roles=("system",)) as work:
            request = invoices.draft_payment_request(work, milestone)
    with uow(roles=("system",)) as work:
        assert invoices.draft_payment_request(work, task_completed(till.tenant_id, helene, project, None)) is None
    with uow() as work:
        deposits = invoices.list_invoices(work, schemas.InvoiceQuery().load({"project_id": str(project)})).items
    assert [(d.id, d.kind, d.status, d.percent) for d in deposits] == [
        (request.id, "deposit", "draft", Decimal("30.00"))
    ]
    assert (request.total_excl_vat, request.vat_total, request.total_incl_vat) == (
        Decimal("9000.00"),
        Decimal("1800.00"),
        Decimal("10800.00"),
    )
    deposit, emitted = issued(uow, request.id)
    assert [e.event_type for e in emitted] == ["invoice_issued", "payment_request_issued"]
    assert (emitted[1].data["percent"], emitted[1].data["total_incl_vat"]) == ("30.00", "10800.00")

    final = draft(
        uow, helene, ("Piscine béton 8 x 4 m, selon devis", "1", "30000.00", "20.00"), project_id=str(project)
    )
    assert [(line.description, line.total_excl_vat) for line in final.lines] == [
        ("Piscine béton 8 x 4 m, selon devis", Decimal("30000.00")),
        (f"Acompte n° {deposit.number} (30.00 %) déduit", Decimal("-9000.00")),
    ]
    assert final.total_incl_vat == Decimal("36000.00") - Decimal("10800.00")


def test_billing_rules() -> None:
    assert billing.project_rate(Decimal("30000.00"), Decimal("33000.00")) == Decimal("10.00")
    assert billing.project_rate(Decimal("100.00"), Decimal("115.00")) == Decimal("15.00")  # mixed rates
    assert billing.number_in("FA2026", 42) == "FA2026-00042"
    assert billing.due_date(date(2026, 7, 14), 30) == date(2026, 8, 13)
    with pytest.raises(ValidationFailed):
        billing.deposit(Decimal(1), Decimal(1), Decimal(0))


def test_the_invoice_and_ticket_pdfs_print_accents_euros_and_legal_mentions(
    uow: Any, till: Till, helene: uuid.UUID
) -> None:
    invoice, _ = issued(uow, draft(uow, helene, ("Réparation de la pompe à chaleur", "1", "1234.50", "20.00")).id)
    with uow() as work:
        pdf = invoices.invoice_pdf(work, invoice.id)
    text = text_of(pdf)
    for expected in (
        "Piscines du Gard",
        "Écluse",
        "Mme Hélène Durand",
        "12 chemin des Oliviers",
        "30900 Nîmes",
        "Réparation de la pompe à chaleur",
        "1 234,50 €",
        "1 481,40 €",
        f"N° {invoice.number}",
        "SIRET 81234567800021",
        "TVA intracommunautaire FR12812345678",
        "Pénalités de retard",
        "Échéance",
    ):
        assert expected in text, (expected, text)
    # The same PDF is a Factur-X invoice: PDF/A-3 carrying the EN 16931 XML, schema-valid.
    name, xml = get_facturx_xml_from_pdf(pdf)
    assert name == "factur-x.xml" and xml_check_xsd(xml, flavor="factur-x", level="en16931")
    structured = etree.fromstring(xml)
    assert structured.findtext(".//{*}ExchangedDocument/{*}ID") == invoice.number
    assert structured.findtext(".//{*}GrandTotalAmount") == "1481.40"
    assert structured.findtext(".//{*}BuyerTradeParty/{*}PostalTradeAddress/{*}CityName") == "Nîmes"
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata, metadata  # PDF/A-3, as Factur-X requires
    payload = {
        "lines": [{"article_id": str(till.chlore), "quantity": 2}],
        "payments": [{"method": "cash", "amount": "100.00"}],
    }
    with uow(roles=("cashier",)) as work:
        sale = usecases.record_sale(work, schemas.SaleInput().load(payload))
    with uow() as work:
        ticket = text_of(invoices.sale_pdf(work, sale.id))
    for expected in (
        "Ticket de caisse",
        "Chlore lent galets 5 kg",
        "79,80 €",
        "dont TVA 20 %",
        "13,30 €",
        "Espèces",
        "Rendu monnaie",
    ):
        assert expected in ticket, (expected, ticket)


def intervention(tenant_id: uuid.UUID, customer: uuid.UUID, covered_by: str, parts: list[dict]) -> dict:
    data = {
        "intervention_id": str(uuid.uuid4()),
        "ticket_id": str(uuid.uuid4()),
        "customer_id": str(customer),
        "covered_by": covered_by,
        "labour_minutes": 90,
        "travel_km": "24.5",
        "parts": parts,
        "completed_at": "2026-07-16T15:40:00+02:00",
    }
    return Event("intervention_completed", tenant_id, "sav", data).seen_through(events.InterventionCompletedView()).data


def test_an_intervention_not_covered_drafts_its_invoice_once(uow: Any, till: Till, helene: uuid.UUID) -> None:
    parts = [{"article_id": str(till.pompe), "quantity": "1"}, {"article_id": str(uuid.uuid4()), "quantity": "2"}]
    done = intervention(till.tenant_id, helene, "none", parts)
    for _ in range(2):  # delivered twice
        with uow(roles=("system",)) as work:
            invoice = invoices.draft_intervention_invoice(work, done)
    assert [(line.description, line.quantity, line.unit_price_excl_vat, line.total_excl_vat) for line in invoice.lines][
        :3
    ] == [
        ("Main-d'œuvre (heures)", Decimal("1.50"), Decimal("58.00"), Decimal("87.00")),
        ("Déplacement (km)", Decimal("24.50"), Decimal("0.65"), Decimal("15.93")),
        ("Pompe de filtration 0,75 CV", Decimal("1.00"), Decimal("440.83"), Decimal("440.83")),
    ]
    assert invoice.lines[3].unit_price_excl_vat == Decimal("0.00")  # an article the till does not know
    assert (invoice.status, invoice.source, invoice.total_excl_vat) == ("draft", "intervention", Decimal("543.76"))
    with uow() as work:
        drafts = invoices.list_invoices(work, schemas.InvoiceQuery().load({"customer_id": str(helene)})).items
    assert [d.id for d in drafts] == [invoice.id]
    with uow(roles=("system",)) as work:
        covered = intervention(till.tenant_id, helene, "manufacturer_warranty", parts)
        assert invoices.draft_intervention_invoice(work, covered) is None


def test_the_daily_scan_announces_each_overdue_invoice_once(uow: Any, helene: uuid.UUID) -> None:
    late, _ = issued(uow, draft(uow, helene, ("Réparation de la pompe", "1", "150.00", "20.00")).id)
    settled, _ = issued(uow, draft(uow, helene, ("Hivernage", "1", "100.00", "20.00")).id)
    pay(uow, settled.id, "120.00")
    pay(uow, late.id, "80.00")
    day_after_due = late.due_on + timedelta(days=1)

    def scan(on: date) -> tuple[dict[str, int], list[Event]]:
        with uow(roles=("system",)) as work:
            return invoices.scan_overdue_invoices(work, {"as_of": on}), work.emitted

    assert scan(late.due_on) == ({"invoices_overdue": 0}, [])  # due today is not late
    counts, emitted = scan(day_after_due)
    assert counts == {"invoices_overdue": 1}
    assert [(e.event_type, e.data["number"], e.data["balance"]) for e in emitted] == [
        ("invoice_overdue", late.number, "100.00")
    ]
    assert scan(day_after_due) == ({"invoices_overdue": 0}, [])  # the same day again: nothing new
    assert scan(day_after_due + timedelta(days=7)) == ({"invoices_overdue": 0}, [])  # announced once
