"""Email delivery events from the ESP, through django-anymail's tracking webhooks.

The URLs are anymail's own (/webhooks/anymail/<esp>/tracking/), each view wrapped by
`guarded`, which:
- hands anymail's view the basic-auth credentials `webhook_secret()` resolves: anymail reads
  only Django's settings, never the environment, so ANYMAIL_WEBHOOK_SECRET set as an environment
  variable (as every setting of the apps may be) would otherwise never reach it;
- keeps the endpoints off (404) until a secret is set: anymail alone would only warn and
  accept unsigned calls;
- counts anymail's refusals (missing or wrong basic auth, a bad ESP signature), which it
  answers 400 before any event reaches us;
- answers 409 when every event of the call was a replay.
`on_tracking` (connected to anymail's `tracking` signal in consumers/email/apps.py) applies each event to
the EmailLog row whose provider_message_id is the event's message_id, and puts the recipient of a
hard bounce or a complaint on the email suppression list (consumers/suppressions.py). SMTP sends get no
callbacks.
"""
from __future__ import annotations

from contextvars import ContextVar
from functools import wraps

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType
from anymail.urls import urlpatterns as anymail_urlpatterns
from anymail.utils import get_anymail_setting
from django.http import HttpResponse
from django.urls import URLPattern, include, path
from django.views.decorators.csrf import csrf_exempt

from consumers.delivery_log import DeliveryStatus
from consumers.email.models import EmailLog
from consumers.email.settings import email_settings
from consumers.log_rows import Change
from consumers.suppressions import Reason, suppress
from consumers.webhooks import replay
from consumers.webhooks.base import (
    HTTP_STATUS,
    REFUSED_FORGED,
    REFUSED_REPLAY,
    REFUSED_UNSIGNED,
    UNKNOWN_MESSAGE,
    count,
    endpoint_off,
    settle,
)

# The outcomes of the events of the call being handled (set by `guarded`).
_call_outcomes: ContextVar[list[str] | None] = ContextVar("anymail_call_outcomes", default=None)


def provider_label(esp_name: str) -> str:
    """"Amazon SES" -> "amazon_ses": the name EmailLog.provider has for an anymail backend."""
    return esp_name.lower().replace(" ", "_")


def describe(event: AnymailTrackingEvent) -> str:
    why = " ".join(part for part in (event.description, event.mta_response) if part)
    reason = f" ({event.reject_reason})" if event.reject_reason else ""
    return f"{event.event_type}{reason}: {why}" if why else f"{event.event_type}{reason}"


def change_for(event: AnymailTrackingEvent) -> Change:
    kind, at = event.event_type, event.timestamp
    if kind in (EventType.QUEUED, EventType.SENT):
        return Change(status=DeliveryStatus.SENT)
    if kind == EventType.DELIVERED:
        return Change(status=DeliveryStatus.DELIVERED, at=at)
    failures = {EventType.BOUNCED: DeliveryStatus.BOUNCED, EventType.REJECTED: DeliveryStatus.REJECTED,
                EventType.FAILED: DeliveryStatus.FAILED, EventType.COMPLAINED: DeliveryStatus.COMPLAINED}
    if kind in failures:
        return Change(status=failures[kind], error=describe(event))
    if kind == EventType.OPENED:
        return Change(opened_at=at)
    if kind == EventType.CLICKED:
        return Change(clicked_at=at)
    return Change()  # deferred, autoresponded, (un)subscribed, unknown: nothing the log records


# anymail's "bounced" is a permanent (hard) bounce for most ESPs, and a temporary one is "deferred", which
# suppresses nothing; but anymail maps Postmark's SoftBounce (a mailbox full, a server down for days) to
# "bounced" too, so its own type is read: a soft bounce marks the row but leaves the address on no list.
SUPPRESSING = {EventType.BOUNCED: Reason.HARD_BOUNCE, EventType.COMPLAINED: Reason.COMPLAINT}


def is_soft_bounce(event: AnymailTrackingEvent) -> bool:
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    return event.event_type == EventType.BOUNCED and esp_event.get("Type") == "SoftBounce"  # Postmark's


def event_digest(esp_name: str, event: AnymailTrackingEvent) -> str:
    # Normalised fields, so the digest is the same whatever the ESP's JSON spacing or key order.
    return replay.digest([esp_name, event.event_id, event.event_type, event.timestamp,
                          event.message_id, event.recipient, event.click_url])


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    provider = provider_label(esp_name)
    if not event.message_id:
        outcome = UNKNOWN_MESSAGE
    elif replay.too_old(event.timestamp):
        outcome = REFUSED_REPLAY  # older than the receipts we keep: cannot be told from a replay
    else:
        outcome = settle(provider, event_digest(esp_name, event),
                         EmailLog.objects.filter(provider_message_id=event.message_id), change_for(event))
    if (event.event_type in SUPPRESSING and event.recipient and outcome != REFUSED_REPLAY
            and not is_soft_bounce(event)):
        suppress("email", event.recipient, SUPPRESSING[event.event_type], f"{provider} webhook", describe(event))
    count(provider, outcome)
    outcomes = _call_outcomes.get()
    if outcomes is not None:
        outcomes.append(outcome)


def webhook_secret() -> list[str]:
    """The `user:password` pairs an ESP must send as basic auth, in this precedence: anymail's own setting
    when the project sets it (`ANYMAIL["WEBHOOK_SECRET"]`, `settings.ANYMAIL_WEBHOOK_SECRET`: a string or a
    list), else ANYMAIL_WEBHOOK_SECRET as the apps read every setting (the Django setting, else the environment
    variable, comma-separated to rotate: consumers/email/settings.py). Empty: the endpoints are off."""
    own = get_anymail_setting("webhook_secret", default=None)
    if own:
        return [own] if isinstance(own, str) else list(own)
    return email_settings.ANYMAIL_WEBHOOK_SECRET


def with_resolved_secret(view_class):
    """anymail's view, built on each call with the credentials `webhook_secret()` resolves (anymail takes a
    `webhook_secret` keyword before its own settings)."""
    class Secured(view_class):
        def __init__(self, **kwargs):
            super().__init__(webhook_secret=webhook_secret(), **kwargs)
    Secured.__name__ = Secured.__qualname__ = view_class.__name__
    return Secured.as_view()


def guarded(view):
    provider = provider_label(view.view_class.esp_name)
    view = with_resolved_secret(view.view_class)

    @wraps(view)
    def guard(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)  # HEAD (some ESPs' URL check) and 405s: no state change
        if not webhook_secret():
            return endpoint_off(provider, "ANYMAIL_WEBHOOK_SECRET")
        outcomes: list[str] = []
        token = _call_outcomes.set(outcomes)
        try:
            response = view(request, *args, **kwargs)
        except AnymailWebhookValidationFailure:
            count(provider, REFUSED_FORGED if request.META.get("HTTP_AUTHORIZATION") else REFUSED_UNSIGNED)
            raise  # anymail's answer stands: 400, logged by django.security
        finally:
            _call_outcomes.reset(token)
        if outcomes and all(outcome == REFUSED_REPLAY for outcome in outcomes):
            return HttpResponse("refused_replay: every event was received before\n",
                                status=HTTP_STATUS[REFUSED_REPLAY], content_type="text/plain; charset=utf-8")
        return response

    return csrf_exempt(guard)


# anymail's tracking URLs (names and paths unchanged), guarded; its inbound ones are not served. The app's
# webhooks_prefix is "", so they stay at /webhooks/anymail/<esp>/tracking/.
tracking_urlpatterns = [
    URLPattern(pattern.pattern, guarded(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urlpatterns
    if pattern.name.endswith("_tracking_webhook")
]
urlpatterns = [path("anymail/", include((tracking_urlpatterns, "anymail")))]
