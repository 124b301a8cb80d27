"""A local server that answers as Meta's WhatsApp Cloud API does, and calls back as its webhook does.

    with WhatsAppCloudServer(webhook_url="http://127.0.0.1:8000/webhooks/whatsapp/") as server:
        ...  # WHATSAPP_API_URL=server.url, WHATSAPP_ACCESS_TOKEN=server.access_token,
             # WHATSAPP_PHONE_NUMBER_ID=server.phone_number_id, WHATSAPP_APP_SECRET=server.app_secret
        server.wait_for_callbacks(lambda posted: len(posted) == 2)

POST /<version>/<phone-number-id>/messages checks like the real API: the bearer token (401, code
190), the phone-number id (400, code 100), `messaging_product`, `to` and `type` (400, code 100);
a text needs `text.body`; a template must be one this server knows as APPROVED in that language
(404, code 132001; 400, 132015/132016 when paused or disabled) with as many body parameters as
its body has placeholders and a parameter for each dynamic URL button (400, code 132000). It
answers 200 {"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid.…"}]},
or Meta's error body {"error": {"message", "type", "code", "error_data": {"messaging_product",
"details"}, "fbtrace_id"}}.

After a message is accepted, the statuses scripted for its number (sent, delivered by default;
`script_statuses` adds read) are posted to `webhook_url`, signed with X-Hub-Signature-256 as Meta
signs them. A text to a number that has not written within 24 hours (`customer_writes`) is
accepted and then fails by callback with 131047, as on the real API.

Numbers with a built-in outcome (others succeed):
  +254709CCCCCC, CCCCCC an error code below -> that error (0000004 is code 4, 131026 is 131026, …);
      the codes Meta reports later (131026, 131047, 131049, 131050) are accepted, then fail by callback
  +254708000SSS, SSS an HTTP status >= 400  -> that status with a proxy's HTML body, no Meta error
and any number can be scripted: `script(number, Outcome(code=…, http_status=…, delay=…))`, or
`script_failures(number, 130429, 130429)` to fail its next two requests, then accept.

GET /<version>/<business-account-id>/message_templates lists the templates (paged with `limit`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from chesanto_comms.embedded.provider_api import Outcome, ProviderApiServer, RecordedRequest, Reply
from chesanto_comms.numbers import is_whole_number

# code: (HTTP status, type, title) of the errors the send request answers at once
ERRORS = {
    2: (503, "OAuthException", "Service temporarily unavailable"),
    4: (429, "OAuthException", "Application request limit reached"),
    100: (400, "OAuthException", "Invalid parameter"),
    190: (401, "OAuthException", "Invalid OAuth access token - Cannot parse access token"),
    368: (403, "OAuthException", "Temporarily blocked for policies violations"),
    80007: (400, "OAuthException", "Rate limit issues"),
    130429: (400, "OAuthException", "Rate limit hit"),
    131000: (500, "OAuthException", "Something went wrong"),
    131008: (400, "OAuthException", "Required parameter is missing"),
    131009: (400, "OAuthException", "Parameter value is not valid"),
    131016: (503, "OAuthException", "Service unavailable"),
    131031: (403, "OAuthException", "Business Account locked"),
    131042: (400, "OAuthException", "Business eligibility payment issue"),
    131048: (400, "OAuthException", "Spam rate limit hit"),
    131051: (400, "OAuthException", "Unsupported message type"),
    131056: (400, "OAuthException", "(Business Account, Consumer Account) pair rate limit hit"),
    132000: (400, "OAuthException", "Number of parameters does not match the expected number of params"),
    132001: (404, "OAuthException", "Template name does not exist in the translation"),
    132015: (400, "OAuthException", "Template is Paused"),
    132016: (400, "OAuthException", "Template is Disabled"),
}
# code: title of the errors Meta reports later, in a failed status
DELIVERY_ERRORS = {
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
}
CODE_NUMBER = re.compile(r"\+254709(\d{6})")
STATUS_NUMBER = re.compile(r"\+254708000(\d{3})")
SEND_PATH = re.compile(r"/(v\d+\.\d+)/([^/]+)/messages")
TEMPLATES_PATH = re.compile(r"/(v\d+\.\d+)/([^/]+)/message_templates")
WINDOW_SECONDS = 24 * 3600
DEFAULT_STATUSES = ("sent", "delivered")


@dataclass(frozen=True)
class ServerTemplate:
    """A template as it stands in the business account."""

    name: str
    language: str
    category: str
    body: str  # with {{1}}, {{2}}, … placeholders
    url_buttons: tuple[int, ...] = ()  # indexes of buttons with a dynamic URL part (an OTP's copy-code button)
    status: str = "APPROVED"

    @property
    def body_parameters(self) -> int:
        return len(set(re.findall(r"\{\{\s*(\d+)\s*\}\}", self.body)))


# The templates docs/whatsapp.md asks to submit, approved.
DEFAULT_TEMPLATES = (
    ServerTemplate("chesanto_login_code", "en", "AUTHENTICATION",
                   "*{{1}}* is your verification code. For your security, do not share this code.", url_buttons=(0,)),
    ServerTemplate("chesanto_order_confirmation", "en", "UTILITY",
                   "Hello {{1}}, your order {{2}} is confirmed: {{3}} in all, for delivery {{4}}. "
                   "Thank you for ordering from Chesanto Bakery."),
    ServerTemplate("chesanto_payment_receipt", "en", "UTILITY",
                   "Hello {{1}}, we received {{2}} by {{3}} (ref {{4}}). Your receipt number is {{5}}. Asante!"),
    ServerTemplate("chesanto_delivery_update", "en", "UTILITY",
                   "Your order {{1}} is on its way. Expected: {{2}}. Driver: {{3}}. Reply here if you need us."),
)


@dataclass(frozen=True)
class PostedCallback:
    """One webhook call the server made, and what the webhook answered."""

    kind: str  # "status" or "message" (a customer writing)
    number: str  # E.164
    message_id: str
    status: str  # sent, delivered, read, failed; "" for a customer's message
    http_status: int  # the webhook's answer; 0 when it could not be reached
    answer: str
    body: bytes


def meta_error(code: int, details: str = "", http_status: int | None = None) -> Reply:
    status, kind, title = ERRORS.get(code, (http_status or 400, "OAuthException", "Error"))
    body = {"error": {"message": f"(#{code}) {title}", "type": kind, "code": code,
                      "error_data": {"messaging_product": "whatsapp", "details": details or title},
                      "fbtrace_id": "A" + base64.b64encode(os.urandom(15)).decode()}}
    return Reply(http_status or status, json.dumps(body).encode())


def new_message_id() -> str:
    return "wamid." + base64.b64encode(os.urandom(30)).decode()


class WhatsAppCloudServer(ProviderApiServer):
    def __init__(self, *, access_token: str = "whatsapp-test-token", phone_number_id: str = "106540352242922",
                 business_account_id: str = "102290129340398", app_secret: str = "whatsapp-test-app-secret",
                 webhook_url: str = "", templates: Iterable[ServerTemplate] = DEFAULT_TEMPLATES,
                 callback_delay: float = 0.5, **kwargs):
        super().__init__(api_key=access_token, username=phone_number_id, **kwargs)
        self.access_token, self.phone_number_id = access_token, phone_number_id
        self.business_account_id, self.app_secret = business_account_id, app_secret
        self.webhook_url = webhook_url
        self.callback_delay = callback_delay  # the real webhook follows the answer by a moment, too
        self.templates = {(t.name, t.language): t for t in templates}
        self.callbacks: list[PostedCallback] = []
        self.windows: dict[str, float] = {}  # number -> when the customer last wrote (time.time())
        self._statuses: dict[str, tuple[str, ...]] = {}
        self._failures: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._posted = threading.Condition()
        self._pending = 0  # messages whose callbacks are still to be posted

    # --- scripting --------------------------------------------------------------
    def script_statuses(self, number: str, *statuses: str) -> None:
        """The statuses posted for messages to `number` (default: sent, delivered)."""
        self._statuses[number] = statuses

    def script_failures(self, number: str, *codes: int) -> None:
        """The next requests to `number` fail with these codes, one each, then it is accepted."""
        with self._lock:
            self._failures[number] = list(codes)

    def builtin_outcome(self, number: str) -> Outcome:
        match = STATUS_NUMBER.fullmatch(number)
        if match and int(match.group(1)) >= 400:
            return Outcome(http_status=int(match.group(1)))
        match = CODE_NUMBER.fullmatch(number)
        if match and (int(match.group(1)) in ERRORS or int(match.group(1)) in DELIVERY_ERRORS):
            return Outcome(code=int(match.group(1)))
        return Outcome()

    def recipients(self, request: RecordedRequest) -> list[str]:
        to = request.form.get("to") if isinstance(request.form, dict) else None
        return ["+" + str(to).lstrip("+")] if to else []

    # --- the API ------------------------------------------------------------------
    def answer(self, method: str, path: str, headers: dict[str, str], form: dict) -> Reply:
        route, _, query = path.partition("?")
        if headers.get("authorization", "") != f"Bearer {self.access_token}":
            return meta_error(190)
        if match := SEND_PATH.fullmatch(route):
            if method != "POST":
                return meta_error(100, "Unsupported get request on /messages")
            if match.group(2) != self.phone_number_id:
                return meta_error(100, f"Unsupported post request. Object with ID '{match.group(2)}' does not exist, "
                                       "cannot be loaded due to missing permissions, or does not support this operation")
            return self._send(form)
        if (match := TEMPLATES_PATH.fullmatch(route)) and method == "GET":
            if match.group(2) != self.business_account_id:
                return meta_error(100, f"Unsupported get request. Object with ID '{match.group(2)}' does not exist")
            return self._templates(route, parse_qs(query))
        return meta_error(100, f"Unknown path components: {route}")

    def _send(self, form: dict) -> Reply:
        if form.get("messaging_product") != "whatsapp":
            return meta_error(100, "The parameter messaging_product is required and must be 'whatsapp'.")
        to = str(form.get("to") or "")
        if not is_whole_number(to.lstrip("+")):
            return meta_error(100, "The parameter to is required.")
        number = "+" + to.lstrip("+")
        kind = form.get("type")
        if kind == "text":
            body = (form.get("text") or {}).get("body") if isinstance(form.get("text"), dict) else None
            if not body:
                return meta_error(100, "The parameter text['body'] is required.")
        elif kind == "template":
            if refused := self._check_template(form.get("template")):
                return refused
        else:
            return meta_error(131051 if kind else 100, f"Message type {kind!r} is not supported here")
        with self._lock:
            failures = self._failures.get(number)
            scripted_failure = failures.pop(0) if failures else None
        if scripted_failure is not None:
            return meta_error(scripted_failure)
        outcome = self.outcome_for(number)
        if outcome.http_status:
            return Reply(outcome.http_status, b"<html><body>Bad Gateway</body></html>", content_type="text/html",
                         delay=outcome.delay)
        if outcome.code in ERRORS:
            return replace(meta_error(outcome.code), delay=outcome.delay)
        late_error = outcome.code if outcome.code in DELIVERY_ERRORS else None
        if kind == "text" and late_error is None and not self._window_open(number):
            late_error = 131047
        message_id = new_message_id()
        self._call_back_later(number, message_id, late_error)
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                  "messages": [{"id": message_id, **({"message_status": "accepted"} if kind == "template" else {})}]}
        return Reply(200, json.dumps(answer).encode(), delay=outcome.delay)

    def _check_template(self, template) -> Reply | None:
        if not isinstance(template, dict) or not template.get("name"):
            return meta_error(100, "The parameter template['name'] is required.")
        language = (template.get("language") or {}).get("code") if isinstance(template.get("language"), dict) else None
        if not language:
            return meta_error(100, "The parameter template['language']['code'] is required.")
        known = self.templates.get((template["name"], language))
        if known is None or known.status in ("PENDING", "REJECTED"):
            return meta_error(132001, f"template name ({template['name']}) does not exist in {language}")
        if known.status == "PAUSED":
            return meta_error(132015, f"template ({template['name']}) is paused for low quality")
        if known.status == "DISABLED":
            return meta_error(132016, f"template ({template['name']}) is disabled")
        components = template.get("components") or []
        body = [c for c in components if isinstance(c, dict) and c.get("type") == "body"]
        parameters = (body[0].get("parameters") or []) if body else []
        if len(parameters) != known.body_parameters:
            return meta_error(132000, f"body: number of localizable_params ({len(parameters)}) does not match the "
                                      f"expected number of params ({known.body_parameters})")
        if any(not isinstance(p, dict) or p.get("type") != "text" or not str(p.get("text") or "").strip()
               for p in parameters):
            return meta_error(131008, "Parameter of type text is missing text value")
        for index in known.url_buttons:
            button = [c for c in components if isinstance(c, dict) and c.get("type") == "button"
                      and c.get("sub_type") == "url" and str(c.get("index")) == str(index)]
            if not button or len(button[0].get("parameters") or []) != 1:
                return meta_error(132000, f"buttons: button at index {index} of type Url requires a parameter")
        return None

    def _templates(self, route: str, query: dict[str, list[str]]) -> Reply:
        limit = int((query.get("limit") or ["25"])[0])
        start = int((query.get("after") or ["0"])[0])
        listed = list(self.templates.values())
        page = listed[start:start + limit]
        data = [{"name": t.name, "language": t.language, "status": t.status, "category": t.category,
                 "id": str(abs(hash((t.name, t.language))) % 10**15),
                 "components": [{"type": "BODY", "text": t.body}]} for t in page]
        paging: dict = {"cursors": {"before": str(start), "after": str(start + len(page))}}
        if start + limit < len(listed):
            paging["next"] = f"{self.url}{route}?{urlencode({'limit': limit, 'after': start + limit})}"
        return Reply(200, json.dumps({"data": data, "paging": paging}).encode())

    def _window_open(self, number: str) -> bool:
        wrote = self.windows.get(number)
        return wrote is not None and time.time() - wrote < WINDOW_SECONDS

    # --- the webhook ------------------------------------------------------------------
    def customer_writes(self, number: str, text: str = "Habari, is my order coming today?") -> PostedCallback:
        """The customer sends a message to the business number: it opens their window, and the
        webhook is told (now, not later)."""
        self.windows[number] = time.time()
        message = {"from": number.lstrip("+"), "id": new_message_id(), "timestamp": str(int(time.time())),
                   "type": "text", "text": {"body": text}}
        value = {"contacts": [{"profile": {"name": "Customer"}, "wa_id": number.lstrip("+")}], "messages": [message]}
        return self._post("message", number, message["id"], "", value)

    def status_body(self, number: str, message_id: str, status: str, error: int | None = None) -> dict:
        """A status as Meta's webhook carries it (the `value` of a `messages` change)."""
        entry = {"id": message_id, "status": status, "timestamp": str(int(time.time())),
                 "recipient_id": number.lstrip("+")}
        if status in ("sent", "delivered"):
            entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
        if error is not None:
            entry["errors"] = [{"code": error, "title": DELIVERY_ERRORS.get(error, "Error"),
                                "message": DELIVERY_ERRORS.get(error, "Error"),
                                "error_data": {"details": DELIVERY_ERRORS.get(error, "Error")},
                                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
        return {"statuses": [entry]}

    def signed(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def envelope(self, value: dict) -> bytes:
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "254700111222", "phone_number_id": self.phone_number_id}, **value}
        return json.dumps({"object": "whatsapp_business_account", "entry": [
            {"id": self.business_account_id, "changes": [{"value": value, "field": "messages"}]}]}).encode()

    def _call_back_later(self, number: str, message_id: str, error: int | None) -> None:
        if not self.webhook_url:
            return
        statuses = ("sent", "failed") if error is not None else self._statuses.get(number, DEFAULT_STATUSES)

        def call_back():
            try:
                time.sleep(self.callback_delay)
                for status in statuses:
                    self._post("status", number, message_id, status,
                               self.status_body(number, message_id, status, error if status == "failed" else None))
            finally:
                with self._posted:
                    self._pending -= 1
                    self._posted.notify_all()

        with self._posted:
            self._pending += 1
        threading.Thread(target=call_back, name=f"whatsapp-callbacks-{number}", daemon=True).start()

    def _post(self, kind: str, number: str, message_id: str, status: str, value: dict) -> PostedCallback:
        body = self.envelope(value)
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": self.signed(body)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                http_status, answer = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            http_status, answer = exc.code, exc.read().decode("utf-8", "replace")
        except OSError as exc:
            http_status, answer = 0, f"{type(exc).__name__}: {exc}"
        posted = PostedCallback(kind, number, message_id, status, http_status, answer, body)
        with self._posted:
            self.callbacks.append(posted)
            self._posted.notify_all()
        return posted

    def join(self, timeout: float = 30.0) -> None:
        """Wait until every accepted message's callbacks have been posted."""
        self.wait_for_callbacks(lambda posted: self._pending == 0, timeout)

    def wait_for_callbacks(self, predicate: Callable[[list[PostedCallback]], bool],
                           timeout: float = 30.0) -> list[PostedCallback]:
        deadline = time.monotonic() + timeout
        with self._posted:
            while not predicate(self.callbacks):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"WhatsAppCloudServer: callbacks not as expected after {timeout}s "
                                       f"({len(self.callbacks)} posted)")
                self._posted.wait(remaining)
            return list(self.callbacks)
