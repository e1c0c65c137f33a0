"""Fitting text to a fixed number of columns (thermal receipts print in a monospaced font)."""

from __future__ import annotations

import textwrap
import unicodedata

from printing.fonts import fonts


def printable(text: str) -> str:
    """Text the embedded font can draw: NFC always; without a Unicode font, accents stripped."""
    text = unicodedata.normalize("NFC", text)
    if fonts().unicode:
        return text
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return plain.encode("latin-1", "replace").decode("latin-1")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters; words longer than that are cut (a name must print)."""
    out: list[str] = []
    for paragraph in printable(text).splitlines() or [""]:
        out.extend(textwrap.wrap(paragraph, width, break_long_words=True, break_on_hyphens=False) or [""])
    return out


def center(text: str, width: int) -> list[str]:
    return [line.center(width).rstrip() for line in wrap(text, width)]


def pair(left: str, right: str, width: int, indent: int = 0) -> list[str]:
    """`left` wrapped on the left, `right` flush right on the first line."""
    right = printable(right)
    room = max(width - len(right) - 1, 8)
    lines = wrap(left, room - indent)
    lines = [" " * indent + line for line in lines]
    first = lines[0].ljust(width - len(right)) + right
    if len(first) > width:  # right side alone is too wide for the room left: own line
        return [*lines, right.rjust(width)]
    return [first, *lines[1:]]
