"""Who may do what on this server: a staff member's group (built-in or custom) plus their grants.

Resolved from the account's database on every request and every pushed mutation, never from the
token, so disabling someone or changing their group takes effect on their very next call.
"""

from __future__ import annotations

from sqlmodel import Session, select

from server.account_db import AuditEvent, CustomGroup, StaffGrant
from server.tokens import AccessClaims
from sync.core.enrollment_mutations import wants_overfill
from sync.core.mutations import Rejected
from sync.core.permissions import (
    BUILTIN_GROUPS,
    ENROLL_OVERFILL,
    PERMISSIONS,
    expand,
    mutation_allowed,
    mutation_permission,
)
from sync.core.schema import Staff


def group_permissions(db: Session, group: str) -> frozenset[str]:
    if group in BUILTIN_GROUPS:
        return BUILTIN_GROUPS[group]
    custom = db.get(CustomGroup, group)
    return expand(custom.permissions) if custom is not None else frozenset()


def grants_of(db: Session, staff_id: str) -> list[str]:
    return sorted(g.permission for g in db.exec(select(StaffGrant).where(StaffGrant.staff_id == staff_id)))


def permissions_of(db: Session, staff: Staff | None) -> frozenset[str]:
    """The effective permissions of a staff member; none at all when they are missing or disabled."""
    if staff is None or not staff.active:
        return frozenset()
    return expand(group_permissions(db, staff.group) | set(grants_of(db, staff.id)))


def group_exists(db: Session, group: str) -> bool:
    return group in BUILTIN_GROUPS or db.get(CustomGroup, group) is not None


def refusal(permission: str) -> str:
    """Words for a person: what they may not do and what to do about it."""
    what = PERMISSIONS.get(permission, permission).lower()
    return f"You are not allowed to {what[0].lower()}{what[1:]}. Please ask a manager."


def mutation_refusal(permission: str | None, mutation_type: str) -> str:
    if permission is None:
        return f"No one may make this kind of change ({mutation_type!r}); it was not recorded."
    what = PERMISSIONS.get(permission, permission).lower()
    return f"The staff member who made this change is not allowed to {what}; it was not recorded. Please ask a manager."


NOT_SIGNED_IN_HERE = (
    "The staff member who made this change never signed in at this desk; it was not recorded."
)


def signed_in_at(db: Session, staff_id: str, desk_id: str) -> bool:
    """Whether the staff member ever signed in at this desk (what offline sign-in needs too)."""
    row = db.exec(
        select(AuditEvent.id).where(
            AuditEvent.action == "login.succeeded", AuditEvent.staff_id == staff_id, AuditEvent.desk_id == desk_id
        )
    ).first()
    return row is not None


def permission_refusal(db: Session, token: AccessClaims, staff: Staff, mutation_type: str,
                       payload: dict | None = None) -> Rejected | None:
    """Why a pushed mutation may not be applied for the staff member who made it, or None.

    The desk sends changes made by whoever was signed in at the time (switch user, offline
    sign-in), so the maker may differ from the token's staff member, but only someone who really
    signed in at that desk: a desk cannot put its changes in anyone's name.
    """
    # One batch is one transaction, so what was found for the first mutation holds for the rest.
    cache = db.info.setdefault("frontdesk.permissions", {})
    key = (staff.id, token.desk_id)
    if key not in cache:
        here = staff.id == token.staff_id or signed_in_at(db, staff.id, token.desk_id)
        cache[key] = (here, permissions_of(db, staff))
    here, permissions = cache[key]
    if not here:
        return Rejected("forbidden", NOT_SIGNED_IN_HERE)
    if not mutation_allowed(permissions, mutation_type):
        return Rejected("forbidden", mutation_refusal(mutation_permission(mutation_type), mutation_type))
    if payload is not None and wants_overfill(mutation_type, payload) and ENROLL_OVERFILL not in expand(permissions):
        return Rejected("forbidden", "Only staff allowed to go over a class's capacity may do that; nothing was enrolled.")
    return None


def source_of(db: Session, staff_id: str | None) -> str:
    """Where an action came from, for the audit log: a kiosk terminal or a staffed desk."""
    staff = db.get(Staff, staff_id) if staff_id else None  # from the session's identity map after the first
    return "kiosk" if staff is not None and staff.group == "kiosk" else "desk"
