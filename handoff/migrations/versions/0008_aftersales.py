"""After-sales cases as work items, compensation grants with approvals, notes agents leave on
a customer, the agent's authority level and the customer of each ticket.

Revision ID: handoff_aftersales_0007
Revises: handoff_shop_outbox_0006
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_aftersales_0007"
down_revision = "handoff_shop_outbox_0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("handoff_agents") as batch:
        batch.add_column(sa.Column("level", sa.String(16), nullable=True))
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.add_column(sa.Column("customer_id", sa.String(64), nullable=True))
        batch.create_index("ix_handoff_tickets_customer_id", ["customer_id"])
    op.create_table(
        "handoff_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_ref", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("department", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True, index=True),
        sa.Column("order_id", sa.String(32), nullable=True, index=True),
        sa.Column("conversation_id", sa.String(255), nullable=True, index=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("photo_url", sa.String(500), nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=True),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("handoff_agents.id"), nullable=True),
        sa.Column("due_at", TZ, nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
    )
    op.create_table(
        "handoff_case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("handoff_cases.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "handoff_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False, index=True),
        sa.Column("order_id", sa.String(32), nullable=False, index=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("handoff_cases.id"), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requester_level", sa.String(16), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("limit_reason", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=True),
        sa.Column("shop_key", sa.String(64), nullable=True, unique=True),
    )
    op.create_table(
        "handoff_customer_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False, index=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handoff_customer_notes")
    op.drop_table("handoff_grants")
    op.drop_table("handoff_case_events")
    op.drop_table("handoff_cases")
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.drop_index("ix_handoff_tickets_customer_id")
        batch.drop_column("customer_id")
    with op.batch_alter_table("handoff_agents") as batch:
        batch.drop_column("level")
