"""Signing in and refreshing: the checks behind /v1/auth/*."""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session, select

from server import desks, refresh_tokens
from server.account_db import StaffCredential, StaffPin, audit
from server.desks import DeskClaim
from server.staff_proof import staff_key
from server.errors import DomainError, NotSignedIn, TooManyAttempts, bad_credentials
from server.passwords import verify_password
from server.permissions import permissions_of
from server.registry import Account, RefreshToken
from server.state import ServerState
from server.tokens import AccessClaims, hash_refresh_token, issue_access_token, new_refresh_token
from sync.core.ids import new_id, utcnow
from sync.core.permissions import CHECK_IN
from sync.core.schema import Staff
from sync.core.wire import AccountPublic, LoginRequest, RefreshRequest, StaffPublic, TokenResponse
from sync.core.wire_staff import LogoutRequest

log = logging.getLogger("frontdesk.server.auth")


STAFF_INACTIVE = "Your staff account is no longer active. Please ask a manager."


def token_staff(db: Session, token: AccessClaims) -> Staff:
    """The staff member a token was issued to, read now in `db`: a 401 when they are gone or
    disabled. Never cached: disabling someone refuses their very next request, whichever server
    process it reaches."""
    staff = db.get(Staff, token.staff_id)
    if staff is None or not staff.active:
        raise NotSignedIn(STAFF_INACTIVE)
    return staff


def login(state: ServerState, req: LoginRequest, address: str | None = None) -> TokenResponse:
    wait = state.throttle.retry_after(req.account, req.username, address)
    if wait:
        _audit_throttled(state, req, address)
        raise TooManyAttempts(
            f"Too many failed sign-ins. Please wait {max(1, wait // 60)} minute(s) and try again.", retry_after=wait
        )
    account = state.registry.account_by_slug(req.account)
    if account is None:
        verify_password(req.password, None)  # same time as a real check
        state.throttle.failed(req.account, req.username, address)
        log.info("login failed: unknown account %r", req.account)
        raise bad_credentials()

    adb = state.account_db(account)
    with adb.read_session() as db:  # everything the answer needs from the account, in one transaction
        staff = db.exec(select(Staff).where(Staff.username == req.username)).first()
        cred = db.get(StaffCredential, staff.id) if staff is not None else None
        view = _desk_view(db, staff) if staff is not None else None
    usable = staff is not None and staff.active and cred is not None
    ok = verify_password(req.password, cred.password_hash if usable else None)

    if not ok:
        _audit_login(adb, "login.failed", staff, req, address)
        state.throttle.failed(req.account, req.username, address)
        raise bad_credentials()
    state.throttle.succeeded(req.account, req.username)
    refresh = new_refresh_token()
    family = new_id()
    claim = DeskClaim(req.desk_id, req.desk_secret, req.enrollment_code, req.desk_name, address)
    try:
        desk = desks.sign_in(state.registry, account.id, staff.id, desks.DESK_ENROLL in view[0], claim,
                             lambda desk_id: _refresh_row(state, refresh, account.id, staff.id, desk_id, family))  # fmt: skip
    except DomainError as refused:
        # The password was right, the desk was not: worth knowing who tried where.
        _audit_login(adb, "login.refused", staff, req, address, code=refused.code)
        raise
    enrolled = {"enrolled": "code" if desk.enrolled_by_code else "staff"} if desk.secret else {}
    _audit_login(adb, "login.succeeded", staff, req, address, desk_id=desk.desk_id, **enrolled)
    cards = (desk.card_key, desk.old_card_keys) if desk.card_key else None
    return _token_response(state, account, staff, desk.desk_id, refresh, desk.code, view=view, cards=cards,
                           session_id=family, desk_secret=desk.secret)  # fmt: skip


def _audit_login(adb, action: str, staff: Staff | None, req: LoginRequest, address: str | None, **detail) -> None:
    detail.setdefault("desk_id", req.desk_id)
    with adb.write_session() as db:
        audit(
            db,
            action,
            staff_id=staff.id if staff is not None else None,
            username=req.username,
            desk_name=req.desk_name,
            address=address,
            source="desk",
            known_username=staff is not None,
            **detail,
        )
        db.commit()


def refresh(state: ServerState, req: RefreshRequest) -> TokenResponse:
    """Trade a refresh token for a new pair; the old one is refused from now on (rotation). The
    desk proves its credential each time; a token presented twice revokes its whole family."""
    new = new_refresh_token()
    outcome = refresh_tokens.rotate(
        state.registry,
        hash_refresh_token(req.refresh_token),
        req.desk_id,
        req.desk_secret,
        lambda old: _refresh_row(state, new, old.account_id, old.staff_id, old.desk_id, old.family_id),
    )
    if outcome is None:
        raise NotSignedIn()
    if isinstance(outcome, refresh_tokens.Reused):
        if outcome.revoked:  # audited once, when it revoked the family; its later tokens just fail
            state.revocations.note(outcome.revoked)
            _audit_reuse(state, outcome)
        raise NotSignedIn()
    row = outcome.row
    account = state.registry.account_by_id(row.account_id)
    staff = None
    if account is not None:
        with state.account_db(account).read_session() as db:
            staff = db.get(Staff, row.staff_id)
    if account is None or staff is None or not staff.active:
        state.registry.revoke_desk_tokens(row.account_id, row.desk_id)
        raise NotSignedIn()
    return _token_response(state, account, staff, row.desk_id, new, outcome.desk_code,
                           session_id=row.family_id or "", desk_secret=outcome.desk_secret)  # fmt: skip


def _audit_reuse(state: ServerState, reused: refresh_tokens.Reused) -> None:
    account = state.registry.account_by_id(reused.account_id)
    if account is None:
        return
    with state.account_db(account).write_session() as db:
        audit(db, "refresh.reused", staff_id=reused.staff_id, desk_id=reused.desk_id, source="desk")
        db.commit()


def logout(state: ServerState, req: LogoutRequest) -> None:
    """Revoke this desk's sign-in: its refresh token now, and its access tokens at once
    (server.revocations). Unknown or already revoked tokens are not an error: the desk is signed
    out either way, and the answer does not tell whether a token existed."""
    out = refresh_tokens.sign_out(state.registry, hash_refresh_token(req.refresh_token), req.desk_id)
    if out is None:
        return
    row, revoked = out
    state.revocations.note(revoked)
    account = state.registry.account_by_id(row.account_id)
    if account is not None:
        with state.account_db(account).write_session() as db:
            audit(db, "logout", staff_id=row.staff_id, desk_id=row.desk_id, source="desk")
            db.commit()


def _audit_throttled(state: ServerState, req: LoginRequest, address: str | None) -> None:
    account = state.registry.account_by_slug(req.account)
    if account is None:
        return
    with state.account_db(account).write_session() as db:
        audit(db, "login.throttled", desk_id=req.desk_id, username=req.username, address=address, source="desk")
        db.commit()


def _refresh_row(state: ServerState, token: str, account_id: str, staff_id: str, desk_id: str,
                 family: str | None) -> RefreshToken:  # fmt: skip
    return RefreshToken(
        token_hash=hash_refresh_token(token),
        family_id=family,
        account_id=account_id,
        staff_id=staff_id,
        desk_id=desk_id,
        expires_at=utcnow() + dt.timedelta(days=state.settings.refresh_token_days),
    )


def _desk_view(db: Session, staff: Staff) -> tuple[list[str], str | None]:
    """What a desk is told of the staff member signing in: their permissions and PIN verifier."""
    pin = db.get(StaffPin, staff.id)
    return sorted(permissions_of(db, staff)), pin.pin_hash if pin is not None else None


def _token_response(
    state: ServerState, account: Account, staff: Staff, desk_id: str, refresh: str, desk_code: str | None = None,
    *, view: tuple[list[str], str | None] | None = None, cards: tuple[str, list[str]] | None = None, session_id: str = "",
    desk_secret: str | None = None,
) -> TokenResponse:  # fmt: skip
    lifetime = dt.timedelta(minutes=state.settings.access_token_minutes)
    access = issue_access_token(state.signing_key, AccessClaims(account.id, staff.id, desk_id, session_id), lifetime)
    if view is None:
        with state.account_db(account).read_session() as db:
            view = _desk_view(db, staff)
    permissions, pin_hash = view
    # The member-card keys go only to desks whose signed-in staff may check in (issue 19).
    card_key, old_card_keys = (cards or state.registry.card_keys(account.id)) if CHECK_IN in permissions else (None, [])
    return TokenResponse(
        access_token=access,
        refresh_token=refresh,
        expires_in=int(lifetime.total_seconds()),
        staff=StaffPublic(
            id=staff.id, username=staff.username, display_name=staff.display_name, group=staff.group, permissions=permissions
        ),
        account=AccountPublic(slug=account.slug, name=account.name),
        pin_verifier=pin_hash,
        card_key=card_key,
        old_card_keys=old_card_keys,
        desk_code=desk_code,
        desk_id=desk_id,
        desk_secret=desk_secret,
        # Only to the desk this person signs in at, now (issue 19): what proves their changes there.
        staff_key=staff_key(state.signing_key, account.id, desk_id, staff.id),
    )
