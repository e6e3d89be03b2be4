"""Identities remember how they were linked: conversation id, verification, time.

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversation_id', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('verified_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('linked_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_column('linked_at')
        batch_op.drop_column('verified_by')
        batch_op.drop_column('conversation_id')
