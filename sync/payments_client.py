"""The desk's calls to /v1/payments (card payments, and voids and refunds of card payments).

Online only, on the same ApiClient as sync. A card call is sent again after a lost answer with
the same body, whose id is the idempotency key: the server (and the gateway) answer a repeat
with the first answer, so a retry never charges twice.

Card data: the request's `CardData` keeps every value in a SecretStr; the JSON body made here is
the one place the values are revealed, and it lives only for the call. Nothing here logs a body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sync.client import ApiClient
from sync.errors import ConflictError, NetworkError, ServerError, SyncError
from sync.core.wire_payments import CardData, CardPaymentRequest, CardRefundRequest, CardVoidRequest, PaymentAnswer

RETRY_DELAYS = (0.5, 1.5)  # seconds before the 2nd and 3rd attempt of a card call
GATEWAY_UNREACHABLE = "gateway_unreachable"  # the server's code when the card service did not answer it
SERVER_FAILED = (
    "The server had a problem, so the card transaction could not be finished. Try again in a moment: "
    "the card will not be charged or refunded twice."
)


class PaymentsApi:
    def __init__(self, client: ApiClient):
        self.client = client

    async def charge(self, request: CardPaymentRequest) -> PaymentAnswer:
        return await self.client._call("POST", "/v1/payments/card", PaymentAnswer, json=card_payment_body(request))

    async def void(self, entry_id: str, request: CardVoidRequest) -> PaymentAnswer:
        body = request.model_dump(mode="json")
        return await self.client._call("POST", f"/v1/payments/{entry_id}/void", PaymentAnswer, json=body)

    async def refund(self, entry_id: str, request: CardRefundRequest) -> PaymentAnswer:
        body = request.model_dump(mode="json")
        return await self.client._call("POST", f"/v1/payments/{entry_id}/refund", PaymentAnswer, json=body)


def card_payment_body(request: CardPaymentRequest) -> dict[str, Any]:
    """The JSON body of a card payment, card values revealed (SecretStr would dump "**********")."""
    body = request.model_dump(mode="json", exclude={"card"})
    body["card"] = _card_json(request.card)
    return body


def _card_json(card: CardData) -> dict[str, Any]:
    out: dict[str, Any] = {"postal_code": card.postal_code}
    for name in ("track", "number", "cvc"):
        secret = getattr(card, name)
        if secret is not None:
            out[name] = secret.get_secret_value()
    for name in ("exp_month", "exp_year"):
        if getattr(card, name) is not None:
            out[name] = getattr(card, name)
    return out


async def with_retries(
    call: Callable[[], Awaitable[PaymentAnswer]], unreachable: str, delays: Sequence[float] = RETRY_DELAYS
) -> PaymentAnswer:
    """`call()` until the server answers; NetworkError(`unreachable`) when it never did.

    "No answer", "busy" and a server failure (the gateway did not answer it, say) are tried
    again with the same body: the outcome is unknown, and only the same key can tell it without
    charging twice. The server's refusals (4xx) and its answers stand at once.
    """
    failed: SyncError | None = None
    for delay in (0.0, *delays):
        if delay:
            await asyncio.sleep(delay)
        try:
            return await call()
        except (NetworkError, ConflictError, ServerError) as exc:
            failed = exc
    if isinstance(failed, ServerError) and failed.code != GATEWAY_UNREACHABLE:
        raise ServerError(SERVER_FAILED, code=failed.code, status=failed.status)
    raise NetworkError(unreachable, code="no_connection")
