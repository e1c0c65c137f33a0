"""Applying a batch of pushed mutations, exactly once each, in the order the desk made them."""

from __future__ import annotations

from sqlmodel import Session, select

from server.account_db import AccountDatabase, AppliedMutation, audit, current_usn, next_usn
from server.auth import token_staff
from server.permissions import permission_refusal, source_of
from server.push_marks import MarkRun, fast
from server.sessions import plan_after
from server.tokens import AccessClaims
from sync.core.clock import SYSTEM, Clock
from server.staff_proof import STAFF_UNPROVEN, proven
from sync.core.card_attention import handled_fields
from sync.core.edit_mutations import edited_fields
from sync.core.enrollment_mutations import wants_overfill
from sync.core.mutations import OUTBOX_DISCARD, Rejected, apply_mutation
from sync.core.schema import TYPE_OF_RECORD, Enrollment, Staff
from sync.core.settings_audit import DESK_SETTINGS
from sync.core.setup_mutations import edited_fields as setup_edited_fields
from sync.core.wire import Mutation, MutationResult

OTHER_DESK = "This change was made on another desk and cannot be sent from this one."
SEQ_REUSED = "This desk sent a different change under a number it had already used; it was not recorded."
ID_REUSED = "This change was already received under another number; it was not recorded again."
STAFF_NOT_ALLOWED = "The staff member who made this change is not active on this account; it was not recorded."
_MESSAGES = {"other_desk": OTHER_DESK, "seq_reused": SEQ_REUSED, "id_reused": ID_REUSED, "staff": STAFF_NOT_ALLOWED}


def push(adb: AccountDatabase, token: AccessClaims, mutations: list[Mutation], signing_key: bytes | None = None,
         clock: Clock = SYSTEM) -> list[MutationResult]:
    """Apply the batch in one write transaction, each mutation in its own savepoint.

    A mutation naming another staff member than the token's needs a proof that checks under
    `signing_key` (server.staff_proof); without the key, only the token's own changes pass.

    A rejected mutation never blocks the ones after it. An unexpected error rolls back the whole
    batch, so the desk can send it again and nothing is half written.
    """
    with adb.write_session() as db:
        # Whoever pushes must still be active (a 401 otherwise), read in this transaction. Held
        # here: the session's identity map keeps an object only while it is referenced, and the
        # mutations, made by this staff member as a rule, look them up again.
        pusher = token_staff(db, token)  # noqa: F841
        results: list[MutationResult] = []
        i = 0
        while i < len(mutations):
            if not fast(mutations[i]):
                results.append(_push_one(db, token, mutations[i], signing_key, clock))
                i += 1
                continue
            # A run of attendance marks and check-ins goes the bulk way (server.push_marks); the ORM's pending
            # writes go first so the run reads them, and its objects are expired after, as stale.
            j = i
            while j < len(mutations) and fast(mutations[j]):
                j += 1
            db.flush()
            run = MarkRun(db, token, mutations[i:j], messages=_MESSAGES, proven=lambda m: proven(signing_key, token, m))
            results += [run.push_one(m, lambda m, code, msg: _rejected_unrecorded_in(run, token, m, code, msg))
                        for m in mutations[i:j]]  # fmt: skip
            run.write()
            db.expire_all()
            i = j
        db.commit()
    return results


def _push_one(db: Session, token: AccessClaims, m: Mutation, signing_key: bytes | None, clock: Clock = SYSTEM) -> MutationResult:
    if m.desk_id != token.desk_id:
        # Not remembered: (desk_id, seq) belongs to the other desk, whose own push must still work.
        return _rejected_unrecorded(db, token, m, "forbidden", OTHER_DESK)

    # Its (desk, seq) and its id, looked up in one statement: at most two rows.
    known = db.exec(select(AppliedMutation).where(
        ((AppliedMutation.desk_id == m.desk_id) & (AppliedMutation.seq == m.seq)) | (AppliedMutation.mutation_id == m.id)
    )).all()  # fmt: skip
    prior = next((row for row in known if row.desk_id == m.desk_id and row.seq == m.seq), None)
    if prior is not None:
        if prior.mutation_id == m.id:
            return _result(prior)  # a replay: its first result, nothing changes
        return _rejected_unrecorded(db, token, m, "seq_reused", SEQ_REUSED)
    if known:
        return _rejected_unrecorded(db, token, m, "invalid", ID_REUSED)

    staff = db.get(Staff, m.staff_id)
    if staff is None or not staff.active:
        return _record(db, token, m, Rejected("forbidden", STAFF_NOT_ALLOWED), [])
    if not proven(signing_key, token, m):
        # Issue 19: the desk cannot show that this person signed in here. Recorded and audited
        # under the one whose token pushed it, never under the name it claimed.
        return _record(db, token, m, Rejected("forbidden", STAFF_UNPROVEN), [], by=token.staff_id)
    refused = permission_refusal(db, token, staff, m.type, m.payload)  # rechecked here, whatever the desk cached
    if refused is not None:
        return _record(db, token, m, refused, [])

    # An edit's audit keeps the values it overwrites.
    before = (edited_fields(db, m.type, m.payload) or setup_edited_fields(db, m.type, m.payload)
              or handled_fields(db, m.type, m.payload))  # fmt: skip
    savepoint = db.begin_nested()
    try:
        written = apply_mutation(db, m, lambda: next_usn(db))
        savepoint.commit()
    except Rejected as rejected:
        savepoint.rollback()
        return _record(db, token, m, rejected, [])
    if m.type == OUTBOX_DISCARD:
        _audit_discard(db, token, m)
    for row in written:
        if isinstance(row, Enrollment) and row.overfill_reason and wants_overfill(m.type, m.payload):
            # A place given over capacity: who, which class and child, and why, on its own line.
            audit(db, "enrollment.overfill", staff_id=m.staff_id, desk_id=m.desk_id, record_type="enrollment",
                  record_id=row.id, class_id=row.schedule_id, student_id=row.student_id, reason=row.overfill_reason,
                  mutation_id=m.id)  # fmt: skip
    # A class or closure changed: its sessions follow now, in this transaction (server.sessions).
    planned = plan_after(db, m.type, written, clock).written if written else []
    changes = None
    if before is not None and written:
        after = (edited_fields(db, m.type, m.payload) or setup_edited_fields(db, m.type, m.payload)
                 or handled_fields(db, m.type, m.payload) or {})  # fmt: skip
        changes = {name: {"before": value, "after": after.get(name)} for name, value in before.items()}
    if m.type == DESK_SETTINGS:
        changes = m.payload["changes"]  # the desk's own settings: nothing stored, the audit is the record
    return _record(db, token, m, None, written + planned, changes=changes)


def _audit_discard(db: Session, token: AccessClaims, m: Mutation) -> None:
    """A desk let go of a refused change: who, when, why, and what the server had said of it."""
    gone = db.get(AppliedMutation, m.payload.get("mutation_id", ""))
    audit(
        db,
        "mutation.discarded",
        staff_id=m.staff_id,
        desk_id=m.desk_id,
        mutation_id=m.payload.get("mutation_id"),
        seq=m.payload.get("seq"),
        type=m.payload.get("type"),
        code=m.payload.get("code"),
        reason=m.payload.get("reason", ""),
        payload=m.payload.get("payload", {}),
        server_status=gone.status if gone is not None and gone.desk_id == m.desk_id else None,
        discard_mutation_id=m.id,
        pushed_by=token.staff_id,
    )


def _record(db: Session, token: AccessClaims, m: Mutation, rejected: Rejected | None, written: list,
            changes: dict | None = None, by: str | None = None) -> MutationResult:  # fmt: skip
    """`by`: whom the record names when not the change's staff id (one it could not prove)."""
    usns = [row.usn for row in written if row.usn is not None]
    claimed = {"claimed_staff_id": m.staff_id} if by is not None else {}
    row = AppliedMutation(
        mutation_id=m.id,
        desk_id=m.desk_id,
        seq=m.seq,
        staff_id=by or m.staff_id,
        type=m.type,
        status="rejected" if rejected else "applied",
        code=rejected.code if rejected else None,
        message=rejected.message if rejected else None,
        # A mutation that found its rows already there (written by an earlier one) is as of now.
        usn=None if rejected else (max(usns) if usns else current_usn(db)),
    )
    db.add(row)
    first = written[0] if written else None
    audit(
        db,
        f"mutation.{row.status}",
        staff_id=row.staff_id,
        desk_id=m.desk_id,
        record_type=TYPE_OF_RECORD.get(type(first)) if first is not None else None,
        record_id=first.id if first is not None else None,
        mutation_id=m.id,
        seq=m.seq,
        type=m.type,
        usn=row.usn,
        code=row.code,
        pushed_by=token.staff_id,
        made_at=m.made_at.isoformat(),  # the desk's clock; the event's own time is the server's
        source=source_of(db, m.staff_id),
        written=[[TYPE_OF_RECORD.get(type(r)), r.id] for r in written],
        **claimed,
        **({"changes": changes} if changes is not None else {}),
    )
    # Flush now: the unique constraints, not only the lookups above, make a second copy impossible.
    db.flush()
    return _result(row)


def _rejected_unrecorded(db: Session, token: AccessClaims, m: Mutation, code: str, message: str) -> MutationResult:
    audit(
        db,
        "mutation.rejected",
        staff_id=m.staff_id,
        desk_id=token.desk_id,
        mutation_id=m.id,
        seq=m.seq,
        type=m.type,
        code=code,
        claimed_desk_id=m.desk_id,
        pushed_by=token.staff_id,
    )
    return MutationResult(id=m.id, seq=m.seq, status="rejected", code=code, message=message)


def _rejected_unrecorded_in(run: MarkRun, token: AccessClaims, m: Mutation, code: str, message: str) -> MutationResult:
    """As `_rejected_unrecorded`, its audit row written with the run's."""
    run.audit("mutation.rejected", staff_id=m.staff_id, desk_id=token.desk_id, mutation_id=m.id, seq=m.seq,
              type=m.type, code=code, claimed_desk_id=m.desk_id, pushed_by=token.staff_id)  # fmt: skip
    return MutationResult(id=m.id, seq=m.seq, status="rejected", code=code, message=message)


def _result(row: AppliedMutation) -> MutationResult:
    return MutationResult(
        id=row.mutation_id,
        seq=row.seq,
        status=row.status,  # type: ignore[arg-type]
        usn=row.usn,
        code=row.code,
        message=row.message,
    )
