"""The shop connector: the outbox of changes for the shop, and the webhook events seen.

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from common.shop.outbox import outbox_columns

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The columns are defined once, in common.shop.outbox; the handoff service's 0007 uses
    # them too.
    op.create_table('shop_outbox', *outbox_columns())
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
