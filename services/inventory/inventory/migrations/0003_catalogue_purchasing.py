"""The whole catalogue, stock reservations, purchasing and price lists (#21).

Revision ID: 0003
Revises: 0002

Articles gain their catalogue fields (category tree, brand, unit, kind, stocked and active
flags, a service's duration, a version for If-Match, the price's age); EAN barcodes,
supplier offers, a standard service's default parts and the price history get tables.
A stock level gains its reserved quantity. The supplier basket keeps one open line per
(supplier, article, location) — two shops below their minimum are two needs — and a line
remembers the purchase order it went into. Purchase orders (numbered per company without
gaps by a counter row), their lines and receipts; stock counts; price-list mappings.
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import created_at, tenant_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("parent_id", sa.Uuid, sa.ForeignKey("categories.id")),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
    )
    op.create_index("categories_by_path", "categories", ["tenant_id", "path", "id"])
    op.add_column("suppliers", sa.Column("email", sa.String(254)))
    op.alter_column("articles", "purchase_price", nullable=True)
    op.add_column("articles", sa.Column("description", sa.Text, nullable=False, server_default=""))
    op.add_column("articles", sa.Column("category_id", sa.Uuid, sa.ForeignKey("categories.id")))
    op.add_column("articles", sa.Column("brand", sa.String(100)))
    op.add_column("articles", sa.Column("unit", sa.String(10), nullable=False, server_default="piece"))
    op.add_column("articles", sa.Column("kind", sa.String(10), nullable=False, server_default="product"))
    op.add_column("articles", sa.Column("stocked", sa.Boolean, nullable=False, server_default="true"))
    op.add_column("articles", sa.Column("active", sa.Boolean, nullable=False, server_default="true"))
    op.add_column("articles", sa.Column("duration_minutes", sa.Integer))
    op.add_column("articles", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column(
        "articles",
        sa.Column("price_updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "article_barcodes",
        sa.Column("ean", sa.String(14), primary_key=True),
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), nullable=False, index=True),
    )
    op.create_table(
        "supplier_offers",
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("supplier_id", sa.Uuid, sa.ForeignKey("suppliers.id"), primary_key=True),
        tenant_column(),
        sa.Column("supplier_reference", sa.String(60)),
        sa.Column("purchase_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("pack_size", sa.Integer, nullable=False, server_default="1"),
        sa.Column("lead_time_days", sa.Integer),
        sa.Column("preferred", sa.Boolean, nullable=False, server_default="false"),
        created_at("price_updated_at"),
        sa.CheckConstraint("pack_size >= 1", name="pack_size"),
    )
    op.execute(
        "CREATE UNIQUE INDEX supplier_offers_one_preferred ON supplier_offers (tenant_id, article_id) WHERE preferred"
    )
    op.create_index(
        "supplier_offers_by_reference", "supplier_offers", ["tenant_id", "supplier_id", "supplier_reference"]
    )
    op.create_table(
        "service_parts",
        sa.Column("service_id", sa.Uuid, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("part_id", sa.Uuid, sa.ForeignKey("articles.id"), primary_key=True),
        tenant_column(),
        sa.Column("quantity", sa.Integer, nullable=False),
    )
    op.create_table(
        "price_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        tenant_column(),
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("supplier_id", sa.Uuid, sa.ForeignKey("suppliers.id")),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("old_price", sa.Numeric(12, 2)),
        sa.Column("new_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        created_at("changed_at"),
    )
    op.create_index("price_changes_article", "price_changes", ["article_id", "id"])
    op.add_column("stock_levels", sa.Column("reserved", sa.Integer, nullable=False, server_default="0"))
    op.create_index("stock_levels_location", "stock_levels", ["location_id", "article_id"])

    op.create_table(
        "counters",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(30), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("supplier_id", sa.Uuid, sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("expected_on", sa.Date),
        created_at(),
        sa.Column("created_by", sa.String(100)),
        sa.Column("emailed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("tenant_id", "number"),
    )
    op.create_index("purchase_orders_by_created", "purchase_orders", ["tenant_id", "created_at", "id"])
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("purchase_order_id", sa.Uuid, sa.ForeignKey("purchase_orders.id"), nullable=False, index=True),
        sa.Column("article_id", sa.Uuid, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("received", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unit_price", sa.Numeric(12, 2)),
        sa.Column("supplier_reference", sa.String(60)),
        sa.CheckConstraint("quantity > 0 AND received >= 0 AND received <= quantity", name="received"),
    )
    op.create_index("purchase_order_lines_on_order", "purchase_order_lines", ["article_id", "location_id"])
    op.create_table(
        "receipts",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("purchase_order_id", sa.Uuid, sa.ForeignKey("purchase_orders.id"), nullable=False, index=True),
        sa.Column("delivery_note", sa.String(60)),
        sa.Column("lines", sa.JSON, nullable=False),
        created_at("received_at"),
    )

    op.execute("DROP INDEX supplier_basket_one_open_line")
    op.add_column("supplier_basket_lines", sa.Column("location_id", sa.Uuid, sa.ForeignKey("locations.id")))
    op.add_column("supplier_basket_lines", sa.Column("purchase_order_id", sa.Uuid, sa.ForeignKey("purchase_orders.id")))
    op.add_column("supplier_basket_lines", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.execute(
        "CREATE UNIQUE INDEX supplier_basket_one_open_line ON supplier_basket_lines "
        "(tenant_id, supplier_id, article_id, location_id) NULLS NOT DISTINCT WHERE status = 'open'"
    )
    op.create_table(
        "stock_counts",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("location_id", sa.Uuid, sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("note", sa.String(300)),
        created_at("counted_at"),
        sa.Column("lines", sa.JSON, nullable=False),
    )
    op.create_table(
        "price_list_mappings",
        sa.Column("supplier_id", sa.Uuid, sa.ForeignKey("suppliers.id"), primary_key=True),
        tenant_column(),
        sa.Column("mapping", sa.JSON, nullable=False),
        sa.Column("delimiter", sa.String(1), nullable=False),
        sa.Column("price_jump_percent", sa.Numeric(5, 2), nullable=False),
    )


def downgrade() -> None:
    op.execute("DROP INDEX supplier_basket_one_open_line")
    for column in ("version", "purchase_order_id", "location_id"):
        op.drop_column("supplier_basket_lines", column)
    op.execute(
        "CREATE UNIQUE INDEX supplier_basket_one_open_line ON supplier_basket_lines "
        "(tenant_id, supplier_id, article_id) NULLS NOT DISTINCT WHERE status = 'open'"
    )
    for table in (
        "price_list_mappings",
        "stock_counts",
        "receipts",
        "purchase_order_lines",
        "purchase_orders",
        "counters",
        "price_changes",
        "service_parts",
        "supplier_offers",
        "article_barcodes",
    ):
        op.drop_table(table)
    op.drop_index("stock_levels_location", "stock_levels")
    op.drop_column("stock_levels", "reserved")
    for column in (
        "price_updated_at",
        "version",
        "duration_minutes",
        "active",
        "stocked",
        "kind",
        "unit",
        "brand",
        "category_id",
        "description",
    ):
        op.drop_column("articles", column)
    op.drop_table("categories")
    op.drop_column("suppliers", "email")
