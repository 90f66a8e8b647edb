"""Customers, their sites and timeline, and the terms they are searched by.

Revision ID: 0001
Revises:

The search (ADR 0020): under row-level security, PostgreSQL uses an index only for
conditions whose operators are leakproof; LIKE/ILIKE and pg_trgm's operators are not, so a
trigram index is ignored for the service role and every search scans the tenant's rows.
Each customer's words are kept instead, folded in Python (no accents, lower case), in
``search_terms`` (term in the "C" collation), and a search is a prefix range
(``term >= 'hel' AND term < 'hel' || U+10FFFF``) whose b-tree comparisons are leakproof.
Each term carries its customer's ``sort_name``, so that a page of matches, in the list's
order, is read from the index alone, however many customers the company has.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from bassin_common.migrations import created_at, tenant_column

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("company_name", sa.String(200)),
        sa.Column("first_name", sa.String(100)),
        sa.Column("last_name", sa.String(100)),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("sort_name", sa.String(200), nullable=False),
        sa.Column("siren", sa.String(9)),
        sa.Column("vat_number", sa.String(20)),
        sa.Column("emails", JSONB, nullable=False, server_default="[]"),
        sa.Column("phones", JSONB, nullable=False, server_default="[]"),
        sa.Column("preferred_channel", sa.String(10)),
        sa.Column("consent_email", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("consent_sms", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("billing_line1", sa.String(200), nullable=False),
        sa.Column("billing_line2", sa.String(200)),
        sa.Column("billing_postcode", sa.String(10), nullable=False),
        sa.Column("billing_city", sa.String(100), nullable=False),
        sa.Column("billing_country", sa.String(2), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("salesperson_id", sa.Uuid),
        sa.Column("tags", ARRAY(sa.String(40)), nullable=False, server_default="{}"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        created_at(),
        created_at("updated_at"),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('private', 'company')", name="customer_kind"),
    )
    op.create_index("customers_by_sort_name", "customers", ["tenant_id", "sort_name", "id"])
    op.create_table(
        "sites",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("line1", sa.String(200), nullable=False),
        sa.Column("line2", sa.String(200)),
        sa.Column("postcode", sa.String(10), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("access_notes", sa.Text),
        created_at(),
    )
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author_id", sa.String(100)),
        sa.Column("reference", sa.String(100)),
    )
    op.create_index("timeline_by_customer", "timeline_entries", ["customer_id", "at", "id"])
    op.create_table(
        "search_terms",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),  # indexed first in search_terms_by_term
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("term", sa.String(60, collation="C"), nullable=False),
        sa.Column("sort_name", sa.String(200), nullable=False),
        sa.Column("equipment_id", sa.Uuid),
    )
    # The search's index: a prefix range on the term gives the customers and their order
    # from the index alone (an index-only scan of narrow entries); only the page's customers
    # are then read from their table.
    op.create_index("search_terms_by_term", "search_terms", ["tenant_id", "term", "sort_name", "customer_id"])
    # A customer's terms; and, walking the customers in their order, whether one has a
    # term of a frequent prefix (see usecases.search_customers).
    op.create_index("search_terms_by_customer", "search_terms", ["customer_id", "term"])


def downgrade() -> None:
    for table in ("search_terms", "timeline_entries", "sites", "customers"):
        op.drop_table(table)
