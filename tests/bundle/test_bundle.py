"""The desktop bundle: build.spec builds with PyInstaller, and the bundled app passes its self-test.

What a desk computer gets is the folder PyInstaller makes, not this source tree: a data file, Qt
plugin or native library the spec forgets works here and fails there. So the bundle is built from
scratch into a temporary folder and its own binary runs `--self-test` (window offscreen, receipt
PDF, pdfium, printers through CUPS, local cache and outbox, log file). About a minute on two cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.desk.test_self_test import CHECKS, check_lines

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 480  # seconds; a cold build here takes about 40-60
EXE = "frontdesk.exe" if sys.platform == "win32" else "frontdesk"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """dist/frontdesk built from build.spec (once for this module)."""
    if sys.platform.startswith("linux") and shutil.which("objdump") is None:
        reason = "PyInstaller needs objdump on Linux (apt-get install binutils)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must build the bundle")
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("bundle")
    log = tmp / "pyinstaller.log"
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--distpath", str(tmp / "dist"), "--workpath", str(tmp / "work"), "build.spec"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT, check=False,
        )
    took = time.monotonic() - started
    assert done.returncode == 0, f"PyInstaller failed after {took:.0f} s:\n" + log.read_text()[-6000:]
    print(f"bundle built in {took:.0f} s")
    return tmp / "dist" / "frontdesk"


@pytest.mark.timeout(600)
def test_the_bundle_holds_what_the_desk_loads_and_not_the_server(bundle):
    inside = bundle / "_internal"
    files = {p.relative_to(inside).as_posix() for p in inside.rglob("*") if p.is_file()}

    def has(fragment: str) -> bool:
        return any(fragment in f for f in files)

    # Qt: a screen (xcb, wayland), no screen (offscreen), printing, the style sheet's SVG icons.
    for plugin in ("platforms/libqxcb", "platforms/libqoffscreen", "printsupport/", "imageformats/libqsvg"):
        assert has(f"PySide6/Qt/plugins/{plugin}"), plugin
    assert has("pypdfium2_raw/libpdfium")  # printing.printer's Qt route draws pages with it
    assert has("reportlab/fonts/Vera.ttf")  # the receipt font where the computer has no DejaVu
    assert has("resources/style/desk.qss") and has("resources/icons/chevron-down.svg")
    # Help > About's version: the package's metadata (a dist-info, or the egg-info of an editable install).
    assert any(f.startswith("frontdesk") and f.endswith(("/METADATA", "/PKG-INFO")) for f in files)
    # PySide6-Essentials only, and none of the server.
    for unwanted in ("QtQml", "QtQuick", "QtWebEngine", "fastapi", "uvicorn", "starlette"):
        assert not has(unwanted), unwanted
    modules = (bundle.parent.parent / "work" / "build" / "PYZ-00.toc").read_text()
    assert "'desk.app'" in modules and "'printing.receipt'" in modules
    assert "'server" not in modules and "'fastapi" not in modules and "'uvicorn" not in modules


@pytest.mark.timeout(600)
def test_the_bundled_app_passes_its_self_test(bundle, tmp_path, cups_pdf):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"))
    started = time.monotonic()
    done = subprocess.run([str(bundle / EXE), "--self-test"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_lines(done.stdout) == dict.fromkeys(CHECKS, "ok"), done.stdout + done.stderr
    assert f"All {len(CHECKS)} checks passed." in done.stdout
    assert f"{cups_pdf.printer} (default)" in done.stdout  # `lpstat` runs from the bundled app too
    assert f"diagnostics report: Frontdesk {version('frontdesk')}" in done.stdout  # its metadata travelled
    assert took < 15, f"the bundled self-test took {took:.1f} s"
