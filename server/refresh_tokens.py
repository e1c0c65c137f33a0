"""Refresh tokens over their life: rotation with the desk's proof, reuse, sign-out.

A sign-in starts a family of refresh tokens (RefreshToken.family_id); each refresh revokes the
token it was given and issues the next of the family. A revoked token presented again means two
parties hold the family (a copied keyring entry, a replayed request): following the OAuth 2.0
security best current practice (RFC 9700, section 4.14.2), the whole family is revoked, access
tokens included (server.revocations), and the desk is told to sign in again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session

from server import desks
from server.registry import Desk, RefreshToken, Registry, family_of, revoke_families
from sync.core.ids import utcnow


@dataclass(frozen=True)
class Rotated:
    row: RefreshToken  # the new token's row
    desk_code: str
    desk_secret: str | None  # a credential, when a desk enrolled before credentials existed gets one now


@dataclass(frozen=True)
class Reused:
    """A revoked refresh token came back: its family is revoked now."""

    account_id: str
    staff_id: str
    desk_id: str
    revoked: list[str]  # the families newly put on the revoked list


def rotate(registry: Registry, token_hash: str, desk_id: str, desk_secret: str | None, new_row_for) -> Rotated | Reused | None:
    """Trade a live token of this desk for its successor (`new_row_for(old)`), in one transaction.

    None, changing nothing, when the token is unknown or expired, belongs to another desk, or the
    desk does not prove its credential (or is retired): a wrong-desk attempt does not use a token up.
    """
    now = utcnow()
    with Session(registry.writer) as db:
        old = db.get(RefreshToken, token_hash, with_for_update=True)  # PostgreSQL: one rotation at a time
        if old is None or old.desk_id != desk_id:
            return None
        desk = db.get(Desk, (old.account_id, desk_id))
        if desk is None or desk.retired_at is not None:
            return None
        if desk.secret_hash is not None and not desks.proves(desk, desk_secret):
            return None
        family = family_of(old.family_id, old.token_hash)
        if old.revoked_at is not None:
            db.execute(update(RefreshToken).where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
                       .values(revoked_at=now))  # fmt: skip
            revoked = revoke_families(db, old.account_id, [family], now + registry.access_lifetime)
            db.commit()
            return Reused(old.account_id, old.staff_id, old.desk_id, revoked)
        if old.expires_at <= now:
            return None
        old.revoked_at = now
        db.add(old)
        new = new_row_for(old)
        new.family_id = family
        db.add(new)
        secret = desks.enroll_on_refresh(db, desk) if desk.secret_hash is None else None
        code = desks.mark_seen(db, desk, now)
        db.commit()
        db.refresh(new)
        return Rotated(new, code, secret)


def sign_out(registry: Registry, token_hash: str, desk_id: str) -> tuple[RefreshToken, list[str]] | None:
    """Revoke this desk's live token and its family (its access tokens too). None when the token
    is not this desk's or not live: the desk is signed out either way."""
    now = utcnow()
    with Session(registry.writer) as db:
        row = db.get(RefreshToken, token_hash)
        if row is None or row.desk_id != desk_id or row.revoked_at is not None:
            return None
        family = family_of(row.family_id, row.token_hash)
        row.revoked_at = now
        db.add(row)
        db.execute(update(RefreshToken).where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
                   .values(revoked_at=now))  # fmt: skip
        revoked = revoke_families(db, row.account_id, [family], now + registry.access_lifetime)
        db.commit()
        db.refresh(row)
        return row, revoked
