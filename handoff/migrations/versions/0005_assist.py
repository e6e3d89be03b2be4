"""Live assist: the emotion of every shopper message of a handoff.

Revision ID: handoff_assist_0004
Revises: handoff_surveys_0003
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_assist_0004"
down_revision = "handoff_surveys_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_message_emotions",
        sa.Column("message_id", sa.Integer, sa.ForeignKey("handoff_messages.id"),
                  primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), nullable=False,
                  index=True),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("negative", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("cues", sa.JSON, nullable=False),
        sa.Column("risk_flags", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handoff_message_emotions")
