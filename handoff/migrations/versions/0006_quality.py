"""Quality inspection: a score and rule hits per ticket, sampling and the reviewer's verdict.

Revision ID: handoff_quality_0005
Revises: handoff_assist_0004
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_quality_0005"
down_revision = "handoff_assist_0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoff_quality",
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handoff_tickets.id"), primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("hits", sa.JSON, nullable=False),
        sa.Column("checked_at", TZ, nullable=False),
        sa.Column("sampled", sa.Boolean, nullable=False, index=True),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("verdict_note", sa.Text, nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.Column("reviewed_at", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("handoff_quality")
