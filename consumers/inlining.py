"""CSS inlined once per template, not per message.

Mail clients need the layout's CSS in each element's style attribute; inlining the rendered HTML
of every message (css-inline parses, matches and serialises the whole document) was a tenth of
the consumer's CPU. Instead the template *sources* are inlined when they are loaded: each Jinja
construct becomes a placeholder (a comment in content, a bare token inside a tag or in <title>/
<style>, where a comment would be text), css-inline inlines the layout's stylesheet into the
source (the layout as a document, the components and messages as fragments with the layout's
CSS), and the placeholders go back. That is exact for stylesheets of simple selectors (element,
class), as ours are; a project's override need not be, so the first message of each template is
rendered both ways and compared (whitespace aside): the template is kept pre-inlined only if they
agree, and is otherwise inlined per message, as before.
"""
from __future__ import annotations

import logging
import re

import css_inline
from jinja2 import BaseLoader, Environment

log = logging.getLogger(__name__)

LAYOUT = "emails/base.html"  # where the stylesheet lives
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_MARK = re.compile(r"<!--CHJ(\d+)X-->|CHJ(\d+)X")
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
_SPACE = re.compile(r"\s+")


def _in_text_only_context(before: str) -> bool:
    """Inside a tag, or in an element whose content is text (a comment there would be text)."""
    if before.rfind("<") > before.rfind(">"):
        return True
    lower = before.lower()
    return any(lower.rfind(f"<{name}") > lower.rfind(f"</{name}") for name in ("title", "style"))


def inline_source(source: str, css: str, document: bool) -> str:
    """The template source with the stylesheet inlined and its Jinja constructs unchanged."""
    constructs, parts, position = [], [], 0
    for match in _JINJA.finditer(source):
        parts.append(source[position:match.start()])
        index = len(constructs)
        constructs.append(match.group(0))
        parts.append(f"CHJ{index}X" if _in_text_only_context("".join(parts)) else f"<!--CHJ{index}X-->")
        position = match.end()
    parts.append(source[position:])
    html = "".join(parts)
    inlined = (css_inline.CSSInliner(keep_style_tags=True).inline(html) if document
               else css_inline.inline_fragment(html, css))
    return _MARK.sub(lambda m: constructs[int(m.group(1) or m.group(2))], inlined)


class InliningLoader(BaseLoader):
    """Another loader's templates, the HTML ones with the layout's CSS inlined into their source."""

    def __init__(self, inner: BaseLoader):
        self.inner = inner

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.inner.get_source(environment, template)
        if not template.endswith(".html"):
            return source, filename, uptodate
        if template == LAYOUT:
            return inline_source(source, "", document=True), filename, uptodate
        layout = self.inner.get_source(environment, LAYOUT)[0]
        css = "\n".join(_STYLE.findall(layout))
        return inline_source(source, css, document=False), filename, uptodate


def same_document(a: str, b: str) -> bool:
    """Whether two inlined documents agree, serialised the same way and whitespace aside."""
    normal = css_inline.CSSInliner(keep_style_tags=True)
    return _SPACE.sub(" ", normal.inline(a)) == _SPACE.sub(" ", normal.inline(b))
