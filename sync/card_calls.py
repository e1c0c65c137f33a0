"""One card call under one clock, given up on by its key when the desk stops waiting (issue 18).

sync.money_desk sends card payments, voids and refunds through `card_call`:

- the call is put on file in the outbox before it is sent (DeskStore.begin_card_call), so a desk
  killed in the middle gives it up when it starts again;
- it is sent, and sent again with the same key after no answer (sync.payments_client.with_retries),
  until `limit` seconds have passed in all;
- an answer ends it; so does a refusal (4xx: nothing was done), or a connection never made
  (nothing was sent: "No connection" stays true);
- no answer in time, Cancel (`cancel` set), a failed connection after something may have been
  sent, a server failure, or this coroutine cancelled (the window closed): the call is given up
  on by its key (sync.core.card_abandon, through the outbox, pushed at once) and CardNotConfirmed
  says so in the words the desk shows until the server answers what became of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import httpx

from sync.core.card_abandon import NOT_CONFIRMED, NOT_CONFIRMED_CHANGE, AbandonPayload
from sync.errors import NetworkError, ServerError
from sync.payments_client import with_retries
from sync.store import DeskStore
from sync.core.wire_payments import PaymentAnswer

# The hard limit of one card call, retries included, in seconds: after it the desk stops waiting
# (some acquirers take a timeout reversal only within about 30 seconds).
CARD_TIME_LIMIT = 15.0


class CardNotConfirmed(NetworkError):
    """A card call given up on: the server reverses it if it went through. `key` is the call's
    idempotency key (MoneyDesk.card_call_status follows it)."""

    def __init__(self, message: str, key: str):
        super().__init__(message, code="not_confirmed")
        self.key = key


async def card_call(
    store: DeskStore, abandon: AbandonPayload, call: Callable[[], Awaitable[PaymentAnswer]], *, unreachable: str,
    delays: Sequence[float], limit: float, cancel: asyncio.Event | None = None,
) -> PaymentAnswer:  # fmt: skip
    key = abandon.key
    await store.begin_card_call(key, abandon.model_dump(mode="json"))
    maybe_sent = False

    async def tracked() -> PaymentAnswer:
        nonlocal maybe_sent
        try:
            return await call()
        except NetworkError as exc:  # a connection never made sent nothing: the desk knows that much
            maybe_sent = maybe_sent or not isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout))
            raise
        except BaseException:
            maybe_sent = True
            raise

    attempt = asyncio.ensure_future(with_retries(tracked, unreachable, delays))
    stop = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    try:
        done, _ = await asyncio.wait({attempt, stop} - {None}, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        if attempt in done:
            try:
                answer = attempt.result()
            except (NetworkError, ServerError) as exc:  # no answer, or the server could not finish: unknown
                if not maybe_sent:
                    await store.end_card_call(key)
                    raise
                raise await _give_up(store, abandon, "no_connection") from exc
            except BaseException:  # refused (4xx): nothing was done; the call is over
                await store.end_card_call(key)
                raise
            await store.end_card_call(key)
            return answer
        raise await _give_up(store, abandon, "cancel" if stop in done else "timeout")
    except asyncio.CancelledError:
        await asyncio.shield(store.abandon_card_call(key, "closed"))
        raise
    finally:
        for task in (attempt, stop):
            if task is not None and not task.done():
                task.cancel()


async def _give_up(store: DeskStore, abandon: AbandonPayload, why: str) -> CardNotConfirmed:
    if not await store.abandon_card_call(abandon.key, why):
        raise RuntimeError(f"card call {abandon.key} given up on twice")  # one coroutine per call: a bug
    what = {"void": "void", "refund": "refund"}.get(abandon.kind)
    return CardNotConfirmed(NOT_CONFIRMED if what is None else NOT_CONFIRMED_CHANGE.format(what=what), abandon.key)
