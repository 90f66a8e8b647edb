"""Maintenance contracts.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import created_at, tenant_column

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("pool_id", sa.Uuid, sa.ForeignKey("pools.id")),
        sa.Column("formula", sa.String(100), nullable=False),
        sa.Column("includes_opening", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("includes_closing", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("visits_per_season", sa.Integer, nullable=False, server_default="0"),
        sa.Column("included_products", sa.Text),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("price_excl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("tacit_renewal", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("expiry_notified_for", sa.Date),
        created_at(),
        sa.CheckConstraint("ends_on > starts_on", name="contract_period"),
    )
    op.create_index("contracts_by_end", "contracts", ["tenant_id", "status", "ends_on"])


def downgrade() -> None:
    op.drop_table("contracts")
