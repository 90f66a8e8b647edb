"""Outbox rows the broker keeps refusing are set aside instead of blocking the others.

Revision ID: 0003
Revises: 0002

``attempts`` and ``last_error`` count and explain the broker's refusals of a row;
``set_aside_at`` is set after ``outbox_max_attempts`` of them, and the relay skips the row
until ``bassin-outbox replay`` puts it back. The index of pending rows leaves set-aside
rows out; published rows get an index for the relay's retention purge.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PENDING = "published_at IS NULL AND set_aside_at IS NULL"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("attempts", sa.Integer, server_default="0", nullable=False))
    op.add_column("outbox", sa.Column("last_error", sa.Text))
    op.add_column("outbox", sa.Column("set_aside_at", sa.DateTime(timezone=True)))
    op.drop_index("outbox_unpublished", "outbox")
    op.create_index("outbox_pending", "outbox", ["id"], postgresql_where=sa.text(PENDING))
    op.create_index(
        "outbox_published_at", "outbox", ["published_at"], postgresql_where=sa.text("published_at IS NOT NULL")
    )
    op.create_index("outbox_set_aside", "outbox", ["id"], postgresql_where=sa.text("set_aside_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("outbox_set_aside", "outbox")
    op.drop_index("outbox_published_at", "outbox")
    op.drop_index("outbox_pending", "outbox")
    op.create_index("outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL"))
    for name in ("set_aside_at", "last_error", "attempts"):
        op.drop_column("outbox", name)
