"""What the example views share: staff-only access, reading a POST, JSON answers."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from examples.common import BusinessRuleError
from outbox import EventTooLarge, InvalidEventData


class BadRequest(ValueError):
    """The request itself is malformed (a missing or unreadable field)."""


def staff_post(view):
    """A POST-only view for staff: anonymous users are redirected to the login page (302),
    signed-in users who are not staff get 403. CSRF is checked by Django's middleware as usual.
    Typed errors become JSON answers: BadRequest / InvalidEventData 400, EventTooLarge 413,
    BusinessRuleError its status (409 unless it says otherwise)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("staff only")
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        except InvalidEventData as exc:  # the event would be invalid, so nothing was written
            return JsonResponse({"error": str(exc), "fields": exc.problems}, status=400)
        except EventTooLarge as exc:
            return JsonResponse({"error": str(exc)}, status=413)
        except BusinessRuleError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status)

    return login_required(require_POST(guarded), login_url="admin:login")


def form(request) -> dict:
    """The POST's fields, from a JSON body or a form-encoded one."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise BadRequest(f"the body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadRequest("the JSON body must be an object")
        return data
    return request.POST.dict()


def required(data: dict, name: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise BadRequest(f"{name!r} is required")
    return value


def decimal(data: dict, name: str) -> Decimal:
    try:
        value = Decimal(required(data, name))
    except InvalidOperation:
        raise BadRequest(f"{name!r} must be a number, got {data.get(name)!r}") from None
    if not value.is_finite():
        raise BadRequest(f"{name!r} must be a finite number")
    return value

