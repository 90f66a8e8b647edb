"""A partner's own AMQP queue, when it receives its returns on AMQP.

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
    op.add_column("partners", sa.Column("amqp_queue", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("partners", "amqp_queue")
