"""Django settings, read from the environment (see README, "Settings reference")."""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_float, env_int, env_list, env_str
from config.kafka import kafka_properties
from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str("SECRET_KEY", "chesanto-dev-only-insecure-secret-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "outbox",
    "relay",
    "consumers",
    "examples.accounts",  # example business modules (examples/): how a module emits its events
    "examples.sales",
    "examples.inventory",
    "consumers.webhooks",  # delivery-status callbacks (docs/webhooks.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # the admin's static files, without a separate server
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "outbox.tracing.TraceparentMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [  # Django templates serve the admin only; messages use Jinja2 (consumers/rendering.py).
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chesanto"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "Africa/Nairobi")
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
WHITENOISE_USE_FINDERS = True  # the admin's CSS works without collectstatic (demo, tests)

# --- Email (names kept from the seed spec) ---------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chesanto Bakery <no-reply@chesanto.local>")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_MAX_RETRIES = env_int("EMAIL_MAX_RETRIES", 3)
# Any ANYMAIL_<NAME> variable sets django-anymail's setting <NAME> for an ESP backend
# (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_SENDGRID_API_KEY, …); see docs/webhooks.md for the webhook secret.
ANYMAIL = {name[len("ANYMAIL_"):]: value for name, value in os.environ.items()
           if name.startswith("ANYMAIL_") and name != "ANYMAIL_WEBHOOK_SECRET"}
EMAIL_RETRY_DELAY = env_int("EMAIL_RETRY_DELAY", 60)  # seconds before the first retry; doubles per attempt
EMAIL_ATTACHMENT_MAX_BYTES = env_int("EMAIL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
REPORTS_STORAGE_DIR = env_str("REPORTS_STORAGE_DIR", str(BASE_DIR / "var" / "reports"))  # attachments by reference

# --- SMS (names kept from the seed spec) -----------------------------------
SMS_PROVIDER = env_str("SMS_PROVIDER", "africastalking")
SMS_API_KEY = env_str("SMS_API_KEY", "")
SMS_USERNAME = env_str("SMS_USERNAME", "")
SMS_SENDER_ID = env_str("SMS_SENDER_ID", "CHESANTO")
SMS_API_URL = env_str("SMS_API_URL", "")  # provider base URL override (a sandbox, the local test server); empty = the provider's own
SMS_TIMEOUT = env_float("SMS_TIMEOUT", 10.0)  # seconds for the provider's connect and each read
SMS_MAX_SEGMENTS = env_int("SMS_MAX_SEGMENTS", 3)  # a rendered SMS longer than this many parts is a render error

# --- Delivery webhooks (docs/webhooks.md) -----------------------------------
# "user:password" pairs the ESP sends as HTTP basic auth (comma-separated to rotate); empty = email webhooks off
ANYMAIL_WEBHOOK_SECRET = env_list("ANYMAIL_WEBHOOK_SECRET", [])
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET", "")  # the secret URL segment of Africa's Talking's delivery reports; empty = endpoint off
SMS_WEBHOOK_ALLOWED_IPS = env_list("SMS_WEBHOOK_ALLOWED_IPS", [])  # addresses/CIDRs Africa's Talking may call from; empty = any
WEBHOOK_PROXY_COUNT = env_int("WEBHOOK_PROXY_COUNT", 0)  # reverse proxies appending to X-Forwarded-For; 0 = use REMOTE_ADDR
WEBHOOK_PUBLIC_URL = env_str("WEBHOOK_PUBLIC_URL", "")  # scheme://host[:port] providers call (Twilio signs it); empty = as Django sees it
WEBHOOK_REPLAY_WINDOW_DAYS = env_int("WEBHOOK_REPLAY_WINDOW_DAYS", 7)  # receipts kept this long; older email events are refused

# --- Kafka ------------------------------------------------------------------
KAFKA = kafka_properties()

# --- Outbox and relay -------------------------------------------------------
OUTBOX_TOPIC_PREFIX = env_str("OUTBOX_TOPIC_PREFIX", "chesanto.")
OUTBOX_TOPIC_MAP = env_str("OUTBOX_TOPIC_MAP", "")  # "auth=bakery-auth,sales=bakery-sales"
OUTBOX_TOPIC_PARTITIONS = env_int("OUTBOX_TOPIC_PARTITIONS", 6)
OUTBOX_TOPIC_REPLICATION = env_int("OUTBOX_TOPIC_REPLICATION", 1)
OUTBOX_EVENT_SOURCE = env_str("OUTBOX_EVENT_SOURCE", "/chesanto")
OUTBOX_SECRET_KEY = env_str("OUTBOX_SECRET_KEY", "")  # Fernet key; derived from SECRET_KEY if empty
OUTBOX_SHARDS = env_int("OUTBOX_SHARDS", 32)  # fixed per row at emit; see docs/relay.md before changing
OUTBOX_RETENTION_HOURS = env_float("OUTBOX_RETENTION_HOURS", 168.0)  # published rows older than this are purged
OUTBOX_PURGE_BATCH = env_int("OUTBOX_PURGE_BATCH", 1000)  # rows deleted per purge transaction
RELAY_BATCH_SIZE = env_int("RELAY_BATCH_SIZE", 2000)  # largest claim (under a backlog)
RELAY_BATCH_MIN = env_int("RELAY_BATCH_MIN", 50)  # smallest claim (at low load); doubles while claims come back full
RELAY_POLL_INTERVAL = env_float("RELAY_POLL_INTERVAL", 1.0)  # seconds between claims when no NOTIFY arrives
RELAY_MAX_ATTEMPTS = env_int("RELAY_MAX_ATTEMPTS", 10)  # a row's own failures before it is parked
RELAY_RETRY_DELAY = env_float("RELAY_RETRY_DELAY", 1.0)  # seconds before a failed row is retried; doubles per attempt
RELAY_RETRY_MAX_DELAY = env_float("RELAY_RETRY_MAX_DELAY", 60.0)  # cap of that delay
RELAY_REBALANCE_INTERVAL = env_float("RELAY_REBALANCE_INTERVAL", 1.0)  # seconds between shard-ownership checks
RELAY_BACKOFF_INITIAL = env_float("RELAY_BACKOFF_INITIAL", 0.2)  # first wait after an outage error (seconds)
RELAY_BACKOFF_MAX = env_float("RELAY_BACKOFF_MAX", 10.0)  # cap of the jittered exponential outage backoff
RELAY_PURGE_INTERVAL = env_float("RELAY_PURGE_INTERVAL", 300.0)  # seconds between the relay's purges; 0 = off
RELAY_METRICS_PORT = env_int("RELAY_METRICS_PORT", 0)  # serves Prometheus /metrics; 0 = off
RELAY_METRICS_ADDRESS = env_str("RELAY_METRICS_ADDRESS", "0.0.0.0")  # interface the metrics endpoint listens on
RELAY_SYNCHRONOUS_COMMIT = env_bool("RELAY_SYNCHRONOUS_COMMIT", False)  # off: marks skip the WAL flush wait; a lost mark only re-sends

# --- Channel consumers ------------------------------------------------------
CONSUMER_GROUP_PREFIX = env_str("CONSUMER_GROUP_PREFIX", "chesanto-")
CONSUMER_METRICS_PORT = env_int("CONSUMER_METRICS_PORT", 0)  # serves /metrics and /healthz; 0 = off
EMAIL_CONCURRENCY = env_int("EMAIL_CONCURRENCY", 8)  # sends in flight per email consumer process
SMS_CONCURRENCY = env_int("SMS_CONCURRENCY", 4)  # sends in flight per SMS consumer process
SMS_MAX_RETRIES = env_int("SMS_MAX_RETRIES", 3)  # like EMAIL_MAX_RETRIES, for SMS
SMS_RETRY_DELAY = env_int("SMS_RETRY_DELAY", 60)  # like EMAIL_RETRY_DELAY, for SMS
EMAIL_LOG_RETENTION_DAYS = env_int("EMAIL_LOG_RETENTION_DAYS", 365)  # cleanup_email_logs keeps this many days
SMS_LOG_RETENTION_DAYS = env_int("SMS_LOG_RETENTION_DAYS", 365)  # cleanup_sms_logs keeps this many days
COMMS_APP_URL = env_str("COMMS_APP_URL", "http://localhost:8000")
COMMS_SUPPORT_EMAIL = env_str("COMMS_SUPPORT_EMAIL", "support@chesanto.local")

LOG_FORMAT = env_str("LOG_FORMAT", "plain")  # plain | json (one JSON object per line)
LOGGING = logging_config(LOG_FORMAT, env_str("LOG_LEVEL", "INFO"))
