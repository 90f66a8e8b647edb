"""The inventory nameko service: RPC and event entrypoints, nothing else.

Each RPC method hands its unit of work and loaded input to a use case; ``rpc`` checks the
permission, loads the input and dumps the result with the declared schemas. Creates and
commands are idempotent: a request retried or redelivered with its request id runs once.
Each event it consumes is applied once by a use case.
"""

from __future__ import annotations

import base64
import uuid
from functools import cached_property
from typing import Any

from bassin_common import mail
from bassin_common.config import settings_from_nameko
from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import MANAGE_PURCHASING, MANAGE_STOCK, READ_BUSINESS_DATA, RECEIVE_AND_COUNT_STOCK
from bassin_common.service import BassinService, consume, rpc
from bassin_common.uow import UnitOfWork
from inventory import events, schemas, usecases


class InventoryService(BassinService):
    name = "inventory"

    @cached_property
    def mailer(self) -> mail.Mailer:
        """Purchase orders go out through the SMTP server of the settings (console mode without)."""
        return mail.mailer_from_settings(settings_from_nameko())

    # --- locations, suppliers, the catalogue ---------------------------------------------

    @rpc(requires=MANAGE_STOCK, accepts=schemas.LocationInput, returns=schemas.LocationOutput, idempotent=True)
    def create_location(self, uow: UnitOfWork, location: dict[str, Any]) -> Any:
        return usecases.create_location(uow, location)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.SupplierInput, returns=schemas.SupplierOutput, idempotent=True)
    def create_supplier(self, uow: UnitOfWork, supplier: dict[str, Any]) -> Any:
        return usecases.create_supplier(uow, supplier)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.CategoryInput, returns=schemas.CategoryOutput, idempotent=True)
    def create_category(self, uow: UnitOfWork, category: dict[str, Any]) -> Any:
        return usecases.create_category(uow, category)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.CategoryOutput))
    def list_categories(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_categories(uow, page)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.ArticleInput, returns=schemas.ArticleOutput, idempotent=True)
    def create_article(self, uow: UnitOfWork, article: dict[str, Any]) -> Any:
        return usecases.get_article(uow, usecases.create_article(uow, article).id)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.ArticlesImport, returns=schemas.ImportedArticles, idempotent=True)
    def import_articles(self, uow: UnitOfWork, articles: dict[str, Any]) -> Any:
        return {"articles": usecases.import_articles(uow, articles["articles"])}

    @rpc(requires=MANAGE_STOCK, accepts=schemas.ArticleUpdate, returns=schemas.ArticleOutput, idempotent=True)
    def update_article(
        self, uow: UnitOfWork, article_id: uuid.UUID, if_match: list[str], article: dict[str, Any]
    ) -> Any:
        return usecases.update_article(uow, article_id, if_match, article)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.ThresholdsInput, returns=schemas.StockLevelOutput, idempotent=True)
    def set_thresholds(
        self,
        uow: UnitOfWork,
        article_id: uuid.UUID,
        location_id: uuid.UUID,
        if_match: list[str],
        thresholds: dict[str, Any],
    ) -> Any:
        return usecases.set_thresholds(uow, article_id, location_id, if_match, **thresholds)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.LocationOutput))
    def list_locations(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_locations(uow, page)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.SupplierOutput))
    def list_suppliers(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_suppliers(uow, page)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.ArticleSearch, returns=page_of(schemas.ArticleSummary))
    def search_articles(self, uow: UnitOfWork, search: dict[str, Any]) -> Any:
        return usecases.search_articles(uow, search)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.ArticleOutput)
    def get_article(self, uow: UnitOfWork, article_id: uuid.UUID) -> Any:
        return usecases.get_article(uow, article_id)

    # --- stock -----------------------------------------------------------------------------

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.StockLevelOutput)
    def get_stock_level(self, uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID) -> Any:
        return usecases.get_stock_level(uow, article_id, location_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.LocationStockOutput))
    def list_location_stock(self, uow: UnitOfWork, location_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.location_stock(uow, location_id, page)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.MovementOutput))
    def list_movements(self, uow: UnitOfWork, article_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.movements(uow, article_id, page)

    @rpc(
        requires=RECEIVE_AND_COUNT_STOCK, accepts=schemas.TransferInput, returns=schemas.TransferOutput, idempotent=True
    )
    def transfer_stock(self, uow: UnitOfWork, transfer: dict[str, Any]) -> Any:
        return usecases.transfer_stock(uow, transfer)

    @rpc(requires=RECEIVE_AND_COUNT_STOCK, accepts=schemas.CountInput, returns=schemas.CountOutput, idempotent=True)
    def record_count(self, uow: UnitOfWork, count: dict[str, Any]) -> Any:
        return usecases.record_count(uow, count)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.CountOutput)
    def get_count(self, uow: UnitOfWork, count_id: uuid.UUID) -> Any:
        return usecases.get_count(uow, count_id)

    # --- purchasing ------------------------------------------------------------------------

    @rpc(requires=MANAGE_STOCK, accepts=PageQuery, returns=page_of(schemas.BasketLineOutput))
    def get_supplier_basket(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.supplier_basket(uow, page)

    @rpc(requires=MANAGE_STOCK, returns=schemas.BasketLineOutput)
    def get_basket_line(self, uow: UnitOfWork, line_id: uuid.UUID) -> Any:
        return usecases.get_basket_line(uow, line_id)

    @rpc(
        requires=MANAGE_PURCHASING, accepts=schemas.BasketLineUpdate, returns=schemas.BasketLineOutput, idempotent=True
    )
    def update_basket_line(self, uow: UnitOfWork, line_id: uuid.UUID, if_match: list[str], line: dict[str, Any]) -> Any:
        return usecases.update_basket_line(uow, line_id, if_match, line)

    @rpc(
        requires=MANAGE_PURCHASING,
        accepts=schemas.PurchaseOrderInput,
        returns=schemas.PurchaseOrderOutput,
        idempotent=True,
    )
    def create_purchase_order(self, uow: UnitOfWork, order: dict[str, Any]) -> Any:
        return usecases.create_purchase_order(uow, order)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.PurchaseOrderQuery, returns=page_of(schemas.PurchaseOrderSummary))
    def list_purchase_orders(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.list_purchase_orders(uow, query)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.PurchaseOrderOutput)
    def get_purchase_order(self, uow: UnitOfWork, order_id: uuid.UUID) -> Any:
        return usecases.get_purchase_order(uow, order_id)

    @rpc(
        requires=RECEIVE_AND_COUNT_STOCK,
        accepts=schemas.ReceiptInput,
        returns=schemas.PurchaseOrderOutput,
        idempotent=True,
    )
    def receive_goods(self, uow: UnitOfWork, order_id: uuid.UUID, receipt: dict[str, Any]) -> Any:
        return usecases.receive_goods(uow, order_id, receipt)

    @rpc(requires=MANAGE_PURCHASING, accepts=schemas.PriceListInput, returns=schemas.PriceListReport)
    def preview_price_list(self, uow: UnitOfWork, supplier_id: uuid.UUID, price_list: dict[str, Any]) -> Any:
        return usecases.preview_price_list(uow, supplier_id, price_list)

    @rpc(requires=MANAGE_PURCHASING, accepts=schemas.PriceListApply, returns=schemas.PriceListReport, idempotent=True)
    def apply_price_list(self, uow: UnitOfWork, supplier_id: uuid.UUID, price_list: dict[str, Any]) -> Any:
        return usecases.apply_price_list(uow, supplier_id, price_list)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.PriceChangeOutput))
    def list_price_changes(self, uow: UnitOfWork, article_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.price_history(uow, article_id, page)

    # ``company_name``: the letterhead, from the gateway (which keeps the companies).
    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.DocumentOutput)
    def get_purchase_order_pdf(self, uow: UnitOfWork, order_id: uuid.UUID, company_name: str) -> Any:
        order, pdf = usecases.purchase_order_pdf(uow, order_id, company_name)
        return {
            "filename": f"{order['number']}.pdf",
            "content_type": "application/pdf",
            "content": base64.b64encode(pdf).decode(),
        }

    @rpc(requires=MANAGE_PURCHASING, returns=schemas.PurchaseOrderOutput, idempotent=True)
    def email_purchase_order(self, uow: UnitOfWork, order_id: uuid.UUID, company_name: str) -> Any:
        return usecases.email_purchase_order(uow, order_id, company_name, self.mailer)

    # --- events ----------------------------------------------------------------------------

    on_sale_completed = consume("pos", "sale_completed", events.SaleCompletedView, usecases.apply_sale)
    on_sale_refunded = consume("pos", "sale_refunded", events.SaleRefundedView, usecases.apply_refund)
    on_parts_used = consume("sav", "parts_used", events.PartsUsedView, usecases.apply_parts_used)
    on_materials_reserved = consume(
        "worksites", "materials_reserved", events.MaterialsView, usecases.apply_materials_reserved
    )
    on_materials_consumed = consume(
        "worksites", "materials_consumed", events.MaterialsView, usecases.apply_materials_consumed
    )
    on_order_confirmed = consume(
        "customers", "order_confirmed", events.OrderConfirmedView, usecases.apply_order_confirmed
    )
