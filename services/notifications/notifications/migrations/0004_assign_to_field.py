"""A rule may give its action to the user its trigger names (the prospect's salesperson).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rules", sa.Column("assign_to_field", sa.String(60), nullable=True))


def downgrade() -> None:
    op.drop_column("rules", "assign_to_field")
