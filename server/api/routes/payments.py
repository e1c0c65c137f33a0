"""/v1/payments: card payments, and voids and refunds of card payments (sync.core.wire_payments).

These need the card gateway, so they are online calls, not outbox mutations; the work is in
server.payments. Each is idempotent on the id the desk made for the entry (`entry_id`,
`void_id`, `refund_id`): a retry gets the first answer and the card is never charged twice.
The desk never learns which gateway is configured, nor any of its credentials.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from server.api.deps import AccountDbDep, SettingsDep, TokenDep
from server.api.guards import needs
from server.api.routes.sync import require_protocol
from server.api.errors import error_responses
from server.live import bell_of
from server.payments.card_corrections import refund_card_payment, void_card_payment
from server.payments.card_sale import take_card_payment
from server.payments.flow import Caller
from server.payments.gateway import Gateway
from sync.core.permissions import LEDGER_REFUND, LEDGER_VOID, PAYMENT_TAKE
from sync.core.schema import Staff
from sync.core.wire_payments import CardPaymentRequest, CardRefundRequest, CardVoidRequest, PaymentAnswer


def get_gateway(request: Request, token: TokenDep) -> Gateway:
    """The account's own gateway (server.payments.choice), or the server's default."""
    return request.app.state.gateways.chosen(token.account_id) or request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
EntryId = Annotated[str, Path(min_length=1, max_length=36)]
ERRORS = error_responses(400, 401, 403, 404, 409, 422, 500, 502)

router = APIRouter(prefix="/payments", tags=["payments"], dependencies=[Depends(require_protocol)], responses=error_responses(426))


def _done(request: Request, token: TokenDep, answer: PaymentAnswer) -> PaymentAnswer:
    if answer.status == "approved":
        bell_of(request.app).ring(token.account_id)  # committed: the other desks may pull now
    return answer


@router.post("/card", response_model=PaymentAnswer, responses=ERRORS, summary="Take a card payment")
def card(
    request: Request, token: TokenDep, staff: Annotated[Staff, needs(PAYMENT_TAKE)], adb: AccountDbDep,
    gateway: GatewayDep, settings: SettingsDep, body: CardPaymentRequest,
) -> PaymentAnswer:  # fmt: skip
    """`approved` with the ledger rows written, or `declined` with a code and words for the desk
    (nothing written). 422 when the card cannot be read or the ledger would refuse the payment
    (nothing charged); 502 `gateway_unreachable` when the card service did not answer (send the
    same request again, or take cash)."""
    who = Caller(token.account_id, staff.id, token.desk_id)
    sweeper = getattr(request.app.state, "card_sweeper", None)
    if sweeper is not None:
        sweeper.due(token.account_id)  # if this sale is left under way, the sweep settles it
    try:
        return _done(request, token, take_card_payment(adb, gateway, settings.currency, who, body))
    finally:
        if sweeper is not None:  # a desk may have given up on it meanwhile: reversed at once
            sweeper.due(token.account_id, now=True)


@router.post("/{entry_id}/void", response_model=PaymentAnswer, responses=ERRORS, summary="Void a card payment")
def void(
    request: Request, token: TokenDep, staff: Annotated[Staff, needs(LEDGER_VOID)], adb: AccountDbDep,
    gateway: GatewayDep, entry_id: EntryId, body: CardVoidRequest,
) -> PaymentAnswer:  # fmt: skip
    """Only on the payment's business day, before the card settles; otherwise 422
    `refund_instead`. 404 for an unknown payment, 422 `not_card` for a payment without a card."""
    who = Caller(token.account_id, staff.id, token.desk_id)
    return _done(request, token, void_card_payment(adb, gateway, who, entry_id, body))


@router.post("/{entry_id}/refund", response_model=PaymentAnswer, responses=ERRORS, summary="Refund a card payment")
def refund(
    request: Request, token: TokenDep, staff: Annotated[Staff, needs(LEDGER_REFUND)], adb: AccountDbDep,
    gateway: GatewayDep, entry_id: EntryId, body: CardRefundRequest,
) -> PaymentAnswer:  # fmt: skip
    """Part or all of what the payment still holds; 422 beyond that."""
    who = Caller(token.account_id, staff.id, token.desk_id)
    return _done(request, token, refund_card_payment(adb, gateway, who, entry_id, body))
