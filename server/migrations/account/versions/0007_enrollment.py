"""Enrollment at the counter (issue 21): the waitlist and what a drop or an overfill says.

An enrollment's status (enrolled, waitlist, offered, passed), what the desk asked for, its place
in the waitlist, the drop and overfill reasons, and who made the last change. The rows already
there are enrollments as before ("enrolled"); the defaults that say so are dropped after, so the
migrated schema equals a new one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 20:46:15.644027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_DEFAULTED = {"status": "enrolled", "asked": "enrolled", "drop_reason": "", "overfill_reason": "", "staff_id": ""}


def upgrade() -> None:
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(), nullable=False, server_default='enrolled'))
        batch_op.add_column(sa.Column('asked', sa.String(), nullable=False, server_default='enrolled'))
        batch_op.add_column(sa.Column('queued_usn', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drop_reason', sa.String(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('overfill_reason', sa.String(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('staff_id', sa.String(length=36), nullable=False, server_default=''))
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        for column in _DEFAULTED:
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('staff_id')
        batch_op.drop_column('overfill_reason')
        batch_op.drop_column('drop_reason')
        batch_op.drop_column('queued_usn')
        batch_op.drop_column('asked')
        batch_op.drop_column('status')
