"""The sales pipeline: leads, quotes (a row per version), orders (one per accepted quote).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.migrations import created_at, tenant_column

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("contacted_on", sa.Date, nullable=False),
        sa.Column("salesperson_id", sa.Uuid),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("lost_reason", sa.String(500)),
        sa.Column("next_follow_up_on", sa.Date),
        created_at(),
    )
    op.create_index("leads_by_contact", "leads", ["tenant_id", "contacted_on", "id"])
    op.create_table(
        "quotes",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("lead_id", sa.Uuid, sa.ForeignKey("leads.id")),
        sa.Column("site_id", sa.Uuid, sa.ForeignKey("sites.id")),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("total_excl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("total_incl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("pool", JSONB),
        sa.Column("payment_schedule", JSONB),
        sa.Column("promised_filling_date", sa.Date),
        sa.Column("notes", sa.Text),
        created_at(),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("tenant_id", "number", "version"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("quote_id", sa.Uuid, sa.ForeignKey("quotes.id"), nullable=False, unique=True),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("site_id", sa.Uuid, sa.ForeignKey("sites.id")),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_excl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("total_incl_vat", sa.Numeric(12, 2), nullable=False),
    )


def downgrade() -> None:
    for table in ("orders", "quotes", "leads"):
        op.drop_table(table)
