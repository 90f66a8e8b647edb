"""Where and when for the route of the day: the technician's base, each intervention's
site coordinates and the customer's time window, and when the intervention was booked.

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
    op.add_column("technicians", sa.Column("base_latitude", sa.Float))
    op.add_column("technicians", sa.Column("base_longitude", sa.Float))
    op.add_column("interventions", sa.Column("latitude", sa.Float))
    op.add_column("interventions", sa.Column("longitude", sa.Float))
    op.add_column("interventions", sa.Column("window_starts", sa.Time))
    op.add_column("interventions", sa.Column("window_ends", sa.Time))
    op.add_column(
        "interventions",
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.clock_timestamp()),
    )


def downgrade() -> None:
    for column in ("booked_at", "window_ends", "window_starts", "longitude", "latitude"):
        op.drop_column("interventions", column)
    for column in ("base_longitude", "base_latitude"):
        op.drop_column("technicians", column)
