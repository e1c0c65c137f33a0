"""The Families screen (F3): find a family on the left, its file on the right.

The file: name, balance (red when due), guardians with phone and email; tabs Students, Ledger,
Receipts, Guardians and Notes; and the actions with their keys: New family (Ctrl+N), Edit family
(Ctrl+E), Take payment (Ctrl+P), Post charge (Ctrl+Shift+C), Void or Refund the selected ledger
line (Ctrl+Shift+V), End of shift (Ctrl+Shift+E). A family that may be on file twice says so
in a banner (Ctrl+D opens the other one). The family file's part: desk.presenters.family_file.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QListWidget, QListWidgetItem, QPushButton, QSizePolicy,
    QStackedWidget, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from desk.presenters.charge import ChargePresenter
from desk.presenters.correction import CorrectionPresenter
from desk.presenters.drawer import DrawerPresenter
from desk.presenters.family import FamilyPresenter, HitLine
from desk.presenters.family_file import FamilyFilePresenter
from desk.presenters.payment import PaymentPresenter
from desk.theme import color
from desk.widgets.charge_dialog import ChargeDialog
from desk.widgets.common import label, set_tone
from desk.widgets.correction_dialog import CorrectionDialog
from desk.widgets.drawer_dialog import DrawerDialog
from desk.widgets.family_file_actions import FamilyFileActions
from desk.widgets.payment_dialog import PaymentDialog
from desk.widgets.search_field import SearchField
from sync.family_desk import FamilyDesk
from sync.money_views import CorrectionOutcome, DrawerExpected, PaymentOutcome
from sync.views import LocationView

Notify = Callable[[str, str], None]
HIT_ROW_HEIGHT = 64
ROW_HEIGHT = 40
KEYS = {"pay": "Ctrl+P", "charge": "Ctrl+Shift+C", "correct": "Ctrl+Shift+V", "drawer": "Ctrl+Shift+E",
        "new": "Ctrl+N", "edit": "Ctrl+E", "same": "Ctrl+D"}
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class FamilyScreen(FamilyFileActions, QWidget):
    title = "Families"

    def __init__(self, presenter: FamilyPresenter, notify: Notify, staff_id: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.presenter = presenter
        self.file = FamilyFilePresenter(FamilyDesk(presenter.money.store), presenter)  # guardians, students, notes
        self.notify = notify
        self.staff_id = staff_id  # whose drawer "End of shift" counts: the signed-in staff member
        self.dialog: QWidget | None = None  # the money dialog open now, if any
        self.setAccessibleName("Families")

        # --- left: search and results ---
        self.search = SearchField()
        self.search.setAccessibleName("Search families")
        self.search.setPlaceholderText("Family, student or guardian…")
        self.results = QListWidget()
        self.results.setObjectName("results")
        self.results.setAccessibleName("Families found")
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing never leaves the search field
        self.results.itemClicked.connect(lambda item: self._pick(self.results.row(item)))
        self.results_empty = label("", "emptyState", wrap=True)
        self.results_empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.results_stack = QStackedWidget()
        self.results_stack.addWidget(self.results_empty)
        self.results_stack.addWidget(self.results)
        self.drawer_button = self._button("End of shift", "drawer", "Count the drawer at the end of your shift")
        self.drawer_button.clicked.connect(self.count_drawer)
        self.new_button = self._button("New family", "new", "Add a family from a phone call")
        self.new_button.clicked.connect(self.new_family)
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(self.search)
        left.addWidget(self.results_stack, 1)
        left.addWidget(self.new_button)
        left.addWidget(self.drawer_button)

        # --- right: the family ---
        self.name = label("", "studentName")
        self.balance = label("", "balance")
        self.contact = label("", "muted", wrap=True)
        self.contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pay_button = self._button("Take payment", "pay", "Take a payment, starting at the balance due", primary=True)
        self.pay_button.clicked.connect(self.take_payment)
        self.charge_button = self._button("Post charge", "charge", "Post a charge to this family")
        self.charge_button.clicked.connect(self.post_charge)
        self.correct_button = self._button("Void or refund", "correct", "Void or refund the selected ledger line")
        self.correct_button.clicked.connect(self.correct_selected)
        self._build_family_file()  # Edit family, the maybe-twice banner, Students/Guardians/Notes tabs

        head = QHBoxLayout()
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.name)
        names.addWidget(self.contact)
        head.addLayout(names, 1)
        corner = QVBoxLayout()  # the balance, and under it the family's own edit (the money row is full at 1366 px)
        corner.setSpacing(8)
        corner.addWidget(self.balance, 0, Qt.AlignmentFlag.AlignRight)
        corner.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignRight)
        corner.addStretch(1)
        head.addLayout(corner)
        actions = QHBoxLayout()
        actions.setSpacing(10)
        for button in (self.pay_button, self.charge_button, self.correct_button):
            actions.addWidget(button)
        actions.addStretch(1)

        self.ledger = _table(["Date", "Description", "Method", "Amount", "Balance"], stretch=1)
        self.ledger.setAccessibleName("Ledger")
        self.ledger.itemSelectionChanged.connect(self._update_actions)
        self.ledger_empty = label("No charges or payments yet. Post a charge or take a payment.", "emptyState", wrap=True)
        self.ledger_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ledger_stack = QStackedWidget()
        self.ledger_stack.addWidget(self.ledger_empty)
        self.ledger_stack.addWidget(self.ledger)
        self.receipts = _table(["Receipt", "Date", "What", "Method", "Amount", "Email"], stretch=5)
        self.receipts.setAccessibleName("Receipts")
        self.print_copy = QPushButton("Print a copy")
        self.print_copy.setAccessibleName("Print a copy of the receipt")
        self.email_again = QPushButton("Email it")
        self.email_again.setAccessibleName("Email the receipt")
        self.print_copy.clicked.connect(lambda: self._resend("print"))
        self.email_again.clicked.connect(lambda: self._resend("email"))
        receipts_tab = QWidget()
        receipts_box = QVBoxLayout(receipts_tab)
        receipts_box.setContentsMargins(0, 0, 0, 0)
        receipts_box.addWidget(self.receipts, 1)
        receipt_actions = QHBoxLayout()
        receipt_actions.addWidget(self.print_copy)
        receipt_actions.addWidget(self.email_again)
        receipt_actions.addStretch(1)
        receipts_box.addLayout(receipt_actions)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("familyTabs")
        self.tabs.setAccessibleName("Family tabs")
        self.tabs.addTab(self.students_tab, "Students")
        self.tabs.addTab(self.ledger_stack, "Ledger")
        self.tabs.addTab(receipts_tab, "Receipts")
        self.tabs.addTab(self.guardians_tab, "Guardians")
        self.tabs.addTab(self.notes_tab, "Notes")
        self.tabs.setCurrentIndex(1)

        card = QWidget()
        card.setObjectName("card")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        body = QVBoxLayout(card)
        body.setContentsMargins(22, 18, 22, 18)
        body.setSpacing(14)
        body.addLayout(head)
        body.addWidget(self.same_box)
        body.addLayout(actions)
        body.addWidget(self.tabs, 1)
        self.family_empty = label("", "emptyState", wrap=True)
        self.family_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.family_stack = QStackedWidget()
        self.family_stack.addWidget(self.family_empty)
        self.family_stack.addWidget(card)

        left_box = QWidget()
        left_box.setLayout(left)
        left.setContentsMargins(0, 0, 0, 0)
        for part in (left_box, self.family_stack):
            part.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(18)
        layout.addWidget(left_box, 2)
        layout.addWidget(self.family_stack, 5)

        for action, handler in (("pay", self.take_payment), ("charge", self.post_charge),
                                ("correct", self.correct_selected), ("drawer", self.count_drawer),
                                ("new", self.new_family), ("edit", self.edit_family), ("same", self.open_same)):
            shortcut = QShortcut(QKeySequence(KEYS[action]), self, activated=handler)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # only while this screen is up

        self.search.textChanged.connect(self._typed)
        self.search.navigate.connect(self._move)
        self.search.confirm.connect(self._confirm)
        self.search.cancel.connect(self.clear)
        self.setFocusProxy(self.search)
        self._show_results()
        self._show_family()

    @staticmethod
    def _button(text: str, action: str, tip: str, primary: bool = False) -> ActionButton:
        button = ActionButton(text, KEYS[action])
        button.setToolTip(f"{tip} ({KEYS[action]})")
        if primary:
            button.setObjectName("primary")
        return button

    # --- what the main window calls --------------------------------------------------------
    def activate(self) -> None:
        self.presenter.reload()
        self._show_family()
        self.search.setFocus()

    def set_location(self, location: LocationView) -> None:
        self.presenter.set_location(location)
        self._show_family()

    def refresh(self) -> None:
        """New data (a pull, or a payment made here): the open family and the list of families
        found (their balance badges) show it, selection kept."""
        if self.presenter.refresh_hits():
            self._fill_results()
        if self.presenter.view is not None:
            self.presenter.reload()
            self._show_family()

    def set_permissions(self, permissions) -> None:
        self.presenter.set_permissions(permissions)
        self._show_family()

    def open_family(self, family_id: str) -> bool:
        """Open a family directly (from a student's card on check-in)."""
        try:
            self.presenter.open(family_id)
        except LookupError:
            self.notify("This family is not on this desk yet. Try again after the next sync.", "amber")
            return False
        self._show_family()
        return True

    def clear(self) -> None:
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.presenter.search("")
        self.results.clear()
        self._show_results()
        self.search.setFocus()

    # --- searching ---------------------------------------------------------------------------
    def _typed(self, text: str) -> None:
        self.presenter.search(text)
        self._fill_results()
        self._show_results(text)

    def _fill_results(self) -> None:
        self.results.clear()
        for line in self.presenter.hit_lines():
            item = QListWidgetItem()
            item.setSizeHint(QSize(0, HIT_ROW_HEIGHT))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{line.name}. {line.about}. {line.balance}")
            self.results.addItem(item)
            self.results.setItemWidget(item, _HitRow(line))
        self.results.setCurrentRow(self.presenter.highlighted)

    def _move(self, delta: int) -> None:
        self.results.setCurrentRow(self.presenter.move(delta))

    def _confirm(self) -> None:
        if self.presenter.hits:
            self._pick(self.presenter.highlighted)

    def _pick(self, index: int) -> None:
        if self.presenter.pick(index) is not None:
            self.results.setCurrentRow(self.presenter.highlighted)
            self._show_family()
        self.search.setFocus()

    # --- money actions -------------------------------------------------------------------------
    def take_payment(self) -> PaymentDialog | None:
        view = self.presenter.view
        if view is None or not self.presenter.may_pay() or self._dialog_open():
            return None
        presenter = PaymentPresenter(self.presenter.money, view, self.presenter.location,
                                     receipt_choice=self.presenter.receipt_choice)
        dialog = PaymentDialog(presenter, self, on_receipt=self.presenter.receipt)
        dialog.paid.connect(self._paid)
        dialog.given_up.connect(self.refresh)  # the ledger shows the attempt, "cancelling…", at once
        return self._open(dialog)

    def post_charge(self) -> ChargeDialog | None:
        view = self.presenter.view
        if view is None or not self.presenter.may_charge() or self._dialog_open():
            return None
        dialog = ChargeDialog(ChargePresenter(self.presenter.money, view, self.presenter.location), self)
        dialog.posted.connect(self._posted)
        return self._open(dialog)

    def correct_selected(self) -> CorrectionDialog | None:
        entry_id = self.selected_entry()
        _text, enabled, why = self.presenter.correction_action(entry_id)
        if self._dialog_open() or self.presenter.view is None:
            return None
        if not enabled:
            self.notify(why, "amber")
            return None
        row = self.presenter.row(entry_id)
        assert row is not None
        view = self.presenter.view
        presenter = CorrectionPresenter(self.presenter.money, row, view.currency, receipt_choice=self.presenter.receipt_choice,
                                        can_email=bool(view.email or any(g.email for g in view.guardians)))  # fmt: skip
        dialog = CorrectionDialog(presenter, self, on_receipt=self.presenter.receipt)
        dialog.corrected.connect(self._corrected)
        return self._open(dialog)

    def count_drawer(self) -> DrawerDialog | None:
        staff = self.staff_id()
        if not self.presenter.may_count_drawer() or self._dialog_open():
            return None
        if not staff:
            self.notify("Sign in to count the drawer.", "amber")
            return None
        presenter = DrawerPresenter(self.presenter.money, self.presenter.location, staff,
                                    since=self.presenter.last_drawer_end)
        dialog = DrawerDialog(presenter, self)
        dialog.saved.connect(self._drawer_saved)
        return self._open(dialog)

    def _open(self, dialog):
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        dialog.open()  # not exec(): a nested loop would stall the asyncio tasks on Qt's loop
        return dialog

    def _dialog_open(self) -> bool:
        return self.dialog is not None and self.dialog.isVisible()

    def _dialog_closed(self, dialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        if self.isVisible():
            self.window().activateWindow()  # keys (Ctrl+P...) work at once, with no click on the window
            self.search.setFocus()  # ready for the next family

    def _paid(self, outcome: PaymentOutcome) -> None:
        self.refresh()
        self.notify(self.presenter.payment_text(outcome), "ok")

    def _posted(self, text: str) -> None:
        self.refresh()
        self.notify(text, "ok")

    def _corrected(self, outcome: CorrectionOutcome) -> None:
        self.refresh()
        self.notify(self.presenter.correction_text(outcome), "ok")

    def _drawer_saved(self, expected: DrawerExpected, text: str) -> None:
        self.presenter.last_drawer_end = expected.period_end
        self.notify(text, "ok")

    # --- drawing -------------------------------------------------------------------------------
    def selected_entry(self) -> str | None:
        rows = self.ledger.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.ledger.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select_entry(self, entry_id: str) -> bool:
        for r in range(self.ledger.rowCount()):
            if self.ledger.item(r, 0).data(Qt.ItemDataRole.UserRole) == entry_id:
                self.tabs.setCurrentIndex(1)
                self.ledger.selectRow(r)
                return True
        return False

    def _show_results(self, text: str = "") -> None:
        if self.presenter.hits:
            self.results_stack.setCurrentWidget(self.results)
            return
        self.results_empty.setText(self.presenter.no_match_text(text) if text.strip()
                                   else "Families show here as you type.\n↑ ↓ move · Enter opens the family.")
        self.results_stack.setCurrentWidget(self.results_empty)

    def _show_family(self) -> None:
        p = self.presenter
        self.drawer_button.setVisible(p.may_count_drawer())
        self.file.reload()
        self.new_button.setVisible(self.file.may_add())
        if p.view is None:
            self.family_empty.setText(p.empty_text())
            self.family_stack.setCurrentWidget(self.family_empty)
            return
        header = p.header()
        self.name.setText(header.name)
        self.balance.setText(header.balance)
        self.balance.setAccessibleName(f"Balance: {header.balance}")
        set_tone(self.balance, header.tone)
        self.contact.setText("\n".join(header.contact) or "No guardian on file.")
        self._fill_students()
        self._fill_file()
        self._fill_ledger()
        self._fill_receipts()
        self.pay_button.setVisible(p.may_pay())
        self.charge_button.setVisible(p.may_charge())
        self._update_actions()
        self.family_stack.setCurrentWidget(self.family_stack.widget(1))

    def _fill_students(self) -> None:
        born = {st.id: st.birth_date for st in self.file.file.students} if self.file.file else {}
        lines = self.presenter.student_lines()
        self.students_tab.fill([(line.id, [line.name, line.age, _date(born.get(line.id)), line.status]) for line in lines],
                               muted={line.id for line in lines if line.status != "Active"})  # fmt: skip
        self._update_student_actions()

    def _fill_ledger(self) -> None:
        keep = self.selected_entry()
        lines = self.presenter.ledger_lines()
        self.ledger.setRowCount(len(lines))
        muted = QBrush(QColor(color("muted")))
        for r, line in enumerate(lines):
            cells = [_cell(line.date, LEFT, line.id), _cell(line.description, LEFT), _cell(line.method, LEFT),
                     _cell(line.amount, RIGHT), _cell(line.balance, RIGHT)]
            for c, item in enumerate(cells):
                if line.tooltip:
                    item.setToolTip(line.tooltip)
                if line.voided or line.pending:
                    font = QFont(item.font())
                    font.setStrikeOut(line.voided and c in (1, 3))
                    font.setItalic(line.pending)
                    item.setFont(font)
                if line.voided:
                    item.setForeground(muted)
                self.ledger.setItem(r, c, item)
        self.ledger_stack.setCurrentWidget(self.ledger if lines else self.ledger_empty)
        if keep is None or not self.select_entry(keep):
            self.ledger.clearSelection()
            self.ledger.scrollToBottom()  # the newest lines are the ones staff came for

    def _fill_receipts(self) -> None:
        lines = self.presenter.receipt_lines()
        self.receipts.setRowCount(len(lines))
        for r, line in enumerate(lines):
            what = f"{line.what} (not sent yet)" if line.pending else line.what
            cells = [_cell(line.receipt_no, LEFT, line.id), _cell(line.date, LEFT), _cell(what, LEFT),
                     _cell(line.method, LEFT), _cell(line.amount, RIGHT), _cell(line.email, LEFT)]
            for c, item in enumerate(cells):
                self.receipts.setItem(r, c, item)

    def selected_receipt(self) -> str | None:
        rows = self.receipts.selectionModel().selectedRows()
        row = rows[0].row() if rows else (0 if self.receipts.rowCount() else None)
        item = self.receipts.item(row, 0) if row is not None else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _resend(self, choice: str) -> None:
        entry_id = self.selected_receipt()
        if entry_id is None:
            self.notify("No receipt to send yet.", "amber")
            return
        self.presenter.resend_receipt(entry_id, choice)

    def _update_actions(self) -> None:
        text, enabled, why = self.presenter.correction_action(self.selected_entry())
        self.correct_button.set_name(text)
        self.correct_button.setEnabled(enabled)
        self.correct_button.setToolTip(why or f"{text} the selected ledger line ({KEYS['correct']})")


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setShowGrid(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    for c in range(len(headers)):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if c == stretch else
                                    QHeaderView.ResizeMode.ResizeToContents)
    header.setDefaultAlignment(LEFT)
    for c, name in enumerate(headers):
        if name in ("Amount", "Balance"):
            item = QTableWidgetItem(name)
            item.setTextAlignment(RIGHT)
            table.setHorizontalHeaderItem(c, item)
    return table


def _date(day) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day is not None else ""


def _cell(text: str, align: Qt.AlignmentFlag, entry_id: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(align)
    if entry_id is not None:
        item.setData(Qt.ItemDataRole.UserRole, entry_id)
    return item


class ActionButton(QPushButton):
    """A button that shows its key in a quieter second part: "Take payment   Ctrl+P"."""

    def __init__(self, text: str, key: str):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 0, 14, 0)
        row.setSpacing(10)
        self.name = label(text, "buttonName")
        self.key = label(key, "buttonKey")
        for part in (self.name, self.key):
            part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        row.addWidget(self.name)
        row.addStretch(1)
        row.addWidget(self.key)
        self.set_name(text)

    def set_name(self, text: str) -> None:
        self.name.setText(text)
        self.setAccessibleName(text)
        self.updateGeometry()

    # The parts are child labels (a QPushButton sizes itself by its own text, which is empty):
    # the button asks its layout, after the style sheet set the fonts, so nothing is clipped.
    def sizeHint(self) -> QSize:
        return QSize(self.layout().sizeHint().width(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class _HitRow(QWidget):
    def __init__(self, line: HitLine):
        super().__init__()
        rows = QVBoxLayout(self)
        rows.setContentsMargins(14, 4, 14, 4)
        rows.setSpacing(0)
        top = QHBoxLayout()
        top.addWidget(label(line.name, "hitName"), 1)
        if line.balance:
            balance = label(line.balance, "chip")
            balance.setProperty("tone", "red" if line.tone == "red" else "neutral")
            top.addWidget(balance, 0, Qt.AlignmentFlag.AlignVCenter)
        rows.addLayout(top)
        about = label(line.about, "muted")
        about.setToolTip(line.about)
        rows.addWidget(about)
