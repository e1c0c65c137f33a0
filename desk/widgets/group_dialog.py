"""A new custom user group: a name staff read, and a box per permission.

The group's short name (what the server keys it by) is made from the words typed; the server
checks the manager may give every ticked permission and records the group in the audit log.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from desk.widgets.common import label
from sync.core.wire_staff import GroupCreate, GroupDetail, GroupUpdate


def group_name_from(words: str) -> str:
    """"Senior coaches" -> "senior-coaches": lower-case letters, digits and dashes (the server's rule)."""
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:64]


class GroupDialog(QDialog):
    def __init__(self, words: dict[str, str], groups: list[GroupDetail], parent: QWidget | None = None,
                 editing: GroupDetail | None = None):  # fmt: skip
        """A new group, or (`editing`) a custom group's words and permissions changed."""
        super().__init__(parent)
        self.editing = editing
        title = f"Edit group {editing.label}" if editing else "New group"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        others = [g for g in groups if editing is None or g.name != editing.name]
        self.taken = {g.name for g in others} | {g.label.lower() for g in others}
        layout = QVBoxLayout(self)
        layout.addWidget(label("A group gives the same permissions to everyone in it. Built-in groups stay as they are.",
                               "muted", wrap=True))
        self.label_field = QLineEdit()
        self.label_field.setAccessibleName("Group name")
        self.label_field.setPlaceholderText("e.g. Senior coaches")
        form = QFormLayout()
        name = label("Group name")
        name.setMinimumHeight(self.label_field.sizeHint().height())  # read on the field's line, not above it
        name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        name.setBuddy(self.label_field)
        form.addRow(name, self.label_field)
        layout.addLayout(form)
        self.boxes: dict[str, QCheckBox] = {}
        for name, text in words.items():
            box = QCheckBox(text)
            box.setAccessibleName(text)
            layout.addWidget(box)
            self.boxes[name] = box
        if editing is not None:
            self.label_field.setText(editing.label)
            for name, box in self.boxes.items():
                box.setChecked(name in editing.permissions)
        self.problem = label("", "signInError", wrap=True)
        self.problem.setAccessibleName("Group problem")
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def problem_text(self) -> str:
        """Why the group cannot be saved yet, in words; "" when it can."""
        words = self.label_field.text().strip()
        if not group_name_from(words):
            return "Type a name for the group, with at least one letter or digit."
        if (self.editing is None and group_name_from(words) in self.taken) or words.lower() in self.taken:
            return f"There is already a group called {words!r}. Pick another name."
        if not self.permissions():
            return "Tick at least one thing people in this group may do."
        return ""

    def permissions(self) -> list[str]:
        return sorted(n for n, b in self.boxes.items() if b.isChecked())

    def update(self) -> GroupUpdate:
        return GroupUpdate(label=self.label_field.text().strip(), permissions=self.permissions())

    def body(self) -> GroupCreate:
        words = self.label_field.text().strip()
        return GroupCreate(name=group_name_from(words), label=words, permissions=self.permissions())

    def _save(self) -> None:
        problem = self.problem_text()
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        self.accept()
