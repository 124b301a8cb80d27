"""The preference page from a signed link (GET shows, POST saves, no login) and the one-click unsubscribe
(RFC 8058: a POST with the body `List-Unsubscribe=One-Click`, no login, no CSRF token: mail providers send it).

A link that is too old or not ours gets a page saying so (410 / 403), never an error. The signed-in user's
page (the inbox's, consumers/inbox/views.py) renders the same form with `render_form`.
"""
from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template import Context, Engine
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from chesanto_comms.conf import comms
from consumers import preference_links
from consumers.channels import channel_class
from consumers.preference_links import Link, LinkRefused
from consumers.preference_page import choices
from consumers.preferences import PreferenceError

TEMPLATES = Engine(dirs=[str(Path(__file__).resolve().parent / "templates")], autoescape=True)
GONE, FORBIDDEN = 410, 403


def render_form(request: HttpRequest, key: str, action: str, link: Link | None = None, who: str = "") -> HttpResponse:
    """The form for `key`, posting to `action`; `link`: the message's category and channel, marked; `who`: the
    recipient as the page names them (else the key)."""
    context = Context({
        "company": comms.COMMS_COMPANY_NAME, "key": who or key, "action": action, "csrf_token": get_token(request),
        "choices": choices.choices(key), "saved": request.GET.get("saved") == "1",
        "asked": link and f"{link.category}.{link.channel}",
    })
    return HttpResponse(TEMPLATES.get_template("preferences/page.html").render(context))


def refused(exc: LinkRefused | PreferenceError) -> HttpResponse:
    expired = getattr(exc, "expired", False)
    context = Context({"company": comms.COMMS_COMPANY_NAME, "expired": expired, "reason": str(exc),
                       "support": comms.COMMS_SUPPORT_EMAIL})
    return HttpResponse(TEMPLATES.get_template("preferences/refused.html").render(context),
                        status=GONE if expired else FORBIDDEN)


@require_http_methods(["GET", "POST"])
@csrf_protect
def page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = preference_links.read(token)
        if request.method == "POST":
            choices.apply(link.key, set(request.POST.getlist("in")))
            return HttpResponseRedirect(f"{request.path}?saved=1")  # a reload does not post again
        return render_form(request, link.key, request.path, link)
    except (LinkRefused, PreferenceError) as exc:
        return refused(exc)


@require_http_methods(["GET", "POST"])
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """POST: out of the link's category on its channel at once, 200 whether or not it was in already. GET (a
    person who opened the header's URL, or a scanner): the preference page, which changes nothing until saved."""
    if request.method == "GET":
        return HttpResponseRedirect(reverse("comms:preferences:page", args=[token]))
    try:
        link = preference_links.read(token)
        choices.unsubscribe(link)
    except (LinkRefused, PreferenceError) as exc:
        return refused(exc)
    return HttpResponse(f"Unsubscribed: no more {link.category} messages by {channel_class(link.channel).label}.\n",
                        content_type="text/plain; charset=utf-8")
