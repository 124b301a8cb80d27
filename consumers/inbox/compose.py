"""Building one inbox item: title, body, link and category, from the notification's template.

An inbox template is one `.txt` file with named blocks, so a project overrides all of an item
in one file (COMMS_TEMPLATE_DIRS, like every message):

    {% block title %}Low stock: {{ product_name }}{% endblock %}
    {% block body %}…{% endblock %}
    {% block link %}{{ app_url }}{% endblock %}     (optional; empty = no link)

The context is the event's data with secret fields left masked (an item is kept for months and
shown in a browser: no secret belongs in it).
"""
from __future__ import annotations

from dataclasses import dataclass

from consumers import rendering
from consumers.inbox.models import Category, InboxItem
from consumers.languages import Language, translated, written_in
from consumers.notifications import Notification
from outbox.events.base import EventSchema

REQUIRED_BLOCKS = ("title", "body")
TITLE_MAX = InboxItem._meta.get_field("title").max_length
LINK_MAX = InboxItem._meta.get_field("link").max_length
LINK_SCHEMES = ("https://", "http://")


class InvalidItem(ValueError):
    """A rendered item the feed cannot hold (no title, a title or link too long, a link that is no URL)."""


@dataclass(frozen=True)
class RenderedItem:
    title: str
    body: str
    link: str
    category: Category


def render_item(notification: Notification, data: EventSchema, language: Language = Language.EN) -> RenderedItem:
    language = written_in(notification, language, [f"{notification.template}.txt"])
    path = translated(f"{notification.template}.txt", language)
    template = rendering.template(path)  # staff's version, if one is in force
    context = template.new_context({**rendering.globals_(), **data.model_dump(), **notification.extra_context(data),
                                    "language": language.value})

    def block(name: str) -> str:
        if name not in template.blocks:
            if name in REQUIRED_BLOCKS:
                raise InvalidItem(f"{path} has no {{% block {name} %}}: an inbox template needs "
                                  f"{' and '.join(REQUIRED_BLOCKS)} blocks (and may have a link block)")
            return ""
        return "".join(template.blocks[name](context)).strip()

    title = " ".join(block("title").split())
    if not title:
        raise InvalidItem(f"{path} rendered an empty title")
    if len(title) > TITLE_MAX:
        raise InvalidItem(f"{path} rendered a title of {len(title)} characters; the feed holds {TITLE_MAX}")
    return RenderedItem(title=title, body=block("body"), link=checked_link(block("link"), path),
                        category=Category(notification.options["category"]))


def checked_link(link: str, path: str) -> str:
    """The link as the page may put it in an href: an http(s) URL or a path on this site, or empty."""
    if not link:
        return ""
    if len(link) > LINK_MAX:
        raise InvalidItem(f"{path} rendered a link of {len(link)} characters; the feed holds {LINK_MAX}")
    if link.startswith(LINK_SCHEMES) or (link.startswith("/") and not link.startswith("//")):
        if not any(c.isspace() for c in link):
            return link
    raise InvalidItem(f"{path} rendered the link {link[:80]!r}: use an http(s) URL or a path starting with /")
