"""The email channel's settings (Django's own EMAIL_BACKEND, EMAIL_HOST, … choose the backend)."""
from chesanto_comms.conf import INT, LIST, Setting, Settings, at_least
from consumers.channel_settings import delivery_settings

email_settings = Settings(
    "the email channel",
    *delivery_settings("EMAIL", "email", concurrency=64, timeout=30.0,
                       timeout_doc="seconds per SMTP operation or ESP call (Django's EMAIL_TIMEOUT)"),
    Setting("EMAIL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, "largest attachment", INT, at_least(1)),
    Setting("REPORTS_STORAGE_DIR", "", "absolute directory attachments named by reference are read from (an "
            "existing one, not `/`: checked at start-up); empty = report emails cannot carry their file"),
    Setting("ANYMAIL_WEBHOOK_SECRET", [], "`user:password` pairs the ESP sends as basic auth (comma-separated to "
            "rotate); empty = email webhooks off", LIST),
)
