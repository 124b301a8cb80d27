"""The standalone project's Django settings, read from the environment (README, "Settings reference").

This project runs the product on its own (the demo, the tests, the Docker image); it is not in
the wheel. The apps' own settings are not set here: they resolve themselves from the
environment (chesanto_comms/conf.py), as they do in a bakery's own project.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from chesanto_comms.env import env_bool, env_int, env_list, env_str
from chesanto_comms.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# Keys that only ever served development: this file's default, the one docker-compose once
# defaulted to, and those `django-admin startproject` writes. With DEBUG off they are refused.
_development_keys = ("chesanto-dev-only-insecure-secret-key-change-me", "change-me-in-production")
_development_key_prefix = "django-insecure-"

SECRET_KEY = env_str("SECRET_KEY", _development_keys[0])
DEBUG = env_bool("DEBUG", False)
if not DEBUG and (not SECRET_KEY.strip() or SECRET_KEY in _development_keys or SECRET_KEY.startswith(_development_key_prefix)):
    raise ImproperlyConfigured(
        "SECRET_KEY is unset or a development key, and DEBUG is off: set the environment variable SECRET_KEY to a "
        "random value of 50 or more characters, made with python -c 'import secrets; print(secrets.token_urlsafe(50))' "
        "(README, \"Production\"). Only with DEBUG=true does the development key do."
    )
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
    "scheduling",  # recurring schedules and `manage.py scheduler` (docs/scheduling.md)
    "consumers",
    "consumers.webhooks",  # delivery-status callbacks (docs/webhooks.md)
    # The channels: each an app; leave one out and it has no tables, admin, checks or consumer.
    "consumers.email",
    "consumers.sms",
    "consumers.whatsapp",
    "consumers.inbox",
    "consumers.push",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def _proxy_ssl_header(value: list[str]) -> tuple[str, str] | None:
    if not value:
        return None
    if len(value) != 2 or not value[0].startswith("HTTP_"):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={','.join(value)!r}: give the header as Django's META names it and the value "
            "that means HTTPS, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https")
    return value[0], value[1]


# --- Behind TLS (README, "Production"). With DEBUG off every default is the secure one; with DEBUG
# on they relax, so the demo and a laptop work over http://localhost. ---
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])  # e.g. https://comms.example.com
# Set only behind a TLS proxy that sets this header and drops a client's own: Django then trusts it.
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env_list("SECURE_PROXY_SSL_HEADER", []))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks call the port over plain HTTP
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)  # a year
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)  # a commitment to hstspreload.org: say so yourself
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

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
# (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_SENDGRID_API_KEY, …). Not ANYMAIL_WEBHOOK_SECRET: it is a
# setting of the apps (comma-separated pairs, to rotate), resolved from the environment and handed to
# anymail's webhook views by consumers/webhooks/email.py; here, as one string, it would read as one pair.
ANYMAIL = {name[len("ANYMAIL_"):]: value for name, value in os.environ.items()
           if name.startswith("ANYMAIL_") and name != "ANYMAIL_WEBHOOK_SECRET"}

# Every setting of the apps themselves (OUTBOX_*, RELAY_*, CONSUMER_*, EMAIL_CONCURRENCY, SMS_*,
# COMMS_*, …) is read from the environment by the apps (chesanto_comms/conf.py), so none is set here.

LOGGING = logging_config(env_str("LOG_FORMAT", "plain"), env_str("LOG_LEVEL", "INFO"))
