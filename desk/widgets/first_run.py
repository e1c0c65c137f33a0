"""The first-run set-up: five short steps, each checked before the next, keyboard first.

Server (with a connection test) → sign in and this desk's name (the account's data comes down)
→ location → printer (with a test page) → swiper (with a test swipe) → Finish. Thin: the
work is desk.presenters.first_run; async steps go through desk.ops so failures are said in words
on this window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication, QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
    QStackedWidget, QVBoxLayout, QWidget,
)  # fmt: skip

from desk.errors import ErrorReport
from desk.ops import Op
from desk.presenters.first_run import FirstRun
from desk.presenters.swipes import HELD_SWIPE
from desk.swipe_hold import SwipeHold, modal_in_front
from desk.widgets.common import label, set_tone
from devices.cards import ID_CARD, BadRead, IdCard, MemberSwipe, PaymentCard
from desk.kem_filter import KemSwipeFilter
from printing.printer import PrinterChoice, list_printers

STEPS = ("Server", "Sign in", "Location", "Printer", "Swiper")


class FirstRunWindow(QWidget):
    finished = Signal(object)  # the signed-in DeskSession
    cancelled = Signal()

    def __init__(self, presenter: FirstRun):
        super().__init__()
        self.presenter = presenter
        self.setObjectName("signInWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setWindowTitle("Frontdesk — set up this desk")
        self.setAccessibleName("Set up this desk")
        self.resize(640, 560)
        self.swipes: KemSwipeFilter | None = None
        # A member card swiped while a window is in front of this one waits for it to close.
        self.swipe_hold = SwipeHold(parent=self)
        self.swipe_hold.swiped.connect(self.show_swipe)
        self._done = False

        self.step_label = label("", "muted")
        self.heading = label("", "screenTitle", wrap=True)
        self.stack = QStackedWidget()
        self.message = label("", "hint", wrap=True)
        self.message.setAccessibleName("Set-up message")
        self.back = QPushButton("Back")
        self.next = QPushButton("Next")
        self.next.setObjectName("primary")
        self.next.setDefault(True)
        self.back.clicked.connect(self.go_back)
        self.next.clicked.connect(self.go_next)

        # 1. Server
        self.server = _field("Server address", presenter.server_url, "frontdesk.example.com")
        self.check_button = QPushButton("Check connection")
        self.check_button.clicked.connect(lambda: self._check_server(then_next=False))
        self._page("Where is your Frontdesk server?", [("Server address", self.server), ("", self.check_button)],
                   "Your business was given this address with its account.")
        # 2. Sign in
        self.account = _field("Account", presenter.config.account, "your business's account name")
        self.desk_name = _field("This desk's name", presenter.default_desk_name(), "e.g. Front desk 1")
        self.username = _field("User name", presenter.config.username, "")
        self.password = _field("Password", "", "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # Only for staff who may not set desks up: the owner makes the code (server.desks).
        self.setup_code = _field("Setup code", "", "only if the owner gave you one")
        self._page("Sign in to your account", [("Account", self.account), ("Desk name", self.desk_name),
                   ("User name", self.username), ("Password", self.password), ("Setup code", self.setup_code)],
                   "Sign in as the owner or a manager, or enter the setup code the owner gave you. "
                   "The account's classes and students are then downloaded.")
        # 3. Location
        self.locations = QListWidget()
        self.locations.setObjectName("setupList")
        self.locations.setAccessibleName("Locations")
        self.locations.itemActivated.connect(lambda _item: self.go_next())
        # A brand-new account has no location yet: the first one is made here (owners and managers).
        from desk.presenters.setup import computer_zone, zones

        self.new_location = _field("New location", "", "e.g. Downtown")
        self.new_code = _field("Short code", "", "e.g. DT (on receipts)")
        self.new_zone = QComboBox()
        self.new_zone.setAccessibleName("Time zone")
        for zone_name in zones():
            self.new_zone.addItem(zone_name.replace("_", " "), zone_name)
        self.new_zone.setCurrentIndex(max(0, self.new_zone.findData(computer_zone())))
        self.create_location = QPushButton("Create location")
        self.create_location.setAccessibleName("Create location")
        self.create_location.clicked.connect(self._create_location)
        self.new_code.returnPressed.connect(self._create_location)
        self._page("Which location is this desk at?", [("", self.locations), ("Or add one", self.new_location),
                   ("Short code", self.new_code), ("Time zone", self.new_zone), ("", self.create_location)],
                   "It can be changed later in the top bar. A new account starts by adding its first location.")
        # 4. Printer
        self.printer = QComboBox()
        self.printer.setAccessibleName("Receipt printer")
        self.paper = QComboBox()
        self.paper.setAccessibleName("Receipt paper")
        self.paper.addItem("Receipt roll (80 mm thermal)", "thermal")
        self.paper.addItem("Full page (letter or A4)", "page")
        self.test_page = QPushButton("Print a test page")
        self.test_page.clicked.connect(self._print_test)
        self._page("Receipts", [("Printer", self.printer), ("Paper", self.paper), ("", self.test_page)],
                   "Receipts print here without asking. You can skip the test page.")
        # 5. Swiper
        self.swipe_result = label("Nothing swiped yet.", "hint", wrap=True)
        self.swipe_result.setAccessibleName("Swipe test result")
        self._page("Test the card swiper", [("", self.swipe_result)],
                   "Swipe a member card or any card now to check the swiper works. No card is charged or kept. "
                   "No swiper? Just finish.")

        for field in (self.server, self.account, self.desk_name, self.username, self.password, self.setup_code):
            field.returnPressed.connect(self.go_next)  # Enter goes on, as in any form at the desk
        buttons = QHBoxLayout()
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.next)
        column = QVBoxLayout(self)
        column.setContentsMargins(36, 28, 36, 28)
        column.setSpacing(14)
        column.addWidget(self.step_label)
        column.addWidget(self.heading)
        column.addWidget(self.stack, 1)
        column.addWidget(self.message)
        column.addLayout(buttons)
        self.show_step(0)

    # --- steps ------------------------------------------------------------------------------
    def show_step(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        page = self.stack.currentWidget()
        self.step_label.setText(f"Step {index + 1} of {len(STEPS)} · {STEPS[index]}")
        self.heading.setText(page.property("heading"))
        self.back.setEnabled(0 < index and index != 2)  # after signing in, the account is chosen
        self.next.setText("Finish" if index == len(STEPS) - 1 else "Next")
        self._say("", "neutral")
        self._listen_for_swipes(index == 4)
        focus = {0: self.server, 1: self.account if not self.account.text() else self.password,
                 2: self.locations if self.locations.count() else self.new_location, 3: self.printer,
                 4: self.next}[index]  # fmt: skip
        focus.setFocus()

    def go_back(self) -> None:
        self.show_step(max(0, self.stack.currentIndex() - 1))

    def go_next(self) -> None:
        step = self.stack.currentIndex()
        if step == 0:
            self._check_server(then_next=True)
        elif step == 1:
            self._sign_in()
        elif step == 2:
            if self.locations.currentItem() is None:
                self._say("Choose this desk's location.", "red")
                return
            self._printers()
            self.show_step(3)
        elif step == 3:
            self.show_step(4)
        else:
            self._finish()

    def _check_server(self, then_next: bool) -> None:
        self._say("Checking the connection…", "neutral")
        Op(self, lambda: self.presenter.check_server(self.server.text()), doing="checking the server").success(
            lambda words: (self._say(words, "ok"), then_next and self.show_step(1))).run()

    def _sign_in(self) -> None:
        self._say("Signing in…", "neutral")

        async def sign_in_and_download() -> None:
            await self.presenter.sign_in(self.account.text(), self.username.text(), self.password.text(),
                                         self.desk_name.text(), self.setup_code.text())  # fmt: skip
            self._say("Signed in. Downloading the account's classes and students…", "neutral")
            await self.presenter.download()

        Op(self, sign_in_and_download, doing="signing in").success(lambda _: self._signed_in()).run()

    def _signed_in(self) -> None:
        self.password.clear()
        self.locations.clear()
        wanted = self.presenter.config.location_code
        for loc in self.presenter.locations():
            item = QListWidgetItem(f"{loc.name} ({loc.code})")
            item.setData(Qt.ItemDataRole.UserRole, loc.code)
            self.locations.addItem(item)
            if loc.code == wanted or self.locations.count() == 1:
                self.locations.setCurrentItem(item)
        self.show_step(2)

    def _create_location(self) -> None:
        self._say("Adding the location…", "neutral")
        Op(self, lambda: self.presenter.create_location(self.new_location.text(), self.new_code.text(),
                                                        self.new_zone.currentData()),
           doing="adding the location").success(self._location_created).run()  # fmt: skip

    def _location_created(self, loc) -> None:  # noqa: ANN001 - sync.views.LocationView
        item = QListWidgetItem(f"{loc.name} ({loc.code})")
        item.setData(Qt.ItemDataRole.UserRole, loc.code)
        self.locations.addItem(item)
        self.locations.setCurrentItem(item)
        self.new_location.clear()
        self.new_code.clear()
        self._say(f"{loc.name} added. Next, or add another.", "ok")
        self.locations.setFocus()

    def _printers(self) -> None:
        Op(self, _list_printers, doing="listing printers").success(self._show_printers).run()

    def _show_printers(self, printers: list[PrinterChoice]) -> None:
        default = next((p.name for p in printers if p.is_default), None)
        self.printer.clear()
        self.printer.addItem(f"This computer's default printer ({default})" if default else
                             "This computer's default printer", None)  # fmt: skip
        for p in printers:
            self.printer.addItem(p.label(), p.name)

    def _print_test(self) -> None:
        self._say("Printing a test page…", "neutral")
        Op(self, lambda: self.presenter.print_test(self.printer.currentData(), self.paper.currentData()),
           doing="printing a test page").success(lambda out: self._say(out.message, "ok" if out.ok else "red")).run()

    def _finish(self) -> None:
        item = self.locations.currentItem()
        try:
            self.presenter.finish(item.data(Qt.ItemDataRole.UserRole) if item else None,
                                  self.printer.currentData(), self.paper.currentData())  # fmt: skip
        except OSError as exc:
            self._say(f"The set-up could not be saved ({exc.strerror or exc}). Check the disk, then Finish again.", "red")
            return
        self._done = True
        self._listen_for_swipes(False)
        self.finished.emit(self.presenter.session)
        self.close()

    # --- the swiper test --------------------------------------------------------------------
    def _listen_for_swipes(self, on: bool) -> None:
        app = QApplication.instance()
        if on and self.swipes is None and isinstance(app, QApplication):
            self.swipes = KemSwipeFilter(parent=self)
            self.swipes.swiped.connect(self.show_swipe)
            self.swipes.install(app)
        elif not on and self.swipes is not None:
            self.swipes.uninstall()
            self.swipes = None

    def show_swipe(self, swipe: object) -> None:
        modal = modal_in_front(self)
        if modal is not None and isinstance(swipe, MemberSwipe):
            # Nothing acts behind a window in front (desk.swipe_hold): the card is named, and read
            # out here once that window closes. Other swipes are only named, as always here.
            self.swipe_hold.hold(swipe, modal)
            self._swipe_said(HELD_SWIPE, "amber")
        elif isinstance(swipe, MemberSwipe):
            self._swipe_said(f"The swiper works: a member card ending {swipe.number[-4:]} was read.", "ok")
        elif isinstance(swipe, PaymentCard):
            self._swipe_said(f"The swiper works: {swipe.describe()} was read (nothing was charged or kept).", "ok")
        elif isinstance(swipe, IdCard):
            self._swipe_said(f"The swiper works: {ID_CARD} (nothing from it was kept).", "ok")
        elif isinstance(swipe, BadRead):
            self._swipe_said("The card could not be read. Swipe it again in one smooth motion.", "red")

    def _swipe_said(self, text: str, tone: str) -> None:
        self.swipe_result.setText(text)
        set_tone(self.swipe_result, tone)

    # --- plumbing ---------------------------------------------------------------------------
    def show_alert(self, report: ErrorReport) -> None:
        """desk.ops.show_error: failures are said here, in place, and the step stays."""
        text = report.text
        if report.kind == "network":
            text = (f"Can't reach the server at {self.server.text().strip() or 'that address'}. Check the address and "
                    "this computer's internet connection, then try again.")
        elif report.kind == "auth":
            text = f"{report.text} Check them and try again." if report.text else "Wrong account, user name or password."
            if report.code in ("desk_enrollment_needed", "desk_refused"):
                text = report.text  # about this computer, not what was typed
        self._say(text, "red")

    def _say(self, text: str, tone: str) -> None:
        self.message.setText(text)
        set_tone(self.message, tone)

    def _page(self, heading: str, rows: list[tuple[str, QWidget]], hint: str) -> None:
        page = QWidget()
        page.setProperty("heading", heading)
        form = QFormLayout(page)
        form.setVerticalSpacing(12)
        form.setHorizontalSpacing(14)
        form.addRow(label(hint, "muted", wrap=True))
        for text, widget in rows:
            form.addRow(text, widget) if text else form.addRow(widget)
        self.stack.addWidget(page)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        self._listen_for_swipes(False)
        if not self._done:
            self.cancelled.emit()
        super().closeEvent(event)


def _field(name: str, text: str, placeholder: str) -> QLineEdit:
    field = QLineEdit(text)
    field.setPlaceholderText(placeholder)
    field.setAccessibleName(name)
    field.setMinimumHeight(36)
    return field


async def _list_printers() -> list[PrinterChoice]:
    import asyncio

    return await asyncio.to_thread(list_printers)
