"""Local copies (customers, equipment, contracts, handovers; inventory's locations and
articles), tickets and their counter, question trees,
technicians, standard services, interventions, manufacturer returns.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bassin_common.migrations import tenant_column

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(40)),
        sa.Column("email_consent", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_table(
        "equipment",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, nullable=False),
        sa.Column("pool_id", sa.Uuid),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("brand", sa.String(120), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("serial_number", sa.String(120), nullable=False),
        sa.Column("installed_on", sa.Date),
        sa.Column("warranty_ends_on", sa.Date),
        sa.Column("replaced_by", sa.Uuid),
    )
    op.create_index("equipment_by_serial", "equipment", ["tenant_id", "serial_number"])
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, nullable=False),
        sa.Column("formula", sa.String(120), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("tacit_renewal", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_index("contracts_by_customer", "contracts", ["tenant_id", "customer_id"])
    op.create_table(
        "handovers",
        sa.Column("project_id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("customer_id", sa.Uuid, nullable=False),
        sa.Column("site_id", sa.Uuid),
        sa.Column("handover_on", sa.Date, nullable=False),
        sa.Column("serial_numbers", JSON, nullable=False),
    )
    op.create_index("handovers_by_customer", "handovers", ["tenant_id", "customer_id"])
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("series", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("customer_id", sa.Uuid, nullable=False),
        sa.Column("pool_id", sa.Uuid),
        sa.Column("equipment_id", sa.Uuid),
        sa.Column("category", sa.String(40)),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("covered_by", sa.String(30), nullable=False),
        sa.Column("coverage_reason", sa.Text, nullable=False),
        sa.Column("covered_until", sa.Date),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("qualification", JSON),
        sa.UniqueConstraint("tenant_id", "number"),
    )
    op.create_index("tickets_newest_first", "tickets", ["tenant_id", "opened_at", "id"])
    op.create_table(
        "question_trees",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("question_trees_by_category", "question_trees", ["tenant_id", "category", "created_at", "id"])
    op.create_table(
        "technicians",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("skills", JSON, nullable=False),
        sa.Column("work_starts", sa.Time, nullable=False),
        sa.Column("work_ends", sa.Time, nullable=False),
        sa.Column("working_days", JSON, nullable=False),
        sa.Column("van_location_id", sa.Uuid),
    )
    op.create_index("technicians_by_name", "technicians", ["tenant_id", "name", "id"])
    op.create_table(
        "standard_services",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("skill", sa.String(60)),
        sa.Column("checklist", JSON, nullable=False),
        sa.Column("parts", JSON, nullable=False),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    op.create_index("standard_services_by_code", "standard_services", ["tenant_id", "code", "id"])
    op.create_table(
        "interventions",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("ticket_id", sa.Uuid, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("technician_id", sa.Uuid, sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("service_id", sa.Uuid, sa.ForeignKey("standard_services.id")),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("checklist", JSON, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("labour_minutes", sa.Integer, nullable=False),
        sa.Column("travel_km", sa.Numeric(8, 2), nullable=False),
        sa.Column("parts", JSON, nullable=False),
        sa.Column("equipment_changes", JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("signer_name", sa.String(200)),
        sa.Column("signature_image", sa.Text),
        sa.Column("signed_at", sa.DateTime(timezone=True)),
        sa.Column("slip_hash", sa.String(64)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("slip_sent_to", sa.String(320)),
        sa.Column("slip_sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("ends_at > starts_at", name="slot_ends_after_it_starts"),
    )
    op.create_index("interventions_agenda", "interventions", ["tenant_id", "technician_id", "starts_at"])
    op.create_table(
        "warranty_returns",
        sa.Column("id", sa.Uuid, primary_key=True),
        tenant_column(),
        sa.Column("ticket_id", sa.Uuid, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("equipment_id", sa.Uuid, nullable=False),
        sa.Column("brand", sa.String(120), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("serial_number", sa.String(120), nullable=False),
        sa.Column("installed_on", sa.Date),
        sa.Column("fault_description", sa.Text, nullable=False),
        sa.Column("error_code", sa.String(60)),
        sa.Column("proof_of_purchase", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("history", JSON, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("tenant_id", "ticket_id"),
    )
    op.create_index("warranty_returns_newest_first", "warranty_returns", ["tenant_id", "requested_at", "id"])


def downgrade() -> None:
    for table in (
        "warranty_returns",
        "interventions",
        "standard_services",
        "technicians",
        "question_trees",
        "tickets",
        "counters",
        "articles",
        "locations",
        "handovers",
        "contracts",
        "equipment",
        "customers",
    ):
        op.drop_table(table)
