"""A shop's row names its open cash session, so that taking a ticket number also gives the
session (one statement less per sale, with the shop's row locked; ADR 0008). Shops keep
NULL until their next ticket or opening records it: a ticket that finds NULL looks in
cash_sessions, as before.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("shops", sa.Column("open_cash_session_id", sa.Uuid, nullable=True))


def downgrade() -> None:
    op.drop_column("shops", "open_cash_session_id")
