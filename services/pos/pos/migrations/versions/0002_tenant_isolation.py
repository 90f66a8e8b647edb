"""Row-level security on every tenant table: the database's own wall between tenants.

Revision ID: 0002
Revises: 0001
"""

from bassin_common.migrations import end_tenant_isolation, isolate_tenants

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_TABLES = ("catalogue_articles", "shops", "sales", "sale_lines", "sale_payments")


def upgrade() -> None:
    isolate_tenants(*TENANT_TABLES)


def downgrade() -> None:
    end_tenant_isolation(*TENANT_TABLES)
