"""The fast path of push for a run of attendance marks and check-ins: the bulk of a day's work.

It means exactly what `sync.core.mutations` means for an attendance mark or a check-in and what
`server.push` records for it, but reads what the run refers to with a few queries up front and writes the run's rows with
one executemany per table at the end, instead of ~16 ORM statements per mutation (profiled: the
ORM's identity map, flushes and savepoints were ~95% of the server's time). The rows are built as
tuples in the tables' column order and the lookups are plain SQL: SQLAlchemy's per-row parameter
handling and its expanding IN compilation were the larger part of what was left (bench.sync_push).

Why this keeps the guarantees:
- every check (payload, staff, permission, student, location, class) is decided in memory before anything of
  the mutation is written, so a rejected mark leaves nothing partial and needs no savepoint;
- the run reads nothing before it holds the change counter's row lock, which every write of a
  record takes (`next_usn`), and keeps it to the batch's commit: in SQLite the batch is one
  IMMEDIATE transaction anyway; in PostgreSQL (READ COMMITTED) each read after the lock sees every
  earlier write committed and no later one can begin. So what was read up front cannot change
  under us, and the change numbers handed out here are the counter's next ones;
- the UNIQUE constraints of applied_mutation still refuse a second copy when the rows are inserted:
  the batch then rolls back whole, exactly as before.

SQLite and PostgreSQL get the same statements (ON CONFLICT is both's), with the driver's own
placeholders, and the values go through the bind processors SQLAlchemy uses for these columns on
that database: the rows are stored exactly as the ORM stores them. On PostgreSQL the run is then
~8 round trips for a register instead of ~16 per mark (bench.load: through PgBouncer, a register
of 8 marks pushed one by one was the slowest request of all), and a check-in ~10 instead of ~20.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Dialect, update
from sqlmodel import Session

from server.account_db import AppliedMutation, AuditEvent, ChangeCounter
from server.audit_chain import canonical_detail, entry_hash
from server.permissions import permission_refusal
from server.staff_proof import STAFF_UNPROVEN
from server.tokens import AccessClaims
from sync.core.ids import new_id, utcnow
from sync.core.mutations import ATTENDANCE_MARK, CHECK_IN, AttendancePayload, CheckInPayload, Rejected, parse_payload
from sync.core.schema import Attendance, AttendanceMark, CheckIn, Staff, attendance_id
from sync.core.wire import Mutation, MutationResult

_counter = ChangeCounter.__table__

STUDENT_GONE = "This student is no longer on file; the change was not recorded."
SESSION_GONE = "This class is no longer on the schedule; the change was not recorded."
LOCATION_GONE = "This location is no longer on file; the check-in was not recorded."
OTHER_LOCATION = "That class is at another location; the check-in was not recorded."
NO_MARK = "The check-in named a class but no attendance mark."

# The columns written, in this order. Checked against the tables below: a column added to one of
# them must be written here too (raw SQL would leave out a Python-side default the ORM fills in).
_MARK_COLUMNS = ("id", "usn", "session_id", "student_id", "status", "staff_id", "desk_id", "made_at")
_CHECK_IN_COLUMNS = ("id", "usn", "student_id", "location_id", "session_id", "staff_id", "desk_id", "checked_in_at")
_REGISTER_COLUMNS = ("id", "usn", "session_id", "student_id", "status", "mark_id", "marked_at", "staff_id")
_APPLIED_COLUMNS = ("mutation_id", "desk_id", "seq", "staff_id", "type", "status", "code", "message", "usn", "applied_at")
_AUDIT_COLUMNS = ("id", "at", "staff_id", "desk_id", "action", "record_type", "record_id", "detail", "chain_no", "prev_hash", "hash")
for _table, _columns in ((AttendanceMark, _MARK_COLUMNS), (CheckIn, _CHECK_IN_COLUMNS), (Attendance, _REGISTER_COLUMNS),
                         (AppliedMutation, _APPLIED_COLUMNS), (AuditEvent, _AUDIT_COLUMNS)):  # fmt: skip
    if set(_table.__table__.columns.keys()) != set(_columns):  # type: ignore[attr-defined]
        raise RuntimeError(f"server.push_marks does not write every column of {_table.__tablename__}")


def _insert(table: str, columns: Sequence[str], conflict: str = "") -> str:
    names = ", ".join(f'"{n}"' for n in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))}) {conflict}'


_INSERT_MARK = _insert("attendance_mark", _MARK_COLUMNS)
_INSERT_CHECK_IN = _insert("check_in", _CHECK_IN_COLUMNS)
# The register row of (class, student): the run's last mark of it, over what was there.
_UPSERT_REGISTER = _insert("attendance", _REGISTER_COLUMNS,
                           'ON CONFLICT("id") DO UPDATE SET usn = excluded.usn, status = excluded.status, '
                           "mark_id = excluded.mark_id, marked_at = excluded.marked_at, staff_id = excluded.staff_id")  # fmt: skip
_INSERT_APPLIED = _insert("applied_mutation", _APPLIED_COLUMNS)  # UNIQUE(desk_id, seq) and the primary key still hold
_INSERT_AUDIT = _insert("audit_event", _AUDIT_COLUMNS)

for _table, _column in ((AttendanceMark, "made_at"), (CheckIn, "checked_in_at"), (Attendance, "marked_at"), (AppliedMutation, "applied_at")):
    assert type(_table.__table__.c[_column].type) is type(AuditEvent.__table__.c.at.type)  # type: ignore[attr-defined]


def _identity(value: Any) -> Any:
    return value


class _Driver:
    """What differs between the databases: the driver's placeholder, and how a datetime is handed
    to it (SQLite: text; PostgreSQL: a datetime). The audit's JSON goes as text to both (MarkRun.audit)."""

    def __init__(self, dialect: Dialect):
        # The statements are written with "?" (no "?" in them otherwise); psycopg takes "%s".
        self.placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        at = AuditEvent.__table__.c.at.type  # type: ignore[attr-defined]
        self.datetime = at.dialect_impl(dialect).bind_processor(dialect) or _identity

    def sql(self, statement: str) -> str:
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)


_drivers: dict[tuple[str, str], _Driver] = {}


def _driver_of(dialect: Dialect) -> _Driver:
    # One per kind of database, not per engine (every account's engine has a dialect of its own).
    key = (dialect.name, dialect.paramstyle)
    driver = _drivers.get(key)
    if driver is None:
        driver = _drivers[key] = _Driver(dialect)
    return driver

_STATUSES = frozenset(AttendancePayload.model_fields["status"].annotation.__args__)  # type: ignore[union-attr]
_PAYLOAD_KEYS = frozenset(AttendancePayload.model_fields)
_IN_CHUNK = 900  # bound values per IN list: under SQLite's oldest limit of 999


def fast(m: Mutation) -> bool:
    return m.type in (ATTENDANCE_MARK, CHECK_IN)


def _plain_payload(payload: Any) -> tuple[str, str, str, str] | None:
    """(mark_id, session_id, student_id, status) of a payload AttendancePayload would take as it is,
    or None: pydantic then decides (and words the refusal). Only plain strings pass here, which
    pydantic takes unchanged too; this skips building a model per mark."""
    if type(payload) is not dict or payload.keys() != _PAYLOAD_KEYS:
        return None
    mark_id, session_id, student_id, status = (payload["mark_id"], payload["session_id"], payload["student_id"],
                                               payload["status"])  # fmt: skip
    for v in (mark_id, session_id, student_id):
        if type(v) is not str or not 1 <= len(v) <= 36:
            return None
    if type(status) is not str or status not in _STATUSES:
        return None
    return mark_id, session_id, student_id, status


class MarkRun:
    """One run of consecutive attendance marks and check-ins of a batch, applied in memory then
    written at once."""

    def __init__(self, db: Session, token: AccessClaims, run: Sequence[Mutation], *, messages: dict[str, str],
                 proven: Callable[[Mutation], bool] = lambda m: False):  # fmt: skip
        """`proven(m)`: whether m may carry its staff id (server.staff_proof.proven)."""
        self.db, self.token, self.messages = db, token, messages
        self.proven = proven
        self.conn = db.connection()
        self.driver = _driver_of(self.conn.dialect)
        # Touching the counter row takes its lock (as next_usn does), whatever the database; the
        # audit chain's head comes with it (server.audit_chain), so chaining costs no round trip.
        self.usn, self.audit_no, self.audit_hash = db.execute(
            update(_counter).where(_counter.c.id == 1).values(usn=_counter.c.usn)
            .returning(_counter.c.usn, _counter.c.audit_no, _counter.c.audit_hash)).one()  # fmt: skip
        self.first_usn, self.first_audit_no = self.usn, self.audit_no
        # What the run refers to, in two statements (on PostgreSQL each is a round trip, all of
        # them made while this account's other pushes wait for the counter's lock).
        # applied_mutation rows as (mutation_id, seq, status, usn, code, message): a result's fields
        applied = self._union([
            ("seq", "SELECT 'seq', mutation_id, seq, status, usn, code, message FROM applied_mutation WHERE desk_id = ? AND seq IN ({})",
             [m.seq for m in run if m.desk_id == token.desk_id], (token.desk_id,)),
            ("id", "SELECT 'id', mutation_id, seq, status, usn, code, message FROM applied_mutation WHERE mutation_id IN ({})",
             [m.id for m in run], ()),
        ])  # fmt: skip
        self.by_seq: dict[int, tuple] = {r[1]: r for r in applied["seq"]}
        self.known_ids: set[str] = {r[0] for r in applied["id"]}
        payloads = [m.payload if isinstance(m.payload, dict) else {} for m in run]
        check_ins = [p for m, p in zip(run, payloads, strict=True) if m.type == CHECK_IN]
        # Rows as (id, a text, a number): a class's location, a mark's change number.
        found = self._union([
            ("student", "SELECT 'student', id, CAST(NULL AS VARCHAR(36)), CAST(NULL AS BIGINT) FROM student WHERE id IN ({})",
             _ids({p.get("student_id") for p in payloads}), ()),
            ("class", "SELECT 'class', id, location_id, CAST(NULL AS BIGINT) FROM class_session WHERE id IN ({})",
             _ids({p.get("session_id") for p in payloads}), ()),
            ("location", "SELECT 'location', id, CAST(NULL AS VARCHAR(36)), CAST(NULL AS BIGINT) FROM location WHERE id IN ({})",
             _ids({p.get("location_id") for p in check_ins}), ()),
            ("check_in", "SELECT 'check_in', id, CAST(NULL AS VARCHAR(36)), CAST(NULL AS BIGINT) FROM check_in WHERE id IN ({})",
             _ids({p.get("check_in_id") for p in check_ins}), ()),
            ("mark", "SELECT 'mark', id, CAST(NULL AS VARCHAR(36)), usn FROM attendance_mark WHERE id IN ({})",
             _ids({p.get("mark_id") for p in payloads}), ()),
        ])  # fmt: skip
        self.students = {r[0] for r in found["student"]}
        self.sessions: dict[str, str] = {r[0]: r[1] for r in found["class"]}  # a check-in's class must be at its location
        self.locations = {r[0] for r in found["location"]}
        self.check_ins = {r[0] for r in found["check_in"]}
        self.mark_usn: dict[str, int | None] = {r[0]: r[2] for r in found["mark"]}
        self.new_check_ins: list[tuple] = []
        self.new_marks: list[tuple] = []
        self.registers: dict[str, tuple] = {}
        self.applied: list[tuple] = []
        self.audits: list[tuple] = []
        self.staff: dict[str, Staff | None] = {}
        self.sources: dict[str, str] = {}
        self.now = utcnow()  # the run is one transaction: one server time for its rows
        self.now_value = self.driver.datetime(self.now)
        self.refusals: dict[tuple[str, str], Rejected | None] = {}

    def _rows(self, sql: str, values: Sequence, *lead: Any) -> list:
        found: list = []
        for i in range(0, len(values), _IN_CHUNK):
            chunk = values[i : i + _IN_CHUNK]
            sql_chunk = self.driver.sql(sql.format(", ".join("?" * len(chunk))))
            found += self.conn.exec_driver_sql(sql_chunk, (*lead, *chunk)).fetchall()
        return found

    def _union(self, lookups: Sequence[tuple[str, str, Sequence, tuple]]) -> dict[str, list[tuple]]:
        """The rows of several lookups, each (name, SQL selecting its name then the same columns
        as the others, with {} for an IN list, the list, values before it), by name: one
        statement (UNION ALL) when every value fits in one, else one per lookup and chunk."""
        found: dict[str, list[tuple]] = {name: [] for name, *_ in lookups}
        wanted = [lookup for lookup in lookups if lookup[2]]
        if not wanted:
            return found
        if sum(len(values) + len(lead) for _, _, values, lead in wanted) <= _IN_CHUNK:
            sql = " UNION ALL ".join(q.format(", ".join("?" * len(values))) for _, q, values, _ in wanted)
            rows = self.conn.exec_driver_sql(self.driver.sql(sql), tuple(v for _, _, values, lead in wanted for v in (*lead, *values)))
            for row in rows:
                found[row[0]].append(tuple(row[1:]))
            return found
        for name, q, values, lead in wanted:
            found[name] = [tuple(r[1:]) for r in self._rows(q, values, *lead)]
        return found

    # -- one mutation --------------------------------------------------------------------------

    def push_one(self, m: Mutation, reject_unrecorded: Callable[[Mutation, str, str], MutationResult]) -> MutationResult:
        if m.desk_id != self.token.desk_id:
            return reject_unrecorded(m, "forbidden", self.messages["other_desk"])
        prior = self.by_seq.get(m.seq)
        if prior is not None:
            if prior[0] == m.id:
                return _result(*prior)
            return reject_unrecorded(m, "seq_reused", self.messages["seq_reused"])
        if m.id in self.known_ids:
            return reject_unrecorded(m, "invalid", self.messages["id_reused"])
        staff = self._staff(m.staff_id)
        if staff is None or not staff.active:
            return self._record(m, Rejected("forbidden", self.messages["staff"]), ())
        if m.staff_id != self.token.staff_id and not self.proven(m):
            # Recorded under the one whose token pushed it, never the name it claimed (server.push).
            return self._record(m, Rejected("forbidden", STAFF_UNPROVEN), (), by=self.token.staff_id)
        key = (m.staff_id, m.type)  # the run is one transaction: the answer holds for all of it
        if key not in self.refusals:
            self.refusals[key] = permission_refusal(self.db, self.token, staff, m.type)
        refused = self.refusals[key]
        if refused is not None:
            return self._record(m, refused, ())
        try:
            written = self._check_in(m) if m.type == CHECK_IN else self._mark(m)
        except Rejected as rejected:
            return self._record(m, rejected, ())
        return self._record(m, None, written)

    def _check_in(self, m: Mutation) -> tuple[tuple[str, str, int], ...]:
        """As sync.core.mutations._check_in: the arrival (once), and with a class its mark."""
        p = parse_payload(m)  # raises Rejected with pydantic's words
        assert isinstance(p, CheckInPayload)
        if p.student_id not in self.students:
            raise Rejected("not_found", STUDENT_GONE)
        if p.location_id not in self.locations:
            raise Rejected("not_found", LOCATION_GONE)
        if p.session_id is not None:
            if p.session_id not in self.sessions:
                raise Rejected("not_found", SESSION_GONE)
            if self.sessions[p.session_id] != p.location_id:
                raise Rejected("invalid", OTHER_LOCATION)
            if p.mark_id is None:
                raise Rejected("invalid", NO_MARK)
        written: tuple[tuple[str, str, int], ...] = ()
        if p.check_in_id not in self.check_ins:  # decided above: nothing below can refuse it now
            self.usn += 1
            self.check_ins.add(p.check_in_id)
            self.new_check_ins.append((p.check_in_id, self.usn, p.student_id, p.location_id, p.session_id, m.staff_id,
                                       m.desk_id, self.driver.datetime(p.checked_in_at)))  # fmt: skip
            written = (("check_in", p.check_in_id, self.usn),)
        if p.session_id is not None and p.mark_id is not None:
            written += self._register(m, (p.mark_id, p.session_id, p.student_id, p.status))
        return written

    def _mark(self, m: Mutation) -> tuple[tuple[str, str, int], ...]:
        plain = _plain_payload(m.payload)
        if plain is None:
            p = parse_payload(m)  # raises Rejected with pydantic's words, or takes what it can
            assert isinstance(p, AttendancePayload)
            plain = (p.mark_id, p.session_id, p.student_id, p.status)
        return self._register(m, plain)

    def _register(self, m: Mutation, plain: tuple[str, str, str, str]) -> tuple[tuple[str, str, int], ...]:
        """A mark in a class's register: the mark (once) and the register row it now decides."""
        mark_id, session_id, student_id, status = plain
        if student_id not in self.students:
            raise Rejected("not_found", STUDENT_GONE)
        if session_id not in self.sessions:
            raise Rejected("not_found", SESSION_GONE)
        known = self.mark_usn.get(mark_id, False)
        if known is not False and known is not None:
            return ()  # the server already ordered this mark; its register row is the truth
        made_at = self.driver.datetime(m.made_at)
        reg_id = attendance_id(session_id, student_id)
        if known is False:
            self.usn += 2
            mark_usn, reg_usn = self.usn - 1, self.usn
            self.mark_usn[mark_id] = mark_usn
            self.new_marks.append((mark_id, mark_usn, session_id, student_id, status, m.staff_id, m.desk_id, made_at))
            written: tuple[tuple[str, str, int], ...] = (("attendance_mark", mark_id, mark_usn), ("attendance", reg_id, reg_usn))
        else:  # a mark row without a change number (not written by a server): only the register
            self.usn += 1
            reg_usn = self.usn
            written = (("attendance", reg_id, reg_usn),)
        self.registers[reg_id] = (reg_id, reg_usn, session_id, student_id, status, mark_id, made_at, m.staff_id)
        return written

    def _record(self, m: Mutation, rejected: Rejected | None, written: Sequence[tuple[str, str, int]],
                by: str | None = None) -> MutationResult:  # fmt: skip
        if rejected is None:
            status, code, message = "applied", None, None
            usn: int | None = written[-1][2] if written else self.usn  # handed out in order: the last is the highest
        else:
            status, code, message, usn = "rejected", rejected.code, rejected.message, None
        staff_id = by or m.staff_id
        self.applied.append((m.id, m.desk_id, m.seq, staff_id, m.type, status, code, message, usn, self.now_value))
        fields = (m.id, m.seq, status, usn, code, message)
        self.by_seq[m.seq] = fields  # a second copy in the same batch is a replay of this one
        self.known_ids.add(m.id)
        first = written[0] if written else None
        detail = {"mutation_id": m.id, "seq": m.seq, "type": m.type, "usn": usn, "code": code,
                  "pushed_by": self.token.staff_id, "made_at": m.made_at.isoformat(), "source": self._source(m.staff_id),
                  "written": [[w[0], w[1]] for w in written], **({"claimed_staff_id": m.staff_id} if by else {})}  # fmt: skip
        self.audit(f"mutation.{status}", staff_id=staff_id, desk_id=m.desk_id, record_type=first[0] if first else None,
                   record_id=first[1] if first else None, **detail)  # fmt: skip
        return _result(*fields)

    def _staff(self, staff_id: str) -> Staff | None:
        if staff_id not in self.staff:
            self.staff[staff_id] = self.db.get(Staff, staff_id)
        return self.staff[staff_id]

    def _source(self, staff_id: str) -> str:
        source = self.sources.get(staff_id)
        if source is None:  # as server.permissions.source_of
            staff = self._staff(staff_id)
            source = self.sources[staff_id] = "kiosk" if staff is not None and staff.group == "kiosk" else "desk"
        return source

    def audit(self, action: str, *, staff_id=None, desk_id=None, record_type=None, record_id=None, **detail: Any) -> None:
        """An audit entry of the run, chained after the one before (as server.account_db chains the ORM's)."""
        event_id, prev, text = new_id(), self.audit_hash, canonical_detail(detail)
        self.audit_no += 1
        self.audit_hash = entry_hash(self.audit_no, prev, event_id, self.now, staff_id, desk_id, action, record_type,
                                     record_id, text)  # fmt: skip
        # The hashed text is what is stored: JSON either way (PostgreSQL casts the text to json), and
        # one serialization per entry instead of two.
        self.audits.append((event_id, self.now_value, staff_id, desk_id, action, record_type, record_id, text,
                            self.audit_no, prev, self.audit_hash))  # fmt: skip

    # -- the writes ----------------------------------------------------------------------------

    def write(self) -> None:
        """One executemany per table, in the transaction of the batch."""
        for sql, rows in ((_INSERT_CHECK_IN, self.new_check_ins), (_INSERT_MARK, self.new_marks),
                          (_UPSERT_REGISTER, list(self.registers.values())),
                          (_INSERT_APPLIED, self.applied), (_INSERT_AUDIT, self.audits)):  # fmt: skip
            if rows:
                self.conn.exec_driver_sql(self.driver.sql(sql), rows)
        if self.usn != self.first_usn or self.audit_no != self.first_audit_no:
            self.db.execute(update(_counter).where(_counter.c.id == 1)
                            .values(usn=self.usn, audit_no=self.audit_no, audit_hash=self.audit_hash))  # fmt: skip


def _ids(values: Iterable) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def _result(mutation_id: str, seq: int, status: str, usn: int | None, code: str | None, message: str | None) -> MutationResult:
    return MutationResult(id=mutation_id, seq=seq, status=status, usn=usn, code=code, message=message)  # type: ignore[arg-type]
