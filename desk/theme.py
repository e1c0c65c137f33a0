"""The desk's look: the style sheet from resources/, filled with a light or dark palette.

The palette follows the OS setting (Qt's colour scheme) and changes with it while running.
One accent colour (a calm teal); red, amber and blue are kept for alerts and sync state.
"""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_PT = 12  # front-desk monitors are read from a step back

SIZES = {"body_pt": f"{BASE_PT}pt", "big_pt": f"{BASE_PT + 3}pt", "title_pt": f"{BASE_PT + 5}pt",
         "search_pt": f"{BASE_PT + 8}pt", "name_pt": f"{BASE_PT + 14}pt"}

LIGHT = {
    "bg": "#f4f5f7", "surface": "#ffffff", "rail": "#eceef1", "hover": "#e6e9ed", "hairline": "#eef0f3",
    "text": "#14171a", "muted": "#4f5864", "border": "#d5d9df", "border_strong": "#aeb5bf",
    "accent": "#0f6e66", "accent_soft": "#d7efec", "accent_text": "#0b5751", "on_accent": "#ffffff",
    "focus": "#0f6e66", "focus_on_accent": "#14171a",
    "red": "#a4161a", "red_soft": "#fde3e3", "amber": "#8a4b00", "amber_soft": "#fdf0cf",
    "blue": "#1a4fa0", "blue_soft": "#dde9fb", "toast_bg": "#14171a", "toast_text": "#ffffff",
    "chevron": "chevron-down.svg",
}
DARK = {
    "bg": "#15181b", "surface": "#1e2226", "rail": "#1a1d21", "hover": "#2a2f35", "hairline": "#262b30",
    "text": "#eef1f4", "muted": "#a9b2bd", "border": "#343a41", "border_strong": "#4e5660",
    "accent": "#2bb3a5", "accent_soft": "#19413d", "accent_text": "#7fe0d5", "on_accent": "#0b1413",
    "focus": "#5fd3c6", "focus_on_accent": "#ffffff",
    "red": "#ff8a8a", "red_soft": "#431c1e", "amber": "#ffc56b", "amber_soft": "#3d2d12",
    "blue": "#93bbff", "blue_soft": "#1c2c47", "toast_bg": "#eef1f4", "toast_text": "#14171a",
    "chevron": "chevron-down-dark.svg",
}


def style_sheet(dark: bool) -> str:
    text = resources.files("resources").joinpath("style/desk.qss").read_text(encoding="utf-8")
    # Style sheets take icons by file path; resources/ is a plain folder in the package (and the bundle).
    icons = str(resources.files("resources").joinpath("icons")).replace("\\", "/")
    tokens = {**SIZES, **(DARK if dark else LIGHT), "icons": icons}
    # Longest names first, so "@accent_soft" is not eaten by "@accent".
    for name in sorted(tokens, key=len, reverse=True):
        text = text.replace(f"@{name}", tokens[name])
    return text


def is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")  # the same metrics on every OS, and it honours the style sheet fully
    font = QFont(app.font())
    font.setPointSize(BASE_PT)
    app.setFont(font)
    app.setStyleSheet(style_sheet(is_dark(app)))
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: app.setStyleSheet(style_sheet(is_dark(app))))


def color(name: str) -> str:
    """A palette colour for what a style sheet cannot reach (per-item colours in tables)."""
    app = QApplication.instance()
    dark = isinstance(app, QApplication) and is_dark(app)
    return (DARK if dark else LIGHT)[name]
