"""The owner's desks screen as plain Python: each desk in words, and what retiring one means."""

from __future__ import annotations

import datetime as dt

from sync.core.wire_desks import DeskPublic, EnrollmentCodeResponse

COLUMNS = ("Desk", "Code", "Last seen (UTC)", "From", "State")


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def state(desk: DeskPublic) -> str:
    if desk.retired_at is not None:
        return f"Retired {_when(desk.retired_at)}"
    return "Set up" if desk.enrolled_at is not None else "Not set up yet (from before)"


def row(desk: DeskPublic, this_desk: str | None = None) -> tuple[str, ...]:
    name = desk.name or "(no name)"
    if desk.id == this_desk:
        name += " (this desk)"
    return name, desk.code or "", _when(desk.last_seen), desk.last_address or "", state(desk)


def may_retire(desk: DeskPublic, this_desk: str | None) -> str | None:
    """Why this desk may not be retired from here, or None."""
    if desk.retired_at is not None:
        return "This desk is already retired."
    if desk.id == this_desk:
        return "This is the desk you are using: retire it from another one."
    return None


def retire_question(desk: DeskPublic) -> str:
    return (f"Retire {desk.name or 'this desk'}? It is signed out at once and can no longer sign in. "
            "Work it has not sent yet stays on that computer; a manager signing in there sets it up again.")


def code_words(answer: EnrollmentCodeResponse) -> str:
    return (f"Setup code: {answer.code}. It sets up {answer.uses} new desk(s) until {_when(answer.expires_at)} UTC. "
            "Enter it at the first sign-in on the new computer; it is shown only now.")
