"""Wire formats of the pos RPC API."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import Money, Percentage, StrictSchema, TwoPlaces
from pos.domain import PAYMENT_METHODS

# The fields' examples (metadata, for the API document) are one pool shop's data, with the
# ids of the events' examples.
SALE = "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6"
SHOP = "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11"
ARTICLE = "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22"
COMPLETED_AT = "2026-07-14T10:32:05.120000+00:00"
CUSTOMER = "2f4e6a8c-0b1d-4e3f-9a5b-7c9d1e3f5a77"
SESSION = "8a1c3e5f-7b9d-4f1a-8c3e-5a7b9c1d3e99"


class SaleLineInput(StrictSchema):
    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=100_000), metadata={"example": 2}
    )
    # A cashier may sell at another price than the catalogue's (a discount, say).
    unit_price = Money(
        load_default=None,
        metadata={"example": "37.90", "description": "VAT included; the catalogue's price when left out."},
    )
    discount_percent = Percentage(
        load_default=None,
        metadata={
            "example": None,
            "description": "The line's discount (`5.00`). Beyond the till's limit (10 % below the catalogue's price, "
            "with the unit price) it needs the `refund_sales` right.",
        },
    )
    serial_number = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"example": None, "description": "Of equipment sold (a pump, a heat pump…): `PMP-2026-004512`."},
    )
    register_on_pool_id = fields.UUID(
        load_default=None,
        metadata={"example": None, "description": "The customer's pool to register the equipment on."},
    )


class PaymentInput(StrictSchema):
    method = fields.String(
        required=True,
        validate=validate.OneOf(PAYMENT_METHODS),
        metadata={
            "example": "card",
            "description": "`account` (the customer's account) needs a customer and the `sell_on_account` right.",
        },
    )
    amount = Money(
        required=True,
        positive=True,
        metadata={"example": "75.80", "description": "As tendered: cash beyond the total is given back as change."},
    )
    reference = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"example": None, "description": "A cheque's number (`CHQ 0001234`), a voucher's code…"},
    )


class CartDiscounts(StrictSchema):
    discount_percent = Percentage(
        load_default=None, metadata={"example": None, "description": "A discount on the whole cart (`5.00`)."}
    )
    discount_amount = Money(
        load_default=None,
        metadata={"example": None, "description": "A discount on the whole cart in euros (`10.00`), or a percentage."},
    )


class SaleInput(CartDiscounts):
    """A sale at a till: its lines and discounts, and payments paying it in full."""

    location_id = fields.UUID(
        load_default=None, metadata={"example": SHOP, "description": "The shop; may be left out when there is one."}
    )
    customer_id = fields.UUID(
        load_default=None,
        metadata={"example": None, "description": "The customer file's id; left out for an anonymous sale."},
    )
    lines = fields.List(fields.Nested(SaleLineInput), required=True, validate=validate.Length(min=1, max=500))
    payments = fields.List(fields.Nested(PaymentInput), required=True, validate=validate.Length(max=20))


class CartInput(CartDiscounts):
    """A cart being filled at the till, and the payments taken so far."""

    lines = fields.List(fields.Nested(SaleLineInput), required=True, validate=validate.Length(min=1, max=500))
    payments = fields.List(fields.Nested(PaymentInput), load_default=list, validate=validate.Length(max=20))


class SaleLineOutput(Schema):
    article_id = fields.UUID(metadata={"example": ARTICLE})
    description = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    quantity = fields.Integer(metadata={"example": 2})
    unit_price = Money(metadata={"example": "37.90"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    catalogue_price = Money(allow_none=True, metadata={"example": "39.90"})
    discount_percent = Percentage(metadata={"example": "5.00"})
    discount = Money(metadata={"example": "4.00", "description": "The line's discount and its share of the cart's."})
    total = Money(metadata={"example": "71.80", "description": "VAT included, after every discount."})
    category = fields.String(allow_none=True, metadata={"example": "Traitement de l'eau"})
    serial_number = fields.String(allow_none=True, metadata={"example": None})
    register_on_pool_id = fields.UUID(allow_none=True, metadata={"example": None})


class PaymentOutput(Schema):
    method = fields.String(metadata={"example": "card"})
    amount = Money(metadata={"example": "71.80"})
    reference = fields.String(allow_none=True, metadata={"example": None})


class VatLineOutput(Schema):
    """One VAT rate of a ticket."""

    rate = Percentage(metadata={"example": "20.00"})
    base = Money(metadata={"example": "59.83", "description": "Without VAT."})
    vat = Money(metadata={"example": "11.97"})
    total = Money(metadata={"example": "71.80", "description": "VAT included."})


class SaleSummary(Schema):
    """A recorded sale, without its lines and payments."""

    id = fields.UUID(metadata={"example": SALE})
    number = fields.Integer(
        allow_none=True, metadata={"example": 1842, "description": "The ticket's number at its shop."}
    )
    location_id = fields.UUID(metadata={"example": SHOP})
    cash_session_id = fields.UUID(allow_none=True, metadata={"example": SESSION})
    customer_id = fields.UUID(allow_none=True, metadata={"example": CUSTOMER})
    total = Money(metadata={"example": "71.80", "description": "VAT included."})
    vat_total = Money(metadata={"example": "11.97"})
    discount_total = Money(metadata={"example": "4.00"})
    change_given = Money(metadata={"example": "0.00"})
    cashier_id = fields.String(allow_none=True, metadata={"example": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"})
    completed_at = fields.DateTime(metadata={"example": COMPLETED_AT})


class SaleOutput(SaleSummary):
    """A recorded sale (a ticket), with its lines, VAT per rate and payments."""

    cart_discount = Money(metadata={"example": "0.00"})
    lines = fields.List(fields.Nested(SaleLineOutput))
    vat_lines = fields.List(fields.Nested(VatLineOutput))
    payments = fields.List(fields.Nested(PaymentOutput))
    hash = fields.String(
        allow_none=True,
        metadata={"example": "9f2c…", "description": "SHA-256 chaining the ticket to the shop's previous one."},
    )


class CartOutput(Schema):
    """A cart priced: what the till shows, and whether the payments so far settle it."""

    lines = fields.List(fields.Nested(SaleLineOutput))
    subtotal = Money(metadata={"example": "75.80", "description": "After the lines' discounts, before the cart's."})
    cart_discount = Money(metadata={"example": "0.00"})
    discount_total = Money(metadata={"example": "4.00"})
    total = Money(metadata={"example": "71.80"})
    vat_total = Money(metadata={"example": "11.97"})
    vat_lines = fields.List(fields.Nested(VatLineOutput))
    tendered = Money(metadata={"example": "80.00"})
    due = Money(metadata={"example": "0.00"})
    change = Money(metadata={"example": "8.20", "description": "Cash to give back."})
    paid_in_full = fields.Boolean(metadata={"example": True})


def _instant(description: str, example: str) -> fields.AwareDateTime:
    """An optional instant of a query (ISO-8601, UTC when it has no offset)."""
    return fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"example": example, "description": f"{description} (ISO-8601; UTC when no offset is given)."},
    )


class SaleQuery(PageQuery):
    """A company's sales, newest first, optionally those completed in ``[since, until)``."""

    since = _instant("Sales completed at or after this instant", "2026-07-01T00:00:00+02:00")
    until = _instant("Sales completed before this instant", "2026-08-01T00:00:00+02:00")

    @validates_schema
    def a_range_goes_forward(self, data: dict, **_: object) -> None:
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise ValidationError("must be after since", "until")


class CatalogueQuery(PageQuery):
    """What the till sells, by name; ``q`` finds an article by its name or its reference
    (a scanned barcode is the reference)."""

    q = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"example": "chlore", "description": "Part of the name, or the reference (SKU) as scanned."},
    )
    category = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Traitement de l'eau", "description": "One category's articles (the product tree)."},
    )


class CategoryOutput(Schema):
    """A category of the till's catalogue and how many articles it holds."""

    category = fields.String(metadata={"example": "Traitement de l'eau"})
    articles = fields.Integer(metadata={"example": 212})


class CatalogueEntryOutput(Schema):
    """What the till knows of an article."""

    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    sale_price = Money(metadata={"example": "39.90"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    category = fields.String(allow_none=True, metadata={"example": "Traitement de l'eau"})


# --- cash sessions ---------------------------------------------------------------------------

COUNTED_METHODS = tuple(method for method in PAYMENT_METHODS if method not in ("account", "voucher"))


class CashSessionInput(StrictSchema):
    """Opening a till for the day."""

    location_id = fields.UUID(
        load_default=None, metadata={"example": SHOP, "description": "The shop; may be left out when there is one."}
    )
    opening_float = Money(required=True, metadata={"example": "150.00", "description": "The cash in the drawer."})


class CountedAmount(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(COUNTED_METHODS), metadata={"example": "cash"})
    amount = Money(required=True, metadata={"example": "412.30"})


class CashSessionClosing(StrictSchema):
    """What was counted at closing, per payment method (card slips, cheques, cash with the float)."""

    counted = fields.List(
        fields.Nested(CountedAmount), required=True, validate=validate.Length(max=len(COUNTED_METHODS))
    )


class MethodAmount(Schema):
    method = fields.String(metadata={"example": "cash"})
    amount = Money(metadata={"example": "262.30"})


class SignedMethodAmount(Schema):
    method = fields.String(metadata={"example": "cash"})
    amount = TwoPlaces(metadata={"example": "-1.20"})


class VatRateTotal(Schema):
    rate = Percentage(metadata={"example": "20.00"})
    base = TwoPlaces(metadata={"example": "218.58"})
    vat = TwoPlaces(metadata={"example": "43.72"})
    total = TwoPlaces(metadata={"example": "262.30"})


class CategoryTotal(Schema):
    category = fields.String(metadata={"example": "Traitement de l'eau"})
    total = TwoPlaces(metadata={"example": "262.30"})


class CashierTotal(Schema):
    cashier_id = fields.String(metadata={"example": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"})
    total = TwoPlaces(metadata={"example": "262.30"})


class ZReportOutput(Schema):
    """A session's totals (refunds counted negative), equal to the sum of its tickets."""

    sales_count = fields.Integer(metadata={"example": 12})
    refunds_count = fields.Integer(metadata={"example": 1})
    sales_total = Money(metadata={"example": "302.20"})
    refunds_total = Money(metadata={"example": "39.90"})
    net_total = TwoPlaces(metadata={"example": "262.30"})
    vat_total = TwoPlaces(metadata={"example": "43.72"})
    by_method = fields.List(fields.Nested(SignedMethodAmount))
    by_vat_rate = fields.List(fields.Nested(VatRateTotal))
    by_category = fields.List(fields.Nested(CategoryTotal))
    by_cashier = fields.List(fields.Nested(CashierTotal))


class CashSessionSummary(Schema):
    id = fields.UUID(metadata={"example": SESSION})
    number = fields.Integer(metadata={"example": 187})
    location_id = fields.UUID(metadata={"example": SHOP})
    opening_float = Money(metadata={"example": "150.00"})
    opened_by = fields.String(allow_none=True, metadata={"example": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"})
    opened_at = fields.DateTime(metadata={"example": "2026-07-14T08:55:00+00:00"})
    closed_by = fields.String(allow_none=True, metadata={"example": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"})
    closed_at = fields.DateTime(allow_none=True, metadata={"example": "2026-07-14T19:05:00+00:00"})


class CashSessionOutput(CashSessionSummary):
    """A cash session, its Z report (so far while open) and, once closed, its variances."""

    status = fields.String(metadata={"example": "closed", "description": "`open` or `closed`."})
    z_report = fields.Nested(ZReportOutput)
    expected = fields.List(fields.Nested(MethodAmount), metadata={"description": "Cash includes the float."})
    counted = fields.List(fields.Nested(MethodAmount))
    variances = fields.List(fields.Nested(SignedMethodAmount), metadata={"description": "Counted minus expected."})
    variance_total = TwoPlaces(metadata={"example": "-1.20"})


# --- refunds ---------------------------------------------------------------------------------


class RefundLineInput(StrictSchema):
    position = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=500), metadata={"example": 1}
    )
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=100_000), metadata={"example": 1}
    )


class RefundPaymentInput(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS), metadata={"example": "card"})
    amount = Money(required=True, positive=True, metadata={"example": "39.90"})


class RefundInput(StrictSchema):
    """Goods of a ticket brought back: which lines (by position) and how many, and how the
    money goes back (adding up to the refund: each line's share of what was paid)."""

    lines = fields.List(fields.Nested(RefundLineInput), required=True, validate=validate.Length(min=1, max=500))
    payments = fields.List(fields.Nested(RefundPaymentInput), required=True, validate=validate.Length(min=1, max=20))
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata={"example": "Produit non ouvert, échangé"}
    )


class RefundLineOutput(Schema):
    position = fields.Integer(metadata={"example": 1})
    sale_line_position = fields.Integer(metadata={"example": 1})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    description = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    quantity = fields.Integer(metadata={"example": 1})
    vat_rate = Percentage(metadata={"example": "20.00"})
    total = Money(metadata={"example": "39.90"})


class RefundPaymentOutput(Schema):
    method = fields.String(metadata={"example": "voucher"})
    amount = Money(metadata={"example": "39.90"})
    reference = fields.String(
        allow_none=True,
        metadata={"example": "BA-3F9A01C2", "description": "A voucher's code, to spend at the till."},
    )


class RefundOutput(Schema):
    """A refund: a ticket of the journal reversing goods of a sale."""

    id = fields.UUID(metadata={"example": "3b5d7f91-a2c4-4e6a-8b0d-2f4a6c8e0b13"})
    number = fields.Integer(metadata={"example": 1850})
    sale_id = fields.UUID(metadata={"example": SALE})
    location_id = fields.UUID(metadata={"example": SHOP})
    cash_session_id = fields.UUID(metadata={"example": SESSION})
    customer_id = fields.UUID(allow_none=True, metadata={"example": None})
    total = Money(metadata={"example": "39.90"})
    vat_total = Money(metadata={"example": "6.65"})
    reason = fields.String(metadata={"example": "Produit non ouvert, échangé"})
    cashier_id = fields.String(allow_none=True, metadata={"example": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"})
    refunded_at = fields.DateTime(metadata={"example": "2026-07-15T09:12:44.500000+00:00"})
    lines = fields.List(fields.Nested(RefundLineOutput))
    vat_lines = fields.List(fields.Nested(VatLineOutput))
    payments = fields.List(fields.Nested(RefundPaymentOutput))
    hash = fields.String(metadata={"example": "4be1…"})


# --- the journal's verification --------------------------------------------------------------


class JournalQuery(StrictSchema):
    location_id = fields.UUID(load_default=None, metadata={"example": SHOP, "description": "One shop; all by default."})


class JournalProblem(Schema):
    number = fields.Integer(metadata={"example": 1843})
    problem = fields.String(metadata={"example": "ticket 1843 was altered after it was recorded"})


class ShopJournal(Schema):
    location_id = fields.UUID(metadata={"example": SHOP})
    tickets = fields.Integer(metadata={"example": 1850})
    last_number = fields.Integer(metadata={"example": 1850})
    intact = fields.Boolean(metadata={"example": True})
    problems = fields.List(fields.Nested(JournalProblem))


class JournalVerification(Schema):
    """Whether every ticket is as recorded: hashes, links and numbers checked."""

    intact = fields.Boolean(metadata={"example": True})
    shops = fields.List(fields.Nested(ShopJournal))


# --- billing ---------------------------------------------------------------------------------

INVOICE = "9c2e4a6b-8d0f-4b2d-9e4f-6a8c0e2b4d88"
INVOICE_KINDS = ("invoice", "deposit", "credit_note")
INVOICE_STATUSES = ("draft", "checked", "issued", "sent", "partially_paid", "paid")
INVOICE_PAYMENT_METHODS = ("cash", "card", "cheque", "transfer", "direct_debit", "till")


class BillingSettingsInput(StrictSchema):
    """The company as its invoices and tickets show it, its terms, the till's discount limit."""

    company_name = fields.String(
        required=True, validate=validate.Length(max=200), metadata={"example": "Piscines du Gard"}
    )
    address = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(max=4),
        metadata={"example": ["ZA des Costières, 12 rue de l'Écluse", "30900 Nîmes"]},
    )
    siren = fields.String(
        required=True, validate=validate.Regexp(r"^(\d{9})?$", error="9 digits"), metadata={"example": "812345678"}
    )
    siret = fields.String(
        required=True,
        validate=validate.Regexp(r"^(\d{14})?$", error="14 digits"),
        metadata={"example": "81234567800021"},
    )
    vat_number = fields.String(
        required=True,
        validate=validate.Regexp(r"^([A-Z]{2}[0-9A-Z]{2,13})?$", error="a VAT number such as FR12812345678"),
        metadata={"example": "FR12812345678"},
    )
    legal_form = fields.String(
        required=True, validate=validate.Length(max=200), metadata={"example": "SARL au capital de 20 000 €"}
    )
    email = fields.String(
        required=True, validate=validate.Length(max=320), metadata={"example": "contact@piscines-du-gard.fr"}
    )
    phone = fields.String(required=True, validate=validate.Length(max=40), metadata={"example": "04 66 00 00 00"})
    payment_terms_days = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=60), metadata={"example": 30}
    )
    late_payment_terms = fields.String(
        required=True,
        validate=validate.Length(max=500),
        metadata={"example": "Pénalités de retard : 3 fois le taux d'intérêt légal ; indemnité forfaitaire de 40 €."},
    )
    discount_limit = Percentage(
        required=True, metadata={"example": "10.00", "description": "How far below the catalogue a cashier may sell."}
    )
    labour_rate = Money(required=True, metadata={"example": "55.00", "description": "Per hour, without VAT."})
    travel_rate = Money(required=True, metadata={"example": "0.60", "description": "Per km, without VAT."})
    service_vat_rate = Percentage(
        required=True, metadata={"example": "20.00", "description": "The VAT rate of labour and travel."}
    )


class BillingSettingsOutput(Schema):
    company_name = fields.String(metadata={"example": "Piscines du Gard"})
    address = fields.List(
        fields.String(), metadata={"example": ["ZA des Costières, 12 rue de l'Écluse", "30900 Nîmes"]}
    )
    siren = fields.String(metadata={"example": "812345678"})
    siret = fields.String(metadata={"example": "81234567800021"})
    vat_number = fields.String(metadata={"example": "FR12812345678"})
    legal_form = fields.String(metadata={"example": "SARL au capital de 20 000 €"})
    email = fields.String(metadata={"example": "contact@piscines-du-gard.fr"})
    phone = fields.String(metadata={"example": "04 66 00 00 00"})
    payment_terms_days = fields.Integer(metadata={"example": 30})
    late_payment_terms = fields.String(metadata={"example": "Pénalités de retard : 3 fois le taux d'intérêt légal."})
    discount_limit = Percentage(metadata={"example": "10.00"})
    labour_rate = Money(metadata={"example": "55.00"})
    travel_rate = Money(metadata={"example": "0.60"})
    service_vat_rate = Percentage(metadata={"example": "20.00"})
    version = fields.Integer(metadata={"example": 2})


class InvoiceLineInput(StrictSchema):
    article_id = fields.UUID(load_default=None, metadata={"example": None, "description": "Left out for free text."})
    description = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata={"example": "Mise en service de la piscine"}
    )
    quantity = TwoPlaces(
        required=True,
        validate=validate.Range(min=Decimal("0.01"), max=Decimal("100000")),
        metadata={"example": "1.00", "description": "Hours, metres, units… (two places at most)."},
    )
    unit_price_excl_vat = Money(required=True, metadata={"example": "1495.00"})
    vat_rate = Percentage(required=True, metadata={"example": "20.00"})


class InvoiceInput(StrictSchema):
    """An invoice typed by the office (a draft); with a project, its final invoice, the
    project's issued deposits deducted."""

    customer_id = fields.UUID(required=True, metadata={"example": CUSTOMER})
    lines = fields.List(fields.Nested(InvoiceLineInput), required=True, validate=validate.Length(min=1, max=200))
    project_id = fields.UUID(load_default=None, metadata={"example": None})
    notes = fields.String(load_default="", validate=validate.Length(max=1000), metadata={"example": ""})


class SaleInvoiceInput(StrictSchema):
    customer_id = fields.UUID(
        load_default=None,
        metadata={"example": None, "description": "For an anonymous sale: whose invoice it is."},
    )


class CreditNoteInput(StrictSchema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata={"example": "Geste commercial"}
    )


class InvoicePaymentInput(StrictSchema):
    amount = Money(required=True, positive=True, metadata={"example": "500.00"})
    method = fields.String(
        required=True, validate=validate.OneOf(INVOICE_PAYMENT_METHODS[:-1]), metadata={"example": "transfer"}
    )
    reference = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={"example": None})
    received_on = fields.Date(load_default=None, metadata={"example": "2026-07-20", "description": "Today by default."})


class SendInput(StrictSchema):
    to = fields.Email(
        load_default=None, metadata={"example": None, "description": "The customer's e-mail address by default."}
    )


class InvoiceLineOutput(Schema):
    position = fields.Integer(metadata={"example": 1})
    article_id = fields.UUID(allow_none=True, metadata={"example": None})
    description = fields.String(metadata={"example": "Mise en service de la piscine"})
    quantity = TwoPlaces(metadata={"example": "1.00"})
    unit_price_excl_vat = TwoPlaces(metadata={"example": "1495.00"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    total_excl_vat = TwoPlaces(metadata={"example": "1495.00"})


class InvoiceVatOutput(Schema):
    rate = Percentage(metadata={"example": "20.00"})
    base = TwoPlaces(metadata={"example": "1495.00"})
    vat = TwoPlaces(metadata={"example": "299.00"})


class InvoicePaymentOutput(Schema):
    id = fields.UUID(metadata={"example": "1a3c5e7f-9b1d-4f3a-8c5e-7a9b1c3d5e11"})
    amount = Money(metadata={"example": "500.00"})
    method = fields.String(metadata={"example": "transfer"})
    reference = fields.String(allow_none=True, metadata={"example": None})
    received_on = fields.Date(metadata={"example": "2026-07-20"})


class InvoiceSummary(Schema):
    id = fields.UUID(metadata={"example": INVOICE})
    kind = fields.String(metadata={"example": "invoice", "description": "`invoice`, `deposit` or `credit_note`."})
    status = fields.String(metadata={"example": "sent"})
    number = fields.String(allow_none=True, metadata={"example": "FA2026-00042"})
    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    customer_name = fields.String(metadata={"example": "Mme Hélène Durand"})
    source = fields.String(metadata={"example": "manual"})
    project_id = fields.UUID(allow_none=True, metadata={"example": None})
    percent = Percentage(allow_none=True, metadata={"example": None})
    total_excl_vat = TwoPlaces(metadata={"example": "1495.00"})
    vat_total = TwoPlaces(metadata={"example": "299.00"})
    total_incl_vat = TwoPlaces(metadata={"example": "1794.00"})
    balance = TwoPlaces(metadata={"example": "1294.00"})
    issued_on = fields.Date(allow_none=True, metadata={"example": "2026-07-14"})
    due_on = fields.Date(allow_none=True, metadata={"example": "2026-08-13"})


class InvoiceOutput(InvoiceSummary):
    """An invoice, deposit invoice or credit note, with its lines, VAT and payments."""

    customer_email = fields.String(allow_none=True, metadata={"example": "helene.durand@example.fr"})
    sale_id = fields.UUID(allow_none=True, metadata={"example": None})
    order_id = fields.UUID(allow_none=True, metadata={"example": None})
    credited_invoice_id = fields.UUID(allow_none=True, metadata={"example": None})
    paid_total = Money(metadata={"example": "500.00"})
    credited_total = Money(metadata={"example": "0.00"})
    notes = fields.String(metadata={"example": ""})
    sent_at = fields.DateTime(allow_none=True, metadata={"example": "2026-07-14T16:25:00+00:00"})
    sent_to = fields.String(allow_none=True, metadata={"example": "helene.durand@example.fr"})
    lines = fields.List(fields.Nested(InvoiceLineOutput))
    vat_lines = fields.List(fields.Nested(InvoiceVatOutput))
    payments = fields.List(fields.Nested(InvoicePaymentOutput))
    version = fields.Integer(metadata={"example": 4})


class InvoiceQuery(PageQuery):
    customer_id = fields.UUID(load_default=None, metadata={"example": CUSTOMER})
    project_id = fields.UUID(load_default=None, metadata={"example": None})
    status = fields.String(load_default=None, validate=validate.OneOf(INVOICE_STATUSES), metadata={"example": "sent"})
    kind = fields.String(load_default=None, validate=validate.OneOf(INVOICE_KINDS), metadata={"example": "invoice"})


class OpenInvoice(Schema):
    id = fields.UUID(metadata={"example": INVOICE})
    number = fields.String(metadata={"example": "FA2026-00042"})
    kind = fields.String(metadata={"example": "invoice"})
    total_incl_vat = Money(metadata={"example": "1794.00"})
    balance = Money(metadata={"example": "1294.00"})
    due_on = fields.Date(metadata={"example": "2026-08-13"})
    overdue = fields.Boolean(metadata={"example": False})


class CustomerBalance(Schema):
    """What a customer owes: invoiced, less credit notes and payments."""

    customer_id = fields.UUID(metadata={"example": CUSTOMER})
    invoiced = Money(metadata={"example": "1794.00"})
    credited = Money(metadata={"example": "0.00"})
    paid = Money(metadata={"example": "500.00"})
    balance = TwoPlaces(metadata={"example": "1294.00"})
    overdue = Money(metadata={"example": "0.00"})
    open_invoices = fields.List(fields.Nested(OpenInvoice))


class DocumentOutput(Schema):
    """A PDF, base64-encoded (the gateway answers it as application/pdf)."""

    filename = fields.String(metadata={"example": "FA2026-00042.pdf"})
    content = fields.String(metadata={"example": "JVBERi0xLjcK…"})


class Period(StrictSchema):
    """Days in France, both included: a month, a year at most."""

    start = fields.Date(required=True, metadata={"example": "2026-07-01"})
    end = fields.Date(required=True, metadata={"example": "2026-07-31"})

    @validates_schema
    def a_period_of_a_year_at_most(self, data: dict, **_: object) -> None:
        if data["end"] < data["start"]:
            raise ValidationError("must not be before start", "end")
        if (data["end"] - data["start"]).days > 371:
            raise ValidationError("a year at most", "end")


class FecQuery(Period):
    """The days (in France) the export covers, both included: a month, a year."""


class FecOutput(Schema):
    """The FEC file: its legal name and its text (18 tab-separated columns, CRLF lines)."""

    filename = fields.String(metadata={"example": "812345678FEC20260731.txt"})
    content = fields.String(metadata={"example": "JournalCode\tJournalLib\t…"})
    entries = fields.Integer(metadata={"example": 412})


class StatisticsQuery(Period):
    group_by = fields.String(
        load_default="day",
        validate=validate.OneOf(("day", "week", "category", "cashier")),
        metadata={"example": "day"},
    )


class StatisticsRow(Schema):
    key = fields.String(metadata={"example": "2026-07-14", "description": "The day, ISO week, category or cashier."})
    tickets = fields.Integer(metadata={"example": 87})
    revenue_incl_vat = TwoPlaces(metadata={"example": "4211.30"})
    revenue_excl_vat = TwoPlaces(metadata={"example": "3509.42"})
    average_basket = TwoPlaces(metadata={"example": "48.41"})
    margin = TwoPlaces(
        allow_none=True,
        metadata={"example": "1402.10", "description": "Null when a purchase price is unknown."},
    )


class StatisticsOutput(Schema):
    """Sales (refunds deducted) by day, week, category or cashier; the same as CSV."""

    group_by = fields.String(metadata={"example": "day"})
    rows = fields.List(fields.Nested(StatisticsRow))
    csv = fields.String(metadata={"example": "key;tickets;revenue_incl_vat;…"})


class OverdueScanInput(StrictSchema):
    as_of = fields.Date(load_default=None, allow_none=True, metadata={"example": "2026-11-29"})


class OverdueScanOutput(Schema):
    """How many invoices the scan announced overdue (each once)."""

    invoices_overdue = fields.Integer(metadata={"example": 3})
