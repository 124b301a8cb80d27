"""A local server that answers as Postmark's email API does (POST /email, JSON).

Checks like the real API: the X-Postmark-Server-Token header (401, ErrorCode 10) and the
required From/To fields (422, ErrorCode 300). Answers 200 with To, SubmittedAt, MessageID,
ErrorCode 0 and Message "OK".

Recipients with a built-in outcome (others are accepted):
  inactive-*@…  -> 422, ErrorCode 406 "You tried to send to a recipient that has been marked as inactive …"
  ratelimited-*@… -> 429 (Postmark's rate limit)
  unavailable-*@… -> 500
and any address can be scripted with `script(address, Outcome(code=..., http_status=..., delay=...))`.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from chesanto_comms.embedded.provider_api import Outcome, ProviderApiServer, RecordedRequest, Reply


def _json(status: int, body: dict) -> Reply:
    return Reply(status, json.dumps(body).encode())


class PostmarkServer(ProviderApiServer):
    def __init__(self, *, server_token: str = "postmark-test-token", **kwargs):
        super().__init__(api_key=server_token, username="", **kwargs)

    @property
    def api_url(self) -> str:
        """The value for ANYMAIL's POSTMARK_API_URL."""
        return f"{self.url}/"

    def builtin_outcome(self, address: str) -> Outcome:
        local = address.split("@", 1)[0]
        if local.startswith("inactive-"):
            return Outcome(code=406)
        if local.startswith("ratelimited-"):
            return Outcome(http_status=429)
        if local.startswith("unavailable-"):
            return Outcome(http_status=500)
        return Outcome()

    def recipients(self, request: RecordedRequest) -> list[str]:
        to = request.form.get("To", "") if isinstance(request.form, dict) else ""
        return [part.strip().split("<")[-1].rstrip(">") for part in to.split(",") if part.strip()]

    def answer(self, method: str, path: str, headers: dict[str, str], form: dict) -> Reply:
        if method != "POST" or path != "/email":
            return _json(404, {"ErrorCode": 404, "Message": f"no such endpoint: {method} {path}"})
        if headers.get("x-postmark-server-token") != self.api_key:
            return _json(401, {"ErrorCode": 10, "Message": "The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token."})
        if not form.get("From") or not form.get("To"):
            return _json(422, {"ErrorCode": 300, "Message": "Invalid email request: 'From' and 'To' are required."})
        to = form["To"]
        address = to.split("<")[-1].rstrip(">").strip()
        outcome = self.outcome_for(address)
        if outcome.http_status:
            return Reply(outcome.http_status, json.dumps({"ErrorCode": 100, "Message": "Service unavailable"}).encode()
                         if outcome.http_status >= 500 else b'{"ErrorCode": 429, "Message": "Rate limit exceeded"}',
                         delay=outcome.delay)
        if outcome.code == 406:
            return _json(422, {"ErrorCode": 406, "Message": (
                "You tried to send to a recipient that has been marked as inactive.\n"
                f" Found inactive addresses: {address.lower()}.\n"
                " Inactive recipients are ones that have generated a hard bounce or a spam complaint. ")})
        return Reply(200, json.dumps({
            "To": to, "SubmittedAt": datetime.now(timezone.utc).isoformat(),
            "MessageID": str(uuid.uuid4()), "ErrorCode": 0, "Message": "OK",
        }).encode(), delay=outcome.delay)
