"""Files and folders of the data dir that only the server's own user may read: 0600 files, 0700 folders.

The account databases, the registry and the sandbox gateway's file hold password hashes, card
references and every family's data. SQLite makes a new file with 0644 (less the umask) and gives
its -wal, -shm and -journal files the database file's own mode, so the database file is made here
first, owner-only, and SQLite's companions follow it. A file made by an older server is narrowed
when it is opened. Folders are made owner-only; an existing folder is left as its owner set it.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: str | os.PathLike) -> Path:
    """Make a folder (and any missing parents) owner-only; an existing one is left as it is."""
    path = Path(path)
    missing = []
    at = path
    while not at.exists():
        missing.append(at)
        at = at.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)  # the umask can only take bits away from 0700
        except FileExistsError:
            pass  # made by another process just now
    return path


def private_file(path: str | os.PathLike) -> Path:
    """An owner-only file: made empty when missing (atomically, 0600 from the start), narrowed when not."""
    path = Path(path)
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _narrow(path)
    return path


def private_sqlite(path: str | os.PathLike) -> Path:
    """A SQLite database file owner-only before SQLite opens it (an empty file is a new database), and
    its companions narrowed if an older server left them wider."""
    path = private_file(path)
    for suffix in _SQLITE_COMPANIONS:
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            _narrow(companion)
    return path


def _narrow(path: Path) -> None:
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass  # a -shm or -journal gone between the look and the change
