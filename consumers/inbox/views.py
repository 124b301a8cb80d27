"""The inbox's JSON API, its live stream and its page, for the logged-in user and their own items only.

Django's session authentication: an anonymous request gets 401 JSON (the page: a redirect to
LOGIN_URL); a POST needs Django's CSRF token (X-CSRFToken header), as every session-authenticated
POST does. The preference page is the user's own (`user:<pk>`: the inbox and push), the form the signed
links in messages open (consumers/preference_page/). Another user's item is "not found" (404), never "forbidden": ids are not probed. docs/inbox.md.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.template import Context, Engine
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from consumers.inbox import feed
from consumers.inbox.settings import inbox_settings
from consumers.inbox.stream import StreamTimings, read, stream
from consumers.preference_page import choices
from consumers.preference_page.views import render_form

MAX_LIMIT = 100
PAGE_TEMPLATES = Engine(dirs=[str(Path(__file__).resolve().parent / "templates")], autoescape=True)


class BadRequest(ValueError):
    """A parameter the API cannot use; the message names it and says what it takes."""


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _now(query: Callable[[], bool]) -> bool:
    return query()


def api(*methods: str, check_session: Callable[[Callable[[], bool]], bool] = _now) -> Callable:
    """A JSON endpoint: the user logged in (else 401), one of `methods` (else 405), BadRequest → 400.
    `check_session` runs the session's look-up (the live stream's: as one of its bounded reads)."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not check_session(lambda: request.user.is_authenticated):
                response = error(401, "log in first: the inbox API uses the session of a logged-in user")
                response["WWW-Authenticate"] = 'Session realm="inbox"'
                return response
            if request.method not in methods:
                response = error(405, f"{request.method} is not allowed here; use {' or '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except BadRequest as exc:
                return error(400, str(exc))
        return csrf_protect(wrapper) if "POST" in methods else wrapper
    return decorate


def _int_param(request: HttpRequest, name: str, minimum: int, maximum: int | None = None, value: str | None = None):
    raw = request.GET.get(name) if value is None else value
    if raw is None or raw == "":
        return None
    # ASCII only: "²".isdigit() is True, and int("²") raises.
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum or (maximum is not None and int(raw) > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise BadRequest(f"{name}={raw[:40]!r}: give a whole number {bounds}")
    return int(raw)


def _not_found(item_id: int) -> JsonResponse:
    return error(404, f"you have no inbox item {item_id}")


# --- the API -------------------------------------------------------------------
@api("GET")
def item_list(request: HttpRequest) -> JsonResponse:
    try:
        state = feed.State(request.GET.get("state") or feed.State.INBOX)
    except ValueError:
        raise BadRequest(f"state={request.GET['state'][:40]!r}: use one of {', '.join(feed.State)}") from None
    limit = _int_param(request, "limit", 1, MAX_LIMIT) or inbox_settings.INBOX_PAGE_SIZE
    before = _int_param(request, "before", 1)
    items, cursor = feed.page(request.user.pk, state, limit, before)
    next_url = None
    if cursor is not None:
        next_url = f"{request.path}?state={state}&limit={limit}&before={cursor}"
    return JsonResponse({"items": [feed.as_json(item) for item in items], "next": next_url,
                         "unread_count": feed.unread_count(request.user.pk)})


@api("GET")
def unread_count(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"unread_count": feed.unread_count(request.user.pk)})


@api("POST")
def mark_read(request: HttpRequest, item_id: int) -> JsonResponse:
    item = feed.mark_read(request.user.pk, item_id)
    if item is None:
        return _not_found(item_id)
    return JsonResponse({"item": feed.as_json(item), "unread_count": feed.unread_count(request.user.pk)})


@api("POST")
def mark_all_read(request: HttpRequest) -> JsonResponse:
    marked = feed.mark_all_read(request.user.pk)
    return JsonResponse({"marked": marked, "unread_count": feed.unread_count(request.user.pk)})


@api("POST")
def archive(request: HttpRequest, item_id: int) -> JsonResponse:
    item = feed.archive(request.user.pk, item_id)
    if item is None:
        return _not_found(item_id)
    return JsonResponse({"item": feed.as_json(item), "unread_count": feed.unread_count(request.user.pk)})


@api("GET", check_session=read)
def live(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events; resumes after the Last-Event-ID header, else after `?after=`, else from now."""
    header = request.headers.get("Last-Event-ID")
    after = _int_param(request, "Last-Event-ID", 0, value=header.strip()) if header else _int_param(request, "after", 0)
    timings = StreamTimings(heartbeat=inbox_settings.INBOX_SSE_HEARTBEAT,
                            max_seconds=inbox_settings.INBOX_SSE_MAX_SECONDS, retry=inbox_settings.INBOX_SSE_RETRY)
    response = StreamingHttpResponse(stream(request.user.pk, after, timings), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


# --- the page ------------------------------------------------------------------
@require_GET
@login_required
def page(request: HttpRequest) -> HttpResponse:
    namespace = request.resolver_match.namespace  # "comms:inbox" where consumers/urls.py mounts it
    context = Context({
        "csrf_token": get_token(request),
        "user": request.user,
        "urls": {name: reverse(f"{namespace}:{name}") for name in ("items", "read_all", "stream", "preferences")},
    })
    return HttpResponse(PAGE_TEMPLATES.get_template("inbox/page.html").render(context))


@require_http_methods(["GET", "POST"])
@login_required
@csrf_protect
def preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in user's preferences, recorded as theirs (`changed_by`): what the inbox and push send them."""
    key = f"user:{request.user.pk}"
    if request.method == "POST":
        choices.apply(key, set(request.POST.getlist("in")), by=request.user)
        return HttpResponseRedirect(f"{request.path}?saved=1")
    return render_form(request, key, request.path, who=request.user.get_username())
