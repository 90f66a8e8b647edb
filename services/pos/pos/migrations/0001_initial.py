"""Catalogue and shop copies, sales with their lines and payments.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import created_at, tenant_column

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_articles",
        sa.Column("article_id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("sale_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
    )
    op.create_table(
        "shops",
        sa.Column("location_id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "sales",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("request_id", sa.String(100)),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("shops.location_id"), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("cashier_id", sa.String(100)),
        created_at("completed_at"),
        sa.UniqueConstraint("tenant_id", "request_id"),
    )
    op.create_table(
        "sale_lines",
        sa.Column("sale_id", sa.Uuid, sa.ForeignKey("sales.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        tenant_column(),
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("catalogue_articles.article_id"), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer, sa.CheckConstraint("quantity > 0"), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
    )
    op.create_table(
        "sale_payments",
        sa.Column("sale_id", sa.Uuid, sa.ForeignKey("sales.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        tenant_column(),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), sa.CheckConstraint("amount > 0"), nullable=False),
    )


def downgrade() -> None:
    for table in ("sale_payments", "sale_lines", "sales", "shops", "catalogue_articles"):
        op.drop_table(table)
