"""Equipment copied from the customer file may have no serial number (a sand filter often
has none on its plate).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("equipment", "serial_number", existing_type=sa.String(120), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE equipment SET serial_number = '' WHERE serial_number IS NULL")
    op.alter_column("equipment", "serial_number", existing_type=sa.String(120), nullable=False)
