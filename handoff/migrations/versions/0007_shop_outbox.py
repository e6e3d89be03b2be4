"""The shop connector's outbox for what agents change (coupons, refunds, reships).

Revision ID: handoff_shop_outbox_0006
Revises: handoff_quality_0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_shop_outbox_0006"
down_revision = "handoff_quality_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Same shape as common.shop.outbox.outbox_table, under the service's own table name.
    op.create_table(
        "handoff_shop_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("order_no", sa.String(32), nullable=False, index=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False, index=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", sa.DateTime, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("notice", sa.JSON, nullable=True),
        sa.Column("shopper_told", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("handoff_shop_outbox")
