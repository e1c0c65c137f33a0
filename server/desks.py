"""Desks the server knows (issue 19): enrollment, the desk credential, the owner's desk list.

A desk id used to be whatever the client said, so anyone who read one (it is in the check-ins a
coach may pull) could sign in "at" that desk. Now:

- A desk is enrolled once, when a manager or the owner signs in at a new computer, or when
  someone enters an enrollment code the owner made. The server then hands the desk a credential
  (32 random bytes; only its SHA-256 is kept here) that the desk keeps in the OS keyring.
- A desk may bring its own credential to its enrollment (desks make one before their first
  sign-in, so a sign-in whose answer was lost is simply sent again); without one, the server
  makes it and hands it over once.
- Every sign-in and refresh naming an enrolled desk proves that credential; naming it without the
  credential is refused, whoever signs in. A retired desk is refused whatever it proves; a manager
  (or a code) may set the computer up again, and it gets a new credential.
- A desk may propose its id when it is enrolled (desks make theirs with their outbox, and their
  changes already carry it); an id the server already holds with a live credential is never
  given to anyone else.

Everything a sign-in writes here happens in one registry transaction (SQLite: one write lock and
one sync to disk; PostgreSQL: the desk row locked), so a desk retired meanwhile is never signed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, text, update
from sqlmodel import Session, select

from server.errors import Invalid, Refused
from server.registry import (
    AccountSecret,
    Desk,
    DeskCode,
    EnrollmentCode,
    RefreshToken,
    Registry,
    family_of,
    revoke_families,
)
from sync.core.ids import new_id, utcnow
from sync.core.permissions import SETTINGS_MANAGE, STAFF_MANAGE

# Who may set a computer up as a desk by signing in there: managers and the owner (they may
# manage staff, so they are trusted with the desks staff work at).
DESK_ENROLL = STAFF_MANAGE
# Who lists the desks, retires them and makes enrollment codes: the owner.
DESKS_MANAGE = SETTINGS_MANAGE

ENROLLMENT_NEEDED = (
    "This computer is not set up as a desk of this account yet. A manager or the owner signs in here "
    "once to set it up, or enter the setup code the owner gave you."
)
DESK_REFUSED = (
    "The server does not recognise this desk (it was retired, or its sign-in key is missing). "
    "Ask a manager or the owner to sign in here to set it up again."
)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or off a sticky note
CODE_LENGTH = 10
MIN_SECRET = 32  # characters of a credential a desk makes itself (sync.desk_credential makes 43)


def enrollment_needed() -> Refused:
    return Refused(ENROLLMENT_NEEDED, "desk_enrollment_needed")


def desk_refused() -> Refused:
    return Refused(DESK_REFUSED, "desk_refused")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_desk_secret() -> str:
    return secrets.token_urlsafe(32)


def new_enrollment_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code: str) -> str:
    """Codes are typed by people: spaces, dashes and case do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def proves(desk: Desk | None, secret: str | None) -> bool:
    """Whether `secret` is this live desk's credential (compared in constant time)."""
    if desk is None or desk.retired_at is not None or desk.secret_hash is None or not secret:
        return False
    return hmac.compare_digest(desk.secret_hash, secret_hash(secret))


@dataclass(frozen=True)
class DeskClaim:
    """What a sign-in says of its desk."""

    desk_id: str | None  # None: a new computer, the server makes the id
    secret: str | None = None
    enrollment_code: str | None = None
    name: str = ""
    address: str | None = None


@dataclass(frozen=True)
class DeskSignIn:
    desk_id: str
    code: str  # its short code in the account ("D3")
    secret: str | None  # a credential made here, only when this sign-in enrolled a desk that brought none
    card_key: str | None
    old_card_keys: list[str]
    enrolled_by_code: bool = False


def sign_in(registry: Registry, account_id: str, staff_id: str, may_enroll: bool, claim: DeskClaim,
            refresh_for) -> DeskSignIn:  # fmt: skip
    """Check the desk, enroll it when it is new and the sign-in may, note it seen and store the
    new refresh token (`refresh_for(desk_id)`), in one transaction. Raises the 403s above."""
    now = utcnow()
    with Session(registry.writer) as db:
        _lock_account_desks(registry, db, account_id)
        desk = db.get(Desk, (account_id, claim.desk_id)) if claim.desk_id else None
        secret = None
        by_code = False
        live = desk is not None and desk.secret_hash is not None and desk.retired_at is None
        if live:
            if not proves(desk, claim.secret):
                raise desk_refused()  # the hole of issue 19: a desk id named without its credential
        else:
            # A new computer, a desk seen before enrollment existed, or a retired one set up again.
            if desk is not None and desk.retired_at is not None and claim.secret and desk.secret_hash == secret_hash(claim.secret):
                raise desk_refused()  # a retired desk's credential (or a copy of it) is dead for good
            by_code = not may_enroll
            if by_code and not _use_code(db, account_id, claim.enrollment_code, now):
                raise enrollment_needed()
            # The desk's own secret when it made one (so a sign-in whose answer was lost can be
            # sent again as it was), else one made here and handed over once.
            chosen = claim.secret
            if chosen is not None and len(chosen) < MIN_SECRET:
                raise Invalid("This desk's credential is too short; update Frontdesk on this computer.")
            if chosen is None:
                chosen = secret = new_desk_secret()
            if desk is None:
                desk = Desk(account_id=account_id, id=claim.desk_id or new_id(), first_seen=now)
            desk.secret_hash = secret_hash(chosen)
            desk.enrolled_at = now
            desk.enrolled_by = staff_id
            desk.retired_at = None
        code = mark_seen(db, desk, now, claim.name, claim.address)
        db.add(refresh_for(desk.id))
        row = db.get(AccountSecret, account_id)
        card_key = row.card_key if row is not None else None
        old_card_keys = [row.previous_card_key] if row is not None and row.previous_card_key else []
        desk_id = desk.id
        db.commit()
    return DeskSignIn(desk_id=desk_id, code=code, secret=secret, card_key=card_key, old_card_keys=old_card_keys,
                      enrolled_by_code=by_code)  # fmt: skip


def seen(registry: Registry, account_id: str, desk_id: str, *, name: str = "", address: str | None = None) -> str:
    """Note the desk seen now; returns its code (made the first time)."""
    with Session(registry.writer) as db:  # IMMEDIATE: two desks at once get different numbers
        _lock_account_desks(registry, db, account_id)
        desk = db.get(Desk, (account_id, desk_id)) or Desk(account_id=account_id, id=desk_id)
        code = mark_seen(db, desk, utcnow(), name, address)
        db.commit()
        return code


def enroll_on_refresh(db: Session, desk: Desk) -> str:
    """A desk seen before enrollment existed proves itself by its refresh token once: it gets its
    credential with the next pair of tokens, and must prove it from then on."""
    secret = new_desk_secret()
    desk.secret_hash = secret_hash(secret)
    desk.enrolled_at = utcnow()
    db.add(desk)
    return secret


def mark_seen(db: Session, desk: Desk, now: dt.datetime, name: str = "", address: str | None = None) -> str:
    """In the caller's transaction: the desk seen now; its code, made the first time."""
    desk.last_seen = now
    if name:
        desk.name = name
    if address:
        desk.last_address = address[:64]
    db.add(desk)
    code = db.get(DeskCode, (desk.account_id, desk.id))
    if code is None:
        last = db.exec(select(func.max(DeskCode.number)).where(DeskCode.account_id == desk.account_id)).one()
        code = DeskCode(account_id=desk.account_id, desk_id=desk.id, number=(last or 0) + 1)
        db.add(code)
    return code.code  # read before the commit: after it, reading it would begin another transaction


def _lock_account_desks(registry: Registry, db: Session, account_id: str) -> None:
    if registry.dialect == "postgresql":  # one numbering and one enrollment per account at a time, as IMMEDIATE gives on SQLite
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"desk_code:{account_id}"})


def _use_code(db: Session, account_id: str, code: str | None, now: dt.datetime) -> bool:
    if not code:
        return False
    row = db.get(EnrollmentCode, secret_hash(normal_code(code)))
    if row is None or row.account_id != account_id or row.expires_at <= now or row.uses_left <= 0:
        return False
    row.uses_left -= 1
    db.add(row)
    return True


# --- the owner's side -----------------------------------------------------------------------------


def make_enrollment_code(registry: Registry, account_id: str, created_by: str, *, uses: int = 1,
                         hours: float = 24.0) -> tuple[str, EnrollmentCode]:  # fmt: skip
    """A new code (shown once; only its hash is kept) good for `uses` desks within `hours`."""
    code = new_enrollment_code()
    row = EnrollmentCode(code_hash=secret_hash(code), account_id=account_id, created_by=created_by,
                         expires_at=utcnow() + dt.timedelta(hours=hours), uses_left=uses)  # fmt: skip
    with Session(registry.writer) as db:
        db.add(row)
        db.commit()
        db.refresh(row)
    return code, row


def desks_of(registry: Registry, account_id: str) -> list[tuple[Desk, str | None]]:
    """The account's desks with their codes, last seen first."""
    with Session(registry.engine) as db:
        rows = db.exec(
            select(Desk, DeskCode.number)
            .join(DeskCode, (DeskCode.account_id == Desk.account_id) & (DeskCode.desk_id == Desk.id), isouter=True)
            .where(Desk.account_id == account_id)
            .order_by(Desk.last_seen.desc())
        ).all()
    return [(desk, f"D{number}" if number is not None else None) for desk, number in rows]


def retire(registry: Registry, account_id: str, desk_id: str) -> tuple[Desk, list[str]] | None:
    """Retire a desk: its credential, refresh tokens and access tokens stop working now."""
    now = utcnow()
    with Session(registry.writer) as db:
        desk = db.get(Desk, (account_id, desk_id))
        if desk is None:
            return None
        desk.retired_at = now
        db.add(desk)
        live = (RefreshToken.account_id == account_id) & (RefreshToken.desk_id == desk_id)
        families = db.exec(select(RefreshToken.family_id, RefreshToken.token_hash).where(live)).all()
        db.execute(update(RefreshToken).where(live, RefreshToken.revoked_at.is_(None)).values(revoked_at=now))
        revoked = revoke_families(db, account_id, {family_of(f, h) for f, h in families}, now + registry.access_lifetime)
        db.commit()
        db.refresh(desk)
        return desk, revoked
