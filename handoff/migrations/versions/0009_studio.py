"""Designer studio: conversations and turns as the bot's event stream tells them (masked).

Revision ID: handoff_studio_0008
Revises: handoff_aftersales_0007
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_studio_0008"
down_revision = "handoff_aftersales_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studio_conversations",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("started_at", sa.Float, nullable=False, index=True),
        sa.Column("last_at", sa.Float, nullable=False, index=True),
        sa.Column("shopper_turns", sa.Integer, nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("handed_off", sa.Boolean, nullable=False),
        sa.Column("csat", sa.Integer, nullable=True),
        sa.Column("flow_open", sa.Boolean, nullable=False),
        sa.Column("flow_abandoned", sa.Boolean, nullable=False),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
    )
    op.create_table(
        "studio_turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("dedup", sa.String(160), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("pieces", sa.JSON, nullable=False),
        sa.Column("intent", sa.String(128), nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("emotion", sa.String(16), nullable=True),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("corrected_intent", sa.String(128), nullable=True),
        sa.Column("corrected_entities", sa.JSON, nullable=True),
        sa.Column("corrected_actions", sa.JSON, nullable=True),
        sa.Column("corrected_by", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("conversation_id", "dedup", name="uq_studio_turns_dedup"),
    )


def downgrade() -> None:
    op.drop_table("studio_turns")
    op.drop_table("studio_conversations")
