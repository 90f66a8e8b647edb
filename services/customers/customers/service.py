"""The customers nameko service: RPC and event entrypoints, nothing else.

Each RPC method hands its unit of work and loaded input to a use case; ``rpc`` checks the
permission, loads the input and dumps the result with the declared schemas. Creates are
idempotent: a request retried with its request id runs once.
"""

from __future__ import annotations

import uuid
from typing import Any

from bassin_common.config import settings_from_nameko
from bassin_common.documents import download
from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import (
    EXPORT_OR_ERASE_PERSONAL_DATA,
    MANAGE_CUSTOMERS,
    MANAGE_SALES_PIPELINE,
    READ_BUSINESS_DATA,
    READ_OWN_CUSTOMER_ACCOUNT,
    RECORD_WATER_ANALYSES,
)
from bassin_common.service import BassinService, consume, rpc
from bassin_common.signing import ContextSigner
from bassin_common.uow import UnitOfWork
from customers import events, gdpr, schemas, usecases


class CustomersService(BassinService):
    name = "customers"

    # --- customers ---------------------------------------------------------------------

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.CustomerInput, returns=schemas.CustomerOutput, idempotent=True)
    def create_customer(self, uow: UnitOfWork, customer: dict[str, Any]) -> Any:
        return usecases.create_customer(uow, customer)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.CustomerFields, returns=schemas.CustomerOutput, idempotent=True)
    def update_customer(
        self, uow: UnitOfWork, customer_id: uuid.UUID, if_match: list[str], customer: dict[str, Any]
    ) -> Any:
        return usecases.update_customer(uow, customer_id, if_match, customer)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.CustomerOutput)
    def get_customer(self, uow: UnitOfWork, customer_id: uuid.UUID) -> Any:
        return usecases.get_customer(uow, customer_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.CustomerSearch, returns=page_of(schemas.CustomerSummary))
    def search_customers(self, uow: UnitOfWork, search: dict[str, Any]) -> Any:
        return usecases.search_customers(uow, search)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, returns=schemas.CustomerOutput)
    def get_own_customer(self, uow: UnitOfWork) -> Any:
        return usecases.get_own_customer(uow)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, accepts=PageQuery, returns=page_of(schemas.AnalysisOutput))
    def portal_list_analyses(self, uow: UnitOfWork, pool_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.own_pool_analyses(uow, pool_id, page)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, accepts=PageQuery, returns=page_of(schemas.ContractOutput))
    def portal_list_contracts(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.own_contracts(uow, page)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.CustomersImport, returns=schemas.ImportOutput, idempotent=True)
    def import_customers(self, uow: UnitOfWork, customers: dict[str, Any]) -> Any:
        return usecases.import_customers(uow, customers)

    # --- sites and timeline ------------------------------------------------------------

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.SiteInput, returns=schemas.SiteOutput, idempotent=True)
    def add_site(self, uow: UnitOfWork, customer_id: uuid.UUID, site: dict[str, Any]) -> Any:
        return usecases.add_site(uow, customer_id, site)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.SiteOutput)
    def get_site(self, uow: UnitOfWork, site_id: uuid.UUID) -> Any:
        return usecases.get_site(uow, site_id)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.SiteInput, returns=schemas.SiteOutput, idempotent=True)
    def update_site(self, uow: UnitOfWork, site_id: uuid.UUID, if_match: list[str], site: dict[str, Any]) -> Any:
        return usecases.update_site(uow, site_id, if_match, site)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.NoteInput, returns=schemas.TimelineEntryOutput, idempotent=True)
    def add_note(self, uow: UnitOfWork, customer_id: uuid.UUID, note: dict[str, Any]) -> Any:
        return usecases.add_note(uow, customer_id, note)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.OverviewInput, returns=schemas.OverviewOutput)
    def customer_overview(self, uow: UnitOfWork, customer_id: uuid.UUID, include: dict[str, Any]) -> Any:
        return usecases.customer_overview(uow, customer_id, include)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.TimelineEntryOutput))
    def list_timeline(self, uow: UnitOfWork, customer_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.timeline(uow, customer_id, page)

    # --- pools and equipment -----------------------------------------------------------

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.PoolInput, returns=schemas.PoolOutput, idempotent=True)
    def create_pool(self, uow: UnitOfWork, pool: dict[str, Any]) -> Any:
        return usecases.create_pool(uow, pool)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.PoolFields, returns=schemas.PoolOutput, idempotent=True)
    def update_pool(self, uow: UnitOfWork, pool_id: uuid.UUID, if_match: list[str], pool: dict[str, Any]) -> Any:
        return usecases.update_pool(uow, pool_id, if_match, pool)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.PoolOutput)
    def get_pool(self, uow: UnitOfWork, pool_id: uuid.UUID) -> Any:
        return usecases.get_pool(uow, pool_id)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.EquipmentInput, returns=schemas.EquipmentOutput, idempotent=True)
    def install_equipment(self, uow: UnitOfWork, pool_id: uuid.UUID, equipment: dict[str, Any]) -> Any:
        return usecases.install_equipment(uow, pool_id, equipment)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.EquipmentInput, returns=schemas.EquipmentOutput, idempotent=True)
    def replace_equipment(self, uow: UnitOfWork, equipment_id: uuid.UUID, equipment: dict[str, Any]) -> Any:
        return usecases.replace_equipment(uow, equipment_id, equipment)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.RemovalInput, returns=schemas.EquipmentOutput, idempotent=True)
    def remove_equipment(self, uow: UnitOfWork, equipment_id: uuid.UUID, removal: dict[str, Any]) -> Any:
        return usecases.remove_equipment(uow, equipment_id, removal)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.EquipmentOutput)
    def get_equipment(self, uow: UnitOfWork, equipment_id: uuid.UUID) -> Any:
        return usecases.get_equipment(uow, equipment_id)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.LifetimesOutput)
    def get_equipment_lifetimes(self, uow: UnitOfWork) -> Any:
        return usecases.get_lifetimes(uow)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.LifetimesInput, returns=schemas.LifetimesOutput, idempotent=True)
    def set_equipment_lifetimes(self, uow: UnitOfWork, lifetimes: dict[str, Any]) -> Any:
        return usecases.set_lifetimes(uow, lifetimes)

    # --- water care --------------------------------------------------------------------

    @rpc(requires=RECORD_WATER_ANALYSES, accepts=schemas.AnalysisInput, returns=schemas.AnalysisOutput, idempotent=True)
    def record_analysis(self, uow: UnitOfWork, pool_id: uuid.UUID, analysis: dict[str, Any]) -> Any:
        return usecases.record_analysis(uow, pool_id, analysis)

    @rpc(requires=RECORD_WATER_ANALYSES, returns=schemas.AnalysisOutput)
    def get_analysis(self, uow: UnitOfWork, analysis_id: uuid.UUID) -> Any:
        return usecases.get_analysis(uow, analysis_id)

    @rpc(requires=RECORD_WATER_ANALYSES, accepts=PageQuery, returns=page_of(schemas.AnalysisOutput))
    def list_analyses(self, uow: UnitOfWork, pool_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.pool_analyses(uow, pool_id, page)

    @rpc(requires=RECORD_WATER_ANALYSES, returns=schemas.WaterProductsOutput)
    def get_water_products(self, uow: UnitOfWork) -> Any:
        return usecases.get_water_products(uow)

    @rpc(
        requires=MANAGE_CUSTOMERS,
        accepts=schemas.WaterProductsInput,
        returns=schemas.WaterProductsOutput,
        idempotent=True,
    )
    def set_water_products(self, uow: UnitOfWork, products: dict[str, Any]) -> Any:
        return usecases.set_water_products(uow, products)

    @rpc(requires=RECORD_WATER_ANALYSES, returns=schemas.WaterTargetsOutput)
    def get_water_targets(self, uow: UnitOfWork) -> Any:
        return usecases.get_water_targets(uow)

    @rpc(
        requires=MANAGE_CUSTOMERS,
        accepts=schemas.WaterTargetsInput,
        returns=schemas.WaterTargetsOutput,
        idempotent=True,
    )
    def set_water_targets(self, uow: UnitOfWork, targets: dict[str, Any]) -> Any:
        return usecases.set_water_targets(uow, targets)

    on_article_created = consume("inventory", "article_created", events.ArticleView, usecases.copy_article)
    on_articles_imported = consume("inventory", "articles_imported", events.ArticlesView, usecases.copy_articles)

    # --- the sales pipeline ------------------------------------------------------------

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.LeadInput, returns=schemas.LeadOutput, idempotent=True)
    def record_first_contact(self, uow: UnitOfWork, lead: dict[str, Any]) -> Any:
        return usecases.record_first_contact(uow, lead)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=PageQuery, returns=page_of(schemas.LeadOutput))
    def list_leads(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_leads(uow, page)

    @rpc(requires=MANAGE_SALES_PIPELINE, returns=schemas.LeadOutput)
    def get_lead(self, uow: UnitOfWork, lead_id: uuid.UUID) -> Any:
        return usecases.get_lead(uow, lead_id)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.FollowUpInput, returns=schemas.LeadOutput, idempotent=True)
    def follow_up_lead(self, uow: UnitOfWork, lead_id: uuid.UUID, follow_up: dict[str, Any]) -> Any:
        return usecases.follow_up(uow, lead_id, follow_up)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.LostInput, returns=schemas.LeadOutput, idempotent=True)
    def mark_lead_lost(self, uow: UnitOfWork, lead_id: uuid.UUID, lost: dict[str, Any]) -> Any:
        return usecases.mark_lost(uow, lead_id, lost)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.QuoteInput, returns=schemas.QuoteOutput, idempotent=True)
    def create_quote(self, uow: UnitOfWork, quote: dict[str, Any]) -> Any:
        return usecases.create_quote(uow, quote)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.QuoteFields, returns=schemas.QuoteOutput, idempotent=True)
    def revise_quote(self, uow: UnitOfWork, quote_id: uuid.UUID, quote: dict[str, Any]) -> Any:
        return usecases.revise_quote(uow, quote_id, quote)

    @rpc(requires=MANAGE_SALES_PIPELINE, returns=schemas.QuoteOutput)
    def get_quote(self, uow: UnitOfWork, quote_id: uuid.UUID) -> Any:
        return usecases.get_quote(uow, quote_id)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.Letterhead, returns=schemas.DocumentOutput)
    def quote_pdf(self, uow: UnitOfWork, quote_id: uuid.UUID, letterhead: dict[str, Any]) -> Any:
        filename, pdf = usecases.quote_pdf(uow, quote_id, letterhead)
        return download(filename, pdf)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=PageQuery, returns=page_of(schemas.QuoteOutput))
    def list_customer_quotes(self, uow: UnitOfWork, customer_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.customer_quotes(uow, customer_id, page)

    @rpc(requires=MANAGE_SALES_PIPELINE, returns=schemas.QuoteOutput, idempotent=True)
    def send_quote(self, uow: UnitOfWork, quote_id: uuid.UUID) -> Any:
        return usecases.send_quote(uow, quote_id)

    @rpc(requires=MANAGE_SALES_PIPELINE, returns=schemas.QuoteOutput, idempotent=True)
    def accept_quote(self, uow: UnitOfWork, quote_id: uuid.UUID) -> Any:
        return usecases.accept_quote(uow, quote_id)

    @rpc(requires=MANAGE_SALES_PIPELINE, returns=schemas.QuoteOutput, idempotent=True)
    def decline_quote(self, uow: UnitOfWork, quote_id: uuid.UUID) -> Any:
        return usecases.decline_quote(uow, quote_id)

    @rpc(requires=MANAGE_SALES_PIPELINE, accepts=schemas.FiguresQuery, returns=schemas.PipelineFigures)
    def pipeline_figures(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.pipeline_figures(uow, query)

    # --- maintenance contracts and the daily scan ---------------------------------------

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.ContractInput, returns=schemas.ContractOutput, idempotent=True)
    def sign_contract(self, uow: UnitOfWork, contract: dict[str, Any]) -> Any:
        return usecases.sign_contract(uow, contract)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.ContractOutput)
    def get_contract(self, uow: UnitOfWork, contract_id: uuid.UUID) -> Any:
        return usecases.get_contract(uow, contract_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.ContractOutput))
    def list_customer_contracts(self, uow: UnitOfWork, customer_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.customer_contracts(uow, customer_id, page)

    @rpc(requires=MANAGE_CUSTOMERS, accepts=schemas.TerminationInput, returns=schemas.ContractOutput, idempotent=True)
    def terminate_contract(self, uow: UnitOfWork, contract_id: uuid.UUID, termination: dict[str, Any]) -> Any:
        return usecases.terminate_contract(uow, contract_id, termination)

    # The scheduler calls it once a day per company, as the system: it only announces what
    # is due (once) and rolls contracts over, so reading the company's data is the right.
    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.ScanInput, returns=schemas.ScanOutput, idempotent=True)
    def daily_scan(self, uow: UnitOfWork, scan: dict[str, Any]) -> Any:
        return usecases.daily_scan(uow, scan)

    # --- GDPR -------------------------------------------------------------------------

    @rpc(requires=EXPORT_OR_ERASE_PERSONAL_DATA, returns=schemas.CustomerExport)
    def export_customer(self, uow: UnitOfWork, customer_id: uuid.UUID) -> Any:
        return usecases.export_customer(uow, customer_id)

    @rpc(requires=EXPORT_OR_ERASE_PERSONAL_DATA, returns=schemas.ErasureOutput, idempotent=True)
    def erase_customer(self, uow: UnitOfWork, customer_id: uuid.UUID) -> Any:
        erased = usecases.erase_customer(uow, customer_id)
        # The dead letters too, now: were the erasure not to commit, they are only redacted.
        settings = settings_from_nameko()
        redacted = gdpr.redact_dead_letters(
            settings.amqp_uri, uow.tenant_id, customer_id, ContextSigner.from_settings(settings)
        )
        return {**erased, "dead_letters_redacted": redacted}

    on_sale_completed = consume(
        "pos",
        "sale_completed",
        events.SaleCompletedView,
        usecases.record_sale,
        applies_to=usecases.sale_concerns_a_customer,
    )
    on_project_completed = consume(
        "worksites", "project_completed", events.ProjectCompletedView, usecases.register_handover
    )
    on_intervention_completed = consume(
        "sav", "intervention_completed", events.InterventionCompletedView, usecases.record_intervention
    )
    on_article_price_changed = consume("inventory", "article_price_changed", events.ArticleView, usecases.copy_article)
