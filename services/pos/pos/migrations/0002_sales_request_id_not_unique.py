"""A sale's request id is kept for tracing, no longer unique: the platform de-duplicates requests.

Revision ID: 0002
Revises: 0001

``record_sale`` is an idempotent RPC (``bassin_common.idempotency``): a repeated request
gets the first sale from ``processed_requests``. A unique index on ``sales.request_id``
as well would turn a key legitimately reused after that table's retention into a 409.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("sales_tenant_id_request_id_key", "sales", type_="unique")
    op.create_index("sales_request_id", "sales", ["tenant_id", "request_id"])


def downgrade() -> None:
    op.drop_index("sales_request_id", "sales")
    op.create_unique_constraint("sales_tenant_id_request_id_key", "sales", ["tenant_id", "request_id"])
