"""The till's copy of a customer keeps what an invoice names of the buyer: the billing
address, SIREN and VAT number (French mentions, Factur-X).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("billing_address", JSONB))
    op.add_column("customers", sa.Column("siren", sa.String(9)))
    op.add_column("customers", sa.Column("vat_number", sa.String(20)))


def downgrade() -> None:
    for column in ("vat_number", "siren", "billing_address"):
        op.drop_column("customers", column)
