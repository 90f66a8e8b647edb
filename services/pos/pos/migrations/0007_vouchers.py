"""Vouchers (bons d'achat / avoirs de caisse): given back by a refund, spent at the till.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import created_at, tenant_column

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("remaining", sa.Numeric(12, 2), sa.CheckConstraint("remaining >= 0"), nullable=False),
        sa.Column("customer_id", sa.Uuid),
        sa.Column("refund_id", sa.Uuid, sa.ForeignKey("refunds.id")),
        created_at(),
        sa.UniqueConstraint("tenant_id", "code", name="vouchers_code"),
    )
    op.add_column("refund_payments", sa.Column("reference", sa.String(100)))


def downgrade() -> None:
    op.drop_column("refund_payments", "reference")
    op.drop_table("vouchers")
