"""Post-chat surveys (NPS, CES): asked and answered, per conversation.

Revision ID: handoff_surveys_0003
Revises: handoff_kb_0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_surveys_0003"
down_revision = "handoff_kb_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoff_surveys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("asked_at", TZ, nullable=False),
        sa.Column("answered_at", TZ, nullable=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("handoff_surveys")
