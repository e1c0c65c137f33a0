"""The Help button in the top bar: "Copy diagnostics" for support, and "About Frontdesk".

Copy diagnostics puts desk.diagnostics' report on the clipboard (printers are asked on a thread:
a spooler that does not answer must not freeze the desk) and says so in a toast. About names this
app's version and protocol and asks the server's /v1/health for its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton, QWidget

from desk.diagnostics import about_lines, diagnostics_report
from desk.ops import Op
from sync.errors import SyncError
from sync.core.wire import Health

if TYPE_CHECKING:
    from desk.boot import DeskSession

COPIED = "Diagnostics copied. Paste them into your message to support."


class HelpButton(QPushButton):
    """`window` is the main window: its store, and `notify` for the toast."""

    def __init__(self, window: Any, parent: QWidget | None = None):
        super().__init__("Help", parent)
        self.setObjectName("help")
        self.setAccessibleName("Help")
        self.setToolTip("Copy diagnostics for support, or see which version this is")
        self.main_window = window
        self.session: DeskSession | None = None  # set by desk.app once signed in: server, account, engine
        self.health: Health | None = None  # the server's last /v1/health answer
        self.health_asked_at: dt.datetime | None = None
        self.about_box: QMessageBox | None = None
        menu = QMenu(self)
        menu.setAccessibleName("Help")
        self.copy_action = menu.addAction("Copy diagnostics")
        self.copy_action.setToolTip("Put a report for support on the clipboard (no passwords or card data)")
        self.copy_action.triggered.connect(self.copy_diagnostics)
        self.about_action = menu.addAction("About Frontdesk")
        self.about_action.triggered.connect(self.show_about)
        self.setMenu(menu)

    def attach(self, session: DeskSession) -> None:
        self.session = session

    # --- Copy diagnostics --------------------------------------------------------------------
    def copy_diagnostics(self) -> asyncio.Task:
        return Op(self, self._report, doing="collecting diagnostics").success(self._copied).run()

    async def _report(self) -> str:
        from printing.printer import list_printers

        try:
            printers: list[Any] | None = await asyncio.to_thread(list_printers)
        except Exception:  # noqa: BLE001 - the report says it could not list them
            printers = None
        return self.diagnostics_text(printers)

    def diagnostics_text(self, printers: list[Any] | None = None) -> str:
        session = self.session
        return diagnostics_report(
            self.main_window.store,
            config=session.config if session else None,
            status=session.engine.status if session else None,
            staff_name=session.staff_name if session else "",
            health=self.health, health_asked_at=self.health_asked_at,
            printers=printers,
        )

    def _copied(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.main_window.notify(COPIED)

    # --- About -------------------------------------------------------------------------------
    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, "About Frontdesk", "", QMessageBox.StandardButton.Ok, self.window())
        box.setAccessibleName("About Frontdesk")
        self.about_box = box
        asking = self.session is not None
        self._say(box, about_lines(self.health, asked=asking))
        box.open()  # not exec(): a nested loop would stall the sync running on Qt's loop
        if asking:
            Op(self, self._ask_health, doing="asking the server its version").success(
                lambda error: self._answered(box, error)).run()
        return box

    async def _ask_health(self) -> str:
        """'' when the server answered (kept in self.health), else why not, in words."""
        assert self.session is not None
        try:
            self.health = await self.session.client.health()
        except SyncError as exc:
            return exc.message
        self.health_asked_at = dt.datetime.now(dt.UTC)
        return ""

    def _answered(self, box: QMessageBox, error: str) -> None:
        if shiboken6.isValid(box):
            self._say(box, about_lines(self.health if not error else None, asked=True, error=error))

    @staticmethod
    def _say(box: QMessageBox, lines: list[str]) -> None:
        box.setText(lines[0])
        box.setInformativeText("\n".join(lines[1:]))
