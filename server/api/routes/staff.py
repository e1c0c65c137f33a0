"""/v1/staff: staff members and user groups, for owners and managers (permission staff.manage)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from server import staff as staff_ops
from server.api.deps import AccountDbDep, AccountDep, CurrentStaff, SessionDep, StateDep, TokenDep
from server.api.guards import needs
from server.passwords import hash_password
from server.api.errors import error_responses
from server.errors import Refused
from server.permissions import permissions_of, refusal
from sync.core.permissions import STAFF_MANAGE
from sync.core.schema import Staff
from sync.core.wire_staff import (
    GroupCreate,
    GroupDetail,
    GroupList,
    GroupUpdate,
    PasswordReset,
    PinSet,
    StaffCreate,
    StaffDetail,
    StaffList,
    StaffUpdate,
)

router = APIRouter(prefix="/staff", tags=["staff"])
Manager = Annotated[Staff, needs(STAFF_MANAGE)]
StaffId = Annotated[str, Path(min_length=1, max_length=36)]
GroupName = Annotated[str, Path(min_length=1, max_length=64)]
ERRORS = error_responses(401, 403, 404, 409, 422, 500)


def _actor(staff: Staff, token: TokenDep) -> staff_ops.Actor:
    return staff_ops.Actor(staff=staff, desk_id=token.desk_id, source="desk")


@router.get("/me", response_model=StaffDetail, responses=error_responses(401, 422, 500), summary="The signed-in staff member")
def me(staff: CurrentStaff, db: SessionDep) -> StaffDetail:
    return staff_ops.detail(db, staff)


@router.get("", response_model=StaffList, responses=ERRORS, summary="Every staff member of the account")
def list_staff(_m: Manager, db: SessionDep) -> StaffList:
    return StaffList(staff=staff_ops.list_staff(db))


@router.post("", response_model=StaffDetail, status_code=201, responses=ERRORS, summary="Add a staff member")
def create(m: Manager, token: TokenDep, adb: AccountDbDep, body: StaffCreate) -> StaffDetail:
    password_hash = hash_password(body.password)  # before the write lock: hashing takes a while
    pin_hash = hash_password(body.pin) if body.pin else None
    with adb.write_session() as db:
        created = staff_ops.create(db, _actor(m, token), body, password_hash, pin_hash)
        db.commit()
    return created


@router.get("/groups", response_model=GroupList, responses=ERRORS, summary="Built-in and custom user groups")
def groups(_m: Manager, db: SessionDep) -> GroupList:
    return GroupList(groups=staff_ops.list_groups(db), permissions=staff_ops.permission_words())


@router.post("/groups", response_model=GroupDetail, status_code=201, responses=ERRORS, summary="Make a custom group")
def create_group(m: Manager, token: TokenDep, adb: AccountDbDep, body: GroupCreate) -> GroupDetail:
    with adb.write_session() as db:
        group = staff_ops.create_group(db, _actor(m, token), body)
        db.commit()
    return group


@router.patch("/groups/{name}", response_model=GroupDetail, responses=ERRORS, summary="Change a custom group")
def update_group(m: Manager, token: TokenDep, adb: AccountDbDep, name: GroupName, body: GroupUpdate) -> GroupDetail:
    with adb.write_session() as db:
        group = staff_ops.update_group(db, _actor(m, token), name, body)
        db.commit()
    return group


@router.get("/{staff_id}", response_model=StaffDetail, responses=ERRORS, summary="One staff member")
def get_one(_m: Manager, db: SessionDep, staff_id: StaffId) -> StaffDetail:
    return staff_ops.detail(db, staff_ops.get(db, staff_id))


@router.patch("/{staff_id}", response_model=StaffDetail, responses=ERRORS, summary="Edit, disable or enable a staff member")
def update(
    m: Manager, token: TokenDep, state: StateDep, account: AccountDep, adb: AccountDbDep, staff_id: StaffId, body: StaffUpdate
) -> StaffDetail:
    """Disabling signs them out of every desk at once: their refresh tokens are revoked and their
    access token is refused from the next request on."""
    with adb.write_session() as db:
        change = staff_ops.update(db, _actor(m, token), staff_id, body)
        db.commit()
    if change.revoke:
        state.registry.revoke_staff_tokens(account.id, staff_id)
    return change.staff


@router.post("/{staff_id}/password", response_model=StaffDetail, responses=ERRORS, summary="Set a new password")
def reset_password(
    m: Manager, token: TokenDep, state: StateDep, account: AccountDep, adb: AccountDbDep, staff_id: StaffId, body: PasswordReset
) -> StaffDetail:
    """Their desks are signed out: the next sign-in needs the new password."""
    password_hash = hash_password(body.password)
    with adb.write_session() as db:
        change = staff_ops.reset_password(db, _actor(m, token), staff_id, password_hash)
        db.commit()
    state.registry.revoke_staff_tokens(account.id, staff_id)
    return change.staff


@router.put("/{staff_id}/pin", response_model=StaffDetail, responses=ERRORS, summary="Set a quick-unlock PIN")
def set_pin(staff: CurrentStaff, token: TokenDep, adb: AccountDbDep, db: SessionDep, staff_id: StaffId, body: PinSet) -> StaffDetail:
    """Anyone may set their own PIN; setting someone else's needs staff.manage."""
    if staff_id != staff.id and STAFF_MANAGE not in permissions_of(db, staff):
        raise Refused(refusal(STAFF_MANAGE))
    pin_hash = hash_password(body.pin)
    with adb.write_session() as w:
        result = staff_ops.set_pin(w, _actor(staff, token), staff_id, pin_hash)
        w.commit()
    return result
