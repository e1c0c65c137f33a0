"""Damaging SQLite files the way a crash or a bad disk does, for the tests of what survives it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of one table with noise, leaving the rest of the file readable."""
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    [root] = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * 8)  # the b-tree page header: its type and cell count
