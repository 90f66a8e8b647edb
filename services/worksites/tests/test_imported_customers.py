"""customers' ``customers_imported`` (many customer files in one event): worksites
remembers each one's name and address, as each one's ``customer_created`` would."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from worksites import events, usecases
from worksites.models import KnownCustomer


def customer(customer_id: uuid.UUID, name: str, city: str) -> dict:
    address = {"line1": "12 chemin des Oliviers", "line2": None, "postcode": "30900", "city": city, "country": "FR"}
    return {"customer_id": str(customer_id), "display_name": name, "billing_address": address}


def test_each_imported_customer_is_remembered_in_one_statement(uow) -> None:
    known, new = uuid.uuid4(), uuid.uuid4()
    with uow() as work:
        usecases.remember_customer(work, events.CustomerView().load(customer(known, "Durand", "Alès")))
    imported = {"customers": [customer(known, "DURAND Hélène", "Nîmes"), customer(new, "Camping Les Pins", "Uzès")]}
    with uow() as work:
        usecases.remember_imported_customers(work, events.CustomersImportedView().load(imported))
    with uow() as work:
        remembered = {c.id: (c.display_name, c.address["city"]) for c in work.session.scalars(select(KnownCustomer))}
    assert remembered == {known: ("DURAND Hélène", "Nîmes"), new: ("Camping Les Pins", "Uzès")}
