"""Photos of the steps, taken on site.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import created_at, tenant_column

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_photos",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("task_id", sa.Uuid, sa.ForeignKey("tasks.id"), nullable=False, index=True),
        sa.Column("content_type", sa.String(30), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("caption", sa.String(500), nullable=False),
        sa.Column("author", sa.String(100)),
        created_at(),
    )
    op.create_index("task_photos_by_created_at", "task_photos", ["task_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_table("task_photos")
