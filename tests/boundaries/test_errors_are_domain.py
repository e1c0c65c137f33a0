"""HTTP is the route layer's business: below server/api, expected failures are server.errors
DomainErrors, and nothing there reaches for the HTTP-shaped ApiError, the error handlers' module,
or FastAPI's HTTPException. The one mapping to status codes lives in server/api/errors.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HTTP_ERRORS = {"ApiError", "HTTPException", "auth_error", "error_response"}
HTTP_MODULES = ("server.api", "fastapi.exceptions", "starlette.exceptions")
# The app's assembly and the route layer: where HTTP is spoken.
ROUTE_LAYER = ("server/api/", "server/main.py")


def http_errors_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(HTTP_MODULES) or any(a.name in HTTP_ERRORS for a in node.names):
                found.append(f"{node.lineno}: from {node.module} import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.startswith(HTTP_MODULES)]
        elif isinstance(node, ast.Name) and node.id in HTTP_ERRORS:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in HTTP_ERRORS:
            found.append(f"{node.lineno}: .{node.attr}")
    return found


def offenders(folder: Path, root: Path = ROOT) -> dict[str, list[str]]:
    found = {}
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(ROUTE_LAYER):
            continue
        bad = http_errors_in(path)
        if bad:
            found[rel] = bad
    return found


def test_no_module_below_the_route_layer_raises_http_errors():
    assert offenders(ROOT / "server") == {}


def test_the_check_notices_an_api_error_below_the_routes(tmp_path):
    (tmp_path / "server" / "api").mkdir(parents=True)
    (tmp_path / "server" / "api" / "routes.py").write_text("from server.api.errors import ApiError\nraise ApiError(404, 'x', 'y')\n")
    (tmp_path / "server" / "staff.py").write_text(
        "from server import errors\n"
        "def gone():\n"
        "    from server.api.errors import ApiError\n"
        "    raise ApiError(404, 'not_found', 'No such staff member.')\n"
    )
    (tmp_path / "server" / "fine.py").write_text("from server.errors import NotFound\nraise NotFound('No such staff member.')\n")
    assert offenders(tmp_path / "server", root=tmp_path) == {
        "server/staff.py": ["3: from server.api.errors import ApiError", "4: ApiError"]
    }
