"""Staff management: create, edit, disable, reset password, set PIN, custom groups.

Shared by the /v1/staff routes (actor: the signed-in manager) and the admin command line (actor
None: the person at the server's terminal may do anything). Every change is audited with the
before and after. Nobody hands out more than they hold: an actor may only give, or edit someone
with, permissions they have themselves.

Callers hash passwords and PINs before opening the write session (hashing takes a while) and
revoke refresh tokens after the commit when `Change.revoke` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, delete, select

from server.account_db import CustomGroup, StaffCredential, StaffGrant, StaffPin, audit, next_usn
from server.errors import Conflict, Invalid, NotFound, Refused
from server.permissions import grants_of, group_exists, group_permissions, permissions_of
from sync.core.ids import new_id, utcnow
from sync.core.permissions import ALL_PERMISSIONS, BUILTIN_GROUP_LABELS, BUILTIN_GROUPS, PERMISSIONS, expand
from sync.core.schema import Staff
from sync.core.wire_staff import GroupCreate, GroupDetail, GroupUpdate, StaffCreate, StaffDetail, StaffUpdate


@dataclass(frozen=True)
class Actor:
    staff: Staff | None  # None: the admin command line
    desk_id: str | None = None
    source: str = "desk"

    def permissions(self, db: Session) -> frozenset[str]:
        return ALL_PERMISSIONS if self.staff is None else permissions_of(db, self.staff)


@dataclass(frozen=True)
class Change:
    staff: StaffDetail
    revoke: bool  # sign them out everywhere now (disabled, or a new password)


def _not_found() -> NotFound:
    return NotFound("There is no such staff member on this account.")


def _check_permission_names(names: list[str]) -> None:
    unknown = sorted(set(names) - ALL_PERMISSIONS)
    if unknown:
        raise Invalid(f"Unknown permission(s): {', '.join(unknown)}.")


def _within(db: Session, actor: Actor, perms: frozenset[str], what: str) -> None:
    beyond = perms - actor.permissions(db)
    if beyond:
        raise Refused(f"You cannot {what}: it needs permissions you do not have yourself.")


def detail(db: Session, staff: Staff) -> StaffDetail:
    return StaffDetail(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        group=staff.group,
        active=staff.active,
        grants=grants_of(db, staff.id),
        permissions=sorted(permissions_of(db, staff)),
        has_pin=db.get(StaffPin, staff.id) is not None,
    )


def _snapshot(db: Session, staff: Staff) -> dict[str, Any]:
    return {"display_name": staff.display_name, "group": staff.group, "active": staff.active, "grants": grants_of(db, staff.id)}


def list_staff(db: Session) -> list[StaffDetail]:
    return [detail(db, s) for s in db.exec(select(Staff).order_by(Staff.display_name))]


def get(db: Session, staff_id: str) -> Staff:
    staff = db.get(Staff, staff_id)
    if staff is None:
        raise _not_found()
    return staff


def by_username(db: Session, username: str) -> Staff:
    staff = db.exec(select(Staff).where(Staff.username == username)).first()
    if staff is None:
        raise _not_found()
    return staff


def _audit(db: Session, actor: Actor, action: str, staff_id: str, **detail: Any) -> None:
    audit(
        db,
        action,
        staff_id=actor.staff.id if actor.staff else None,
        desk_id=actor.desk_id,
        record_type="staff",
        record_id=staff_id,
        source=actor.source,
        **detail,
    )


def create(db: Session, actor: Actor, body: StaffCreate, password_hash: str, pin_hash: str | None) -> StaffDetail:
    username = body.username.strip()
    if not group_exists(db, body.group):
        raise Invalid(f"There is no group {body.group!r}.")
    _check_permission_names(body.grants)
    _within(db, actor, expand(group_permissions(db, body.group) | set(body.grants)), "add this staff member")
    if db.exec(select(Staff).where(Staff.username == username)).first() is not None:
        raise Conflict(f"There is already a staff member {username!r}. Pick another username.")
    staff = Staff(id=new_id(), usn=next_usn(db), username=username, display_name=body.display_name or username.title(), group=body.group)
    db.add(staff)
    db.add(StaffCredential(staff_id=staff.id, password_hash=password_hash))
    for p in sorted(set(body.grants)):
        db.add(StaffGrant(staff_id=staff.id, permission=p))
    if pin_hash is not None:
        db.add(StaffPin(staff_id=staff.id, pin_hash=pin_hash))
    db.flush()
    _audit(db, actor, "staff.created", staff.id, after=_snapshot(db, staff), username=username, pin_set=pin_hash is not None)
    return detail(db, staff)


def update(db: Session, actor: Actor, staff_id: str, body: StaffUpdate) -> Change:
    staff = get(db, staff_id)
    _within(db, actor, group_permissions(db, staff.group) | set(grants_of(db, staff.id)), "change this staff member")
    before = _snapshot(db, staff)
    group = body.group if body.group is not None else staff.group
    grants = sorted(set(body.grants)) if body.grants is not None else before["grants"]
    if body.group is not None and not group_exists(db, group):
        raise Invalid(f"There is no group {group!r}.")
    _check_permission_names(grants)
    _within(db, actor, expand(group_permissions(db, group) | set(grants)), "give these permissions")
    if actor.staff is not None and actor.staff.id == staff.id and body.active is False:
        raise Conflict("You cannot disable yourself. Ask another manager.")
    if body.display_name is not None:
        staff.display_name = body.display_name
    staff.group = group
    if body.active is not None:
        staff.active = body.active
    if body.grants is not None:
        db.exec(delete(StaffGrant).where(StaffGrant.staff_id == staff.id))  # type: ignore[call-overload]
        for p in grants:
            db.add(StaffGrant(staff_id=staff.id, permission=p))
    staff.usn = next_usn(db)  # every desk learns the new name, group or state
    db.add(staff)
    db.flush()
    after = _snapshot(db, staff)
    if after != before:
        _audit(db, actor, "staff.updated", staff.id, before=before, after=after)
    return Change(detail(db, staff), revoke=before["active"] and not staff.active)


def reset_password(db: Session, actor: Actor, staff_id: str, password_hash: str) -> Change:
    staff = get(db, staff_id)
    _within(db, actor, permissions_of(db, staff), "reset this staff member's password")
    cred = db.get(StaffCredential, staff.id) or StaffCredential(staff_id=staff.id, password_hash=password_hash)
    cred.password_hash = password_hash
    cred.changed_at = utcnow()
    db.add(cred)
    _audit(db, actor, "staff.password_reset", staff.id)
    return Change(detail(db, staff), revoke=True)


def set_pin(db: Session, actor: Actor, staff_id: str, pin_hash: str) -> StaffDetail:
    staff = get(db, staff_id)
    is_self = actor.staff is not None and actor.staff.id == staff.id
    if not is_self:
        _within(db, actor, permissions_of(db, staff), "set this staff member's PIN")
    pin = db.get(StaffPin, staff.id) or StaffPin(staff_id=staff.id, pin_hash=pin_hash)
    pin.pin_hash = pin_hash
    pin.changed_at = utcnow()
    db.add(pin)
    db.flush()
    _audit(db, actor, "staff.pin_set", staff.id)
    return detail(db, staff)


def list_groups(db: Session) -> list[GroupDetail]:
    groups = [
        GroupDetail(name=n, label=BUILTIN_GROUP_LABELS[n], permissions=sorted(p), built_in=True) for n, p in BUILTIN_GROUPS.items()
    ]
    for g in db.exec(select(CustomGroup).order_by(CustomGroup.name)):
        groups.append(GroupDetail(name=g.name, label=g.label, permissions=sorted(expand(g.permissions)), built_in=False))
    return groups


def create_group(db: Session, actor: Actor, body: GroupCreate) -> GroupDetail:
    _check_permission_names(body.permissions)
    _within(db, actor, expand(body.permissions), "make this group")
    if group_exists(db, body.name):
        raise Conflict(f"There is already a group {body.name!r}. Pick another name.")
    group = CustomGroup(name=body.name, label=body.label, permissions=sorted(set(body.permissions)))
    db.add(group)
    audit(db, "group.created", staff_id=actor.staff.id if actor.staff else None, desk_id=actor.desk_id, record_type="staff_group",
          record_id=body.name, source=actor.source, after={"label": group.label, "permissions": group.permissions})
    return GroupDetail(name=group.name, label=group.label, permissions=sorted(expand(group.permissions)), built_in=False)


def update_group(db: Session, actor: Actor, name: str, body: GroupUpdate) -> GroupDetail:
    if name in BUILTIN_GROUPS:
        raise Conflict("Built-in groups cannot be changed. Make a new group instead.")
    group = db.get(CustomGroup, name)
    if group is None:
        raise NotFound("There is no such group on this account.")
    before = {"label": group.label, "permissions": list(group.permissions)}
    _within(db, actor, expand(group.permissions), "change this group")
    if body.permissions is not None:
        _check_permission_names(body.permissions)
        _within(db, actor, expand(body.permissions), "give these permissions")
        group.permissions = sorted(set(body.permissions))
    if body.label is not None:
        group.label = body.label
    db.add(group)
    audit(db, "group.updated", staff_id=actor.staff.id if actor.staff else None, desk_id=actor.desk_id, record_type="staff_group",
          record_id=name, source=actor.source, before=before, after={"label": group.label, "permissions": group.permissions})
    return GroupDetail(name=group.name, label=group.label, permissions=sorted(expand(group.permissions)), built_in=False)


def permission_words() -> dict[str, str]:
    return dict(PERMISSIONS)
