"""The outbox relay leases the rows it publishes instead of locking them for the publish.

Revision ID: 0004
Revises: 0003

``leased_until``: a relay claimed the row and is publishing it; no other relay takes it
before then. A relay that dies mid-publish leaves its rows to the next claim once the
lease has run out (ADR 0008, "the relay's lease").
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("leased_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("outbox", "leased_until")
