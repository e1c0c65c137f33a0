"""Everything a shared desk does about who is at it: screens by permission, the idle lock,
switching user, and the manager screens (staff, audit log) for those allowed to see them.

    install_desk_security(window, session)      # once, after the main window is built
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QWidget

from desk.idle_lock import DeskLock
from desk.permission_view import apply_permissions
from sync.auth import SignedIn

MANAGER_KEYS = {"import_screen": "F7", "staff_screen": "F8", "audit_screen": "F9", "desks_screen": "F11"}
LOCK_KEY = "Ctrl+L"


def show_signed_in(window: QMainWindow, signed: SignedIn) -> None:
    window.staff.setText(f"Signed in: {signed.staff.display_name}")  # type: ignore[attr-defined]
    window.staff.setAccessibleName(f"Signed in as {signed.staff.display_name}")  # type: ignore[attr-defined]
    apply_permissions(window, signed.staff.permissions)


def add_screen(window: QMainWindow, attr: str, screen: QWidget, key: str) -> None:
    """Add a screen the way MainWindow adds its own: stack, rail button, key."""
    setattr(window, attr, screen)
    window.screens.append(screen)  # type: ignore[attr-defined]
    window.stack.addWidget(screen)  # type: ignore[attr-defined]
    window.rail.add(screen.title, key)  # type: ignore[attr-defined]
    QShortcut(QKeySequence(key), window, activated=lambda i=len(window.screens) - 1: window.show_screen(i))  # type: ignore[attr-defined]


def _import_screen(window: QMainWindow, session) -> QWidget:
    """Import from the previous software and export everything (data.import; online only)."""
    from desk.presenters.imports import ImportPresenter
    from desk.widgets.import_screen import ImportScreen
    from sync.imports_client import ImportApi

    presenter = ImportPresenter(ImportApi(session.client), window.location.id)  # type: ignore[attr-defined]
    return ImportScreen(presenter, window.notify)  # type: ignore[attr-defined]


def _desks_screen(window: QMainWindow, session) -> QWidget:
    """The account's desks: last seen, retire, setup codes (the owner; online only)."""
    from desk.widgets.desks_screen import DesksScreen
    from sync.desks_client import DesksApi

    return DesksScreen(DesksApi(session.client), session.store.desk_id, window.notify)  # type: ignore[attr-defined]


def install_desk_security(window: QMainWindow, session, *, manager_screens: bool = True) -> DeskLock:
    if manager_screens:
        from desk.widgets.audit_screen import AuditScreen
        from desk.widgets.staff_screen import StaffScreen
        from sync.staff_client import StaffApi

        api = StaffApi(session.client)
        add_screen(window, "import_screen", _import_screen(window, session), MANAGER_KEYS["import_screen"])
        add_screen(window, "staff_screen", StaffScreen(api, window.notify), MANAGER_KEYS["staff_screen"])  # type: ignore[attr-defined]
        audit = AuditScreen(api, window.notify, window.location.timezone)  # type: ignore[attr-defined]
        add_screen(window, "audit_screen", audit, MANAGER_KEYS["audit_screen"])
        add_screen(window, "desks_screen", _desks_screen(window, session), MANAGER_KEYS["desks_screen"])
    if session.auth.current is not None:
        show_signed_in(window, session.auth.current)
    lock = DeskLock(window, session.auth, timeout=session.config.idle_lock_seconds,
                    on_switched=lambda signed: show_signed_in(window, signed))
    window.desk_lock = lock  # type: ignore[attr-defined]
    # Lock now, e.g. before stepping away (like every key, it is off while the desk is locked).
    QShortcut(QKeySequence(LOCK_KEY), window, activated=lock.lock)
    window.closed.connect(lock.close)  # type: ignore[attr-defined]
    return lock
