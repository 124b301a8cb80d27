"""Delivery-status webhooks: provider callbacks that move EmailLog / SMSLog rows forward.

One module per provider (`email` for every ESP through django-anymail, `twilio`,
`africastalking`), plus what they share: `base` (POST only, outcomes, counting, applying
one authentic callback), `transitions` (which status changes are allowed), `replay`
(receipts of accepted callbacks), `network` (the caller's IP) and `redaction` (URL secrets
kept out of the logs). See docs/webhooks.md.
"""
