"""customers' ``customers_imported`` (many customer files in one event): the till keeps a
copy of each, as each one's ``customer_created`` would."""

from __future__ import annotations

import uuid
from typing import Any

from pos import events, usecases
from pos.models import CustomerCopy

ADDRESS = {"line1": "12 chemin des Oliviers", "line2": None, "postcode": "30900", "city": "Nîmes", "country": "FR"}


def test_each_imported_customer_is_kept_as_its_own_event_would_keep_it(uow: Any) -> None:
    known, new = uuid.uuid4(), uuid.uuid4()
    with uow() as work:
        usecases.keep_customer(work, {"customer_id": known, "kind": "private", "display_name": "Durand", "email": None})
    imported = {
        "customers": [
            {"customer_id": str(known), "kind": "private", "display_name": "DURAND Hélène", "email": "h@example.fr"},
            {
                "customer_id": str(new),
                "kind": "company",
                "display_name": "Camping Les Pins",
                "email": None,
                "billing_address": ADDRESS,
                "siren": "123456789",
            },
        ],
        "equipment": [],  # not read here
    }
    with uow() as work:
        usecases.keep_imported_customers(work, events.CustomersImportedView().load(imported))
    with uow() as work:
        assert work.session.get(CustomerCopy, known).email == "h@example.fr"  # brought up to date
        copy = work.session.get(CustomerCopy, new)
        assert (copy.display_name, copy.siren, copy.billing_address["city"]) == (
            "Camping Les Pins",
            "123456789",
            "Nîmes",
        )
