"""The kiosk's options, with the defaults a gym would choose; tests make the times short."""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.core.schema import ALERT_KINDS


@dataclass(frozen=True)
class KioskOptions:
    # Check-in to a class is open from this long before it starts to this long after; after the
    # start the child is marked late. Outside the window the class shows, but cannot be chosen.
    opens_before_minutes: int = 30
    closes_after_minutes: int = 15
    # A child with an active alert of one of these kinds (their own or their family's) is sent to
    # the front desk instead of being checked in.
    blocking_alerts: frozenset[str] = field(default_factory=lambda: frozenset({"balance", "waiver"}))
    idle_seconds: float = 45.0  # any screen untouched this long goes back to the start
    done_seconds: float = 6.0  # the "you're checked in" screen stays this long
    max_families: int = 6  # more families sharing the digits than this: ask for the card instead
    pin_tries: int = 5  # wrong exit PINs before the pad waits
    pin_wait_seconds: float = 60.0  # the first wait; it doubles with each further wrong PIN

    def __post_init__(self) -> None:
        if self.opens_before_minutes < 0 or self.closes_after_minutes < 0:
            raise ValueError("the check-in window's minutes cannot be negative")
        unknown = set(self.blocking_alerts) - set(ALERT_KINDS)
        if unknown:
            raise ValueError(f"unknown alert kinds {sorted(unknown)}; known: {', '.join(ALERT_KINDS)}")
        if self.idle_seconds <= 0 or self.done_seconds <= 0:
            raise ValueError("the kiosk's timeouts must be positive")
        if self.max_families < 1 or self.pin_tries < 1 or self.pin_wait_seconds < 0:
            raise ValueError("max_families and pin_tries must be at least 1, pin_wait_seconds not negative")

    @classmethod
    def from_settings(cls, kiosk: object) -> "KioskOptions":
        """This computer's kiosk settings (desk.settings.KioskSettings) over the defaults."""
        return cls(opens_before_minutes=kiosk.opens_before_minutes, closes_after_minutes=kiosk.closes_after_minutes,
                   blocking_alerts=frozenset(kiosk.blocking_alerts), idle_seconds=kiosk.idle_seconds)  # type: ignore[attr-defined]
