"""The mobile app's JSON endpoints for its device tokens, under /comms/push/ (consumers/urls.py).

    GET    devices/             the user's devices (and Django's CSRF cookie, for session clients)
    POST   devices/             {"token": "...", "platform": "android|ios|web"}: register or refresh
    DELETE devices/<token>/     unregister (sign-out)
    POST   devices/unregister/  {"token": "..."}: the same, with the token out of the URL (and the logs)
    POST   app-token/           a session's user gets an app token (session and CSRF only)

A device request is the app's, by its bearer token (`Authorization: Bearer <token>`, from
`app_tokens.issue_token`, no CSRF), or a signed-in session's with Django's CSRF token
(consumers/push/authentication.py); else 401. Errors are JSON: {"error": "..."}. Another user's
token is "not found" (404), as an unknown one: tokens cannot be probed (consumers/push/devices.py).
"""
from __future__ import annotations

import json
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from consumers.push import app_tokens, devices
from consumers.push.authentication import app_or_session, unauthorized
from consumers.push.models import PushDevice
from consumers.push.settings import push_settings


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def device_endpoint(view):
    """Authenticated by app token or session (else 401); a DeviceError answered as JSON with its status."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except devices.DeviceError as exc:
            return _error(exc.status, str(exc))
    return app_or_session(wrapper)


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise devices.DeviceError("the body must be a JSON object, e.g. {\"token\": \"...\", \"platform\": \"android\"}") from None
    if not isinstance(body, dict):
        raise devices.DeviceError("the body must be a JSON object, not " + type(body).__name__)
    return body


def _shown(device: PushDevice) -> dict:
    return {"token": device.token, "platform": device.platform, "created_at": device.created_at.isoformat(),
            "last_seen_at": device.last_seen_at.isoformat()}


@require_http_methods(["GET", "POST"])
@ensure_csrf_cookie
@device_endpoint
def device_list(request):
    if request.method == "GET":
        return JsonResponse({"devices": [_shown(d) for d in request.user.push_devices.order_by("pk")]})
    body = _json_body(request)
    registration = devices.register(request.user, body.get("token"), body.get("platform"))
    # A token that moved from another user is `created` for this one: the answer never tells it was someone's.
    answer = {**_shown(registration.device), "created": registration.created}
    return JsonResponse(answer, status=201 if registration.created else 200)


@require_http_methods(["DELETE"])
@device_endpoint
def device_detail(request, token: str):
    devices.unregister(request.user, token)
    return HttpResponse(status=204)


@require_http_methods(["POST"])
@device_endpoint
def device_unregister(request):
    devices.unregister(request.user, _json_body(request).get("token"))
    return HttpResponse(status=204)


@require_POST
@csrf_protect
def app_token(request):
    """For an app that signs in through a web view: the session's user gets a token for the app."""
    if not request.user.is_authenticated:
        return unauthorized("sign in first: an app token is issued to a signed-in session's user")
    return JsonResponse({"token": app_tokens.issue_token(request.user),
                         "expires_in": push_settings.PUSH_APP_TOKEN_MAX_AGE})
