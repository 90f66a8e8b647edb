"""The pos nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

from typing import Any

from bassin_common.db import Database
from bassin_common.entrypoints import event_consumer, rpc
from bassin_common.events import Event
from bassin_common.logs import LogContext
from bassin_common.outbox import OutboxRelay
from bassin_common.validation import load_or_reject, parse_id
from pos import events, schemas, usecases

SELLERS = ("cashier", "manager", "office", "sales")


class PosService:
    name = "pos"

    db = Database()
    outbox = OutboxRelay()
    log_context = LogContext()

    @rpc
    def record_sale(self, payload: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        self.db.context.require_role(*SELLERS)
        data = load_or_reject(schemas.SaleInput(), payload)
        with self.db.unit_of_work() as uow:
            return schemas.SaleOutput().dump(usecases.record_sale(uow, data, request_id))

    @rpc
    def get_sale(self, sale_id: str) -> dict[str, Any]:
        with self.db.unit_of_work() as uow:
            return schemas.SaleOutput().dump(usecases.get_sale(uow, parse_id(sale_id)))

    @rpc
    def list_catalogue(self) -> list[dict[str, Any]]:
        with self.db.unit_of_work() as uow:
            return [
                {"article_id": str(a.article_id), "sku": a.sku, "name": a.name, "sale_price": str(a.sale_price)}
                for a in usecases.list_catalogue(uow)
            ]

    @event_consumer("inventory", "article_created")
    def on_article_created(self, event: Event) -> None:
        self.db.apply_once(event, events.ArticleCreatedView(), usecases.keep_article)

    @event_consumer("inventory", "location_created")
    def on_location_created(self, event: Event) -> None:
        self.db.apply_once(event, events.LocationCreatedView(), usecases.keep_shop)
