"""Jinja2 rendering of message templates.

Templates are looked up in the directories of COMMS_TEMPLATE_DIRS first, in order, then in
the package's own `message_templates/`: a project overrides any message, component or the
base layout by putting a file with the same relative path in one of its directories (the
first match wins, like Django's DIRS). Branding (COMMS_COMPANY_NAME, COMMS_LOGO_URL, the
colours, the postal address) reaches every template as globals. Undefined variables are
errors (StrictUndefined) and HTML is autoescaped, so a missing field fails loudly instead of
mailing a blank, and user text cannot inject markup.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from django.utils import timezone
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from chesanto_comms.conf import comms
from consumers.filters import FILTERS

PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "message_templates"


def search_path() -> list[str]:
    return [*comms.COMMS_TEMPLATE_DIRS, str(PACKAGED_TEMPLATES)]


def environment() -> Environment:
    return _environment(tuple(search_path()))


@lru_cache(maxsize=4)
def _environment(path: tuple[str, ...]) -> Environment:
    env = Environment(
        loader=FileSystemLoader(list(path)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.globals["brand"] = Brand()
    return env


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=True)  # keep @media rules for mobile clients


def globals_() -> dict[str, Any]:
    return {
        "year": timezone.now().year,
        "company_name": comms.COMMS_COMPANY_NAME,
        "system_name": comms.COMMS_SYSTEM_NAME,
        "short_name": comms.COMMS_SHORT_NAME,
        "support_email": comms.COMMS_SUPPORT_EMAIL,
        "app_url": comms.COMMS_APP_URL,
    }


class Brand:
    """`brand.primary_color` and friends, read from the settings at render time; a global of the
    environment, so that imported macros (components) see it too."""

    tagline = property(lambda self: comms.COMMS_TAGLINE)
    logo_url = property(lambda self: comms.COMMS_LOGO_URL)
    primary_color = property(lambda self: comms.COMMS_PRIMARY_COLOR)
    accent_color = property(lambda self: comms.COMMS_ACCENT_COLOR)
    background_color = property(lambda self: comms.COMMS_BACKGROUND_COLOR)
    postal_address = property(lambda self: comms.COMMS_POSTAL_ADDRESS)


def missing_templates(paths: list[str]) -> list[str]:
    """The paths among `paths` that no directory of the search path holds."""
    env = environment()
    missing = []
    for path in paths:
        try:
            env.get_template(path)
        except TemplateNotFound:
            missing.append(path)
    return missing


def render(template_path: str, context: dict[str, Any]) -> str:
    return environment().get_template(template_path).render({**globals_(), **context})


def render_html(template_path: str, context: dict[str, Any]) -> str:
    """Render an HTML email with its CSS inlined into style attributes (what mail clients need)."""
    return _inliner().inline(render(template_path, context))


@lru_cache(maxsize=256)
def _compiled(source: str):
    return environment().from_string(source)  # a subject line: compiled once, not per message


def render_string(source: str, context: dict[str, Any]) -> str:
    return _compiled(source).render({**globals_(), **context})
