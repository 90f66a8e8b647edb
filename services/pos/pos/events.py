"""The events pos publishes, and its views of the events it consumes."""

from __future__ import annotations

from marshmallow import Schema, fields

from bassin_common.events import EventSpec, EventView
from bassin_common.schemas import Money, Percentage

# --- published --------------------------------------------------------------------------


class SaleCompletedLine(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    unit_price = Money(required=True)
    vat_rate = Percentage(required=True)
    discount = Money(required=True)
    total = Money(required=True)
    serial_number = fields.String(required=True, allow_none=True)
    register_on_pool_id = fields.UUID(required=True, allow_none=True)


class SaleCompletedPayment(Schema):
    method = fields.String(required=True)
    amount = Money(required=True)


class SaleCompleted(Schema):
    sale_id = fields.UUID(required=True, attribute="id")  # dumped from the stored sale itself
    number = fields.Integer(required=True)
    location_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True, allow_none=True)
    cashier_id = fields.String(required=True, allow_none=True)
    total = Money(required=True)
    vat_total = Money(required=True)
    change_given = Money(required=True)
    lines = fields.List(fields.Nested(SaleCompletedLine), required=True)
    payments = fields.List(fields.Nested(SaleCompletedPayment), required=True)
    completed_at = fields.DateTime(required=True)


class SaleRefundedLine(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True)
    total = Money(required=True)


class SaleRefunded(Schema):
    refund_id = fields.UUID(required=True, attribute="id")
    number = fields.Integer(required=True)
    sale_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True, allow_none=True)
    lines = fields.List(fields.Nested(SaleRefundedLine), required=True)
    total = Money(required=True)
    refunded_at = fields.DateTime(required=True)


SALE_COMPLETED = EventSpec(
    "sale_completed",
    SaleCompleted,
    "A sale was paid at a till: its lines (VAT-inclusive prices) and payments; inventory takes the goods out.",
    example={
        "sale_id": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6",
        "location_id": "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11",
        "number": 1842,
        "customer_id": "2f4e6a8c-0b1d-4e3f-9a5b-7c9d1e3f5a77",
        "cashier_id": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
        "total": "649.60",
        "vat_total": "108.27",
        "change_given": "0.40",
        "lines": [
            {
                "article_id": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22",
                "quantity": 3,
                "unit_price": "39.90",
                "vat_rate": "20.00",
                "discount": "0.00",
                "total": "119.70",
                "serial_number": None,
                "register_on_pool_id": None,
            },
            {
                "article_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                "quantity": 1,
                "unit_price": "549.00",
                "vat_rate": "20.00",
                "discount": "19.10",
                "total": "529.90",
                "serial_number": "PMP-2026-004512",
                "register_on_pool_id": "6c8e0a2b-4d6f-4a8c-9e1b-3d5f7a9c1e55",
            },
        ],
        "payments": [{"method": "cash", "amount": "50.00"}, {"method": "card", "amount": "600.00"}],
        "completed_at": "2026-07-14T10:32:05.120000+00:00",
    },
)

SALE_REFUNDED = EventSpec(
    "sale_refunded",
    SaleRefunded,
    "Goods of a ticket were brought back and refunded (or exchanged): inventory puts them back in stock.",
    example={
        "refund_id": "3b5d7f91-a2c4-4e6a-8b0d-2f4a6c8e0b13",
        "number": 1850,
        "sale_id": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6",
        "location_id": "5b0e3f7c-1d5a-4a8e-9c57-2f0d6c9a1b11",
        "customer_id": None,
        "lines": [{"article_id": "0c9b7a41-5e2f-4d3a-8f61-7a2b9c4d5e22", "quantity": 1, "total": "39.90"}],
        "total": "39.90",
        "refunded_at": "2026-07-15T09:12:44.500000+00:00",
    },
)


class InvoiceIssued(Schema):
    invoice_id = fields.UUID(required=True, attribute="id")
    number = fields.String(required=True)
    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    total_incl_vat = Money(required=True)
    due_on = fields.Date(required=True)
    issued_at = fields.DateTime(required=True)


INVOICE = "9c2e4a6b-8d0f-4b2d-9e4f-6a8c0e2b4d88"
CUSTOMER = "2f4e6a8c-0b1d-4e3f-9a5b-7c9d1e3f5a77"

INVOICE_ISSUED = EventSpec(
    "invoice_issued",
    InvoiceIssued,
    "An invoice, deposit invoice or credit note was issued: numbered, dated, due.",
    example={
        "invoice_id": INVOICE,
        "number": "FA2026-00042",
        "customer_id": CUSTOMER,
        "kind": "invoice",
        "total_incl_vat": "1794.00",
        "due_on": "2026-08-13",
        "issued_at": "2026-07-14T16:20:00+00:00",
    },
)


class InvoiceOverdue(Schema):
    invoice_id = fields.UUID(required=True, attribute="id")
    number = fields.String(required=True)
    customer_id = fields.UUID(required=True)
    due_on = fields.Date(required=True)
    balance = Money(required=True)


INVOICE_OVERDUE = EventSpec(
    "invoice_overdue",
    InvoiceOverdue,
    "An issued invoice is past its due date with a balance left (announced once, by the daily "
    "scan the scheduler calls): the office follows it up (relance).",
    example={
        "invoice_id": INVOICE,
        "number": "FA2026-00042",
        "customer_id": CUSTOMER,
        "due_on": "2026-08-13",
        "balance": "1294.00",
    },
)


class PaymentReceived(Schema):
    payment_id = fields.UUID(required=True, attribute="id")
    invoice_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    amount = Money(required=True)
    method = fields.String(required=True)
    received_on = fields.Date(required=True)


PAYMENT_RECEIVED = EventSpec(
    "payment_received",
    PaymentReceived,
    "A customer's payment was recorded against an invoice.",
    example={
        "payment_id": "1a3c5e7f-9b1d-4f3a-8c5e-7a9b1c3d5e11",
        "invoice_id": INVOICE,
        "customer_id": CUSTOMER,
        "amount": "500.00",
        "method": "transfer",
        "received_on": "2026-07-20",
    },
)


class PaymentRequestIssued(Schema):
    invoice_id = fields.UUID(required=True, attribute="id")
    project_id = fields.UUID(required=True)
    order_id = fields.UUID(required=True, allow_none=True)
    customer_id = fields.UUID(required=True)
    percent = Percentage(required=True)
    total_incl_vat = Money(required=True)


PAYMENT_REQUEST_ISSUED = EventSpec(
    "payment_request_issued",
    PaymentRequestIssued,
    "A construction payment request (a deposit invoice for a milestone of the project's schedule) was issued.",
    example={
        "invoice_id": INVOICE,
        "project_id": "5e7a9c1e-3b5d-4f7a-9c1e-3b5d7f9a1c33",
        "order_id": "7a9c1e3b-5d7f-4a1c-8e3b-5d7f9a1c3e44",
        "customer_id": CUSTOMER,
        "percent": "30.00",
        "total_incl_vat": "10800.00",
    },
)

# --- consumed ---------------------------------------------------------------------------


class ArticleCreatedView(EventView):
    """What the till keeps of a new catalogue article (its category and purchase price
    when inventory sends them: the Z report's categories, the statistics' margins)."""

    article_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    sale_price = fields.Decimal(required=True)
    vat_rate = fields.Decimal(required=True)
    category = fields.String(allow_none=True)
    purchase_price = fields.Decimal(allow_none=True)


class ArticlesImportedView(EventView):
    """Articles created together: each as ``article_created`` would have carried it."""

    articles = fields.List(fields.Nested(ArticleCreatedView), required=True)


class ArticlePriceChangedView(ArticleCreatedView):
    """A catalogue article's new price, name or VAT rate: the till's copy follows."""


class TaskCompletedView(EventView):
    """A worksite step done; ``milestone_percent`` when it is a milestone of the payment schedule."""

    project_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    step_code = fields.String(required=True)
    order_id = fields.UUID(required=True, allow_none=True)
    customer_id = fields.UUID(required=True)
    milestone_percent = fields.Decimal(required=True, allow_none=True)
    project_total_excl_vat = fields.Decimal(required=True)
    project_total_incl_vat = fields.Decimal(required=True)


class InterventionPart(Schema):
    article_id = fields.UUID(required=True)
    quantity = fields.Decimal(required=True)


class InterventionCompletedView(EventView):
    """An after-sales intervention done: what to invoice unless it is covered."""

    intervention_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    covered_by = fields.String(required=True)
    labour_minutes = fields.Integer(required=True)
    travel_km = fields.Decimal(required=True)
    parts = fields.List(fields.Nested(InterventionPart), required=True)
    completed_at = fields.AwareDateTime(required=True)


class CustomerView(EventView):
    """What the till keeps of a customer file (``customer_created`` / ``customer_updated``)."""

    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    billing_address = fields.Dict(load_default=None, allow_none=True)
    siren = fields.String(load_default=None, allow_none=True)
    vat_number = fields.String(load_default=None, allow_none=True)


class CustomersImportedView(EventView):
    """customers' ``customers_imported``: the customer files, each as ``customer_created`` says it."""

    customers = fields.List(fields.Nested(CustomerView), required=True)


class LocationCreatedView(EventView):
    """A location; the till keeps those of kind ``shop``."""

    location_id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
