"""The outbox: every change made at this desk, in order, until the server has answered for it.

It is the one file on a desk that cannot be downloaded again, so it is its own SQLite file with
synchronous=FULL: when `append` returns, the mutation survives a power cut. Rows are never
deleted: applied ones are history, rejected ones wait in "needs attention" with the server's
words. The file also holds this desk's id, made once when the file is created, so a desk's
(desk_id, seq) pairs never repeat: a new outbox is a new desk to the server.

Tables are plain SQLAlchemy Core on a private MetaData: they must never land in a server's
database through SQLModel.metadata.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
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
    func,
    select,
    update,
)

from sync import db
from sync.ids import new_id, utcnow
from sync.wire import Mutation, MutationResult

PENDING, APPLIED, REJECTED = "pending", "applied", "rejected"

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


class Outbox:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.engine: Engine = db.make_engine(self.path, synchronous="FULL")
        with db.write_session(self.engine) as s:
            _metadata.create_all(s.connection())
            desk_id = s.execute(select(meta.c.value).where(meta.c.key == "desk_id")).scalar_one_or_none()
            if desk_id is None:
                desk_id = new_id()
                s.execute(meta.insert().values(key="desk_id", value=desk_id))
        self.desk_id: str = desk_id

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
    ) -> Mutation:
        """Record one change; it is on disk (fsynced) when this returns.

        `mutation_id` and `made_at` let a caller that already applied a draft of the mutation
        (see DeskStore) record exactly that one.
        """
        json.dumps(payload)  # fail here, not at push time, on anything JSON cannot carry
        with db.write_session(self.engine) as s:
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
            s.execute(mutations.insert().values(**mutation.model_dump(), state=PENDING))
        return mutation

    def pending(self, limit: int | None = None) -> list[Mutation]:
        """Mutations the server has not answered for yet, oldest (lowest seq) first."""
        stmt = select(mutations).where(mutations.c.state == PENDING).order_by(mutations.c.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [_mutation(row) for row in conn.execute(stmt).mappings()]

    def get(self, ids: Sequence[str]) -> list[Mutation]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(mutations).where(mutations.c.id.in_(list(ids))).order_by(mutations.c.seq))
            return [_mutation(row) for row in rows.mappings()]

    def record_results(self, results: Sequence[MutationResult]) -> list[str]:
        """Store the server's answers; returns the ids that became rejected.

        Only pending rows change: an answer for a mutation already answered (a re-push after a
        lost response) cannot turn an applied one into something else.
        """
        newly_rejected: list[str] = []
        with db.write_session(self.engine) as s:
            for r in results:
                values: dict[str, Any] = {"state": APPLIED if r.status == "applied" else REJECTED}
                if r.status == "applied":
                    values["usn"] = r.usn
                else:
                    values["code"] = r.code or "rejected"
                    values["message"] = r.message or "The server did not accept this change."
                done = s.execute(
                    update(mutations)
                    .where(mutations.c.id == r.id, mutations.c.seq == r.seq, mutations.c.state == PENDING)
                    .values(**values)
                )
                if done.rowcount and r.status == "rejected":
                    newly_rejected.append(r.id)
        return newly_rejected

    def counts(self) -> dict[str, int]:
        """How many mutations are in each state (every state present, zero when none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(mutations.c.state, func.count()).group_by(mutations.c.state)).all()
        found = {state: n for state, n in rows}
        return {state: found.get(state, 0) for state in (PENDING, APPLIED, REJECTED)}

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(mutations.c.state == PENDING)).scalar_one()

    def rejected(self) -> list[tuple[Mutation, str, str]]:
        """Rejected mutations with the server's code and message, oldest first."""
        stmt = select(mutations).where(mutations.c.state == REJECTED).order_by(mutations.c.seq)
        with self.engine.connect() as conn:
            return [(_mutation(r), r["code"], r["message"]) for r in conn.execute(stmt).mappings()]


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
    )
