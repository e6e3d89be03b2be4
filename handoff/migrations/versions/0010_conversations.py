"""Conversations read model: Rasa sessions (the metrics' contacts), events already folded in
(redelivery), the rating a shopper turn gave, and an index for the dashboard's period queries.

Revision ID: handoff_conversations_0009
Revises: handoff_studio_0008
Create Date: 2026-11-29
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "handoff_conversations_0009"
down_revision = "handoff_studio_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("started_at", sa.Float, nullable=False, index=True),
        sa.Column("last_at", sa.Float, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("customer", sa.String(255), nullable=True),
        sa.Column("shopper_turns", sa.Integer, nullable=False),
        sa.Column("last_user_at", sa.Float, nullable=True),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("fallbacks", sa.Integer, nullable=False),
        sa.Column("handed_off", sa.Boolean, nullable=False),
        sa.Column("csat", sa.Integer, nullable=True),
        sa.Column("loop_open", sa.Boolean, nullable=False),
        sa.Column("issue", sa.String(128), nullable=True),
        sa.Column("last_intent", sa.String(128), nullable=True),
        sa.Column("last_action", sa.String(64), nullable=True),
        sa.UniqueConstraint("sender_id", "started_at", name="uq_conversation_sessions_start"),
    )
    op.create_table(
        "conversation_events_seen",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
    )
    with op.batch_alter_table("studio_turns") as batch:
        batch.add_column(sa.Column("score", sa.Integer, nullable=True))
    op.create_index("ix_studio_turns_role_at", "studio_turns", ["role", "at"])
    _rate_recorded_turns()


def _rate_recorded_turns() -> None:
    """Ratings already recorded by the studio: their csat_value entity becomes the score."""
    turns = sa.table("studio_turns", sa.column("id", sa.Integer), sa.column("intent"),
                     sa.column("entities", sa.JSON), sa.column("score", sa.Integer))
    bind = op.get_bind()
    for tid, entities in bind.execute(sa.select(turns.c.id, turns.c.entities).where(
            turns.c.intent == "csat_score")).all():
        for ent in entities or []:
            match = re.search(r"[1-5]", str(ent.get("value"))) \
                if ent.get("entity") == "csat_value" else None
            if match:
                bind.execute(sa.update(turns).where(turns.c.id == tid)
                             .values(score=int(match.group(0))))
                break


def downgrade() -> None:
    op.drop_index("ix_studio_turns_role_at", table_name="studio_turns")
    with op.batch_alter_table("studio_turns") as batch:
        batch.drop_column("score")
    op.drop_table("conversation_events_seen")
    op.drop_table("conversation_sessions")
