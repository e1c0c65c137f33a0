"""Settings: this desk's printer and receipt paper, what the receipt question defaults to, the lock.

Thin: desk.settings holds the values and writes the file; printing goes through
desk.presenters.receipt_output. Nothing here is account-wide (that is on the server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QHBoxLayout, QPushButton, QScrollArea, QSpinBox,
    QVBoxLayout, QWidget,
)  # fmt: skip

from desk.ops import Op
from desk.presenters.receipt_output import ReceiptOutput
from desk.settings import DeskSettings, ReceiptDefaults, SettingsStore
from desk.widgets.common import label, set_tone
from printing.printer import PrinterChoice, list_printers

CHOICES = {"print": "Print", "email": "Email", "none": "No receipt"}
METHODS = {"cash": "Cash", "check": "Check", "card": "Card", "terminal": "Card terminal", "credit": "Account credit"}


class SettingsScreen(QWidget):
    title = "Settings"

    def __init__(self, store: SettingsStore, notify: Callable[[str, str], None],
                 business_name: str = "Frontdesk"):  # fmt: skip
        super().__init__()
        self.setObjectName("settingsScreen")
        self.setAccessibleName("Settings")
        self.store = store
        self.notify = notify
        self.business_name = business_name

        self.printer = QComboBox()
        self.printer.setAccessibleName("Receipt printer")
        self.printer.setMinimumWidth(320)
        self.paper = QComboBox()
        self.paper.setAccessibleName("Receipt paper")
        self.paper.addItem("Receipt roll (80 mm thermal)", "thermal")
        self.paper.addItem("Full page (letter or A4)", "page")
        self.test_button = QPushButton("Print a test page")
        self.test_button.setAccessibleName("Print a test page")
        self.test_button.clicked.connect(self.print_test_page)
        self.receipt_boxes: dict[str, QComboBox] = {}
        for key, words in METHODS.items():
            box = QComboBox()
            box.setAccessibleName(f"Receipt after {words.lower()} payments")
            for choice, text in CHOICES.items():
                box.addItem(text, choice)
            self.receipt_boxes[key] = box
        self.idle = QDoubleSpinBox()
        self.idle.setAccessibleName("Lock after idle minutes")
        self.idle.setRange(0, 240)
        self.idle.setDecimals(0)
        self.idle.setSuffix(" min")
        self.idle.setSpecialValueText("Never")
        self.gap = QSpinBox()
        self.gap.setAccessibleName("Keyboard swiper key gap")
        self.gap.setRange(5, 200)
        self.gap.setSuffix(" ms")
        self.gap.setToolTip("Keys typed closer together than this are a card swipe; slower keys are a person typing.")
        for spin in (self.idle, self.gap):
            spin.setMinimumHeight(36)  # UX.md: controls at least 36 px high
        self.sounds = QCheckBox("Play a sound on check-in and on a bad swipe")
        # The lobby's self check-in kiosk, when this computer is one.
        self.kiosk_start = QCheckBox("This computer is the self check-in kiosk (start in kiosk mode)")
        self.kiosk_before, self.kiosk_after = QSpinBox(), QSpinBox()
        for spin, name in ((self.kiosk_before, "Kiosk check-in opens before class"),
                           (self.kiosk_after, "Kiosk check-in closes after the start")):
            spin.setRange(0, 240)
            spin.setSuffix(" min")
            spin.setAccessibleName(name)
            spin.setMinimumHeight(36)
        self.kiosk_alerts: dict[str, QCheckBox] = {}
        for kind, words in (("balance", "Balance due"), ("waiver", "Waiver missing"), ("medical", "Medical note"),
                            ("allergy", "Allergy")):
            box = QCheckBox(words)
            box.setAccessibleName(f"Kiosk sends to the front desk: {words.lower()}")
            self.kiosk_alerts[kind] = box
        self.save_button = QPushButton("Save settings")
        self.save_button.setObjectName("primary")
        self.save_button.setAccessibleName("Save settings")
        self.save_button.clicked.connect(self.save)
        self.message = label("", "hint", wrap=True)

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(10)
        form.addRow("Receipt printer", self.printer)
        form.addRow("Paper", self.paper)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.addRow("", test_row)
        form.addRow(label("After a payment, the receipt question starts on:", "muted", wrap=True))
        for key, words in METHODS.items():
            form.addRow(words, self.receipt_boxes[key])
        form.addRow("Lock this desk after", self.idle)
        form.addRow("Card swiper", self.gap)
        form.addRow("", self.sounds)
        form.addRow(label("Self check-in kiosk", "sectionLabel"))
        form.addRow("", self.kiosk_start)
        form.addRow("Check-in opens", _row(self.kiosk_before, label("before class, and closes", "muted"), self.kiosk_after,
                                           label("after it starts", "muted")))  # fmt: skip
        form.addRow("See the front desk", _row(*self.kiosk_alerts.values()))

        column = QVBoxLayout()
        column.setContentsMargins(32, 24, 32, 24)
        column.setSpacing(14)
        column.addWidget(label("These settings are for this computer only.", "muted", wrap=True))
        column.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addWidget(self.message)
        panel = QWidget()
        panel.setLayout(column)
        panel.setMinimumWidth(680)
        panel.setMaximumWidth(900)
        scroll = QScrollArea()  # on a 768-line screen the form is taller than the window: it scrolls
        scroll.setObjectName("settingsScroll")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(panel)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        self.show_settings(store.current)

    # --- what the main window calls ---------------------------------------------------------
    def activate(self) -> None:
        self.show_settings(self.store.current)
        Op(self, lambda: asyncio.to_thread(list_printers), doing="listing printers").success(self._printers_found).run()
        self.printer.setFocus()

    def set_location(self, _location: object) -> None:
        """The main window's location changed: nothing here depends on it."""

    def refresh(self) -> None:
        """A pull brought changes: nothing here comes from the account's data."""

    def show_settings(self, s: DeskSettings, printers: list[PrinterChoice] | None = None) -> None:
        self._fill_printers(printers or [], s.printer)
        self.paper.setCurrentIndex(max(0, self.paper.findData(s.receipt_layout)))
        for key, box in self.receipt_boxes.items():
            box.setCurrentIndex(max(0, box.findData(getattr(s.receipts, key))))
        self.idle.setValue(s.idle_lock_minutes)
        self.gap.setValue(s.swipe_max_gap_ms)
        self.sounds.setChecked(s.sounds)
        self.kiosk_start.setChecked(s.kiosk.start_in_kiosk)
        self.kiosk_before.setValue(s.kiosk.opens_before_minutes)
        self.kiosk_after.setValue(s.kiosk.closes_after_minutes)
        for kind, box in self.kiosk_alerts.items():
            box.setChecked(kind in s.kiosk.blocking_alerts)

    def chosen(self) -> DeskSettings:
        receipts = ReceiptDefaults(**{key: box.currentData() for key, box in self.receipt_boxes.items()})
        return self.store.current.model_copy(update={
            "printer": self.printer.currentData(), "receipt_layout": self.paper.currentData(), "receipts": receipts,
            "idle_lock_minutes": float(self.idle.value()), "swipe_max_gap_ms": int(self.gap.value()),
            "sounds": self.sounds.isChecked(),
            "kiosk": self.store.current.kiosk.model_copy(update={
                "start_in_kiosk": self.kiosk_start.isChecked(), "opens_before_minutes": self.kiosk_before.value(),
                "closes_after_minutes": self.kiosk_after.value(),
                "blocking_alerts": [k for k, box in self.kiosk_alerts.items() if box.isChecked()],
            }),
        })  # fmt: skip

    def save(self) -> None:
        try:
            self.store.save(DeskSettings.model_validate(self.chosen().model_dump()))
        except OSError as exc:
            self._say(f"The settings could not be saved ({exc.strerror or exc}). Nothing was changed.", "red")
            return
        self._say("Settings saved.", "ok")
        self.notify("Settings saved", "ok")

    def print_test_page(self) -> None:
        self._say("Printing a test page…", "neutral")

        on_screen = self.chosen()  # test what is on screen, saved or not
        output = ReceiptOutput(lambda: on_screen)
        Op(self, lambda: output.test_page(self.business_name), doing="printing a test page").success(
            lambda outcome: self._say(outcome.message, "ok" if outcome.ok else "red")).run()

    # --- inside -----------------------------------------------------------------------------
    def _printers_found(self, printers: list[PrinterChoice]) -> None:
        self._fill_printers(printers, self.printer.currentData() or self.store.current.printer)

    def _fill_printers(self, printers: list[PrinterChoice], wanted: str | None) -> None:
        default = next((p.name for p in printers if p.is_default), None)
        self.printer.clear()
        self.printer.addItem(f"This computer's default printer ({default})" if default
                             else "This computer's default printer", None)  # fmt: skip
        for p in printers:
            self.printer.addItem(p.label(), p.name)
        if wanted and self.printer.findData(wanted) < 0:
            self.printer.addItem(f"{wanted} - not found on this computer", wanted)
        self.printer.setCurrentIndex(max(0, self.printer.findData(wanted)) if wanted else 0)

    def _say(self, text: str, tone: str) -> None:
        self.message.setText(text)
        set_tone(self.message, tone)


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


__all__ = ["SettingsScreen"]
