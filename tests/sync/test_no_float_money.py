"""No float can get into money: amounts are integer cents from the keyboard to the server.

- Every `*_cents` field of every money payload (sync.core.ledger_mutations.PAYLOADS) and of every
  request of /v1/payments (sync.core.wire_payments) refuses 45.0 and 45.5, nested ones included.
  The fields are found by introspection, so a field or a model added later is covered too (a new
  model only needs a valid example below, and the test says so when it is missing).
- The money modules contain no float() call, no float literal and no true division.
- parse_money gets the amounts right that a float gets wrong ("0.29" is 29 cents, not 28).
- MoneyDesk refuses a float amount with words, and records nothing.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import inspect
import json
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from sync.core import ledger_mutations as lm
from sync.core import wire_payments
from sync.errors import RejectedError
from sync.core.ledger import parse_money
from sync.money_desk import CardInput, MoneyDesk
from sync.money_views import DrawerExpected
from sync.core.wire import WireModel

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2025, 3, 10).isoformat()
WHEN = "2025-03-10T15:00:00"
ALLOC = {"allocation_id": "a1", "charge_id": "c1", "amount_cents": 1000}

# One valid example per model that holds money (nested lists hold one element, so their
# fields are reached too).
EXAMPLES: dict[type[BaseModel], dict] = {
    lm.ChargePayload: {"entry_id": "e1", "family_id": "f1", "location_id": "l1", "category": "tuition",
                       "description": "March", "amount_cents": 4500, "business_date": DAY},
    lm.PaymentPayload: {"entry_id": "e1", "family_id": "f1", "location_id": "l1", "method": "cash", "amount_cents": 4500,
                        "receipt_no": "DT-D1-000001", "tendered_cents": 5000, "allocations": [ALLOC], "business_date": DAY},
    lm.CreditPayload: {"entry_id": "e1", "family_id": "f1", "location_id": "l1", "amount_cents": 4500,
                       "reason": "class cancelled", "business_date": DAY},
    lm.VoidPayload: {"entry_id": "e2", "corrects_id": "e1", "family_id": "f1", "location_id": "l1",
                     "reason": "typo", "business_date": DAY},
    lm.RefundPayload: {"entry_id": "e2", "corrects_id": "e1", "family_id": "f1", "location_id": "l1", "amount_cents": 4500,
                       "receipt_no": "DT-D1-000002", "reason": "moved", "business_date": DAY},
    lm.AdjustPayload: {"entry_id": "e2", "corrects_id": "e1", "family_id": "f1", "location_id": "l1", "amount_cents": -500,
                       "reason": "discount", "business_date": DAY},
    lm.DrawerCountPayload: {"count_id": "d1", "location_id": "l1", "period_start": WHEN, "period_end": WHEN,
                            "opening_float_cents": 10000, "expected_cash_cents": 14500, "expected_check_cents": 0,
                            "expected_card_cents": 0, "expected_terminal_cents": 0, "counted_cash_cents": 14500},
    wire_payments.CardPaymentRequest: {"entry_id": "e1", "family_id": "f1", "location_id": "l1", "amount_cents": 4500,
                                       "receipt_no": "DT-D1-000003", "allocations": [ALLOC], "business_date": DAY,
                                       "made_at": WHEN, "card": {"track": ";0000=0000?"}},
    wire_payments.CardRefundRequest: {"refund_id": "r1", "amount_cents": 4500, "receipt_no": "DT-D1-000004",
                                      "reason": "moved", "business_date": DAY, "made_at": WHEN},
}  # fmt: skip


def _models_of(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside a field's annotation (X, X | None, list[X], ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_of(arg)
    return found


def _is_list(annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return False


def cents_paths(model: type[BaseModel], prefix: tuple = ()) -> list[tuple]:
    """Every path to a *_cents field of the model: ("amount_cents",), ("allocations", 0, "amount_cents")."""
    paths: list[tuple] = []
    for name, info in model.model_fields.items():
        if name.endswith("_cents"):
            paths.append((*prefix, name))
        for inner in _models_of(info.annotation):
            paths += cents_paths(inner, (*prefix, name, 0) if _is_list(info.annotation) else (*prefix, name))
    return paths


def money_models() -> list[type[BaseModel]]:
    requests = [
        cls for _, cls in inspect.getmembers(wire_payments, inspect.isclass)
        if issubclass(cls, WireModel) and cls.__module__ == wire_payments.__name__
    ]  # fmt: skip
    return [*lm.PAYLOADS.values(), *requests]


def _with(example: dict, path: tuple, value: object) -> dict:
    data = copy.deepcopy(example)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_the_introspection_finds_the_money_fields_it_must():
    paths = {m: cents_paths(m) for m in money_models()}
    assert ("allocations", 0, "amount_cents") in paths[lm.PaymentPayload]
    assert ("tendered_cents",) in paths[lm.PaymentPayload]
    assert ("allocations", 0, "amount_cents") in paths[wire_payments.CardPaymentRequest]
    assert ("counted_cash_cents",) in paths[lm.DrawerCountPayload]
    assert set(lm.PAYLOADS.values()) <= set(paths)


@pytest.mark.parametrize("model", money_models(), ids=lambda m: m.__name__)
def test_every_cents_field_refuses_a_float(model: type[BaseModel]):
    paths = cents_paths(model)
    if not paths:
        return  # no money in it (e.g. a void request, a card's details)
    assert model in EXAMPLES, f"{model.__name__} holds money: add a valid example to EXAMPLES"
    example = EXAMPLES[model]
    model.model_validate(example)  # the example itself is valid
    for path in paths:
        try:
            _with(example, path, 1)
        except (KeyError, IndexError):
            pytest.fail(f"the example of {model.__name__} has nothing at {path}: add it so the field is checked")
        for bad in (45.0, 45.5, 4500.0):
            with pytest.raises(ValidationError) as caught:
                model.model_validate(_with(example, path, bad))
            locs = [tuple(e["loc"]) for e in caught.value.errors()]
            assert path in locs, f"{model.__name__}.{'.'.join(map(str, path))} took {bad!r} (errors at {locs})"
        # ... and JSON (what the server reads) refuses it as well.
        with pytest.raises(ValidationError):
            model.model_validate_json(json.dumps(_with(example, path, 45.0)))


MONEY_MODULES = [
    "sync/core/ledger.py",
    "sync/core/ledger_mutations.py",
    "sync/money_desk.py",
    "printing/money.py",
    "sync/drawer.py",
    "sync/family_queries.py",
    "sync/family_search.py",
    "sync/ledger_words.py",
    "sync/ledger_local.py",
    "sync/money_input.py",
]


@pytest.mark.parametrize("path", MONEY_MODULES)
def test_money_code_has_no_float_call_literal_or_true_division(path: str):
    tree = ast.parse((REPO / path).read_text(), filename=path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("float", "round"):
            found.append(f"line {node.lineno}: {node.func.id}() call")
        elif isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"line {node.lineno}: float literal {node.value!r}")
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
            found.append(f"line {node.lineno}: true division (use // or divmod on cents)")
    assert not found, f"{path}: " + "; ".join(found)


@pytest.mark.parametrize(
    "typed, cents",
    [("0.29", 29), ("1.13", 113), ("4.35", 435), ("19.99", 1999), ("$1,045.50", 104550), ("45.5", 4550), ("0.07", 7),
     ("999999.99", 99999999), ("1,000,000", 100000000)],
)  # fmt: skip
def test_parse_money_gets_right_what_a_float_gets_wrong(typed: str, cents: int):
    got = parse_money(typed)
    assert type(got) is int and got == cents


# -- the desk's facade --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_money_desk_refuses_float_amounts_and_records_nothing(store, demo):
    money = MoneyDesk(store, api=None)
    fam, loc = demo.ids["fam_lee"], demo.ids["downtown"]
    before = store.outbox.counts()
    attempts = [
        lambda: money.post_charge(fam, loc, 45.0, "tuition", "March"),
        lambda: money.record_payment(fam, loc, "cash", 45.0),
        lambda: money.record_payment(fam, loc, "cash", 4500, tendered_cents=5000.0),
        lambda: money.charge_card(fam, loc, 45.5, CardInput.swiped(";0000=0000?")),
        lambda: money.refund("any-entry", 10.0, "moved"),
    ]
    for attempt in attempts:
        with pytest.raises(RejectedError, match="whole number of cents"):
            await attempt()
    expected = DrawerExpected(loc, "s", dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC), 0, 0, 0, 0, 0, 0, 0, 0)
    with pytest.raises(RejectedError, match="whole number of cents"):
        await money.record_drawer_count(expected, 100.0)
    with pytest.raises(RejectedError, match="whole number of cents"):
        money.drawer_expected(loc, "s", dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC), opening_float_cents=50.0)
    assert store.outbox.counts() == before
