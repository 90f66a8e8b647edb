"""Invoices as Factur-X: the PDF a person reads, carrying the structured invoice a machine
reads (UN/CEFACT Cross Industry Invoice XML, profile EN 16931), as France's e-invoicing
reform asks of every company.

``cii_xml`` writes the XML from an issued invoice (plain data in, bytes out: unit-tested
without a database); ``factur_x`` embeds it in the invoice's PDF, made PDF/A-3, with the
``factur-x`` package, which checks the XML against the official schema on the way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"

# UNTDID 1001 document types.
TYPE_CODES = {"invoice": "380", "deposit": "386", "credit_note": "381"}
SIREN_SCHEME = "0002"  # ISO 6523: the French SIRENE register (SIREN)
SIRET_SCHEME = "0009"  # ISO 6523: SIRET
PIECE = "C62"  # UN/ECE recommendation 20: "one" (the invoices' quantities have no unit)
POSTCODE_CITY = re.compile(r"^\s*(\d{5})\s+(.+?)\s*$")


@dataclass(frozen=True)
class Party:
    """The seller or the buyer as the invoice names them."""

    name: str
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    line1: str | None = None
    line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str = "FR"

    @classmethod
    def from_letterhead(cls, name: str, address: list[str], **ids: str | None) -> Party:
        """The company as its settings hold it: free address lines, one of them "30900 Nîmes"."""
        postcode = city = None
        street: list[str] = []
        for line in address:
            if (match := POSTCODE_CITY.match(line)) and postcode is None:
                postcode, city = match.groups()
            elif line.strip():
                street.append(line.strip())
        return cls(
            name=name,
            line1=street[0] if street else None,
            line2=", ".join(street[1:]) or None,
            postcode=postcode,
            city=city,
            **ids,
        )

    @classmethod
    def from_billing_address(cls, name: str, address: dict[str, Any] | None, **ids: str | None) -> Party:
        """A customer, with the billing address of their file (as ``customer_updated`` carries it)."""
        address = address or {}
        return cls(
            name=name,
            line1=address.get("line1"),
            line2=address.get("line2"),
            postcode=address.get("postcode"),
            city=address.get("city"),
            country=address.get("country") or "FR",
            **ids,
        )


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Builder:
    """Elements in the order the schema wants them, with the right namespaces."""

    def __init__(self) -> None:
        self.root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NAMESPACES)

    @staticmethod
    def add(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    def date(self, parent: etree._Element, tag: str, value: date, qualified: bool = False) -> None:
        holder = self.add(parent, tag)
        self.add(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", _day(value), format="102")

    def party(self, parent: etree._Element, tag: str, party: Party) -> None:
        node = self.add(parent, tag)
        if party.siret:
            self.add(node, "ram:GlobalID", party.siret, schemeID=SIRET_SCHEME)
        self.add(node, "ram:Name", party.name)
        if party.siren:
            organisation = self.add(node, "ram:SpecifiedLegalOrganization")
            self.add(organisation, "ram:ID", party.siren, schemeID=SIREN_SCHEME)
        address = self.add(node, "ram:PostalTradeAddress")
        for child, value in (
            ("ram:PostcodeCode", party.postcode),
            ("ram:LineOne", party.line1),
            ("ram:LineTwo", party.line2),
            ("ram:CityName", party.city),
        ):
            if value:
                self.add(address, child, value)
        self.add(address, "ram:CountryID", party.country)
        if party.vat_number:
            registration = self.add(node, "ram:SpecifiedTaxRegistration")
            self.add(registration, "ram:ID", party.vat_number, schemeID="VA")


def _vat_category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"  # standard rate, or zero-rated


def cii_xml(invoice: Any, seller: Party, buyer: Party, credited: Any | None = None) -> bytes:
    """The invoice (issued: it has a number) as Cross Industry Invoice XML, EN 16931.

    ``invoice`` has pos's invoice fields (kind, number, issued_on, due_on, lines, vat_lines,
    totals, paid_total, credited_total); ``credited``, for a credit note, the invoice it credits."""
    if invoice.number is None or invoice.issued_on is None:
        raise ValueError("only an issued invoice has a structured form")
    b = _Builder()
    context = b.add(b.root, "rsm:ExchangedDocumentContext")
    guideline = b.add(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    b.add(guideline, "ram:ID", EN16931)

    document = b.add(b.root, "rsm:ExchangedDocument")
    b.add(document, "ram:ID", invoice.number)
    b.add(document, "ram:TypeCode", TYPE_CODES[invoice.kind])
    b.date(document, "ram:IssueDateTime", invoice.issued_on)

    transaction = b.add(b.root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = b.add(transaction, "ram:IncludedSupplyChainTradeLineItem")
        b.add(b.add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        b.add(b.add(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        price = b.add(b.add(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        b.add(price, "ram:ChargeAmount", _amount(line.unit_price_excl_vat))
        delivery = b.add(item, "ram:SpecifiedLineTradeDelivery")
        b.add(delivery, "ram:BilledQuantity", f"{line.quantity.normalize():f}", unitCode=PIECE)
        settlement = b.add(item, "ram:SpecifiedLineTradeSettlement")
        tax = b.add(settlement, "ram:ApplicableTradeTax")
        b.add(tax, "ram:TypeCode", "VAT")
        b.add(tax, "ram:CategoryCode", _vat_category(line.vat_rate))
        b.add(tax, "ram:RateApplicablePercent", _amount(line.vat_rate))
        summation = b.add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        b.add(summation, "ram:LineTotalAmount", _amount(line.total_excl_vat))

    agreement = b.add(transaction, "ram:ApplicableHeaderTradeAgreement")
    b.party(agreement, "ram:SellerTradeParty", seller)
    b.party(agreement, "ram:BuyerTradeParty", buyer)
    b.add(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = b.add(transaction, "ram:ApplicableHeaderTradeSettlement")
    b.add(settlement, "ram:InvoiceCurrencyCode", "EUR")
    for vat in invoice.vat_lines:
        tax = b.add(settlement, "ram:ApplicableTradeTax")
        b.add(tax, "ram:CalculatedAmount", _amount(vat.vat))
        b.add(tax, "ram:TypeCode", "VAT")
        b.add(tax, "ram:BasisAmount", _amount(vat.base))
        b.add(tax, "ram:CategoryCode", _vat_category(vat.rate))
        b.add(tax, "ram:RateApplicablePercent", _amount(vat.rate))
    if invoice.kind != "credit_note" and invoice.due_on is not None:
        terms = b.add(settlement, "ram:SpecifiedTradePaymentTerms")
        b.date(terms, "ram:DueDateDateTime", invoice.due_on)
    totals = b.add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    b.add(totals, "ram:LineTotalAmount", _amount(sum((line.total_excl_vat for line in invoice.lines), Decimal(0))))
    b.add(totals, "ram:TaxBasisTotalAmount", _amount(invoice.total_excl_vat))
    b.add(totals, "ram:TaxTotalAmount", _amount(invoice.vat_total), currencyID="EUR")
    b.add(totals, "ram:GrandTotalAmount", _amount(invoice.total_incl_vat))
    settled = Decimal(0) if invoice.kind == "credit_note" else invoice.paid_total + invoice.credited_total
    if settled:
        b.add(totals, "ram:TotalPrepaidAmount", _amount(settled))
    b.add(totals, "ram:DuePayableAmount", _amount(invoice.total_incl_vat - settled))
    if credited is not None and credited.number is not None:
        reference = b.add(settlement, "ram:InvoiceReferencedDocument")
        b.add(reference, "ram:IssuerAssignedID", credited.number)
        if credited.issued_on is not None:
            b.date(reference, "ram:FormattedIssueDateTime", credited.issued_on, qualified=True)
    return etree.tostring(b.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def factur_x(pdf: bytes, xml: bytes, language: str = "fr-FR") -> bytes:
    """``pdf`` (made PDF/A-3 by WeasyPrint) with ``xml`` embedded as Factur-X; the XML is
    checked against the Factur-X EN 16931 schema first (``ValueError`` if it fails)."""
    from facturx import generate_from_binary  # pypdf and lxml: only where invoices are printed

    return generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, lang=language)
