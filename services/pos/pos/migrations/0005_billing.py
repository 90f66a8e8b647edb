"""Billing: the company's letterhead and terms, invoices (with deposits and credit notes),
their lines, VAT per rate and payments, and the gapless counters of their series.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.migrations import created_at, tenant_column

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_settings",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("company_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("address", JSONB, nullable=False, server_default="[]"),
        sa.Column("siren", sa.String(20), nullable=False, server_default=""),
        sa.Column("siret", sa.String(20), nullable=False, server_default=""),
        sa.Column("vat_number", sa.String(20), nullable=False, server_default=""),
        sa.Column("legal_form", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(320), nullable=False, server_default=""),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("payment_terms_days", sa.Integer, nullable=False, server_default="30"),
        sa.Column("late_payment_terms", sa.String(500), nullable=False, server_default=""),
        sa.Column("discount_limit", sa.Numeric(5, 2), nullable=False, server_default="10.00"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_table(
        "invoice_counters",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("series", sa.String(20), primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("series", sa.String(20)),
        sa.Column("number", sa.String(40)),
        sa.Column("customer_id", sa.Uuid, nullable=False),
        sa.Column("customer_name", sa.String(300), nullable=False),
        sa.Column("customer_email", sa.String(320)),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("source_key", sa.String(200)),
        sa.Column("sale_id", sa.Uuid, sa.ForeignKey("sales.id")),
        sa.Column("project_id", sa.Uuid),
        sa.Column("order_id", sa.Uuid),
        sa.Column("percent", sa.Numeric(5, 2)),
        sa.Column("credited_invoice_id", sa.Uuid, sa.ForeignKey("invoices.id")),
        sa.Column("total_excl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("total_incl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("paid_total", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("credited_total", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("notes", sa.String(1000), nullable=False, server_default=""),
        created_at(),
        sa.Column("issued_on", sa.Date),
        sa.Column("due_on", sa.Date),
        sa.Column("issued_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("sent_to", sa.String(320)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("tenant_id", "number", name="invoices_number"),
        sa.UniqueConstraint("tenant_id", "source", "source_key", name="invoices_made_once"),
    )
    op.create_index("invoices_newest_first", "invoices", ["tenant_id", "created_at", "id"])
    op.create_index("invoices_by_customer", "invoices", ["tenant_id", "customer_id"])
    op.create_index("invoices_by_project", "invoices", ["tenant_id", "project_id"])
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Uuid, sa.ForeignKey("invoices.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        tenant_column(),
        sa.Column("article_id", sa.Uuid),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        sa.Column("unit_price_excl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("total_excl_vat", sa.Numeric(12, 2), nullable=False),
    )
    op.create_table(
        "invoice_vat",
        sa.Column("invoice_id", sa.Uuid, sa.ForeignKey("invoices.id"), primary_key=True),
        sa.Column("rate", sa.Numeric(5, 2), primary_key=True),
        tenant_column(),
        sa.Column("base", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat", sa.Numeric(12, 2), nullable=False),
    )
    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("invoice_id", sa.Uuid, sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("customer_id", sa.Uuid, nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), sa.CheckConstraint("amount > 0"), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("received_on", sa.Date, nullable=False),
        created_at("received_at"),
    )
    op.create_index("invoice_payments_by_invoice", "invoice_payments", ["tenant_id", "invoice_id"])


def downgrade() -> None:
    tables = ("invoice_payments", "invoice_vat", "invoice_lines", "invoices", "invoice_counters")
    for table in (*tables, "billing_settings"):
        op.drop_table(table)
