"""The check-in screen: search field on top, results on the left, the student card on the right."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QHBoxLayout, QListWidget, QListWidgetItem, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget,
)

from desk.ops import Op
from desk.presenters.checkin import CheckInPresenter
from desk.presenters.formatting import age_text
from desk.widgets.common import chip, label
from desk.widgets.search_field import SearchField
from desk.widgets.student_card import StudentCardView
from sync.views import CardCheckIn, CheckInOutcome, LocationView, StudentHit

Notify = Callable[[str, str], None]  # (text, tone)
HIT_ROW_HEIGHT = 64


class CheckInScreen(QWidget):
    title = "Check-in"

    def __init__(self, presenter: CheckInPresenter, notify: Notify, parent: QWidget | None = None):
        super().__init__(parent)
        self.presenter = presenter
        self.notify = notify
        self.setAccessibleName("Check-in")

        self.search = SearchField()
        self.results = QListWidget()
        self.results.setObjectName("results")
        self.results.setAccessibleName("Search results")
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing never leaves the search field
        self.results.itemClicked.connect(lambda item: self._pick(self.results.row(item)))
        self.results_empty = label("", "emptyState", wrap=True)
        self.results_empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.results_stack = QStackedWidget()
        self.results_stack.addWidget(self.results_empty)
        self.results_stack.addWidget(self.results)

        self.card = StudentCardView()
        self.card_empty = label("", "emptyState", wrap=True)
        self.card_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card_stack = QStackedWidget()
        self.card_stack.addWidget(self.card_empty)
        self.card_stack.addWidget(self.card)

        for stack in (self.results_stack, self.card_stack):
            # Widths come from the stretch factors alone, so the columns do not jump as content changes.
            stack.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        body = QHBoxLayout()
        body.setSpacing(18)
        body.addWidget(self.results_stack, 2)
        body.addWidget(self.card_stack, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(16)
        self.assign_banner = label("", "assignBanner", wrap=True)
        self.assign_banner.setAccessibleName("New member card")
        self.assign_banner.hide()
        layout.addWidget(self.assign_banner)
        layout.addWidget(self.search)
        layout.addLayout(body, 1)

        self.search.textChanged.connect(self._typed)
        self.search.navigate.connect(self._move)
        self.search.confirm.connect(self._confirm)
        self.search.cancel.connect(self.clear)
        self.search.digit.connect(self._choose)
        self.setFocusProxy(self.search)
        self._show_empty()

    # --- what the main window calls --------------------------------------------------------
    def activate(self) -> None:
        self.search.setFocus()

    def set_location(self, location: LocationView) -> None:
        self.presenter.set_location(location)
        self._show_card_or_empty()

    def refresh(self) -> None:
        """New data arrived from the server: the open card shows it (results keep their order)."""
        if self.presenter.card is not None:
            self.presenter.reload_card()
            self._show_card_or_empty()

    def clear(self) -> None:
        self._show_assigning(None)
        self.presenter.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._show_empty()
        self.search.setFocus()

    # --- keys --------------------------------------------------------------------------------
    def _typed(self, text: str) -> None:
        hits = self.presenter.search(text)
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem()
            item.setSizeHint(QSize(0, HIT_ROW_HEIGHT))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{hit.full_name}, {hit.family_name} family")
            self.results.addItem(item)
            self.results.setItemWidget(item, _HitRow(hit))
        self._sync_highlight()
        if not text.strip():
            self._show_empty()
            return
        if hits:
            self.results_stack.setCurrentWidget(self.results)
        else:
            self.results_empty.setText(f"No student matches “{text.strip()}”.\nCheck the spelling, or try the family name.")
            self.results_stack.setCurrentWidget(self.results_empty)
        self._show_card_or_empty()

    def _move(self, delta: int) -> None:
        self.presenter.move(delta)
        self._sync_highlight()
        self._show_card_or_empty()

    def _confirm(self) -> None:
        if self.presenter.assigning():
            self._assign()
        elif self.presenter.ready():
            self._check_in()
        elif self.presenter.card is None and self.presenter.hits:
            self._pick(self.presenter.highlighted)

    def _choose(self, number: int) -> None:
        if self.presenter.choose(number):
            self.card.show_classes(self.presenter.class_lines(), self.presenter.empty_classes_text())

    def _pick(self, index: int) -> None:
        if self.presenter.pick(index) is not None:
            self._sync_highlight()
            self._show_card_or_empty()
        self.search.setFocus()

    # --- checking in -------------------------------------------------------------------------
    def _check_in(self) -> None:
        student_id = self.presenter.begin_check_in()
        Op(self, self.presenter.check_in, doing="checking in").success(
            lambda outcome: self._checked_in(outcome, student_id)
        ).failure(self._check_in_failed).run()

    def _checked_in(self, outcome: CheckInOutcome, student_id: str) -> None:
        text = self.presenter.toast_text(outcome)
        self.notify(text, "amber" if outcome.already else "ok")
        card = self.presenter.card
        if card is None or card.student.id != student_id:
            return  # staff already moved on to the next child: leave what they are typing alone
        self.presenter.after_check_in()
        self._show_done(text)

    def _check_in_failed(self, _exc: BaseException) -> None:
        self.presenter.check_in_failed()
        self.search.setFocus()

    # --- member cards ---------------------------------------------------------------------------
    def member_swipe(self, number: str) -> None:
        """A member card was swiped anywhere: check its student in, or offer to give it to someone."""
        Op(self, lambda: self.presenter.check_in_by_card(number), doing="checking in with a member card").success(
            lambda result: self._swiped(result, number)
        ).run()

    def _swiped(self, result: CardCheckIn, number: str) -> None:
        if not result.known or result.outcome is None:
            self.clear()
            self.presenter.begin_assign(number)
            self._show_assigning("New member card: type the student's name, open their card and press Enter "
                                 "to give them this card. Esc cancels.")
            self.notify("This member card is not anyone's yet. Find the student to give it to.", "amber")
            return
        self._show_assigning(None)
        self.presenter.cancel_assign()
        self.presenter.show_swiped(result)
        text = self.presenter.toast_text(result.outcome)
        self.notify(text, "amber" if result.outcome.already else "ok")
        self._show_done(text)

    def _show_done(self, text: str) -> None:
        """The checked-in student's card stays up with the result; the field is empty, ready for the next child."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.results.clear()
        self._show_empty(keep_card=True)
        self._show_card_or_empty()
        self.card.show_done(text)
        self.search.setFocus()

    def _assign(self) -> None:
        Op(self, self.presenter.assign_card, doing="giving the member card").success(self._assigned).run()

    def _assigned(self, name: str) -> None:
        self._show_assigning(None)
        self.notify(f"Member card given to {name}. Swipe it to check them in.", "ok")
        self.search.setFocus()

    def _show_assigning(self, text: str | None) -> None:
        if text is None:
            self.presenter.cancel_assign()
        self.assign_banner.setText(text or "")
        self.assign_banner.setVisible(text is not None)

    # --- drawing -----------------------------------------------------------------------------
    def _sync_highlight(self) -> None:
        self.results.setCurrentRow(self.presenter.highlighted)

    def _show_empty(self, keep_card: bool = False) -> None:
        self.results_empty.setText("Results show here as you type.\n↑ ↓ move · Enter opens the student.")
        self.results_stack.setCurrentWidget(self.results_empty)
        if not keep_card:
            self._show_card_or_empty()

    def _show_card_or_empty(self) -> None:
        p = self.presenter
        self.search.digits_choose = p.card is not None
        if p.card is None:
            self.card_empty.setText(
                "Press Enter to open the highlighted student." if p.hits
                else "Type a few letters of a first or family name,\nthen press Enter."
            )
            self.card_stack.setCurrentWidget(self.card_empty)
            return
        self.card.show_card(p.card, p.class_lines(), p.location.name, p.empty_classes_text())
        self.card_stack.setCurrentWidget(self.card)


class _HitRow(QWidget):
    def __init__(self, hit: StudentHit):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 4, 14, 4)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(label(hit.full_name, "hitName"))
        about = [f"{hit.family_name} family", age_text(hit.age)]
        names.addWidget(label(" · ".join(a for a in about if a), "muted"))
        row.addLayout(names, 1)
        for alert in hit.alerts[:3]:
            row.addWidget(chip(alert, short=True), 0, Qt.AlignmentFlag.AlignVCenter)
