"""The status bar's words: online or not, what is waiting to be sent, what needs a person.

Formats are fixed (UX.md) so staff learn to read them at a glance:
    "● Online · 0 pending · synced 16:03"            neutral
    "○ Offline · 3 pending · last synced 15:50"      amber
    "2 need attention"                               red, beside the line above
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.presenters.formatting import hhmm_local
from sync.views import SyncStatus

NEUTRAL, AMBER, RED = "neutral", "amber", "red"


@dataclass(frozen=True)
class StatusLine:
    text: str
    tone: str  # neutral, amber or red
    attention: str  # "2 need attention", or "" when nothing does
    tooltip: str  # the longer story (why the last attempt failed)


def describe(status: SyncStatus) -> StatusLine:
    pending = f"{status.pending} pending"
    if status.needs_sign_in:
        text = f"○ Signed out by the server · {pending} · sign in again to send them"
        tone = RED
    elif status.online and status.error:
        # Reached the server but it would not take the work (an app too old for it, a server
        # problem): the work is kept here; say why in the server's own words.
        text = f"● Online · {pending} · not sent: {_short(status.error)}"
        tone = AMBER
    elif status.online:
        synced = f"synced {hhmm_local(status.last_sync)}" if status.last_sync else "syncing…"
        text = f"● Online · {pending} · {synced}"
        tone = NEUTRAL
    else:
        synced = f"last synced {hhmm_local(status.last_sync)}" if status.last_sync else "not synced yet"
        text = f"○ Offline · {pending} · {synced}"
        tone = AMBER
    attention = f"{status.rejected} need attention" if status.rejected else ""
    tooltip = _tooltip(status)
    return StatusLine(text=text, tone=tone, attention=attention, tooltip=tooltip)


def _short(words: str, limit: int = 110) -> str:
    """The message cut at a sentence or clause end, so the bar keeps what happened and what to do."""
    if len(words) <= limit:
        return words
    ends = [i + 1 for i in range(limit) if words[i] in ".;" and words[i + 1:i + 2] == " "]
    return words[:ends[-1]].rstrip(";").rstrip() if ends else words[:limit].rstrip() + "…"


def _tooltip(status: SyncStatus) -> str:
    if status.needs_sign_in:
        return "The server no longer accepts this desk's sign-in. Changes are kept here until you sign in."
    if status.online and status.error:
        return f"{status.error} Nothing made here is lost: it is sent as soon as the server takes it."
    if not status.online:
        why = status.error or "The server cannot be reached."
        return f"{why} Check-ins and attendance still work here and are sent when the connection is back."
    if status.pending:
        return "Changes made here are being sent to the server."
    return "Everything made at this desk has reached the server."
