"""Twilio status callbacks: POST /webhooks/twilio/status/ (form-encoded), signed; and the messages recipients
send us (STOP, START): POST /webhooks/twilio/inbound/, signed alike.

X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + each POST parameter's name and
value, sorted by name)). The URL is the one Twilio called, scheme and query included: behind
a TLS-terminating proxy set WEBHOOK_PUBLIC_URL, or the URL Django sees (http://, another
host) will not match. Twilio signs with or without the default port depending on how the
URL was given, so both forms are tried, as its own helper libraries do.

The auth token is SMS_API_KEY, so the endpoint is on only when SMS_PROVIDER=twilio.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.crypto import constant_time_compare

from chesanto_comms.conf import comms
from chesanto_comms.numbers import whole_number
from consumers import opt_outs
from consumers.delivery_log import DeliveryStatus
from consumers.log_rows import Change
from consumers.sms.models import SMSLog
from consumers.sms.providers.twilio import verdict_for_code
from consumers.sms.settings import sms_settings
from consumers.webhooks import replay
from consumers.webhooks.base import (
    APPLIED,
    DUPLICATE,
    REFUSED_FORGED,
    REFUSED_REPLAY,
    REFUSED_UNSIGNED,
    UNKNOWN_MESSAGE,
    answer,
    count,
    endpoint_off,
    provider_view,
    settle,
)
from outbox.events.phones import InvalidPhoneNumber

PROVIDER = "twilio"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# MessageStatus -> SMSLog status. Intermediate ones rank below anything final, so a late
# "sent" never undoes "delivered".
STATUSES = {
    **dict.fromkeys(("accepted", "scheduled", "queued", "sending", "sent"), DeliveryStatus.SENT),
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,  # WhatsApp/RCS only; read implies delivered
    "undelivered": DeliveryStatus.UNDELIVERED,  # the carrier could not deliver it
    "failed": DeliveryStatus.FAILED,  # Twilio could not send it
    "canceled": DeliveryStatus.FAILED,  # a scheduled message canceled before it went out
}


def auth_token() -> str:
    return sms_settings.SMS_API_KEY if sms_settings.SMS_PROVIDER == PROVIDER else ""


def parameters(form: QueryDict) -> list[tuple[str, str]]:
    """The POST parameters in signing order: by name, then by value (Unix byte order)."""
    return [(name, value) for name in sorted(form) for value in sorted(set(form.getlist(name)))]


def signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    payload = url + "".join(name + value for name, value in params)
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def url_variants(url: str) -> list[str]:
    """The URL without its port, and with the scheme's default port when it has none."""
    parts = urlsplit(url)
    if parts.port is not None:
        return [url, urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))]
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return [url, urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}"))] if default else [url]


def called_url(request: HttpRequest) -> str:
    base = comms.WEBHOOK_PUBLIC_URL.rstrip("/")
    return base + request.get_full_path() if base else request.build_absolute_uri()


def change_for(status: str, error_code: str) -> Change:
    new_status = STATUSES.get(status, "")  # receiving/received (inbound) and unknown words: no change
    if new_status in (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED):
        code = whole_number(error_code)
        meaning = verdict_for_code(code).meaning if code is not None else "no ErrorCode given"
        return Change(status=new_status, error=f"Twilio {status}, error {error_code or '-'}: {meaning}")
    return Change(status=new_status)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer to a callback that is not Twilio's (or while the endpoint is off); None for an authentic one."""
    token = auth_token()
    if not token:
        return endpoint_off(PROVIDER, "SMS_PROVIDER=twilio and SMS_API_KEY (the auth token)")
    given = request.headers.get("X-Twilio-Signature", "")
    if not given:
        return answer(PROVIDER, REFUSED_UNSIGNED, "no X-Twilio-Signature header")
    params = parameters(request.POST)
    if not any(constant_time_compare(signature(token, url, params), given) for url in url_variants(called_url(request))):
        return answer(PROVIDER, REFUSED_FORGED, "X-Twilio-Signature does not match this URL and body")
    return None


@provider_view
def status_callback(request: HttpRequest) -> HttpResponse:
    if (refused := refusal(request)) is not None:
        return refused
    params = parameters(request.POST)
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid", "")
    status = request.POST.get("MessageStatus") or request.POST.get("SmsStatus", "")
    if not sid:
        return answer(PROVIDER, UNKNOWN_MESSAGE, "no MessageSid")
    outcome = settle(
        PROVIDER,
        replay.digest(params),  # the signed parameters; the same status twice differs in nothing
        SMSLog.objects.filter(provider=PROVIDER, provider_message_id=sid),
        change_for(status, request.POST.get("ErrorCode", "")),
    )
    return answer(PROVIDER, outcome, f"{sid} {status}")


@provider_view
def inbound_message(request: HttpRequest) -> HttpResponse:
    """A text a recipient sent to our number (the number's "A message comes in" webhook): STOP and its synonyms
    opt the sender out of SMS, START back in (consumers/opt_outs.py); anything else is not ours to read. Twilio's
    own Advanced Opt-Out also blocks a STOPped number at its end; this keeps our record and stops the sends."""
    if (refused := refusal(request)) is not None:
        return refused
    sender, body = request.POST.get("From", ""), request.POST.get("Body", "")
    with transaction.atomic():
        if not replay.remember(PROVIDER, replay.digest(parameters(request.POST))):
            return answer(PROVIDER, REFUSED_REPLAY, f"{request.POST.get('MessageSid', '')} again")
        try:
            word = opt_outs.apply("sms", sender, body, PROVIDER)
        except InvalidPhoneNumber:
            return answer(PROVIDER, UNKNOWN_MESSAGE, f"From={sender[:40]!r} is not a phone number")
    count(PROVIDER, APPLIED if word else DUPLICATE)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")  # no reply of ours: Twilio sends its own to STOP
