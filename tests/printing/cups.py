"""A real CUPS server with a cups-pdf printer as the default, for the print tests.

Starts cupsd when it is installed and not running, adds the cups-pdf queue and makes it the
default (the commands in DESIGN.md), and undoes exactly what it did. Without CUPS the tests that
need it are skipped with the reason, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PRINTER = "PDF"
PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
CUPSD = "/usr/sbin/cupsd"
BACKEND = "/usr/lib/cups/backend/cups-pdf"
CONF = Path("/etc/cups/cups-pdf.conf")
INSTALL = "apt-get install cups printer-driver-cups-pdf cups-client cups-bsd poppler-utils"
ENV = {**os.environ, "LC_ALL": "C", "LANG": "C"}


@dataclass(frozen=True)
class CupsPdf:
    printer: str
    out_dir: Path

    def wait_for_job(self, job_id: str, timeout: float = 40.0) -> Path:
        """The PDF cups-pdf wrote for a job ("PDF-12" -> "...-job_12.pdf")."""
        number = job_id.rsplit("-", 1)[-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = sorted(self.out_dir.glob(f"*-job_{number}.pdf"))
            if found and _settled(found[0]):
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no PDF for job {job_id} in {self.out_dir} after {timeout:.0f} s: "
                             f"{sorted(p.name for p in self.out_dir.glob('*'))}")

    def newest_after(self, before: set[Path], timeout: float = 40.0) -> Path:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [p for p in self.out_dir.glob("*.pdf") if p not in before]
            if new and _settled(new[0]):
                return new[0]
            time.sleep(0.1)
        raise AssertionError(f"no new PDF in {self.out_dir} after {timeout:.0f} s")


def _settled(path: Path) -> bool:
    """cups-pdf writes the file in place: done when it ends with the PDF trailer and stops growing."""
    first = path.stat().st_size
    time.sleep(0.3)
    if first == 0 or path.stat().st_size != first:
        return False
    with path.open("rb") as f:
        f.seek(max(first - 32, 0))
        return b"%%EOF" in f.read()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, env=ENV, check=False)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the print test (install: {INSTALL})")
    pytest.skip(f"{reason} (install: {INSTALL})")


def _out_dir() -> Path:
    match = re.search(r"^Out\s+(\S+)", CONF.read_text(), re.M) if CONF.exists() else None
    text = match.group(1) if match else "${HOME}/PDF"
    return Path(text.replace("${HOME}", str(Path.home())))


def _scheduler_running() -> bool:
    return "scheduler is running" in _run("lpstat", "-r").stdout


def cups_pdf_printer() -> Iterator[CupsPdf]:
    tools = ["lp", "lpstat", "lpadmin", "cupsenable", "cupsdisable", "cupsaccept", "pdftotext", "pdfinfo"]
    missing = [t for t in tools if shutil.which(t) is None] + [p for p in (CUPSD, BACKEND) if not Path(p).exists()]
    if missing:
        _unavailable(f"CUPS with a cups-pdf printer is not installed here (missing {', '.join(missing)})")
    daemon: subprocess.Popen[bytes] | None = None
    if not _scheduler_running():
        daemon = subprocess.Popen([CUPSD, "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not _scheduler_running():
            if daemon.poll() is not None or time.monotonic() > deadline:
                daemon.kill()
                _unavailable(f"cupsd would not start (exit {daemon.poll()})")
            time.sleep(0.1)
    added = PRINTER not in _run("lpstat", "-p").stdout.split()
    before = re.search(r"destination:\s*(\S+)", _run("lpstat", "-d").stdout)
    try:
        if added:
            made = _run("lpadmin", "-p", PRINTER, "-E", "-v", "cups-pdf:/", "-m", PPD)
            if made.returncode != 0:
                _unavailable(f"could not add the cups-pdf printer: {made.stderr.strip()}")
        _run("cupsenable", PRINTER)
        _run("cupsaccept", PRINTER)
        if _run("lpadmin", "-d", PRINTER).returncode != 0:
            _unavailable("could not make the cups-pdf printer the default")
        out = _out_dir()
        out.mkdir(parents=True, exist_ok=True)
        yield CupsPdf(PRINTER, out)
    finally:
        if before and before.group(1) != PRINTER:
            _run("lpadmin", "-d", before.group(1))
        if added:
            _run("lpadmin", "-x", PRINTER)
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
