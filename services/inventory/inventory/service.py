"""The inventory nameko service: RPC and event entrypoints, nothing else.

Each RPC method hands its unit of work and loaded input to a use case; ``rpc`` checks the
permission, loads the input and dumps the result with the declared schemas. Creates and
commands are idempotent: a request retried or redelivered with its request id runs once.
Each event it consumes is applied once by a use case.
"""

from __future__ import annotations

import uuid
from typing import Any

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

    @rpc(requires=MANAGE_STOCK, accepts=schemas.ThresholdsInput, returns=schemas.ArticleOutput, idempotent=True)
    def set_thresholds(
        self, uow: UnitOfWork, article_id: uuid.UUID, location_id: uuid.UUID, thresholds: dict[str, Any]
    ) -> Any:
        return usecases.set_thresholds(uow, article_id, location_id, **thresholds)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.LocationOutput(many=True))
    def list_locations(self, uow: UnitOfWork) -> Any:
        return usecases.list_locations(uow)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.SupplierOutput(many=True))
    def list_suppliers(self, uow: UnitOfWork) -> Any:
        return usecases.list_suppliers(uow)

    @rpc(requires=READ_BUSINESS_DATA, accepts=schemas.ArticleSearch, returns=schemas.ArticleSummary(many=True))
    def search_articles(self, uow: UnitOfWork, search: dict[str, Any]) -> Any:
        return usecases.search_articles(uow, search["q"], search["limit"], search["offset"])

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.ArticleOutput)
    def get_article(self, uow: UnitOfWork, article_id: uuid.UUID) -> Any:
        return usecases.get_article(uow, article_id)

    @rpc(requires=READ_BUSINESS_DATA, returns=schemas.MovementOutput(many=True))
    def list_movements(self, uow: UnitOfWork, article_id: uuid.UUID) -> Any:
        return usecases.movements(uow, article_id)

    @rpc(requires=MANAGE_STOCK, returns=schemas.BasketLineOutput(many=True))
    def get_supplier_basket(self, uow: UnitOfWork) -> Any:
        return usecases.supplier_basket(uow)

    on_sale_completed = consume("pos", "sale_completed", events.SaleCompletedView, usecases.apply_sale)
