"""Billing use cases: the company's billing settings; invoices by hand, from a till sale,
from a construction milestone (payment requests); their lifecycle draft → checked →
issued (numbered without gaps per series) → sent → paid; credit notes; payments; a
customer's balance; the PDFs of invoices and tickets."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from bassin_common.documents import Company, render_pdf
from bassin_common.errors import Conflict, NotFound, ValidationFailed
from bassin_common.french import TIMEZONE, business_day
from bassin_common.money import ZERO, money, vat_included_in
from bassin_common.pagination import Page, read_page
from bassin_common.uow import UnitOfWork
from bassin_common.versions import require_version
from pos import billing, einvoice, events, fec
from pos.billing import (
    CHECKED,
    CREDIT_NOTE,
    DEPOSIT,
    DRAFT,
    INVOICE,
    ISSUED,
    SENT,
    Line,
    Totals,
)
from pos.domain import share_out
from pos.models import (
    BillingSettings,
    CatalogueArticle,
    CustomerCopy,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoicePayment,
    InvoiceVat,
    Refund,
    Sale,
)

SETTINGS_FIELDS = (
    "company_name",
    "address",
    "siren",
    "siret",
    "vat_number",
    "legal_form",
    "email",
    "phone",
    "payment_terms_days",
    "late_payment_terms",
    "discount_limit",
    "labour_rate",
    "travel_rate",
    "service_vat_rate",
)


# --- settings --------------------------------------------------------------------------------


def billing_settings(uow: UnitOfWork, lock: bool = False) -> BillingSettings:
    """The company's settings, made with the defaults on first use."""
    uow.session.execute(pg_insert(BillingSettings.__table__).values(tenant_id=uow.tenant_id).on_conflict_do_nothing())
    statement = select(BillingSettings)
    return uow.session.scalar(statement.with_for_update() if lock else statement)


def update_billing_settings(uow: UnitOfWork, if_match: list[str], data: dict[str, Any]) -> BillingSettings:
    settings = billing_settings(uow, lock=True)
    require_version(settings.version, if_match, "billing settings")
    for name in SETTINGS_FIELDS:
        setattr(settings, name, data[name])
    settings.version += 1
    uow.session.flush()
    return settings


def company_of(settings: BillingSettings) -> Company:
    """The letterhead and legal mentions of the company's documents."""
    mentions = [f"SIREN {settings.siren}"] if settings.siren else []
    if settings.late_payment_terms:
        mentions.append(settings.late_payment_terms)
    return Company(
        name=settings.company_name or "—",
        address=tuple(settings.address),
        siret=settings.siret,
        vat_number=settings.vat_number,
        phone=settings.phone,
        email=settings.email,
        legal_form=settings.legal_form,
        mentions=tuple(mentions),
    )


# --- drafting --------------------------------------------------------------------------------


def _customer(uow: UnitOfWork, customer_id: uuid.UUID, field: str = "customer_id") -> CustomerCopy:
    customer = uow.session.scalar(select(CustomerCopy).where(CustomerCopy.customer_id == customer_id))
    if customer is None:
        raise ValidationFailed.field(field, "unknown customer")
    return customer


def _draft(
    uow: UnitOfWork,
    kind: str,
    customer_id: uuid.UUID,
    customer: CustomerCopy | None,
    lines: list[Line],
    computed: Totals,
    source: str,
    source_key: str | None = None,
    **extra: Any,
) -> Invoice:
    invoice = Invoice(
        id=uuid.uuid4(),
        kind=kind,
        status=DRAFT,
        customer_id=customer_id,
        customer_name=customer.display_name if customer else "",
        customer_email=customer.email if customer else None,
        source=source,
        source_key=source_key,
        total_excl_vat=computed.total_excl_vat,
        vat_total=computed.vat_total,
        total_incl_vat=computed.total_incl_vat,
        paid_total=ZERO,
        credited_total=ZERO,
        **extra,
    )
    invoice.lines = [
        InvoiceLine(
            position=position,
            article_id=line.article_id,
            description=line.description,
            quantity=line.quantity,
            unit_price_excl_vat=line.unit_price_excl_vat,
            vat_rate=line.vat_rate,
            total_excl_vat=line.total_excl_vat,
        )
        for position, line in enumerate(lines, start=1)
    ]
    invoice.vat_lines = [InvoiceVat(rate=rate, base=base, vat=vat) for rate, base, vat in computed.vat_lines]
    uow.session.add(invoice)
    uow.session.flush()
    return invoice


def create_invoice(uow: UnitOfWork, data: dict[str, Any]) -> Invoice:
    """A draft invoice typed by the office. With a ``project_id``, the project's final
    invoice: every deposit issued for the project is deducted, one line each."""
    customer = _customer(uow, data["customer_id"])
    lines = [
        Line(line["description"], line["quantity"], line["unit_price_excl_vat"], line["vat_rate"], line["article_id"])
        for line in data["lines"]
    ]
    project_id = data.get("project_id")
    if project_id is not None:
        deposits = uow.session.scalars(
            select(Invoice)
            .where(Invoice.project_id == project_id, Invoice.kind == DEPOSIT, Invoice.number.is_not(None))
            .order_by(Invoice.number)
        )
        for paid_before in deposits:
            for vat in paid_before.vat_lines:
                described = f"Acompte n° {paid_before.number} ({paid_before.percent} %) déduit"
                lines.append(Line(described, Decimal(1), -vat.base, vat.rate))
    computed = billing.totals(lines)
    if computed.total_incl_vat < 0:
        raise ValidationFailed.field("lines", "the deposits deducted exceed the invoice: check the lines")
    return _draft(
        uow,
        INVOICE,
        customer.customer_id,
        customer,
        lines,
        computed,
        "manual",
        None,
        project_id=project_id,
        notes=data.get("notes") or "",
    )


def invoice_sale(uow: UnitOfWork, sale_id: uuid.UUID, data: dict[str, Any]) -> Invoice:
    """The invoice of a till sale, asked for by its customer: its lines without VAT and the
    VAT per rate exactly as on the ticket; what the till took is recorded as paid. Made
    once per sale (asking again gives the same invoice)."""
    sale = uow.session.scalar(select(Sale).where(Sale.id == sale_id))
    if sale is None:
        raise NotFound(f"sale {sale_id} not found")
    existing = uow.session.scalar(select(Invoice).where(Invoice.source == "sale", Invoice.source_key == str(sale_id)))
    if existing is not None:
        return existing
    customer_id = sale.customer_id or data.get("customer_id")
    if customer_id is None:
        raise ValidationFailed.field("customer_id", "an anonymous sale: say whose invoice it is")
    customer = _customer(uow, customer_id)
    # VAT per rate as the ticket states it, to the cent; each rate's amount without VAT
    # shared among its lines, so that the lines add up to it.
    computed = Totals(tuple((vat.rate, vat.total - vat.vat, vat.vat) for vat in sale.vat_lines))
    lines = []
    for rate, base, _vat in computed.vat_lines:
        sold = [line for line in sale.lines if line.vat_rate == rate]
        for line, excl in zip(sold, share_out(base, [line.total for line in sold]), strict=True):
            unit = money(excl / line.quantity)
            if unit * line.quantity == excl:
                lines.append(Line(line.description, Decimal(line.quantity), unit, rate, line.article_id))
            else:  # a discounted total that no unit price gives: the line as one lot
                lines.append(Line(f"{line.description} (x {line.quantity})", Decimal(1), excl, rate, line.article_id))
    invoice = _draft(uow, INVOICE, customer_id, customer, lines, computed, "sale", str(sale_id), sale_id=sale_id)
    paid_at_till = sale.total - sum((p.amount for p in sale.payments if p.method == "account"), ZERO)
    if paid_at_till > 0:
        invoice.payments = [
            InvoicePayment(
                customer_id=customer_id, amount=paid_at_till, method="till", received_on=business_day(sale.completed_at)
            )
        ]
        invoice.paid_total = paid_at_till
    uow.session.flush()
    return invoice


def draft_payment_request(uow: UnitOfWork, task: dict[str, Any]) -> Invoice | None:
    """``task_completed`` from worksites: a step that is a milestone of the project's payment
    schedule drafts a deposit invoice (a payment request, "appel de fonds") of that share
    of the project, once per (project, task) however often the event comes; the office
    checks it and sends it."""
    if task.get("milestone_percent") is None:
        return None
    key = f"{task['project_id']}:{task['task_id']}"
    existing = uow.session.scalar(select(Invoice).where(Invoice.source == "payment_request", Invoice.source_key == key))
    if existing is not None:
        return existing
    percent = money(task["milestone_percent"])
    computed = billing.deposit(task["project_total_excl_vat"], task["project_total_incl_vat"], percent)
    ((rate, base, _vat),) = computed.vat_lines
    customer = uow.session.scalar(select(CustomerCopy).where(CustomerCopy.customer_id == task["customer_id"]))
    line = Line(f"Acompte de {percent} % — étape « {task['step_code']} » du chantier", Decimal(1), base, rate)
    return _draft(
        uow,
        DEPOSIT,
        task["customer_id"],
        customer,
        [line],
        computed,
        "payment_request",
        key,
        project_id=task["project_id"],
        order_id=task.get("order_id"),
        percent=percent,
    )


def draft_intervention_invoice(uow: UnitOfWork, intervention: dict[str, Any]) -> Invoice | None:
    """``intervention_completed`` from after-sales: an intervention not covered (by a
    warranty or a maintenance contract) drafts its invoice — labour at the company's hourly
    rate, travel per km, the parts used at the till's prices — once per intervention, for
    the office to check and issue."""
    if intervention["covered_by"] != "none":
        return None
    key = str(intervention["intervention_id"])
    existing = uow.session.scalar(select(Invoice).where(Invoice.source == "intervention", Invoice.source_key == key))
    if existing is not None:
        return existing
    settings = billing_settings(uow)
    lines = []
    if intervention["labour_minutes"]:
        hours = money(Decimal(intervention["labour_minutes"]) / 60)
        lines.append(Line("Main-d'œuvre (heures)", hours, settings.labour_rate, settings.service_vat_rate))
    if intervention["travel_km"]:
        lines.append(
            Line("Déplacement (km)", money(intervention["travel_km"]), settings.travel_rate, settings.service_vat_rate)
        )
    parts = intervention["parts"]
    articles = {
        a.article_id: a
        for a in uow.session.scalars(
            select(CatalogueArticle).where(CatalogueArticle.article_id.in_([p["article_id"] for p in parts]))
        )
    }
    for part in parts:
        article = articles.get(part["article_id"])
        if article is None:  # not in the till's catalogue: at no price, for the office to see when checking
            lines.append(
                Line(
                    f"Pièce {part['article_id']} (prix à établir)",
                    money(part["quantity"]),
                    ZERO,
                    settings.service_vat_rate,
                    part["article_id"],
                )
            )
            continue
        unit = article.sale_price - vat_included_in(article.sale_price, article.vat_rate)
        lines.append(Line(article.name, money(part["quantity"]), unit, article.vat_rate, article.article_id))
    if not lines:
        return None
    customer = uow.session.scalar(select(CustomerCopy).where(CustomerCopy.customer_id == intervention["customer_id"]))
    return _draft(
        uow,
        INVOICE,
        intervention["customer_id"],
        customer,
        lines,
        billing.totals(lines),
        "intervention",
        key,
        notes=f"Intervention du {intervention['completed_at']:%d/%m/%Y}",
    )


def credit_invoice(uow: UnitOfWork, invoice_id: uuid.UUID, data: dict[str, Any]) -> Invoice:
    """A draft credit note cancelling what is left of an issued invoice (its lines, its VAT
    per rate, scaled to the balance); issuing it settles the invoice by that amount."""
    invoice = _invoice(uow, invoice_id, lock=True)
    if invoice.kind == CREDIT_NOTE or invoice.number is None:
        raise Conflict("only an issued invoice can be credited")
    pending = uow.session.scalar(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id, Invoice.number.is_(None))
    )
    if pending is not None:
        raise Conflict(f"a draft credit note of this invoice is waiting: {pending.id}")
    if invoice.balance <= 0:
        raise Conflict("nothing is left to credit on this invoice")
    whole = invoice.balance == invoice.total_incl_vat
    if whole:
        lines = [
            Line(i.description, i.quantity, i.unit_price_excl_vat, i.vat_rate, i.article_id) for i in invoice.lines
        ]
        computed = Totals(tuple((v.rate, v.base, v.vat) for v in invoice.vat_lines))
    else:
        share = invoice.balance / invoice.total_incl_vat
        vat_lines = [(v.rate, money(v.base * share), money(v.vat * share)) for v in invoice.vat_lines]
        drift = invoice.balance - sum((b + v for _r, b, v in vat_lines), ZERO)  # the rounding, on the last rate
        rate, base, vat = vat_lines[-1]
        vat_lines[-1] = (rate, base + drift, vat)
        computed = Totals(tuple(vat_lines))
        lines = [Line(f"Solde de la facture {invoice.number}", Decimal(1), b, r) for r, b, _v in vat_lines]
    customer = uow.session.scalar(select(CustomerCopy).where(CustomerCopy.customer_id == invoice.customer_id))
    return _draft(
        uow,
        CREDIT_NOTE,
        invoice.customer_id,
        customer,
        lines,
        computed,
        "credit_note",
        None,
        credited_invoice_id=invoice.id,
        notes=f"Avoir sur la facture {invoice.number} : {data['reason']}",
    )


# --- the lifecycle ---------------------------------------------------------------------------


def _invoice(uow: UnitOfWork, invoice_id: uuid.UUID, lock: bool = False) -> Invoice:
    statement = select(Invoice).where(Invoice.id == invoice_id)
    invoice = uow.session.scalar(statement.with_for_update(of=Invoice) if lock else statement)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice


def check_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    """The office has checked the draft: it may be issued."""
    invoice = _invoice(uow, invoice_id, lock=True)
    if invoice.status != DRAFT:
        raise Conflict(f"the invoice is {invoice.status}, not a draft")
    invoice.status = CHECKED
    invoice.version += 1
    uow.session.flush()
    return invoice


def issue_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    """Give a checked invoice the next number of its series — taken with the series' row
    locked in this transaction, so numbers have no gaps however many are issued at once —
    its date and due date; announce it. A credit note settles the invoice it credits."""
    invoice = _invoice(uow, invoice_id, lock=True)
    if invoice.status != CHECKED:
        raise Conflict(f"the invoice is {invoice.status}: check it before issuing it")
    settings = billing_settings(uow)
    issued_at = uow.now()
    today = business_day(issued_at)  # uow.today(), without asking the clock a second time
    series = billing.series_of(invoice.kind, today)
    counters = InvoiceCounter.__table__
    number = uow.session.execute(
        pg_insert(counters)
        .values(tenant_id=uow.tenant_id, series=series, last_number=1)
        .on_conflict_do_update(
            index_elements=[counters.c.tenant_id, counters.c.series],
            set_={"last_number": counters.c.last_number + 1},
        )
        .returning(counters.c.last_number)
    ).scalar_one()
    invoice.series, invoice.number = series, billing.number_in(series, number)
    invoice.issued_on, invoice.issued_at = today, issued_at
    invoice.due_on = today if invoice.kind == CREDIT_NOTE else billing.due_date(today, settings.payment_terms_days)
    customer = uow.session.scalar(select(CustomerCopy).where(CustomerCopy.customer_id == invoice.customer_id))
    if customer is not None:  # the name and address as they are on the day it is issued
        invoice.customer_name, invoice.customer_email = customer.display_name, customer.email
    invoice.status = billing.status_after_payment(invoice.total_incl_vat, invoice.paid_total, ZERO, ISSUED)
    invoice.version += 1
    if invoice.kind == CREDIT_NOTE:
        credited = _invoice(uow, invoice.credited_invoice_id, lock=True)
        if invoice.total_incl_vat > credited.balance:
            raise Conflict(f"the invoice {credited.number} has only {credited.balance} left to credit")
        credited.credited_total += invoice.total_incl_vat
        credited.status = billing.status_after_payment(
            credited.total_incl_vat, credited.paid_total, credited.credited_total, credited.status
        )
        credited.version += 1
    uow.session.flush()
    uow.emit(events.INVOICE_ISSUED, invoice)
    if invoice.kind == DEPOSIT:
        uow.emit(events.PAYMENT_REQUEST_ISSUED, invoice)
    return invoice


def record_payment(uow: UnitOfWork, invoice_id: uuid.UUID, data: dict[str, Any]) -> Invoice:
    """A payment received against an issued invoice (at most its balance)."""
    invoice = _invoice(uow, invoice_id, lock=True)
    if invoice.number is None or invoice.kind == CREDIT_NOTE:
        raise Conflict("payments are recorded against issued invoices")
    if data["amount"] > invoice.balance:
        raise ValidationFailed.field("amount", f"more than the {invoice.balance} left to pay")
    payment = InvoicePayment(
        id=uuid.uuid4(),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=data["amount"],
        method=data["method"],
        reference=data.get("reference"),
        received_on=data["received_on"] or uow.today(),
    )
    uow.session.add(payment)
    invoice.paid_total += payment.amount
    invoice.status = billing.status_after_payment(
        invoice.total_incl_vat, invoice.paid_total, invoice.credited_total, invoice.status
    )
    invoice.version += 1
    uow.session.flush()
    uow.emit(events.PAYMENT_RECEIVED, payment)
    uow.session.refresh(invoice)
    return invoice


def mark_sent(uow: UnitOfWork, invoice_id: uuid.UUID, to: str) -> Invoice:
    """Record that the invoice went out by e-mail (after it did)."""
    invoice = _invoice(uow, invoice_id, lock=True)
    invoice.sent_at, invoice.sent_to = uow.now(), to
    if invoice.status in (ISSUED,):
        invoice.status = SENT
    invoice.version += 1
    uow.session.flush()
    return invoice


def sendable(uow: UnitOfWork, invoice_id: uuid.UUID, to: str | None) -> tuple[Invoice, str]:
    invoice = _invoice(uow, invoice_id)
    if invoice.number is None:
        raise Conflict("issue the invoice before sending it")
    address = to or invoice.customer_email
    if not address:
        raise ValidationFailed.field("to", "the customer has no e-mail address: give one")
    return invoice, address


# --- reading ---------------------------------------------------------------------------------


def get_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    return _invoice(uow, invoice_id)


def list_invoices(uow: UnitOfWork, query: dict[str, Any]) -> Page[Invoice]:
    statement = select(Invoice)
    if query.get("customer_id") is not None:
        statement = statement.where(Invoice.customer_id == query["customer_id"])
    if query.get("status") is not None:
        statement = statement.where(Invoice.status == query["status"])
    if query.get("kind") is not None:
        statement = statement.where(Invoice.kind == query["kind"])
    if query.get("project_id") is not None:
        statement = statement.where(Invoice.project_id == query["project_id"])
    return read_page(uow.session, statement, (Invoice.created_at, Invoice.id), query, descending=True)


def _own_customer(uow: UnitOfWork) -> uuid.UUID:
    if uow.context.customer_id is None:
        raise NotFound("this account is no customer's")
    return uow.context.customer_id


def own_invoices(uow: UnitOfWork, page: dict[str, Any]) -> Page[Invoice]:
    """The portal: the caller's issued invoices and credit notes (never a draft), newest first."""
    statement = select(Invoice).where(Invoice.customer_id == _own_customer(uow), Invoice.number.is_not(None))
    return read_page(uow.session, statement, (Invoice.created_at, Invoice.id), page, descending=True)


def own_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    """The portal: one of the caller's issued invoices; another customer's, or a draft, is NotFound."""
    invoice = uow.session.scalar(select(Invoice).where(Invoice.id == invoice_id))
    if invoice is None or invoice.customer_id != _own_customer(uow) or invoice.number is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice


def own_balance(uow: UnitOfWork) -> dict[str, Any]:
    """The portal: what the caller owes (nothing known yet: zero, not an error)."""
    customer_id = _own_customer(uow)
    if uow.session.scalar(select(CustomerCopy.customer_id).where(CustomerCopy.customer_id == customer_id)) is None:
        return {
            "customer_id": customer_id,
            "invoiced": ZERO,
            "credited": ZERO,
            "paid": ZERO,
            "balance": ZERO,
            "overdue": ZERO,
            "open_invoices": [],
        }
    return customer_balance(uow, customer_id)


def is_overdue(invoice: Invoice, today: date) -> bool:
    return invoice.kind != CREDIT_NOTE and invoice.due_on is not None and invoice.due_on < today and invoice.balance > 0


def scan_overdue_invoices(uow: UnitOfWork, scan: dict[str, Any]) -> dict[str, int]:
    """What the scheduler calls once a day for a company: publish ``invoice_overdue`` for
    each issued invoice past due with a balance, once per invoice. Run again the same day
    (or any later day), it announces nothing more; a paid invoice is never announced."""
    as_of = scan["as_of"] or business_day()
    candidates = uow.session.scalars(
        select(Invoice)
        .where(Invoice.number.is_not(None), Invoice.overdue_announced_on.is_(None), Invoice.due_on < as_of)
        .order_by(Invoice.due_on, Invoice.id)
        .with_for_update(skip_locked=True)
    ).all()
    announced = 0
    for invoice in candidates:
        if is_overdue(invoice, as_of):
            invoice.overdue_announced_on = as_of
            uow.emit(events.INVOICE_OVERDUE, invoice)
            announced += 1
    return {"invoices_overdue": announced}


def customer_balance(uow: UnitOfWork, customer_id: uuid.UUID) -> dict[str, Any]:
    """What a customer owes: its issued invoices less credit notes and payments, and each
    invoice still open (overdue ones flagged)."""
    if uow.session.scalar(select(CustomerCopy.customer_id).where(CustomerCopy.customer_id == customer_id)) is None:
        raise NotFound(f"customer {customer_id} not found")
    today = uow.today()
    issued = list(
        uow.session.scalars(
            select(Invoice)
            .where(Invoice.customer_id == customer_id, Invoice.number.is_not(None))
            .order_by(Invoice.issued_at)
        )
    )
    invoiced = sum((i.total_incl_vat for i in issued if i.kind != CREDIT_NOTE), ZERO)
    credited = sum((i.total_incl_vat for i in issued if i.kind == CREDIT_NOTE), ZERO)
    paid = sum((i.paid_total for i in issued if i.kind != CREDIT_NOTE), ZERO)
    return {
        "customer_id": customer_id,
        "invoiced": invoiced,
        "credited": credited,
        "paid": paid,
        "balance": invoiced - credited - paid,
        "overdue": sum((i.balance for i in issued if is_overdue(i, today)), ZERO),
        "open_invoices": [
            {
                "id": i.id,
                "number": i.number,
                "kind": i.kind,
                "total_incl_vat": i.total_incl_vat,
                "balance": i.balance,
                "due_on": i.due_on,
                "overdue": is_overdue(i, today),
            }
            for i in issued
            if i.kind != CREDIT_NOTE and i.balance > 0
        ],
    }


# --- documents -------------------------------------------------------------------------------

TITLES = {INVOICE: "Facture", DEPOSIT: "Facture d'acompte", CREDIT_NOTE: "Avoir"}


def invoice_pdf(uow: UnitOfWork, invoice_id: uuid.UUID) -> bytes:
    invoice = _invoice(uow, invoice_id)
    if invoice.number is None:
        raise Conflict("a draft has no PDF: issue it first")
    settings = billing_settings(uow)
    credited = _invoice(uow, invoice.credited_invoice_id) if invoice.credited_invoice_id else None
    customer = uow.session.scalar(select(CustomerCopy).where(CustomerCopy.customer_id == invoice.customer_id))
    pdf = render_pdf(
        "pos",
        "invoice.html",
        variant="pdf/a-3b",
        company=company_of(settings),
        settings=settings,
        invoice=invoice,
        title=TITLES[invoice.kind],
        credited=credited,
        customer=customer,
    )
    seller = einvoice.Party.from_letterhead(
        settings.company_name or "—",
        list(settings.address),
        siren=settings.siren or None,
        siret=settings.siret or None,
        vat_number=settings.vat_number or None,
    )
    buyer = einvoice.Party.from_billing_address(
        invoice.customer_name,
        customer.billing_address if customer else None,
        siren=customer.siren if customer else None,
        vat_number=customer.vat_number if customer else None,
    )
    return einvoice.factur_x(pdf, einvoice.cii_xml(invoice, seller, buyer, credited))


def sale_pdf(uow: UnitOfWork, sale_id: uuid.UUID) -> bytes:
    sale = uow.session.scalar(select(Sale).where(Sale.id == sale_id))
    if sale is None:
        raise NotFound(f"sale {sale_id} not found")
    settings = billing_settings(uow)
    return render_pdf("pos", "ticket.html", company=company_of(settings), sale=sale, methods=METHOD_NAMES)


METHOD_NAMES = {
    "cash": "Espèces",
    "card": "Carte bancaire",
    "cheque": "Chèque",
    "transfer": "Virement",
    "voucher": "Bon d'achat",
    "account": "Compte client",
}


# --- the accounting export (FEC) -------------------------------------------------------------


def fec_export(uow: UnitOfWork, query: dict[str, Any]) -> dict[str, Any]:
    """The FEC of ``[start, end]`` (days in France): the tickets and refunds of the tills,
    the invoices, deposits and credit notes issued, the payments received (``pos.fec``)."""
    start, end = query["start"], query["end"]
    since = datetime.combine(start, time(0), tzinfo=TIMEZONE)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=TIMEZONE)
    names = {c.customer_id: c.display_name for c in uow.session.scalars(select(CustomerCopy))}

    def customer(customer_id: uuid.UUID | None, name: str = "") -> tuple[str, str]:
        return (str(customer_id), names.get(customer_id, name)) if customer_id else ("", "")

    entries = []
    sales = select(Sale).where(Sale.completed_at >= since, Sale.completed_at < until, Sale.number.is_not(None))
    for sale in uow.session.scalars(sales):
        methods: dict[str, Decimal] = {}
        for payment in sale.payments:
            methods[payment.method] = methods.get(payment.method, ZERO) + payment.amount
        if sale.change_given:
            methods["cash"] -= sale.change_given
        entries.append(
            fec.ticket_entry(
                f"T{sale.number}",
                business_day(sale.completed_at),
                f"Ticket {sale.number}",
                1,
                methods.items(),
                [(v.rate, v.total, v.vat) for v in sale.vat_lines],
                customer(sale.customer_id),
            )
        )
    for refund in uow.session.scalars(select(Refund).where(Refund.refunded_at >= since, Refund.refunded_at < until)):
        entries.append(
            fec.ticket_entry(
                f"T{refund.number}",
                business_day(refund.refunded_at),
                f"Remboursement {refund.number}",
                -1,
                [(p.method, p.amount) for p in refund.payments],
                [(v.rate, v.total, v.vat) for v in refund.vat_lines],
                customer(refund.customer_id),
            )
        )
    issued = select(Invoice).where(Invoice.issued_on >= start, Invoice.issued_on <= end, Invoice.source != "sale")
    for invoice in uow.session.scalars(issued):
        entries.append(
            fec.invoice_entry(
                invoice.number,
                invoice.issued_on,
                f"{TITLES[invoice.kind]} {invoice.number}",
                invoice.kind,
                customer(invoice.customer_id, invoice.customer_name),
                invoice.total_incl_vat,
                [(v.rate, v.base, v.vat) for v in invoice.vat_lines],
            )
        )
    received = (
        select(InvoicePayment, Invoice.number)
        .join(Invoice, InvoicePayment.invoice_id == Invoice.id)
        .where(InvoicePayment.received_on >= start, InvoicePayment.received_on <= end, InvoicePayment.method != "till")
    )
    for payment, number in uow.session.execute(received):
        entries.append(
            fec.payment_entry(
                f"R{str(payment.id)[:8].upper()}",
                payment.received_on,
                f"Règlement facture {number}",
                payment.method,
                customer(payment.customer_id),
                payment.amount,
            )
        )
    settings = billing_settings(uow)
    today = uow.today()
    return {
        "filename": f"{settings.siren or '000000000'}FEC{end:%Y%m%d}.txt",
        "content": fec.render(entries, today),
        "entries": len(entries),
    }


# --- statistics ------------------------------------------------------------------------------

GROUPINGS = ("day", "week", "category", "cashier")


def sales_statistics(uow: UnitOfWork, query: dict[str, Any]) -> dict[str, Any]:
    """Sales of ``[start, end]`` (days in France), refunds deducted, grouped by day, ISO week,
    category or cashier: tickets, revenue with and without VAT, average basket, and the
    margin where the articles' purchase prices are known (today's, from the catalogue)."""
    start, end, group_by = query["start"], query["end"], query["group_by"]
    since = datetime.combine(start, time(0), tzinfo=TIMEZONE)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=TIMEZONE)
    costs = {a.article_id: a.purchase_price for a in uow.session.scalars(select(CatalogueArticle))}
    groups: dict[str, dict[str, Any]] = {}

    def group(key: str) -> dict[str, Any]:
        return groups.setdefault(
            key,
            {
                "key": key,
                "tickets": set(),
                "revenue_incl_vat": ZERO,
                "revenue_excl_vat": ZERO,
                "margin": ZERO,
                "margin_known": True,
            },
        )

    def key_of(at: datetime, cashier: str | None, category: str | None) -> str:
        day = business_day(at)
        if group_by == "day":
            return day.isoformat()
        if group_by == "week":
            year, week, _ = day.isocalendar()
            return f"{year}-W{week:02d}"
        return (category if group_by == "category" else cashier) or "—"

    def add(ticket: str, key: str, sign: int, article_id: uuid.UUID, quantity: int, total: Decimal, rate: Decimal):
        excl = total - money(total * rate / (100 + rate))
        counted = group(key)
        if sign > 0:
            counted["tickets"].add(ticket)
        counted["revenue_incl_vat"] += sign * total
        counted["revenue_excl_vat"] += sign * excl
        cost = costs.get(article_id)
        if cost is None:
            counted["margin_known"] = False
        else:
            counted["margin"] += sign * (excl - cost * quantity)

    for sale in uow.session.scalars(select(Sale).where(Sale.completed_at >= since, Sale.completed_at < until)):
        for line in sale.lines:
            key = key_of(sale.completed_at, sale.cashier_id, line.category)
            add(str(sale.id), key, 1, line.article_id, line.quantity, line.total, line.vat_rate)
    for refund in uow.session.scalars(select(Refund).where(Refund.refunded_at >= since, Refund.refunded_at < until)):
        for line in refund.lines:
            key = key_of(refund.refunded_at, refund.cashier_id, line.category)
            add(str(refund.id), key, -1, line.article_id, line.quantity, line.total, line.vat_rate)
    rows = []
    for key in sorted(groups):
        counted = groups[key]
        tickets = len(counted["tickets"])
        rows.append(
            {
                "key": key,
                "tickets": tickets,
                "revenue_incl_vat": counted["revenue_incl_vat"],
                "revenue_excl_vat": counted["revenue_excl_vat"],
                "average_basket": money(counted["revenue_incl_vat"] / tickets) if tickets else ZERO,
                "margin": money(counted["margin"]) if counted["margin_known"] else None,
            }
        )
    columns = ("key", "tickets", "revenue_incl_vat", "revenue_excl_vat", "average_basket", "margin")
    csv_lines = [";".join(columns)] + [
        ";".join("" if row[c] is None else str(row[c]).replace(".", ",") for c in columns) for row in rows
    ]
    return {"group_by": group_by, "rows": rows, "csv": "\r\n".join(csv_lines) + "\r\n"}
