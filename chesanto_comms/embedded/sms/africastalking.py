"""A local server that answers as Africa's Talking's SMS API does (POST /version1/messaging).

Checks like the real API: the `apiKey` header and the `username` field (401 with a text
body when either is wrong), the required `username`, `to` and `message` fields (400).
Answers 201 with SMSMessageData, one Recipients entry per number in `to` (comma-separated).

With `sender_ids`, a `from` outside them is refused as the API does for an unapproved
sender ID: 201 with an empty Recipients list and Message "InvalidSenderId".

Numbers with a built-in outcome (others succeed with statusCode 101):
  +254700000NNN, NNN a per-recipient statusCode (100-102, 401-409, 500-502) -> that statusCode
  +254700000NNN, NNN another HTTP error status (429, 503, ...)               -> that HTTP status
and any number can be scripted with `script(number, Outcome(code=..., http_status=..., delay=...))`.
"""
from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

from chesanto_comms.embedded.provider_api import Outcome, ProviderApiServer, RecordedRequest, Reply
from chesanto_comms.gsm import analyse

STATUS_NAMES = {
    100: "Processed", 101: "Sent", 102: "Queued",
    401: "RiskHold", 402: "InvalidSenderId", 403: "InvalidPhoneNumber", 404: "UnsupportedNumberType",
    405: "InsufficientBalance", 406: "UserInBlacklist", 407: "CouldNotRoute", 409: "DoNotDisturbRejection",
    500: "InternalServerError", 501: "GatewayError", 502: "RejectedByGateway",
}
TEST_NUMBER = re.compile(r"\+254700000(\d{3})")
E164 = re.compile(r"\+[1-9]\d{7,14}")


class AfricasTalkingServer(ProviderApiServer):
    def __init__(self, *, api_key: str = "at-test-key", username: str = "chesanto",
                 price_per_segment: Decimal = Decimal("0.8000"), currency: str = "KES",
                 sender_ids: set[str] | None = None, **kwargs):
        super().__init__(api_key=api_key, username=username, **kwargs)
        self.price_per_segment, self.currency = price_per_segment, currency
        self.sender_ids = sender_ids

    def builtin_outcome(self, number: str) -> Outcome:
        match = TEST_NUMBER.fullmatch(number)
        if match:
            code = int(match.group(1))
            if code in STATUS_NAMES:
                return Outcome(code=code)
            if code >= 400:
                return Outcome(http_status=code)
        if not E164.fullmatch(number):
            return Outcome(code=403)
        return Outcome(code=101)

    def recipients(self, request: RecordedRequest) -> list[str]:
        return [n.strip() for n in request.form.get("to", "").split(",") if n.strip()]

    def answer(self, method: str, path: str, headers: dict[str, str], form: dict[str, str]) -> Reply:
        if path.split("?")[0] != "/version1/messaging":
            return Reply(404, b"Not Found", "text/plain")
        if method != "POST":
            return Reply(405, b"Method Not Allowed", "text/plain")
        if headers.get("apikey") != self.api_key or form.get("username", self.username) != self.username:
            return Reply(401, b"The supplied authentication is invalid", "text/plain")
        for name in ("username", "to", "message"):
            if not form.get(name):
                return Reply(400, f"Request is missing required form field '{name}'".encode(), "text/plain")
        if self.sender_ids is not None and form.get("from") and form["from"] not in self.sender_ids:
            return Reply(201, json.dumps({"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}).encode())
        numbers = [n.strip() for n in form["to"].split(",") if n.strip()]
        outcomes = [self.outcome_for(n) for n in numbers]
        delay = max(o.delay for o in outcomes)
        http_error = next((o.http_status for o in outcomes if o.http_status), None)
        if http_error:
            return Reply(http_error, f"HTTP {http_error}".encode(), "text/plain", delay=delay)
        segments = analyse(form["message"]).segments
        entries = [self._entry(n, o.code or 101, segments) for n, o in zip(numbers, outcomes)]
        sent = [e for e in entries if e["statusCode"] in (100, 101, 102)]
        total = sum((self.price_per_segment * segments for _ in sent), Decimal("0"))
        body = {"SMSMessageData": {
            "Message": f"Sent to {len(sent)}/{len(entries)} Total Cost: {self.currency} {total:.4f}",
            "Recipients": entries,
        }}
        return Reply(201, json.dumps(body).encode(), delay=delay)

    def _entry(self, number: str, code: int, segments: int) -> dict:
        ok = code in (100, 101, 102)
        return {
            "statusCode": code,
            "number": number,
            "status": "Success" if ok else STATUS_NAMES.get(code, "Unknown"),
            "cost": f"{self.currency} {self.price_per_segment * segments:.4f}" if ok else "0",
            "messageId": f"ATXid_{uuid.uuid4().hex}" if ok else "None",
        }
