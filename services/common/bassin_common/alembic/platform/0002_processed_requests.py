"""Idempotent RPCs remember the requests they processed; the inbox gets a retention index.

Revision ID: 0002
Revises: 0001

``processed_requests`` (``bassin_common.idempotency``): one row per tenant, RPC and
request id, with a fingerprint of the call's arguments and the response it gave. Its
rows are tenant data (a response), so it gets the tenant policy of every tenant table,
and a policy letting the relay's housekeeping purge every tenant's old rows at once.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from bassin_common.tenancy import allow_housekeeping, isolate_tenant_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_requests",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("rpc", sa.Text, primary_key=True),
        sa.Column("request_id", sa.String(100), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response", JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("processed_requests_created_at", "processed_requests", ["created_at"])
    isolate_tenant_tables(op.get_bind(), ["processed_requests"])
    allow_housekeeping(op.get_bind(), "processed_requests")
    op.create_index("processed_events_processed_at", "processed_events", ["processed_at"])


def downgrade() -> None:
    op.drop_index("processed_events_processed_at", "processed_events")
    op.drop_table("processed_requests")
