"""Who may leave the kiosk, and how often a PIN may be tried (plain Python, no widgets).

The kiosk is left with a staff PIN, checked on this computer against PIN verifiers the desk
already holds (Argon2, from the sign-in; offline too), never sent anywhere. Each check is a
callable `pin -> bool`; desk.kiosk.launch passes the signed-in kiosk staff member's own PIN (a
manager sets it on the Staff screen: it is the kiosk's exit PIN).

A lobby must not be able to guess a four-digit PIN: after `tries` wrong PINs the pad waits,
and each further wrong PIN doubles the wait. `check` is slow on purpose (Argon2): run it off the
UI thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

NO_PIN = ("This kiosk has no exit PIN yet. A manager can set a PIN for the kiosk's staff member "
          "on the Staff screen of another desk.")
WRONG = "That PIN is not right. {left} more {tries} before the pad waits."
WAIT = "Too many wrong PINs. Try again in {time}."


class KioskExit:
    def __init__(self, checks: Sequence[Callable[[str], bool]], *, has_pin: Callable[[], bool] = lambda: True,
                 tries: int = 5, wait_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.checks = list(checks)
        self.has_pin = has_pin
        self.tries = tries
        self.wait_seconds = wait_seconds
        self.clock = clock
        self.wrong = 0  # wrong PINs since the last right one
        self._waits = 0  # how many times the pad has waited (each wait doubles)
        self._until = 0.0

    def refusal(self) -> str:
        """Why no PIN can be tried now ("" when one can)."""
        if not self.checks or not self.has_pin():
            return NO_PIN
        left = self._until - self.clock()
        return WAIT.format(time=_duration(left)) if left > 0 else ""

    def check(self, pin: str) -> bool:
        """Whether the PIN lets staff leave; refused without checking while the pad waits."""
        if self.refusal() or not pin:
            return False
        return any(check(pin) for check in self.checks)

    def failed(self) -> str:
        """A wrong PIN: words saying what happens next."""
        self.wrong += 1
        if self.wrong >= self.tries:
            self._until = self.clock() + self.wait_seconds * (2 ** self._waits)
            self._waits += 1
            self.wrong = self.tries - 1  # after the wait, one try before waiting again (longer)
            return self.refusal()
        left = self.tries - self.wrong
        return WRONG.format(left=left, tries="try" if left == 1 else "tries")

    def succeeded(self) -> None:
        self.wrong, self._waits, self._until = 0, 0, 0.0


def _duration(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
