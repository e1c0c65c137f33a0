"""Move a student to another family (custody changes): type the other family's name, arrows, Enter.

The student keeps their classes, notes and history (they follow the student, not the family); the
audit log names both families. Needs the "Move students to another family" permission.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QListWidget, QVBoxLayout, QWidget

from desk.ops import Op
from desk.presenters.family_file import FamilyFilePresenter
from desk.widgets.common import label
from desk.widgets.form_buttons import button_row
from desk.widgets.money_form import MoneyDialog
from desk.widgets.search_field import SearchField


class MoveStudentDialog(MoneyDialog):
    moved = Signal(str)

    def __init__(self, presenter: FamilyFilePresenter, student_id: str, parent: QWidget | None = None):
        st = presenter.student(student_id)
        name = st.name if st else "the student"
        super().__init__(f"Move {name} to another family", parent)
        self.presenter, self.student_id = presenter, student_id
        self.targets = []
        self.search = SearchField()
        self.search.setAccessibleName("Search the family to move to")
        self.search.setPlaceholderText("The other family's name…")
        self.results = QListWidget()
        self.results.setAccessibleName("Families found")
        self.results.setMinimumHeight(200)
        self.results.itemDoubleClicked.connect(lambda _item: self._confirm())
        self.primary, buttons = button_row(self, "Move", self._confirm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(label(f"Move {name} to another family", "dialogTitle"))
        layout.addWidget(label("Classes, notes and history go with the student.", "muted", wrap=True))
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.search.textChanged.connect(self._typed)
        self.search.navigate.connect(lambda d: self.results.setCurrentRow(
            max(0, min(self.results.count() - 1, self.results.currentRow() + d))))  # fmt: skip
        self.search.confirm.connect(self._confirm)
        self.search.cancel.connect(self.reject)
        self.search.setFocus()

    def _typed(self, text: str) -> None:
        self.targets = self.presenter.move_targets(text)
        self.results.clear()
        for hit in self.targets:
            self.results.addItem(" · ".join(p for p in (f"{hit.name} family", hit.students, hit.guardians) if p))
        self.results.setCurrentRow(0 if self.targets else -1)

    def _confirm(self) -> None:
        row = self.results.currentRow()
        if self.busy:
            return
        if not 0 <= row < len(self.targets):
            self.say("Type the other family's name, then pick it with the arrows.")
            return
        target = self.targets[row]
        self.set_busy(True, self.primary, "Moving…")
        Op(self, lambda: self.presenter.move(self.student_id, target), doing="moving the student").success(
            self._done).failure(lambda _exc: self.set_busy(False, self.primary, "Move")).run()  # fmt: skip

    def _done(self, text: str) -> None:
        self.set_busy(False, self.primary)
        self.moved.emit(text)
        self.accept()
