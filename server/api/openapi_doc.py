"""The OpenAPI document says what the server does, for the statuses no route declares itself.

Added to every operation where they can happen (tests/server/test_fuzz_openapi.py holds every
answer to the document):
- 413: any POST, PUT, PATCH or DELETE whose body is over the limit (server.api.body_limits);
- 400 and 422: an operation with a JSON body (not JSON; nested too deep; not the expected shape);
- 503: any operation that reads an account (its database being moved, or out of reach: server.errors),
  that is all but the health check.

OPTIONS is not an operation of this API: the desk is not a browser, so there is no CORS, and an
OPTIONS request is answered 405 with the Allow header (no preflight headers), like any method a
path does not take.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from server.api.errors import ERROR_DESCRIPTIONS

_BODY_METHODS = ("post", "put", "patch", "delete")


def _error(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            answers = operation.setdefault("responses", {})
            statuses = [] if path.endswith("/health") else [503]
            if method in _BODY_METHODS:
                statuses.append(413)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                statuses += [400, 422]
            for status in statuses:
                answers.setdefault(str(status), _error(status))
    return schema


def install(app: FastAPI) -> None:
    """FastAPI builds the document once, at the first ask; complete it then."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def methods_of(app: FastAPI, path: str) -> set[str]:
    """The methods the document lists for a concrete path: those of every template it fits
    ("/v1/staff/me" fits "/v1/staff/me" and "/v1/staff/{staff_id}")."""
    templates = getattr(app.state, "method_templates", None)
    if templates is None:  # once per app: the document does not change
        templates = app.state.method_templates = [
            (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))), frozenset(item))
            for template, item in app.openapi().get("paths", {}).items()
        ]
    return {method for pattern, methods in templates if pattern.fullmatch(path) for method in methods}
