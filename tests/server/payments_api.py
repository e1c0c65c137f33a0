"""Helpers for the card payment tests: request bodies, seeded charges, the sandbox's own records."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from server.payments.sandbox import FILE_NAME
from sync.core.ids import new_id, utcnow
from tests.fixtures import cards as tc
from tests.server.api import query

CHICAGO = ZoneInfo("America/Chicago")  # the seeded locations' zone, and the sandbox's business day


def today() -> dt.date:
    return dt.datetime.now(CHICAGO).date()


def keyed(pan: str = tc.VISA_2, month: int = 12, year: int = 2030, cvc: str = "123") -> dict:
    return {"number": pan, "exp_month": month, "exp_year": year, "cvc": cvc}


def swiped(pan: str = tc.VISA_2, yymm: str = "2812") -> dict:
    return {"track": tc.magtek(pan, yymm=yymm)}


def open_charges(db_path: Path) -> list[dict]:
    """Seeded charges nothing has paid yet, one per family (families with a balance due)."""
    rows = query(db_path, "SELECT id, family_id, location_id, amount_cents FROM ledger_entry WHERE kind = 'charge' "
                          "AND id NOT IN (SELECT charge_id FROM ledger_allocation) ORDER BY usn")  # fmt: skip
    seen, out = set(), []
    for charge_id, family_id, location_id, amount in rows:
        if family_id not in seen:
            seen.add(family_id)
            out.append({"charge_id": charge_id, "family_id": family_id, "location_id": location_id, "amount_cents": amount})
    return out


def card_payment(charge: dict, card: dict, amount: int | None = None, *, entry_id: str | None = None,
                 allocate: bool = True, **fields) -> dict:  # fmt: skip
    amount = charge["amount_cents"] if amount is None else amount
    body = {
        "entry_id": entry_id or new_id(),
        "family_id": charge["family_id"],
        "location_id": charge["location_id"],
        "amount_cents": amount,
        "receipt_no": f"DT-D1-{new_id()[-6:]}",
        "allocations": [{"allocation_id": new_id(), "charge_id": charge["charge_id"], "amount_cents": amount}] if allocate else [],
        "description": "Tuition",
        "business_date": today().isoformat(),
        "made_at": utcnow().isoformat() + "Z",
        "card": card,
    }
    body.update(fields)
    return body


def pay(client: httpx.Client, session: dict, body: dict) -> httpx.Response:
    return client.post("/v1/payments/card", json=body, headers=session["headers"])


def paid_by_a_manager(client: httpx.Client, db_path: Path, data_dir: Path, pan: str = tc.VISA) -> tuple[dict, dict, dict]:
    """Mia (a manager: she may refund) signed in, and the first open charge paid by a swiped card:
    (her session, the charge, the payment's body)."""
    from server import admin
    from tests.server.api import PASSWORD, login

    admin.add_staff(data_dir, "acme", "mia", PASSWORD, group="manager")
    manager = login(client, username="mia")
    charge = open_charges(db_path)[0]
    payment = card_payment(charge, swiped(pan))
    assert pay(client, manager, payment).json()["status"] == "approved"
    return manager, charge, payment


def void_body(reason: str = "Wrong amount", business_date: dt.date | None = None, void_id: str | None = None) -> dict:
    return {"void_id": void_id or new_id(), "reason": reason, "business_date": (business_date or today()).isoformat(),
            "made_at": utcnow().isoformat() + "Z"}  # fmt: skip


def refund_body(amount: int, refund_id: str | None = None, business_date: dt.date | None = None) -> dict:
    return {"refund_id": refund_id or new_id(), "amount_cents": amount, "receipt_no": f"DT-D1-{new_id()[-6:]}",
            "reason": "Class cancelled", "business_date": (business_date or today()).isoformat(),
            "made_at": utcnow().isoformat() + "Z"}  # fmt: skip


def sandbox_rows(data_dir: Path, where: str = "1", *args) -> list[tuple]:
    """The sandbox gateway's operations: (kind, status, idempotency_key, amount_cents, parent_ref);
    the demo data's settled sales (server.seed) left out."""
    con = sqlite3.connect(Path(data_dir) / FILE_NAME)
    try:
        return con.execute(f"SELECT kind, status, idempotency_key, amount_cents, parent_ref FROM operation WHERE ({where}) "
                           "AND ref NOT LIKE 'seed_%' ORDER BY created_at", args).fetchall()  # fmt: skip
    finally:
        con.close()


def charges_at_gateway(data_dir: Path, key: str) -> int:
    return len(sandbox_rows(data_dir, "kind = 'sale' AND status = 'approved' AND idempotency_key = ?", key))


def ledger_rows(db_path: Path, entry_id: str) -> int:
    return query(db_path, "SELECT count(*) FROM ledger_entry WHERE id = ?", entry_id)[0][0]


def file_bytes(path: Path) -> bytes:
    """A SQLite file with its WAL: what a copy of the database would hold."""
    out = b""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if p.exists():
            out += p.read_bytes()
    return out


def audit_events(db_path: Path, action: str) -> list[dict]:
    """Audit events of one action, oldest first: staff, desk, record and detail."""
    rows = query(db_path, "SELECT staff_id, desk_id, record_id, detail FROM audit_event WHERE action = ? ORDER BY id", action)
    return [{"staff_id": s, "desk_id": d, "record_id": r, "detail": json.loads(detail)} for s, d, r, detail in rows]
