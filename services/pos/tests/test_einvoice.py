"""Invoices as Factur-X (EN 16931): the Cross Industry Invoice XML written from an invoice
passes the official schema (the ``factur-x`` package's check) and says what the invoice
says; the seller's letterhead is read into a structured address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from facturx import xml_check_xsd
from lxml import etree

from pos.einvoice import NAMESPACES, Party, cii_xml


@dataclass
class Line:
    position: int
    description: str
    quantity: Decimal
    unit_price_excl_vat: Decimal
    vat_rate: Decimal
    total_excl_vat: Decimal


@dataclass
class Vat:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass
class Invoice:
    kind: str = "invoice"
    number: str | None = "FA2026-00042"
    issued_on: date | None = date(2026, 7, 14)
    due_on: date | None = date(2026, 8, 13)
    lines: list[Line] = field(default_factory=list)
    vat_lines: list[Vat] = field(default_factory=list)
    total_excl_vat: Decimal = Decimal("0.00")
    vat_total: Decimal = Decimal("0.00")
    total_incl_vat: Decimal = Decimal("0.00")
    paid_total: Decimal = Decimal("0.00")
    credited_total: Decimal = Decimal("0.00")


SELLER = Party.from_letterhead(
    "Piscines du Gard",
    ["ZA des Costières, 12 rue de l'Écluse", "30900 Nîmes"],
    siren="812345678",
    siret="81234567800021",
    vat_number="FR12812345678",
)
BUYER = Party.from_billing_address(
    "Camping Les Pins SARL",
    {"line1": "4 route de la Mer", "line2": None, "postcode": "34300", "city": "Agde", "country": "FR"},
    siren="443061841",
    vat_number="FR40443061841",
)


def two_rates() -> Invoice:
    return Invoice(
        lines=[
            Line(1, "Pompe à chaleur 12 kW", Decimal("1.000"), Decimal("2890.00"), Decimal("5.50"), Decimal("2890.00")),
            Line(2, "Chlore lent galets 5 kg", Decimal("2.000"), Decimal("33.25"), Decimal("20.00"), Decimal("66.50")),
        ],
        vat_lines=[
            Vat(Decimal("5.50"), Decimal("2890.00"), Decimal("158.95")),
            Vat(Decimal("20.00"), Decimal("66.50"), Decimal("13.30")),
        ],
        total_excl_vat=Decimal("2956.50"),
        vat_total=Decimal("172.25"),
        total_incl_vat=Decimal("3128.75"),
        paid_total=Decimal("1000.00"),
    )


def read(xml: bytes, path: str) -> list[str]:
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=NAMESPACES)]


def test_an_invoice_with_two_vat_rates_passes_the_en16931_schema_and_says_what_it_says() -> None:
    xml = cii_xml(two_rates(), SELLER, BUYER)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert read(xml, "//rsm:ExchangedDocument/ram:ID") == ["FA2026-00042"]
    assert read(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert read(xml, "//ram:IssueDateTime/udt:DateTimeString") == ["20260714"]
    assert read(xml, "//ram:DueDateDateTime/udt:DateTimeString") == ["20260813"]
    seller, buyer = "//ram:SellerTradeParty", "//ram:BuyerTradeParty"
    assert read(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID") == ["812345678"]
    assert read(xml, f"{seller}/ram:GlobalID") == ["81234567800021"]
    assert read(xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID") == ["FR12812345678"]
    assert read(xml, f"{seller}/ram:PostalTradeAddress/ram:PostcodeCode") == ["30900"]
    assert read(xml, f"{seller}/ram:PostalTradeAddress/ram:CityName") == ["Nîmes"]
    assert read(xml, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID") == ["443061841"]
    assert read(xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == ["FR40443061841"]
    assert read(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent") == [
        "5.50",
        "20.00",
    ]
    assert read(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount") == [
        "158.95",
        "13.30",
    ]
    totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert read(xml, f"{totals}/ram:LineTotalAmount") == ["2956.50"]
    assert read(xml, f"{totals}/ram:TaxTotalAmount") == ["172.25"]
    assert read(xml, f"{totals}/ram:GrandTotalAmount") == ["3128.75"]
    assert read(xml, f"{totals}/ram:TotalPrepaidAmount") == ["1000.00"]
    assert read(xml, f"{totals}/ram:DuePayableAmount") == ["2128.75"]
    assert read(xml, "//ram:BilledQuantity") == ["1", "2"]


def test_a_credit_note_and_a_deposit_invoice_have_their_types_and_the_credit_names_its_invoice() -> None:
    credited = two_rates()
    note = Invoice(
        kind="credit_note",
        number="AV2026-00003",
        due_on=None,
        lines=[
            Line(
                1, "Solde de la facture FA2026-00042", Decimal(1), Decimal("66.50"), Decimal("20.00"), Decimal("66.50")
            )
        ],
        vat_lines=[Vat(Decimal("20.00"), Decimal("66.50"), Decimal("13.30"))],
        total_excl_vat=Decimal("66.50"),
        vat_total=Decimal("13.30"),
        total_incl_vat=Decimal("79.80"),
    )
    xml = cii_xml(note, SELLER, BUYER, credited=credited)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert read(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert read(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["FA2026-00042"]
    assert read(xml, "//ram:DuePayableAmount") == ["79.80"]
    assert read(xml, "//ram:DueDateDateTime/udt:DateTimeString") == []

    deposit = two_rates()
    deposit.kind, deposit.paid_total = "deposit", Decimal("0.00")
    xml = cii_xml(deposit, SELLER, Party("M. Martin"))  # a private buyer: no SIREN, no VAT number
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert read(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["386"]
    assert read(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == []
    assert read(xml, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["FR"]


def test_a_draft_has_no_structured_form() -> None:
    with pytest.raises(ValueError):
        cii_xml(Invoice(number=None), SELLER, BUYER)


def test_the_letterhead_is_read_into_street_postcode_and_city() -> None:
    party = Party.from_letterhead("Piscines du Gard", ["ZA des Costières", "12 rue de l'Écluse", "30900 Nîmes"])
    assert (party.line1, party.line2, party.postcode, party.city) == (
        "ZA des Costières",
        "12 rue de l'Écluse",
        "30900",
        "Nîmes",
    )
    assert Party.from_letterhead("X", []).postcode is None
