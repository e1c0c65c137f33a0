"""UI code never talks SQL or HTTP: screens, presenters and the kiosk reach data through sync/'s
API, wired up in desk/boot.py (the one desk module that builds the HTTP client and the store)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.imports import imports_of

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("httpx", "sqlalchemy", "sqlmodel", "sqlite3", "psycopg")
WIRING = {ROOT / "desk" / "boot.py"}


def offenders(folder: Path, root: Path = ROOT) -> dict[str, list[str]]:
    found = {}
    for path in sorted(folder.rglob("*.py")):
        if path in WIRING:
            continue
        bad = sorted(n for n in imports_of(path) if n.split(".")[0] in FORBIDDEN)
        if bad:
            found[str(path.relative_to(root))] = bad
    return found


def test_desk_modules_import_no_database_or_http_library():
    assert offenders(ROOT / "desk") == {}


def test_the_check_notices_an_http_import(tmp_path):
    (tmp_path / "screen.py").write_text("import os\nfrom httpx import AsyncClient\nimport sqlalchemy.orm\n")
    (tmp_path / "fine.py").write_text("from sync.store import DeskStore\n")
    assert offenders(tmp_path, root=tmp_path) == {"screen.py": ["httpx", "sqlalchemy.orm"]}
