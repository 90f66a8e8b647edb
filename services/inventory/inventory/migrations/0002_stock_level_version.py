"""A stock level's version (its ETag), and the indexes that keyset pages read in order.

Revision ID: 0002
Revises: 0001

``version`` is raised by each change of the level's thresholds, the one update the API
offers (``If-Match`` on it); stock movements do not touch it (docs/api-conventions.md).
Lists are read by keyset, each through an index on the company and its keys, so that a
page deep in a list costs what the first does: locations (code, id), suppliers (name,
id), articles (sku, id); the ledger's (article_id, id) exists already.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEYSETS = [("locations", "code"), ("suppliers", "name"), ("articles", "sku")]


def upgrade() -> None:
    op.add_column("stock_levels", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    for table, key in KEYSETS:
        op.create_index(f"{table}_by_{key}", table, ["tenant_id", key, "id"])


def downgrade() -> None:
    for table, key in KEYSETS:
        op.drop_index(f"{table}_by_{key}", table)
    op.drop_column("stock_levels", "version")
