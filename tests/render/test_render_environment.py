"""The per-locale Jinja2 environment: escaping, safe translations, fallbacks, notices."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import pytest
from markupsafe import Markup
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from pubflow.config import Settings, load_settings
from pubflow.errors import RenderError
from pubflow.i18n.runtime import Lookup
from pubflow.i18n.states import State
from pubflow.render.environment import (
    LocaleEnvironment,
    Notice,
    autoescape_for,
    json_for_script,
)


@dataclass
class FakeTranslations:
    """Lookups served from a dict: msgid (or ``ctxt\\x04msgid``) → (text, state)."""

    entries: dict[str, tuple[str, State]] = field(default_factory=dict)
    locale: str = "de"

    def gettext(self, msgid: str, *, context: str | None = None) -> Lookup:
        key = f"{context}\x04{msgid}" if context else msgid
        if key in self.entries:
            text, state = self.entries[key]
            if state in (State.REVIEWED, State.MACHINE):
                return Lookup(text, state, self.locale)
            return Lookup(msgid, state, "en")
        return Lookup(msgid, State.MISSING, "en")

    def ngettext(
        self, singular: str, plural: str, n: int, *, context: str | None = None
    ) -> Lookup:
        found = self.gettext(singular, context=context)
        if found.fallback:
            return Lookup(singular if n == 1 else plural, found.state, "en")
        forms = found.text.split("|")
        return Lookup(forms[0] if n == 1 else forms[-1], found.state, found.lang)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "pyproject.toml").write_text('[tool.pubflow]\nlocales = ["de", "ar"]\n')
    return load_settings(tmp_path)


def make_env(
    settings: Settings,
    templates: dict[str, str],
    ui: dict[str, tuple[str, State]] | None = None,
    content: dict[str, tuple[str, State]] | None = None,
    locale: str = "de",
) -> LocaleEnvironment:
    folder = settings.root / "tpl"
    for name, text in templates.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return LocaleEnvironment(
        settings,
        locale,
        template_dirs=[folder],
        translations={
            "messages": FakeTranslations(ui or {}, locale),
            "article": FakeTranslations(content or {}, locale),
        },
    )


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("page.html", True),
        ("feed.xml", True),
        ("email.mjml", True),
        ("icon.svg", True),
        ("EMAIL.MJML", True),
        ("email.txt", False),
        ("unknown.ext", True),
        (None, True),
    ],
)
def test_autoescape_is_on_for_markup_templates_and_off_for_text(
    name: str | None, escaped: bool
) -> None:
    assert autoescape_for(name) is escaped


def test_mjml_and_txt_templates_escape_as_their_format_needs(settings: Settings) -> None:
    env = make_env(
        settings, {"a.mjml": "<mj-text>{{ v }}</mj-text>", "a.txt": "{{ v }}"}
    )
    assert env.render("a.mjml", v="<b>&").text == "<mj-text>&lt;b&gt;&amp;</mj-text>"
    assert env.render("a.txt", v="<b>&").text == "<b>&"


def test_script_in_a_ui_translation_is_escaped_and_reported(settings: Settings) -> None:
    env = make_env(
        settings,
        {"p.html": "<p>{{ _('Hello') }}</p><p>{% trans %}Bye{% endtrans %}</p>"},
        ui={
            "Hello": ("<script>alert(1)</script>", State.REVIEWED),
            "Bye": ('<img src="x" onerror="alert(2)">', State.REVIEWED),
        },
    )
    rendered = env.render("p.html")
    tree = lxml.html.fromstring(rendered.text)
    assert tree.xpath("//script") == [] and tree.xpath("//img") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.text
    assert {p.kind for p in rendered.record.problems} == {"markup-escaped"}
    assert {p.msgid for p in rendered.record.problems} == {"Hello", "Bye"}


def test_msgid_markup_lets_only_its_own_safe_tags_through(settings: Settings) -> None:
    template = "<p>{{ _('Read <a href=\"%(url)s\">more</a>', url=url) }}</p>"
    good = make_env(
        settings,
        {"p.html": template},
        ui={'Read <a href="%(url)s">more</a>': ('<a href="%(url)s">Mehr</a> lesen', State.REVIEWED)},
    )
    html = good.render("p.html", url="https://example.org/?a=1&b=<2>").text
    link = lxml.html.fromstring(html).xpath("//a")[0]
    assert link.get("href") == "https://example.org/?a=1&b=<2>"  # value escaped, not dropped
    assert link.text == "Mehr"

    evil = make_env(
        settings,
        {"p.html": template},
        ui={'Read <a href="%(url)s">more</a>': ('<a href="javascript:alert(1)">Mehr</a>', State.REVIEWED)},
    )
    rendered = evil.render("p.html", url="https://example.org/")
    assert lxml.html.fromstring(rendered.text).xpath("//a") == []
    assert [p.kind for p in rendered.record.problems] == ["markup-escaped"]
    assert lxml.html.fromstring(rendered.text).xpath("//@href") == []


def test_placeholder_values_are_escaped(settings: Settings) -> None:
    env = make_env(settings, {"p.html": "<p>{{ _('Hi %(name)s', name=name) }}</p>"})
    html = env.render("p.html", name="<script>x</script>").text
    assert html == "<p>Hi &lt;script&gt;x&lt;/script&gt;</p>"


def test_broken_placeholders_fall_back_to_the_source_and_are_reported(settings: Settings) -> None:
    env = make_env(
        settings,
        {"p.html": "<p>{{ _('Hi %(name)s', name='Ada') }}</p>"},
        ui={"Hi %(name)s": ("Hallo %(nom)s", State.REVIEWED)},
    )
    rendered = env.render("p.html")
    assert rendered.text == '<p>Hi Ada</p>'
    assert [p.kind for p in rendered.record.problems] == ["placeholders"]
    assert Notice.UNTRANSLATED in rendered.notices


def test_pgettext_and_plurals_use_context_and_count(settings: Settings) -> None:
    env = make_env(
        settings,
        {
            "p.html": "{{ pgettext('navigation', 'Home') }}|{{ pgettext('house', 'Home') }}|"
            "{{ ngettext('%(num)s tip', '%(num)s tips', 1) }}|{{ ngettext('%(num)s tip', '%(num)s tips', 3) }}|"
            "{% trans count=2 %}{{ count }} file{% pluralize %}{{ count }} files{% endtrans %}"
        },
        ui={
            "navigation\x04Home": ("Start", State.REVIEWED),
            "house\x04Home": ("Zuhause", State.REVIEWED),
            "%(num)s tip": ("%(num)s Tipp|%(num)s Tipps", State.REVIEWED),
        },
    )
    assert env.render("p.html").text == "Start|Zuhause|1 Tipp|3 Tipps|2 files"


def test_content_fallback_carries_the_source_lang(settings: Settings) -> None:
    env = make_env(
        settings,
        {
            "p.html": "{% set a = tr('One') %}{% set b = tr('Two') %}"
            "<p{{ a.lang_attr }}>{{ a }}</p><p{{ b.lang_attr }}>{{ b }}</p>"
        },
        content={"One": ("Eins & <b>zwei</b>", State.REVIEWED)},
    )
    rendered = env.render("p.html", content_domain="article")
    assert rendered.text == '<p>Eins &amp; &lt;b&gt;zwei&lt;/b&gt;</p><p lang="en">Two</p>'
    assert rendered.notices == {Notice.UNTRANSLATED}


def test_notices_are_known_before_the_content_that_needs_them(settings: Settings) -> None:
    # The notice sits above the fallback that causes it: one render could not know it.
    template = (
        "{% if 'untranslated' in notices %}[untranslated]{% endif %}"
        "{% if 'updating' in notices %}{{ _('Being updated') }}{% endif %}"
        "{% if 'machine' in notices %}[machine]{% endif %}"
        "|{{ tr('Stale') }} {{ tr('Machine') }}"
    )
    env = make_env(
        settings,
        {"p.html": template},
        content={"Stale": ("Alt", State.STALE), "Machine": ("Maschine", State.MACHINE)},
    )
    rendered = env.render("p.html", content_domain="article")
    # The notice's own text is untranslated, so that notice joins too (a fixed point).
    assert rendered.notices == {Notice.UPDATING, Notice.MACHINE, Notice.UNTRANSLATED}
    assert rendered.text == "[untranslated]Being updated[machine]|Stale Maschine"


def test_ui_fallback_knows_its_language(settings: Settings) -> None:
    env = make_env(
        settings,
        {"p.html": "{% set h = _('Title') %}{% set k = _('Known') %}<h2{{ h|lang_attr }}>{{ h }}</h2><p{{ k|lang_attr }}>{{ k }}</p>"},
        ui={"Known": ("Bekannt", State.REVIEWED)},
    )
    assert env.render("p.html").text == '<h2 lang="en">Title</h2><p>Bekannt</p>'


def test_invalid_entries_are_reported(settings: Settings) -> None:
    env = make_env(
        settings, {"p.html": "{{ tr('Bad') }}"}, content={"Bad": ("x", State.INVALID)}
    )
    rendered = env.render("p.html", content_domain="article")
    assert rendered.text == "Bad"
    assert [p.kind for p in rendered.record.problems] == ["invalid"]


def test_a_repeated_lookup_is_recorded_every_time_in_every_render(settings: Settings) -> None:
    # lookup() remembers how a message shows; each render must still record each showing
    # (notices and problems come from the record of that render alone).
    env = make_env(
        settings,
        {"p.html": "{{ tr('Bad') }}{{ tr('Bad') }}{{ tr('Ok') }}", "q.html": "{{ tr('Ok') }}"},
        content={"Bad": ("x", State.INVALID), "Ok": ("Gut", State.REVIEWED)},
    )
    first = env.render("p.html", content_domain="article")
    second = env.render("p.html", content_domain="article")
    for rendered in (first, second):
        assert rendered.text == "BadBadGut"
        assert [m.msgid for m in rendered.record.shown] == ["Bad", "Bad", "Ok"]
        assert [p.kind for p in rendered.record.problems] == ["invalid"]
    other = env.render("q.html", content_domain="article")
    assert other.text == "Gut" and other.record.problems == [] and other.notices == frozenset()
    assert env.lookup("Ok", domain="article") is env.lookup("Ok", domain="article")


def test_tr_in_a_page_of_a_content_domain_takes_that_domain_unless_told_another(
    settings: Settings,
) -> None:
    # A render whose context names its content domain gets a tr() bound to that domain (the
    # global one looks the domain up in the context on every call); both must show the same.
    env = make_env(
        settings,
        {"p.html": "{{ tr('Ok') }}|{{ tr('Ok', domain='other') }}|{{ tr('Ok', msgctxt='menu') }}"
                   "|{{ tr('Ok', 'other', 'menu') }}",
         "macro.html": "{% macro shown(m) %}{{ tr(m) }}{% endmacro %}{{ shown('Ok') }}"},
        content={"Ok": ("Gut", State.REVIEWED), "menu\x04Ok": ("Menü", State.REVIEWED)},
    )
    env._translations["other"] = FakeTranslations(  # noqa: SLF001 — a second preloaded domain
        {"Ok": ("Prima", State.REVIEWED), "menu\x04Ok": ("Menü prima", State.REVIEWED)}
    )
    page = env.render("p.html", content_domain="article")
    assert page.text == "Gut|Prima|Menü|Menü prima"
    assert [(m.domain, m.context) for m in page.record.shown] == [
        ("article", None), ("other", None), ("article", "menu"), ("other", "menu"),
    ]
    # Macros see the page's tr() too; without a content domain, tr() still asks for one.
    assert env.render("macro.html", content_domain="article").text == "Gut"
    with pytest.raises(RenderError, match="needs a domain"):
        env.render("p.html")
    # A tr() the caller passes in the context is the one used.
    given = env.render("p.html", content_domain="article", tr=lambda *args, **kwargs: "x")
    assert given.text == "x|x|x|x"


def test_an_environment_is_freed_without_the_cyclic_collector(settings: Settings) -> None:
    # Its memo of shown messages is large in a real build: it must go when the build drops
    # the environment, not wait for a pass of the cyclic garbage collector.
    import datetime as dt
    import gc
    import weakref

    env = make_env(
        settings,
        {"p.html": "{{ tr('Ok') }} {{ _('Hi') }} {{ format_date(d) }} {{ format_number(3) }}"
                   " {{ language_name('de') }}"},
        ui={"Hi": ("Hallo", State.REVIEWED)},
        content={"Ok": ("Gut", State.REVIEWED)},
    )
    template = env.get_template("p.html")
    assert env.render("p.html", content_domain="article", d=dt.date(2026, 1, 2)).text == (
        "Gut Hallo 2. Januar 2026 3 Deutsch"
    )
    gone = weakref.ref(env)
    gc.disable()
    try:
        del env
        assert gone() is None
    finally:
        gc.enable()
    with pytest.raises(RenderError, match="outlived"):
        template.render(content_domain="article", d=None)


def test_remembered_ui_strings_keep_escaping_apart_by_value_type(settings: Settings) -> None:
    env = make_env(
        settings,
        {"p.html": "{{ _('Hi %(n)s', n=a) }}|{{ _('Hi %(n)s', n=b) }}|{{ _('Hi %(n)s', n=a) }}"},
        ui={"Hi %(n)s": ("Hallo %(n)s", State.REVIEWED)},
    )
    for _ in range(2):
        rendered = env.render("p.html", a="<b>", b=Markup("<b>"))
        assert rendered.text == "Hallo &lt;b&gt;|Hallo <b>|Hallo &lt;b&gt;"
        assert [m.msgid for m in rendered.record.shown] == ["Hi %(n)s"] * 3


def test_json_for_script_cannot_close_the_script_element() -> None:
    data = {"text": "</script><script>alert(1)</script> & <!-- \u2028"}
    encoded = str(json_for_script(data))
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert json.loads(encoded) == data


def test_locale_formatting(settings: Settings) -> None:
    import datetime as dt

    templates = {"p.html": "{{ format_date(d) }}|{{ format_number(1234.5) }}|{{ source_language_name }}"}
    de = make_env(settings, templates)
    ar = make_env(settings, templates, locale="ar")
    day = dt.date(2026, 11, 25)
    assert de.render("p.html", d=day).text == "25. November 2026|1.234,5|Englisch"
    assert ar.render("p.html", d=day).text.endswith("|الإنجليزية")
    assert "نوفمبر" in ar.render("p.html", d=day).text  # the Arabic month name
    assert ar.direction == "rtl" and de.direction == "ltr"


def test_template_errors_name_the_template_and_line(settings: Settings) -> None:
    env = make_env(settings, {"bad.html": "line one\n{{ missing.attr }}\n", "syntax.html": "{% if %}"})
    with pytest.raises(RenderError) as undefined:
        env.render("bad.html")
    assert undefined.value.line == 2 and str(undefined.value.path).endswith("bad.html")
    with pytest.raises(RenderError) as syntax:
        env.render("syntax.html")
    assert syntax.value.line == 1
    with pytest.raises(RenderError, match="not found"):
        env.render("nope.html")


def test_tr_without_a_domain_is_a_clear_error(settings: Settings) -> None:
    env = make_env(settings, {"p.html": "{{ tr('x') }}"})
    with pytest.raises(RenderError, match="domain"):
        env.render("p.html")


def test_trans_blocks_are_trimmed_like_babel_extracts_them(settings: Settings) -> None:
    env = make_env(
        settings,
        {
            "p.html": "{% trans name=who %}\n    Hello\n    {{ name }}, welcome.\n{% endtrans %}"
            "{% set items = [] %}{% do items.append(1) %}{% for i in [1, 2] %}{% break %}{% endfor %}"
        },
        ui={"Hello %(name)s, welcome.": ("Hallo %(name)s, willkommen.", State.REVIEWED)},
    )
    assert env.render("p.html", who="Ada").text == "Hallo Ada, willkommen."


hostile_text = st.lists(
    st.sampled_from(
        [*"<>\"'&=/ ;:aponerscriptjavhf()", "<script>", "onerror=", "javascript:", "</p>", "<a href=", "%(name)s"]
    ),
    max_size=25,
).map("".join)


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(msgstr=hostile_text, value=hostile_text)
def test_no_translation_or_value_can_add_markup(settings: Settings, msgstr: str, value: str) -> None:
    env = make_env(
        settings,
        {"p.html": "<p>{{ _('Hello %(name)s', name=value) }}</p><p>{{ tr('Body') }}</p>"},
        ui={"Hello %(name)s": (msgstr, State.REVIEWED)},
        content={"Body": (msgstr, State.REVIEWED)},
    )
    html = env.render("p.html", value=value, content_domain="article").text
    body = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [child.tag for child in body] == ["p", "p"]
    assert all(len(child) == 0 and not child.attrib for child in body)


def test_a_template_is_read_once_per_process_until_its_file_changes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import pubflow.render.environment as environment

    monkeypatch.setattr(environment._TemplateLoader, "_code", {})
    reads: list[str] = []
    real = environment._TemplateLoader.get_source

    def counted(self: object, env: object, name: str) -> object:
        reads.append(name)
        return real(self, env, name)  # type: ignore[arg-type]

    monkeypatch.setattr(environment._TemplateLoader, "get_source", counted)
    make_env(settings, {"p.html": "<p>{{ _('Hello') }}</p>"})
    page = settings.root / "tpl" / "p.html"
    fresh = make_env(settings, {}, ui={"Hello": ("Hallo", State.REVIEWED)})
    # Just written: a same-size save in the same clock tick would keep its stat. Read each time.
    assert str(fresh.render("p.html").text) == "<p>Hallo</p>" and reads == ["p.html"]
    assert str(make_env(settings, {}).render("p.html").text) == "<p>Hello</p>" and len(reads) == 2
    old = page.stat().st_mtime_ns - 10**10
    os.utime(page, ns=(old, old))
    make_env(settings, {}).render("p.html")
    for locale in ("de", "ar"):  # another environment, another locale: the same code
        env = make_env(settings, {}, ui={"Hello": ("Hallo", State.REVIEWED)}, locale=locale)
        assert str(env.render("p.html").text) == "<p>Hallo</p>"
    assert len(reads) == 3
    page.write_text("<b>{{ _('Hello') }}</b>", encoding="utf-8")  # a new stat: read again
    assert str(make_env(settings, {}).render("p.html").text) == "<b>Hello</b>" and len(reads) == 4


def test_compiled_templates_are_kept_on_disk_for_the_next_process(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    import pubflow.render.environment as environment

    def new_process() -> None:  # what a new process starts without
        monkeypatch.setattr(environment._TemplateLoader, "_code", {})
        environment._BYTECODE.clear()

    compiled: list[str] = []
    real_compile = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: object) -> object:
        compiled.append(str(name))
        return real_compile(self, source, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    new_process()
    env = make_env(settings, {"p.html": "<p>{{ _('Hello') }}</p>"}, ui={"Hello": ("Hallo", State.REVIEWED)})
    assert env.render("p.html").text == "<p>Hallo</p>" and compiled == ["p.html"]
    cache = settings.build_path / "cache" / "templates"
    [saved] = cache.glob("*.jbc")
    new_process()
    assert make_env(settings, {}).render("p.html").text == "<p>Hello</p>" and compiled == ["p.html"]
    # A damaged file is compiled again and replaced; an edited template too.
    saved.write_bytes(saved.read_bytes()[:20])
    new_process()
    assert make_env(settings, {}).render("p.html").text == "<p>Hello</p>" and len(compiled) == 2
    new_process()
    make_env(settings, {"p.html": "<b>{{ _('Hello') }}</b>"})
    assert make_env(settings, {}).render("p.html").text == "<b>Hello</b>" and len(compiled) == 3


def test_a_fallback_on_a_right_to_left_page_keeps_its_own_direction(settings: Settings) -> None:
    # English shown on an Arabic page: without dir="ltr" the browser lays "Is it safe?" out
    # right to left, as "?Is it safe".
    env = make_env(
        settings,
        {
            "p.html": "{% set q = tr('Is it safe?') %}{% set k = tr('Known') %}{% set h = _('Title') %}"
            "<h3{{ q.lang_attr }}>{{ q }}</h3><p{{ k.lang_attr }}>{{ k }}</p><h2{{ h|lang_attr }}>{{ h }}</h2>"
        },
        content={"Known": ("معروف", State.REVIEWED)},
        locale="ar",
    )
    assert env.render("p.html", content_domain="article").text == (
        '<h3 lang="en" dir="ltr">Is it safe?</h3><p>معروف</p><h2 lang="en" dir="ltr">Title</h2>'
    )
