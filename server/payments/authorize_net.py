"""Authorize.Net's card-present API behind the `Gateway` seam, over httpx (JSON API).

Written from Authorize.Net's published API reference (createTransactionRequest and
getUnsettledTransactionListRequest on /xml/v1/request.api). What this adapter relies on:

- A sale is an authCaptureTransaction with `retail` market type 2 (retail, card present): a swipe
  sends its track data as read (`trackData.track1` or `track2`, sentinels removed), a keyed card
  `creditCard` (number, expiry "YYYY-MM", CVC). Elements go in the order the schema lists them:
  the JSON API maps them onto its XML schema, where order matters.
- The gateway has no idempotency keys. Our key becomes the order's invoice number (20 characters
  at most, so a digest of the key) and the request's refId; with `duplicateWindow` set, a repeat
  of the same card, amount and invoice inside the window is refused as a duplicate (error 11)
  and the answer carries the first transaction's id and approval: the first answer, not a charge.
- `find(key)` asks for the unsettled transactions and matches the invoice number, which is how
  a sale whose answer was lost (a timeout) is found and voided.
- A void (voidTransaction) names the charge by its transId; one refused because the charge has
  settled (error 8 is "card expired"; Authorize.Net answers a settled void with error 16 or
  "transaction cannot be voided") is answered `settled=True`, for a refund instead. A refund
  (refundTransaction) needs the card's last four digits and "XXXX" for the expiry.

Response codes: 1 approved, 2 declined, 3 error, 4 held for review (treated as declined: the
desk must not hand goods over on it). No card data is ever logged; the answers carry only the
masked number ("XXXX1111") and brand.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from typing import Any

import httpx

from server.payments.cards import read_card
from server.payments.gateway import DECLINE_MESSAGES, GatewayResult, GatewayUnreachable, declined
from sync.core.wire_payments import CardData

log = logging.getLogger("frontdesk.server.payments")

SANDBOX_URL = "https://apitest.authorize.net/xml/v1/request.api"
PRODUCTION_URL = "https://api.authorize.net/xml/v1/request.api"
DUPLICATE_WINDOW = 28_800  # seconds (8 hours, the most the API allows): a retry long after still finds the first
DUPLICATE = "11"
NOT_VOIDABLE = {"16", "310"}  # "transaction not found or cannot be voided", "already settled"
# Authorize.Net's reason codes (errors[].errorCode) in front-desk words, by our decline codes.
REASONS = {"2": "declined", "3": "declined", "4": "lost_or_stolen", "6": "invalid_number", "8": "expired_card",
           "27": "declined", "37": "invalid_number", "44": "incorrect_cvc", "45": "incorrect_cvc", "65": "incorrect_cvc",
           "250": "lost_or_stolen", "251": "lost_or_stolen", "252": "declined", "253": "declined"}  # fmt: skip
LIVE = ("capturedPendingSettlement", "authorizedPendingCapture", "settledSuccessfully", "underReview", "FDSPendingReview")


def invoice_of(key: str) -> str:
    """Our idempotency key as an invoice number and refId: 20 characters, the most both take."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


class AuthorizeNetGateway:
    name = "authorize_net"

    def __init__(self, login_id: str, transaction_key: str, *, url: str = SANDBOX_URL, timeout: float = 20.0,
                 transport: httpx.BaseTransport | None = None):  # fmt: skip
        self._auth = {"name": login_id, "transactionKey": transaction_key}
        self.url = url
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:  # never the credentials
        return f"AuthorizeNetGateway({self.url})"

    def close(self) -> None:
        self._http.close()

    # -- the Gateway interface --------------------------------------------------------------

    def sale(self, amount_cents: int, currency: str, card: CardData, idempotency_key: str) -> GatewayResult:
        facts = read_card(card)  # the caller checked it already; here for brand and last four
        invoice = invoice_of(idempotency_key)
        payment: dict[str, Any]
        if card.track is not None:
            payment = {"trackData": _track(card.track.get_secret_value())}
        else:
            assert card.number is not None and card.exp_year is not None and card.exp_month is not None
            payment = {"creditCard": {"cardNumber": "".join(c for c in card.number.get_secret_value() if c.isdigit()),
                                      "expirationDate": f"{card.exp_year:04d}-{card.exp_month:02d}",
                                      **({"cardCode": card.cvc.get_secret_value()} if card.cvc is not None else {})}}  # fmt: skip
        request = {
            "transactionType": "authCaptureTransaction",
            "amount": _amount(amount_cents),
            "currencyCode": currency,
            "payment": payment,
            "order": {"invoiceNumber": invoice, "description": "Frontdesk payment"},
            "retail": {"marketType": "2", "deviceType": "5"},  # retail; 5: a PC-based terminal
            "transactionSettings": {"setting": [{"settingName": "duplicateWindow", "settingValue": str(DUPLICATE_WINDOW)}]},
        }
        return self._transaction(request, invoice, facts.brand, facts.last4)

    def void(self, gateway_ref: str, idempotency_key: str) -> GatewayResult:
        request = {"transactionType": "voidTransaction", "refTransId": gateway_ref}
        result = self._transaction(request, invoice_of(idempotency_key), "", "")
        if not result.approved and result.decline_code is None:  # not voidable: settled
            return GatewayResult(approved=False, settled=True, message=result.message)
        return result

    def refund(self, gateway_ref: str, amount_cents: int, idempotency_key: str) -> GatewayResult:
        found = self._details(gateway_ref)
        last4 = (found.get("payment", {}).get("creditCard", {}).get("cardNumber") or "")[-4:]
        request = {"transactionType": "refundTransaction", "amount": _amount(amount_cents),
                   "payment": {"creditCard": {"cardNumber": last4, "expirationDate": "XXXX"}},
                   "refTransId": gateway_ref, "order": {"invoiceNumber": invoice_of(idempotency_key)}}  # fmt: skip
        return self._transaction(request, invoice_of(idempotency_key), "", last4)

    def find(self, idempotency_key: str) -> GatewayResult | None:
        invoice = invoice_of(idempotency_key)
        answer = self._post({"getUnsettledTransactionListRequest": {"merchantAuthentication": self._auth}})
        for t in answer.get("transactions") or []:
            if t.get("invoiceNumber") == invoice:
                status = t.get("transactionStatus", "")
                last4 = str(t.get("accountNumber", ""))[-4:]
                if status in LIVE:
                    return GatewayResult(approved=True, gateway_ref=str(t["transId"]), brand=t.get("accountType", ""), last4=last4)
                return declined("declined", t.get("accountType", ""), last4)
        return None

    # -- inside -------------------------------------------------------------------------------

    def _transaction(self, request: dict[str, Any], ref_id: str, brand: str, last4: str) -> GatewayResult:
        answer = self._post({"createTransactionRequest": {"merchantAuthentication": self._auth, "refId": ref_id,
                                                          "transactionRequest": request}})  # fmt: skip
        t = answer.get("transactionResponse") or {}
        code = str(t.get("responseCode", ""))
        errors = t.get("errors") or []
        reason = str(errors[0].get("errorCode", "")) if errors else ""
        brand, last4 = t.get("accountType") or brand, (t.get("accountNumber") or "")[-4:] or last4
        if code == "1" or (reason == DUPLICATE and t.get("transId") not in (None, "", "0") and t.get("authCode")):
            # Approved, or the duplicate of an approved one inside the window: its first answer.
            return GatewayResult(approved=True, gateway_ref=str(t["transId"]), approval_code=t.get("authCode", ""),
                                 brand=brand, last4=last4)  # fmt: skip
        if reason in NOT_VOIDABLE:
            return GatewayResult(approved=False, message=errors[0].get("errorText", ""))
        if code in ("2", "4") or reason in REASONS:
            return declined(REASONS.get(reason, "declined"), brand, last4)  # type: ignore[arg-type]
        text = errors[0].get("errorText", "") if errors else _message(answer)
        log.warning("authorize.net refused a request: %s %s", reason or code, text)
        return declined("processing_error", brand, last4, f"{DECLINE_MESSAGES['processing_error']} ({text})")

    def _details(self, trans_id: str) -> dict[str, Any]:
        answer = self._post({"getTransactionDetailsRequest": {"merchantAuthentication": self._auth, "transId": trans_id}})
        return answer.get("transaction") or {}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(self.url, json=body)
            response.raise_for_status()
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            raise GatewayUnreachable() from exc
        # The API's JSON starts with a byte order mark.
        import json

        return json.loads(response.content.decode("utf-8-sig"))


def _amount(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _track(raw: str) -> dict[str, str]:
    """Track data as the API takes it: track 1 or track 2 without its start and end sentinels."""
    raw = raw.strip()
    if raw.startswith("%"):
        return {"track1": raw[1:].split("?", 1)[0]}
    start = raw.find(";")
    return {"track2": raw[start + 1:].split("?", 1)[0]}


def _message(answer: dict[str, Any]) -> str:
    messages = (answer.get("messages") or {}).get("message") or []
    return messages[0].get("text", "") if messages else ""
