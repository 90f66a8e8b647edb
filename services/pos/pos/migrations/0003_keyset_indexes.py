"""The indexes that keyset pages read in order: sales newest first, the till's catalogue by name.

Revision ID: 0003
Revises: 0002

``GET /pos/sales`` reads a company's sales by (completed_at, id) descending, from a
cursor and within a date range; the catalogue is read by (name, article_id). Each index
starts with the company, so a page deep in a list costs what the first does.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("sales_newest_first", "sales", ["tenant_id", "completed_at", "id"])
    op.create_index("catalogue_articles_by_name", "catalogue_articles", ["tenant_id", "name", "article_id"])


def downgrade() -> None:
    op.drop_index("catalogue_articles_by_name", "catalogue_articles")
    op.drop_index("sales_newest_first", "sales")
