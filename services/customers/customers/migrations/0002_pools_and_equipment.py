"""Pools and their equipment; each tenant's own equipment lifetimes.

Revision ID: 0002
Revises: 0001

A serial number is unique per (brand, serial) in a company, compared folded (case, accents,
spaces and separators ignored): a partial unique index, so equipment without a serial
number (a liner) is not concerned.
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
        "pools",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("site_id", sa.Uuid, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("pool_type", sa.String(40), nullable=False),
        sa.Column("shape", sa.String(20), nullable=False),
        sa.Column("length_m", sa.Numeric(5, 2), nullable=False),
        sa.Column("width_m", sa.Numeric(5, 2), nullable=False),
        sa.Column("mean_depth_m", sa.Numeric(4, 2), nullable=False),
        sa.Column("computed_volume_m3", sa.Numeric(7, 1), nullable=False),
        sa.Column("volume_override_m3", sa.Numeric(7, 1)),
        sa.Column("coating", sa.String(20), nullable=False),
        sa.Column("filtration", sa.String(20), nullable=False),
        sa.Column("treatment", sa.String(20), nullable=False),
        sa.Column("heating", sa.String(60)),
        sa.Column("cover", sa.String(60)),
        sa.Column("safety_device", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        created_at(),
        sa.CheckConstraint("length_m > 0 AND width_m >= 0 AND mean_depth_m > 0", name="pool_dimensions"),
    )
    op.create_table(
        "equipment",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("pool_id", sa.Uuid, sa.ForeignKey("pools.id"), nullable=False, index=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("brand", sa.String(60), nullable=False),
        sa.Column("brand_key", sa.String(60), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("serial_number", sa.String(60)),
        sa.Column("serial_key", sa.String(60)),
        sa.Column("supplier", sa.String(100)),
        sa.Column("installed_on", sa.Date, nullable=False),
        sa.Column("purchase_document", sa.String(100)),
        sa.Column("warranty_months", sa.Integer, nullable=False),
        sa.Column("warranty_ends_on", sa.Date, nullable=False),
        sa.Column("lifetime_years", sa.Integer, nullable=False),
        sa.Column("end_of_life_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="in_service"),
        sa.Column("replaces_id", sa.Uuid, sa.ForeignKey("equipment.id")),
        sa.Column("replaced_by_id", sa.Uuid, sa.ForeignKey("equipment.id")),
        sa.Column("out_of_service_on", sa.Date),
        sa.Column("end_of_life_notified_on", sa.Date),
        created_at(),
    )
    op.create_index(
        "equipment_unique_serial",
        "equipment",
        ["tenant_id", "brand_key", "serial_key"],
        unique=True,
        postgresql_where=sa.text("serial_key IS NOT NULL"),
    )
    op.create_index("equipment_by_end_of_life", "equipment", ["tenant_id", "end_of_life_on"])
    op.create_table(
        "equipment_lifetimes",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("category", sa.String(30), primary_key=True),
        sa.Column("years", sa.Integer, nullable=False),
        sa.CheckConstraint("years BETWEEN 1 AND 50", name="lifetime_years"),
    )


def downgrade() -> None:
    for table in ("equipment_lifetimes", "equipment", "pools"):
        op.drop_table(table)
