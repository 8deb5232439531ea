"""The floor of figure 1: plain Jinja2 rendering the same article pages, nothing else.

Setup (not timed) runs the real site renderer once, recording for every article page the
template, the context it was given and the notices it ended with, and loads every compiled
``.mo`` into plain dictionaries. The timed part is only Jinja2: a fresh environment over the
same template sources held in memory (so templates are compiled once, as in a real build), the
same context, and gettext/``tr`` that are dictionary lookups with Jinja's stock "newstyle"
formatting. No file is read or written, no catalog parsed, checked or compiled.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from pubflow.config import Settings
from pubflow.i18n.runtime import compiled_paths, message_key
from pubflow.locales import babel_locale, html_lang
from pubflow.render import environment as environment_module
from pubflow.render.environment import (
    LocaleEnvironment,
    _lang_attr_filter,
    autoescape_for,
    json_for_script,
)
from pubflow.render.site import ARTICLE_TEMPLATE, render_site


@dataclass(frozen=True)
class CapturedPage:
    """One article page as the real renderer set it up."""

    locale: str
    template: str
    context: dict[str, Any]


@dataclass
class FloorInput:
    """Everything the floor needs, in memory."""

    pages: list[CapturedPage]
    sources: dict[str, str]  # template name → source text
    tables: dict[tuple[str, str], dict[str, str]]  # (locale, domain) → msg key → text
    source_locale: str
    site_name: str


def capture(settings: Settings, out_dir: Path) -> FloorInput:
    """Render the site once (into ``out_dir``) and record every article page's input."""
    pages: list[CapturedPage] = []
    original = LocaleEnvironment.render

    def recording(self: LocaleEnvironment, name: str, /, **context: Any) -> Any:
        rendered = original(self, name, **context)
        if name == ARTICLE_TEMPLATE:
            frozen = dict(context)
            if callable(frozen.get("structured_data")):
                data = frozen["structured_data"]()
                frozen["structured_data"] = lambda: data
            frozen["notices"] = rendered.notices
            pages.append(CapturedPage(self.locale, name, frozen))
        return rendered

    LocaleEnvironment.render = recording  # type: ignore[method-assign]
    try:
        # In this process (no workers): the recording only sees renders made here. ``force``:
        # every page renders even if an earlier capture left its state behind.
        render_site(settings.copy(workers=1), out_dir=out_dir, force=True)
    finally:
        LocaleEnvironment.render = original  # type: ignore[method-assign]

    sources = {
        path.relative_to(settings.templates_path).as_posix(): path.read_text(encoding="utf-8")
        for path in settings.templates_path.rglob("*")
        if path.is_file()
    }
    tables: dict[tuple[str, str], dict[str, str]] = {}
    domains = {page.context["content_domain"] for page in pages} | {environment_module.UI_DOMAIN}
    for locale in settings.all_locales:
        for domain in domains:
            tables[(locale, domain)] = _mo_table(settings, locale, domain)
    return FloorInput(pages, sources, tables, settings.source_locale, settings.site_name)


def _mo_table(settings: Settings, locale: str, domain: str) -> dict[str, str]:
    if locale == settings.source_locale:
        return {}
    try:
        with compiled_paths(settings, locale, domain).mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)
    except FileNotFoundError:
        return {}
    return {key: value for key, value in catalog._catalog.items() if isinstance(key, str)}  # type: ignore[attr-defined]


class _Shown:
    """What ``tr()`` gives templates: escaped text and an empty or ``lang`` attribute."""

    __slots__ = ("text", "lang_attr")

    def __init__(self, text: str, lang_attr: Markup) -> None:
        self.text = text
        self.lang_attr = lang_attr

    def __html__(self) -> str:
        return str(escape(self.text))

    def __str__(self) -> str:
        return self.text


def _functions(floor: FloorInput, locale: str, domain: str) -> dict[str, Any]:
    """gettext, pgettext and tr as dictionary lookups (Jinja's stock newstyle formatting)."""
    ui = floor.tables[(locale, environment_module.UI_DOMAIN)]
    content = floor.tables[(locale, domain)]
    source_attr = Markup(' lang="{}"').format(html_lang(floor.source_locale))
    no_attr = Markup("")
    babel = babel_locale(locale)

    def format_ui(context: jinja2.runtime.Context, text: str, variables: Mapping[str, Any]) -> str:
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % dict(variables)

    @jinja2.pass_context
    def ui_gettext(context: jinja2.runtime.Context, msgid: str, **variables: Any) -> str:
        return format_ui(context, ui.get(msgid, msgid), variables)

    @jinja2.pass_context
    def ui_pgettext(
        context: jinja2.runtime.Context, msgctxt: str, msgid: str, **variables: Any
    ) -> str:
        return format_ui(context, ui.get(message_key(msgid, msgctxt), msgid), variables)

    def tr(msgid: str, domain: str | None = None, msgctxt: str | None = None) -> _Shown:
        text = content.get(message_key(msgid, msgctxt))
        if text is None:
            return _Shown(msgid, source_attr if locale != floor.source_locale else no_attr)
        return _Shown(text, no_attr)

    @lru_cache(maxsize=None)
    def format_date(value: dt.date | None, format: str = "long") -> str:
        return "" if value is None else babel_format_date(value, format=format, locale=babel)

    def format_number(value: int | float) -> str:
        return format_decimal(value, locale=babel)

    return {
        "_": ui_gettext,
        "gettext": ui_gettext,
        "pgettext": ui_pgettext,
        "tr": tr,
        "format_date": format_date,
        "format_number": format_number,
        "locale": locale,
        "page_lang": html_lang(locale),
        "text_direction": babel.text_direction,
        "site_name": floor.site_name,
    }


def prepare(floor: FloorInput) -> list[tuple[str, dict[str, Any]]]:
    """(template, full context) per page: lookups bound in advance, outside the timing."""
    bound: dict[tuple[str, str], dict[str, Any]] = {}
    prepared = []
    for page in floor.pages:
        key = (page.locale, page.context["content_domain"])
        if key not in bound:
            bound[key] = _functions(floor, *key)
        prepared.append((page.template, {**page.context, **bound[key]}))
    return prepared


def render_floor(floor: FloorInput, prepared: list[tuple[str, dict[str, Any]]]) -> int:
    """Render every page with a fresh Jinja2 environment; returns the characters produced."""
    env = jinja2.Environment(
        loader=jinja2.DictLoader(floor.sources),
        autoescape=autoescape_for,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(lang_attr=_lang_attr_filter, json_script=json_for_script)
    size = 0
    get: Callable[[str], jinja2.Template] = env.get_template
    for name, context in prepared:
        size += len(get(name).render(context))
    return size
