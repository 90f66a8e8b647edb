"""SAV's copies of inventory's locations (the vans) and articles (the parts).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import tenant_column

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("articles")
    op.drop_table("locations")
