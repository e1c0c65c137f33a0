"""Expected sync failures, typed, with words a front-desk person understands.

    SyncError (kind, message)
    ├── AuthError      kind "auth"      the server no longer accepts this sign-in (401), or nobody signed in
    ├── NetworkError   kind "network"   no answer: refused, timed out, cut off, not our server
    ├── ConflictError  kind "conflict"  409: the request clashes with the server's state
    ├── ServerError    kind "server"    5xx: the server failed; try again later
    ├── RejectedError  kind "rejected"  other 4xx: the server (or this desk) refused the request itself
    └── StorageError   kind "storage"   this desk's own files cannot take the change (disk full, outbox damaged)

`message` is always ready to show; `code` is the server's machine code when it sent one.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["auth", "network", "conflict", "server", "rejected", "storage"]

OFFLINE_MESSAGE = (
    "Can't reach the server. Your work is saved on this computer and will be sent when the connection is back."
)
SERVER_MESSAGE = "The server had a problem. Your work is saved on this computer and will be sent again shortly."
SIGN_IN_MESSAGE = "Please sign in again. Your work is saved on this computer and will be sent after you sign in."


class SyncError(Exception):
    """Base of the tree: `SyncError(kind, message)`; the subclasses take just the message."""

    def __init__(self, kind: Kind, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.kind: Kind = kind
        self.message = message
        self.code = code
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind!r}, {self.message!r}, code={self.code!r}, status={self.status!r})"


class _Typed(SyncError):
    KIND: Kind

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(self.KIND, message, code=code, status=status)


class AuthError(_Typed):
    KIND: Kind = "auth"


class NetworkError(_Typed):
    KIND: Kind = "network"


class ConflictError(_Typed):
    KIND: Kind = "conflict"


class ServerError(_Typed):
    KIND: Kind = "server"


class RejectedError(_Typed):
    KIND: Kind = "rejected"


class StorageError(_Typed):
    """Nothing was recorded: the message says why and that what was recorded before is safe."""

    KIND: Kind = "storage"
