"""The desk's log file: card data never reaches it, whatever logged it, and it rotates by size."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import pytest

from desk.logs import CARD_REMOVED, LOG_NAME, TOKEN_REMOVED, read_tail, redact, setup_logging, stop_logging
from tests.fixtures import cards as tc

log = logging.getLogger("frontdesk.test_logs")


@pytest.fixture
def log_file(tmp_path) -> Path:
    path = setup_logging(tmp_path, console=False)
    try:
        assert path == tmp_path / "logs" / LOG_NAME
        yield path
    finally:
        stop_logging()


def written(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_card_numbers_and_tracks_land_redacted_in_the_file(log_file):
    log.info("swipe read: %s", tc.magtek(tc.VISA))  # both tracks, as a keyboard-mode swiper types them
    log.warning("track 2 only %s then more words", tc.track2(tc.MASTERCARD))
    log.info(f"typed in a note: card {tc.AMEX[:4]} {tc.AMEX[4:10]} {tc.AMEX[4 + 6:]} exp 12/28")  # grouped as people type
    log.info("dashes %s", "-".join(tc.DISCOVER[i:i + 4] for i in range(0, 16, 4)))
    logging.getLogger("some.library").error("bare number %d", int(tc.JCB))  # another logger, an int argument
    try:
        raise ValueError(f"could not parse {tc.track1(tc.DINERS)}")
    except ValueError:
        log.exception("parsing failed for %s", tc.UNIONPAY)  # the message and the traceback's text
    done = threading.Event()
    threading.Thread(target=lambda: (log.info("from a thread %s", tc.VISA_2), done.set())).start()
    assert done.wait(5)

    text = written(log_file)
    for pan in tc.ALL_PANS:
        assert pan not in text, f"{pan[:4]}… reached the log file"
        assert pan[-8:] not in text  # not even a tail of the number, nor of a track
    assert "^DOE/JOHN Q^" not in text and "=2812101" not in text
    assert text.count(CARD_REMOVED) >= 9
    # What was around the card data is kept: the line still says what happened.
    for words in ("swipe read:", "track 2 only", "then more words", "exp 12/28", "ValueError: could not parse",
                  "parsing failed for", "from a thread", "Traceback"):
        assert words in text, words


def test_ordinary_numbers_stay_as_they_are():
    for text in ("order 1234567890123 placed", "2025-03-10 19:30:00,123 INFO ok", "desk 0192f7d2-3b4c-7def-8a01-23456789abcd",
                 "member card ;00423817?", "Visa ending 1111", "total 12345 cents, 4 students"):
        assert redact(text) == text
    assert redact(f"12 {tc.VISA} 34") == f"12 {CARD_REMOVED} 34"  # numbers next to a card are kept
    assert redact("Authorization: Bearer abc.def-ghi_jkl") == f"Authorization: Bearer {TOKEN_REMOVED}"


def test_numbers_without_luhn_and_spaced_track_1_are_redacted_too():
    for pan in (tc.UNIONPAY_NO_LUHN, tc.UNIONPAY_19_NO_LUHN):  # UnionPay needs no check digit: still a card
        assert redact(f"card {pan} read") == f"card {CARD_REMOVED} read"
    spaced = tc.track1(tc.spaced(tc.AMEX, tc.AMEX_GROUPS))
    assert redact(f"swipe {spaced} done") == f"swipe {CARD_REMOVED} done"


def test_the_log_rotates_by_size_and_keeps_a_few_files(tmp_path):
    path = setup_logging(tmp_path, console=False, max_bytes=2_000, backups=2)
    try:
        for i in range(120):
            log.info("line %03d %s", i, "x" * 40)
        written(path)
    finally:
        stop_logging()
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == [LOG_NAME, f"{LOG_NAME}.1", f"{LOG_NAME}.2"]
    assert all(p.stat().st_size <= 2_000 for p in path.parent.iterdir())
    current = path.read_text(encoding="utf-8").splitlines()
    assert "line 000" not in "\n".join(current) and len(current) < 20
    tail = read_tail(path, len(current) + 5)  # reaches back into the file before the last rotation
    assert tail[5:] == current and tail[-1].endswith("line 119 " + "x" * 40)
    assert tail[:5] == Path(f"{path}.1").read_text(encoding="utf-8").splitlines()[-5:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_without_a_data_dir_the_log_goes_to_the_platform_log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = setup_logging(None, console=False)
    try:
        log.info("hello")
        assert path == tmp_path / "state" / "Frontdesk" / "log" / LOG_NAME
        assert "hello" in written(path)
    finally:
        stop_logging()


def test_a_folder_that_cannot_be_written_leaves_the_console(tmp_path, capsys):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    assert setup_logging(blocked) is None
    try:
        log.info("still said on the console %s", tc.VISA)
    finally:
        stop_logging()
    err = capsys.readouterr().err
    assert "cannot be written" in err and "still said on the console" in err and tc.VISA not in err
