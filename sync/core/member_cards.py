"""Member cards as the desk and server keep them: a keyed hash of the number, never the number.

The key (`card_key`) is one random secret per account. It lives in the server's registry
database, apart from the account's own database, and reaches a desk only in its sign-in answer;
the desk holds it in memory and in the OS keyring entry of the sign-in, never in its cache or
outbox files. So a copy of an account database, a backup or a desk's cache alone cannot be turned
back into card numbers by trying every short number, which a plain hash would allow. The server
never computes a card hash: desks send hashes, and the server only stores them.

Keys rotate (issue 19): each carries a version, and a desk is given the current key and the one
before it. A swipe is looked up under both; a card found only under the old one is assigned again
under the new one at that swipe, so no bulk re-hashing is needed (nor possible: the numbers are
never kept). Only desks whose signed-in staff may check in are given the keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

_CARD_NS = uuid.UUID("0f6c2f3e-5b7a-4d0e-8e58-6a3f2f1b9c44")


def new_card_key() -> str:
    """A fresh account card key, as text (urlsafe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def card_hash(card_key: str, number: str) -> str:
    """HMAC-SHA256 of the card's number (spaces dropped, upper case) under the account key, in hex."""
    key = base64.urlsafe_b64decode(card_key.encode())
    normalized = "".join(number.split()).upper()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def member_card_id(hash_hex: str) -> str:
    """The one record id of a card, the same on every desk: two desks that assign the same card
    offline write the same row, and the later assignment in server order wins."""
    return str(uuid.uuid5(_CARD_NS, hash_hex))
