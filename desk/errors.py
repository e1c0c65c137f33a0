"""Failures in front-desk words.

Expected failures (no network, wrong password, a change the server refused) come from sync/ as
typed errors and are told plainly with what to do next. Anything else is a bug: it is logged
with its traceback and context, and shown as a bug, so nobody mistakes it for "the internet".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sync.errors import SyncError

log = logging.getLogger("frontdesk.desk")

# What staff should do next, by the kind of sync failure (sync.errors.SyncError.kind).
_NEXT_STEP = {
    "network": "The server cannot be reached. Keep working: changes are kept here and sent when the connection is back.",
    "auth": "The server did not accept the sign-in. Check the account, user name and password, and try again.",
    "server": "The server had a problem. Try again in a minute; if it keeps happening, call support.",
    "conflict": "Someone else changed this at the same time. Look at it again and redo the change if needed.",
    "rejected": "The server refused this change. It is listed under Needs attention.",
}


@dataclass(frozen=True)
class ErrorReport:
    title: str
    text: str
    is_bug: bool
    kind: str = "bug"  # the SyncError kind (network, auth, ...) for expected failures
    code: str | None = None  # the SyncError's code (e.g. "desk_refused"), when a screen words it itself


def describe_error(exc: BaseException, doing: str = "") -> ErrorReport:
    if isinstance(exc, SyncError):
        # sync/ writes its messages for a person at a desk; the fallback covers an empty one.
        text = exc.message.strip() or _NEXT_STEP.get(exc.kind, "")
        return ErrorReport(title=_title(doing), text=text, is_bug=False, kind=exc.kind, code=exc.code)
    return ErrorReport(
        title="Something went wrong in Frontdesk",
        text=(
            f"This is a bug in Frontdesk, not something you did{' (while ' + doing + ')' if doing else ''}. "
            "Your work so far is saved. Please tell support what you were doing; details are in the log."
        ),
        is_bug=True,
    )


def log_bug(exc: BaseException, doing: str) -> None:
    log.error("bug while %s", doing or "running a desk operation", exc_info=(type(exc), exc, exc.__traceback__))


def _title(doing: str) -> str:
    return f"Could not finish {doing}" if doing else "That could not be done"
