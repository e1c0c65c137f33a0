"""The server's side of sync.core.staff_proof: the key per account, desk and staff member, derived
from the server's signing key (so nothing is stored, and no desk can derive another's), and the
check of a pushed change's proof."""

from __future__ import annotations

import base64
import hashlib
import hmac

from server.tokens import AccessClaims
from sync.core.staff_proof import checks
from sync.core.wire import Mutation

STAFF_UNPROVEN = (
    "The staff member who made this change never signed in at this desk (the desk could not show it); "
    "it was not recorded. Sign in as yourself and make it again."
)


def staff_key(signing_key: bytes, account_id: str, desk_id: str, staff_id: str) -> str:
    """Handed to a desk when that staff member signs in there online (and only then)."""
    raw = hmac.new(signing_key, f"staff-proof|{account_id}|{desk_id}|{staff_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def proven(signing_key: bytes | None, token: AccessClaims, m: Mutation) -> bool:
    """Whether `m` may carry its staff id: the token's own person, or a proof that checks."""
    if m.staff_id == token.staff_id:
        return True  # the token proves it
    if signing_key is None:
        return False
    return checks(staff_key(signing_key, token.account_id, token.desk_id, m.staff_id), m.staff_proof)
