"""Africa's Talking: POST {base}/version1/messaging, form-encoded, `apiKey` header.

The answer is HTTP 201 with one entry per recipient in SMSMessageData.Recipients; each
entry has its own statusCode, so an HTTP success can still be a rejected number.
"""
from __future__ import annotations

from typing import ClassVar

import requests

from consumers.delivery_log import DeliveryStatus
from consumers.providers import ProviderVerdict, drop_address, failed, rejected, transient
from consumers.sms.providers.base import (
    HttpCall,
    SmsProvider,
    SmsSent,
    http_verdict,
    money,
)

SUCCESS = {100: "Processed", 101: "Sent", 102: "Queued"}

# Per-recipient statusCode -> what we do. "Ours to fix" (account, sender ID, balance,
# routing) is transient: once the operator fixes it, a retry delivers. What is about the
# number or its owner's choice is REJECTED and never retried.
RECIPIENT_STATUS: dict[int, ProviderVerdict] = {
    401: transient("RiskHold: the account is held for review; contact Africa's Talking"),
    402: transient("InvalidSenderId: SMS_SENDER_ID is not approved for this account/network"),
    403: drop_address(DeliveryStatus.REJECTED, "InvalidPhoneNumber"),
    404: drop_address(DeliveryStatus.REJECTED, "UnsupportedNumberType: the number cannot receive SMS"),
    405: transient("InsufficientBalance: top up the Africa's Talking account"),
    406: rejected("UserInBlacklist: the recipient opted out of messages from this sender"),
    407: transient("CouldNotRoute: no route to the network now"),
    409: rejected("DoNotDisturbRejection: the recipient has Do Not Disturb on promotional SMS"),
    500: transient("InternalServerError"),
    501: transient("GatewayError"),
    502: rejected("RejectedByGateway: the operator's gateway refused this message"),
}
# The same statuses by name: for an answer whose Recipients list is empty, which carries
# the status only in its Message text (e.g. "InvalidSenderId").
STATUS_BY_NAME = {verdict.meaning.split(":")[0]: verdict for verdict in RECIPIENT_STATUS.values()}
UNKNOWN = failed("unknown statusCode")  # not retried: the SMS may have gone out


class AfricasTalkingProvider(SmsProvider):
    name = "africastalking"
    label = "Africa's Talking"
    default_base_url = "https://api.africastalking.com"
    sandbox_base_url = "https://api.sandbox.africastalking.com"
    credentials_hint: ClassVar[str] = "SMS_USERNAME is the app's username ('sandbox' for the sandbox), SMS_API_KEY its API key"

    def __init__(self, *, base_url: str = "", **kwargs):
        super().__init__(base_url=base_url, **kwargs)
        if not base_url and self.username == "sandbox":
            self.base_url = self.sandbox_base_url  # the sandbox app lives on its own host

    def build_request(self, to: str, text: str) -> HttpCall:
        data = {"username": self.username, "to": to, "message": text}
        if self.sender_id:  # without `from`, Africa's Talking sends from the account's default shortcode
            data["from"] = self.sender_id
        # Without Accept: application/json the API answers in XML.
        return HttpCall(f"{self.base_url}/version1/messaging", data,
                        headers={"apiKey": self.api_key, "Accept": "application/json"})

    def parse_response(self, response: requests.Response) -> SmsSent:
        if response.status_code >= 300:
            verdict = http_verdict(response.status_code)
            raise verdict.error(f"Africa's Talking HTTP {response.status_code} ({verdict.meaning}): {self.excerpt(response)}")
        body = self.json_body(response)
        data = (body or {}).get("SMSMessageData")
        if not isinstance(data, dict):
            raise failed("unreadable answer").error(f"Africa's Talking HTTP {response.status_code}: unreadable answer: {self.excerpt(response)}")
        recipients = data.get("Recipients") or []
        if not recipients:
            message = str(data.get("Message", ""))
            verdict = STATUS_BY_NAME.get(message, failed("no recipient accepted"))
            raise verdict.error(f"Africa's Talking: {message or 'no recipients in the answer'} ({verdict.meaning})")
        return self._recipient_result(recipients[0], body)

    def _recipient_result(self, recipient: dict, body: dict) -> SmsSent:
        code = recipient.get("statusCode")
        status = recipient.get("status", "")
        if code in SUCCESS:
            currency, _, amount = str(recipient.get("cost", "")).partition(" ")  # "KES 0.8000"
            return SmsSent(
                provider_message_id=str(recipient.get("messageId", "")),
                cost=money(amount) if amount else None,
                provider=self.name,
                currency=currency if amount else "",
                status=status or SUCCESS[code],
                raw=body,
            )
        number = recipient.get("number", "?")
        if code not in RECIPIENT_STATUS:
            raise UNKNOWN.error(f"Africa's Talking statusCode {code} {status} (unknown statusCode) for {number}")
        raise RECIPIENT_STATUS[code].error(f"Africa's Talking statusCode {code} {RECIPIENT_STATUS[code].meaning} for {number}")
