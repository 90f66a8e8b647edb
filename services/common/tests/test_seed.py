"""``BassinService.seed``: a batch of a service's own RPCs in one unit of work (the demo
loader's fast path) — each checked and loaded as when called alone, results named for the
operations after them, the whole batch refused by any one of them."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from marshmallow import fields

from bassin_common.errors import Forbidden, ValidationFailed
from bassin_common.permissions import MANAGE_STOCK
from bassin_common.schemas import Money, StrictSchema
from bassin_common.service import BassinService, rpc
from bassin_common.tenancy import RequestContext


class Shelf(StrictSchema):
    code = fields.String(required=True)


class Item(StrictSchema):
    shelf_id = fields.UUID(required=True)
    price = Money(required=True)


class ShelfOut(StrictSchema):
    id = fields.String()
    code = fields.String()
    slots = fields.List(fields.String())


class SeedProbe(BassinService):
    name = "seed_probe"

    @rpc(requires=MANAGE_STOCK, accepts=Shelf, returns=ShelfOut)
    def add_shelf(self, uow, shelf: dict) -> dict:
        made = {"id": str(uuid.uuid4()), "code": shelf["code"], "slots": [f"{shelf['code']}-1"]}
        uow.done.append(("shelf", made["code"]))
        return made

    @rpc(requires=MANAGE_STOCK, accepts=Item, returns=ShelfOut)
    def add_item(self, uow, slot: str, item: dict) -> dict:
        uow.done.append(("item", str(item["shelf_id"]), slot, str(item["price"])))
        return {"id": str(uuid.uuid4()), "code": slot, "slots": []}


class FakeDatabase:
    def __init__(self, *roles: str) -> None:
        self.context = RequestContext(uuid.uuid4(), roles=frozenset(roles))
        self.committed: list[list[tuple]] = []

    @contextmanager
    def unit_of_work(self):
        uow = SimpleNamespace(context=self.context, done=[])
        yield uow  # an error leaves the block: nothing committed
        self.committed.append(uow.done)


def seed(roles: tuple[str, ...], operations: list[dict]) -> tuple[dict, FakeDatabase]:
    service = SeedProbe()
    service.db = FakeDatabase(*roles)
    return SeedProbe.seed(service, operations), service.db


def test_a_batch_runs_in_one_unit_of_work_with_its_results_named() -> None:
    returned, db = seed(
        ("manager",),
        [
            {"call": "add_shelf", "args": [{"code": "A"}], "as": "a"},
            {"call": "add_item", "args": ["@a.slots.0", {"shelf_id": "@a", "price": "9.9"}], "as": "i"},
            {"call": "add_item", "args": ["loose", {"shelf_id": "@a", "price": "1"}]},
        ],
    )
    assert set(returned) == {"a", "i"}
    (done,) = db.committed
    assert done == [
        ("shelf", "A"),
        ("item", returned["a"], "A-1", "9.90"),
        ("item", returned["a"], "loose", "1.00"),
    ]


def test_one_refused_operation_refuses_the_whole_batch_and_names_itself() -> None:
    with pytest.raises(ValidationFailed) as refused:
        seed(
            ("manager",),
            [
                {"call": "add_shelf", "args": [{"code": "A"}], "as": "a"},
                {"call": "add_item", "args": ["x", {"shelf_id": "@a", "price": "-1"}]},
            ],
        )
    assert "operation 1 (add_item)" in refused.value.detail and "price" in refused.value.errors
    with pytest.raises(ValidationFailed, match="no earlier result"):
        seed(("manager",), [{"call": "add_item", "args": ["x", {"shelf_id": "@nowhere", "price": "1"}]}])
    with pytest.raises(ValidationFailed, match="not an RPC"):
        seed(("manager",), [{"call": "health", "args": []}])


def test_each_operation_needs_its_own_permission() -> None:
    with pytest.raises(Forbidden):
        seed(("cashier",), [{"call": "add_shelf", "args": [{"code": "A"}]}])
