"""Travel in km with two places, as the API and ``intervention_completed`` carry it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("interventions", "travel_km", type_=sa.Numeric(8, 2))


def downgrade() -> None:
    op.alter_column("interventions", "travel_km", type_=sa.Numeric(8, 1))
