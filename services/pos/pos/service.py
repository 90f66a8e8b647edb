"""The pos nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

import uuid
from typing import Any

from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import READ_BUSINESS_DATA, READ_FINANCIAL_REPORTS, RECORD_SALES, REFUND_SALES
from bassin_common.service import BassinService, consume, rpc
from bassin_common.uow import UnitOfWork
from pos import events, schemas, usecases


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

    on_article_created = consume("inventory", "article_created", events.ArticleCreatedView, usecases.keep_article)
    on_location_created = consume("inventory", "location_created", events.LocationCreatedView, usecases.keep_shop)
    # To subscribe once their producers declare them (#20 customers, #21 inventory: the
    # catalogue refuses a subscription to an undeclared event); views and use cases are ready:
    #   on_article_price_changed = consume("inventory", "article_price_changed",
    #                                      events.ArticlePriceChangedView, usecases.keep_article)
    #   on_customer_created = consume("customers", "customer_created", events.CustomerView, usecases.keep_customer)
    #   on_customer_updated = consume("customers", "customer_updated", events.CustomerView, usecases.keep_customer)
