"""Start work from a screen without blocking it, in the spirit of Anki's CollectionOp.

    Op(self, lambda: store.check_in(...), doing="checking in").success(self._checked_in).run()

The coroutine runs as a task on the qasync loop (Qt's own loop), so the window keeps painting
and taking keys. The task is held in a module-level set until it ends (asyncio keeps only a weak
reference, and a collected task silently stops). Every failure goes to `show_error`, the one
place that decides how a failure looks; a `failure` callback only undoes what the screen showed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from desk.errors import describe_error, log_bug

T = TypeVar("T")
PROGRESS_DELAY_MS = 400  # quick work never flashes a dialog

_running: set[asyncio.Task] = set()


class Op(Generic[T]):
    def __init__(self, parent: QWidget | None, factory: Callable[[], Awaitable[T]], doing: str = ""):
        self.parent = parent
        self.factory = factory
        self.doing = doing
        self._on_success: Callable[[T], object] | None = None
        self._on_failure: Callable[[BaseException], object] | None = None
        self._progress_label: str | None = None
        self._progress_delay_ms = PROGRESS_DELAY_MS
        self._dialog: QProgressDialog | None = None

    def success(self, callback: Callable[[T], object]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], object]) -> Op[T]:
        self._on_failure = callback
        return self

    def with_progress(self, label: str, delay_ms: int = PROGRESS_DELAY_MS) -> Op[T]:
        """Show a busy dialog with `label` (and Cancel) if the work takes more than `delay_ms`."""
        self._progress_label = label
        self._progress_delay_ms = delay_ms
        return self

    def run(self) -> asyncio.Task:
        task = asyncio.ensure_future(self._guarded())
        _running.add(task)
        task.add_done_callback(self._finished)
        if self._progress_label is not None:
            QTimer.singleShot(self._progress_delay_ms, lambda: self._show_progress(task))
        return task

    async def _guarded(self) -> T:
        return await self.factory()

    def _finished(self, task: asyncio.Task) -> None:
        _running.discard(task)
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.deleteLater()
            self._dialog = None
        if task.cancelled():
            return
        if self.parent is not None and not shiboken6.isValid(self.parent):
            return  # the screen that asked is gone; nobody is left to tell
        exc = task.exception()
        try:
            if exc is None:
                if self._on_success is not None:
                    self._on_success(task.result())
                return
            if self._on_failure is not None:
                self._on_failure(exc)
        except Exception as callback_exc:  # a bug in the screen's own callback
            show_error(self.parent, callback_exc, self.doing)
            return
        show_error(self.parent, exc, self.doing)

    def set_progress(self, done: int, total: int) -> None:
        """Turn the busy dialog into a bar that fills (e.g. a first pull, page by page)."""
        self._done_total = (done, total)
        if self._dialog is not None and total > 0:
            self._dialog.setMaximum(total)
            self._dialog.setValue(min(done, total))

    def _show_progress(self, task: asyncio.Task) -> None:
        if task.done() or (self.parent is not None and not shiboken6.isValid(self.parent)):
            return
        dialog = QProgressDialog(self._progress_label or "", "Cancel", 0, 0, self.parent)
        dialog.setWindowTitle("Frontdesk")
        dialog.setAccessibleName(self._progress_label or "Working")
        dialog.canceled.connect(task.cancel)
        dialog.show()
        self._dialog = dialog
        done_total = getattr(self, "_done_total", None)
        if done_total is not None:
            self.set_progress(*done_total)


def running_ops() -> int:
    """How many ops are still running (tests wait for zero)."""
    return len(_running)


def show_error(parent: QWidget | None, exc: BaseException, doing: str = "") -> None:
    """The one way a failure reaches staff: bugs are logged with context; all are said plainly."""
    report = describe_error(exc, doing)
    if report.is_bug:
        log_bug(exc, doing)
    window = parent.window() if parent is not None and shiboken6.isValid(parent) else None
    show_alert = getattr(window, "show_alert", None)
    if callable(show_alert):
        show_alert(report)  # the main window says it in its toast area, without stopping the queue
        return
    box = QMessageBox(QMessageBox.Icon.Critical if report.is_bug else QMessageBox.Icon.Warning,
                      report.title, report.text, QMessageBox.StandardButton.Ok, parent)
    box.setAccessibleName(report.title)
    box.open()  # not exec(): a nested loop would stall the asyncio tasks running on Qt's loop
