"""The SMS channel's settings (names kept from the seed spec)."""
from chesanto_comms.conf import INT, LIST, Setting, Settings, at_least
from consumers.channel_settings import delivery_settings

sms_settings = Settings(
    "the SMS channel",
    Setting("SMS_PROVIDER", "africastalking", "`africastalking` or `twilio` (consumers/sms/providers/)"),
    Setting("SMS_API_KEY", "", "Africa's Talking API key / Twilio auth token"),
    Setting("SMS_USERNAME", "", "Africa's Talking username / Twilio account SID"),
    Setting("SMS_SENDER_ID", "CHESANTO", "sender id / from number"),
    Setting("SMS_API_URL", "", "provider base URL override (a sandbox, a local test server); empty = the provider's"),
    Setting("SMS_MAX_SEGMENTS", 3, "longest SMS, in segments; longer is a render error", INT, at_least(1)),
    *delivery_settings("SMS", "SMS", concurrency=64, timeout=10.0, timeout_doc="seconds per provider call"),
    Setting("SMS_WEBHOOK_SECRET", "", "the secret URL segment of Africa's Talking's delivery reports; empty = off"),
    Setting("SMS_WEBHOOK_ALLOWED_IPS", [], "addresses/CIDRs allowed to post delivery reports; empty = any", LIST),
)
