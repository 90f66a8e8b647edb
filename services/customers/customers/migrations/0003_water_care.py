"""Water care: analyses, each company's targets and water products, and the copy of the
catalogue that names its articles.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from bassin_common.migrations import tenant_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("sale_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
    )
    op.create_table(
        "water_products",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("role", sa.String(30), primary_key=True),
        sa.Column("article_id", sa.Uuid, nullable=False),
        sa.Column("unit", sa.String(5), nullable=False),
        sa.Column("dose", sa.Numeric(10, 3)),
    )
    op.create_table(
        "water_targets",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("parameter", sa.String(30), primary_key=True),
        sa.Column("coating", sa.String(20), primary_key=True),
        sa.Column("treatment", sa.String(20), primary_key=True),
        sa.Column("low", sa.Numeric(8, 2), nullable=False),
        sa.Column("high", sa.Numeric(8, 2), nullable=False),
        sa.Column("aim", sa.Numeric(8, 2)),
        sa.CheckConstraint("low <= high", name="target_range"),
    )
    op.create_table(
        "water_analyses",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("pool_id", sa.Uuid, sa.ForeignKey("pools.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(100)),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("volume_m3", sa.Numeric(7, 1), nullable=False),
        sa.Column("readings", JSONB, nullable=False),
        sa.Column("lsi", sa.Numeric(5, 2)),
        sa.Column("balance", sa.String(20)),
        sa.Column("problems", ARRAY(sa.String(40)), nullable=False),
        sa.Column("recommendation", JSONB, nullable=False),
    )
    op.create_index("water_analyses_by_pool", "water_analyses", ["pool_id", "recorded_at", "id"])


def downgrade() -> None:
    for table in ("water_analyses", "water_targets", "water_products", "articles"):
        op.drop_table(table)
