"""Set-up (owners and managers): classes, programs, locations, closures and rooms, keyboard first.

Alt+C/P/L/O/R pick a tab; in a list, Ctrl+N adds, Enter edits, Delete retires (a closure is
removed: its classes are on again). Changes go through the outbox (offline too); the server
makes or cancels the sessions and the desk shows them after the next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from desk.ops import Op
from desk.presenters.setup import SetUpPresenter
from desk.widgets.common import label
from desk.widgets.setup_forms import class_form, session_form, simple_form
from sync.views import LocationView

HEADERS = {
    "class": ("Class", "Program", "Days and times", "Ages", "Enrolled", "Instructors", "Room", "Tuition", "Term", ""),
    "program": ("Program", "Description", ""),
    "location": ("Location", "Code", "Time zone", "Phone", "Address", "Opening hours", ""),
    "closure": ("Closure", "Days", ""),
    "room": ("Room", "Capacity", ""),
}
TAB_TITLES = {"class": "&Classes", "program": "&Programs", "location": "&Locations", "closure": "Cl&osures", "room": "&Rooms"}


class SetUpTab(QWidget):
    """One list of records with New / Edit / Retire."""

    def __init__(self, screen: SetUpScreen, kind: str):
        super().__init__()
        self.screen, self.kind = screen, kind
        self.can_change = True  # SetUpScreen.set_permissions
        self.records: list[Any] = []
        self.table = QTableWidget(0, len(HEADERS[kind]))
        self.table.setHorizontalHeaderLabels(list(HEADERS[kind]))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.setAccessibleName(TAB_TITLES[kind].replace("&", ""))
        self.table.activated.connect(lambda _index: self.edit())
        self.new_button = QPushButton("New… (Ctrl+N)")
        self.new_button.clicked.connect(self.new)
        self.edit_button = QPushButton("Edit… (Enter)")
        self.edit_button.clicked.connect(self.edit)
        self.retire_button = QPushButton("Remove (Del)" if kind == "closure" else "Retire (Del)")
        self.retire_button.clicked.connect(self.retire)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.edit_button, self.retire_button):
            b.setMinimumHeight(36)
            buttons.addWidget(b)
        if kind == "class":
            self.sessions_button = QPushButton("Sessions… (Ctrl+E)")
            self.sessions_button.setMinimumHeight(36)
            self.sessions_button.clicked.connect(self.sessions)
            buttons.addWidget(self.sessions_button)
            QShortcut(QKeySequence("Ctrl+E"), self, activated=self.sessions,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)  # fmt: skip
        if kind == "closure":
            self.calls_button = QPushButton("Families to call…")
            self.calls_button.setMinimumHeight(36)
            self.calls_button.clicked.connect(self.calls)
            buttons.addWidget(self.calls_button)
        buttons.addStretch(1)
        self.empty = label("", "muted")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        for key, slot in (("Ctrl+N", self.new), ("Delete", self.retire)):
            QShortcut(QKeySequence(key), self, activated=slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def reload(self) -> None:
        p = self.screen.presenter
        setup = p.setup
        loc = p.location.id or None
        if self.kind == "class":
            self.records = p.classes()
            lines = [p.class_line(c) for c in self.records]
        elif self.kind == "program":
            self.records = setup.programs()
            lines = [(r.name, r.description, "" if r.active else "retired") for r in self.records]
        elif self.kind == "location":
            self.records = setup.locations(all=True)
            lines = [p.location_line(r) for r in self.records]
        elif self.kind == "closure":
            self.records = setup.closures(loc)
            lines = [p.closure_line(r) for r in self.records]
        else:
            self.records = setup.rooms(loc)
            lines = [(r.name, str(r.capacity or ""), "" if r.active else "retired") for r in self.records]
        row = self.table.currentRow()
        self.table.setRowCount(len(lines))
        for i, line in enumerate(lines):
            for j, text in enumerate(line):
                self.table.setItem(i, j, QTableWidgetItem(text))
        if lines:
            self.table.selectRow(min(max(row, 0), len(lines) - 1))
        where = "" if self.kind in ("program", "location") else f" at {p.location.name}"
        self.empty.setText("" if lines else f"No {HEADERS[self.kind][0].lower()}s{where} yet: Ctrl+N adds one.")
        self.empty.setVisible(not lines)

    def current(self) -> Any:
        row = self.table.currentRow()
        return self.records[row] if 0 <= row < len(self.records) else None

    def new(self) -> None:
        if self.can_change:
            self._open(None)

    def edit(self) -> None:
        if self.can_change and self.current() is not None:
            self._open(self.current())

    def _open(self, record: Any) -> None:
        p, notify = self.screen.presenter, self.screen.notify
        # Parented to the window, not this tab: the tab's own keys (Del, Ctrl+N) stay out of the form.
        owner = self.window()
        form = class_form(owner, p, notify, record) if self.kind == "class" else simple_form(owner, p, notify, self.kind, record)
        form.finished.connect(lambda _code: self.screen.saved(self.kind))
        self.screen.form = form
        form.open()

    def retire(self) -> None:
        record = self.current()
        if record is None or not self.can_change:
            return
        Op(self, lambda: self.screen.presenter.retire(self.kind, record), doing="saving").success(
            lambda words: (self.screen.notify(words, "ok"), self.screen.saved(self.kind))).run()

    def sessions(self) -> None:
        record = self.current()
        if record is not None:
            self.screen.form = SessionsDialog(self.window(), self.screen, record)
            self.screen.form.open()

    def calls(self) -> None:
        record = self.current()
        if record is not None:
            QMessageBox.information(self, f"{record.name}: families to call", self.screen.presenter.calls_for(record))


class SessionsDialog(QDialog):
    """A class's next four weeks: cancel one (Del) or move it / give it a substitute (Enter)."""

    def __init__(self, parent: QWidget, screen: SetUpScreen, cls: Any):
        super().__init__(parent)
        self.screen, self.cls = screen, cls
        self.setWindowTitle(f"Sessions of {cls.name}")
        self.setMinimumSize(640, 480)
        self.list = QListWidget()
        self.list.setAccessibleName("Sessions")
        self.list.itemActivated.connect(lambda _item: self.move())
        cancel = QPushButton("Cancel or restore (Del)")
        cancel.clicked.connect(self.cancel)
        move = QPushButton("Move or substitute… (Enter)")
        move.clicked.connect(self.move)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for b in (cancel, move, close):
            b.setMinimumHeight(36)
        row = QHBoxLayout()
        row.addWidget(cancel)
        row.addWidget(move)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(label(f"{cls.name}: {cls.when}. Changing one session leaves the class as it is.", "muted", wrap=True))
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.reload()

    def keyPressEvent(self, event) -> None:
        # Del from the list (which does not use it): a key press, not a shortcut, so the Set-up
        # tab's own Del (retire the class) never competes with it.
        if event.key() == Qt.Key.Key_Delete:
            self.cancel()
            return
        super().keyPressEvent(event)

    def reload(self) -> None:
        row = max(self.list.currentRow(), 0)
        self.sessions = self.screen.presenter.sessions(self.cls)
        self.list.clear()
        for _session, line in self.sessions:
            self.list.addItem(line)
        if self.sessions:
            self.list.setCurrentRow(min(row, len(self.sessions) - 1))
        self.list.setFocus()

    def current(self) -> Any:
        row = self.list.currentRow()
        return self.sessions[row][0] if 0 <= row < len(self.sessions) else None

    def cancel(self) -> None:
        session = self.current()
        if session is not None:
            Op(self, lambda: self.screen.presenter.cancel_session(session), doing="changing the session").success(
                lambda words: (self.screen.notify(words, "ok"), self.reload())).run()

    def move(self) -> None:
        session = self.current()
        if session is not None:
            form = session_form(self, self.screen.presenter, self.screen.notify, session)
            form.finished.connect(lambda _code: self.reload())
            self.form = form
            form.open()


class SetUpScreen(QWidget):
    title = "Set-up"

    def __init__(self, presenter: SetUpPresenter, notify: Callable[[str, str], None]):
        super().__init__()
        self.presenter, self.notify = presenter, notify
        self.form = None  # the open form, for tests
        self.locations_changed: Callable[[], None] = lambda: None  # the main window reloads its location list
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Set-up")
        self.lists = {kind: SetUpTab(self, kind) for kind in TAB_TITLES}
        for kind, tab in self.lists.items():
            self.tabs.addTab(tab, TAB_TITLES[kind])
        self.tabs.currentChanged.connect(lambda _i: self.activate())
        self.where = label("", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(self.where)
        layout.addWidget(self.tabs, 1)

    def activate(self) -> None:
        self.refresh()
        self.tabs.currentWidget().table.setFocus()

    def refresh(self) -> None:
        loc = self.presenter.location
        self.where.setText(f"Classes, rooms and closures of {loc.name} (switch the location in the top bar). "
                           "Alt+C classes · Alt+P programs · Alt+L locations · Alt+O closures · Alt+R rooms")  # fmt: skip
        for tab in self.lists.values():
            tab.reload()

    def set_permissions(self, permissions: frozenset[str]) -> None:
        """Mirror of the server's rule: classes and programs with classes.manage, locations, rooms
        and closures with setup.manage; a tab the person may not change is shown read-only."""
        from sync.core.permissions import CLASSES_MANAGE, SETUP_MANAGE

        for kind, tab in self.lists.items():
            allowed = (CLASSES_MANAGE if kind in ("class", "program") else SETUP_MANAGE) in permissions
            for b in (tab.new_button, tab.edit_button, tab.retire_button):
                b.setEnabled(allowed)
                b.setToolTip("" if allowed else "Ask an owner or manager: you may not change this.")
            if kind == "class":
                tab.sessions_button.setEnabled(allowed)
            tab.can_change = allowed

    def saved(self, kind: str) -> None:
        if kind == "location":
            self.locations_changed()  # a first location: the desk works at it at once
        self.refresh()

    def set_location(self, location: LocationView) -> None:
        self.presenter.set_location(location)
        if self.isVisible():  # a hidden screen reads when it is shown (activate)
            self.refresh()
