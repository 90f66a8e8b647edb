"""Photos taken on an intervention or for a manufacturer return (images as data URLs).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import tenant_column

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("intervention_id", sa.Uuid, sa.ForeignKey("interventions.id")),
        sa.Column("return_id", sa.Uuid, sa.ForeignKey("warranty_returns.id")),
        sa.Column("caption", sa.String(300), nullable=False),
        sa.Column("image", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(intervention_id IS NULL) <> (return_id IS NULL)", name="one_owner"),
    )
    op.create_index("photos_of_intervention", "photos", ["tenant_id", "intervention_id", "taken_at", "id"])
    op.create_index("photos_of_return", "photos", ["tenant_id", "return_id", "taken_at", "id"])


def downgrade() -> None:
    op.drop_table("photos")
