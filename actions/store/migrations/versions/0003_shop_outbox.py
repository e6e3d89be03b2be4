"""The shop connector: the outbox of changes for the shop, and the webhook events seen.

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'shop_outbox',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('order_no', sa.String(32), nullable=False, index=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('idempotency_key', sa.String(80), nullable=False, unique=True),
        sa.Column('status', sa.String(16), nullable=False, index=True),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False, index=True),
        sa.Column('claimed_by', sa.String(64), nullable=True),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('reference', sa.String(64), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('conversation_id', sa.String(255), nullable=True),
        sa.Column('notice', sa.JSON(), nullable=True),
        sa.Column('shopper_told', sa.String(16), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
    )
    # Webhook event ids already applied (replays are acknowledged and ignored), and the
    # sync's cursor into the shop's event feed.
    op.create_table(
        'shop_events_seen',
        sa.Column('event_id', sa.String(80), primary_key=True),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False, index=True),
    )
    op.create_table(
        'shop_sync_state',
        sa.Column('name', sa.String(32), primary_key=True),
        sa.Column('value', sa.String(200), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('shop_sync_state')
    op.drop_table('shop_events_seen')
    op.drop_table('shop_outbox')
