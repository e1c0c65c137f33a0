"""The server's mail queue: receipts asked for by email are sent here, off the request path.

A desk's "email this receipt" arrives as a pushed change (sync.core.receipt_mutations) that records a
ReceiptEmail row, "queued". After the push commits, the push route kicks this queue for the
account; the queue sends on a worker thread and writes the outcome on the row (sent, or failed
with words for the desk), with a new change number, and rings the account's bell so every desk
sees it within seconds.

A row is claimed before it is sent ("sending", its sent_at the claim time) in its own
transaction, so two server processes never send the same receipt twice. A claim older than
STALE (a process died mid-send) goes back to the queue. A mail server that cannot be reached
is tried again later, up to MAX_ATTEMPTS; an address the mail server refuses, or email not set
up, fails at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from sqlmodel import col, select

from server.account_db import audit, next_usn
from server.mailer import MailError, receipt_message, send
from server.state import ServerState
from sync.core.ids import utcnow
from sync.core.receipts import NoReceipt, receipt_data
from sync.core.schema import ReceiptEmail
from sync.core.waits import wait_set

log = logging.getLogger("frontdesk.server.mail")
MAX_ATTEMPTS = 3
RETRY_SECONDS = 30.0
STALE = dt.timedelta(minutes=10)
TRANSIENT = {"email_unreachable"}
NOT_ON_FILE = "The receipt is no longer on file, so it was not emailed."


class MailQueue:
    def __init__(self, state: ServerState, ring: Callable[[str], None]):
        self.state = state
        self.ring = ring  # the account's live-change bell
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._due: set[str] = set()  # accounts with something to send
        self._task: asyncio.Task | None = None

    # -- lifecycle (the app's lifespan) ------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._due.update(a.id for a in self.state.registry.accounts())  # left over from before a restart
        self._wake.set()
        self._task = asyncio.create_task(self._run(), name="mail-queue")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def kick(self, account_id: str) -> None:
        """Something was queued for this account; safe from any thread."""
        if self._loop is None or self._wake is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._kicked, account_id)

    def _kicked(self, account_id: str) -> None:
        self._due.add(account_id)
        assert self._wake is not None
        self._wake.set()

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await wait_set(self._wake, RETRY_SECONDS)  # not asyncio.wait_for: see sync/core/waits.py
            self._wake.clear()
            due, self._due = self._due, set()
            for account_id in due:
                try:
                    again = await asyncio.to_thread(self.deliver, account_id)
                except Exception:  # one account's trouble must not stop the others' mail
                    log.exception("mail queue: account %s", account_id)
                    again = True
                if again:
                    self._due.add(account_id)  # tried again after RETRY_SECONDS

    # -- the work (a worker thread) ----------------------------------------------------------
    def deliver(self, account_id: str) -> bool:
        """Send what is queued for the account; True when something waits to be tried again."""
        account = self.state.registry.account_by_id(account_id)
        if account is None:
            return False
        adb = self.state.account_db(account)
        waiting = False
        tried: set[str] = set()  # a row that must wait is not tried again in this round
        while (row_id := self._claim(adb, tried)) is not None:
            tried.add(row_id)
            with adb.read_session() as db:
                row = db.get(ReceiptEmail, row_id)
                assert row is not None
                to, entry_id, attempts = row.to_address, row.entry_id, row.attempts
                try:
                    data = receipt_data(db, entry_id, business_name=account.name)
                except NoReceipt:
                    data = None
            if data is None:
                self._finish(adb, account_id, row_id, "failed", NOT_ON_FILE)
                continue
            try:
                send(self.state.settings, receipt_message(data, to, self.state.settings.smtp_from))
            except MailError as exc:
                if exc.code in TRANSIENT and attempts < MAX_ATTEMPTS:
                    self._finish(adb, account_id, row_id, "queued", f"{exc.message} It will be tried again shortly.")
                    waiting = True
                else:
                    self._finish(adb, account_id, row_id, "failed", exc.message)
                continue
            self._finish(adb, account_id, row_id, "sent", f"Sent to {to}.", receipt_no=data.receipt_number)
        return waiting

    def _claim(self, adb, tried: set[str]) -> str | None:  # noqa: ANN001 - AccountDatabase
        with adb.write_session() as db:
            now = utcnow()
            for stale in db.exec(select(ReceiptEmail).where(ReceiptEmail.status == "sending",
                                                            col(ReceiptEmail.sent_at) < now - STALE)):  # fmt: skip
                stale.status = "queued"
                db.add(stale)
            row = db.exec(select(ReceiptEmail).where(ReceiptEmail.status == "queued",
                                                     ReceiptEmail.attempts < MAX_ATTEMPTS,
                                                     col(ReceiptEmail.id).not_in(tried))
                          .order_by(col(ReceiptEmail.id)).limit(1)).first()  # fmt: skip
            if row is None:
                db.commit()
                return None
            row.status, row.sent_at, row.attempts = "sending", now, row.attempts + 1
            db.add(row)
            db.commit()
            return row.id

    def _finish(self, adb, account_id: str, row_id: str, status: str, message: str, **detail) -> None:  # noqa: ANN001
        with adb.write_session() as db:
            row = db.get(ReceiptEmail, row_id)
            assert row is not None
            row.status, row.message = status, message
            row.sent_at = utcnow() if status == "sent" else None
            row.usn = next_usn(db)
            db.add(row)
            audit(db, f"receipt.email_{status}", staff_id=row.staff_id, record_type="receipt_email", record_id=row.id,
                  entry_id=row.entry_id, to=row.to_address, attempts=row.attempts, message=message, **detail)  # fmt: skip
            db.commit()
        self.ring(account_id)
