"""Africa's Talking delivery reports: POST /webhooks/africastalking/delivery/<secret>/; and its bulk-SMS opt-out
notifications: POST /webhooks/africastalking/opt-out/<secret>/ (the same secret and allow-list).

Africa's Talking does not sign its callbacks, so the URL carries a secret only it and we
know (SMS_WEBHOOK_SECRET, set in the dashboard's delivery-report callback URL), compared in
constant time; SMS_WEBHOOK_ALLOWED_IPS can also pin the addresses it calls from. With no
secret set the endpoint is off (404). The secret never reaches the logs (redaction.py), nor an
error report's local variables.

Fields (form-encoded; JSON is accepted too): id (the messageId "ATPid_..."), status
(Sent, Submitted, Buffered, Rejected, Success, Failed), phoneNumber, networkCode,
failureReason (with Rejected/Failed), retryCount.
"""
from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from consumers import opt_outs
from consumers.delivery_log import DeliveryStatus
from consumers.log_rows import Change
from consumers.sms.models import SMSLog
from consumers.sms.settings import sms_settings
from consumers.webhooks import replay
from consumers.webhooks.base import (
    APPLIED,
    DUPLICATE,
    REFUSED_FORGED,
    REFUSED_IP,
    REFUSED_UNSIGNED,
    UNKNOWN_MESSAGE,
    answer,
    endpoint_off,
    provider_view,
    settle,
)
from consumers.webhooks.network import ip_allowed
from outbox.events.phones import InvalidPhoneNumber

PROVIDER = "africastalking"
ROUTE = "africastalking/delivery/"  # + the secret segment; the app (apps.py secret_routes) has it masked in logs
OPT_OUT_ROUTE = "africastalking/opt-out/"  # + the same secret

STATUSES = {
    # on its way; Buffered = queued by the network
    **dict.fromkeys(("Sent", "Submitted", "Buffered"), DeliveryStatus.SENT),
    "Success": DeliveryStatus.DELIVERED,  # on the handset (final)
    "Rejected": DeliveryStatus.REJECTED,  # refused by the network: blacklisted, DND, not a subscriber (final)
    "Failed": DeliveryStatus.UNDELIVERED,  # the network could not deliver it to the handset (final)
}


def fields(request: HttpRequest) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return {str(k): "" if v is None else str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {name: request.POST.get(name, "") for name in request.POST}


def change_for(report: dict[str, str]) -> Change:
    status = report.get("status", "")
    new_status = STATUSES.get(status, "")
    if new_status in (DeliveryStatus.REJECTED, DeliveryStatus.UNDELIVERED):
        reason = report.get("failureReason") or "no failureReason given"
        return Change(status=new_status, error=f"Africa's Talking {status}: {reason} (network {report.get('networkCode') or '?'})")
    return Change(status=new_status)


@sensitive_variables("secret", "expected")
def refusal(request: HttpRequest, secret: str | None) -> HttpResponse | None:
    """The answer to a callback that is not Africa's Talking's (or while the endpoint is off); None otherwise."""
    expected = sms_settings.SMS_WEBHOOK_SECRET
    if not expected:
        return endpoint_off(PROVIDER, "SMS_WEBHOOK_SECRET")
    if not ip_allowed(request, sms_settings.SMS_WEBHOOK_ALLOWED_IPS, "SMS_WEBHOOK_ALLOWED_IPS"):
        return answer(PROVIDER, REFUSED_IP, "caller not in SMS_WEBHOOK_ALLOWED_IPS")
    if secret is None:
        return answer(PROVIDER, REFUSED_UNSIGNED, "no secret in the URL")
    if not constant_time_compare(secret, expected):
        return answer(PROVIDER, REFUSED_FORGED, "wrong secret in the URL")
    return None


@provider_view
@sensitive_variables("secret")
def delivery_report(request: HttpRequest, secret: str | None = None) -> HttpResponse:
    if (refused := refusal(request, secret)) is not None:
        return refused
    report = fields(request)
    message_id = report.get("id", "")
    if not message_id:
        return answer(PROVIDER, UNKNOWN_MESSAGE, "no id")
    outcome = settle(
        PROVIDER,
        replay.digest(sorted(report.items())),
        SMSLog.objects.filter(provider=PROVIDER, provider_message_id=message_id),
        change_for(report),
    )
    return answer(PROVIDER, outcome, f"{message_id} {report.get('status', '')}")


@provider_view
@sensitive_variables("secret")
def opt_out(request: HttpRequest, secret: str | None = None) -> HttpResponse:
    """The bulk-SMS opt-out notification (the dashboard's opt-out callback URL): a subscriber who sent the opt-out
    keyword to our sender id, as `senderId` and `phoneNumber`. Out of SMS at once (consumers/opt_outs.py)."""
    if (refused := refusal(request, secret)) is not None:
        return refused
    notice = fields(request)
    number, sender_id = notice.get("phoneNumber", ""), notice.get("senderId", "")
    if not number:
        return answer(PROVIDER, UNKNOWN_MESSAGE, "no phoneNumber")
    try:
        changed = opt_outs.stop("sms", number, f"{PROVIDER} opt-out",
                                f"opted out of {sender_id or 'our sender id'} through Africa's Talking")
    except InvalidPhoneNumber:
        return answer(PROVIDER, UNKNOWN_MESSAGE, f"phoneNumber={number[:40]!r} is not a phone number")
    return answer(PROVIDER, APPLIED if changed else DUPLICATE, f"opt-out of {sender_id or '?'}")
