"""The desk's log: a size-rotated file in the platform's log folder, and the console.

    log_file = setup_logging(data_dir)   # desk.app.main, once
    tail = read_tail(log_file, 200)       # desk.diagnostics: what support gets

Where: the user log folder (platformdirs: ~/.local/state/Frontdesk/log on Linux,
~/Library/Logs/Frontdesk on macOS, %LOCALAPPDATA%\\Frontdesk\\Logs on Windows), or `logs/` in the
desk's data folder when `--data-dir` chose one (a desk run from a USB stick or a test keeps its
log with its data). 1 MB per file, five old files kept: weeks of a busy desk, a few MB of disk.

Every record passes `CardDataFilter` on its way to any of these handlers: a swipe's track data or
a card number that slipped into a message, an argument or an exception's text is written as
"[card removed]". Card data must never reach a file (PCI DSS), whatever the code that logged it.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections import deque
from pathlib import Path

import platformdirs

from devices.cards import pan_ok
from sync.paths import APP_NAME

LOG_NAME = "frontdesk.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CARD_REMOVED = "[card removed]"
TOKEN_REMOVED = "[token removed]"

# Track 1 (IATA): %B<PAN>^<NAME>^<YYMM><service><discretionary>?  (the end sentinel may be missing
# in a half read). Track 2 (ABA): ;<PAN>=<YYMM><service><discretionary>?
_TRACK1 = re.compile(r"%B[\d ]{1,26}\^[^^\r\n]{0,40}\^[^?\r\n]*\??", re.IGNORECASE)  # spaced numbers too
_TRACK2 = re.compile(r";\d{1,19}=[\d]*\??")
# Digits, maybe in groups split by single spaces or dashes as people type a card number
# ("4111 1111 1111 1111"); each run is then searched group by group for a card number.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")
# A signed access token (JWT: three base64url parts, the first two JSON objects) or a bearer header.
_JWT = re.compile(r"\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[\w.~+/-]{8,}=*")

_ours = "_frontdesk_handler"  # marks the handlers setup_logging installed, so a second call replaces them
_current: Path | None = None
_previous_level: int | None = None  # the root logger's level before setup_logging, put back by stop_logging


def redact(text: str) -> str:
    """`text` with track data, Luhn-valid card numbers and access tokens replaced by words."""
    if not text:
        return text
    text = _TRACK1.sub(CARD_REMOVED, text)
    text = _TRACK2.sub(CARD_REMOVED, text)

    text = _DIGIT_RUN.sub(lambda m: _without_cards(m.group(0)), text)
    text = _JWT.sub(TOKEN_REMOVED, text)
    return _BEARER.sub(lambda m: m.group(1) + TOKEN_REMOVED, text)


def _without_cards(run: str) -> str:
    """A run of digit groups with every 13-19 digit stretch of whole groups that passes Luhn removed.

    Whole groups only: "12 4111 1111 1111 1111" loses the card and keeps the 12, while a long run of
    ungrouped digits (an id, a count) is a card only when it is 13-19 digits itself.
    """
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    out, done, i = [], 0, 0
    while i < len(groups):
        found = None
        length = 0
        for j in range(i, len(groups)):
            length += groups[j][1] - groups[j][0]
            if length > 19:
                break
            # pan_ok: Luhn, except UnionPay (IIN 62), whose numbers need not pass it.
            if length >= 13 and pan_ok("".join(run[a:b] for a, b in groups[i:j + 1])):
                found = j
                break
        if found is None:
            i += 1
            continue
        out += [run[done:groups[i][0]], CARD_REMOVED]
        done, i = groups[found][1], found + 1
    return "".join(out) + run[done:]


class CardDataFilter(logging.Filter):
    """Rewrites each record so that nothing written from it can hold card data; never drops one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format: keep what was given, as text, still redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set: the traceback (exception messages included)
            # is written as redacted here, once, for every handler.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_dir(data_dir: Path | None = None) -> Path:
    """`logs/` in the desk's data folder when one was chosen, else the platform's log folder."""
    if data_dir is not None:
        return Path(data_dir) / "logs"
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def setup_logging(data_dir: Path | None = None, *, level: int = logging.INFO, console: bool = True,
                  max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> Path | None:
    """Log to the rotating file (and the console); returns the file, or None when it cannot be written.

    Calling it again replaces the handlers it installed before (tests, a second desk in one process).
    """
    global _current, _previous_level
    stop_logging()
    root = logging.getLogger()
    _previous_level = root.level
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if console and sys.stderr is not None:  # a windowed Windows exe has no stderr
        handlers.append(logging.StreamHandler())
    path: Path | None = log_dir(data_dir) / LOG_NAME
    problem = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                             encoding="utf-8"))
    except OSError as exc:  # a read-only profile: the desk still runs, the console still logs
        problem, path = f"the log file {path} cannot be written ({exc.strerror or exc}); logging to the console only", None
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(CardDataFilter())  # on the handler: records from every logger pass it
        setattr(handler, _ours, True)
        root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per sync request drowns what matters
    _current = path
    if problem:
        logging.getLogger("frontdesk.desk").warning(problem)
    return path


def stop_logging() -> None:
    """Remove and close the handlers setup_logging installed (the self-test, run inside another program)."""
    global _current, _previous_level
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _ours, False)]:
        root.removeHandler(handler)
        handler.close()
    if _previous_level is not None:
        root.setLevel(_previous_level)
    _current, _previous_level = None, None


def current_log_file() -> Path | None:
    """The file setup_logging writes to (None before it ran, or when it could not)."""
    return _current


def read_tail(path: Path | None, lines: int = 200) -> list[str]:
    """The last `lines` lines of the log, reaching into the previous file just after a rotation."""
    if path is None or lines <= 0:
        return []
    tail: deque[str] = deque(maxlen=lines)
    for file in (Path(f"{path}.1"), Path(path)):  # oldest first
        try:
            with file.open(encoding="utf-8", errors="replace") as fh:
                tail.extend(line.rstrip("\n") for line in fh)
        except OSError:
            continue
    return [redact(line) for line in tail]  # written redacted already; a file from an older version may not be
