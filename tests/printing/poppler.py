"""pdftotext / pdfinfo (poppler-utils): read back what a PDF really says and how big its pages are."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} (poppler-utils) is not installed: apt-get install poppler-utils"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def _as_file(pdf: bytes | Path) -> tuple[Path, bool]:
    if isinstance(pdf, Path):
        return pdf, False
    handle = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)
    handle.write(pdf)
    handle.close()
    return Path(handle.name), True


def text(pdf: bytes | Path, layout: bool = True) -> str:
    path, temporary = _as_file(pdf)
    try:
        args = [_need("pdftotext"), *(["-layout"] if layout else []), str(path), "-"]
        return subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout
    finally:
        if temporary:
            path.unlink()


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    x_max: float
    page: int


def words(pdf: bytes | Path) -> list[Word]:
    """Every word with its horizontal extent in points (pdftotext -bbox)."""
    path, temporary = _as_file(pdf)
    try:
        out = subprocess.run([_need("pdftotext"), "-bbox", str(path), "-"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
    finally:
        if temporary:
            path.unlink()
    found, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        match = re.search(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*)</word>', line)
        if match:
            found.append(Word(match.group(3), float(match.group(1)), float(match.group(2)), page))
    return found


@dataclass(frozen=True)
class Info:
    pages: int
    width: float  # points, first page
    height: float


def info(pdf: bytes | Path) -> Info:
    path, temporary = _as_file(pdf)
    try:
        out = subprocess.run([_need("pdfinfo"), str(path)], capture_output=True, text=True, check=True, timeout=30).stdout
    finally:
        if temporary:
            path.unlink()
    pages = int(re.search(r"Pages:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", out)
    return Info(pages, float(size.group(1)), float(size.group(2)))  # type: ignore[union-attr]
