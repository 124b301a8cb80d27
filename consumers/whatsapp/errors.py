"""Classifying the Cloud API's errors: try again later (transient) or give up now (permanent).

Meta's reference: "Error codes", WhatsApp Cloud API (developers.facebook.com/docs/whatsapp/cloud-api/
support/error-codes). It asks to decide on `code` (and read `error_data.details`), not on the HTTP
status or the title. The same codes come back on the send request and, for what happens later,
in the webhook's failed statuses (webhooks.py reuses `verdict_for`).

What is ours to fix (the token, permissions, payment set-up) is transient, as for SMS and email:
once fixed, the retry delivers, and a message is not lost to a rotated token. What the recipient
cannot get is REJECTED; everything else that retrying cannot change is FAILED.
"""
from __future__ import annotations

from consumers.delivery_log import DeliveryStatus
from consumers.providers import PermanentError, ProviderVerdict, TransientError, failed, rejected, transient


class MetaBusy(TransientError):
    def __init__(self, message: str, code: int | None = None, retry_after: float | None = None):
        super().__init__(message, retry_after=retry_after)
        self.code = code


class MetaRefused(PermanentError):
    def __init__(self, message: str, status: DeliveryStatus = DeliveryStatus.FAILED, code: int | None = None):
        super().__init__(message, status=status)
        self.code = code


def meta_error(verdict: ProviderVerdict, detail: str, code: int | None = None,
               retry_after: float | None = None) -> MetaBusy | MetaRefused:
    """The verdict's error, carrying the Cloud API's error code."""
    if verdict.retry:
        return MetaBusy(detail, code=code, retry_after=retry_after)
    return MetaRefused(detail, status=verdict.status, code=code)


RE_ENGAGEMENT = 131047  # text outside the customer-service window: the channel resends it as the template

ERROR_CODES: dict[int, ProviderVerdict] = {
    # Authorization: ours to fix
    0: transient("AuthException: the access token is invalid; renew WHATSAPP_ACCESS_TOKEN"),
    3: transient("capability or permissions issue: check the token's whatsapp_business_messaging permission"),
    10: transient("permission denied: check the token's permissions on this phone number"),
    190: transient("access token expired: renew WHATSAPP_ACCESS_TOKEN (a system user's token does not expire)"),
    # Throttling
    4: transient("too many API calls (the app's rate limit)"),
    80007: transient("the WhatsApp Business Account's rate limit"),
    130429: transient("Cloud API throughput reached"),
    131048: transient("spam rate limit: too many of this number's messages were blocked or flagged"),
    131056: transient("too many messages to this one customer in a short time (pair rate limit)"),
    # Integrity: the account is restricted, which no retry changes soon
    368: failed("temporarily blocked for policy violations"),
    130497: failed("the account may not message users in this country"),
    131031: failed("the business account is locked"),
    # Service
    1: transient("API unknown: invalid request or a server error"),
    2: transient("API service: temporarily down or overloaded"),
    131000: transient("something went wrong at Meta"),
    131016: transient("service temporarily unavailable"),
    131057: transient("the business account is in maintenance mode"),
    133004: transient("server temporarily unavailable"),
    131042: transient("business eligibility payment issue: fix the account's payment method"),
    # The request itself
    33: failed("the business phone number was deleted: check WHATSAPP_PHONE_NUMBER_ID"),
    100: failed("invalid parameter in the request"),
    131008: failed("a required parameter is missing"),
    131009: failed("a parameter value is not valid"),
    131051: failed("unsupported message type"),
    131052: failed("media download error"),
    131053: failed("media upload error"),
    # The recipient
    131021: rejected("the recipient is the sending number itself"),
    131026: rejected("message undeliverable: the number has no WhatsApp account, has not accepted the terms, "
                     "or runs an old WhatsApp"),
    131050: rejected("the customer stopped marketing messages from this business"),
    130472: failed("the number is part of a Meta experiment and gets no marketing messages now"),
    131049: failed("Meta chose not to deliver it, to keep engagement healthy (marketing limits)"),
    RE_ENGAGEMENT: failed("re-engagement message: more than 24 hours since the customer last wrote; "
                          "only an approved template may be sent"),
    # Templates: a configuration to fix in WhatsApp Manager or WHATSAPP_TEMPLATES
    132000: failed("template parameter count mismatch: the approved template takes another number of parameters"),
    132001: failed("template does not exist in this language, or is not approved yet"),
    132005: failed("template text too long once filled in"),
    132007: failed("template format character policy violated"),
    132012: failed("template parameter format mismatch"),
    132015: failed("template paused for low quality"),
    132016: failed("template disabled for low quality"),
}


def verdict_for(code: int | None, http_status: int | None = None) -> ProviderVerdict:
    """How to treat a Cloud API error code; codes not in the table by their family, then by the HTTP status."""
    if code in ERROR_CODES:
        return ERROR_CODES[code]
    if code is not None and 200 <= code <= 299:
        return transient(f"API permission {code}: the token lacks a permission")
    if code is not None and 132000 <= code <= 132999:
        return failed(f"template error {code}")
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return transient(f"HTTP {http_status}: Meta busy or failing")
    return failed(f"Cloud API error {code}" if code is not None else f"HTTP {http_status}: request refused")
