"""The inventory nameko service: RPC and event entrypoints, nothing else.

Each method loads its input, opens a unit of work and calls a use case.
"""

from __future__ import annotations

from typing import Any

from bassin_common.db import Database
from bassin_common.entrypoints import event_consumer, rpc
from bassin_common.events import Event
from bassin_common.logs import LogContext
from bassin_common.outbox import OutboxRelay
from bassin_common.validation import load_or_reject, parse_id
from inventory import events, schemas, usecases

STOCK_MANAGERS = ("manager", "office")


class InventoryService:
    name = "inventory"

    db = Database()
    outbox = OutboxRelay()
    log_context = LogContext()

    @rpc
    def create_location(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.db.context.require_role(*STOCK_MANAGERS)
        data = load_or_reject(schemas.LocationInput(), payload)
        with self.db.unit_of_work() as uow:
            return schemas.LocationOutput().dump(usecases.create_location(uow, data))

    @rpc
    def list_locations(self) -> list[dict[str, Any]]:
        with self.db.unit_of_work() as uow:
            return schemas.LocationOutput(many=True).dump(usecases.list_locations(uow))

    @rpc
    def create_supplier(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.db.context.require_role(*STOCK_MANAGERS)
        data = load_or_reject(schemas.SupplierInput(), payload)
        with self.db.unit_of_work() as uow:
            return schemas.SupplierOutput().dump(usecases.create_supplier(uow, data))

    @rpc
    def list_suppliers(self) -> list[dict[str, Any]]:
        with self.db.unit_of_work() as uow:
            return schemas.SupplierOutput(many=True).dump(usecases.list_suppliers(uow))

    @rpc
    def create_article(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.db.context.require_role(*STOCK_MANAGERS)
        data = load_or_reject(schemas.ArticleInput(), payload)
        with self.db.unit_of_work() as uow:
            article = usecases.create_article(uow, data)
            return schemas.ArticleOutput().dump(usecases.get_article(uow, article.id))

    @rpc
    def search_articles(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        search = load_or_reject(schemas.ArticleSearch(), params)
        with self.db.unit_of_work() as uow:
            found = usecases.search_articles(uow, search["q"], search["limit"], search["offset"])
            return schemas.ArticleSummary(many=True).dump(found)

    @rpc
    def get_article(self, article_id: str) -> dict[str, Any]:
        with self.db.unit_of_work() as uow:
            return schemas.ArticleOutput().dump(usecases.get_article(uow, parse_id(article_id)))

    @rpc
    def set_thresholds(self, article_id: str, location_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.db.context.require_role(*STOCK_MANAGERS)
        data = load_or_reject(schemas.ThresholdsInput(), payload)
        with self.db.unit_of_work() as uow:
            article = usecases.set_thresholds(uow, parse_id(article_id), parse_id(location_id), **data)
            return schemas.ArticleOutput().dump(article)

    @rpc
    def list_movements(self, article_id: str) -> list[dict[str, Any]]:
        with self.db.unit_of_work() as uow:
            found = usecases.movements(uow, parse_id(article_id))
            return schemas.MovementOutput(many=True).dump(found)

    @rpc
    def get_supplier_basket(self) -> list[dict[str, Any]]:
        with self.db.unit_of_work() as uow:
            return schemas.BasketLineOutput(many=True).dump(usecases.supplier_basket(uow))

    @event_consumer("pos", "sale_completed")
    def on_sale_completed(self, event: Event) -> None:
        self.db.apply_once(event, events.SaleCompletedView(), usecases.apply_sale)

    @event_consumer("inventory", "reorder_needed")
    def on_reorder_needed(self, event: Event) -> None:
        self.db.apply_once(event, events.ReorderNeeded(), usecases.add_to_supplier_basket)
