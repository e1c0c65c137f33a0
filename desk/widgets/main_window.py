"""The main window: rail on the left, top bar, the screens, and the status bar always visible."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMainWindow, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from desk.errors import ErrorReport
from desk.presenters.checkin import CheckInPresenter
from desk.presenters.family import FamilyPresenter
from desk.presenters.formatting import now_at
from desk.presenters.roster import RosterPresenter
from desk.presenters.reports import ReportsPresenter
from desk.ops import Op
from desk.presenters.receipt_output import ReceiptOutput, ReceiptSender
from desk.settings import SettingsStore
from desk.widgets.checkin_screen import CheckInScreen
from desk.widgets.common import label
from desk.widgets.family_screen import FamilyScreen
from desk.widgets.help_menu import HelpButton
from desk.widgets.needs_attention import NeedsAttentionDialog
from desk.widgets.rail import Rail
from desk.widgets.reports_screen import ReportsScreen
from desk.widgets.settings_screen import SettingsScreen
from desk.widgets.roster_screen import RosterScreen
from desk.widgets.status_bar import DeskStatusBar
from desk.widgets.toast import Toast
from desk.swipe_handling import Swipe, handle_swipe
from sync.money_desk import MoneyDesk
from sync.core.permissions import PAYMENT_TAKE
from sync.receipt_desk import ReceiptDesk
from sync.store import DeskStore
from sync.views import LocationView, SyncStatus


class MainWindow(QMainWindow):
    closed = Signal()
    sign_out_requested = Signal()  # desk.app signs out and goes back to the sign-in window

    def __init__(
        self,
        store: DeskStore,
        *,
        staff_name: str,
        account_name: str,
        location_code: str | None = None,
        status: SyncStatus | None = None,
        sign_out: Callable[[], None] | None = None,
        money: MoneyDesk | None = None,
        settings: SettingsStore | None = None,
    ):
        super().__init__()
        self.store = store
        self.setWindowTitle(f"Frontdesk — {account_name}")
        self.setAccessibleName("Frontdesk")
        self.setMinimumSize(1024, 640)
        self.locations = store.locations()
        self._location_code = location_code
        self.location = _pick_location(self.locations, location_code)

        self.rail = Rail(account_name)
        self.checkin = CheckInScreen(CheckInPresenter(store, self.location), self.notify)
        self.roster = RosterScreen(RosterPresenter(store, self.location), self.notify)
        # Money: desk.app hands in a MoneyDesk on the session's ApiClient; without one, card payments are refused.
        self.money = money or MoneyDesk(store, None)
        self.families = FamilyScreen(FamilyPresenter(self.money, self.location), self.notify,
                                     staff_id=lambda: self.store.staff_id)
        self.screens: list[QWidget] = [self.checkin, self.roster, self.families]
        self.stack = QStackedWidget()
        for screen, key in zip(self.screens, ("F1", "F2", "F3"), strict=True):
            self.stack.addWidget(screen)
            self.rail.add(screen.title, key)
            QShortcut(QKeySequence(key), self, activated=lambda i=len(self.rail.buttons) - 1: self.show_screen(i))
        # Reports keep F5 whatever screens take F3 and F4 above.
        self.reports = ReportsScreen(ReportsPresenter(store, self.location, account_name), self.notify)
        self.screens.append(self.reports)
        self.stack.addWidget(self.reports)
        self.rail.add(self.reports.title, "F5")
        QShortcut(QKeySequence("F5"), self, activated=lambda i=len(self.screens) - 1: self.show_screen(i))
        # This computer's own settings (printer, paper, receipt defaults): desk.settings.
        self._referrals_said: set[str] = set()
        self.settings = settings or SettingsStore()
        self.settings_screen = SettingsScreen(self.settings, self.notify, business_name=account_name)
        self.screens.append(self.settings_screen)
        self.stack.addWidget(self.settings_screen)
        self.rail.add(self.settings_screen.title, "Ctrl+,")
        QShortcut(QKeySequence("Ctrl+,"), self, activated=lambda i=len(self.screens) - 1: self.show_screen(i))
        # The week's classes (F4, all who see rosters) and Set-up (F10, who may manage classes): desk.widgets.setup_screen.
        self._add_setup_screens(store)
        # Receipts after a payment: printed on this desk's printer and paper, or queued for email.
        self.receipts = ReceiptDesk(store, business_name=account_name, currency=self.money.currency)
        self.receipt_sender = ReceiptSender(self.receipts, ReceiptOutput(lambda: self.settings.current))
        self.families.presenter.receipt_hook = self.send_receipt
        self.families.presenter.receipts = self.receipts  # the Receipts tab says how each email went
        self.families.presenter.receipt_choice = lambda method: self.settings.current.receipts.for_method(method)
        QShortcut(QKeySequence("Ctrl+K"), self, activated=lambda: self.show_screen(0))
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.open_family_of_student)
        self.rail.chosen.connect(self.show_screen)

        self.title = label("", "screenTitle")
        self.location_box = QComboBox()
        self.location_box.setAccessibleName("Location")
        self.location_box.setToolTip("The location this desk is at")
        self.location_box.setMinimumWidth(200)
        for loc in self.locations:
            self.location_box.addItem(loc.name, loc.id)
        if self.location in self.locations:
            self.location_box.setCurrentIndex(self.locations.index(self.location))
        self.location_box.currentIndexChanged.connect(self._location_chosen)
        self.staff = label(f"Signed in: {staff_name}", "staffName")
        self.staff.setAccessibleName(f"Signed in as {staff_name}")
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setObjectName("signOut")
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.setToolTip("Sign out of this desk. Work not sent yet stays here and is sent after the next sign-in.")
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        self.help = HelpButton(self)  # Copy diagnostics, About; desk.app attaches the session

        top = QWidget()
        top.setObjectName("topBar")
        top.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        top.setFixedHeight(64)
        bar = QHBoxLayout(top)
        bar.setContentsMargins(24, 8, 20, 8)
        bar.setSpacing(14)
        bar.addWidget(self.title, 1)
        bar.addWidget(label("Location", "muted"))
        bar.addWidget(self.location_box)
        bar.addSpacing(12)
        bar.addWidget(self.staff)
        bar.addWidget(self.help)
        bar.addWidget(self.sign_out_button)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(top)
        right.addWidget(self.stack, 1)
        central = QWidget()
        body = QHBoxLayout(central)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.rail)
        body.addLayout(right, 1)
        self.setCentralWidget(central)

        self.status = DeskStatusBar()
        self.status.attention_clicked.connect(self.show_needs_attention)
        self.setStatusBar(self.status)
        self.toast = Toast(central)
        self._sign_out = sign_out
        if sign_out is not None:
            self.sign_out_requested.connect(sign_out)

        self.show_sync_status(status or SyncStatus(pending=store.pending_count()))
        self._update_rail_counts()
        self.show_screen(0)

    def _add_setup_screens(self, store: DeskStore) -> None:
        from desk.presenters.setup import SetUpPresenter
        from desk.widgets.setup_screen import SetUpScreen
        from desk.widgets.week_screen import WeekScreen
        from sync.setup_desk import SetUpDesk

        setup = SetUpDesk(store)
        self.week_screen = WeekScreen(SetUpPresenter(setup, self.location), self.notify)
        self.setup_screen = SetUpScreen(SetUpPresenter(setup, self.location), self.notify)
        self.setup_screen.locations_changed = self._reload_locations
        for screen, key in ((self.week_screen, "F4"), (self.setup_screen, "F10")):
            self.screens.append(screen)
            self.stack.addWidget(screen)
            self.rail.add(screen.title, key)
            QShortcut(QKeySequence(key), self, activated=lambda i=len(self.screens) - 1: self.show_screen(i))

    # --- navigation -------------------------------------------------------------------------
    def show_screen(self, index: int) -> None:
        screen = self.screens[index]
        self.stack.setCurrentWidget(screen)
        self.rail.select(index)
        self.title.setText(screen.title)
        screen.activate()

    def current_screen(self) -> QWidget:
        return self.stack.currentWidget()

    def open_family_of_student(self) -> bool:
        """Ctrl+F on check-in: the open student's family, on the Families screen (balance, payments)."""
        card = self.checkin.presenter.card
        button = self.rail.buttons[self.screens.index(self.families)]
        if self.current_screen() is not self.checkin or card is None or button.isHidden():
            return False
        if not self.families.open_family(card.student.family_id):
            return False
        self.show_screen(self.screens.index(self.families))
        return True

    def _location_chosen(self, index: int) -> None:
        if not 0 <= index < len(self.locations):
            return
        self.location = self.locations[index]
        for screen in self.screens:
            screen.set_location(self.location)
        self._update_rail_counts()
        self.current_screen().activate()

    # --- what the screens and the sync engine call ------------------------------------------
    def send_receipt(self, outcome: object, choice: str) -> None:
        entry_id, copy = getattr(outcome, "entry_id", ""), getattr(outcome, "copy", False)
        Op(self, lambda: self.receipt_sender.send(entry_id, choice, copy=copy), doing=f"{choice}ing the receipt").success(
            lambda out: self.notify(out.message, "ok" if out.ok else "red")).run()

    def notify(self, text: str, tone: str = "ok") -> None:
        self.toast.show_message(text, tone, beep=tone == "ok")

    def show_alert(self, report: ErrorReport) -> None:
        """Where desk.ops.show_error puts a failure: a red toast, so the line at the desk keeps moving."""
        self.toast.show_message(f"{report.title}. {report.text}", "red")

    def handle_swipe(self, swipe: Swipe) -> None:
        """A card was swiped anywhere in the app (desk.kem_filter): desk.swipe_handling decides what it does."""
        handle_swipe(self, swipe)

    def show_sync_status(self, status: SyncStatus) -> None:
        self.status.show_status(status)

    def data_changed(self, record_types: frozenset[str] = frozenset()) -> None:
        """A pull brought changes: marks from other desks show on the open screen at once."""
        if "location" in record_types or not self.locations:
            self._reload_locations()
        if "kiosk_referral" in record_types:
            self._say_kiosk_referrals()
        self.current_screen().refresh()
        self._update_rail_counts()

    def _say_kiosk_referrals(self) -> None:
        """The kiosk sent a family over: said once, in amber, so the desk expects them."""
        today = now_at(self.location.timezone, self.store.clock).date()
        for ref in self.store.kiosk_referrals(self.location.id, today):
            if ref.id not in self._referrals_said:
                self._referrals_said.add(ref.id)
                self.notify(ref.text(), "amber")

    def _reload_locations(self) -> None:
        fresh = self.store.locations()
        if fresh == self.locations:
            return
        self.locations = fresh
        keep = self.location if self.location in fresh else _pick_location(fresh, self._location_code)
        self.location_box.blockSignals(True)
        self.location_box.clear()
        for loc in fresh:
            self.location_box.addItem(loc.name, loc.id)
        if keep in fresh:
            self.location_box.setCurrentIndex(fresh.index(keep))
        self.location_box.blockSignals(False)
        if keep in fresh and keep != self.location:
            self._location_chosen(fresh.index(keep))

    def _update_rail_counts(self) -> None:
        if not self.location.id:
            return
        now = now_at(self.location.timezone, self.store.clock)
        sessions = self.store.sessions_on(self.location.id, now.date())
        running = [s for s in sessions if s.starts_at <= now < s.ends_at and not s.cancelled]
        self.rail.buttons[1].set_count(len(running), f"{len(running)} classes running now")

    def show_needs_attention(self) -> None:
        may_handle = self.families.presenter.may(PAYMENT_TAKE)  # card items: who may take payments
        NeedsAttentionDialog(self.store.rejected(), self, actions=self.store, may_handle=may_handle).open()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)


# Before the first pull has brought the account's locations, the screens still need one to name.
NO_LOCATION = LocationView(id="", name="this desk", code="", timezone="UTC")


def _pick_location(locations: list[LocationView], code: str | None) -> LocationView:
    if code:
        for loc in locations:
            if loc.code.lower() == code.lower():
                return loc
    return locations[0] if locations else NO_LOCATION
