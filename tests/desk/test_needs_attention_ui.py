"""The "needs attention" list: staff send a refused change again or let it go, by keyboard or mouse."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.widgets.needs_attention import NeedsAttentionDialog
from sync.views import RejectedView
from tests.desk.desk_helpers import ops_done

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


def refused(mid: str, who: str) -> RejectedView:
    return RejectedView(mid, 4, "check_in", dt.datetime(2025, 3, 3, 22, 0), "not_found",
                        "This student is no longer on file; the change was not recorded.", f"Check-in of {who}")


class Actions:
    """Stands in for DeskStore's three methods (the store's own are tested in tests/sync)."""

    def __init__(self) -> None:
        self.items = [refused("m1", "Emma Lee"), refused("m2", "Zoë Müller")]
        self.calls: list[tuple] = []

    def rejected(self) -> list[RejectedView]:
        return list(self.items)

    async def retry_rejected(self, mutation_id: str) -> None:
        self.calls.append(("retry", mutation_id))
        self.items = [r for r in self.items if r.mutation_id != mutation_id]

    async def discard_rejected(self, mutation_id: str, reason: str = "") -> None:
        self.calls.append(("discard", mutation_id, reason))
        self.items = [r for r in self.items if r.mutation_id != mutation_id]


async def test_send_again_and_let_go_empty_the_list(qtbot):
    actions = Actions()
    reasons = iter(["Left the school", None])
    dialog = NeedsAttentionDialog(actions.rejected(), actions=actions, ask_reason=lambda _parent: next(reasons))
    qtbot.addWidget(dialog)
    changed: list[bool] = []
    dialog.changed.connect(lambda: changed.append(True))
    dialog.show()
    assert dialog.items.count() == 2 and dialog.retry_button.isEnabled()

    dialog.retry_button.click()  # the first line is chosen already
    await ops_done()
    assert actions.calls == [("retry", "m1")]
    assert dialog.items.count() == 1 and dialog.items.item(0).text().startswith("Check-in of Zoë Müller")

    dialog.discard_button.click()
    await ops_done()
    assert actions.calls[-1] == ("discard", "m2", "Left the school")
    assert not dialog.items.isVisible() and "Nothing needs attention" in dialog.intro.text()
    assert not dialog.retry_button.isEnabled() and not dialog.discard_button.isEnabled()
    assert changed == [True, True]
    dialog.close()


async def test_letting_go_asks_why_and_cancel_keeps_the_change(qtbot):
    actions = Actions()
    dialog = NeedsAttentionDialog(actions.rejected(), actions=actions, ask_reason=lambda _parent: None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.discard_button.click()
    await ops_done()
    assert actions.calls == [] and dialog.items.count() == 2
    dialog.close()
