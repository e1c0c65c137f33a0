"""The audit log refuses every rewrite and is hash-chained.

- SQLite: a BEFORE INSERT trigger refuses an entry whose id or place in the chain is taken
  (REPLACE deleted the old row without firing the DELETE trigger; upserts and second INSERTs too).
- audit_event.chain_no / prev_hash / hash (server.audit_chain), the chain's head in
  change_counter.audit_no / audit_hash; the entries made before are chained here, oldest first.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.audit_chain import GENESIS, entry_hash

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_REFUSE = "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event {_REFUSE}",
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event {_REFUSE}",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_overwrite BEFORE INSERT ON audit_event "
    "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
    "OR EXISTS (SELECT 1 FROM audit_event WHERE chain_no = NEW.chain_no) "
    f"{_REFUSE}",
)
_BATCH = 1000


def _rewrite_allowed(allowed: bool) -> None:
    """The append-only triggers off (allowed) or back on, for the chaining of the old entries."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE audit_event {'DISABLE' if allowed else 'ENABLE'} TRIGGER audit_event_append_only")
    elif allowed:
        for name in ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_overwrite"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for sql in _SQLITE_TRIGGERS:
            op.execute(sql)


def _chain_existing() -> tuple[int, str]:
    """Hash every entry there is, in the order of their ids (UUIDv7: the order they were made)."""
    conn = op.get_bind()
    events = sa.table(
        "audit_event", sa.column("id", sa.String), sa.column("at", sa.DateTime), sa.column("staff_id", sa.String),
        sa.column("desk_id", sa.String), sa.column("action", sa.String), sa.column("record_type", sa.String),
        sa.column("record_id", sa.String), sa.column("detail", sa.Text), sa.column("chain_no", sa.Integer),
        sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
    )  # fmt: skip
    chain_no, prev, pending = 0, GENESIS, []
    rows = conn.execute(sa.select(events.c.id, events.c.at, events.c.staff_id, events.c.desk_id, events.c.action,
                                  events.c.record_type, events.c.record_id, sa.cast(events.c.detail, sa.Text))
                       .order_by(events.c.id)).all()  # fmt: skip
    update = (
        events.update().where(events.c.id == sa.bindparam("b_id"))
        .values(chain_no=sa.bindparam("b_no"), prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash"))
    )  # fmt: skip
    for r in rows:
        chain_no += 1
        # The detail's text as it is stored: the hash covers what a verifier will read (server.audit_chain).
        h = entry_hash(chain_no, prev, r.id, r.at, r.staff_id, r.desk_id, r.action, r.record_type, r.record_id, r[7])
        pending.append({"b_id": r.id, "b_no": chain_no, "b_prev": prev, "b_hash": h})
        prev = h
        if len(pending) >= _BATCH:
            conn.execute(update, pending)
            pending = []
    if pending:
        conn.execute(update, pending)
    return chain_no, prev


def upgrade() -> None:
    with op.batch_alter_table('change_counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_no', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('audit_hash', sa.String(length=64), server_default=GENESIS, nullable=False))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_no', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _rewrite_allowed(True)
    chain_no, head = _chain_existing()
    # Its one row, live (id 1) or fenced (the old copy of a moved account, which `move-account` copies from).
    op.get_bind().execute(sa.text("UPDATE change_counter SET audit_no = :no, audit_hash = :hash"),
                          {"no": chain_no, "hash": head})  # fmt: skip
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('chain_no', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ux_audit_event_chain_no', ['chain_no'], unique=True)
    _rewrite_allowed(False)


def downgrade() -> None:
    _rewrite_allowed(True)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ux_audit_event_chain_no')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('chain_no')
    with op.batch_alter_table('change_counter', schema=None) as batch_op:
        batch_op.drop_column('audit_hash')
        batch_op.drop_column('audit_no')
    if op.get_bind().dialect.name == "postgresql":
        _rewrite_allowed(False)
    else:
        for sql in _SQLITE_TRIGGERS[:2]:
            op.execute(sql)
