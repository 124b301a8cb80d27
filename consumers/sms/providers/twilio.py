"""Twilio: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded,
HTTP basic auth (Account SID, auth token).

Success is HTTP 201 with the new Message resource (sid "SM...", status "queued").
Errors are HTTP 4xx/5xx with {"code", "message", "more_info", "status"}; the numeric
code says more than the HTTP status, so it is classified first.
"""
from __future__ import annotations

from typing import ClassVar

import requests
from django.urls import reverse

from chesanto_comms.conf import comms
from consumers.delivery_log import DeliveryStatus
from consumers.providers import ProviderVerdict, drop_address, failed, rejected, transient
from consumers.sms.providers.base import (
    HttpCall,
    SmsConfigError,
    SmsProvider,
    SmsSent,
    http_verdict,
    money,
)

ACCEPTED = {"accepted", "queued", "sending", "sent", "scheduled", "delivered"}

# Twilio error code -> what we do. 2xxxx come back on the send request; 3xxxx are
# delivery errors reported later on status callbacks (the webhook work reuses
# `verdict_for_code`). "Ours to fix" (credentials, permissions, sender) is transient.
ERROR_CODES: dict[int, ProviderVerdict] = {
    20003: transient("Authentication error: check SMS_USERNAME (Account SID) / SMS_API_KEY (auth token)"),
    20429: transient("Too many requests"),
    20500: transient("Twilio internal server error"),
    21211: drop_address(DeliveryStatus.REJECTED, "Invalid 'To' phone number"),
    21408: transient("SMS to this region is not enabled in the account's geo permissions"),
    21606: transient("The 'From' number / SMS_SENDER_ID cannot send to this destination"),
    21610: rejected("The recipient unsubscribed (replied STOP)"),
    21612: rejected("The 'To' number is not reachable by SMS"),
    21614: drop_address(DeliveryStatus.REJECTED, "The 'To' number is not a mobile number"),
    30003: transient("Unreachable destination handset (off or out of coverage)"),
    30005: rejected("Unknown destination handset"),
    30006: rejected("Landline or unreachable carrier"),
    30007: rejected("Filtered by the carrier"),
    30008: transient("Unknown delivery error"),
}


def verdict_for_code(code: int | None, http_status: int | None = None) -> ProviderVerdict:
    """How to treat a Twilio error code; falls back on the HTTP status, then on 'failed'."""
    if code in ERROR_CODES:
        return ERROR_CODES[code]
    if http_status is not None:
        return http_verdict(http_status)
    return failed(f"Twilio error {code}")


class TwilioProvider(SmsProvider):
    name = "twilio"
    label = "Twilio"
    default_base_url = "https://api.twilio.com"
    credentials_hint: ClassVar[str] = "SMS_USERNAME is the Account SID (AC...), SMS_API_KEY its auth token"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.sender_id:
            raise SmsConfigError("SMS_SENDER_ID is empty: Twilio needs a From (a Twilio number or an approved alphanumeric sender ID)")

    def build_request(self, to: str, text: str) -> HttpCall:
        fields = {"To": to, "From": self.sender_id, "Body": text}
        if comms.WEBHOOK_PUBLIC_URL:  # ask Twilio to report delivery to our status webhook
            fields["StatusCallback"] = comms.WEBHOOK_PUBLIC_URL.rstrip("/") + reverse("webhooks:twilio_status")
        return HttpCall(
            f"{self.base_url}/2010-04-01/Accounts/{self.username}/Messages.json",
            fields,
            headers={"Accept": "application/json"},
            auth=(self.username, self.api_key),
        )

    def parse_response(self, response: requests.Response) -> SmsSent:
        body = self.json_body(response)
        if response.status_code >= 300:
            code = (body or {}).get("code")
            verdict = verdict_for_code(code, response.status_code)
            text = (body or {}).get("message") or self.excerpt(response)
            raise verdict.error(f"Twilio HTTP {response.status_code} error {code}: {text} ({verdict.meaning})")
        if body is None or not body.get("sid"):
            raise failed("unreadable answer").error(f"Twilio HTTP {response.status_code}: unreadable answer: {self.excerpt(response)}")
        status = str(body.get("status", ""))
        if status not in ACCEPTED:  # "failed"/"undelivered" already at creation
            verdict = verdict_for_code(body.get("error_code"))
            raise verdict.error(f"Twilio status {status} error {body.get('error_code')}: {body.get('error_message') or verdict.meaning}")
        return SmsSent(
            provider_message_id=body["sid"],
            cost=money(body.get("price")),  # usually null at send time; a negative string once priced
            provider=self.name,
            currency=str(body.get("price_unit") or ""),
            status=status,
            raw=body,
        )
