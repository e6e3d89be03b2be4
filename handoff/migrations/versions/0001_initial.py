"""Initial schema: agents, agent sessions, tickets, ticket events, messages.

Tables are prefixed `handoff_` and versions live in `handoff_alembic_version`, so the
service can share a database with the shop's store and Rasa's tracker store.

Revision ID: handoff_0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoff_agents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=True),
    )
    op.create_table(
        "handoff_agent_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("handoff_agents.id"), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handoff_id", sa.String(64), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False, index=True),
        sa.Column("top_intent", sa.String(64), nullable=True),
        sa.Column("top_confidence", sa.Float, nullable=True),
        sa.Column("queue", sa.String(32), nullable=False, index=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("priority_score", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("handoff_agents.id"), nullable=True),
        sa.Column("sla_due_at", TZ, nullable=False),
        sa.Column("escalation_level", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("first_response_at", TZ, nullable=True),
        sa.Column("last_shopper_at", TZ, nullable=True),
        sa.Column("last_agent_at", TZ, nullable=True),
        sa.Column("silence_notified_at", TZ, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("resolution_code", sa.String(32), nullable=True),
        sa.Column("csat", sa.Integer, nullable=True),
        sa.Column("csat_at", TZ, nullable=True),
        sa.Column("decided_at", sa.Float, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_table(
        "handoff_ticket_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=False, index=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("handoff_agents.id"), nullable=True),
        sa.Column("dedup_key", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.UniqueConstraint("ticket_id", "dedup_key", name="uq_handoff_messages_dedup"),
    )


def downgrade() -> None:
    for table in ("handoff_messages", "handoff_ticket_events", "handoff_tickets",
                  "handoff_agent_sessions", "handoff_agents"):
        op.drop_table(table)
