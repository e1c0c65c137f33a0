"""Changes the server refused, receipts it could not email and card charges it could not cancel
(sync.attention): listed for a person to look at, never dropped silently.

Staff pick a line and either send it again (after fixing what was wrong, e.g. the student was put
back on file) or let it go; letting go is recorded in the server's audit log with who and why.
A card item (a charge to void by hand, a refund made but not recorded) is marked handled, with a
note, by someone who may take payments once it was dealt with at the card service
(sync.core.card_attention): it leaves every desk's list, and the server's audit log keeps the note.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.ops import Op
from desk.presenters.formatting import hhmm_local
from desk.widgets.common import label
from sync.attention import CARD_NEEDS_HAND, EMAIL_FAILED
from sync.views import RejectedView

ROLE_ID = Qt.ItemDataRole.UserRole
ROLE_CODE = Qt.ItemDataRole.UserRole + 1


class RejectedActions(Protocol):
    """What the dialog needs of the desk's store (sync.store.DeskStore has it)."""

    def rejected(self) -> list[RejectedView]: ...
    def retry_rejected(self, mutation_id: str) -> Awaitable[None]: ...
    def discard_rejected(self, mutation_id: str, reason: str = "") -> Awaitable[None]: ...
    def mark_handled(self, item_id: str, note: str) -> Awaitable[None]: ...


class NeedsAttentionDialog(QDialog):
    changed = Signal()  # a line was sent again or let go: the status bar's count moves

    def __init__(
        self,
        rejected: list[RejectedView],
        parent: QWidget | None = None,
        actions: RejectedActions | None = None,
        ask_reason: Callable[[QWidget], str | None] | None = None,
        *,
        may_handle: bool = False,
        ask_note: Callable[[QWidget], str | None] | None = None,
    ):
        super().__init__(parent)
        self.actions = actions
        self.may_handle = may_handle  # may take payments: card items can be marked handled
        self._ask_reason = ask_reason or _ask_reason
        self._ask_note = ask_note or _ask_note
        self.setWindowTitle("Needs attention")
        self.setAccessibleName("Needs attention")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        self.intro = label("", "", wrap=True)
        layout.addWidget(self.intro)
        self.items = QListWidget()
        self.items.setAccessibleName("Refused changes")
        self.items.setWordWrap(True)
        self.items.currentRowChanged.connect(lambda _row: self._enable())
        layout.addWidget(self.items, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.retry_button = QPushButton("Send again")
        self.retry_button.setAccessibleName("Send the chosen change again")
        self.retry_button.setToolTip("Send this change to the server again (after fixing what was wrong)")
        self.discard_button = QPushButton("Let it go…")
        self.discard_button.setAccessibleName("Let the chosen change go")
        self.discard_button.setToolTip("Remove it from this list; the office can still see it in the audit log")
        self.handled_button = QPushButton("Mark handled…")
        self.handled_button.setAccessibleName("Mark the chosen card item handled")
        self.handled_button.setToolTip(
            "Once it was dealt with at the card service: say what was done (kept in the office's log)"
            if may_handle else "Ask someone who may take payments to mark it handled")  # fmt: skip
        self.retry_button.clicked.connect(self.retry_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        self.handled_button.clicked.connect(self.handle_selected)
        if actions is not None:
            buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
            buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.ActionRole)
            buttons.addButton(self.handled_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_rejected(rejected)

    def show_rejected(self, rejected: list[RejectedView]) -> None:
        self.intro.setText(
            "These need a person: changes the server did not accept, receipts it could not email, and card "
            "charges it could not cancel. Pick one to send it again once it is fixed, or let a change go "
            "if it is no longer needed."
            if rejected else "Nothing needs attention. Every change made here was accepted."
        )
        self.items.clear()
        for r in rejected:
            item = QListWidgetItem(f"{r.summary} — made at {hhmm_local(r.made_at)}\n{r.message}")
            item.setData(ROLE_ID, r.mutation_id)
            item.setData(ROLE_CODE, r.code)
            self.items.addItem(item)
        self.items.setVisible(bool(rejected))
        if rejected:
            self.items.setCurrentRow(0)
        self._enable()

    def selected_id(self) -> str | None:
        item = self.items.currentItem()
        return item.data(ROLE_ID) if item is not None else None

    def retry_selected(self) -> None:
        chosen = self.selected_id()
        if chosen is None or self.actions is None:
            return
        actions = self.actions
        Op(self, lambda: actions.retry_rejected(chosen), doing="sending the change again").success(
            lambda _: self._reload()
        ).run()

    def discard_selected(self) -> None:
        chosen = self.selected_id()
        if chosen is None or self.actions is None:
            return
        reason = self._ask_reason(self)
        if reason is None:
            return  # they changed their mind
        actions = self.actions
        Op(self, lambda: actions.discard_rejected(chosen, reason), doing="letting the change go").success(
            lambda _: self._reload()
        ).run()

    def handle_selected(self) -> None:
        chosen = self.selected_id()
        if chosen is None or self.actions is None or not self.handled_button.isEnabled():
            return
        note = self._ask_note(self)
        if not note:
            return  # they changed their mind (a note is required: it is what the office reads)
        actions = self.actions
        Op(self, lambda: actions.mark_handled(chosen, note), doing="marking the card item handled").success(
            lambda _: self._reload()
        ).run()

    def _reload(self) -> None:
        if self.actions is not None:
            self.show_rejected(self.actions.rejected())
        self.changed.emit()

    def _enable(self) -> None:
        on = self.actions is not None and self.selected_id() is not None
        item = self.items.currentItem()
        code = item.data(ROLE_CODE) if item is not None else None
        # A failed email is sent again, not let go; a charge to void by hand is done at the card service.
        self.retry_button.setEnabled(on and code != CARD_NEEDS_HAND)
        self.discard_button.setEnabled(on and code not in (EMAIL_FAILED, CARD_NEEDS_HAND))
        self.handled_button.setEnabled(on and code == CARD_NEEDS_HAND and self.may_handle)


def _ask_reason(parent: QWidget) -> str | None:
    text, ok = QInputDialog.getText(
        parent, "Let this change go", "Why is it no longer needed? (kept in the office's log)"
    )
    return text.strip() if ok else None


def _ask_note(parent: QWidget) -> str | None:
    text, ok = QInputDialog.getText(
        parent, "Mark handled", "What was done? (e.g. Voided by hand on the card service's site; kept in the office's log)"
    )
    return " ".join(text.split()) if ok else None
