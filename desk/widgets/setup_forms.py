"""The forms of the Set-up screen: one dialog per record, Enter saves, Esc closes.

Thin: each form hands its text to desk.presenters.setup, which turns it into a change; a refusal
keeps the dialog open with the words in red, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from desk.ops import Op
from desk.presenters.setup import computer_zone, meetings_words, zones
from desk.widgets.common import label, set_tone
from sync.core.class_times import WEEKDAY_SHORT, parse_hours
from sync.errors import SyncError
from sync.setup_desk import ClassRow


class SetUpForm(QDialog):
    """Fields in a form; `save(values)` is a coroutine returning words; closes when it succeeds."""

    def __init__(self, parent: QWidget, title: str, save: Callable[[dict[str, str]], Awaitable[str]],
                 notify: Callable[[str, str], None]):  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(560)
        self._save, self.notify = save, notify
        self.fields: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.form.setVerticalSpacing(10)
        # A long form (a class) goes on in a second column: the whole of it fits a 768-line screen.
        self.right = QFormLayout()
        self.right.setVerticalSpacing(10)
        columns = QHBoxLayout()
        columns.setSpacing(28)
        columns.addLayout(self.form, 1)
        columns.addLayout(self.right, 1)
        self.message = label("", "formMessage", wrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label(title, "sectionTitle"))
        layout.addLayout(columns)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def next_column(self) -> None:
        self.form = self.right

    def line(self, key: str, caption: str, value: str = "", hint: str = "") -> QLineEdit:
        edit = QLineEdit(value)
        edit.setAccessibleName(caption)
        edit.setPlaceholderText(hint)
        edit.setMinimumHeight(36)
        self.fields[key] = edit
        self.form.addRow(caption, edit)
        return edit

    def combo(self, key: str, caption: str, choices: list[tuple[str, str]], current: str | None) -> QComboBox:
        box = QComboBox()
        box.setAccessibleName(caption)
        box.setMinimumHeight(36)
        for text, data in choices:
            box.addItem(text, data)
        box.setCurrentIndex(max(0, box.findData(current)))
        self.fields[key] = box
        self.form.addRow(caption, box)
        return box

    def checks(self, key: str, caption: str, choices: list[tuple[str, str]], chosen: set[str]) -> QListWidget:
        box = QListWidget()
        box.setAccessibleName(caption)
        box.setMaximumHeight(120)
        for text, data in choices:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            item.setCheckState(Qt.CheckState.Checked if data in chosen else Qt.CheckState.Unchecked)
            box.addItem(item)
        self.fields[key] = box
        self.form.addRow(caption, box)
        return box

    def values(self) -> dict[str, str]:
        out = {}
        for key, w in self.fields.items():
            if isinstance(w, QLineEdit):
                out[key] = w.text()
            elif isinstance(w, QComboBox):
                out[key] = w.currentData() or ""
            elif isinstance(w, QListWidget):
                out[key] = ",".join(w.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w.count())
                                    if w.item(i).checkState() == Qt.CheckState.Checked)  # fmt: skip
        return out

    def submit(self) -> None:
        values = self.values()
        Op(self, lambda: self._attempt(values), doing="saving").success(self._done).run()

    async def _attempt(self, values: dict[str, str]) -> str | SyncError:
        try:
            return await self._save(values)
        except SyncError as exc:  # expected (a refusal in words): said in the form, beside what was typed
            return exc

    def _done(self, outcome: str | SyncError) -> None:
        if isinstance(outcome, SyncError):
            self.message.setText(outcome.message)
            set_tone(self.message, "red")
            return
        self.notify(outcome, "ok")
        self.accept()


def class_form(parent: QWidget, presenter, notify, existing: ClassRow | None) -> SetUpForm:
    setup = presenter.setup
    form = SetUpForm(parent, "Edit class" if existing else "New class",
                     lambda v: presenter.save_class(v, existing), notify)  # fmt: skip
    e = existing
    form.line("name", "Name", e.name if e else "", "e.g. Level 1 Gymnastics")
    form.combo("program_id", "Program", [("(none)", "")] + [(p.name, p.id) for p in setup.programs() if p.active],
               e.program_id if e else None)  # fmt: skip
    form.line("level", "Level", e.level if e else "", "e.g. Beginner")
    form.line("times", "Days and times", meetings_words(e.times) if e else "", "Mon 16:00 60; Wed 16:00 60 (day, start, minutes)")
    form.line("ages", "Ages", e.ages.replace("all ages", "") if e else "", "e.g. 6-9, or 6+ (empty: all ages)")
    form.combo("room_id", "Room", [("(none)", "")] + [(r.name, r.id) for r in setup.rooms(presenter.location.id) if r.active],
               e.room_id if e else None)  # fmt: skip
    form.next_column()
    form.line("capacity", "Capacity", str(e.capacity) if e else "12")
    form.checks("instructor_ids", "Instructors", [(s.display_name, s.id) for s in setup.instructors()],
                set(e.instructor_ids) if e else set())  # fmt: skip
    form.line("tuition", "Monthly tuition", f"{e.tuition_cents / 100:.2f}".replace(".00", "") if e and e.tuition_cents else "",
              "e.g. 85 or 85.50")  # fmt: skip
    form.line("term_start", "Term starts", e.term_start.isoformat() if e and e.term_start else "", "YYYY-MM-DD (empty: now)")
    form.line("term_end", "Term ends", e.term_end.isoformat() if e and e.term_end else "", "YYYY-MM-DD (empty: ongoing)")
    return form


def simple_form(parent: QWidget, presenter, notify, kind: str, existing: Any = None) -> SetUpForm:
    titles = {"program": "program", "location": "location", "room": "room", "closure": "closure"}
    form = SetUpForm(parent, f"{'Edit' if existing else 'New'} {titles[kind]}",
                     lambda v: presenter.save_simple(kind, v, existing), notify)  # fmt: skip
    e = existing
    if kind == "program":
        form.line("name", "Name", e.name if e else "", "e.g. Recreational Gymnastics")
        form.line("description", "Description", e.description if e else "")
    elif kind == "location":
        form.line("name", "Name", e.name if e else "", "e.g. Downtown")
        form.line("code", "Short code", e.code if e else "", "2 to 8 letters, on receipts, e.g. DT")
        zone = e.timezone if e else computer_zone()
        form.combo("timezone", "Time zone", [(z.replace("_", " "), z) for z in zones()], zone)
        form.line("address", "Address", e.address if e else "")
        form.line("phone", "Phone", e.phone if e else "")
        hours = "; ".join(f"{WEEKDAY_SHORT[h.weekday]} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in parse_hours(e.hours)) if e else ""
        form.line("hours", "Opening hours", hours, "Mon 9:00-20:00; Sat 8:00-14:00")
    elif kind == "room":
        form.line("name", "Name", e.name if e else "", "e.g. Main floor")
        form.line("capacity", "Capacity", str(e.capacity) if e and e.capacity else "")
    elif kind == "closure":
        form.line("name", "Name", e.name if e else "", "e.g. Thanksgiving")
        form.line("start_date", "First closed day", e.start_date.isoformat() if e else "", "YYYY-MM-DD")
        form.line("end_date", "Last closed day", e.end_date.isoformat() if e else "", "YYYY-MM-DD (empty: one day)")
    return form


__all__ = ["SetUpForm", "class_form", "simple_form"]


def session_form(parent: QWidget, presenter, notify, session) -> SetUpForm:
    """Move one session, or give it a substitute: its class stays as it is."""
    form = SetUpForm(parent, "Move or change one session", lambda v: presenter.change_session(session, v), notify)
    form.line("date", "Date", session.date.isoformat(), "YYYY-MM-DD")
    form.line("start", "Starts at", "", "e.g. 17:30 (empty: as it is)")
    form.line("minutes", "Minutes", "", "empty: as it is")
    form.combo("instructor_id", "Substitute", [("(the class's instructors)", "")] +
               [(s.display_name, s.id) for s in presenter.setup.instructors()], session.instructor_id)  # fmt: skip
    form.line("note", "Note", session.note, "e.g. Floor repairs: in the small gym")
    return form
