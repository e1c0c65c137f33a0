"""The audit log's hash chain: what each entry's hash covers, byte for byte.

Each entry carries its place in the chain (`chain_no`, 1, 2, 3 ... with no gaps), the previous
entry's hash (`prev_hash`; GENESIS for the first) and its own `hash`: SHA-256 over its content and
`prev_hash`. Editing, removing or inserting an entry anywhere changes a hash that every later entry
depends on, so `frontdesk-server verify-audit` (server.audit_verify) finds the first entry that no
longer matches, whatever was done to the database behind the server's back. The chain's head (the
last number and hash) is also kept in the change counter's row, so entries cut off the end are found
too, and `backup` writes it into its manifest, so a rewrite of the whole chain shows against a backup.

This format is frozen: the migration that chained the entries made before it (a_audit) and every
database ever written depend on it. A different format would need a new FORMAT tag, kept beside this
one, never a change here.

Plain Python with no database: the server's writers (server.account_db, server.push_marks) and the
verifier all hash through these two functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64  # the prev_hash of the first entry
FORMAT = "frontdesk-audit-1"
# Made once: json.dumps with options builds a new encoder per call, which cost as much as the
# encoding itself (a push hashes an entry per mutation).
_CANONICAL = json.JSONEncoder(sort_keys=True)  # json.dumps's own spacing: stored JSON reads as it always did
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def canonical_detail(detail: Any) -> str:
    """The detail as it is stored and hashed: JSON with sorted keys (json.dumps's spacing).

    The account databases store JSON as this very text (server.account_db's engines, and the bulk
    push), and the hash covers the stored text: a verifier hashes what it reads, never re-encoding
    it. ASCII escapes keep it encodable whatever the strings hold (lone surrogates included)."""
    try:
        return _CANONICAL.encode(detail)
    except TypeError:
        # Keys of mixed types (1 and "1") cannot be sorted; stored, they are all strings.
        return _CANONICAL.encode(json.loads(json.dumps(detail)))


def entry_hash(
    chain_no: int,
    prev_hash: str,
    event_id: str,
    at: dt.datetime,
    staff_id: str | None,
    desk_id: str | None,
    action: str,
    record_type: str | None,
    record_id: str | None,
    detail_text: str,
) -> str:
    """SHA-256 (hex) of an entry: its place, the previous hash, every column, and the canonical detail."""
    head = _COMPACT.encode([FORMAT, chain_no, prev_hash, event_id, at.isoformat(), staff_id, desk_id, action, record_type, record_id])
    return hashlib.sha256(f"{head}\n{detail_text}".encode()).hexdigest()
