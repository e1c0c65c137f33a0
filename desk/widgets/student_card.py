"""The student card: who this is, what the desk must notice, and today's classes to pick from."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desk.presenters.checkin import ClassLine
from desk.presenters.formatting import age_text, initials
from desk.widgets.common import Avatar, chip, label
from sync.views import StudentCard


class StudentCardView(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setAccessibleName("Student card")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 22, 24, 18)
        outer.setSpacing(14)

        head = QHBoxLayout()
        head.setSpacing(18)
        self.avatar = Avatar(88)
        head.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        who = QVBoxLayout()
        who.setSpacing(4)
        self.name = label("", "studentName")
        self.name.setAccessibleName("Student name")
        self.about = label("", "muted")
        self.chips = QHBoxLayout()
        self.chips.setSpacing(8)
        who.addWidget(self.name)
        who.addWidget(self.about)
        who.addLayout(self.chips)
        head.addLayout(who, 1)
        outer.addLayout(head)

        self.guardians = label("", "muted", wrap=True)
        outer.addWidget(self.guardians)

        self.classes_title = label("", "sectionLabel")
        outer.addWidget(self.classes_title)
        self.classes = QVBoxLayout()
        self.classes.setSpacing(8)
        outer.addLayout(self.classes)
        outer.addStretch(1)
        self.hint = label("", "hint", wrap=True)
        outer.addWidget(self.hint)
        self.class_rows: list[ClassRow] = []

    def show_card(self, card: StudentCard, lines: list[ClassLine], location_name: str, empty_text: str) -> None:
        student = card.student
        self.avatar.show_initials(initials(student.first_name, student.last_name), student.full_name)
        self.name.setText(student.full_name)
        about = [age_text(student.age), f"{student.family_name} family"]
        self.about.setText(" · ".join(a for a in about if a))
        _clear(self.chips)
        for alert in card.alerts:
            self.chips.addWidget(chip(alert))
        self.chips.addStretch(1)
        self.guardians.setText(
            "  ·  ".join(
                f"{g.name} ({g.relation})" + (f" {g.phone}" if g.phone else "") for g in card.guardians
            )
        )
        self.guardians.setVisible(bool(card.guardians))
        self.classes_title.setText(f"TODAY AT {location_name.upper()}")
        self.show_classes(lines, empty_text)

    def show_classes(self, lines: list[ClassLine], empty_text: str) -> None:
        _clear(self.classes)
        self.class_rows = [ClassRow(line) for line in lines]
        for row in self.class_rows:
            self.classes.addWidget(row)
        if not lines:
            self.classes.addWidget(label(empty_text, "emptyState", wrap=True))
        chosen = next((line for line in lines if line.chosen), None)
        if chosen is not None:
            more = " · 1–9 choose another class" if len(lines) > 1 else ""
            self.hint.setText(f"Enter checks in to {chosen.title}{more} · Esc clears")
        elif lines:
            self.hint.setText("Press 1–9 to choose a class, or Enter to check in without one · Esc clears")
        else:
            self.hint.setText("Enter checks in · Esc clears")

    def show_done(self, text: str) -> None:
        self.hint.setText(f"{text}. Type the next name.")


class ClassRow(QFrame):
    def __init__(self, line: ClassLine):
        super().__init__()
        self.line = line
        self.setObjectName("classRow")
        self.setProperty("chosen", line.chosen)
        self.setProperty("cancelled", line.cancelled)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 14, 6)
        row.setSpacing(14)
        row.addWidget(label(line.key, "keyBadge") if line.key else QLabel())
        row.addWidget(label(line.time, "classTime"))
        row.addWidget(label(line.title, "classTitle"), 1)
        if line.coach:
            row.addWidget(label(line.coach, "muted"))
        status = "Cancelled" if line.cancelled else "✓ Checked in" if line.done else "" if line.enrolled else "Drop-in"
        if status:
            row.addWidget(label(status, "doneMark" if line.done else "muted"))
        chosen = ", chosen" if line.chosen else ""
        self.setAccessibleName(f"{line.key} {line.time} {line.title}{chosen} {status}".strip())


def _clear(layout: QVBoxLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().hide()  # at once: deleteLater waits for the loop, and the old row would linger
            item.widget().deleteLater()
