"""Row-level security on every tenant table: the database's own wall between tenants.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from bassin_common.migrations import isolate_tenants

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_TABLES = ("locations", "suppliers", "articles", "stock_levels", "stock_movements", "supplier_basket_lines")


def upgrade() -> None:
    isolate_tenants(*TENANT_TABLES)


def downgrade() -> None:
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
