"""/v1/desks: the account's desks for the owner (issue 19): where and when each was last seen,
retiring one, and codes that let someone set a new computer up as a desk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from server import desks
from server.account_db import audit
from server.api.deps import AccountDbDep, AccountDep, StateDep, TokenDep
from server.api.guards import needs
from server.api.errors import error_responses
from server.errors import NotFound
from sync.core.schema import Staff
from sync.core.wire_desks import (
    DeskList,
    DeskPublic,
    EnrollmentCodeRequest,
    EnrollmentCodeResponse,
)

router = APIRouter(prefix="/desks", tags=["desks"])
Owner = Annotated[Staff, needs(desks.DESKS_MANAGE)]
DeskId = Annotated[str, Path(min_length=1, max_length=36)]
ERRORS = error_responses(401, 403, 404, 422, 500)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """The registry keeps naive UTC; answers say the offset (RFC 3339)."""
    return moment.replace(tzinfo=dt.UTC) if moment is not None else None


def _public(desk, code: str | None) -> DeskPublic:
    return DeskPublic(id=desk.id, name=desk.name, code=code, first_seen=_utc(desk.first_seen), last_seen=_utc(desk.last_seen),
                      last_address=desk.last_address, enrolled_at=_utc(desk.enrolled_at), retired_at=_utc(desk.retired_at))  # fmt: skip


@router.get("", response_model=DeskList, responses=ERRORS, summary="The account's desks, last seen first")
def list_desks(_o: Owner, state: StateDep, account: AccountDep) -> DeskList:
    return DeskList(desks=[_public(d, code) for d, code in desks.desks_of(state.registry, account.id)])


@router.post("/{desk_id}/retire", response_model=DeskPublic, responses=ERRORS, summary="Retire a desk")
async def retire(o: Owner, desk_id: DeskId, state: StateDep, account: AccountDep, adb: AccountDbDep, token: TokenDep) -> DeskPublic:
    """Its credential, refresh tokens and access tokens stop working now. A manager signing in at
    that computer again sets it up anew, with a new credential."""
    done = await run_in_threadpool(desks.retire, state.registry, account.id, desk_id)
    if done is None:
        raise NotFound("There is no such desk in this account.")
    desk, revoked = done
    state.revocations.note(revoked)

    def record() -> None:
        with adb.write_session() as db:
            audit(db, "desk.retired", staff_id=o.id, desk_id=token.desk_id, retired_desk_id=desk_id, name=desk.name)
            db.commit()

    await run_in_threadpool(record)
    codes = dict((d.id, c) for d, c in desks.desks_of(state.registry, account.id))
    return _public(desk, codes.get(desk_id))


@router.post("/enrollment-codes", response_model=EnrollmentCodeResponse, status_code=201, responses=ERRORS,
             summary="Make a code that sets new computers up as desks")  # fmt: skip
def enrollment_code(o: Owner, body: EnrollmentCodeRequest, state: StateDep, account: AccountDep, adb: AccountDbDep,
                    token: TokenDep) -> EnrollmentCodeResponse:  # fmt: skip
    """For staff who may not set desks up themselves: they enter it when they first sign in at a
    new computer. Shown once; good for `uses` computers within `hours`."""
    code, row = desks.make_enrollment_code(state.registry, account.id, o.id, uses=body.uses, hours=body.hours)
    with adb.write_session() as db:
        audit(db, "desk.enrollment_code", staff_id=o.id, desk_id=token.desk_id, uses=body.uses, expires_at=row.expires_at.isoformat())
        db.commit()
    return EnrollmentCodeResponse(code=code, expires_at=_utc(row.expires_at), uses=row.uses_left)
