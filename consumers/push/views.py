"""The mobile app's JSON endpoints for its device tokens, under /comms/push/ (consumers/urls.py).

    GET    devices/             the signed-in user's devices (and Django's CSRF cookie)
    POST   devices/             {"token": "...", "platform": "android|ios|web"}: register or refresh
    DELETE devices/<token>/     unregister (sign-out)
    POST   devices/unregister/  {"token": "..."}: the same, for clients that cannot send DELETE

Session authentication, as the rest of the project: a request needs a signed-in user (else 401)
and, for POST and DELETE, Django's CSRF token (the X-CSRFToken header), as Django checks for
every session-authenticated change. Errors are JSON: {"error": "..."}. Another user's token is
"not found" (404), as an unknown one: tokens cannot be probed (consumers/push/devices.py).
"""
from __future__ import annotations

import json
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from consumers.push import devices
from consumers.push.models import PushDevice


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signed_in(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _error(401, "sign in first: these endpoints need a signed-in user's session")
        try:
            return view(request, *args, **kwargs)
        except devices.DeviceError as exc:
            return _error(exc.status, str(exc))
    return wrapper


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
@signed_in
def device_list(request):
    if request.method == "GET":
        return JsonResponse({"devices": [_shown(d) for d in request.user.push_devices.order_by("pk")]})
    body = _json_body(request)
    registration = devices.register(request.user, body.get("token"), body.get("platform"))
    # A token that moved from another user is `created` for this one: the answer never tells it was someone's.
    answer = {**_shown(registration.device), "created": registration.created}
    return JsonResponse(answer, status=201 if registration.created else 200)


@require_http_methods(["DELETE"])
@signed_in
def device_detail(request, token: str):
    devices.unregister(request.user, token)
    return HttpResponse(status=204)


@require_http_methods(["POST"])
@signed_in
def device_unregister(request):
    devices.unregister(request.user, _json_body(request).get("token"))
    return HttpResponse(status=204)
