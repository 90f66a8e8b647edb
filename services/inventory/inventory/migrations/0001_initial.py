"""Locations, suppliers, articles, stock levels, the movements ledger, the supplier basket.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import created_at, tenant_column

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("supplier_id", sa.Uuid, sa.ForeignKey("suppliers.id")),
        sa.Column("purchase_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("sale_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        created_at(),
        sa.UniqueConstraint("tenant_id", "sku"),
    )
    op.create_table(
        "stock_levels",
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("locations.id"), primary_key=True),
        tenant_column(),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("minimum", sa.Integer, nullable=False, server_default="0"),
        sa.Column("maximum", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("minimum >= 0 AND (maximum = 0 OR maximum >= minimum)", name="thresholds"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        tenant_column(),
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("quantity_after", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("reference", sa.String(100)),
        created_at(),
    )
    op.create_index("stock_movements_article", "stock_movements", ["article_id", "id"])
    # The ledger is append-only: history is corrected by a new movement, never edited.
    op.execute(
        """
        CREATE FUNCTION forbid_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'stock_movements is append-only';
        END $$;
        CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
            FOR EACH ROW EXECUTE FUNCTION forbid_ledger_rewrite();
        """
    )
    op.create_table(
        "supplier_basket_lines",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("supplier_id", sa.Uuid, sa.ForeignKey("suppliers.id")),
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        created_at(),
        created_at("updated_at"),
    )
    # One open line per (supplier, article), even while the supplier is not set yet.
    op.execute(
        "CREATE UNIQUE INDEX supplier_basket_one_open_line ON supplier_basket_lines "
        "(tenant_id, supplier_id, article_id) NULLS NOT DISTINCT WHERE status = 'open'"
    )


def downgrade() -> None:
    for table in ("supplier_basket_lines", "stock_movements", "stock_levels", "articles", "suppliers", "locations"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS forbid_ledger_rewrite()")
