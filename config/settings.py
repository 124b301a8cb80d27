"""The standalone project's Django settings, read from the environment (README, "Settings reference").

This project runs the product on its own (the demo, the tests, the Docker image); it is not in
the wheel. The apps' own settings are not set here: they resolve themselves from the
environment (chesanto_comms/conf.py), as they do in a bakery's own project.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from chesanto_comms.env import env_bool, env_int, env_list, env_str
from chesanto_comms.logging import logging_config

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
    "consumers.webhooks",  # delivery-status callbacks (docs/webhooks.md)
]
# The example business modules (examples/: how a module emits its events) and their staff
# views, for the demo and the tests; off unless asked for.
EXAMPLES_ENABLED = env_bool("EXAMPLES_ENABLED", False)
if EXAMPLES_ENABLED:
    INSTALLED_APPS += ["examples.accounts", "examples.sales", "examples.inventory"]

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

# --- Email: Django's own settings (the channel's are in consumers/email/settings.py) ---
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chesanto Bakery <no-reply@chesanto.local>")
# Any ANYMAIL_<NAME> variable sets django-anymail's setting <NAME> for an ESP backend
# (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_SENDGRID_API_KEY, …); see docs/webhooks.md for the webhook secret.
ANYMAIL = {name[len("ANYMAIL_"):]: value for name, value in os.environ.items()
           if name.startswith("ANYMAIL_") and name != "ANYMAIL_WEBHOOK_SECRET"}

# Every setting of the apps themselves (OUTBOX_*, RELAY_*, CONSUMER_*, EMAIL_CONCURRENCY, SMS_*,
# COMMS_*, …) is read from the environment by the apps (chesanto_comms/conf.py), so none is set here.

LOGGING = logging_config(env_str("LOG_FORMAT", "plain"), env_str("LOG_LEVEL", "INFO"))
