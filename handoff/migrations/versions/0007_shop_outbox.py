"""The shop connector's outbox for what agents change (coupons, refunds, reships).

Revision ID: handoff_shop_outbox_0006
Revises: handoff_quality_0005
Create Date: 2026-11-29
"""
from alembic import op

from common.shop.outbox import outbox_columns

revision = "handoff_shop_outbox_0006"
down_revision = "handoff_quality_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The columns are defined once, in common.shop.outbox; the store's 0003 uses them too.
    op.create_table("handoff_shop_outbox", *outbox_columns())


def downgrade() -> None:
    op.drop_table("handoff_shop_outbox")
