"""The roster screen: today's sessions on the left, the register on the right, keyboard only.

Keys in the register: P present, A absent, L late, Space cycles, arrows move, Left goes back to
the classes. In the classes: arrows pick a class, Enter or Right goes to its register.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QListWidget, QListWidgetItem, QSizePolicy, QStackedWidget,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desk import theme
from desk.ops import Op
from desk.presenters.formatting import clock_range
from desk.presenters.roster import MARK_WORDS, Mark, RosterPresenter, SessionLine
from desk.widgets.common import ALERT_WORDS, label, set_tone
from sync.views import LocationView, RosterRow

Notify = Callable[[str, str], None]
ROW_HEIGHT = 44
MARK_LOOK = {"present": ("✓ Present", "accent_text"), "late": ("◷ Late", "amber"),
             "absent": ("✗ Absent", "red"), None: ("— Not marked", "muted")}


class SessionList(QListWidget):
    enter = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right):
            self.enter.emit()
            return
        super().keyPressEvent(event)


class RosterTable(QTableWidget):
    moved = Signal(int)
    marked = Signal(str)  # "P", "A", "L" or " " (cycle)
    back = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        moves = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8, Qt.Key.Key_PageDown: 8,
                 Qt.Key.Key_Home: -10_000, Qt.Key.Key_End: 10_000}
        if key in moves:
            self.moved.emit(moves[key])
        elif key in (Qt.Key.Key_P, Qt.Key.Key_A, Qt.Key.Key_L) and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.marked.emit(chr(key))
        elif key == Qt.Key.Key_Space:
            self.marked.emit(" ")
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Escape):
            self.back.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class RosterScreen(QWidget):
    title = "Rosters"

    def __init__(self, presenter: RosterPresenter, notify: Notify, parent: QWidget | None = None):
        super().__init__(parent)
        self.presenter = presenter
        self.notify = notify
        self.setAccessibleName("Rosters")

        self.sessions = SessionList()
        self.sessions.setAccessibleName("Today's classes")
        self.sessions.currentRowChanged.connect(self._session_chosen)
        self.sessions.enter.connect(lambda: self.table.setFocus())
        self.sessions_empty = label("", "emptyState", wrap=True)
        self.sessions_empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.left = QStackedWidget()
        self.left.addWidget(self.sessions)
        self.left.addWidget(self.sessions_empty)

        self.header = label("", "rosterHeader")
        self.subheader = label("", "muted")
        self.counts = label("", "counts")
        self.counts.setAccessibleName("Counts")
        self.table = RosterTable(0, 3)
        self.table.setAccessibleName("Roster")
        self.table.setHorizontalHeaderLabels(["Student", "Attendance", "Notes"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.moved.connect(self._move)
        self.table.marked.connect(self._mark_key)
        self.table.back.connect(lambda: self.sessions.setFocus())
        self.table.cellClicked.connect(lambda row, _col: self._move(row - self.presenter.cursor))
        self.roster_empty = label("", "emptyState", wrap=True)
        self.roster_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.right_stack = QStackedWidget()
        self.right_stack.addWidget(self.table)
        self.right_stack.addWidget(self.roster_empty)
        self.keys = label(self.presenter.keys_text(), "hint", wrap=True)
        self.keys.setAccessibleName("Keys")

        right = QVBoxLayout()
        right.setSpacing(6)
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.header)
        titles.addWidget(self.subheader)
        top.addLayout(titles, 1)
        top.addWidget(self.counts, 0, Qt.AlignmentFlag.AlignBottom)
        right.addLayout(top)
        right.addSpacing(6)
        right.addWidget(self.right_stack, 1)
        right.addWidget(self.keys)

        right_box = QWidget()
        right_box.setLayout(right)
        right.setContentsMargins(0, 0, 0, 0)
        for column in (self.left, right_box):
            column.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(18)
        layout.addWidget(self.left, 2)
        layout.addWidget(right_box, 3)
        self.setFocusProxy(self.table)

    # --- what the main window calls --------------------------------------------------------
    def activate(self) -> None:
        self.reload()
        (self.table if self.presenter.rows else self.sessions).setFocus()

    def set_location(self, location: LocationView) -> None:
        self.presenter.set_location(location)
        self.reload()

    def refresh(self) -> None:
        self.reload()

    def set_can_mark(self, allowed: bool) -> None:
        """Attendance "full" marks with P/A/L/Space; "view" shows the register and says why keys do nothing."""
        self.presenter.can_mark = allowed
        self.keys.setText(self.presenter.keys_text())
        set_tone(self.keys, "neutral" if allowed else "amber")

    def reload(self) -> None:
        lines = self.presenter.load_sessions()
        self._draw_sessions(lines)
        self.presenter.load_rows(keep_cursor=True)
        self._draw_roster()

    # --- sessions ----------------------------------------------------------------------------
    def _draw_sessions(self, lines: list[SessionLine]) -> None:
        self.sessions.blockSignals(True)
        self.sessions.clear()
        for line in lines:
            item = QListWidgetItem()
            item.setSizeHint(QSize(0, 66))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{line.time} {line.title}, {line.coach}, {line.counts} here")
            self.sessions.addItem(item)
            self.sessions.setItemWidget(item, _SessionRow(line))
        self.sessions.setCurrentRow(self.presenter.session_index)
        self.sessions.blockSignals(False)
        if not lines:
            self.sessions_empty.setText(self.presenter.empty_sessions_text())
        self.left.setCurrentWidget(self.sessions if lines else self.sessions_empty)

    def _session_chosen(self, index: int) -> None:
        self.presenter.select_session(index)
        self._draw_roster()

    # --- the register ------------------------------------------------------------------------
    def _draw_roster(self) -> None:
        session = self.presenter.current_session
        if session is None:
            self.header.setText("No class chosen")
            self.subheader.setText("")
        else:
            self.header.setText(self.presenter.session_lines()[self.presenter.session_index].title)
            cancelled = " · Cancelled" if session.cancelled else ""
            coach = f" · {session.coach}" if session.coach else ""
            self.subheader.setText(f"{clock_range(session.starts_at, session.ends_at)}{coach}{cancelled}")
        rows = self.presenter.rows
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            self._draw_row(i, row)
        self._draw_cursor_and_counts()
        if not rows:
            self.roster_empty.setText(self.presenter.empty_roster_text())
        self.right_stack.setCurrentWidget(self.table if rows else self.roster_empty)

    def _draw_row(self, i: int, row: RosterRow) -> None:
        name = QTableWidgetItem(row.full_name + ("  (drop-in)" if row.drop_in else ""))
        word, tone = MARK_LOOK.get(row.status, MARK_LOOK[None])
        mark = QTableWidgetItem(word)
        mark.setForeground(QColor(theme.color(tone)))
        mark.setData(Qt.ItemDataRole.AccessibleTextRole, MARK_WORDS.get(row.status, "Not marked"))
        notes = ["Checked in"] if row.checked_in else []
        notes += [f"{ALERT_WORDS.get(a.kind, a.kind)}: {a.text}" if a.text else ALERT_WORDS.get(a.kind, a.kind) for a in row.alerts]
        note = QTableWidgetItem(" · ".join(notes))
        if any(a.severity == "red" for a in row.alerts):
            note.setForeground(QColor(theme.color("red")))
        for col, item in enumerate((name, mark, note)):
            self.table.setItem(i, col, item)

    def _draw_cursor_and_counts(self) -> None:
        if self.presenter.cursor >= 0:
            self.table.selectRow(self.presenter.cursor)
            self.table.scrollToItem(self.table.item(self.presenter.cursor, 0))
        self.counts.setText(self.presenter.counts().text() if self.presenter.rows else "")
        session = self.presenter.current_session
        if session is not None and 0 <= self.presenter.session_index < self.sessions.count():
            widget = self.sessions.itemWidget(self.sessions.item(self.presenter.session_index))
            if isinstance(widget, _SessionRow):
                counts = self.presenter.counts()
                widget.set_counts(f"{counts.here}/{session.enrolled}")

    def _move(self, delta: int) -> None:
        self.presenter.move(delta)
        self._draw_cursor_and_counts()

    def _mark_key(self, key: str) -> None:
        if not self.presenter.can_mark:
            self.notify(self.presenter.keys_text(), "amber")
            return
        row_index = self.presenter.cursor
        mark = self.presenter.cycle() if key == " " else self.presenter.mark_key(key)
        if mark is None:
            return
        self._draw_row(row_index, self.presenter.rows[row_index])
        self._draw_cursor_and_counts()
        Op(self, lambda: self.presenter.record(mark), doing="marking attendance").success(
            lambda _none: self._recorded(mark)
        ).failure(lambda _exc: self.reload()).run()

    def _recorded(self, mark: Mark) -> None:
        session = self.presenter.current_session
        if session is None or session.id != mark.session_id:
            return  # staff moved to another class meanwhile; its register is already fresh
        # The store is the truth (a pull may have landed meanwhile): redraw from it, cursor kept.
        self.presenter.load_rows(keep_cursor=True)
        self._draw_roster()


class _SessionRow(QWidget):
    def __init__(self, line: SessionLine):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 14, 6)
        row.setSpacing(12)
        time = label(line.time, "sessionTime")
        time.setMinimumWidth(80)
        row.addWidget(time)
        names = QVBoxLayout()
        names.setSpacing(0)
        title = label(line.title + (" (cancelled)" if line.cancelled else ""), "hitName")
        names.addWidget(title)
        names.addWidget(label(line.coach, "muted"))
        row.addLayout(names, 1)
        self.counts = label(line.counts, "sessionCounts")
        self.counts.setToolTip("present / enrolled")
        row.addWidget(self.counts)

    def set_counts(self, text: str) -> None:
        self.counts.setText(text)
