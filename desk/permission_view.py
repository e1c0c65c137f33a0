"""The desk mirrors what the signed-in staff member may do: screens they may not use are hidden
from the rail and their keys do nothing. The server still decides; this only keeps the desk
from offering what would be refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QMainWindow, QWidget

from sync.core.permissions import (
    ATTENDANCE_VIEW, AUDIT_VIEW, CHECK_IN, CLASSES_MANAGE, DATA_IMPORT, LEDGER_VIEW, REPORTS_RUN, SETTINGS_MANAGE,
    STAFF_MANAGE, attendance_level, expand,
)

# What each screen needs, by the attribute the main window (or desk.security) keeps it under.
SCREEN_NEEDS: dict[str, str] = {
    "checkin": CHECK_IN,
    "roster": ATTENDANCE_VIEW,
    "families": LEDGER_VIEW,
    "reports": REPORTS_RUN,
    "staff_screen": STAFF_MANAGE,
    "audit_screen": AUDIT_VIEW,
    "import_screen": DATA_IMPORT,
    "desks_screen": SETTINGS_MANAGE,  # the owner's: desks last seen, retiring one, setup codes (server.desks)
    # This computer's printer, lock, kiosk hours and card rules: changed by who may manage settings
    # (the owner by default), and every save is audited (desk.settings_audit).
    "settings_screen": SETTINGS_MANAGE,
    "week_screen": ATTENDANCE_VIEW,  # the week's classes: whoever sees rosters
    "setup_screen": CLASSES_MANAGE,  # classes, programs, locations, closures, rooms (issue 20)
}


def needed_for(window: QMainWindow, screen: QWidget) -> str | None:
    for attr, permission in SCREEN_NEEDS.items():
        if getattr(window, attr, None) is screen:
            return permission
    return None  # a screen nobody listed here stays open to all (its own actions are checked)


def apply_permissions(window: QMainWindow, permissions: Iterable[str]) -> list[int]:
    """Show only the screens the staff member may use; returns their indexes."""
    perms = expand(permissions)
    allowed: list[int] = []
    shortcuts = {sc.key().toString(): sc for sc in window.findChildren(QShortcut)}
    for i, screen in enumerate(window.screens):  # type: ignore[attr-defined]
        need = needed_for(window, screen)
        ok = need is None or need in perms
        button = window.rail.buttons[i]  # type: ignore[attr-defined]
        button.setVisible(ok)
        key = button.key.text()
        if key in shortcuts:
            shortcuts[key].setEnabled(ok)
        if ok:
            allowed.append(i)
    roster = getattr(window, "roster", None)
    if roster is not None and hasattr(roster, "set_can_mark"):
        roster.set_can_mark(attendance_level(perms) == "full")  # "view": the register shows, keys say why not
    families = getattr(window, "families", None)
    if families is not None and hasattr(families, "set_permissions"):
        families.set_permissions(perms)  # take payment, post charge, void, refund: shown to who may
    setup = getattr(window, "setup_screen", None)
    if setup is not None and hasattr(setup, "set_permissions"):
        setup.set_permissions(perms)  # classes (classes.manage) apart from locations, rooms, closures (setup.manage)
    current = window.screens.index(window.current_screen())  # type: ignore[attr-defined]
    if allowed and current not in allowed:
        window.show_screen(allowed[0])  # type: ignore[attr-defined]
    return allowed
