"""Where a desk keeps its files: one folder per (server, account).

    ~/.local/share/Frontdesk/desks/<host>_<port>-<account>/   (Linux; platformdirs elsewhere)
        outbox.sqlite3   the precious one: changes not yet confirmed by the server, and the desk id
        cache.sqlite3    disposable copy of the account's records

Signing in to another account or server on the same computer gets its own folder, so the
outboxes (and desk ids) of two accounts never mix.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "Frontdesk"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def app_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def server_key(server_url: str) -> str:
    """'https://Desk.Example.com:8443/x' -> 'desk.example.com_8443': the host (and a non-default port)."""
    parts = urlsplit(server_url if "//" in server_url else f"//{server_url}")
    host = (parts.hostname or "local").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port
    return host if port is None or port == default else f"{host}_{port}"


def desk_data_dir(server_url: str, account: str, base: Path | None = None) -> Path:
    """The folder for this server and account, under `base` (default: the user data dir). Not created."""
    name = _safe(f"{server_key(server_url)}-{account.lower()}")
    return Path(base if base is not None else app_data_dir() / "desks") / name


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).replace("..", "_").strip("._") or "desk"
    return cleaned[:120]
