"""Taking back what a mutation showed in the cache before the server refused it.

A row written locally carries usn None until a pull brings the server's version, so "local and
unconfirmed" is visible on the row itself. Facts made by the mutation (a check-in, a mark) are
simply deleted when still unconfirmed. The register row of a (session, student) is shared with
everyone's marks, so it is rebuilt from the confirmed mark history: the mark with the highest
server sequence is the current one, the same rule the server uses.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from sync.core import enrollment_mutations, family_mutations
from sync.core.mutations import AttendancePayload, CheckInPayload, Rejected, parse_payload
from sync.core.schema import Attendance, AttendanceMark, CheckIn, attendance_id
from sync.core.wire import Mutation


def undo_local_effects(s: Session, mutation: Mutation) -> None:
    try:
        payload = parse_payload(mutation)
    except Rejected:
        return  # it never applied locally either
    if isinstance(payload, CheckInPayload):
        check_in = s.get(CheckIn, payload.check_in_id)
        if check_in is not None and check_in.usn is None:
            s.delete(check_in)
        if payload.session_id is not None and payload.mark_id is not None:
            _undo_mark(s, payload.mark_id, payload.session_id, payload.student_id)
    elif isinstance(payload, AttendancePayload):
        _undo_mark(s, payload.mark_id, payload.session_id, payload.student_id)
    elif mutation.type in family_mutations.PAYLOADS:
        family_mutations.undo_local(s, payload)  # a refused new family or student leaves no trace here
    elif mutation.type in enrollment_mutations.PAYLOADS:
        enrollment_mutations.undo_local(s, payload)  # a refused enrollment, drop or transfer is as it was
    s.flush()


def _undo_mark(s: Session, mark_id: str, session_id: str, student_id: str) -> None:
    mark = s.get(AttendanceMark, mark_id)
    if mark is not None and mark.usn is None:
        s.delete(mark)
    register = s.get(Attendance, attendance_id(session_id, student_id))
    if register is None or register.usn is not None or register.mark_id != mark_id:
        return  # the server's row, or another pending mark's: not ours to take back
    latest = s.exec(
        select(AttendanceMark)
        .where(AttendanceMark.session_id == session_id, AttendanceMark.student_id == student_id)
        .where(col(AttendanceMark.usn).is_not(None))
        .order_by(col(AttendanceMark.usn).desc())
        .limit(1)
    ).first()
    if latest is None:
        s.delete(register)
        return
    register.status = latest.status
    register.mark_id = latest.id
    register.marked_at = latest.made_at
    register.staff_id = latest.staff_id
    register.usn = latest.usn  # confirmed: a later pull replaces it with the server's own row
    s.add(register)
