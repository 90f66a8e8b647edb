"""The complete till: discounts, VAT per rate, change, customers, cash sessions, the
numbered and hash-chained journal of tickets (sales and refunds).

Revision ID: 0004
Revises: 0003

Sales recorded before this revision keep no number nor hash: the journal starts with the
first ticket after it (its previous hash is the shop's initial "000…0").
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.migrations import created_at, tenant_column

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ZERO = sa.text("0")


def upgrade() -> None:
    op.add_column("catalogue_articles", sa.Column("category", sa.String(200)))
    op.add_column("catalogue_articles", sa.Column("purchase_price", sa.Numeric(12, 2)))
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320)),
    )
    op.add_column("shops", sa.Column("last_ticket_number", sa.Integer, nullable=False, server_default=ZERO))
    op.add_column("shops", sa.Column("last_ticket_hash", sa.String(64), nullable=False, server_default="0" * 64))
    op.add_column("shops", sa.Column("last_session_number", sa.Integer, nullable=False, server_default=ZERO))
    op.create_table(
        "cash_sessions",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("shops.location_id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("opening_float", sa.Numeric(12, 2), nullable=False),
        sa.Column("opened_by", sa.String(100)),
        created_at("opened_at"),
        sa.Column("closed_by", sa.String(100)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("counted", JSONB),
        sa.Column("expected", JSONB),
        sa.UniqueConstraint("tenant_id", "location_id", "number"),
    )
    op.create_index(
        "cash_sessions_one_open_per_shop",
        "cash_sessions",
        ["tenant_id", "location_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index("cash_sessions_newest_first", "cash_sessions", ["tenant_id", "opened_at", "id"])
    for column in (
        sa.Column("number", sa.Integer),
        sa.Column("previous_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
        sa.Column("cash_session_id", sa.Uuid, sa.ForeignKey("cash_sessions.id")),
        sa.Column("customer_id", sa.Uuid),
        sa.Column("cart_discount", sa.Numeric(12, 2), nullable=False, server_default=ZERO),
        sa.Column("discount_total", sa.Numeric(12, 2), nullable=False, server_default=ZERO),
        sa.Column("change_given", sa.Numeric(12, 2), nullable=False, server_default=ZERO),
    ):
        op.add_column("sales", column)
    op.create_unique_constraint("sales_ticket_number", "sales", ["tenant_id", "location_id", "number"])
    op.create_index("sales_by_session", "sales", ["tenant_id", "cash_session_id"])
    op.create_index("sales_by_customer", "sales", ["tenant_id", "customer_id"])
    for column in (
        sa.Column("catalogue_price", sa.Numeric(12, 2)),
        sa.Column("discount_percent", sa.Numeric(5, 2), nullable=False, server_default=ZERO),
        sa.Column("discount", sa.Numeric(12, 2), nullable=False, server_default=ZERO),
        sa.Column("category", sa.String(200)),
        sa.Column("serial_number", sa.String(100)),
        sa.Column("register_on_pool_id", sa.Uuid),
    ):
        op.add_column("sale_lines", column)
    op.add_column("sale_payments", sa.Column("reference", sa.String(100)))
    op.create_table(
        "sale_vat",
        sa.Column("sale_id", sa.Uuid, sa.ForeignKey("sales.id"), primary_key=True),
        sa.Column("rate", sa.Numeric(5, 2), primary_key=True),
        tenant_column(),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat", sa.Numeric(12, 2), nullable=False),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("sale_id", sa.Uuid, sa.ForeignKey("sales.id"), nullable=False),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("shops.location_id"), nullable=False),
        sa.Column("cash_session_id", sa.Uuid, sa.ForeignKey("cash_sessions.id"), nullable=False),
        sa.Column("customer_id", sa.Uuid),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("cashier_id", sa.String(100)),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "location_id", "number", name="refunds_ticket_number"),
    )
    op.create_index("refunds_by_sale", "refunds", ["tenant_id", "sale_id"])
    op.create_index("refunds_by_session", "refunds", ["tenant_id", "cash_session_id"])
    op.create_index("refunds_newest_first", "refunds", ["tenant_id", "refunded_at", "id"])
    op.create_table(
        "refund_lines",
        sa.Column("refund_id", sa.Uuid, sa.ForeignKey("refunds.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        tenant_column(),
        sa.Column("sale_line_position", sa.Integer, nullable=False),
        sa.Column("article_id", sa.Uuid, nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer, sa.CheckConstraint("quantity > 0"), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("category", sa.String(200)),
    )
    op.create_table(
        "refund_vat",
        sa.Column("refund_id", sa.Uuid, sa.ForeignKey("refunds.id"), primary_key=True),
        sa.Column("rate", sa.Numeric(5, 2), primary_key=True),
        tenant_column(),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat", sa.Numeric(12, 2), nullable=False),
    )
    op.create_table(
        "refund_payments",
        sa.Column("refund_id", sa.Uuid, sa.ForeignKey("refunds.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        tenant_column(),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), sa.CheckConstraint("amount > 0"), nullable=False),
    )
    # A cash sale's change comes out of the amount tendered: a payment stays positive.


def downgrade() -> None:
    for table in ("refund_payments", "refund_vat", "refund_lines", "refunds", "sale_vat"):
        op.drop_table(table)
    op.drop_column("sale_payments", "reference")
    line_columns = ("register_on_pool_id", "serial_number", "category", "discount", "discount_percent")
    line_columns += ("catalogue_price",)
    for column in line_columns:
        op.drop_column("sale_lines", column)
    op.drop_index("sales_by_customer", "sales")
    op.drop_index("sales_by_session", "sales")
    op.drop_constraint("sales_ticket_number", "sales", type_="unique")
    for column in (
        "change_given",
        "discount_total",
        "cart_discount",
        "customer_id",
        "cash_session_id",
        "hash",
        "previous_hash",
        "number",
    ):
        op.drop_column("sales", column)
    op.drop_table("cash_sessions")
    for column in ("last_session_number", "last_ticket_hash", "last_ticket_number"):
        op.drop_column("shops", column)
    op.drop_table("customers")
    op.drop_column("catalogue_articles", "purchase_price")
    op.drop_column("catalogue_articles", "category")
