"""Property tests of the ledger: whatever money changes come, in whatever order, the figures hold.

Random sequences of charges, payments (every recorded method, with and without allocations),
account credit, voids, refunds and adjustments go through the real appliers
(sync.core.mutations.apply_mutation -> sync.core.ledger_mutations) on a real SQLite database, the way the
server and the desk cache apply them. After every step, for every family:

- the balance is the sum of the entries' amounts, and equals open charges minus credit;
- nothing is negative that cannot be (open, credit, what a payment may still refund);
- no entry is voided twice, no refund goes beyond what its payment held;
- a change the appliers refuse leaves every table exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

from sync.core import ledger_mutations as lm
from sync.core.ledger import correction_for, summarize
from sync.core.mutations import Rejected, apply_mutation
from sync.core.schema import SHARED_TABLES, Family, LedgerAllocation, LedgerEntry, Location, Student
from sync.core.wire import Mutation

DAY = dt.date(2025, 3, 10)
FAMILIES = ("fam-a", "fam-b")
RECORDED = ("cash", "check", "terminal", "credit")

good_amount = st.integers(1, 20_000)
# About one amount in ten is not money the appliers may take (zero, negative).
amounts = st.integers(0, 9).flatmap(lambda r: st.sampled_from([0, -500]) if r == 0 else good_amount)
ops = st.one_of(
    st.tuples(st.just("charge"), st.sampled_from(FAMILIES), amounts),
    st.tuples(
        st.just("pay"), st.sampled_from(FAMILIES), amounts, st.sampled_from(RECORDED),
        st.sampled_from(["none", "oldest", "pick", "other_family"]), st.integers(0, 50), st.integers(0, 2),
    ),  # fmt: skip
    st.tuples(st.just("credit"), st.sampled_from(FAMILIES), amounts),
    st.tuples(st.just("void"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.sampled_from(["part", "all", "over", "any"]), amounts),
    st.tuples(st.just("adjust"), st.integers(0, 50), st.integers(-20_000, 20_000)),
)


@dataclass
class Run:
    session: Session
    server: bool  # usns handed out (server) or None (a desk's pending rows)
    usn: int = 0
    seq: int = 0
    receipts: int = 0
    applied: int = 0
    rejected: int = 0
    log: list[str] = field(default_factory=list)

    def next_usn(self) -> int | None:
        if not self.server:
            return None
        self.usn += 1
        return self.usn

    def receipt(self) -> str:
        self.receipts += 1
        return f"DT-D1-{self.receipts:06d}"

    def apply(self, type_: str, payload: dict) -> bool:
        self.seq += 1
        m = Mutation(id=f"m-{self.seq}", desk_id="desk-1", seq=self.seq, staff_id="staff-1",
                     made_at=dt.datetime(2025, 3, 10, 15, 0) + dt.timedelta(seconds=self.seq), type=type_, payload=payload)  # fmt: skip
        before = snapshot(self.session)
        try:
            apply_mutation(self.session, m, self.next_usn)
            self.session.flush()
        except Rejected as exc:
            self.session.flush()
            assert snapshot(self.session) == before, f"a refused {type_} changed the database: {exc.message}"
            assert exc.message and exc.code  # words for the desk, and a code
            self.rejected += 1
            self.log.append(f"{type_} rejected: {exc.message}")
            return False
        self.applied += 1
        self.log.append(f"{type_} applied {payload}")
        return True


def snapshot(s: Session) -> list:
    conn = s.connection()
    return [sorted(tuple(map(repr, r)) for r in conn.execute(select(t)).all()) for t in SHARED_TABLES]


def entries_of(s: Session, family_id: str) -> list[LedgerEntry]:
    return list(s.exec(select(LedgerEntry).where(LedgerEntry.family_id == family_id)).scalars())


@functools.cache
def _engine():
    """One in-memory database with a location and two families; each example runs in a
    transaction of its own that is rolled back, so examples never see each other's rows."""
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=SHARED_TABLES)
    with Session(engine) as s:
        s.add(Location(id="loc-1", name="Downtown", code="DT"))
        for fid in FAMILIES:
            s.add(Family(id=fid, name=fid))
            s.add(Student(id=f"{fid}-kid", family_id=fid, first_name="Kid", last_name=fid))
        s.commit()
    return engine


@contextlib.contextmanager
def new_db() -> Iterator[Session]:
    conn = _engine().connect()
    outer = conn.begin()
    try:
        with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
            yield s
    finally:
        outer.rollback()
        conn.close()


def check_invariants(s: Session) -> None:
    for fid in FAMILIES:
        entries = entries_of(s, fid)
        allocations = list(s.exec(select(LedgerAllocation).where(LedgerAllocation.family_id == fid)).scalars())
        ledger = summarize(entries, allocations)
        assert ledger.balance_cents == sum(e.amount_cents for e in entries)
        assert ledger.open_cents >= 0 and ledger.credit_cents >= 0
        assert ledger.balance_cents == ledger.open_cents - ledger.credit_cents
        voids: dict[str, int] = {}
        for state in ledger.entries:
            e = state.entry
            assert state.open_cents >= 0 and state.paid_cents >= 0
            if e.kind == "charge":
                assert state.paid_cents <= max(0, state.owed_cents)
                assert state.owed_cents >= 0
            if e.kind == "payment":
                assert state.refundable_cents >= 0, "refunded more than the payment held"
                assert state.refunded_cents <= -e.amount_cents
            if e.kind == "void":
                voids[e.corrects_id] = voids.get(e.corrects_id, 0) + 1
            if e.kind == "refund":
                target = ledger.state(e.corrects_id)
                assert target is not None and target.entry.kind == "payment" and target.entry.method != "credit"
        assert all(n == 1 for n in voids.values()), f"an entry voided twice: {voids}"
        for a in allocations:  # allocations never cross families
            assert any(e.id == a.charge_id for e in entries) and any(e.id == a.payment_id for e in entries)


def step(run: Run, op: tuple) -> None:
    s = run.session
    kind = op[0]
    n = run.seq + 1
    if kind == "charge":
        _, fid, amount = op
        ok = run.apply(lm.CHARGE_POST, {"entry_id": f"e-{n}", "family_id": fid, "location_id": "loc-1",
                                        "student_id": f"{fid}-kid", "category": "tuition", "description": "March",
                                        "amount_cents": amount, "business_date": DAY.isoformat()})  # fmt: skip
        assert ok == (amount > 0)
    elif kind == "pay":
        _, fid, amount, method, mode, pick, day = op
        ledger = summarize(entries_of(s, fid), s.exec(select(LedgerAllocation).where(LedgerAllocation.family_id == fid)).scalars())
        other = FAMILIES[1 - FAMILIES.index(fid)]
        allocations = []
        if mode in ("oldest", "pick") and amount > 0:
            charges = ledger.open_charges if mode == "oldest" else [st for st in ledger.entries if st.entry.kind == "charge"]
            if mode == "pick" and charges:
                charges = [charges[pick % len(charges)]]
            left = amount
            for c in charges:
                take = min(left, max(c.open_cents, 1 if mode == "pick" else 0))
                if take > 0:
                    allocations.append({"allocation_id": f"a-{n}-{len(allocations)}", "charge_id": c.entry.id, "amount_cents": take})
                    left -= take
        elif mode == "other_family":
            theirs = [e for e in entries_of(s, other) if e.kind == "charge"]
            if theirs and amount > 0:
                allocations.append({"allocation_id": f"a-{n}-x", "charge_id": theirs[0].id, "amount_cents": 1})
        payload = {"entry_id": f"e-{n}", "family_id": fid, "location_id": "loc-1", "method": method,
                   "amount_cents": amount, "receipt_no": run.receipt(), "allocations": allocations,
                   "business_date": (DAY + dt.timedelta(days=day)).isoformat()}  # fmt: skip
        if method == "check":
            payload["check_number"] = str(1000 + n)
        if method == "cash" and pick % 2:
            payload["tendered_cents"] = amount + pick
        ok = run.apply(lm.PAYMENT_RECORD, payload)
        if mode == "other_family" and allocations:
            assert not ok, "a payment was applied to another family's charge"
        if method == "credit" and ok:
            assert amount <= ledger.credit_cents and sum(a["amount_cents"] for a in allocations) == amount
        if amount <= 0:
            assert not ok
    elif kind == "credit":
        _, fid, amount = op
        ok = run.apply(lm.LEDGER_CREDIT, {"entry_id": f"e-{n}", "family_id": fid, "location_id": "loc-1",
                                          "amount_cents": amount, "reason": "class cancelled",
                                          "business_date": DAY.isoformat()})  # fmt: skip
        assert ok == (amount > 0)
    else:
        every = [e for fid in FAMILIES for e in entries_of(s, fid)]
        if not every:
            return
        # Most corrections aim at what they are for (payments, charges); some at anything at all.
        aimed = {"void": ("payment", "charge", "credit"), "refund": ("payment",), "adjust": ("charge",)}[kind]
        pool = [e for e in every if e.kind in aimed] if op[1] % 5 else every
        pool = sorted(pool or every, key=lambda e: e.id)
        target = pool[op[1] % len(pool)]
        allocations = s.exec(select(LedgerAllocation).where(LedgerAllocation.family_id == target.family_id)).scalars()
        state = summarize(entries_of(s, target.family_id), allocations).state(target.id)
        assert state is not None
        common = {"entry_id": f"e-{n}", "corrects_id": target.id, "family_id": target.family_id, "location_id": "loc-1"}
        if kind == "void":
            today = DAY + dt.timedelta(days=op[2])
            ok = run.apply(lm.VOID_ENTRY, {**common, "reason": "mistake", "business_date": today.isoformat()})
            assert ok == (correction_for(state, today) == "void"), (state, today)
        elif kind == "refund":
            _, _, how, any_amount = op
            held = state.refundable_cents
            amount = {"part": max(1, held // 2), "all": held, "over": held + 1, "any": any_amount}[how]
            ok = run.apply(lm.REFUND_RECORD, {**common, "amount_cents": amount, "receipt_no": run.receipt(),
                                              "reason": "moved away", "business_date": DAY.isoformat()})  # fmt: skip
            allowed = target.kind == "payment" and target.method != "credit" and not state.voided
            assert ok == (allowed and 0 < amount <= state.refundable_cents), (state, amount)
        else:
            amount = op[2]
            ok = run.apply(lm.LEDGER_ADJUST, {**common, "amount_cents": amount, "reason": "discount",
                                              "business_date": DAY.isoformat()})  # fmt: skip
            allowed = target.kind == "charge" and not state.voided and amount != 0
            assert ok == (allowed and state.owed_cents + amount >= 0)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(ops, min_size=3, max_size=25), server=st.booleans())
def test_any_sequence_of_money_changes_keeps_the_ledger_consistent(steps, server):
    with new_db() as s:
        run = Run(s, server)
        for op in steps:
            step(run, op)
            check_invariants(s)


@settings(max_examples=60, deadline=None)
@given(amounts=st.lists(st.integers(1, 10_000), min_size=1, max_size=6), pay=st.integers(1, 80_000))
def test_a_payment_oldest_first_pays_charges_in_order_and_the_rest_is_credit(amounts, pay):
    with new_db() as s:
        run = Run(s, server=True)
        for a in amounts:
            assert run.apply(lm.CHARGE_POST, {"entry_id": f"c-{run.seq}", "family_id": "fam-a", "location_id": "loc-1",
                                              "category": "tuition", "description": "x", "amount_cents": a,
                                              "business_date": DAY.isoformat()})  # fmt: skip
        from sync.core.ledger import allocate

        ledger = lm.family_ledger(s, "fam-a")
        plan = allocate(ledger, pay)
        assert run.apply(lm.PAYMENT_RECORD, {"entry_id": "p", "family_id": "fam-a", "location_id": "loc-1", "method": "cash",
                                             "amount_cents": pay, "receipt_no": "R-1", "business_date": DAY.isoformat(),
                                             "allocations": [{"allocation_id": f"a{i}", "charge_id": x.charge_id,
                                                              "amount_cents": x.amount_cents} for i, x in enumerate(plan)]})  # fmt: skip
        after = lm.family_ledger(s, "fam-a")
        total = sum(amounts)
        assert after.balance_cents == total - pay
        assert after.open_cents == max(0, total - pay)
        assert after.credit_cents == max(0, pay - total)
        # Oldest first: every open charge comes after every fully paid one.
        opened = [st.open_cents > 0 for st in after.entries if st.entry.kind == "charge"]
        assert opened == sorted(opened)
