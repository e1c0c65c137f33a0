"""Edit (or add) one record of the family file: a family, a guardian, a student or a note.

The fields come from the presenter (desk.presenters.family_forms.EditPresenter); Enter saves what
changed, Esc closes. Saved at this desk at once through the outbox (offline too); a value the
desk or the server refuses is said under the form, and the field to fix takes the focus.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desk.ops import Op
from desk.presenters.family_forms import EditPresenter
from desk.presenters.payment import FormProblem
from desk.widgets.common import label
from desk.widgets.form_buttons import button_row
from desk.widgets.money_form import MoneyDialog, add_row, text_field


class RecordDialog(MoneyDialog):
    saved = Signal(str)  # what the toast says

    def __init__(self, presenter: EditPresenter, parent: QWidget | None = None):
        title = presenter.title if presenter.add is not None else f"Edit {presenter.title}"
        super().__init__(title, parent)
        self.presenter = presenter
        self.inputs: dict[str, QWidget] = {}
        form = QFormLayout()
        form.setVerticalSpacing(10)
        for f in presenter.fields:
            shown = presenter.shown(f.key)
            if f.kind == "bool":
                widget: QWidget = QCheckBox(f.label)
                widget.setChecked(bool(shown) if shown is not None else f.key == "active")
                widget.setAccessibleName(f.label)
                form.addRow("", widget)
            elif f.kind == "choice":
                widget = QComboBox()
                widget.setAccessibleName(f.label)
                for value, words in f.choices:
                    widget.addItem(words, value)
                widget.setCurrentIndex(max(0, widget.findData(shown)))
                add_row(form, f.label, widget)
            else:
                widget = text_field(f.label, f.placeholder, 500 if f.key == "text" else 300)
                widget.setText("" if shown is None else str(shown))
                add_row(form, f.label, widget)
            self.inputs[f.key] = widget

        self.primary, buttons = button_row(self, "Save", self._confirm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(label(title, "dialogTitle"))
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        first = next(iter(self.inputs.values()), None)
        if first is not None:
            first.setFocus()

    def typed(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, widget in self.inputs.items():
            if isinstance(widget, QCheckBox):
                out[key] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                out[key] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                out[key] = widget.text()
        return out

    def _confirm(self) -> None:
        if self.busy:
            return
        try:
            changes = self.presenter.begin(self.typed())
        except FormProblem as problem:
            self.say(problem.text)
            widget = self.inputs.get(problem.field)
            if widget is not None:
                widget.setFocus()
            return
        if not changes and self.presenter.add is None:
            self.accept()  # nothing changed: nothing to record
            return
        self.say("")
        self.set_busy(True, self.primary, "Saving…")
        Op(self, self.presenter.save, doing="saving the change").success(lambda _r: self._done()).failure(
            lambda _exc: self.set_busy(False, self.primary, "Save")).run()

    def _done(self) -> None:
        self.set_busy(False, self.primary)
        self.saved.emit(self.presenter.saved_text())
        self.accept()
