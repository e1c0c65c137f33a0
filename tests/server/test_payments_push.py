"""Cash, check and terminal money through /v1/sync/push: applied once, checked, permission-checked."""

from __future__ import annotations

from server import admin
from sync.core.ids import new_id, utcnow
from tests.server.api import PASSWORD, login, push, query
from tests.server.payments_api import card_payment, keyed, open_charges, pay, today


def _mutation(session: dict, seq: int, type_: str, payload: dict) -> dict:
    return {"id": new_id(), "desk_id": session["desk_id"], "seq": seq, "staff_id": session["staff_id"],
            "made_at": utcnow().isoformat() + "Z", "type": type_, "payload": payload}  # fmt: skip


def _payment(charge: dict, method: str, amount: int, **extra) -> dict:
    return {"entry_id": new_id(), "family_id": charge["family_id"], "location_id": charge["location_id"], "method": method,
            "amount_cents": amount, "receipt_no": f"DT-D1-{new_id()[-6:]}", "business_date": today().isoformat(),
            "allocations": [{"allocation_id": new_id(), "charge_id": charge["charge_id"], "amount_cents": amount}], **extra}  # fmt: skip


def _results(client, who, mutations) -> list[dict]:
    r = push(client, who, mutations)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_the_front_desk_posts_charges_and_records_cash_check_and_terminal_payments(client, session, db_path):
    c1, c2, c3 = open_charges(db_path)[:3]
    charge = {"entry_id": new_id(), "family_id": c1["family_id"], "location_id": c1["location_id"], "category": "fee",
              "description": "Team leotard", "amount_cents": 4500, "business_date": today().isoformat()}  # fmt: skip
    cash = _payment(c1, "cash", c1["amount_cents"], tendered_cents=c1["amount_cents"] + 500)
    check = _payment(c2, "check", 2000, check_number="1042")
    terminal = _payment(c3, "terminal", c3["amount_cents"])
    mutations = [_mutation(session, i + 1, t, p) for i, (t, p) in enumerate(
        [("charge.post", charge), ("payment.record", cash), ("payment.record", check), ("payment.record", terminal)])]  # fmt: skip
    results = _results(client, session, mutations)
    assert [r["status"] for r in results] == ["applied"] * 4, results
    rows = dict(query(db_path, "SELECT id, method FROM ledger_entry WHERE id IN (?, ?, ?, ?)", charge["entry_id"],
                      cash["entry_id"], check["entry_id"], terminal["entry_id"]))  # fmt: skip
    assert rows == {charge["entry_id"]: "", cash["entry_id"]: "cash", check["entry_id"]: "check", terminal["entry_id"]: "terminal"}
    assert query(db_path, "SELECT change_cents FROM ledger_entry WHERE id = ?", cash["entry_id"]) == [(500,)]
    # Pushed again (a lost answer): the first results, nothing written twice.
    assert _results(client, session, mutations) == results
    assert query(db_path, "SELECT count(*) FROM ledger_entry WHERE id = ?", cash["entry_id"]) == [(1,)]


def test_money_mutations_are_checked_like_the_card_route(client, session, db_path):
    mine, theirs = open_charges(db_path)[:2]
    wrong = _payment(mine, "cash", 1000)
    wrong["allocations"][0]["charge_id"] = theirs["charge_id"]
    card = {**_payment(mine, "cash", 1000), "method": "card_present"}  # cards only through /v1/payments
    results = _results(client, session, [_mutation(session, 1, "payment.record", wrong), _mutation(session, 2, "payment.record", card)])
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "invalid"), ("rejected", "invalid")]
    assert "not this family's" in results[0]["message"]
    assert query(db_path, "SELECT count(*) FROM ledger_entry WHERE id IN (?, ?)", wrong["entry_id"], card["entry_id"]) == [(0,)]


def test_voids_and_refunds_need_their_permissions(client, session, server_data_dir, db_path):
    c1, c2, c3 = open_charges(db_path)[:3]
    cash, check = _payment(c1, "cash", 1500), _payment(c2, "check", 2500, check_number="311")
    assert [r["status"] for r in _results(client, session, [_mutation(session, 1, "payment.record", cash),
                                                            _mutation(session, 2, "payment.record", check)])] == ["applied"] * 2  # fmt: skip
    void = {"entry_id": new_id(), "corrects_id": cash["entry_id"], "family_id": c1["family_id"], "location_id": c1["location_id"],
            "reason": "Rang it twice", "business_date": today().isoformat()}  # fmt: skip
    refund = {"entry_id": new_id(), "corrects_id": check["entry_id"], "family_id": c2["family_id"], "location_id": c2["location_id"],
              "amount_cents": 1000, "receipt_no": f"DT-D1-{new_id()[-6:]}", "reason": "Missed class", "business_date": today().isoformat()}  # fmt: skip
    refused = _results(client, session, [_mutation(session, 3, "void.entry", void), _mutation(session, 4, "refund.record", refund)])
    assert [(r["status"], r["code"]) for r in refused] == [("rejected", "forbidden"), ("rejected", "forbidden")]
    assert query(db_path, "SELECT count(*) FROM ledger_entry WHERE id IN (?, ?)", void["entry_id"], refund["entry_id"]) == [(0,)]

    admin.add_staff(server_data_dir, "acme", "mia", PASSWORD, group="manager")
    mia = login(client, username="mia")
    card = card_payment(c3, keyed())
    assert pay(client, mia, card).json()["status"] == "approved"
    card_void = {**void, "entry_id": new_id(), "corrects_id": card["entry_id"], "family_id": c3["family_id"],
                 "location_id": c3["location_id"]}  # fmt: skip
    done = _results(client, mia, [_mutation(mia, 1, "void.entry", {**void, "entry_id": new_id()}),
                                  _mutation(mia, 2, "refund.record", {**refund, "entry_id": new_id()}),
                                  _mutation(mia, 3, "void.entry", card_void)])  # fmt: skip
    assert [r["status"] for r in done] == ["applied", "applied", "rejected"]
    assert "card network" in done[2]["message"]  # a card payment is voided through /v1/payments only
