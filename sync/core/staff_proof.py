"""Who made a change (issue 19): a change may name a staff member other than the one whose token
pushes it only with proof that that person really signed in at this desk.

The server derives a key per account, desk and staff member (server.staff_proof) and hands it to
a desk when that person signs in there online. Each sign-in at the desk (online, offline with a
password checked here, a PIN unlock) starts a session; its proof is a MAC over the session's
start under that key, and every change made in the session carries it (sync.outbox keeps it
beside the change). The server recomputes it; a change whose proof does not check is refused.

    proof = session_proof(staff_key, started_at)   # "2026-03-01T09:00:00+00:00~<mac>"
    started_at, mac = split(proof)

Shared by both sides: the desk makes proofs, the server checks them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

SEPARATOR = "~"
MAX_LENGTH = 128


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mac(staff_key: str, started_at: str) -> str:
    return _b64(hmac.new(staff_key.encode(), f"session|{started_at}".encode(), hashlib.sha256).digest())


def session_proof(staff_key: str, started_at: dt.datetime) -> str:
    """The proof of a session that started at `started_at` (the desk's clock, UTC)."""
    start = started_at.astimezone(dt.UTC).isoformat(timespec="seconds")
    return f"{start}{SEPARATOR}{mac(staff_key, start)}"


def split(proof: str) -> tuple[str, str] | None:
    """(started_at, mac) of a well-formed proof, else None."""
    if not proof or len(proof) > MAX_LENGTH or proof.count(SEPARATOR) != 1:
        return None
    start, given = proof.split(SEPARATOR)
    try:
        dt.datetime.fromisoformat(start)
    except ValueError:
        return None
    return start, given


def checks(staff_key: str, proof: str | None) -> bool:
    parts = split(proof or "")
    return parts is not None and hmac.compare_digest(mac(staff_key, parts[0]), parts[1])
