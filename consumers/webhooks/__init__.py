"""The webhook framework: what every provider's delivery-status callback shares.

`base` (POST only, outcomes, counting, applying one authentic callback through
consumers/log_rows.py, which decides which status changes are allowed), `replay` (receipts of accepted callbacks), `network` (the caller's
IP) and `redaction` (URL secrets kept out of the logs). The handlers themselves belong to their
channel apps (`consumers.email.webhooks` for every ESP through django-anymail,
`consumers.sms.webhooks` for Twilio and Africa's Talking, `consumers.whatsapp.webhooks`) and are
mounted by urls.py. See docs/webhooks.md.
"""
