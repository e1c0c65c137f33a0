"""`frontdesk --self-test`: does this installation (a bundle, a venv) have everything the desk needs?

Run on a new front-desk computer, or by CI on the built bundle, with no server and no screen: it
opens the main window offscreen against a throw-away data folder, renders a receipt, lists the
printers, opens the local cache and outbox, writes the log. One line per check, "ok" or
"FAILED" with the reason; exit status 0 only when every check passed. A few seconds.

    $ frontdesk --self-test
    ok      Qt and the desk's style sheet: platform offscreen  (0.2 s)
    ...
    ok      printers: CUPS: Front desk (default)  (0.0 s)
    ok      diagnostics report: Frontdesk 0.1.0  (0.1 s)
    All 8 checks passed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

from desk.logs import CARD_REMOVED, read_tail, redact, setup_logging, stop_logging

LOCATION_CODE = "ST"


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class SelfTest:
    folder: Path  # throw-away: the desk's data, its log
    out: IO[str]
    results: list[Result] = field(default_factory=list)
    app: Any = None
    pdf: bytes = b""
    printers: list[Any] | None = None
    log_file: Path | None = None

    def check(self, name: str, step: Callable[[], str | None]) -> bool:
        started = time.monotonic()
        try:
            detail, ok = step() or "", True
        except Exception as exc:  # noqa: BLE001 - every failure is a line, with its reason (card data removed)
            detail, ok = f"{type(exc).__name__}: {redact(str(exc))}", False
        result = Result(name, ok, detail, time.monotonic() - started)
        self.results.append(result)
        mark = "ok" if ok else "FAILED"
        tail = f": {detail}" if detail else ""
        print(f"{mark:<7} {name}{tail}  ({result.seconds:.1f} s)", file=self.out, flush=True)
        return ok

    # --- the checks, in order; each one a line ------------------------------------------------
    def qt(self) -> str:
        from PySide6.QtWidgets import QApplication

        from desk.theme import apply_theme, style_sheet

        created = QApplication.instance() is None
        self.app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "frontdesk"])
        sheet = style_sheet(dark=False)  # the resources package travels with the app: style sheet, icons
        icons = resources.files("resources").joinpath("icons")
        if not sheet.strip() or not icons.is_dir() or not any(icons.iterdir()):
            raise FileNotFoundError("the style sheet or the icons are missing")
        if created:  # inside another program (tests) its own look stays as it is
            self.app.setQuitOnLastWindowClosed(False)
            apply_theme(self.app)
        return f"platform {self.app.platformName()}"

    def logging_(self) -> str:
        self.log_file = setup_logging(self.folder, console=False)
        if self.log_file is None:
            raise OSError(f"the log file in {self.folder} cannot be written")
        import logging

        number = _made_up_card_number()
        logging.getLogger("frontdesk.self_test").info("self-test line with a card number %s", number)
        lines = read_tail(self.log_file, 5)
        raw = self.log_file.read_text(encoding="utf-8")
        if number in raw or CARD_REMOVED not in raw or not lines:
            raise RuntimeError("a card number in a log line was not removed")
        return f"card data removed; the desk's log goes to {_platform_log_dir()}"

    def local_files(self) -> str:
        from sync.core.schema import Location, record_to_wire
        from sync.store import DeskStore
        from sync.core.wire import Change

        store = DeskStore(self._desk_dir(), staff_id="self-test")
        try:
            desk_id = store.desk_id
            place = Location(id="self-test-location", name="Self-test front desk", code=LOCATION_CODE,
                             timezone="America/Chicago")
            store.cache.apply_pull([Change(type="location", id=place.id, usn=1, data=record_to_wire(place))], cursor=1)
        finally:
            store.close()
        store = DeskStore(self._desk_dir(), staff_id="self-test")  # again: what was written is read back
        try:
            names = [loc.name for loc in store.locations()]
            if names != ["Self-test front desk"] or store.desk_id != desk_id or store.cache.cursor() != 1:
                raise RuntimeError(f"the cache read back {names!r}, cursor {store.cache.cursor()}")
            pending = store.pending_count()
        finally:
            store.close()
        return f"opened, written, closed and read back; {pending} changes waiting"

    def main_window(self) -> str:
        from desk.widgets.main_window import MainWindow
        from sync.store import DeskStore

        store = DeskStore(self._desk_dir(), staff_id="self-test")
        window = None
        try:
            window = MainWindow(store, staff_name="Self-test", account_name="Self-test", location_code=LOCATION_CODE)
            window.resize(1280, 800)
            window.show()
            self.app.processEvents()
            if not window.isVisible() or window.location.code != LOCATION_CODE:
                raise RuntimeError("the main window did not open on the test location")
            screens = [s.title for s in window.screens]
            image = window.grab()  # paints every widget once: a missing image plugin or font shows here
            if image.isNull():
                raise RuntimeError("the main window could not be drawn")
        finally:
            if window is not None:
                window.close()
                window.deleteLater()
                self.app.processEvents()
            store.close()
        return f"screens {', '.join(screens)}"

    def receipt(self) -> str:
        from printing.fonts import fonts
        from printing.receipt import render_receipt

        data = sample_receipt()
        self.pdf = render_receipt(data, "thermal")
        page = render_receipt(data, "page")
        if not (self.pdf.startswith(b"%PDF") and page.startswith(b"%PDF")):
            raise RuntimeError("the receipt is not a PDF")
        return f"thermal {len(self.pdf) // 1024} KB and full page; font {fonts().sans}"

    def pdfium(self) -> str:
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(self.pdf)
        try:
            bitmap = doc[0].render(scale=1)
            width, height = bitmap.width, bitmap.height
        finally:
            doc.close()
        if not width or not height:
            raise RuntimeError("the receipt rendered empty")
        return f"receipt page drawn at {width}x{height}"

    def printers_(self) -> str:
        from printing import spooler
        from printing.printer import list_printers

        self.printers = list_printers()
        route = "CUPS" if spooler.available() else "Qt"
        names = ", ".join(p.label() for p in self.printers) or "none found"
        return f"{route}: {names}"

    def diagnostics(self) -> str:
        from desk.diagnostics import app_version, diagnostics_report
        from sync.store import DeskStore

        store = DeskStore(self._desk_dir())
        try:
            text = diagnostics_report(store, printers=self.printers or [], log_file=self.log_file)
        finally:
            store.close()
        if f"Frontdesk {app_version()}" not in text or "Desk id:" not in text:
            raise RuntimeError("the report is missing its version or desk id")
        return f"Frontdesk {app_version()}"

    def _desk_dir(self) -> Path:
        return self.folder / "desk"

    def run(self) -> int:
        # (name, check, what it needs from an earlier one: a check whose input is missing fails as skipped)
        steps: list[tuple[str, Callable[[], str | None], Callable[[], str]]] = [
            ("Qt and the desk's style sheet", self.qt, _nothing),
            ("log file", self.logging_, _nothing),
            ("local cache and outbox", self.local_files, _nothing),
            ("main window", self.main_window, lambda: "" if self.app is not None else "Qt did not start"),
            ("receipt PDF", self.receipt, _nothing),
            ("printing renderer (pdfium)", self.pdfium, lambda: "" if self.pdf else "no receipt to draw"),
            ("printers", self.printers_, _nothing),
            ("diagnostics report", self.diagnostics, _nothing),
        ]
        try:
            for name, step, missing in steps:
                why = missing()
                if why:
                    self.results.append(Result(name, False, f"skipped, {why}", 0.0))
                    print(f"{'FAILED':<7} {name}: skipped, {why}", file=self.out, flush=True)
                    continue
                self.check(name, step)
        finally:
            stop_logging()
        failed = [r for r in self.results if not r.ok]
        if failed:
            print(f"{len(failed)} of {len(self.results)} checks FAILED.", file=self.out, flush=True)
            return 1
        print(f"All {len(self.results)} checks passed.", file=self.out, flush=True)
        return 0


def run_self_test(out: IO[str] | None = None) -> int:
    """Every check, printed to `out` (stdout); 0 when all passed. Leaves no file behind."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen needed (before Qt starts)
    stream = out if out is not None else sys.stdout
    if stream is None:  # a windowed Windows exe has no stdout: the lines go to a file in the log folder
        _platform_log_dir().mkdir(parents=True, exist_ok=True)
        with (_platform_log_dir() / "self-test.txt").open("w", encoding="utf-8") as file:
            return run_self_test(file)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="frontdesk-self-test-") as tmp:
        status = SelfTest(Path(tmp), stream).run()
    print(f"Self-test took {time.monotonic() - started:.1f} s.", file=stream, flush=True)
    return status


def _nothing() -> str:
    return ""


def sample_receipt():
    from sync.core.receipt_data import PaymentMethod, ReceiptData, ReceiptLine

    return ReceiptData(
        business_name="Self-test Gymnastics", location_name="Front desk", location_address="1 Main St\nSpringfield",
        timezone="America/Chicago", receipt_number="ST-0001", issued_at=dt.datetime(2025, 3, 10, 22, 30),
        staff_name="Self-test", family_name="Łukasiewicz-Zoë", method=PaymentMethod("card", brand="Visa", last4="0000"),
        lines=(ReceiptLine("Level 2 Tumbling, March", 8500), ReceiptLine("Registration fee", 2500)),
        balance_after_cents=0, footer_text="Thank you!",
    )


def _made_up_card_number() -> str:
    """A Luhn-valid number made here (none is written in the source): what the log must never keep."""
    from devices.cards import luhn_ok

    body = "4" + "9" * 14
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def _platform_log_dir() -> Path:
    from desk.logs import log_dir

    return log_dir(None)


if __name__ == "__main__":
    sys.exit(run_self_test())
