"""The rates an after-sales intervention is invoiced at: labour per hour, travel per km,
and the VAT rate of services.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "billing_settings", sa.Column("labour_rate", sa.Numeric(12, 2), nullable=False, server_default="55.00")
    )
    op.add_column(
        "billing_settings", sa.Column("travel_rate", sa.Numeric(12, 2), nullable=False, server_default="0.60")
    )
    op.add_column(
        "billing_settings", sa.Column("service_vat_rate", sa.Numeric(5, 2), nullable=False, server_default="20.00")
    )


def downgrade() -> None:
    for column in ("service_vat_rate", "travel_rate", "labour_rate"):
        op.drop_column("billing_settings", column)
