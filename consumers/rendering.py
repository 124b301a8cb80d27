"""Jinja2 rendering of message templates (templates/ at the repository root).

Undefined variables are errors (StrictUndefined) and HTML is autoescaped, so a
missing field fails loudly instead of mailing a blank, and user text cannot inject markup.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from django.conf import settings
from django.utils import timezone
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from consumers.filters import FILTERS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=True)  # keep @media rules for mobile clients


def globals_() -> dict[str, Any]:
    return {
        "year": timezone.now().year,
        "company_name": "Chesanto Bakery",
        "support_email": settings.COMMS_SUPPORT_EMAIL,
        "app_url": settings.COMMS_APP_URL,
    }


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
