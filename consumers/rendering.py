"""Jinja2 rendering of message templates.

Templates are looked up in the directories of COMMS_TEMPLATE_DIRS first, in order, then in
each installed channel app's own `message_templates/` (consumers/channel_app.py): a project
overrides any message, component or the base layout by putting a file with the same relative
path in one of its directories (the first match wins, like Django's DIRS). Branding (COMMS_COMPANY_NAME, COMMS_LOGO_URL, the
colours, the postal address) reaches every template as globals. Undefined variables are
errors (StrictUndefined) and HTML is autoescaped, so a missing field fails loudly instead of
mailing a blank, and user text cannot inject markup.

Staff's overrides (consumers/template_overrides.py) take the place of a file's source, or of a subject: they
are rendered in Jinja2's sandbox (no attribute a template could reach Python's internals by), with the same
filters, globals, undefined and escaping rules, and may extend or include the files.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import css_inline
from django.utils import timezone
from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from chesanto_comms.conf import comms, generation
from consumers.filters import FILTERS
from consumers.inlining import InliningLoader, same_document
from consumers.template_overrides import Overrides, Sandboxed, in_force

log = logging.getLogger(__name__)

def packaged_template_dirs() -> tuple[str, ...]:
    """The installed channel apps' own template directories, in INSTALLED_APPS order: found once per
    process (the apps do not change), not on every render."""
    return _packaged_template_dirs()


@lru_cache(maxsize=1)
def _packaged_template_dirs() -> tuple[str, ...]:
    from consumers.channels import installed

    return tuple(str(app.templates_dir) for app in installed().values() if app.templates_dir)


def search_path() -> list[str]:
    return [*comms.COMMS_TEMPLATE_DIRS, *packaged_template_dirs()]


def environment(pre_inlined: bool = False) -> Environment:
    env = _environment(tuple(search_path()), pre_inlined)
    current = brand(generation())
    if env.globals.get("brand") is not current:  # the settings changed (tests): the new branding
        env.globals["brand"] = current
    return env


@lru_cache(maxsize=8)
def _environment(path: tuple[str, ...], pre_inlined: bool) -> Environment:
    loader = FileSystemLoader(list(path))
    return _configured(Environment, InliningLoader(loader) if pre_inlined else loader)


def _configured(kind: type[Environment], loader) -> Environment:
    env = kind(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


def sandbox(overrides: Overrides) -> SandboxedEnvironment:
    """The sandboxed environment that renders `overrides`' sources (by their template paths) before the files:
    one per search path and overrides generation, so its template cache never outlives a change."""
    key = (tuple(search_path()), overrides.generation)
    env = _sandboxes.get(key)
    if env is None:
        if len(_sandboxes) >= 8:
            _sandboxes.clear()
        env = _sandboxes[key] = _configured(SandboxedEnvironment, ChoiceLoader(
            [DictLoader(overrides.sources), FileSystemLoader(list(key[0]))]))
    env.globals["brand"] = brand(generation())
    return env


_sandboxes: dict[tuple, SandboxedEnvironment] = {}


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=True)  # keep @media rules for mobile clients


def globals_() -> dict[str, Any]:
    return _globals(generation(), timezone.now().year)


@lru_cache(maxsize=4)
def _globals(_generation: int, year: int) -> dict[str, Any]:
    """What every template may use, from the settings (computed once per settings generation)."""
    return {
        "year": year,
        "company_name": comms.COMMS_COMPANY_NAME,
        "system_name": comms.COMMS_SYSTEM_NAME,
        "short_name": comms.COMMS_SHORT_NAME,
        "support_email": comms.COMMS_SUPPORT_EMAIL,
        "app_url": comms.COMMS_APP_URL,
        "language": "en",  # what the message is written in (consumers/languages.py); a channel's context sets it
    }


@lru_cache(maxsize=4)
def brand(_generation: int) -> SimpleNamespace:
    """`brand.primary_color` and friends: a global of the environment, so that imported macros
    (components) see it too; computed once per settings generation."""
    return SimpleNamespace(tagline=comms.COMMS_TAGLINE, logo_url=comms.COMMS_LOGO_URL,
                           primary_color=comms.COMMS_PRIMARY_COLOR, accent_color=comms.COMMS_ACCENT_COLOR,
                           background_color=comms.COMMS_BACKGROUND_COLOR, postal_address=comms.COMMS_POSTAL_ADDRESS)


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


def template(template_path: str):
    """The compiled template at `template_path`: staff's override in the sandbox if one is in force, else the file's
    (for a channel that renders its blocks one by one: the inbox)."""
    overrides = in_force()
    env = sandbox(overrides) if template_path in overrides.sources else environment()
    return env.get_template(template_path)


def render(template_path: str, context: dict[str, Any]) -> str:
    return template(template_path).render({**globals_(), **context})


def render_html(template_path: str, context: dict[str, Any]) -> str:
    """Render an HTML email with its CSS inlined into style attributes (what mail clients need):
    from the template inlined once (consumers/inlining.py) when that was found to agree; an override per message."""
    if template_path in in_force().sources:
        return _inliner().inline(render(template_path, context))
    key = (tuple(search_path()), template_path)
    verdict = _pre_inlined_agrees.get(key)
    if verdict:
        return environment(pre_inlined=True).get_template(template_path).render({**globals_(), **context})
    per_message = _inliner().inline(render(template_path, context))
    if verdict is None:
        pre = environment(pre_inlined=True).get_template(template_path).render({**globals_(), **context})
        _pre_inlined_agrees[key] = agrees = same_document(per_message, pre)
        if agrees:
            return pre  # the same bytes every later message of this template gets
        log.warning("%s: its CSS cannot be inlined once for all messages (a selector css-inline must see "
                    "the whole document for); it is inlined per message", template_path)
    return per_message


_pre_inlined_agrees: dict[tuple, bool] = {}  # (search path, template) -> whether the pre-inlined one agrees


@lru_cache(maxsize=256)
def _compiled(source: str):
    return environment().from_string(source)  # a subject line: compiled once, not per message


def render_string(source: str, context: dict[str, Any]) -> str:
    """A subject line: staff's (a `Sandboxed` source) in the sandbox."""
    template = sandbox(in_force()).from_string(source) if isinstance(source, Sandboxed) else _compiled(source)
    return template.render({**globals_(), **context})
