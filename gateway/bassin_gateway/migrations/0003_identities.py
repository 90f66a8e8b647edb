"""Identities for every kind of user (issue #19): portal accounts, invitations, sessions
with refresh tokens, one-time links, partner API keys, each tenant's permission table.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("users", "password_hash", nullable=True)  # invited, not yet chosen
    op.add_column("users", sa.Column("customer_id", sa.Uuid, nullable=True))
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("tenants", sa.Column("permissions_version", sa.Integer, nullable=False, server_default="1"))
    # Rows already there keep the tokens they hold; new users start at their creation.
    op.add_column(
        "users",
        sa.Column(
            "tokens_valid_after",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("'1970-01-01 00:00:00+00'"),
        ),
    )
    op.alter_column("users", "tokens_valid_after", server_default=sa.func.now())
    op.create_check_constraint(
        "users_customer_accounts_are_customers", "users", "customer_id IS NULL OR roles = '{customer}'"
    )

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_because", sa.String(20), nullable=True),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "session_id", sa.Uuid, sa.ForeignKey("login_sessions.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "one_time_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, sa.ForeignKey("tenants.id"), nullable=False, index=True),
        sa.Column("brand", sa.String(60), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("created_by", sa.Uuid, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "tenant_permissions",
        sa.Column("tenant_id", sa.Uuid, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("permission", sa.String(60), primary_key=True),
        sa.Column("roles", sa.ARRAY(sa.String(20)), nullable=False),
        sa.Column("updated_by", sa.Uuid, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tenant_permissions")
    op.drop_table("api_keys")
    op.drop_table("one_time_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("login_sessions")
    op.drop_constraint("users_customer_accounts_are_customers", "users")
    op.drop_column("users", "tokens_valid_after")
    op.drop_column("users", "last_login_at")
    op.drop_column("users", "customer_id")
    op.execute("DELETE FROM users WHERE password_hash IS NULL")  # invitations never accepted
    op.alter_column("users", "password_hash", nullable=False)
