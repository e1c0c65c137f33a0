"""One card call's clock at the desk (issue 18), shared by the payment and the void / refund dialogs:
when it started, the seconds left on the main button, Cancel, and the key of a call given up on,
followed until the server says what became of it (sync.core.card_abandon).

The hard limit itself is sync.card_calls' (MoneyDesk.card_time_limit); this only counts it down for
the person at the counter, so both say the same number.
"""

from __future__ import annotations

import asyncio
import math
import time

from sync.money_desk import MoneyDesk

ASKING = "Asking the card network…"


class CardClock:
    def __init__(self, money_desk: MoneyDesk):
        self.money = money_desk
        self.cancel: asyncio.Event | None = None  # set by Cancel: sync.card_calls gives the call up at once
        self.started = 0.0
        self.given_up: str | None = None  # the key of the last call given up on, to follow

    def start(self) -> asyncio.Event:
        self.cancel, self.started, self.given_up = asyncio.Event(), time.monotonic(), None
        return self.cancel

    def stop(self) -> None:
        self.cancel = None

    @property
    def under_way(self) -> bool:
        return self.cancel is not None

    def asking_text(self) -> str:
        """"Asking the card network… 12 s": the seconds left before the desk stops waiting."""
        if self.cancel is None:
            return ASKING
        left = max(0, math.ceil(self.money.card_time_limit - (time.monotonic() - self.started)))
        return f"{ASKING} {left} s"

    def press_cancel(self) -> bool:
        """Cancel pressed (or the dialog closed) while the call waits; False when none is under way."""
        if self.cancel is None:
            return False
        self.cancel.set()
        return True

    def status(self) -> str | None:
        """What the server said of the call given up on: cancelling (not yet), not_charged, cancelled,
        done, needs_attention; None when nothing was given up on."""
        if self.given_up is None:
            return None
        return self.money.card_call_status(self.given_up) or "cancelling"
