"""The pos nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

import uuid
from typing import Any

from bassin_common.config import settings_from_nameko
from bassin_common.documents import download
from bassin_common.mail import Attachment, Message, mailer_from_settings
from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import (
    MANAGE_INVOICES,
    READ_BUSINESS_DATA,
    READ_FINANCIAL_REPORTS,
    READ_OWN_CUSTOMER_ACCOUNT,
    RECORD_SALES,
    REFUND_SALES,
    RUN_SCHEDULED_JOBS,
)
from bassin_common.service import BassinService, consume, rpc
from bassin_common.uow import UnitOfWork
from pos import events, invoices, schemas, usecases


class PosService(BassinService):
    name = "pos"

    # ``allowed``: the rights beyond the entrypoint's that the caller's company grants it
    # (refund_sales: discounts beyond the limit; sell_on_account), from the gateway.
    @rpc(requires=RECORD_SALES, accepts=schemas.SaleInput, returns=schemas.SaleOutput, idempotent=True)
    def record_sale(self, uow: UnitOfWork, sale: dict[str, Any], allowed: list[str] | None = None) -> Any:
        return usecases.record_sale(uow, sale, allowed)

    @rpc(requires=RECORD_SALES, accepts=schemas.CartInput, returns=schemas.CartOutput)
    def price_cart(self, uow: UnitOfWork, cart: dict[str, Any], allowed: list[str] | None = None) -> Any:
        return usecases.price_cart(uow, cart, allowed)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.SaleOutput)
    def get_sale(self, uow: UnitOfWork, sale_id: uuid.UUID) -> Any:
        return usecases.get_sale(uow, sale_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.SaleQuery, returns=page_of(schemas.SaleSummary))
    def list_sales(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.list_sales(uow, query)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.CatalogueQuery, returns=page_of(schemas.CatalogueEntryOutput))
    def list_catalogue(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_catalogue(uow, page)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.CategoryOutput))
    def list_categories(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_categories(uow, page)

    @rpc(requires=RECORD_SALES, accepts=schemas.CashSessionInput, returns=schemas.CashSessionOutput, idempotent=True)
    def open_cash_session(self, uow: UnitOfWork, session: dict[str, Any]) -> Any:
        return usecases.open_cash_session(uow, session)

    @rpc(requires=RECORD_SALES, accepts=schemas.CashSessionClosing, returns=schemas.CashSessionOutput, idempotent=True)
    def close_cash_session(self, uow: UnitOfWork, session_id: uuid.UUID, closing: dict[str, Any]) -> Any:
        return usecases.close_cash_session(uow, session_id, closing)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.CashSessionOutput)
    def get_cash_session(self, uow: UnitOfWork, session_id: uuid.UUID) -> Any:
        return usecases.get_cash_session(uow, session_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.CashSessionSummary))
    def list_cash_sessions(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_cash_sessions(uow, page)

    @rpc(requires=REFUND_SALES, accepts=schemas.RefundInput, returns=schemas.RefundOutput, idempotent=True)
    def refund_sale(self, uow: UnitOfWork, sale_id: uuid.UUID, refund: dict[str, Any]) -> Any:
        return usecases.refund_sale(uow, sale_id, refund)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.RefundOutput)
    def get_refund(self, uow: UnitOfWork, refund_id: uuid.UUID) -> Any:
        return usecases.get_refund(uow, refund_id)

    @rpc(requires=READ_FINANCIAL_REPORTS, accepts=schemas.JournalQuery, returns=schemas.JournalVerification)
    def verify_journal(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.verify_journal(uow, query)

    # --- billing -------------------------------------------------------------------------

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.BillingSettingsOutput)
    def get_billing_settings(self, uow: UnitOfWork) -> Any:
        return invoices.billing_settings(uow)

    @rpc(requires=MANAGE_INVOICES, accepts=schemas.BillingSettingsInput, returns=schemas.BillingSettingsOutput)
    def update_billing_settings(self, uow: UnitOfWork, if_match: list[str], settings: dict[str, Any]) -> Any:
        return invoices.update_billing_settings(uow, if_match, settings)

    @rpc(requires=MANAGE_INVOICES, accepts=schemas.InvoiceInput, returns=schemas.InvoiceOutput, idempotent=True)
    def create_invoice(self, uow: UnitOfWork, invoice: dict[str, Any]) -> Any:
        return invoices.create_invoice(uow, invoice)

    @rpc(requires=MANAGE_INVOICES, accepts=schemas.SaleInvoiceInput, returns=schemas.InvoiceOutput, idempotent=True)
    def invoice_sale(self, uow: UnitOfWork, sale_id: uuid.UUID, request: dict[str, Any]) -> Any:
        return invoices.invoice_sale(uow, sale_id, request)

    @rpc(requires=MANAGE_INVOICES, returns=schemas.InvoiceOutput, idempotent=True)
    def check_invoice(self, uow: UnitOfWork, invoice_id: uuid.UUID) -> Any:
        return invoices.check_invoice(uow, invoice_id)

    @rpc(requires=MANAGE_INVOICES, returns=schemas.InvoiceOutput, idempotent=True)
    def issue_invoice(self, uow: UnitOfWork, invoice_id: uuid.UUID) -> Any:
        return invoices.issue_invoice(uow, invoice_id)

    @rpc(requires=MANAGE_INVOICES, accepts=schemas.SendInput, returns=schemas.InvoiceOutput)
    def send_invoice(self, uow: UnitOfWork, invoice_id: uuid.UUID, request: dict[str, Any]) -> Any:
        """E-mail the invoice's PDF; recorded as sent once the mail server took it, in a
        transaction of its own (a failed sending records nothing: send it again)."""
        invoice, to = invoices.sendable(uow, invoice_id, request["to"])
        pdf = invoices.invoice_pdf(uow, invoice_id)
        company = invoices.company_of(invoices.billing_settings(uow))
        title = invoices.TITLES[invoice.kind]
        mailer_from_settings(settings_from_nameko()).send(
            Message(
                to=to,
                subject=f"{title} {invoice.number} — {company.name}",
                body=f"Bonjour,\n\nVeuillez trouver ci-joint notre {title.lower()} n° {invoice.number} "
                f"d'un montant de {invoice.total_incl_vat} € TTC.\n\nCordialement,\n{company.name}",
                attachments=(Attachment(f"{invoice.number}.pdf", "application/pdf", pdf),),
                reply_to=company.email or None,
            )
        )
        with self.db.unit_of_work() as recording:
            return invoices.mark_sent(recording, invoice_id, to)

    @rpc(requires=MANAGE_INVOICES, accepts=schemas.InvoicePaymentInput, returns=schemas.InvoiceOutput, idempotent=True)
    def record_payment(self, uow: UnitOfWork, invoice_id: uuid.UUID, payment: dict[str, Any]) -> Any:
        return invoices.record_payment(uow, invoice_id, payment)

    @rpc(requires=MANAGE_INVOICES, accepts=schemas.CreditNoteInput, returns=schemas.InvoiceOutput, idempotent=True)
    def credit_invoice(self, uow: UnitOfWork, invoice_id: uuid.UUID, request: dict[str, Any]) -> Any:
        return invoices.credit_invoice(uow, invoice_id, request)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.InvoiceOutput)
    def get_invoice(self, uow: UnitOfWork, invoice_id: uuid.UUID) -> Any:
        return invoices.get_invoice(uow, invoice_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.InvoiceQuery, returns=page_of(schemas.InvoiceSummary))
    def list_invoices(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return invoices.list_invoices(uow, query)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.CustomerBalance)
    def customer_balance(self, uow: UnitOfWork, customer_id: uuid.UUID) -> Any:
        return invoices.customer_balance(uow, customer_id)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.DocumentOutput)
    def invoice_pdf(self, uow: UnitOfWork, invoice_id: uuid.UUID) -> Any:
        invoice = invoices.get_invoice(uow, invoice_id)
        return download(f"{invoice.number}.pdf", invoices.invoice_pdf(uow, invoice_id))

    # --- the customer's portal: their own issued invoices only ---
    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, accepts=PageQuery, returns=page_of(schemas.InvoiceSummary))
    def portal_list_invoices(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return invoices.own_invoices(uow, page)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, returns=schemas.CustomerBalance)
    def portal_balance(self, uow: UnitOfWork) -> Any:
        return invoices.own_balance(uow)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, returns=schemas.DocumentOutput)
    def portal_invoice_pdf(self, uow: UnitOfWork, invoice_id: uuid.UUID) -> Any:
        invoice = invoices.own_invoice(uow, invoice_id)
        return download(f"{invoice.number}.pdf", invoices.invoice_pdf(uow, invoice_id))

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.DocumentOutput)
    def sale_pdf(self, uow: UnitOfWork, sale_id: uuid.UUID) -> Any:
        return download(f"ticket-{sale_id}.pdf", invoices.sale_pdf(uow, sale_id))

    # The scheduler calls it once a day per company, as the system (notifications_scheduler).
    @rpc(
        requires=RUN_SCHEDULED_JOBS,
        accepts=schemas.OverdueScanInput,
        returns=schemas.OverdueScanOutput,
        idempotent=True,
    )
    def scan_overdue_invoices(self, uow: UnitOfWork, scan: dict[str, Any]) -> Any:
        return invoices.scan_overdue_invoices(uow, scan)

    @rpc(requires=READ_FINANCIAL_REPORTS, accepts=schemas.FecQuery, returns=schemas.FecOutput)
    def fec_export(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return invoices.fec_export(uow, query)

    @rpc(requires=READ_FINANCIAL_REPORTS, accepts=schemas.StatisticsQuery, returns=schemas.StatisticsOutput)
    def sales_statistics(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return invoices.sales_statistics(uow, query)

    on_article_created = consume("inventory", "article_created", events.ArticleCreatedView, usecases.keep_article)
    on_articles_imported = consume(
        "inventory", "articles_imported", events.ArticlesImportedView, usecases.keep_articles
    )
    on_location_created = consume("inventory", "location_created", events.LocationCreatedView, usecases.keep_shop)
    on_article_price_changed = consume(
        "inventory", "article_price_changed", events.ArticlePriceChangedView, usecases.keep_article
    )
    on_customer_created = consume("customers", "customer_created", events.CustomerView, usecases.keep_customer)
    on_customer_updated = consume("customers", "customer_updated", events.CustomerView, usecases.keep_customer)
    on_customers_imported = consume(
        "customers", "customers_imported", events.CustomersImportedView, usecases.keep_imported_customers
    )
    on_task_completed = consume("worksites", "task_completed", events.TaskCompletedView, invoices.draft_payment_request)
    on_intervention_completed = consume(
        "sav", "intervention_completed", events.InterventionCompletedView, invoices.draft_intervention_invoice
    )
