"""The Jinja2 environment of one locale: safe translations, locale formatting, shown states.

Shared by every renderer (site pages, MJML newsletters, their plain-text parts):

* autoescape is on for ``.html``, ``.htm``, ``.xml``, ``.mjml`` and ``.svg`` templates (and for
  templates made from strings), off for ``.txt``. ``select_autoescape()`` misses ``.mjml``.
* ``jinja2.ext.i18n`` is installed "newstyle" with our own ``gettext``/``ngettext``/``pgettext``/
  ``npgettext`` (``_`` too). Jinja's stock callables wrap every translation in ``Markup`` under
  autoescape, so a ``<script>`` in a ``.po`` would render live; ours send every translation
  through :func:`pubflow.i18n.markup.safe_translation` (escaped unless the msgid itself has
  markup, and then only the msgid's tags pass) and escape the ``%(name)s`` values.
* ``tr(msgid, domain=None)`` shows a content string (article text: always plain text, always
  escaped) and returns a :class:`Shown` so templates can write ``<p{{ s.lang_attr }}>{{ s }}</p>``
  and mark source-language fallbacks with ``lang="en"``.
* Every lookup made while rendering is recorded in a :class:`TranslationRecord`;
  :meth:`LocaleEnvironment.render` renders until the set of :class:`Notice` kinds is stable and
  hands it to the template as ``notices``, so a page can say "parts are untranslated" *above*
  the parts that are.
* Same template syntax as ``babel.cfg`` extracts: ``{% trans %}`` blocks trimmed, and the
  ``do`` and ``loopcontrols`` extensions. Each locale has its own Jinja2 environment (its
  globals are that locale's gettext) but compiled templates are shared in memory, so adding a
  locale costs a render, not a compile.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal
from jinja2.ext import i18n as I18nExtension
from markupsafe import Markup

from pubflow.config import PublishPolicy, Settings
from pubflow.errors import RenderError
from pubflow.i18n.markup import markup_issues, might_have_markup, safe_translation
from pubflow.i18n.placeholders import untrusted_directive
from pubflow.i18n.runtime import Lookup, Translations, load_translations
from pubflow.i18n.states import State
from pubflow.locales import babel_locale, display_name, html_lang, text_direction
from pubflow.render.shown import (  # noqa: F401 (re-exported: the public names live here too)
    UI_DOMAIN,
    Notice,
    Rendered,
    RenderProblem,
    Shown,
    ShownMessage,
    TranslatedMarkup,
    TranslatedText,
    TranslationRecord,
    _current_record,
    lang_and_dir,
    _record,
)

_ShownUI = tuple[str, ShownMessage, tuple[RenderProblem, ...]]
"""A UI string as shown: the text, and the message and problems showing it records."""

AUTOESCAPE_EXTENSIONS = frozenset({"html", "htm", "xhtml", "xml", "mjml", "svg"})
PLAIN_TEXT_EXTENSIONS = frozenset({"txt", "text"})


def autoescape_for(template_name: str | None) -> bool:
    """Whether a template is autoescaped: on for HTML/XML/MJML/SVG and strings, off for text.

    Unknown extensions are escaped too: forgetting to escape is the dangerous mistake.
    """
    if template_name is None:
        return True
    suffix = template_name.rsplit(".", 1)[-1].lower() if "." in template_name else ""
    if suffix in AUTOESCAPE_EXTENSIONS:
        return True
    return suffix not in PLAIN_TEXT_EXTENSIONS


def json_for_script(data: Any) -> Markup:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators as ``\\u`` escapes.

    ``</script>`` or ``<!--`` in a translated FAQ answer must not end or confuse the script
    element; the escapes are still the same JSON for any parser.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    for char, replacement in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, replacement)
    return Markup(text)


class _SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates shared by every locale's environment in this process.

    Each locale has its own Jinja2 environment (its globals are that locale's gettext), but the
    compiled code of a template is the same for all of them: compiling once instead of once per
    locale makes a full site build several times faster. Entries are keyed by template name and
    source checksum (Jinja's own bucket logic), so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with self._lock:
            data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = bucket.bytecode_to_string()
        with self._lock:
            self._store[bucket.key] = data

    def clear(self) -> None:
        with self._lock:
            self._store.clear()


# One cache per environment configuration: every LocaleEnvironment's _TemplateLoader uses it
# (Jinja itself consults an environment's bytecode_cache only in the loading this loader replaces).
_BYTECODE = _SharedBytecode()


class _TemplateLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that knows a template file it compiled before by its stat.

    Every LocaleEnvironment loads the same templates again (one environment per locale, and
    the newsletter build makes one per issue-locale): reading the file, hashing it for the
    bytecode cache and unmarshalling its code cost about 1 ms per template each time, some
    10 % of a newsletter issue-locale. The code object is kept instead, keyed by the file's
    path and stat and the environment's configuration; a file modified within a moment of its
    compile (a same-size save in the same clock tick would keep its stat) is not kept.
    """

    _code: dict[tuple[Any, ...], Any] = {}
    _lock = threading.Lock()

    def __init__(self, searchpath: Sequence[str], cache_dir: Path | None = None) -> None:
        super().__init__(list(searchpath))
        # Compiled templates on disk (build/cache/templates/): a new process — the next
        # build, a rebuild after a translator's save — loads them instead of compiling the
        # same sources again (~0.1 s per template set). Jinja checks each file's source
        # checksum and its own version; damaged or stale files are compiled again.
        self.cache_dir = cache_dir

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: Any = None,  # noqa: A002 (Jinja's own parameter name)
    ) -> jinja2.Template:
        found = self._find(name)
        if found is None:
            return super().load(environment, name, globals)  # raises Jinja's own TemplateNotFound
        key = (*found, *_configuration(environment))
        with self._lock:
            code = self._code.get(key)
        if code is None:
            source, filename, uptodate = self.get_source(environment, name)
            bucket = _BYTECODE.get_bucket(environment, name, filename, source)
            on_disk = self._disk_path(environment, bucket)
            if bucket.code is None and on_disk is not None:
                _read_bucket(bucket, on_disk)
                if bucket.code is not None:
                    _BYTECODE.set_bucket(bucket)
            code = bucket.code or environment.compile(source, name, filename)
            if bucket.code is None:
                bucket.code = code
                _BYTECODE.set_bucket(bucket)
                if on_disk is not None:
                    _write_bucket(bucket, on_disk)
            from pubflow.fingerprint import is_racy

            if not is_racy(found[1]):
                with self._lock:
                    self._code[key] = code
        return environment.template_class.from_code(environment, code, globals or {}, None)

    def _disk_path(self, environment: jinja2.Environment, bucket: jinja2.bccache.Bucket) -> Path | None:
        if self.cache_dir is None:
            return None
        import hashlib

        setup = [
            f"{value.__module__}.{value.__qualname__}" if callable(value) else repr(value)
            for value in _configuration(environment)
        ]
        tag = hashlib.sha256("\0".join(setup).encode()).hexdigest()[:16]
        return self.cache_dir / f"{bucket.key}-{tag}.jbc"

    def _find(self, name: str) -> tuple[str, int, int, int] | None:
        """(path, mtime_ns, size, inode) of the file ``name`` is read from, as get_source looks."""
        import os
        import posixpath
        import stat

        from jinja2.loaders import split_template_path

        pieces = split_template_path(name)
        for folder in self.searchpath:
            path = posixpath.join(folder, *pieces)
            try:
                status = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(status.st_mode):
                return os.path.normpath(path), status.st_mtime_ns, status.st_size, status.st_ino
        return None


def _read_bucket(bucket: jinja2.bccache.Bucket, path: Path) -> None:
    """Fill ``bucket`` from a file written by :func:`_write_bucket`, if it is sound and current."""
    try:
        data = path.read_bytes()
    except OSError:
        return
    try:
        bucket.bytecode_from_string(data)  # resets the bucket on another Jinja or source
    except Exception:  # noqa: BLE001 — pickle and marshal raise many kinds on damaged bytes
        bucket.reset()  # damaged: compiled again (and the file rewritten)


def _write_bucket(bucket: jinja2.bccache.Bucket, path: Path) -> None:
    from pubflow.fsutil import atomic_write_bytes

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, bucket.bytecode_to_string(), durable=False)
    except OSError:
        pass  # only a cache: a read-only or full build folder costs compile time, nothing else


def _configuration(environment: jinja2.Environment) -> tuple[Any, ...]:
    """What, besides the source, decides the code Jinja compiles a template to."""
    return (
        environment.block_start_string,
        environment.variable_start_string,
        environment.comment_start_string,
        environment.line_statement_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.keep_trailing_newline,
        environment.newline_sequence,
        environment.autoescape,
        environment.optimized,
        tuple(environment.extensions),
    )


def _weak_function(method: Callable[..., Any]) -> Callable[..., Any]:
    """A template global calling a :class:`LocaleEnvironment` method without holding on to it.

    The environment holds its Jinja environment, whose globals hold these functions: bound
    methods there would make a reference cycle, and the environment with its memo of every
    message shown (~100,000 objects per language in a site build) could then only be freed by
    the cyclic collector, in passes that took a tenth of a site build. Referenced weakly, it
    is freed as soon as its build drops it.
    """
    reference = weakref.WeakMethod(method)  # type: ignore[arg-type]

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = reference()
        if bound is None:
            raise RenderError("a template outlived the environment that rendered it")
        return bound(*args, **kwargs)

    call.__name__ = getattr(method, "__name__", "call").lstrip("_")
    return call


def _context_function(method: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`_weak_function` that Jinja passes the render context to (bound methods cannot
    be marked)."""
    return jinja2.pass_context(_weak_function(method))


def _lang_attr_filter(value: Any) -> Markup:
    """`` lang="en"`` (and ``dir`` when it differs) for a UI string or content string shown in
    the source language."""
    if isinstance(value, Shown):
        return value.lang_attr
    lang = getattr(value, "lang", None)
    if not lang:
        return Markup("")
    page_lang = getattr(value, "page_lang", None)
    return lang_and_dir(lang, page_lang) if page_lang else Markup(' lang="{}"').format(lang)


def _invalid_problem(locale: str, domain: str, msgid: str) -> RenderProblem:
    return RenderProblem(
        locale,
        domain,
        msgid,
        "invalid",
        "translation fails a check; the source text is shown (run `pubflow check`)",
    )


class LocaleEnvironment:
    """Jinja2 environment bound to one locale, its catalogs and one publish policy.

    ``template_dirs`` defaults to ``settings.templates_path``. Template names are relative to
    them (``site/article.html``, ``newsletter/email.mjml``). ``translations`` preloads the
    lookups of some domains instead of reading the compiled catalogs.

    Template globals: ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext`` (UI strings,
    domain ``messages``), ``tr(msgid, domain=None)`` (content strings; the domain defaults to
    the context variable ``content_domain``), ``format_date(date, format="long")``,
    ``format_number(n)``, ``language_name(code)`` (in this locale's language),
    ``display_name(code)`` (autonym), ``html_lang(code)``, ``locale``, ``page_lang``,
    ``text_direction``, ``source_language_name``, ``site_name``; filters ``lang_attr`` and
    ``json_script``.
    """

    def __init__(
        self,
        settings: Settings,
        locale: str,
        *,
        policy: PublishPolicy | None = None,
        template_dirs: Sequence[Path] | None = None,
        ui_domain: str = UI_DOMAIN,
        translations: Mapping[str, Translations] | None = None,
    ) -> None:
        self.settings = settings
        self.locale = locale
        self.policy: PublishPolicy = policy or settings.publish_policy
        self.ui_domain = ui_domain
        self.lang = html_lang(locale)
        self.source_lang = html_lang(settings.source_locale)
        self.direction = text_direction(locale)
        self.babel = babel_locale(locale)
        # Preloaded lookups per domain (tests; a preview of catalogs not compiled to disk).
        self._translations: dict[str, Translations] = dict(translations or {})
        # (domain, msgid, msgctxt) → what lookup() shows and records (see lookup()).
        self._shown: dict[
            tuple[str, str, str | None], tuple[Shown, ShownMessage, tuple[RenderProblem, ...]]
        ] = {}
        # The same for UI strings (see _ui_text).
        self._ui_shown: dict[tuple[Any, ...], _ShownUI] = {}
        # Every message of the UI domain looked up through this environment, as
        # (msgid, msgctxt, plural): what its pages show of that catalog (see Translations.
        # shown_digest); a save of other messages leaves them as they are.
        self.ui_lookups: set[tuple[str, str | None, bool]] = set()
        self._numbers: dict[int, str] = {}
        self._dates: dict[tuple[dt.date, str], str] = {}
        dirs = list(template_dirs) if template_dirs is not None else [settings.templates_path]
        self.template_dirs = dirs
        self.jinja = jinja2.Environment(
            loader=_TemplateLoader(
                [str(d) for d in dirs], cache_dir=settings.cache_path / "templates"
            ),
            autoescape=autoescape_for,
            # The extensions babel.cfg extracts with: templates may use {% do %} and {% break %}.
            extensions=[I18nExtension, "jinja2.ext.do", "jinja2.ext.loopcontrols"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # An environment lives for one build: checking every template's mtime on each
            # include and extends (thousands of stat calls per site) buys nothing.
            auto_reload=False,
        )
        # {% trans %} blocks are whitespace-normalised, as babel.cfg extracts them (trimmed).
        self.jinja.policies["ext.i18n.trimmed"] = True
        # Our callables do the "newstyle" work themselves (format + escape): see _show_ui().
        self.jinja.newstyle_gettext = True  # type: ignore[attr-defined]
        self.jinja.globals.update(
            gettext=_context_function(self._gettext),
            ngettext=_context_function(self._ngettext),
            pgettext=_context_function(self._pgettext),
            npgettext=_context_function(self._npgettext),
            tr=_context_function(self._tr),
            locale=locale,
            page_lang=self.lang,
            text_direction=self.direction,
            source_language_name=self.language_name(settings.source_locale),
            language_name=_weak_function(self.language_name),
            display_name=display_name,
            html_lang=html_lang,
            format_date=_weak_function(self.format_date),
            format_number=_weak_function(self.format_number),
            site_name=settings.site_name,
        )
        self.jinja.filters.update(lang_attr=_lang_attr_filter, json_script=json_for_script)

    # Catalogs ------------------------------------------------------------------------------
    def translations(self, domain: str) -> Translations:
        """Lookups of ``domain`` for this locale (loaded once per environment)."""
        loaded = self._translations.get(domain)
        if loaded is None:
            loaded = load_translations(self.settings, self.locale, domain, policy=self.policy)
            self._translations[domain] = loaded
        return loaded

    def lookup(self, msgid: str, *, domain: str, context: str | None = None) -> Shown:
        """A content string (plain text, always escaped) as shown on this locale's pages."""
        key = (domain, msgid, context)
        known = self._shown.get(key)
        if known is None:
            # An environment's catalogs never change once loaded, so the same message always
            # shows the same way: pages, indexes, feeds and JSON-LD repeat many lookups.
            known = self._shown[key] = self._first_lookup(msgid, domain, context)
        record = _current_record.get()
        if record is not None:  # _record(), inlined: a site build makes ~70,000 lookups
            record.shown.append(known[1])
            for problem in known[2]:
                record.report(problem)
        return known[0]

    def _first_lookup(
        self, msgid: str, domain: str, context: str | None
    ) -> tuple[Shown, ShownMessage, tuple[RenderProblem, ...]]:
        """What :meth:`lookup` shows and records for a message it has not shown before.

        Most content strings of a site are shown once per language (~50,000 per site build),
        so this path is kept short: only an invalid entry has a problem to report. Content is
        plain text, always escaped: what looks like a tag in it is shown as text, so there
        is no markup to check (UI strings, which may hold markup, go through :meth:`_ui_text`)."""
        found = self.translations(domain).gettext(msgid, context=context)
        if domain == self.ui_domain:
            self.ui_lookups.add((msgid, context, False))
        state, text, fallback = found.state, found.text, found.fallback
        problems = (_invalid_problem(self.locale, domain, msgid),) if state is State.INVALID else ()
        lang = self.lang if found.lang == self.locale else html_lang(found.lang)
        return (
            Shown(text, state, lang, self.lang, fallback),
            ShownMessage(domain, msgid, context, state, fallback),
            problems,
        )

    def _problems_of(self, found: Lookup, msgid: str, domain: str) -> list[RenderProblem]:
        """What showing a UI string reports: an invalid entry; markup the page escapes."""
        problems: list[RenderProblem] = []
        if found.state is State.INVALID:
            problems.append(_invalid_problem(self.locale, domain, msgid))
        if not found.fallback and might_have_markup(found.text):
            fatal = [issue for issue in markup_issues(msgid, found.text) if issue.fatal]
            if fatal:
                problems.append(
                    RenderProblem(
                        self.locale,
                        domain,
                        msgid,
                        "markup-escaped",
                        f"{fatal[0].message}; the translation is shown escaped (nothing runs)",
                    )
                )
        return problems

    # Formatting ----------------------------------------------------------------------------
    def language_name(self, code: str) -> str:
        """The name of language ``code`` in this locale's language ("Englisch" on de pages)."""
        # As CLDR writes it mid-sentence ("anglais" in French, "Englisch" in German).
        return babel_locale(code).get_display_name(self.babel) or code

    def format_date(self, value: dt.date | None, format: str = "long") -> str:
        """A date as this locale writes it (Babel/CLDR); empty for None."""
        if value is None:
            return ""
        key = (value, format)
        text = self._dates.get(key)
        if text is None:
            text = self._dates[key] = babel_format_date(value, format=format, locale=self.babel)
        return text

    def format_number(self, value: int | float) -> str:
        """A number with this locale's digits and separators."""
        if type(value) is not int:  # only whole numbers are remembered (1 and 1.0 share a key)
            return format_decimal(value, locale=self.babel)
        text = self._numbers.get(value)
        if text is None:
            text = self._numbers[value] = format_decimal(value, locale=self.babel)
        return text

    # Gettext callables (installed as template globals) -------------------------------------
    def _show_ui(
        self,
        context: jinja2.runtime.Context,
        found: Lookup,
        msgid: str,
        msgctxt: str | None,
        variables: Mapping[str, Any],
        fallback_text: str,
    ) -> _ShownUI:
        """Escape (via safe_translation) and format; fall back to the source on errors.

        Returns the text and what showing it records (the caller records it, see _record)."""
        problems = self._problems_of(found, msgid, self.ui_domain)
        autoescape = context.eval_ctx.autoescape
        state, shown_lang, text = found.state, found.lang, found.text
        try:
            result = self._format(msgid, text, variables, autoescape)
        except (KeyError, ValueError, TypeError, IndexError):
            problems.append(
                RenderProblem(
                    self.locale,
                    self.ui_domain,
                    msgid,
                    "placeholders",
                    "translation's %(name)s placeholders do not match; the source text is shown",
                )
            )
            state, shown_lang = State.INVALID, self.settings.source_locale
            result = self._format(msgid, fallback_text, variables, autoescape)
        fallback = state not in (State.REVIEWED, State.MACHINE)
        wrapped: TranslatedMarkup | TranslatedText
        wrapped = TranslatedMarkup(result) if autoescape else TranslatedText(result)
        lang = html_lang(shown_lang)
        wrapped.lang = lang if lang != self.lang else None
        wrapped.page_lang = self.lang
        wrapped.state = state
        return wrapped, ShownMessage(self.ui_domain, msgid, msgctxt, state, fallback), tuple(problems)

    @staticmethod
    def _format(msgid: str, text: str, variables: Mapping[str, Any], autoescape: bool) -> str:
        # Always a format string (as Jinja's newstyle gettext): "%%" is a literal percent sign.
        # The checks only compare placeholders of python-format strings, so a translation of a
        # string without any could still hold "%999999999s" (a gigabyte page) or "%s".
        untrusted = untrusted_directive(msgid, text, variables)
        if untrusted is not None:
            raise ValueError(f"untrusted format directive {untrusted!r}")
        if autoescape:
            return safe_translation(msgid, text) % dict(variables)
        return text % dict(variables)

    def _gettext(self, context: jinja2.runtime.Context, msgid: str, **variables: Any) -> str:
        return self._ui_text(context, msgid, None, variables)

    def _pgettext(
        self, context: jinja2.runtime.Context, msgctxt: str, msgid: str, **variables: Any
    ) -> str:
        return self._ui_text(context, msgid, msgctxt, variables)

    def _ui_text(
        self,
        context: jinja2.runtime.Context,
        msgid: str,
        msgctxt: str | None,
        variables: Mapping[str, Any],
    ) -> str:
        """gettext/pgettext, remembered per message and values: every page of a locale shows
        the same headings and labels, and escaping, checking and formatting them is the same
        work each time (the values' types are part of the key: Markup and str format apart)."""
        key: tuple[Any, ...] | None = (
            msgid,
            msgctxt,
            context.eval_ctx.autoescape,
            tuple((name, type(value), value) for name, value in sorted(variables.items())),
        )
        try:
            known = self._ui_shown.get(key)  # type: ignore[arg-type]
        except TypeError:  # an unhashable value: not remembered
            key, known = None, None
        if known is None:
            self.ui_lookups.add((msgid, msgctxt, False))
            found = self.translations(self.ui_domain).gettext(msgid, context=msgctxt)
            known = self._show_ui(context, found, msgid, msgctxt, variables, msgid)
            if key is not None:
                self._ui_shown[key] = known
        _record(known[1], known[2])
        return known[0]

    def _ngettext(
        self,
        context: jinja2.runtime.Context,
        singular: str,
        plural: str,
        num: int,
        **variables: Any,
    ) -> str:
        variables.setdefault("num", num)
        self.ui_lookups.add((singular, None, True))
        found = self.translations(self.ui_domain).ngettext(singular, plural, num)
        source = singular if num == 1 else plural
        text, message, problems = self._show_ui(context, found, source, None, variables, source)
        _record(message, problems)
        return text

    def _npgettext(
        self,
        context: jinja2.runtime.Context,
        msgctxt: str,
        singular: str,
        plural: str,
        num: int,
        **variables: Any,
    ) -> str:
        variables.setdefault("num", num)
        self.ui_lookups.add((singular, msgctxt, True))
        found = self.translations(self.ui_domain).ngettext(
            singular, plural, num, context=msgctxt
        )
        source = singular if num == 1 else plural
        text, message, problems = self._show_ui(context, found, source, msgctxt, variables, source)
        _record(message, problems)
        return text

    def _tr(
        self,
        context: jinja2.runtime.Context,
        msgid: str,
        domain: str | None = None,
        msgctxt: str | None = None,
    ) -> Shown:
        chosen = domain or context.get("content_domain")
        if not chosen:
            raise RenderError(
                "tr() needs a domain",
                hint="pass domain=... or set `content_domain` in the render context",
            )
        return self.lookup(msgid, domain=str(chosen), context=msgctxt)

    def _page_tr(self, page_domain: str) -> Callable[..., Shown]:
        """``tr()`` for one render whose context names its content domain.

        The global ``tr()`` is a context function reached through a weak reference
        (:func:`_weak_function`) that looks ``content_domain`` up in the context on every call;
        this one is a plain function bound to the page's domain, which Jinja calls directly
        (the global's detour was ~15 % of rendering an article page whose strings were already
        looked up). It is given in the render's own context, never in the environment's globals,
        so it holds the environment only while that render runs: no reference cycle.
        """
        lookup = self.lookup

        def tr(msgid: str, domain: str | None = None, msgctxt: str | None = None) -> Shown:
            return lookup(msgid, domain=str(domain) if domain else page_domain, context=msgctxt)

        return tr

    # Rendering -----------------------------------------------------------------------------
    @contextmanager
    def recording(self) -> Iterator[TranslationRecord]:
        """Record every lookup made inside the ``with`` block (nestable, thread/task-local)."""
        record = TranslationRecord()
        token = _current_record.set(record)
        try:
            yield record
        finally:
            _current_record.reset(token)

    def get_template(self, name: str) -> jinja2.Template:
        """A template by name; missing or broken templates raise :class:`RenderError`."""
        try:
            return self.jinja.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise RenderError(
                f"template {exc.name!r} not found",
                path=self.template_dirs[0] / name,
                hint=f"templates are looked up in {', '.join(map(str, self.template_dirs))}",
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(
                f"template syntax error: {exc.message}",
                path=exc.filename or self.template_dirs[0] / name,
                line=exc.lineno,
                hint="fix the template",
            ) from None

    def render_once(
        self, name: str, context: Mapping[str, Any], notices: frozenset[Notice] = frozenset()
    ) -> tuple[str, TranslationRecord]:
        """Render ``name`` once with ``notices`` given; return the text and what it showed."""
        template = self.get_template(name)
        values = {**context, "notices": notices}
        page_domain = values.get("content_domain")
        if page_domain and "tr" not in values:
            values["tr"] = self._page_tr(str(page_domain))
        with self.recording() as record:
            try:
                text = template.render(values)
            except jinja2.TemplateError as exc:
                raise _render_error(exc, name, self.template_dirs) from None
        return text, record

    def render(self, name: str, /, **context: Any) -> Rendered:
        """Render ``name``, giving it the notices its own translations call for.

        A page learns that it shows fallbacks only while rendering, but its notice sits at the
        top: render again with the notices found until they stop changing (at most once per
        notice kind, in practice twice).
        """
        notices: frozenset[Notice] = frozenset()
        for _ in range(len(Notice) + 1):
            text, record = self.render_once(name, context, notices)
            wanted = notices | record.notices()
            if wanted == notices:
                return Rendered(text=text, record=record, notices=notices)
            notices = wanted
        return Rendered(text=text, record=record, notices=notices)


def _render_error(
    exc: jinja2.TemplateError, name: str, template_dirs: Sequence[Path]
) -> RenderError:
    """A RenderError pointing at the template line that failed."""
    line: int | None = None
    path: Path | str = template_dirs[0] / name
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".mjml", ".txt", ".xml")):
            path, line = filename, tb.tb_lineno
        tb = tb.tb_next
    message = getattr(exc, "message", None) or str(exc)
    return RenderError(
        f"template error in {name}: {message}",
        path=path,
        line=line,
        hint="fix the template or the data it uses",
    )
