"""A copy of the customers' names and addresses (customers' customer_created / _updated).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.migrations import tenant_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_customers",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("address", JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("known_customers")
