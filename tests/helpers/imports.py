"""What a Python file imports, read from its syntax tree (nothing is run): for the boundary tests."""

from __future__ import annotations

import ast
from pathlib import Path


def imports_of(path: Path, *, with_names: bool = False) -> set[str]:
    """Every module a file imports, at the top or inside functions, as dotted names; with
    `with_names`, "from sync import store" also gives "sync.store"."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if with_names:
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return found
