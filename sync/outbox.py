"""The outbox: every change made at this desk, in order, until the server has answered for it.

It is the one file on a desk that cannot be downloaded again, so it is its own SQLite file with
synchronous=FULL: when `append` returns, the mutation survives a power cut. Rows are never
deleted: applied ones are history, rejected ones wait in "needs attention" with the server's
words. The file also holds this desk's id, made once when the file is created, so a desk's
(desk_id, seq) pairs never repeat: a new outbox is a new desk to the server. Its `meta` table
keeps the desk's code for receipt numbers (from the server's sign-in) and the receipt counter,
which moves in the same transaction as the append of the change that prints the number, so a
crash can never hand the same receipt number out twice.

Tables are plain SQLAlchemy Core on a private MetaData: they must never land in a server's
database through SQLModel.metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)

from sqlalchemy.exc import OperationalError

from sync import db
from sync.errors import StorageError
from sync.core.ids import new_id, utcnow
from sync.core.wire import Mutation, MutationResult

PENDING, APPLIED, REJECTED = "pending", "applied", "rejected"
# A rejected mutation that staff dealt with: sent again as a new mutation, or let go (audited by
# the DISCARD mutation that replaces it). Both stay in the file as history.
RETRIED, DISCARDED = "retried", "discarded"
STATES = (PENDING, APPLIED, REJECTED, RETRIED, DISCARDED)

DAMAGED = (
    "The file that keeps this desk's unsent work ({path}) is damaged. It has been kept as it is and nothing "
    "more can be recorded here until it is looked at. Please call support before doing anything else on this desk."
)
DISK_FULL = (
    "This computer's disk is full, so this change was not recorded. Everything recorded before is safe. "
    "Free some disk space (or call support), then do it again."
)
DESK_CODE = "desk_code"  # meta key: this desk's code in receipt numbers, handed out by the server
RECEIPT_COUNTER = "receipt_counter"  # meta key: the last receipt number this desk used

WRITE_FAILED = "This desk could not save the change ({reason}). Everything recorded before is safe; try again or call support."

_metadata = MetaData()
meta = Table(
    "meta",
    _metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
mutations = Table(
    "mutations",
    _metadata,
    Column("id", String(36), primary_key=True),
    Column("desk_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("staff_id", String(36), nullable=False),
    Column("made_at", DateTime, nullable=False),
    Column("type", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False, default=PENDING, index=True),
    Column("code", String, nullable=True),
    Column("message", String, nullable=True),
    Column("usn", Integer, nullable=True),
    UniqueConstraint("desk_id", "seq"),
)
# The proof that a mutation's staff member signed in at this desk (sync.core.staff_proof), beside the
# mutation rather than a column of it: create_all adds a table to an existing outbox file, never
# a column, and the outbox is the one file a desk cannot download again.
mutation_proofs = Table(
    "mutation_proofs",
    _metadata,
    Column("mutation_id", String(36), primary_key=True),
    Column("proof", String(128), nullable=False),
)

# Card calls sent and not answered yet (sync.money_desk), each with the abandon to record if the
# desk gives up on it (sync.core.card_abandon; no card data). A row still here when the desk starts
# again is a call the desk was killed in the middle of: it is given up on then.
card_calls = Table(
    "card_calls",
    _metadata,
    Column("key", String(36), primary_key=True),
    Column("staff_id", String(36), nullable=False),
    Column("abandon", JSON, nullable=False),
    Column("started_at", DateTime, nullable=False),
)


class OutboxDamaged(StorageError):
    """The outbox file fails its integrity check: it is kept untouched and nothing is recorded."""

    def __init__(self, path: Path):
        super().__init__(DAMAGED.format(path=path), code="outbox_damaged")
        self.path = path


class Outbox:
    def __init__(self, path: Path):
        """Raises OutboxDamaged (and leaves the file exactly as it was) when the file is corrupt."""
        self.path = Path(path)
        existed = self.path.exists() and self.path.stat().st_size > 0
        if existed:
            check_intact(self.path)
        self.engine: Engine = db.make_engine(self.path, synchronous="FULL")
        with db.write_session(self.engine) as s:
            _metadata.create_all(s.connection())
            desk_id = s.execute(select(meta.c.value).where(meta.c.key == "desk_id")).scalar_one_or_none()
            if desk_id is None:
                if existed and s.execute(select(func.count()).select_from(mutations)).scalar_one():
                    # Work without a desk id cannot be sent under a new one (its seqs would be reused).
                    self.engine.dispose()
                    raise OutboxDamaged(self.path)
                desk_id = new_id()
                s.execute(meta.insert().values(key="desk_id", value=desk_id))
        self.desk_id: str = desk_id
        # The proof of each staff member's session at this desk now (sync.core.staff_proof), set at
        # every sign-in and unlock; each mutation they make carries it.
        self.staff_proofs: dict[str, str] = {}

    def close(self) -> None:
        self.engine.dispose()

    def append(
        self,
        staff_id: str,
        type: str,
        payload: dict[str, Any],
        *,
        mutation_id: str | None = None,
        made_at: dt.datetime | None = None,
        receipt_counter: int | None = None,
    ) -> Mutation:
        """Record one change; it is on disk (fsynced) when this returns.

        `mutation_id` and `made_at` let a caller that already applied a draft of the mutation
        (see DeskStore) record exactly that one. `receipt_counter`: the change carries receipt
        number `receipt_counter` (the one after `receipt_counter()`), taken in this transaction.
        """
        json.dumps(payload)  # fail here, not at push time, on anything JSON cannot carry
        with _storage_errors(), db.write_session(self.engine) as s:
            if receipt_counter is not None:
                self._take_counter(s, expected=receipt_counter)
            return self._append(s, staff_id, type, payload, mutation_id=mutation_id, made_at=made_at)

    # -- card calls under way ------------------------------------------------------------------

    def begin_card_call(self, key: str, staff_id: str, abandon: dict[str, Any]) -> None:
        """Before a card call is sent: on disk (fsynced) when this returns."""
        with _storage_errors(), db.write_session(self.engine) as s:
            s.execute(card_calls.insert().values(key=key, staff_id=staff_id, abandon=abandon, started_at=utcnow()))

    def end_card_call(self, key: str) -> None:
        """The call was answered: nothing to give up on."""
        with _storage_errors(), db.write_session(self.engine) as s:
            s.execute(card_calls.delete().where(card_calls.c.key == key))

    def abandon_card_call(self, key: str, why: str, abandon_type: str, *, mutation_id: str | None = None,
                          made_at: dt.datetime | None = None) -> Mutation | None:  # fmt: skip
        """Give up on a call: its row becomes an `abandon_type` mutation, in one transaction (a crash
        leaves one or the other, never neither). None when it was answered or given up on already."""
        with _storage_errors(), db.write_session(self.engine) as s:
            row = s.execute(select(card_calls).where(card_calls.c.key == key)).mappings().first()
            if row is None:
                return None
            s.execute(card_calls.delete().where(card_calls.c.key == key))
            return self._append(s, row["staff_id"], abandon_type, {**row["abandon"], "why": why},
                                mutation_id=mutation_id, made_at=made_at)  # fmt: skip

    def card_call(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """(staff_id, abandon payload) of a call under way."""
        with self.engine.connect() as conn:
            row = conn.execute(select(card_calls).where(card_calls.c.key == key)).mappings().first()
        return (row["staff_id"], dict(row["abandon"])) if row is not None else None

    def card_calls_under_way(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(card_calls.c.key).order_by(card_calls.c.started_at)).scalars())

    # -- receipt numbers ----------------------------------------------------------------------

    def desk_code(self) -> str | None:
        """This desk's code in receipt numbers, or None before a first sign-in while online."""
        with self.engine.connect() as conn:
            return _meta(conn, DESK_CODE)

    def set_desk_code(self, code: str) -> None:
        with _storage_errors(), db.write_session(self.engine) as s:
            _set_meta(s, DESK_CODE, code)

    def receipt_counter(self) -> int:
        """The last receipt counter used at this desk (0 before the first receipt)."""
        with self.engine.connect() as conn:
            return int(_meta(conn, RECEIPT_COUNTER) or 0)

    def take_receipt_counter(self) -> int:
        """Take the next receipt counter on its own (a card payment takes it before its first attempt)."""
        with _storage_errors(), db.write_session(self.engine) as s:
            return self._take_counter(s)

    @staticmethod
    def _take_counter(s: Any, expected: int | None = None) -> int:
        taken = int(_meta(s, RECEIPT_COUNTER) or 0) + 1
        if expected is not None and expected != taken:
            # Only the one writer thread takes numbers; a mismatch is a bug, never a reused number.
            raise RuntimeError(f"receipt counter moved: expected {expected}, next is {taken}")
        _set_meta(s, RECEIPT_COUNTER, str(taken))
        return taken

    def _append(
        self,
        s: Any,
        staff_id: str,
        type: str,
        payload: dict[str, Any],
        *,
        mutation_id: str | None = None,
        made_at: dt.datetime | None = None,
    ) -> Mutation:
        last = s.execute(select(func.max(mutations.c.seq)).where(mutations.c.desk_id == self.desk_id)).scalar()
        mutation = Mutation(
            id=mutation_id or new_id(),
            desk_id=self.desk_id,
            seq=(last or 0) + 1,
            staff_id=staff_id,
            made_at=made_at or utcnow(),
            type=type,
            payload=payload,
        )
        proof = self.staff_proofs.get(staff_id)
        if proof is not None:
            mutation.staff_proof = proof
            s.execute(mutation_proofs.insert().values(mutation_id=mutation.id, proof=proof))
        s.execute(mutations.insert().values(**mutation.model_dump(exclude={"staff_proof"}), state=PENDING))
        return mutation

    def retry(self, mutation_id: str, staff_id: str) -> Mutation:
        """Send a rejected mutation again: the same change as a new mutation at the end of the queue.

        A new id and seq, because the server answers a known (desk_id, seq) with its first result.
        The old row stays, marked retried. Raises LookupError when it is not (or no longer) rejected.
        """
        with _storage_errors(), db.write_session(self.engine) as s:
            old = self._take_rejected(s, mutation_id, RETRIED)
            return self._append(s, staff_id, old.type, old.payload)

    def discard(self, mutation_id: str, staff_id: str, discard_type: str, reason: str = "") -> Mutation:
        """Let a rejected mutation go; the returned `discard_type` mutation tells the server (audit)."""
        with _storage_errors(), db.write_session(self.engine) as s:
            row = s.execute(select(mutations).where(mutations.c.id == mutation_id)).mappings().first()
            old = self._take_rejected(s, mutation_id, DISCARDED)
            payload = {
                "mutation_id": old.id,
                "seq": old.seq,
                "type": old.type,
                "code": row["code"] if row else None,
                "reason": reason,
                "payload": old.payload,
            }
            return self._append(s, staff_id, discard_type, payload)

    def _take_rejected(self, s: Any, mutation_id: str, new_state: str) -> Mutation:
        row = s.execute(
            select(mutations).where(mutations.c.id == mutation_id, mutations.c.state == REJECTED)
        ).mappings().first()
        if row is None:
            raise LookupError(f"mutation {mutation_id} is not waiting in needs attention")
        s.execute(update(mutations).where(mutations.c.id == mutation_id).values(state=new_state))
        return _mutation(row)

    def pending(self, limit: int | None = None) -> list[Mutation]:
        """Mutations the server has not answered for yet, oldest (lowest seq) first."""
        stmt = _with_proofs().where(mutations.c.state == PENDING).order_by(mutations.c.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [_mutation(row) for row in conn.execute(stmt).mappings()]

    def get(self, ids: Sequence[str]) -> list[Mutation]:
        with self.engine.connect() as conn:
            rows = conn.execute(_with_proofs().where(mutations.c.id.in_(list(ids))).order_by(mutations.c.seq))
            return [_mutation(row) for row in rows.mappings()]

    def record_results(self, results: Sequence[MutationResult]) -> list[str]:
        """Store the server's answers; returns the ids that became rejected.

        Only pending rows change: an answer for a mutation already answered (a re-push after a
        lost response) cannot turn an applied one into something else.
        """
        newly_rejected: list[str] = []
        with db.write_session(self.engine) as s:
            applied = [{"b_id": r.id, "b_seq": r.seq, "b_usn": r.usn} for r in results if r.status == "applied"]
            if applied:  # the usual answer, a whole batch applied: one executemany
                s.execute(
                    update(mutations)
                    .where(mutations.c.id == bindparam("b_id"), mutations.c.seq == bindparam("b_seq"), mutations.c.state == PENDING)
                    .values(state=APPLIED, usn=bindparam("b_usn")),
                    applied,
                )
            for r in results:
                if r.status == "applied":
                    continue
                values: dict[str, Any] = {
                    "state": REJECTED,
                    "code": r.code or "rejected",
                    "message": r.message or "The server did not accept this change.",
                }
                done = s.execute(
                    update(mutations)
                    .where(mutations.c.id == r.id, mutations.c.seq == r.seq, mutations.c.state == PENDING)
                    .values(**values)
                )
                if done.rowcount:
                    newly_rejected.append(r.id)
        return newly_rejected

    def counts(self) -> dict[str, int]:
        """How many mutations are in each state (every state present, zero when none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(mutations.c.state, func.count()).group_by(mutations.c.state)).all()
        found = {state: n for state, n in rows}
        # Retried and discarded rows are history: staff already dealt with them.
        return {state: found.get(state, 0) for state in (PENDING, APPLIED, REJECTED)}

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(mutations.c.state == PENDING)).scalar_one()

    def rejected(self) -> list[tuple[Mutation, str, str]]:
        """Rejected mutations with the server's code and message, oldest first."""
        stmt = select(mutations).where(mutations.c.state == REJECTED).order_by(mutations.c.seq)
        with self.engine.connect() as conn:
            return [(_mutation(r), r["code"], r["message"]) for r in conn.execute(stmt).mappings()]


def check_intact(path: Path) -> None:
    """PRAGMA quick_check on a read-only connection: raises OutboxDamaged, never writes the file."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = [r[0] for r in con.execute("PRAGMA quick_check").fetchall()]
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        verdict = [str(exc)]
    if verdict != ["ok"]:
        raise OutboxDamaged(path)


def set_aside(path: Path, now: dt.datetime | None = None) -> Path:
    """Staff chose to go on at a desk whose outbox is damaged: move the file aside, never delete it.

    The damaged file (with its -wal and -shm) is renamed beside itself, for support to recover
    what it holds; the next Outbox(path) starts a new one, under a new desk id (its seqs are new).
    Returns the new name of the file.
    """
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    for suffix in ("-wal", "-shm", ""):
        src = Path(f"{path}{suffix}")
        if src.exists():
            src.rename(Path(f"{target}{suffix}"))
    return target


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    """A write the disk refused becomes a StorageError in words; the transaction was rolled back."""
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig if exc.orig is not None else exc).lower()
        if "full" in text:
            raise StorageError(DISK_FULL, code="disk_full") from exc
        if "malformed" in text or "not a database" in text:
            raise StorageError(WRITE_FAILED.format(reason="its file is damaged"), code="outbox_damaged") from exc
        if "readonly" in text or "i/o" in text or "disk" in text:
            raise StorageError(WRITE_FAILED.format(reason=text), code="write_failed") from exc
        raise


def _meta(conn: Any, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def _set_meta(s: Any, key: str, value: str) -> None:
    done = s.execute(update(meta).where(meta.c.key == key).values(value=value))
    if not done.rowcount:
        s.execute(meta.insert().values(key=key, value=value))


def _with_proofs() -> Any:
    """Mutations with their proofs (sync.core.staff_proof), when they have one."""
    return select(mutations, mutation_proofs.c.proof).select_from(
        mutations.outerjoin(mutation_proofs, mutation_proofs.c.mutation_id == mutations.c.id))


def _mutation(row: Any) -> Mutation:
    made_at: dt.datetime = row["made_at"]
    return Mutation(
        id=row["id"],
        desk_id=row["desk_id"],
        seq=row["seq"],
        staff_id=row["staff_id"],
        made_at=made_at,
        type=row["type"],
        payload=row["payload"],
        staff_proof=row.get("proof"),
    )
