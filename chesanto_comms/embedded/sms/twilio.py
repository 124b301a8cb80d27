"""A local server that answers as Twilio's Messages API does
(POST /2010-04-01/Accounts/{AccountSid}/Messages.json).

Checks like the real API: HTTP basic auth (Account SID, auth token) matching the SID in
the path (401, code 20003), the required To, From and Body fields (400, codes 21604,
21603, 21602), an E.164 'To' (400, code 21211). Answers 201 with the Message resource,
status "queued" and price null (or `price` if given).

Numbers with a built-in outcome (others succeed):
  Twilio's magic test numbers: +15005550001 -> 21211, +15005550002 -> 21612,
      +15005550003 -> 21408, +15005550004 -> 21610, +15005550009 -> 21614
  +2547000CCCCC, CCCCC a Twilio error code below -> that error (3xxxx: created with status "failed")
  +254700000NNN, NNN an HTTP error status -> that status (429 with code 20429, 5xx with 20500)
and any number can be scripted with `script(number, Outcome(code=..., http_status=..., delay=...))`.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from email.utils import formatdate

from chesanto_comms.embedded.provider_api import Outcome, ProviderApiServer, RecordedRequest, Reply
from chesanto_comms.gsm import analyse

ERRORS = {  # code: (HTTP status, message)
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21606: (400, "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21612: (400, "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number via SMS."),
    21614: (400, "'To' number {to} is not a valid mobile number"),
}
DELIVERY_ERRORS = {30003: "Unreachable destination handset", 30005: "Unknown destination handset",
                   30006: "Landline or unreachable carrier", 30007: "Carrier violation", 30008: "Unknown error"}
MAGIC_NUMBERS = {"+15005550001": 21211, "+15005550002": 21612, "+15005550003": 21408,
                 "+15005550004": 21610, "+15005550009": 21614}
CODE_NUMBER = re.compile(r"\+2547000(\d{5})")
STATUS_NUMBER = re.compile(r"\+254700000(\d{3})")
E164 = re.compile(r"\+[1-9]\d{7,14}")
PATH = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")


def error_reply(code: int, to: str = "", http_status: int | None = None, delay: float = 0.0) -> Reply:
    status, message = ERRORS.get(code, (http_status or 400, "Error"))
    body = {"code": code, "message": message.format(to=to), "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": http_status or status}
    return Reply(http_status or status, json.dumps(body).encode(), delay=delay)


class TwilioServer(ProviderApiServer):
    def __init__(self, *, api_key: str = "twilio-test-token", username: str = "AC" + "0" * 31 + "1",
                 price: str | None = None, price_unit: str = "USD", **kwargs):
        super().__init__(api_key=api_key, username=username, **kwargs)
        self.price, self.price_unit = price, price_unit

    def builtin_outcome(self, number: str) -> Outcome:
        if number in MAGIC_NUMBERS:
            return Outcome(code=MAGIC_NUMBERS[number])
        match = STATUS_NUMBER.fullmatch(number)
        if match and int(match.group(1)) >= 400:
            return Outcome(http_status=int(match.group(1)))
        match = CODE_NUMBER.fullmatch(number)
        if match and (int(match.group(1)) in ERRORS or int(match.group(1)) in DELIVERY_ERRORS):
            return Outcome(code=int(match.group(1)))
        if not E164.fullmatch(number):
            return Outcome(code=21211)
        return Outcome()

    def recipients(self, request: RecordedRequest) -> list[str]:
        return [request.form["To"]] if request.form.get("To") else []

    def answer(self, method: str, path: str, headers: dict[str, str], form: dict[str, str]) -> Reply:
        match = PATH.fullmatch(path.split("?")[0])
        if not match:
            return error_reply(20404)
        if not self._authorised(headers.get("authorization", ""), match.group(1)):
            return error_reply(20003)
        if method != "POST":
            return Reply(405, b'{"code": 20004, "message": "Method not allowed", "status": 405}')
        for name, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
            if not form.get(name):
                return error_reply(code)
        to = form["To"]
        outcome = self.outcome_for(to)
        if outcome.http_status:
            code = {401: 20003, 404: 20404, 429: 20429}.get(outcome.http_status, 20500 if outcome.http_status >= 500 else 21000)
            return error_reply(code, to, http_status=outcome.http_status, delay=outcome.delay)
        if outcome.code in ERRORS:
            return error_reply(outcome.code, to, delay=outcome.delay)
        return Reply(201, json.dumps(self._message(form, outcome.code)).encode(), delay=outcome.delay)

    def _authorised(self, authorization: str, path_sid: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            sid, _, token = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return sid == self.username == path_sid and token == self.api_key

    def _message(self, form: dict[str, str], delivery_error: int | None) -> dict:
        sid = "SM" + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        return {
            "account_sid": self.username, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": delivery_error, "error_message": DELIVERY_ERRORS.get(delivery_error),
            "from": form["From"], "messaging_service_sid": None, "num_media": "0",
            "num_segments": str(analyse(form["Body"]).segments),
            "price": self.price, "price_unit": self.price_unit, "sid": sid,
            "status": "failed" if delivery_error else "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.username}/Messages/{sid}/Media.json"},
            "to": form["To"], "uri": f"/2010-04-01/Accounts/{self.username}/Messages/{sid}.json",
        }
