"""/v1/audit: reading the audit log (permission audit.view). There is no route that changes it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BeforeValidator
from sqlmodel import col, select

from server.account_db import AuditEvent
from server.audit_about import about
from server.api.deps import SessionDep
from server.api.guards import needs
from server.api.errors import error_responses
from sync.core.permissions import AUDIT_VIEW
from sync.core.schema import Staff
from sync.core.wire_staff import AuditEntry, AuditPage

router = APIRouter(prefix="/audit", tags=["audit"])
MAX_PAGE = 500
DETAIL_DEPTH = 12  # deeper than anything the server records itself; below what a JSON serializer refuses
DETAIL_TEXT = 2000  # characters of one string value shown; the rest is elided

# A date and a time (seconds and fractions optional), with an offset or without (then UTC). Not a bare
# date nor a number of seconds, which pydantic's datetime would also take: the document says date-time.
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([Zz]|[+-]\d{2}:?\d{2})?$")
_PAST_MICROSECONDS = re.compile(r"(\.\d{6})\d+$")


def _date_time_only(value: Any) -> Any:
    if value is None or isinstance(value, dt.datetime):
        return value
    m = _DATE_TIME.match(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError("a date and time is expected, e.g. 2026-11-25T15:30:00Z")
    # Fractions past microseconds (RFC 3339 allows any number) are cut, as the stored times have none.
    parsed = dt.datetime.fromisoformat(_PAST_MICROSECONDS.sub(r"\1", m.group(1).replace("t", "T")) + (m.group(2) or "").upper())
    try:
        return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except OverflowError:  # e.g. 9999-12-31T23:59-01:00 is past year 9999 in UTC
        raise ValueError("the date and time is out of range") from None


DateTimeUtc = Annotated[dt.datetime | None, BeforeValidator(_date_time_only)]


def shown(value: Any, depth: int = 0) -> Any:
    """An entry's detail as it can always be sent and shown, whatever was stored: nesting cut at
    DETAIL_DEPTH (a desk's payload nested 300 deep once failed every page that held it), long
    strings elided. The stored entry is never changed (it is hash-chained)."""
    if isinstance(value, dict):
        if depth >= DETAIL_DEPTH:
            return f"[{len(value)} more fields, nested too deep to show]"
        return {str(k): shown(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= DETAIL_DEPTH:
            return f"[{len(value)} more items, nested too deep to show]"
        return [shown(v, depth + 1) for v in value]
    if isinstance(value, str) and len(value) > DETAIL_TEXT:
        return value[:DETAIL_TEXT] + f"… ({len(value) - DETAIL_TEXT} more characters)"
    return value


@router.get("", response_model=AuditPage, responses=error_responses(401, 403, 422, 500), summary="The audit log, newest first")
def audit_log(
    _viewer: Annotated[Staff, needs(AUDIT_VIEW)],
    db: SessionDep,
    staff_id: Annotated[str | None, Query(max_length=36)] = None,
    action: Annotated[str | None, Query(max_length=64, description="exact, or a prefix ending in '.' (e.g. 'login.')")] = None,
    record_type: Annotated[str | None, Query(max_length=64)] = None,
    record_id: Annotated[str | None, Query(max_length=36)] = None,
    since: Annotated[DateTimeUtc, Query(description="server time, a date-time (UTC when it has no offset), inclusive")] = None,
    until: Annotated[DateTimeUtc, Query(description="server time, a date-time (UTC when it has no offset), exclusive")] = None,
    before: Annotated[str | None, Query(max_length=36, description="next_before of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    q = select(AuditEvent)
    if staff_id:
        q = q.where(AuditEvent.staff_id == staff_id)
    if action:
        q = q.where(col(AuditEvent.action).startswith(action) if action.endswith(".") else AuditEvent.action == action)
    if record_type:
        q = q.where(AuditEvent.record_type == record_type)
    if record_id:
        q = q.where(AuditEvent.record_id == record_id)
    if since:
        q = q.where(AuditEvent.at >= since)
    if until:
        q = q.where(AuditEvent.at < until)
    if before:
        q = q.where(AuditEvent.id < before)  # ids are UUIDv7: their order is the order they were made
    rows = list(db.exec(q.order_by(col(AuditEvent.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    names = {s.id: s.display_name for s in db.exec(select(Staff))}
    named = about(db, rows)
    events = [
        AuditEntry(
            id=r.id, at=r.at.replace(tzinfo=dt.UTC), staff_id=r.staff_id, staff_name=names.get(r.staff_id or ""), desk_id=r.desk_id, action=r.action,
            record_type=r.record_type, record_id=r.record_id, detail=shown(r.detail if isinstance(r.detail, dict) else {"value": r.detail}),
            about=named[r.id],
        )
        for r in rows
    ]
    return AuditPage(events=events, next_before=rows[-1].id if more and rows else None)

