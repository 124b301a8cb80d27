"""Who a request to the device endpoints comes from: the app's bearer token, else the session.

    Authorization: Bearer <token>   the user the token was issued to (consumers/push/app_tokens.py);
                                    no CSRF token needed: a browser never sends this header by itself
    a session cookie, no bearer     the signed-in user, and Django's CSRF check as for every
                                    session-authenticated change (X-CSRFToken; over HTTPS, with no
                                    Origin header, a same-origin Referer too)
    neither                         401

A bad bearer token is a 401 of its own (expired, not ours, no longer valid); it never falls back to
the session. The views are exempt from CsrfViewMiddleware and run its check themselves for session
requests, so the check holds even in a project without the middleware.
"""
from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from consumers.push import app_tokens

REALM = 'Bearer realm="push"'


def unauthorized(message: str, error: str | None = None) -> JsonResponse:
    response = JsonResponse({"error": message}, status=401)
    response["WWW-Authenticate"] = REALM + (f', error="{error}"' if error else "")
    return response


def bearer_token(request) -> str | None:
    """The token of an `Authorization: Bearer …` header; None without one (another scheme included)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def app_or_session(view):
    session_view = csrf_protect(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = bearer_token(request)
        if token is not None:
            try:
                request.user = app_tokens.user_for(token)
            except app_tokens.InvalidAppToken as exc:
                return unauthorized(str(exc), error="invalid_token")
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return unauthorized("sign in first: send the app token as Authorization: Bearer <token> "
                                "(docs/push.md), or a signed-in session's cookie")
        return session_view(request, *args, **kwargs)
    return csrf_exempt(wrapper)
