"""Delivery state of agent messages: queued, sent, delivered or failed (with the reason),
and the relay stream entry that carries it (none yet: the service must still enqueue it).

Revision ID: handoff_0002_delivery
Revises: handoff_0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_0002_delivery"
down_revision = "handoff_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_messages") as batch:
        batch.add_column(sa.Column("delivery", sa.String(16), nullable=True))
        batch.add_column(sa.Column("delivery_reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("relay_entry", sa.String(32), nullable=True))
    # Messages from before: they went through the relay already; say what was known then.
    op.execute("UPDATE handoff_messages SET relay_entry = 'before-upgrade' WHERE role = 'agent'")
    op.execute("UPDATE handoff_messages SET delivery = 'sent' "
               "WHERE role = 'agent' AND delivered_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("handoff_messages") as batch:
        batch.drop_column("relay_entry")
        batch.drop_column("delivery_reason")
        batch.drop_column("delivery")
