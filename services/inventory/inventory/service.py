"""The inventory nameko service: RPC and event entrypoints, nothing else.

Each RPC method hands its unit of work and loaded input to a use case; ``rpc`` checks the
permission, loads the input and dumps the result with the declared schemas. Creates and
commands are idempotent: a request retried or redelivered with its request id runs once.
Each event it consumes is applied once by a use case.
"""

from __future__ import annotations

import uuid
from typing import Any

from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import MANAGE_STOCK, READ_BUSINESS_DATA
from bassin_common.service import BassinService, consume, rpc
from bassin_common.uow import UnitOfWork
from inventory import events, schemas, usecases


class InventoryService(BassinService):
    name = "inventory"

    @rpc(requires=MANAGE_STOCK, accepts=schemas.LocationInput, returns=schemas.LocationOutput, idempotent=True)
    def create_location(self, uow: UnitOfWork, location: dict[str, Any]) -> Any:
        return usecases.create_location(uow, location)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.SupplierInput, returns=schemas.SupplierOutput, idempotent=True)
    def create_supplier(self, uow: UnitOfWork, supplier: dict[str, Any]) -> Any:
        return usecases.create_supplier(uow, supplier)

    @rpc(requires=MANAGE_STOCK, accepts=schemas.ArticleInput, returns=schemas.ArticleOutput, idempotent=True)
    def create_article(self, uow: UnitOfWork, article: dict[str, Any]) -> Any:
        return usecases.get_article(uow, usecases.create_article(uow, article).id)

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

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.StockLevelOutput)
    def get_stock_level(self, uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID) -> Any:
        return usecases.get_stock_level(uow, article_id, location_id)

    @rpc(requires=READ_BUSINESS_DATA, accepts=PageQuery, returns=page_of(schemas.MovementOutput))
    def list_movements(self, uow: UnitOfWork, article_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.movements(uow, article_id, page)

    @rpc(requires=MANAGE_STOCK, accepts=PageQuery, returns=page_of(schemas.BasketLineOutput))
    def get_supplier_basket(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.supplier_basket(uow, page)

    on_sale_completed = consume("pos", "sale_completed", events.SaleCompletedView, usecases.apply_sale)
