"""Card calls a desk gave up on: card_abandon (sync.core.schema.CardAbandon), the tombstone per key.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('card_abandon',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('usn', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('message', sa.String(), nullable=False),
    sa.Column('gateway_ref', sa.String(), nullable=False),
    sa.Column('reversal_id', sa.String(length=36), nullable=True),
    sa.Column('card_brand', sa.String(), nullable=False),
    sa.Column('card_last4', sa.String(), nullable=False),
    sa.Column('why', sa.String(), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('desk_id', sa.String(length=36), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('card_abandon', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_abandon_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_abandon_usn'), ['usn'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card_abandon', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_abandon_usn'))
        batch_op.drop_index(batch_op.f('ix_card_abandon_family_id'))
    op.drop_table('card_abandon')
