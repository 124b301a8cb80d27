"""What every delivery-status endpoint shares: POST only and CSRF-exempt, the outcome of a
callback (counted in chesanto_webhook_callbacks_total) and its HTTP answer, and `settle`,
which applies one authentic callback to its log row exactly once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import models, transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from consumers.log_rows import Change, advance
from consumers.metrics import WEBHOOK_CALLBACKS
from consumers.webhooks import replay

log = logging.getLogger(__name__)

# Outcomes (the counter's `outcome` label) and the HTTP status each one answers.
APPLIED = "applied"  # the log row changed
DUPLICATE = "duplicate"  # authentic and new, but changed nothing (already applied, stale, or not tracked)
UNKNOWN_MESSAGE = "unknown_message"  # authentic, but no log row has that provider message id
REFUSED_UNSIGNED = "refused_unsigned"  # no signature / credentials / URL secret (or the endpoint is off)
REFUSED_FORGED = "refused_forged"  # a signature, credentials or URL secret that does not match
REFUSED_REPLAY = "refused_replay"  # this exact callback was accepted before (or is too old to tell)
REFUSED_IP = "refused_ip"  # the caller is outside the allow-list

HTTP_STATUS = {
    APPLIED: 200,
    DUPLICATE: 200,  # idempotent: the provider must not retry
    UNKNOWN_MESSAGE: 200,  # not ours (another system on the account): retrying would not help
    REFUSED_UNSIGNED: 403,
    REFUSED_FORGED: 403,
    REFUSED_REPLAY: 409,  # Conflict: "already received", distinct from a refused signature
    REFUSED_IP: 403,
}
ENDPOINT_OFF = 404  # the endpoint's secret is not configured: it does not exist


def count(provider: str, outcome: str) -> None:
    WEBHOOK_CALLBACKS.labels(provider=provider, outcome=outcome).inc()


def answer(provider: str, outcome: str, detail: str = "") -> HttpResponse:
    """Count the outcome and answer it, with a one-line reason for whoever reads the provider's logs."""
    count(provider, outcome)
    status = HTTP_STATUS[outcome]
    text = f"{outcome}: {detail}" if detail else outcome
    log.log(logging.WARNING if status >= 400 else logging.INFO, "%s callback %s", provider, text)
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def endpoint_off(provider: str, needs: str) -> HttpResponse:
    """The endpoint's secret is not set: every callback is unverifiable, so it is refused and counted."""
    count(provider, REFUSED_UNSIGNED)
    log.warning("%s callback refused: the endpoint is off until %s is set (docs/webhooks.md)", provider, needs)
    return HttpResponse(f"{provider} delivery callbacks are not enabled on this server\n",
                        status=ENDPOINT_OFF, content_type="text/plain; charset=utf-8")


def provider_view(view: Callable) -> Callable:
    """Providers post without a CSRF token; nothing but POST is accepted (405 otherwise)."""
    return csrf_exempt(require_POST(view))


def settle(provider: str, content_digest: str, rows: models.QuerySet, change: Change) -> str:
    """Apply one authentic callback to the row `rows` finds; returns the outcome.

    The row lock, the receipt and the change commit together: two copies of one callback
    arriving at once are serialised by the lock, and the second meets the first's receipt.
    """
    with transaction.atomic():
        entry = rows.select_for_update().first()
        if entry is None:
            return UNKNOWN_MESSAGE  # no receipt either: the row may exist when the provider retries
        if not replay.remember(provider, content_digest):
            return REFUSED_REPLAY
        outcome = APPLIED if advance(entry, change) else DUPLICATE
    replay.purge_now_and_then()
    return outcome
