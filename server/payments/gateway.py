"""The card gateway as the server sees it: sale, void, refund, and what each one answered.

Only the server talks to a gateway; the desk never holds its credentials or learns which one is
configured. Every call carries an idempotency key (the ledger entry's id made at the desk), so a
call repeated after a lost answer or a server restart gets the first answer and never charges
twice.

A gateway that answered says so in a `GatewayResult` (approved or declined, in front-desk words).
A gateway that could not be reached raises `GatewayUnreachable`: the outcome is unknown, and the
same call with the same key is the safe way to learn it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from server.errors import Unreachable
from sync.core.wire_payments import CardData, DeclineCode

UNREACHABLE = (
    "The card service did not answer. Try again in a moment (the card will not be charged twice), "
    "or take cash or a check."
)

# Words for the desk, by decline code: what happened and what to do next.
DECLINE_MESSAGES: dict[str, str] = {
    "declined": "The card was declined. Please ask for another card or another way to pay.",
    "insufficient_funds": "The card was declined for insufficient funds. Please ask for another card.",
    "expired_card": "The card has expired. Please ask for another card.",
    "incorrect_cvc": "The security code (CVC) is wrong. Check it, or ask for another card.",
    "invalid_number": "The card number is not valid. Check it, or ask for another card.",
    "processing_error": "The card service had a problem with this card. Try again, or take another way to pay.",
    "lost_or_stolen": "The card was declined. Please ask for another way to pay.",
}


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway answered. Holds no card data beyond brand and last four digits.

    `settled` is for voids: the charge had already settled, so it cannot be voided and has to be
    refunded instead (`approved` is then False).
    """

    approved: bool
    gateway_ref: str = ""  # the gateway's id of this sale, void or refund
    approval_code: str = ""
    decline_code: DeclineCode | None = None
    message: str = ""
    brand: str = ""
    last4: str = ""
    settled: bool = False


class GatewayError(Unreachable):
    """An expected gateway failure; `message` is in words for the desk and names no card data."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class GatewayUnreachable(GatewayError):
    """No answer (refused, timed out, cut off): nothing is known; retry with the same key."""

    def __init__(self, message: str = UNREACHABLE):
        super().__init__(message)


@runtime_checkable
class Gateway(Protocol):
    """A card gateway. Implementations: server.payments.sandbox.SandboxGateway (the server's
    default) and server.payments.authorize_net.AuthorizeNetGateway (chosen per account)."""

    name: str

    def sale(self, amount_cents: int, currency: str, card: CardData, idempotency_key: str) -> GatewayResult:
        """Charge the card; the card's values are read only here, to build the gateway's request."""
        ...

    def void(self, gateway_ref: str, idempotency_key: str) -> GatewayResult:
        """Cancel an unsettled sale in full; a settled one answers `settled=True`, not approved."""
        ...

    def refund(self, gateway_ref: str, amount_cents: int, idempotency_key: str) -> GatewayResult:
        """Give back part or all of a sale (settled or not), never more than it has left."""
        ...

    def find(self, idempotency_key: str) -> GatewayResult | None:
        """What an earlier call with this key did, or None when the gateway never received it.
        Asked for a sale the server may have died in the middle of (server.payments.reconcile)."""
        ...

    def close(self) -> None: ...


def declined(code: DeclineCode, brand: str = "", last4: str = "", message: str | None = None) -> GatewayResult:
    return GatewayResult(approved=False, decline_code=code, message=message or DECLINE_MESSAGES[code], brand=brand, last4=last4)
