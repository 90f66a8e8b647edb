"""Pool types and their templates, crews, projects and their tasks, notes, season proposals.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.migrations import created_at, tenant_column

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "defaults_installed",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        created_at("installed_at"),
        sa.UniqueConstraint("tenant_id"),
    )
    op.create_table(
        "known_articles",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "known_locations",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "pool_types",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("structure", sa.String(30), nullable=False),
        sa.Column("shape", sa.String(30), nullable=False),
        sa.Column("length_m", sa.Numeric(6, 2), nullable=False),
        sa.Column("width_m", sa.Numeric(6, 2), nullable=False),
        sa.Column("mean_depth_m", sa.Numeric(4, 2), nullable=False),
        sa.Column("steps", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    op.create_index("pool_types_by_code", "pool_types", ["tenant_id", "code", "id"])
    op.create_table(
        "crews",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("skills", JSONB, nullable=False),
        sa.Column("unavailable", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("crews_by_name", "crews", ["tenant_id", "name", "id"])
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("order_id", sa.Uuid, nullable=False),
        sa.Column("quote_id", sa.Uuid),
        sa.Column("customer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("site_id", sa.Uuid),
        sa.Column("pool_type_code", sa.String(40), nullable=False),
        sa.Column("pool", JSONB, nullable=False),
        sa.Column("total_excl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("total_incl_vat", sa.Numeric(12, 2), nullable=False),
        sa.Column("payment_schedule", JSONB, nullable=False),
        sa.Column("promised_filling_date", sa.Date),
        sa.Column("start_on", sa.Date),
        sa.Column("location_id", sa.Uuid),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("handover_on", sa.Date),
        sa.Column("reserves", JSONB),
        sa.Column("equipment", JSONB),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        created_at(),
        sa.UniqueConstraint("tenant_id", "order_id"),
    )
    op.create_index("projects_by_created_at", "projects", ["tenant_id", "created_at", "id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("project_id", sa.Uuid, sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_days", sa.Integer, nullable=False),
        sa.Column("depends_on", JSONB, nullable=False),
        sa.Column("skill", sa.String(30)),
        sa.Column("sub_steps", JSONB, nullable=False),
        sa.Column("materials", JSONB, nullable=False),
        sa.Column("order_trigger", JSONB),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("planned_start", sa.Date),
        sa.Column("planned_end", sa.Date),
        sa.Column("crew_id", sa.Uuid, sa.ForeignKey("crews.id"), index=True),
        sa.Column("pinned_start", sa.Date),
        sa.Column("pinned_crew", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("blocked_reason", sa.String(500)),
        sa.Column("blocked_until", sa.Date),
        sa.UniqueConstraint("project_id", "code"),
    )
    op.create_table(
        "task_notes",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("task_id", sa.Uuid, sa.ForeignKey("tasks.id"), nullable=False, index=True),
        sa.Column("author", sa.String(100)),
        sa.Column("text", sa.Text, nullable=False),
        created_at(),
    )
    op.create_table(
        "season_proposals",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("season_start", sa.Date, nullable=False),
        sa.Column("assignments", JSONB, nullable=False),
        sa.Column("projects", JSONB, nullable=False),
        sa.Column("total_lateness_days", sa.Integer, nullable=False),
        sa.Column("solver", sa.String(60), nullable=False),
        created_at(),
    )
    op.create_index("season_proposals_by_created_at", "season_proposals", ["tenant_id", "created_at", "id"])


def downgrade() -> None:
    for table in (
        "season_proposals",
        "task_notes",
        "tasks",
        "projects",
        "crews",
        "pool_types",
        "known_locations",
        "known_articles",
        "defaults_installed",
    ):
        op.drop_table(table)
