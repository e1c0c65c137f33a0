"""A computer with a spooler but no default printer: the OS commands are faked at the lowest layer."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from printing.errors import NoPrinterError, PrintJobFailed
from printing.printer import list_printers, print_pdf
from printing.receipt import render_receipt
from tests.printing.conftest import receipt


def fake_commands(folder: Path, lpstat: str, lp: str = "exit 0") -> None:
    for name, body in (("lpstat", lpstat), ("lp", lp)):
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_no_default_printer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake_commands(tmp_path, 'echo "no system default destination"')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert list_printers() == []
    with pytest.raises(NoPrinterError) as caught:
        print_pdf(render_receipt(receipt()))
    assert "no default printer" in caught.value.message


def test_a_job_the_spooler_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    lpstat = ('case "$1" in -d) echo "system default destination: Thermal";; '
              '-p) echo "printer Thermal is idle.  enabled since today";; esac')
    fake_commands(tmp_path, lpstat, lp='echo "lp: Unsupported document-format" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert [p.label() for p in list_printers()] == ["Thermal (default)"]
    with pytest.raises(PrintJobFailed) as caught:
        print_pdf(render_receipt(receipt()))
    assert "did not take the job" in caught.value.message
    assert "Unsupported document-format" in caught.value.detail
