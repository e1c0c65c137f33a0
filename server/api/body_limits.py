"""Size and depth limits on every JSON request body, checked before any work is done.

An ASGI middleware, so it runs before routing, the token, the database and FastAPI's own JSON
parse: a body over MAX_JSON_BYTES is a 413 as soon as its Content-Length says so (or as soon as
that many bytes have arrived, for a body sent in chunks); one nesting deeper than MAX_JSON_DEPTH is
a 422. Such a body never reaches json.loads, the mutation appliers or the audit log (a payload
nested 300 deep stored in the audit log made every page that held it fail to serialize).

It looks at the bodies FastAPI would parse as JSON: no Content-Type, or application/json and
application/*+json. Routes that take raw bytes (an import's file) keep their own limit.
"""

from __future__ import annotations

from array import array
from collections.abc import Awaitable, Callable, MutableMapping
from itertools import accumulate
from typing import Any

from server.api.errors import error_response

MAX_JSON_BYTES = 8 * 1024 * 1024  # a push of 500 mutations is well under 1 MB
MAX_JSON_DEPTH = 32  # the deepest the desk sends is about 8 (a discarded change's payload inside a push)
TOO_LARGE = f"The request is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB; nothing was done. Send it in smaller parts."
TOO_DEEP = f"The request nests more than {MAX_JSON_DEPTH} levels deep; nothing was done."

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_BRACKETS_ONLY = bytes(range(256)).translate(None, b"[]{}")  # every byte but the brackets, for translate's delete
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # signed: +1 for an opening, -1 for a closing
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` deep, without parsing it.

    Every step runs in C and in one pass: escaped backslashes and quotes out, then the strings
    (every other piece between quotes), then all but the brackets, which become +1 and -1; the
    deepest point is the largest running sum. Text that is not JSON may be judged either way: the
    parser refuses it anyway."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # cannot nest deeper than it has openings
    outside_strings = b"".join(body.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[0::2])
    steps = array("b", outside_strings.translate(_STEP, _BRACKETS_ONLY))
    return max(accumulate(steps), default=0) > limit


def _is_json(scope: Scope) -> bool:
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
    if content_type is None:
        return True  # FastAPI parses a body without a Content-Type as JSON
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class JsonBodyLimits:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *, max_bytes: int = MAX_JSON_BYTES,
                 max_depth: int = MAX_JSON_DEPTH, raw_body_paths: frozenset[str] = frozenset()):  # fmt: skip
        self.app, self.max_bytes, self.max_depth, self.raw_body_paths = app, max_bytes, max_depth, raw_body_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in _BODY_METHODS or scope["path"] in self.raw_body_paths
                or not _is_json(scope)):  # fmt: skip
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, 413, "too_large", TOO_LARGE)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, 413, "too_large", TOO_LARGE)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if too_deep(body, self.max_depth):
            await self._refuse(scope, receive, send, 422, "too_deep", TOO_DEEP)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: a disconnect, when it comes

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
        # Connection: close: the rest of a refused body is not read, so the connection cannot carry another request.
        await error_response(status, code, message, {"Connection": "close"})(scope, receive, send)
