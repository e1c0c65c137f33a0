"""The button row of the family file's dialogs: Cancel, any others, and the primary one (Enter)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton


def button_row(dialog: QDialog, text: str, confirm: Callable[[], object],
               *others: QPushButton) -> tuple[QPushButton, QHBoxLayout]:  # fmt: skip
    """The primary button (the dialog's default: Enter) and the row holding it, right-aligned."""
    primary = QPushButton(text)
    primary.setObjectName("primary")
    primary.setAccessibleName(text)
    primary.setDefault(True)
    primary.clicked.connect(confirm)
    cancel = QPushButton("Cancel")
    cancel.setAccessibleName("Cancel")
    cancel.setAutoDefault(False)  # Enter in a field never cancels
    cancel.clicked.connect(dialog.reject)
    row = QHBoxLayout()
    row.addStretch(1)
    for button in (cancel, *others, primary):
        row.addWidget(button)
    return primary, row
