"""A local stand-in for Authorize.Net's JSON API, built from its published API reference, for the
adapter's tests (server.payments.authorize_net). Real HTTP on loopback, in a thread.

What it does as the reference describes: merchant authentication (E00007 when wrong), the
authCaptureTransaction of a keyed card or track data, the sandbox's decline trigger (card
4222222222222 answers the response reason code given as the amount's dollars), the duplicate
window (error 11 with the first transaction's id and approval), voidTransaction (not once
settled), refundTransaction (settled only, last four digits, never more than is left),
getUnsettledTransactionListRequest and getTransactionDetailsRequest; answers start with a BOM.
Controls: `hold_next(seconds)` delays the next answer after the transaction is made (a timeout
with the charge done), `settle()` closes the batch, `transactions` is what it holds.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOGIN, KEY = "frontdesk-test", "0123456789ABCDEF"
DECLINE_CARD = "4222222222222"
TEXTS = {"1": "This transaction has been approved.", "2": "This transaction has been declined.",
         "11": "A duplicate transaction has been submitted.", "16": "The transaction cannot be found.",
         "54": "The referenced transaction does not meet the criteria for issuing a credit.",
         "55": "The sum of credits against the referenced transaction would exceed original debit amount.",
         "310": "This transaction has already been voided."}  # fmt: skip
BRANDS = {"4": "Visa", "5": "MasterCard", "3": "AmericanExpress", "6": "Discover"}


class AuthorizeNetStandIn:
    def __init__(self) -> None:
        self.transactions: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self._hold = 0.0
        self._next_id = 40_000_000_001
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer, hold = stand_in.answer(body)
                if hold:
                    time.sleep(hold)
                data = "\ufeff".encode() + json.dumps(answer).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: the transaction stands, as at the real gateway

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="authorize-net-stand-in", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/xml/v1/request.api"

    def __enter__(self) -> AuthorizeNetStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def hold_next(self, seconds: float) -> None:
        self._hold = seconds

    def settle(self) -> None:
        with self._lock:
            for t in self.transactions.values():
                if t["transactionStatus"] == "capturedPendingSettlement":
                    t["transactionStatus"] = "settledSuccessfully"

    # -- the API -----------------------------------------------------------------------------

    def answer(self, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        with self._lock:
            self.requests += 1
            (name, request), = body.items()
            auth = request.get("merchantAuthentication") or {}
            if (auth.get("name"), auth.get("transactionKey")) != (LOGIN, KEY):
                return _error("E00007", "User authentication failed due to invalid authentication values."), 0.0
            if name == "createTransactionRequest":
                hold, self._hold = self._hold, 0.0
                out = self._transaction(request["transactionRequest"])
                return {"transactionResponse": out, "refId": request.get("refId", ""), **_ok()}, hold
            if name == "getUnsettledTransactionListRequest":
                listed = [{k: t[k] for k in ("transId", "invoiceNumber", "transactionStatus", "accountType", "accountNumber",
                                             "settleAmount")} for t in self.transactions.values()
                          if t["transactionStatus"] not in ("settledSuccessfully", "refundSettledSuccessfully")]  # fmt: skip
                return {"transactions": listed, **_ok()}, 0.0
            if name == "getTransactionDetailsRequest":
                t = self.transactions.get(request.get("transId", ""))
                if t is None:
                    return _error("E00040", "The record cannot be found."), 0.0
                return {"transaction": {**t, "payment": {"creditCard": {"cardNumber": t["accountNumber"]}}}, **_ok()}, 0.0
            return _error("E00003", f"The element '{name}' is not known."), 0.0

    def _transaction(self, r: dict[str, Any]) -> dict[str, Any]:
        kind = r.get("transactionType")
        if kind == "authCaptureTransaction":
            return self._sale(r)
        target = self.transactions.get(str(r.get("refTransId", "")))
        if target is None:
            return _response("3", "16")
        if kind == "voidTransaction":
            if target["transactionStatus"] == "voided":
                return _response("3", "310", target)
            if target["transactionStatus"] != "capturedPendingSettlement":
                return _response("3", "16", target)
            target["transactionStatus"] = "voided"
            return _response("1", "1", target)
        if kind == "refundTransaction":
            amount = float(r["amount"])
            if target["transactionStatus"] != "settledSuccessfully" or r["payment"]["creditCard"]["cardNumber"] != target["accountNumber"][-4:]:
                return _response("3", "54", target)
            if amount > target["settleAmount"] - target["refunded"] + 1e-9:
                return _response("3", "55", target)
            target["refunded"] += amount
            refund = self._new("refundPendingSettlement", amount, r.get("order", {}).get("invoiceNumber", ""),
                               target["accountNumber"], target["accountType"])  # fmt: skip
            return _response("1", "1", refund)
        return _response("3", "3")

    def _sale(self, r: dict[str, Any]) -> dict[str, Any]:
        payment = r["payment"]
        if "creditCard" in payment:
            number = payment["creditCard"]["cardNumber"]
        else:
            track = payment["trackData"]
            number = track["track2"].split("=", 1)[0] if "track2" in track else track["track1"][1:].split("^", 1)[0]
        amount, invoice = float(r["amount"]), r.get("order", {}).get("invoiceNumber", "")
        window = next((int(s["settingValue"]) for s in r.get("transactionSettings", {}).get("setting", [])
                       if s["settingName"] == "duplicateWindow"), 120)  # fmt: skip
        for t in self.transactions.values():
            if (t["number"], t["settleAmount"], t["invoiceNumber"]) == (number, amount, invoice) and \
                    time.monotonic() - t["at"] < window:  # fmt: skip
                return _response("3", "11", t)  # the first transaction's id and approval come back
        masked, brand = "XXXX" + number[-4:], BRANDS.get(number[:1], "Visa")
        if number == DECLINE_CARD:
            reason = str(int(amount))
            t = self._new("declined", amount, invoice, masked, brand, number=number)
            return _response("2", reason if reason != "1" else "2", t, auth="")
        t = self._new("capturedPendingSettlement", amount, invoice, masked, brand, number=number)
        return _response("1", "1", t)

    def _new(self, status: str, amount: float, invoice: str, masked: str, brand: str, number: str = "") -> dict[str, Any]:
        trans_id = str(self._next_id)
        self._next_id += 1
        t = {"transId": trans_id, "transactionStatus": status, "settleAmount": amount, "invoiceNumber": invoice,
             "accountNumber": masked, "accountType": brand, "authCode": f"A{trans_id[-5:]}" if status != "declined" else "",
             "refunded": 0.0, "number": number, "at": time.monotonic()}  # fmt: skip
        self.transactions[trans_id] = t
        return t


def _response(code: str, reason: str, t: dict[str, Any] | None = None, auth: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"responseCode": code, "transId": t["transId"] if t else "0",
                           "authCode": (t or {}).get("authCode", "") if auth is None else auth,
                           "accountNumber": (t or {}).get("accountNumber", ""), "accountType": (t or {}).get("accountType", "")}  # fmt: skip
    if code == "1":
        out["messages"] = [{"code": reason, "description": TEXTS["1"]}]
    else:
        out["errors"] = [{"errorCode": reason, "errorText": TEXTS.get(reason, "This transaction has been declined.")}]
    return out


def _ok() -> dict[str, Any]:
    return {"messages": {"resultCode": "Ok", "message": [{"code": "I00001", "text": "Successful."}]}}


def _error(code: str, text: str) -> dict[str, Any]:
    return {"messages": {"resultCode": "Error", "message": [{"code": code, "text": text}]}}
