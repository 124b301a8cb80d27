"""Keeping URL secrets (such as Africa's Talking's SMS_WEBHOOK_SECRET) out of the logs.

A channel app names the webhook routes whose next path segment is a secret (ChannelApp.secret_routes;
the SMS app: Africa's Talking's delivery-report URL ends in the secret). Django writes request paths to
its own loggers, mostly outside any view: `django.request` for every 4xx/5xx ("Forbidden: /…/",
"Conflict: /…/", also 404s of URLs no view matched and 405s answered by `require_POST`),
`django.server` for runserver's access lines, `django.security.*` for CSRF failures and
suspicious requests (with the request attached for handlers such as AdminEmailHandler); and
gunicorn, when its access log is on, writes every path to `gunicorn.access`. So a
view that answers quietly cannot be enough. Instead `RedactSecretSegments`, a filter on exactly
those loggers, rewrites each record that names such a URL before any handler sees it: the
segment after a secret route becomes `********` in the message (its arguments merged in), in a
traceback's text and in a copy of the attached request. A right secret and a wrong guess are
masked alike, wherever the project mounts the URLs.

The app installs it in ready(), so it works in a host project with no LOGGING changes; a later
dictConfig keeps a logger's filters. Logs written outside this process (a reverse proxy's access
log) need the same care: docs/webhooks.md.
"""
from __future__ import annotations

import copy
import logging
import re
from functools import lru_cache

import django.contrib.sessions.exceptions  # noqa: F401 - Django's SuspiciousOperation subclasses, all defined
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest

MASK = "********"
_NOTHING = re.compile(r"(?!)")


def secret_routes() -> tuple[str, ...]:
    """The installed channels' routes whose next path segment is a secret."""
    from consumers.channels import installed

    return tuple(route for app in installed().values() for route in app.secret_routes)


@lru_cache(maxsize=1)
def _segment_pattern(routes: tuple[str, ...]) -> re.Pattern:
    if not routes:
        return _NOTHING
    return re.compile("(" + "|".join(re.escape(route) for route in routes) + r")[^/?#\s]+", re.IGNORECASE)


def _segment() -> re.Pattern:
    return _segment_pattern(secret_routes())


def redact(text: str) -> str:
    return _segment().sub(lambda match: match.group(1) + MASK, text)


def _masked_request(request: HttpRequest) -> HttpRequest:
    """A shallow copy whose path and META name no secret (the live request is left alone)."""
    masked = copy.copy(request)
    masked.path, masked.path_info = redact(request.path), redact(request.path_info)
    masked.META = {name: redact(value) if isinstance(value, str) else value for name, value in request.META.items()}
    if hasattr(request, "environ"):
        masked.environ = masked.META
    masked.resolver_match = None  # its kwargs hold the secret
    return masked


class RedactSecretSegments(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, this filter must not raise
            return True
        if _segment().search(message):
            record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if _segment().search(text):
                record.exc_text = redact(text)  # formatters use exc_text when it is set
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest) and _segment().search(request.get_full_path()):
            record.request = _masked_request(request)
        return True  # never drops a record: the request is logged, its secret is not


def _subclasses(cls: type) -> list[type]:
    return [cls] + [sub for direct in cls.__subclasses__() for sub in _subclasses(direct)]


def request_loggers() -> list[str]:
    """The loggers request paths are written (or requests attached) to. A SuspiciousOperation is
    logged to django.security.<its class name>: Django's own, and those of the apps loaded so far."""
    security = sorted({f"django.security.{cls.__name__}" for cls in _subclasses(SuspiciousOperation)})
    return ["django.request", "django.server", "django.security.csrf", *security, "gunicorn.access"]


def install() -> None:
    """Add the filter to each of those loggers, once."""
    for name in request_loggers():
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecretSegments) for existing in logger.filters):
            logger.addFilter(RedactSecretSegments())
