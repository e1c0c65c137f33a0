"""Access tokens (short-lived JWT, HS256) and refresh tokens (random, stored only as a hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import jwt

from server.errors import NotSignedIn
from server.private_files import private_dir

ALGORITHM = "HS256"
ACCESS = "access"


class InvalidToken(NotSignedIn):
    """The token is missing, malformed, tampered with, expired or of the wrong kind."""


@dataclass(frozen=True)
class AccessClaims:
    account_id: str
    staff_id: str
    desk_id: str
    # The sign-in (refresh token family) it came from: revoking that refuses this token at once
    # (server.revocations). "" in tokens made without one (tests' forgeries; old servers').
    session_id: str = ""


def load_signing_key(data_dir: Path) -> bytes:
    """The server's signing key, made once and kept in DATA_DIR/secret.key (readable by owner only)."""
    path = Path(data_dir) / "secret.key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    key = secrets.token_bytes(32)
    # O_EXCL: if two processes start at once, one key wins and both read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(key.hex())
    return key


def issue_access_token(key: bytes, claims: AccessClaims, lifetime: dt.timedelta, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    payload = {
        "type": ACCESS,
        "account_id": claims.account_id,
        "staff_id": claims.staff_id,
        "desk_id": claims.desk_id,
        "sid": claims.session_id,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def decode_access_token(key: bytes, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp", "type", "account_id", "staff_id", "desk_id"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    if payload["type"] != ACCESS or not all(isinstance(payload[k], str) for k in ("account_id", "staff_id", "desk_id")):
        raise InvalidToken("not an access token")
    sid = payload.get("sid", "")
    return AccessClaims(payload["account_id"], payload["staff_id"], payload["desk_id"], sid if isinstance(sid, str) else "")


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
