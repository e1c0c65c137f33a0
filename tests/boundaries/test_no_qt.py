"""Only desk/ (and printing's printer module) may need Qt: everything else runs on a bare server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter, so modules this test process already imported cannot hide a Qt import.
PROBE = textwrap.dedent(
    """
    import importlib, importlib.abc, pkgutil, sys

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6" or name.startswith(("PySide6.", "shiboken6", "qasync")):
                raise ImportError(f"{name} is not importable in this test")
            return None

    sys.meta_path.insert(0, NoQt())
    allowed_qt = {"printing.printer"}
    imported = []
    for package in ("sync", "devices", "printing", "server"):
        pkg = importlib.import_module(package)
        imported.append(package)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
            if info.name in allowed_qt:
                continue
            importlib.import_module(info.name)
            imported.append(info.name)
    assert not any(m.startswith(("PySide6", "qasync")) for m in sys.modules), "Qt was imported"
    print(len(imported), " ".join(sorted(imported)))
    """
)


@pytest.mark.timeout(60)
def test_sync_devices_printing_server_import_without_qt():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=50
    )
    assert result.returncode == 0, result.stderr
    count, names = result.stdout.split(" ", 1)
    assert int(count) >= 10, names  # the packages really hold modules, not just empty __init__ files
    assert "sync.store" in names.split() and "server.main" in names.split()


@pytest.mark.timeout(60)
def test_the_probe_notices_a_qt_import(tmp_path):
    """The guard itself must bite: a module that imports Qt fails the probe."""
    pkg = tmp_path / "sync"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "leaky.py").write_text("import PySide6.QtWidgets\n")
    probe = PROBE.replace('("sync", "devices", "printing", "server")', '("sync",)')
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=50)
    assert result.returncode != 0
    assert "not importable in this test" in result.stderr
