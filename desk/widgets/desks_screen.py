"""The account's desks (the owner): where and when each was last seen, retire one, make a setup code."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk.ops import Op
from desk.presenters.desks import COLUMNS, code_words, may_retire, retire_question, row
from desk.widgets.common import label
from sync.desks_client import DesksApi
from sync.core.wire_desks import DeskPublic


class DesksScreen(QWidget):
    title = "Desks"

    def __init__(self, api: DesksApi, this_desk: str, notify: Callable[[str, str], None],
                 confirm: Callable[[str], bool] | None = None):  # fmt: skip
        super().__init__()
        self.api, self.this_desk, self.notify = api, this_desk, notify
        self.confirm = confirm or self._ask
        self.desks: list[DeskPublic] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Desks")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.retire_button = QPushButton("Retire desk…")
        self.retire_button.clicked.connect(lambda: Op(self, self.retire_selected, doing="retiring the desk").run())
        self.code_button = QPushButton("New setup code")
        self.code_button.clicked.connect(lambda: Op(self, self.make_code, doing="making a setup code").run())
        self.message = label("", "muted", wrap=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.code_button)
        buttons.addWidget(self.retire_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    # --- the screen contract of the main window ---------------------------------------------
    def activate(self) -> None:
        Op(self, self.reload, doing="loading the desks").run()

    def refresh(self) -> None:
        pass  # read from the server when shown

    def set_location(self, _location) -> None:
        pass

    # --- work --------------------------------------------------------------------------------
    async def reload(self) -> list[DeskPublic]:
        self.desks = await self.api.desks()
        self.table.setRowCount(len(self.desks))
        for r, desk in enumerate(self.desks):
            for c, text in enumerate(row(desk, self.this_desk)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        return self.desks

    async def retire_selected(self) -> DeskPublic | None:
        r = self.table.currentRow()
        if not 0 <= r < len(self.desks):
            self.message.setText("Pick a desk in the list first.")
            return None
        desk = self.desks[r]
        why_not = may_retire(desk, self.this_desk)
        if why_not is not None:
            self.message.setText(why_not)
            return None
        if not self.confirm(retire_question(desk)):
            return None
        done = await self.api.retire(desk.id)
        self.notify(f"{done.name or 'The desk'} is retired: it can no longer sign in.", "ok")
        await self.reload()
        return done

    async def make_code(self) -> str:
        answer = await self.api.setup_code()
        self.message.setText(code_words(answer))
        return answer.code

    def _ask(self, question: str) -> bool:
        return QMessageBox.question(self, "Retire desk", question) == QMessageBox.StandardButton.Yes
