"""The TrueType fonts receipts and reports embed, so names like "Zoë Łukasiewicz" print as typed.

reportlab's built-in Helvetica and Courier cover Latin-1 only. DejaVu (Debian's
`fonts-dejavu-core`, on most Linux desks, and the font CI installs) covers Latin, Greek and
Cyrillic; without it we fall back to Bitstream Vera, which ships inside reportlab itself (Latin-1
and a little more), then to the built-in fonts. No font is ever fetched from the web.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Where Linux, macOS (Homebrew) and Windows installs keep DejaVu; FRONTDESK_FONT_DIR goes first.
_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
    "C:/Windows/Fonts",
)


@dataclass(frozen=True)
class Fonts:
    sans: str
    sans_bold: str
    mono: str
    mono_bold: str
    unicode: bool  # True when the embedded fonts cover more than Latin-1


def _find(name: str) -> Path | None:
    dirs = [os.environ["FRONTDESK_FONT_DIR"]] if os.environ.get("FRONTDESK_FONT_DIR") else []
    for folder in (*dirs, *_DEJAVU_DIRS):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


def _register(face: str, path: Path) -> str:
    if face not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(face, str(path)))
    return face


@functools.cache
def fonts() -> Fonts:
    """Register (once) and name the best fonts this computer has."""
    files = {k: _find(v) for k, v in {
        "sans": "DejaVuSans.ttf", "sans_bold": "DejaVuSans-Bold.ttf",
        "mono": "DejaVuSansMono.ttf", "mono_bold": "DejaVuSansMono-Bold.ttf",
    }.items()}
    if all(files.values()):
        return Fonts(
            sans=_register("DejaVuSans", files["sans"]),  # type: ignore[arg-type]
            sans_bold=_register("DejaVuSans-Bold", files["sans_bold"]),  # type: ignore[arg-type]
            mono=_register("DejaVuSansMono", files["mono"]),  # type: ignore[arg-type]
            mono_bold=_register("DejaVuSansMono-Bold", files["mono_bold"]),  # type: ignore[arg-type]
            unicode=True,
        )
    vera = Path(reportlab.__file__).parent / "fonts"
    return Fonts(
        sans=_register("Vera", vera / "Vera.ttf"),
        sans_bold=_register("VeraBd", vera / "VeraBd.ttf"),
        mono="Courier",
        mono_bold="Courier-Bold",
        unicode=False,
    )
