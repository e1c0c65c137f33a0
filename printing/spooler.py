"""The operating system's print spooler through its own commands (CUPS: `lp`, `lpstat`).

Where CUPS is present this is the first choice for a PDF: CUPS takes PDF as it is, its filters
rasterize at the printer's own resolution, the text stays text, and the job is a few kilobytes.
No Qt here, so the server and tests can use it too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from printing.errors import job_failed, no_printer, offline

TIMEOUT = 20  # seconds; a spooler that does not answer in that time is as good as offline
_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")
_REQUEST = re.compile(r"request id is (\S+)")


@dataclass(frozen=True)
class SpoolerPrinter:
    name: str
    is_default: bool
    enabled: bool


def available() -> bool:
    return shutil.which("lp") is not None and shutil.which("lpstat") is not None


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}  # parse the spooler's English, whatever the desk's language
    return subprocess.run(args, input=data, capture_output=True, timeout=TIMEOUT, env=env, check=False)


def default_printer() -> str | None:
    out = _run(["lpstat", "-d"]).stdout.decode(errors="replace")
    match = re.search(r"system default destination:\s*(\S+)", out)
    return match.group(1) if match else None


def printers() -> list[SpoolerPrinter]:
    default = default_printer()
    out = _run(["lpstat", "-p"]).stdout.decode(errors="replace")
    found = []
    for line in out.splitlines():
        match = re.match(r"printer (\S+) (.*)", line)
        if match:
            name, rest = match.groups()
            found.append(SpoolerPrinter(name, name == default, enabled="disabled" not in rest))
    return found


def page_size(pdf: bytes) -> tuple[float, float] | None:
    """The first page's size in points, as reportlab writes it (enough for our own PDFs)."""
    match = _MEDIABOX.search(pdf)
    return (float(match.group(1)), float(match.group(2))) if match else None


def submit(pdf: bytes, printer: str | None, title: str) -> tuple[str, str]:
    """Hand a PDF to the spooler; returns (printer, job id). Raises a PrintError."""
    name = printer or default_printer()
    if not name:
        raise no_printer(None)
    known = {p.name: p for p in printers()}
    if name not in known:
        raise no_printer(name)
    if not known[name].enabled:
        raise offline(name, "disabled in the spooler")
    args = ["lp", "-d", name, "-t", title]
    size = page_size(pdf)
    if size:  # a thermal receipt is as long as its content: ask for exactly that paper
        args += ["-o", f"media=Custom.{size[0]:.2f}x{size[1]:.2f}"]
    try:
        done = _run(args, pdf)
    except subprocess.TimeoutExpired:
        raise offline(name, "lp did not answer") from None
    if done.returncode != 0:
        raise job_failed(name, done.stderr.decode(errors="replace").strip())
    match = _REQUEST.search(done.stdout.decode(errors="replace"))
    return name, match.group(1) if match else ""
