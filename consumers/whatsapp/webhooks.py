"""The Cloud API's webhook: GET and POST /webhooks/whatsapp/ (docs/whatsapp.md, "Webhook").

GET is Meta's verification handshake: hub.mode=subscribe and hub.verify_token equal to
WHATSAPP_WEBHOOK_VERIFY_TOKEN are answered with hub.challenge; anything else is refused (403).

POST carries `messages` changes, signed: X-Hub-Signature-256 = "sha256=" + the hex HMAC-SHA256 of
the raw body, keyed with the app secret (WHATSAPP_APP_SECRET), compared in constant time. An
unsigned or forged body is refused (403) and counted, never read. An authentic body may hold:
- `statuses`: sent, delivered, read (opened_at), failed (with `errors`) of the messages we sent, each applied
  once to the WhatsAppLog row of its message id (wamid) through consumers/log_rows.py (`advance`); a status seen
  before is a replay (receipts, base.py) and one older than the replay window is refused;
- `messages`: what customers wrote, which opens their customer-service window (window.py); a text that is
  STOP or START (or a synonym) opts the sender out of WhatsApp or back in, as by SMS (consumers/opt_outs.py);
- `user_preferences` (a field of its own): the user stopped or resumed our marketing messages in WhatsApp, and a
  failed status with error 131050 says the same: recorded as an opt-out of marketing on WhatsApp.
Statuses are answered together: 409 when every one was a replay, else 200 (Meta retries others).
With no app secret set the endpoint is off (404).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from contextlib import suppress
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chesanto_comms.numbers import is_whole_number
from consumers import opt_outs
from consumers.delivery_log import DeliveryStatus
from consumers.log_rows import Change
from consumers.webhooks import replay
from consumers.webhooks.base import (
    APPLIED,
    DUPLICATE,
    HTTP_STATUS,
    REFUSED_FORGED,
    REFUSED_REPLAY,
    REFUSED_UNSIGNED,
    UNKNOWN_MESSAGE,
    answer,
    count,
    endpoint_off,
    settle,
)
from consumers.whatsapp import window
from consumers.whatsapp.errors import verdict_for
from consumers.whatsapp.models import WhatsAppLog
from consumers.whatsapp.settings import whatsapp_settings
from outbox.events.categories import Category
from outbox.events.phones import InvalidPhoneNumber

PROVIDER = "whatsapp"  # the webhook counter's provider label
CHANNEL = "whatsapp"
MARKETING_STOPPED = 131050  # "the user has chosen to stop receiving marketing messages"
SIGNATURE_PREFIX = "sha256="


def signature(body: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256 as Meta computes it."""
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed_by(body: bytes, header: str, app_secret: str) -> bool:
    return hmac.compare_digest(signature(body, app_secret).encode(), header.strip().encode())


def moment(timestamp: Any) -> datetime | None:
    """Meta's Unix time in seconds, as text."""
    try:
        return datetime.fromtimestamp(int(timestamp), tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def describe_error(errors: Any) -> tuple[DeliveryStatus, str]:
    """(the log status, the error message) a failed status's `errors` imply."""
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    verdict = verdict_for(code)
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    said = "; ".join(str(part) for part in (error.get("title") or error.get("message"), details) if part)
    status = DeliveryStatus.FAILED if verdict.retry else verdict.status  # Meta gave up on it: a retry cannot follow a callback
    return status, f"WhatsApp failed, error {code if code is not None else '-'}: {said or 'no details'} ({verdict.meaning})"


def change_for(status: dict[str, Any]) -> Change:
    word, at = str(status.get("status", "")), moment(status.get("timestamp"))
    if word == "sent":
        return Change(status=DeliveryStatus.SENT)
    if word == "delivered":
        return Change(status=DeliveryStatus.DELIVERED, at=at)
    if word == "read":  # read implies delivered, should the delivery report come late or never
        return Change(status=DeliveryStatus.DELIVERED, at=at, opened_at=at or timezone.now())
    if word == "failed":
        new_status, error = describe_error(status.get("errors"))
        return Change(status=new_status, error=error)
    return Change()  # deleted, warning, …: nothing the log records


def status_outcome(status: dict[str, Any]) -> str:
    message_id = str(status.get("id") or "")
    if not message_id:
        return UNKNOWN_MESSAGE
    if replay.too_old(moment(status.get("timestamp"))):
        return REFUSED_REPLAY  # older than the receipts we keep: cannot be told from a replay
    content = replay.digest([message_id, status.get("status"), status.get("timestamp"), status.get("recipient_id"),
                             status.get("errors")])
    return settle(PROVIDER, content, WhatsAppLog.objects.filter(provider_message_id=message_id), change_for(status))


def inbound_outcome(message: dict[str, Any]) -> str:
    sender, at = str(message.get("from") or ""), moment(message.get("timestamp"))
    if not is_whole_number(sender) or at is None:
        return UNKNOWN_MESSAGE
    text = message.get("text")
    if isinstance(text, dict) and isinstance(text.get("body"), str):
        try:
            opt_outs.apply(CHANNEL, "+" + sender, text["body"], PROVIDER)  # STOP / START, as by SMS
        except InvalidPhoneNumber:
            return UNKNOWN_MESSAGE
    return APPLIED if window.record_inbound("+" + sender, at) else DUPLICATE


def marketing_refused(status: dict[str, Any]) -> None:
    """Meta refused a marketing message because the user stopped marketing messages (131050): record it, so the
    next ones are SUPPRESSED here instead of paid for and refused there."""
    errors = status.get("errors")
    recipient = str(status.get("recipient_id") or "")
    if status.get("status") != "failed" or not is_whole_number(recipient) or not isinstance(errors, list):
        return
    if any(isinstance(e, dict) and e.get("code") == MARKETING_STOPPED for e in errors):
        with suppress(InvalidPhoneNumber):  # not a number we could have sent to: nothing to record
            opt_outs.opt_out(CHANNEL, "+" + recipient, Category.MARKETING, wording="stopped marketing messages in "
                             f"WhatsApp (error {MARKETING_STOPPED} on a message to them)", note=f"{PROVIDER} status")


def preference_outcome(preference: dict[str, Any]) -> str:
    """A `user_preferences` change: the user stopped (or resumed) the business's marketing messages in WhatsApp."""
    user, word = str(preference.get("wa_id") or ""), str(preference.get("value") or "")
    if not is_whole_number(user) or preference.get("category") != "marketing_messages":
        return UNKNOWN_MESSAGE
    wording = f"{word} marketing messages in WhatsApp" + (f" ({preference['detail']})" if preference.get("detail") else "")
    note = f"{PROVIDER} user_preferences"
    record = {"stop": opt_outs.opt_out, "resume": opt_outs.resume}.get(word)
    if record is None:
        return UNKNOWN_MESSAGE
    try:
        changed = record(CHANNEL, "+" + user, Category.MARKETING, wording, note)
    except InvalidPhoneNumber:
        return UNKNOWN_MESSAGE
    return APPLIED if changed is not None else DUPLICATE


def changes(body: Any, field: str = "messages") -> list[dict[str, Any]]:
    """The `value` of each change of `field` in the callback."""
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        return []
    return [change["value"] for entry in body["entry"] if isinstance(entry, dict)
            for change in entry.get("changes") or []
            if isinstance(change, dict) and change.get("field") == field and isinstance(change.get("value"), dict)]


def handshake(request: HttpRequest) -> HttpResponse:
    expected = whatsapp_settings.WHATSAPP_WEBHOOK_VERIFY_TOKEN
    if not expected:
        return endpoint_off(PROVIDER, "WHATSAPP_WEBHOOK_VERIFY_TOKEN")
    if request.GET.get("hub.mode") != "subscribe":
        return answer(PROVIDER, REFUSED_UNSIGNED, "hub.mode is not 'subscribe'")
    if not constant_time_compare(request.GET.get("hub.verify_token", ""), expected):
        return answer(PROVIDER, REFUSED_FORGED, "hub.verify_token does not match WHATSAPP_WEBHOOK_VERIFY_TOKEN")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain; charset=utf-8")


def callback(request: HttpRequest) -> HttpResponse:
    secret = whatsapp_settings.WHATSAPP_APP_SECRET
    if not secret:
        return endpoint_off(PROVIDER, "WHATSAPP_APP_SECRET")
    given = request.headers.get("X-Hub-Signature-256", "")
    if not given:
        return answer(PROVIDER, REFUSED_UNSIGNED, "no X-Hub-Signature-256 header")
    if not signed_by(request.body, given, secret):
        return answer(PROVIDER, REFUSED_FORGED, "X-Hub-Signature-256 does not match the body and WHATSAPP_APP_SECRET")
    try:
        body = json.loads(request.body)
    except ValueError:
        return answer(PROVIDER, UNKNOWN_MESSAGE, "signed, but not JSON")
    outcomes = []
    for value in changes(body):
        statuses = [s for s in value.get("statuses") or [] if isinstance(s, dict)]
        outcomes += [status_outcome(s) for s in statuses]
        for status in statuses:
            marketing_refused(status)
        outcomes += [inbound_outcome(m) for m in value.get("messages") or [] if isinstance(m, dict)]
    for value in changes(body, "user_preferences"):
        outcomes += [preference_outcome(p) for p in value.get("user_preferences") or [] if isinstance(p, dict)]
    if not outcomes:
        return answer(PROVIDER, DUPLICATE, "no statuses or messages")  # account updates, template reviews, …
    for outcome in outcomes:
        count(PROVIDER, outcome)
    status = HTTP_STATUS[REFUSED_REPLAY] if all(o == REFUSED_REPLAY for o in outcomes) else 200
    summary = ", ".join(f"{o}: {outcomes.count(o)}" for o in dict.fromkeys(outcomes))
    return HttpResponse(summary + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # Meta posts without a CSRF token
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest) -> HttpResponse:
    return handshake(request) if request.method == "GET" else callback(request)


urlpatterns = [path("", webhook, name="whatsapp")]  # /webhooks/whatsapp/
