"""Printable documents — purchase orders, invoices, receipts, intervention slips — as PDF,
the same way in every service.

A service writes an HTML template in its own package (``<package>/templates/``) that
extends ``document.html`` (here, in ``bassin_common/templates``): the company's letterhead,
the document's title, number and date, its body, and the legal mentions at the foot. The
template gets the French filters ``euros``, ``number``, ``percent``, ``day`` and ``moment``
(``bassin_common.french``); WeasyPrint lays it out on A4 with DejaVu Sans, which carries
accents and €.

    pdf = render_pdf("inventory", "purchase_order.html", company=company, order=order)

Needs the ``documents`` extra of bassin-common (WeasyPrint and Jinja2; WeasyPrint needs
Pango from the system).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from bassin_common import french


@dataclass(frozen=True)
class Company:
    """Who a document is from: the letterhead and the legal mentions (French rules)."""

    name: str
    address: tuple[str, ...] = ()
    siret: str = ""
    vat_number: str = ""  # numéro de TVA intracommunautaire
    phone: str = ""
    email: str = ""
    legal_form: str = ""  # "SARL au capital de 10 000 €"
    mentions: tuple[str, ...] = field(default=())  # extra lines: late-payment terms, insurance…


@cache
def _environment(package: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader(package, "templates"), jinja2.PackageLoader("bassin_common", "templates")]
        ),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not a blank on a legal document
    )
    environment.filters.update(
        euros=french.euros, number=french.number, percent=french.percent, day=french.day, moment=french.moment
    )
    return environment


def render_html(package: str, template: str, **context: Any) -> str:
    return _environment(package).get_template(template).render(**context)


def render_pdf(package: str, template: str, variant: str | None = None, **context: Any) -> bytes:
    """``<package>/templates/<template>`` rendered with ``context``, as a PDF; ``variant``
    asks WeasyPrint for a PDF flavour (``"pdf/a-3b"``: archivable, able to carry the XML of
    an electronic invoice)."""
    from weasyprint import HTML  # heavy, and only where documents are printed

    return HTML(string=render_html(package, template, **context)).write_pdf(pdf_variant=variant)


def download(filename: str, pdf: bytes) -> dict[str, str]:
    """A printed document as an RPC answers it (``DocumentOutput``): its file name and its
    bytes in base64."""
    return {"filename": filename, "content": base64.b64encode(pdf).decode("ascii")}
