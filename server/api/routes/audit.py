"""/v1/audit: reading the audit log (permission audit.view). There is no route that changes it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from server.account_db import AuditEvent
from server.api.deps import SessionDep
from server.api.guards import needs
from server.errors import error_responses
from sync.permissions import AUDIT_VIEW
from sync.schema import Staff
from sync.wire_staff import AuditEntry, AuditPage

router = APIRouter(prefix="/audit", tags=["audit"])
MAX_PAGE = 500


@router.get("", response_model=AuditPage, responses=error_responses(401, 403, 422, 500), summary="The audit log, newest first")
def audit_log(
    _viewer: Annotated[Staff, needs(AUDIT_VIEW)],
    db: SessionDep,
    staff_id: Annotated[str | None, Query(max_length=36)] = None,
    action: Annotated[str | None, Query(max_length=64, description="exact, or a prefix ending in '.' (e.g. 'login.')")] = None,
    record_type: Annotated[str | None, Query(max_length=64)] = None,
    record_id: Annotated[str | None, Query(max_length=36)] = None,
    since: Annotated[dt.datetime | None, Query(description="server time, UTC, inclusive")] = None,
    until: Annotated[dt.datetime | None, Query(description="server time, UTC, exclusive")] = None,
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
        q = q.where(AuditEvent.at >= _naive(since))
    if until:
        q = q.where(AuditEvent.at < _naive(until))
    if before:
        q = q.where(AuditEvent.id < before)  # ids are UUIDv7: their order is the order they were made
    rows = list(db.exec(q.order_by(col(AuditEvent.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    names = {s.id: s.display_name for s in db.exec(select(Staff))}
    events = [
        AuditEntry(
            id=r.id, at=r.at.replace(tzinfo=dt.UTC), staff_id=r.staff_id, staff_name=names.get(r.staff_id or ""), desk_id=r.desk_id, action=r.action,
            record_type=r.record_type, record_id=r.record_id, detail=r.detail,
        )
        for r in rows
    ]
    return AuditPage(events=events, next_before=rows[-1].id if more and rows else None)


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
