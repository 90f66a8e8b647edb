"""Recurring interventions from maintenance contracts: each formula's plan of visits
(service and month), and the visits generated (one per contract, service and month).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import tenant_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_plans",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("formula", sa.String(120), nullable=False),
        sa.Column("visits", sa.JSON, nullable=False),
        sa.UniqueConstraint("tenant_id", "formula"),
    )
    op.create_index("maintenance_plans_by_formula", "maintenance_plans", ["tenant_id", "formula", "id"])
    op.create_table(
        "planned_visits",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("contract_id", sa.Uuid, nullable=False),
        sa.Column("service_code", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Uuid, sa.ForeignKey("tickets.id"), nullable=False),
        sa.UniqueConstraint("tenant_id", "contract_id", "service_code", "year", "month"),
    )
    op.add_column("tickets", sa.Column("service_id", sa.Uuid, sa.ForeignKey("standard_services.id")))


def downgrade() -> None:
    op.drop_column("tickets", "service_id")
    op.drop_table("planned_visits")
    op.drop_table("maintenance_plans")
