"""The arrows of DESIGN.md, checked on the code's imports: the server and the other packages use
sync/core/ (the contract both sides run) and never the desk's data layer (the rest of sync/);
core imports nothing outside itself; nothing imports desk/; the desk never imports server/."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.imports import imports_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("desk", "sync", "devices", "printing", "server")


def arrows(root: Path = ROOT) -> dict[str, set[str]]:
    """File (relative) -> the project packages and sync areas it imports: "sync.core", "sync" (the
    desk's data layer), "desk", "server", "devices", "printing"."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            targets = set()
            for name in imports_of(path, with_names=True):  # "from sync import store" is sync.store
                top = name.split(".")[0]
                if top == "sync":
                    parts = name.split(".")
                    if len(parts) == 1:
                        continue  # "from sync import x" is counted by its "sync.x"
                    targets.add("sync.core" if parts[1] == "core" else "sync")
                elif top in PACKAGES:
                    targets.add(top)
            found[str(path.relative_to(root))] = targets
    return found


# What each side may import (DESIGN.md, "Dependency direction").
ALLOWED = {
    "server": {"server", "sync.core", "printing", "devices"},  # printing's renderers, devices' swipe parser
    "sync/core": {"sync.core"},
    "sync": {"sync", "sync.core", "printing", "devices"},  # the desk's data layer
    "printing": {"printing", "sync.core"},  # renders the contract's receipt data
    "devices": {"devices"},
    "desk": {"desk", "sync", "sync.core", "devices", "printing"},
}


def area(file: str) -> str:
    return "sync/core" if file.startswith("sync/core/") else file.split("/")[0]


def wrong_arrows(found: dict[str, set[str]]) -> dict[str, set[str]]:
    return {f: bad for f, targets in found.items() if (bad := targets - ALLOWED[area(f)])}


def test_every_import_follows_the_design_arrows():
    assert wrong_arrows(arrows()) == {}


def test_the_server_runs_on_the_core_alone():
    server = {f: t for f, t in arrows().items() if f.startswith("server/")}
    assert any("sync.core" in t for t in server.values())  # the check sees the server's real imports
    assert not any("sync" in t for t in server.values())


def test_the_check_notices_the_server_reaching_into_the_desks_data_layer(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "server" / "leaky.py").write_text("from sync.store import DeskStore\nfrom sync.core.wire import Mutation\n")
    (tmp_path / "sync" / "core").mkdir()
    (tmp_path / "sync" / "core" / "upward.py").write_text("from sync import outbox\n")
    found = arrows(tmp_path)
    assert wrong_arrows(found) == {"server/leaky.py": {"sync"}, "sync/core/upward.py": {"sync"}}
