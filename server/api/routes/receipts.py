"""/v1/receipts: emailing a payment's or refund's receipt to the family (or another address)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from server.account_db import audit
from server.api.deps import AccountDbDep, AccountDep, SettingsDep, TokenDep
from server.api.guards import needs
from server.errors import ApiError, error_responses
from server.mailer import MailError, receipt_message, send
from sync.permissions import LEDGER_VIEW
from sync.receipts import NoReceipt, receipt_data
from sync.schema import Family, LedgerEntry, Staff
from sync.wire_payments import EmailReceiptAnswer, EmailReceiptRequest

router = APIRouter(prefix="/receipts", tags=["receipts"])
NO_ADDRESS = "This family has no email address on file. Add one, or print the receipt."
NOT_FOUND = "That receipt is not on the server yet. If it was taken offline, email it after the desk has synced."


@router.post(
    "/{entry_id}/email",
    response_model=EmailReceiptAnswer,
    responses=error_responses(401, 403, 404, 422, 500, 502, 503),
    summary="Email a receipt (page layout, PDF attached) to the family's primary address or `to`",
)
async def email_receipt(
    entry_id: Annotated[str, Path(min_length=1, max_length=36)],
    body: EmailReceiptRequest,
    staff: Annotated[Staff, needs(LEDGER_VIEW)],
    token: TokenDep,
    account: AccountDep,
    adb: AccountDbDep,
    settings: SettingsDep,
) -> EmailReceiptAnswer:
    with adb.read_session() as db:
        entry = db.get(LedgerEntry, entry_id)
        family = db.get(Family, entry.family_id) if entry is not None else None
        try:
            data = receipt_data(db, entry_id, business_name=account.name)
        except NoReceipt:
            raise ApiError(404, "not_found", NOT_FOUND) from None
    to = body.to or (family.email if family is not None else "")
    if not to:
        raise ApiError(422, "no_address", NO_ADDRESS)
    try:
        await run_in_threadpool(send, settings, receipt_message(data, to, settings.smtp_from))
    except MailError as exc:
        raise ApiError(503 if exc.code == "email_off" else 502, exc.code, exc.message) from None
    with adb.write_session() as w:
        audit(w, "receipt.emailed", staff_id=staff.id, desk_id=token.desk_id, record_type="ledger_entry",
              record_id=entry_id, receipt_no=data.receipt_number, to=to)  # fmt: skip
        w.commit()
    return EmailReceiptAnswer(sent_to=to, receipt_no=data.receipt_number)
