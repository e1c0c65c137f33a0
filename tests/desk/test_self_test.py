"""`frontdesk --self-test`: every check passes on a working install, a broken part fails the run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desk import self_test
from tests.fixtures import cards as tc

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("Qt and the desk's style sheet", "log file", "local cache and outbox", "main window", "receipt PDF",
          "printing renderer (pdfium)", "printers", "diagnostics report")


def check_lines(out: str) -> dict[str, str]:
    """{check name: "ok" or "FAILED"} from the printed lines."""
    found = {}
    for line in out.splitlines():
        mark, _, rest = line.partition(" ")
        for name in CHECKS:
            if rest.lstrip().startswith(name):
                found[name] = mark
    return found


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """No Qt platform chosen (the self-test picks offscreen itself), a home and temp folder of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
    (tmp_path / "tmp").mkdir()
    env.update(HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_DATA_HOME=str(tmp_path / "data"), TMPDIR=str(tmp_path / "tmp"))
    return env


def test_python_m_desk_self_test_passes_offscreen_and_leaves_nothing_behind(tmp_path, cups_pdf):
    env = isolated_env(tmp_path)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "desk", "--self-test"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=45)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_lines(done.stdout) == dict.fromkeys(CHECKS, "ok"), done.stdout
    assert f"All {len(CHECKS)} checks passed." in done.stdout
    assert "platform offscreen" in done.stdout
    assert f"{cups_pdf.printer} (default)" in done.stdout  # the spooler's printers, the default marked
    assert took < 15, f"the self-test took {took:.1f} s"
    assert list((tmp_path / "tmp").iterdir()) == []  # its data folder and log were thrown away
    assert not (tmp_path / "state").exists() and not (tmp_path / "data").exists()  # nothing in the real folders


@pytest.mark.gui
def test_a_broken_part_is_a_failed_line_and_a_failing_exit(qapp, monkeypatch):
    import printing.receipt

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"font table damaged near {tc.VISA}")  # a card number in an error is still removed

    monkeypatch.setattr(printing.receipt, "render_receipt", broken)
    out = io.StringIO()
    assert self_test.run_self_test(out) == 1
    text = out.getvalue()
    marks = check_lines(text)
    assert marks["receipt PDF"] == "FAILED" and marks["printing renderer (pdfium)"] == "FAILED"
    assert [name for name, mark in marks.items() if mark == "ok"] == [
        n for n in CHECKS if n not in ("receipt PDF", "printing renderer (pdfium)")]
    assert "RuntimeError: font table damaged near [card removed]" in text and tc.VISA not in text
    assert "skipped, no receipt to draw" in text
    assert "2 of 8 checks FAILED." in text
