"""Invoices remember the day they were announced overdue, so that the daily scan announces
each once.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("overdue_announced_on", sa.Date))


def downgrade() -> None:
    op.drop_column("invoices", "overdue_announced_on")
