"""Changes the server refused: listed for a person to look at, never dropped silently."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desk.presenters.formatting import hhmm_local
from desk.widgets.common import label
from sync.views import RejectedView


class NeedsAttentionDialog(QDialog):
    def __init__(self, rejected: list[RejectedView], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Needs attention")
        self.setAccessibleName("Needs attention")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        intro = (
            "The server did not accept these changes made at this desk. Check each one and redo it if it is still needed."
            if rejected else "Nothing needs attention. Every change made here was accepted."
        )
        layout.addWidget(label(intro, "", wrap=True))
        self.items = QListWidget()
        self.items.setAccessibleName("Refused changes")
        self.items.setWordWrap(True)
        for r in rejected:
            item = QListWidgetItem(f"{r.summary} — made at {hhmm_local(r.made_at)}\n{r.message}")
            item.setData(0x0100, r.mutation_id)  # Qt.UserRole: which change this line is about
            self.items.addItem(item)
        self.items.setVisible(bool(rejected))
        layout.addWidget(self.items, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
