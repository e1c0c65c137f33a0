"""What a staff member may do: the permission names, the built-in groups, and who needs what.

Shared by both sides because both need the same words: the server decides (server/permissions.py
resolves a staff member's group, custom group and per-user grants, and refuses what is missing);
the desk only mirrors the signed-in staff member's list to hide what they may not do.

Attendance has three levels (none / view / full): "attendance.view" sees the register,
"attendance.take" marks it, and take implies view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

CHECK_IN = "check_in"
ATTENDANCE_VIEW = "attendance.view"
ATTENDANCE_TAKE = "attendance.take"
FAMILY_VIEW = "family.view"
FAMILY_EDIT = "family.edit"
FAMILY_ADD = "family.add"
STUDENT_MOVE = "student.move"
LEDGER_VIEW = "ledger.view"
CHARGE_POST = "charge.post"
PAYMENT_TAKE = "payment.take"
LEDGER_VOID = "ledger.void"
LEDGER_REFUND = "ledger.refund"
REPORTS_RUN = "reports.run"
DATA_IMPORT = "data.import"
STAFF_MANAGE = "staff.manage"
SETTINGS_MANAGE = "settings.manage"
AUDIT_VIEW = "audit.view"
CLASSES_MANAGE = "classes.manage"  # programs, classes, and one session cancelled or moved
SETUP_MANAGE = "setup.manage"  # locations, rooms, closures
ENROLL = "enrollment.manage"  # enroll, drop, transfer, the waitlist
ENROLL_OVERFILL = "enrollment.overfill"  # a place over a class's capacity, with a reason (audited)

# Words for the staff screen, in the order it lists them.
PERMISSIONS: dict[str, str] = {
    CHECK_IN: "Check students in",
    ATTENDANCE_VIEW: "See class attendance",
    ATTENDANCE_TAKE: "Take attendance",
    FAMILY_VIEW: "See families",
    FAMILY_EDIT: "Edit families",
    FAMILY_ADD: "Add families",
    STUDENT_MOVE: "Move students to another family",
    LEDGER_VIEW: "See balances and payments",
    CHARGE_POST: "Post charges",
    PAYMENT_TAKE: "Take payments",
    LEDGER_VOID: "Void entries",
    LEDGER_REFUND: "Refund payments",
    REPORTS_RUN: "Run reports",
    DATA_IMPORT: "Import data",
    STAFF_MANAGE: "Manage staff",
    SETTINGS_MANAGE: "Manage settings",
    AUDIT_VIEW: "See the audit log",
    CLASSES_MANAGE: "Manage classes and programs",
    SETUP_MANAGE: "Manage locations, rooms and closures",
    ENROLL: "Enroll, drop and move students",
    ENROLL_OVERFILL: "Enroll over a class's capacity",
}
ALL_PERMISSIONS: frozenset[str] = frozenset(PERMISSIONS)

# Permissions that bring another with them.
IMPLIES: dict[str, frozenset[str]] = {
    ATTENDANCE_TAKE: frozenset({ATTENDANCE_VIEW}),
    FAMILY_EDIT: frozenset({FAMILY_VIEW}),
    FAMILY_ADD: frozenset({FAMILY_VIEW}),
    STUDENT_MOVE: frozenset({FAMILY_VIEW}),
    CHARGE_POST: frozenset({LEDGER_VIEW}),
    PAYMENT_TAKE: frozenset({LEDGER_VIEW}),
    LEDGER_VOID: frozenset({LEDGER_VIEW}),
    LEDGER_REFUND: frozenset({LEDGER_VIEW}),
    ENROLL: frozenset({FAMILY_VIEW}),
    ENROLL_OVERFILL: frozenset({ENROLL}),
}

# Reports today are attendance sheets the desk prints for coaches; money reports may need their own permission.
# Moving a child to another family (custody) stays with managers: front desk adds and edits families.
# Front desk enrolls and drops; going over a class's capacity stays with managers.
_FRONT_DESK = frozenset({CHECK_IN, ATTENDANCE_TAKE, FAMILY_VIEW, FAMILY_EDIT, FAMILY_ADD, LEDGER_VIEW, CHARGE_POST, PAYMENT_TAKE, REPORTS_RUN,
                         ENROLL})
BUILTIN_GROUPS: dict[str, frozenset[str]] = {
    "owner": ALL_PERMISSIONS,
    # Settings (payment gateway, account-wide rules) stay with the owner.
    "manager": ALL_PERMISSIONS - {SETTINGS_MANAGE},
    "front-desk": _FRONT_DESK,
    "coach": frozenset({ATTENDANCE_TAKE}),  # their rosters, nothing about money or families
    "kiosk": frozenset({CHECK_IN}),  # a self check-in terminal
}
BUILTIN_GROUP_LABELS: dict[str, str] = {
    "owner": "Owner",
    "manager": "Manager",
    "front-desk": "Front desk",
    "coach": "Coach",
    "kiosk": "Kiosk",
}

# The permission each mutation type needs. A type not listed here (and not under a listed
# prefix) is refused: a new kind of change must say who may make it.
MUTATION_PERMISSIONS: dict[str, str] = {
    "check_in": CHECK_IN,
    "attendance.mark": ATTENDANCE_TAKE,
    # Money corrections that move no cash stay with those who may void (managers by default).
    "ledger.adjust": LEDGER_VOID,
    "ledger.credit": LEDGER_VOID,
    "drawer.count": PAYMENT_TAKE,  # whoever takes money counts their drawer
    "kiosk.referral": CHECK_IN,  # the kiosk saying why it sent a family to the front desk
    "desk.settings": SETTINGS_MANAGE,
    "family.create": FAMILY_ADD,  # a new family from the phone call (sync.core.family_mutations)
    "student.move": STUDENT_MOVE,  # a child to another family: custody changes  # a desk's own settings (printer, lock, kiosk hours): audited
}
MUTATION_PREFIX_PERMISSIONS: dict[str, str] = {
    "card": FAMILY_EDIT,  # member cards belong to a family's file
    "family": FAMILY_EDIT,
    "contact": FAMILY_EDIT,
    "student": FAMILY_EDIT,
    "note": FAMILY_EDIT,
    "alert": FAMILY_EDIT,
    "charge": CHARGE_POST,
    "payment": PAYMENT_TAKE,
    "void": LEDGER_VOID,
    "refund": LEDGER_REFUND,
    "receipt": LEDGER_VIEW,  # emailing a receipt: whoever may see the family's payments
    "program": CLASSES_MANAGE,
    "class": CLASSES_MANAGE,
    "session": CLASSES_MANAGE,  # one session cancelled, moved, given a substitute
    "location": SETUP_MANAGE,
    "room": SETUP_MANAGE,
    "closure": SETUP_MANAGE,
    "enrollment": ENROLL,  # coaches take attendance but do not enroll
    "waitlist": ENROLL,
}

# Kinds of change any signed-in staff member may make (letting go of their own refused change).
MUTATIONS_FOR_ANYONE: frozenset[str] = frozenset({"outbox.discard"})

# Pulling the account's records needs at least one of these (a kiosk needs the roster to check in).
PULL_ANY_OF: frozenset[str] = frozenset({CHECK_IN, ATTENDANCE_VIEW, FAMILY_VIEW})

# Which records a pull may bring to a desk, by the permissions of who is signed in there: a
# record type reaches a desk only for staff holding one of its permissions. Rosters (classes,
# students, their alerts and attendance) go to anyone who may pull; families and guardians to
# those who check in (the kiosk finds a family by a guardian's phone) or see families; money to
# those who see the ledger. A coach's desk never receives a family's phone or balance.
_ROSTER = PULL_ANY_OF
_FAMILIES = frozenset({CHECK_IN, FAMILY_VIEW})
_MONEY = frozenset({LEDGER_VIEW})
RECORD_VIEW: dict[str, frozenset[str]] = {
    "location": _ROSTER,
    "room": _ROSTER,
    "program": _ROSTER,
    "closure": _ROSTER,  # a closed day on the week view and the rosters
    "staff": _ROSTER,  # names on the screens, and the verifiers of offline sign-in
    "class_schedule": _ROSTER,
    "class_session": _ROSTER,
    "student": _ROSTER,
    "enrollment": _ROSTER,
    "alert": _ROSTER,  # a coach must see an allergy
    "check_in": _ROSTER,
    "attendance_mark": _ROSTER,
    "attendance": _ROSTER,
    "family": _FAMILIES,
    "contact": _FAMILIES,
    "member_card": _FAMILIES,
    "kiosk_referral": _FAMILIES,
    "ledger_entry": _MONEY,
    "ledger_allocation": _MONEY,
    "drawer_count": _MONEY,
    "receipt_email": _MONEY,
    "card_abandon": _MONEY,  # card calls a desk gave up on, and what became of them
}

AttendanceLevel = Literal["none", "view", "full"]


def expand(permissions: Iterable[str]) -> frozenset[str]:
    """The permissions with what they imply; unknown names are dropped."""
    out = {p for p in permissions if p in ALL_PERMISSIONS}
    for p in list(out):
        out |= IMPLIES.get(p, frozenset())
    return frozenset(out)


def mutation_permission(mutation_type: str) -> str | None:
    """The permission a mutation type needs, or None when no one may make it."""
    if mutation_type in MUTATION_PERMISSIONS:
        return MUTATION_PERMISSIONS[mutation_type]
    prefix = mutation_type.split(".", 1)[0].split("_", 1)[0]
    return MUTATION_PREFIX_PERMISSIONS.get(prefix)


def mutation_allowed(permissions: Iterable[str], mutation_type: str) -> bool:
    if mutation_type in MUTATIONS_FOR_ANYONE:
        return True
    needed = mutation_permission(mutation_type)
    return needed is not None and needed in expand(permissions)


def attendance_level(permissions: Iterable[str]) -> AttendanceLevel:
    perms = expand(permissions)
    if ATTENDANCE_TAKE in perms:
        return "full"
    return "view" if ATTENDANCE_VIEW in perms else "none"


def may(permissions: Iterable[str], permission: str) -> bool:
    return permission in expand(permissions)


def visible_types(permissions: Iterable[str]) -> frozenset[str]:
    """The record types a pull brings to staff with these permissions."""
    perms = expand(permissions)
    return frozenset(t for t, any_of in RECORD_VIEW.items() if perms & any_of)


# The groups hold what their permissions imply too (coach: take attendance, so see it).
BUILTIN_GROUPS.update({name: expand(perms) for name, perms in BUILTIN_GROUPS.items()})
