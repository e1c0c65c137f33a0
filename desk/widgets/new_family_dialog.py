"""New family (Ctrl+N on the Families screen), typed while the parent is on the phone.

One form: the family name and address, two guardians (the first is the primary contact), an
emergency contact, the children with birth date, allergy and medical notes, and a note for the
desk. Enter checks it; if a family on file looks the same (a guardian's phone or email, a child's
name and birth date), they are listed first: Enter opens the one picked, "Save anyway" (Alt+S)
adds the new family regardless. Saved in one step at this desk, offline too.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desk.ops import Op
from desk.presenters.family_forms import (
    MAX_CHILDREN,
    ChildRow,
    GuardianRow,
    NewFamilyPresenter,
    date_text,
)
from desk.presenters.payment import FormProblem
from desk.widgets.common import label
from desk.widgets.form_buttons import button_row
from desk.widgets.money_form import MoneyDialog, text_field

GUARDIAN_COLUMNS = [("first_name", "First name"), ("last_name", "Last name"), ("relation", "Relation"),
                    ("phone", "Phone"), ("email", "Email")]  # fmt: skip
CHILD_COLUMNS = [("first_name", "First name"), ("last_name", "Last name"), ("birth_date", "Birth date"),
                 ("gender", "Gender"), ("allergy", "Allergies"), ("medical", "Medical notes")]  # fmt: skip


class NewFamilyDialog(MoneyDialog):
    saved = Signal(str, str)  # family id, what the toast says
    open_existing = Signal(str)  # a family on file that was the same one after all

    def __init__(self, presenter: NewFamilyPresenter, parent: QWidget | None = None):
        super().__init__("New family", parent)
        self.presenter = presenter
        self.setMinimumWidth(980)
        self.fields: dict[str, QLineEdit] = {}
        body = QWidget()
        form = QVBoxLayout(body)
        form.setContentsMargins(0, 0, 8, 0)
        form.setSpacing(8)

        top = QGridLayout()
        self._field(top, "name", "Family name", 0, 0, "e.g. Okafor", heading="Family name")
        self._field(top, "address", "Address", 0, 1, "Street, city", heading="Address")
        top.setColumnStretch(1, 2)
        form.addLayout(top)

        form.addWidget(label("Guardians (the first is called first)", "sectionLabel"))
        self.guardians = QGridLayout()
        for r in range(2):
            for c, (key, words) in enumerate(GUARDIAN_COLUMNS):
                hint = {"relation": "mother, father…", "phone": "with area code", "last_name": "the family's name"}.get(key, "")
                self._field(self.guardians, f"guardian{r}.{key}", f"Guardian {r + 1} {words.lower()}", r, c, hint,
                            heading=words if r == 0 else None)  # fmt: skip
        form.addLayout(self.guardians)

        form.addWidget(label("Emergency contact", "sectionLabel"))
        emergency = QGridLayout()
        for c, (key, words) in enumerate(GUARDIAN_COLUMNS[:4]):
            hint = {"relation": "grandmother, neighbour…"}.get(key, "")
            self._field(emergency, f"emergency.{key}", f"Emergency contact {words.lower()}", 0, c, hint, heading=words)
        form.addLayout(emergency)

        form.addWidget(label("Children", "sectionLabel"))
        self.children = QGridLayout()
        self.child_count = 0
        for _ in range(2):
            self.add_child()
        form.addLayout(self.children)
        self.add_child_button = QPushButton("Add another child")
        self.add_child_button.setAccessibleName("Add another child")
        self.add_child_button.setAutoDefault(False)
        self.add_child_button.clicked.connect(self.add_child)
        more = QHBoxLayout()
        more.addWidget(self.add_child_button)
        more.addStretch(1)
        form.addLayout(more)

        note = QGridLayout()
        self._field(note, "note", "Note for the desk", 0, 0, "e.g. Dad picks up on Tuesdays", heading="Note for the desk")
        form.addLayout(note)
        form.addStretch(1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.viewport().setAutoFillBackground(False)  # the dialog's own background, not a grey panel
        body.setAutoFillBackground(False)
        self.fields["name"].textChanged.connect(self._family_name_typed)

        # Likely duplicates, shown before saving.
        self.duplicates_box = QWidget()
        dup = QVBoxLayout(self.duplicates_box)
        dup.setContentsMargins(0, 0, 0, 0)
        self.duplicates_title = label("This family may already be on file. Enter opens the one picked; "
                                      "Alt+S saves this one anyway.", "formProblem", wrap=True)
        self.duplicates_title.setProperty("tone", "amber")
        self.duplicates = QListWidget()
        self.duplicates.setAccessibleName("Families that look the same")
        self.duplicates.setMaximumHeight(170)
        self.duplicates.setWordWrap(True)
        self.duplicates.itemDoubleClicked.connect(lambda _item: self._open_existing())
        dup.addWidget(self.duplicates_title)
        dup.addWidget(self.duplicates)
        self.duplicates_box.hide()

        self.save_anyway = QPushButton("&Save anyway")  # Alt+S: only while likely duplicates are shown
        self.save_anyway.setAccessibleName("Save anyway")
        self.save_anyway.setAutoDefault(False)
        self.save_anyway.clicked.connect(self._save)
        self.save_anyway.hide()
        self.primary, buttons = button_row(self, "Save family", self._confirm, self.save_anyway)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(label("New family", "dialogTitle"))
        layout.addWidget(scroll, 1)
        layout.addWidget(self.duplicates_box)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.fields["name"].setFocus()

    def _field(self, grid: QGridLayout, key: str, name: str, row: int, col: int, hint: str = "",
               heading: str | None = None) -> QLineEdit:  # fmt: skip
        field = text_field(name, hint, 300)
        self.fields[key] = field
        if heading is not None:  # the column's words, once, above its first row
            grid.addWidget(label(heading, "muted"), 0, col)
        grid.addWidget(field, row + 1, col)
        field.textEdited.connect(self._edited)
        return field

    def _family_name_typed(self, name: str) -> None:
        """An empty last name is the family's: each last-name field shows which one it will be."""
        for key, field in self.fields.items():
            if key.endswith(".last_name") and not key.startswith("emergency"):
                field.setPlaceholderText(name.strip() or "the family's name")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """As tall as the form needs, up to the screen's height: the whole call fits without scrolling."""
        super().showEvent(event)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is None:
            return
        want = self.scroll.widget().sizeHint().height() + self.layout().sizeHint().height() - self.scroll.sizeHint().height()
        height = min(screen.height() - 40, max(self.height(), want + 24))
        self.resize(max(self.width(), min(1100, screen.width() - 80)), height)
        self.move(screen.left() + (screen.width() - self.width()) // 2, screen.top() + (screen.height() - height) // 2)

    def add_child(self) -> None:
        if self.child_count >= MAX_CHILDREN:
            return
        r = self.child_count
        for c, (key, words) in enumerate(CHILD_COLUMNS):
            hint = {"birth_date": date_text(dt.date(2019, 4, 2), self.presenter.region), "last_name": self._text("name").strip() or "the family's name"}.get(key, "")
            field = self._field(self.children, f"child{r}.{key}", f"Child {r + 1} {words.lower()}", r, c, hint,
                                heading=words if r == 0 else None)  # fmt: skip
            if r and c == 0:
                field.setFocus()
        self.child_count += 1
        if hasattr(self, "add_child_button"):
            self.add_child_button.setEnabled(self.child_count < MAX_CHILDREN)

    def _text(self, key: str) -> str:
        field = self.fields.get(key)
        return field.text() if field is not None else ""

    def _rows(self) -> tuple[list[GuardianRow], GuardianRow, list[ChildRow]]:
        guardians = [GuardianRow(*(self._text(f"guardian{r}.{k}") for k, _ in GUARDIAN_COLUMNS)) for r in range(2)]
        emergency = GuardianRow(*(self._text(f"emergency.{k}") for k, _ in GUARDIAN_COLUMNS))
        children = [ChildRow(*(self._text(f"child{r}.{k}") for k, _ in CHILD_COLUMNS)) for r in range(self.child_count)]
        return guardians, emergency, children

    def _edited(self, _text: str) -> None:
        if self.duplicates_box.isVisible():  # what was checked has changed: check again on Enter
            self._show_duplicates(False)

    def _show_duplicates(self, show: bool) -> None:
        self.duplicates_box.setVisible(show)
        self.save_anyway.setVisible(show)
        self.primary.setText("Open this family" if show else "Save family")
        self.primary.setAccessibleName(self.primary.text())

    def _confirm(self) -> None:
        """Enter: check the form and look for the same family on file; then save, or open the one picked."""
        if self.busy:
            return
        if self.duplicates_box.isVisible():
            self._open_existing()
            return
        guardians, emergency, children = self._rows()
        try:
            self.presenter.build(self._text("name"), self._text("address"), guardians, emergency, children,
                                 self._text("note"))  # fmt: skip
        except FormProblem as problem:
            self.say(problem.text)
            field = self.fields.get(problem.field)
            if field is not None:
                field.setFocus()
            return
        if self.presenter.check():
            self.duplicates.clear()
            self.duplicates.addItems(self.presenter.duplicate_lines())
            self.duplicates.setCurrentRow(0)
            self._show_duplicates(True)
            self.duplicates.setFocus()
            return
        self._save()

    def _open_existing(self) -> None:
        row = self.duplicates.currentRow()
        if 0 <= row < len(self.presenter.hits):
            self.open_existing.emit(self.presenter.hits[row].family_id)
            self.accept()

    def _save(self) -> None:
        if self.busy or self.presenter.draft is None:
            return
        self.say("")
        self.set_busy(True, self.primary, "Saving…")
        Op(self, self.presenter.save, doing="saving the new family").success(self._saved).failure(
            lambda _exc: self.set_busy(False, self.primary, "Save family")).run()  # fmt: skip

    def _saved(self, family_id: str) -> None:
        self.set_busy(False, self.primary)
        pending = self.presenter.families.store.pending_count() > 0
        self.saved.emit(family_id, self.presenter.saved_text(pending))
        self.accept()

    def keyPressEvent(self, event) -> None:
        # Enter in the duplicates list opens the family picked (the list would otherwise keep it).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.duplicates.hasFocus() and not self.busy:
            self._open_existing()
            event.accept()
            return
        super().keyPressEvent(event)
