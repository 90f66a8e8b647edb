"""The scheduler's ledger of daily jobs run (what a missed day is caught up from).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(60), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("outcome", sa.JSON, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
