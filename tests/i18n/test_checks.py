"""Catalog checks: one broken .po per failure mode, GNU msgfmt as the outside judge, and units."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.i18n.checks import (
    CHECKS,
    Diagnostic,
    EntryText,
    Severity,
    check_catalog,
    check_entry,
    check_header,
    has_errors,
    header_lines,
    max_length,
    parse_plural_forms,
    urls_of,
)
from pubflow.i18n.placeholders import PlaceholderKind, placeholders_of, scan_placeholders
from pubflow.locales import plural_forms_header

BROKEN = Path(__file__).parent / "broken"
FIXTURES = sorted(BROKEN.glob("*.po"))
MSGFMT = "/usr/bin/msgfmt"


# ---------------------------------------------------------------------------------------------
# The broken fixtures: each says what it breaks, for which locale, what msgfmt thinks of it, and
# which diagnostics (severity, check, line) it must produce, no more and no fewer.


def _annotations(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^# (locale|msgfmt --check|expect): (.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    return found


def _expected(path: Path) -> set[tuple[str, str, int]]:
    """(severity, check, line): an entry's ``# expect:`` comment sits in that entry's leading
    comments, and the entry's first line is expected; a header expectation names the field
    (``at Plural-Forms``) or ``at msgid`` for the header's start."""
    text = path.read_text(encoding="utf-8")
    start, fields = header_lines(text)
    expected: set[tuple[str, str, int]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^# expect: (error|warning) ([a-z-]+)(?: at (\S+))?$", line)
        if not match:
            continue
        severity, check, where = match.groups()
        if where is None:
            assert number > (start or 0), f"{path.name}: entry expectation inside the header"
            # The entry starts at the top of the comment block holding the expectation.
            first = number
            lines = text.splitlines()
            while first > 1 and lines[first - 2].startswith("#"):
                first -= 1
            expected.add((severity, check, first))
        else:
            assert start is not None
            expected.add((severity, check, start if where == "msgid" else fields[where]))
    return expected


def _locale(path: Path) -> str:
    return _annotations(path)["locale"][0]


def test_there_is_a_fixture_for_every_check() -> None:
    covered = {check for path in FIXTURES for (_, check, _) in _expected(path)}
    assert covered == set(CHECKS) - {"internal"}
    assert len(FIXTURES) >= 20


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_broken_fixture_reports_exactly_its_failure(path: Path) -> None:
    annotations = _annotations(path)
    assert path.read_text(encoding="utf-8").startswith("# Breaks: "), "say what it breaks"
    assert annotations.get("expect"), f"{path.name} has no '# expect:' line"

    diagnostics = check_catalog(polib.pofile(str(path)), locale=_locale(path), path=path)

    found = {(d.severity.value, d.check, d.line) for d in diagnostics}
    assert found == _expected(path)
    for diagnostic in diagnostics:
        assert diagnostic.format().startswith(f"{path}:{diagnostic.line}: {diagnostic.severity}: ")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_fixture_entry_line_is_polibs_entry_line(path: Path) -> None:
    """The line a diagnostic names is the first line of the entry in the file (or the header)."""
    po = polib.pofile(str(path))
    starts = {entry.linenum for entry in po}
    header_start, fields = header_lines(path.read_text(encoding="utf-8"))
    header = {header_start, *fields.values()}
    for diagnostic in check_catalog(po, locale=_locale(path), path=path):
        assert diagnostic.line in (header if diagnostic.check == "header" else starts)


# ---------------------------------------------------------------------------------------------
# GNU msgfmt --check as the outside judge


def _msgfmt(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MSGFMT, "--check", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _region(po: polib.POFile, line: int) -> int:
    """The first line of the entry holding ``line`` (0 for the header)."""
    starts = sorted(entry.linenum for entry in po)
    before = [start for start in starts if start <= line]
    return before[-1] if before else 0


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_msgfmt_agrees_where_it_can(path: Path) -> None:
    verdict = _annotations(path)["msgfmt --check"][0]
    result = _msgfmt(path)
    if verdict.startswith("rejects"):
        assert result.returncode != 0, result.stderr
        po = polib.pofile(str(path))
        ours = check_catalog(po, locale=_locale(path), path=path)
        assert has_errors(ours)
        # Both point at the same place: an entry (or the header) msgfmt rejects is one we flag.
        theirs = {
            _region(po, int(match.group(1)))
            for match in re.finditer(
                rf"^{re.escape(str(path))}:(\d+): (?!warning)", result.stderr, re.M
            )
        }
        flagged = {_region(po, d.line or 0) for d in ours if d.is_error}
        assert theirs & flagged, (theirs, flagged, result.stderr)
    else:
        # What msgfmt cannot see (markup, URLs, lengths, line separators, fuzzy entries) is
        # exactly what our checks add.
        assert verdict.startswith("accepts")
        assert result.returncode == 0, result.stderr


def test_dropped_named_placeholder_is_caught_by_msgfmt_and_us() -> None:
    """Babel's python_format checker lets a dropped %(name)s through; msgfmt and we do not."""
    from babel.messages.catalog import Message
    from babel.messages.checkers import python_format

    source = BROKEN / "placeholder-missing.po"
    entry = next(e for e in polib.pofile(str(source)) if "%(name)s" in e.msgid)
    # Babel raises TranslationError for the placeholder problems it sees; it sees none here.
    python_format(None, Message(entry.msgid, entry.msgstr, flags={"python-format"}))
    assert _msgfmt(source).returncode != 0
    assert [d.check for d in check_entry(EntryText.from_polib(entry), locale="de")] == [
        "placeholders"
    ]


def test_clean_catalog_passes_msgfmt_and_our_checks(tmp_path: Path) -> None:
    path = tmp_path / "clean.po"
    path.write_text(
        """msgid ""
msgstr ""
"Project-Id-Version: pubflow tests\\n"
"PO-Revision-Date: 2024-05-01 12:00+0000\\n"
"Last-Translator: Test <test@example.com>\\n"
"Language-Team: Test <test@example.com>\\n"
"Language: ar\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
"n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);\\n"

#, python-format
msgid "Hello %(name)s, read <a href=\\"https://example.com/guide\\">the guide</a>."
msgstr "مرحباً %(name)s، اقرأ <a href=\\"https://example.com/guide\\">الدليل</a>."

#, python-format
msgid "%(num)d tip"
msgid_plural "%(num)d tips"
msgstr[0] "لا نصائح"
msgstr[1] "نصيحة واحدة"
msgstr[2] "نصيحتان"
msgstr[3] "%(num)d نصائح"
msgstr[4] "%(num)d نصيحة"
msgstr[5] "%(num)d نصيحة"

msgctxt "newsletter subject (max 80 characters)"
msgid "Three tips for your first session"
msgstr "ثلاث نصائح لجلستك الأولى"

msgid "Untranslated entries are not checked"
msgstr ""
""",
        encoding="utf-8",
    )
    assert _msgfmt(path).returncode == 0, _msgfmt(path).stderr
    assert check_catalog(polib.pofile(str(path)), locale="ar") == []


# ---------------------------------------------------------------------------------------------
# Diagnostics


def test_diagnostic_format_with_and_without_location() -> None:
    full = Diagnostic(Severity.ERROR, "urls", "translation adds a URL", Path("de.po"), 12)
    assert full.format() == "de.po:12: error: urls: translation adds a URL"
    assert Diagnostic(Severity.WARNING, "whitespace", "m", Path("de.po")).format() == (
        "de.po: warning: whitespace: m"
    )
    assert Diagnostic(Severity.ERROR, "header", "m").format() == "error: header: m"
    assert has_errors([full]) and not has_errors([Diagnostic(Severity.WARNING, "x", "m")])
    assert not has_errors([])


def test_entry_text_from_polib_reads_every_field() -> None:
    po = polib.pofile(str(BROKEN / "fuzzy-machine-invalid.po"))
    entry = EntryText.from_polib(po[-1])
    assert entry.fuzzy and "python-format" in entry.flags
    assert entry.msgid.startswith("Hello %(name)s") and entry.msgstr.startswith("Bonjour")
    assert entry.line == po[-1].linenum and entry.msgid_plural is None
    plural = EntryText.from_polib(polib.pofile(str(BROKEN / "plural-count.po"))[-1])
    assert plural.msgid_plural == "%(num)d minutes to read"
    assert sorted(plural.msgstr_plural) == [0, 1, 2]


def test_untranslated_and_header_entries_are_not_checked() -> None:
    assert check_entry(EntryText("Hello %(name)s"), locale="de") == []
    assert check_entry(EntryText("", "Language: de\n"), locale="de") == []
    assert (
        check_entry(EntryText("a", msgid_plural="b", msgstr_plural={0: "", 1: ""}), locale="de")
        == []
    )


def test_fuzzy_entries_are_checked() -> None:
    entry = EntryText("Hello %(name)s", "Hallo", fuzzy=True, line=7)
    [diagnostic] = check_entry(entry, locale="de", path=Path("x.po"))
    assert (diagnostic.check, diagnostic.line) == ("placeholders", 7)


def test_locale_none_skips_locale_checks_without_failing() -> None:
    entry = EntryText("%(num)d tip", msgid_plural="%(num)d tips", msgstr_plural={0: "%(num)d Tipp"})
    assert check_entry(entry, locale=None) == []
    assert [d.check for d in check_entry(EntryText("Hi %(x)s", "Hallo"), locale=None)] == [
        "placeholders"
    ]


# ---------------------------------------------------------------------------------------------
# placeholders


def _checks(msgid: str, msgstr: str, locale: str = "de", **kwargs: object) -> list[str]:
    return [d.check for d in check_entry(EntryText(msgid, msgstr, **kwargs), locale=locale)]  # type: ignore[arg-type]


def _messages(msgid: str, msgstr: str, locale: str = "de", **kwargs: object) -> list[str]:
    return [d.message for d in check_entry(EntryText(msgid, msgstr, **kwargs), locale=locale)]  # type: ignore[arg-type]


def test_placeholders_of_counts_tokens_and_skips_escapes() -> None:
    text = "%(count)d of %s at 50%% {name} {0} {} {{literal}} {price:.2f} 100%ige"
    assert placeholders_of(text) == {
        "%(count)d": 1,
        "%s": 1,
        "{name}": 1,
        "{0}": 1,
        "{}": 1,
        "{price:.2f}": 1,
        "%i": 1,
    }
    assert placeholders_of("50 % de réduction, {color: red}, %%d, {{x}}") == {}
    kinds = [p.kind for p in scan_placeholders("%(a)s %s {b} {}")]
    assert kinds == [
        PlaceholderKind.PRINTF_NAMED,
        PlaceholderKind.PRINTF_POSITIONAL,
        PlaceholderKind.BRACE_NAMED,
        PlaceholderKind.BRACE_AUTO,
    ]


def test_named_placeholders_may_move_but_not_change() -> None:
    assert _checks("%(a)s and %(b)s", "%(b)s und %(a)s") == []
    assert _checks("%(a)s and %(a)s", "%(a)s") == []  # a mapping key may be used once
    assert _messages("Hi %(name)s", "Hallo %(name)d") == [
        "translation has %(name)d where the source has %(name)s; keep the placeholder exactly "
        "as in the source"
    ]
    extra = _messages("Hi %(name)s", "Hallo %(name)s %(date)s")
    assert extra and "%(date)s" in extra[0] and "does not have" in extra[0]


def test_positional_placeholders_keep_their_order() -> None:
    assert _checks("%s has %d", "%s hat %d") == []
    [message] = _messages("%s has %d", "%d hat %s")
    assert "different order" in message and "(%s, %d)" in message
    [message] = _messages("%s has %d", "%s hat")
    assert "(%s)" in message and "(%s, %d)" in message
    assert _checks("{} and {}", "{} und {}") == []
    assert _checks("{0} and {1}", "{1} und {0}") == []  # indexed fields may move


def test_percent_signs_in_prose_are_not_placeholders() -> None:
    # No placeholder in the source: "20%ige" in German is prose, not a broken format.
    assert _checks("a 20 percent solution", "eine 20%ige Lösung") == []
    # With placeholders in the source, it would break the % formatting: an error.
    assert _checks("%(n)d percent", "%(n)d%ige") == ["placeholders"]
    assert _checks("%(n)d%% off", "%(n)d %% Rabatt") == []
    # Flags decide when the text alone cannot.
    assert _checks("Save now", "Jetzt %s sparen", flags=frozenset({"python-format"})) == [
        "placeholders"
    ]
    assert _checks("%d items", "Artikel", flags=frozenset({"no-python-format"})) == []


def test_plural_forms_are_compared_with_the_right_source() -> None:
    entry = EntryText(
        "%(num)d file",
        msgid_plural="%(num)d files",
        msgstr_plural={0: "eine Datei", 1: "%(num)d Dateien"},
    )
    # German msgstr[0] is only used for n=1, so it may spell the number out.
    assert check_entry(entry, locale="de") == []
    # French msgstr[0] covers n=0 and n=1: it must keep the number.
    diagnostics = check_entry(entry, locale="fr")
    assert [(d.check, d.message.split(":")[0]) for d in diagnostics] == [
        ("placeholders", "msgstr[0]")
    ]


def test_single_form_locales_render_msgid_plural() -> None:
    entry = EntryText("%(num)d file", msgid_plural="%(num)d files", msgstr_plural={0: "%(num)d 件"})
    assert check_entry(entry, locale="ja") == []
    bad = EntryText("%(num)d file", msgid_plural="%(num)d files", msgstr_plural={0: "ファイル"})
    assert [d.check for d in check_entry(bad, locale="ja")] == ["placeholders"]


# ---------------------------------------------------------------------------------------------
# urls, single-line, length, whitespace, unchanged, plurals


def test_urls_of_trims_punctuation_and_decodes_entities_in_markup() -> None:
    assert urls_of("See https://example.com/a. Or (https://x.org/b_(c)), mailto:me@x.org!") == {
        "https://example.com/a": 1,
        "https://x.org/b_(c)": 1,
        "mailto:me@x.org": 1,
    }
    assert urls_of('<a href="https://x.org/?a=1&amp;b=2">x</a>') == {"https://x.org/?a=1&b=2": 1}
    assert (
        _checks(
            '<a href="https://x.org/?a=1&amp;b=2">x</a>',
            '<a href="https://x.org/?a=1&amp;b=2">y</a>',
        )
        == []
    )


@pytest.mark.parametrize("char", ["\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
def test_single_line_rejects_every_line_break(char: str) -> None:
    [message] = _messages("A title", f"Ein{char}Titel")
    assert f"U+{ord(char):04X}" in message
    assert _checks("Two\nlines", "Zwei\nZeilen") == []


def test_length_limit_from_context() -> None:
    assert max_length("newsletter subject (max 80 characters)") == 80
    assert max_length("preheader (Max. 140 chars)") == 140
    assert max_length("(maximum 1 character)") == 1
    assert max_length("subject") is None and max_length(None) is None
    assert max_length("(max 99999999999999999999999 characters)") is None
    context = "newsletter subject (max 10 characters)"
    assert _checks("Subject", "Betreff!!!", msgctxt=context) == []
    # Ten characters once composed: e + combining acute is one character.
    assert _checks("Subject", "Re\u0301sume\u0301!!!!", msgctxt=context) == []
    [message] = _messages("Subject", "Betreff!!!!", msgctxt=context)
    assert message == (
        "translation is 11 characters long but the context allows at most 10; shorten it by 1"
    )


def test_a_translation_of_spaces_alone_is_an_error() -> None:
    # It looks translated to gettext but would publish a blank title, link or subject.
    for blank in ("   ", " ", "\u3000"):  # an ideographic space too
        diagnostics = check_entry(EntryText("Achieving relief", blank), locale="de")
        assert [(d.severity, d.check) for d in diagnostics] == [(Severity.ERROR, "whitespace")]
        assert "only whitespace" in diagnostics[0].message
    assert check_entry(EntryText(" ", " "), locale="de") == []  # a space translated as a space


def test_whitespace_and_unchanged_are_warnings() -> None:
    diagnostics = check_entry(EntryText("Posted by ", " Von"), locale="de")
    assert {(d.severity, d.check) for d in diagnostics} == {(Severity.WARNING, "whitespace")}
    assert len(diagnostics) == 2  # leading added, trailing lost
    long_text = "Ketamine therapy works best under medical supervision."
    assert _checks(long_text, long_text) == ["unchanged"]
    assert _checks(long_text, long_text, locale="en_GB") == []  # same language as the source
    assert _checks("Ketamine", "Ketamine") == []  # names stay the same
    assert _checks("%(name)s <b>%(date)s</b>", "%(name)s <b>%(date)s</b>") == []


def test_plural_count_and_missing_forms() -> None:
    three = EntryText("a", msgid_plural="b", msgstr_plural={0: "x", 1: "y", 2: "z"})
    [message] = [d.message for d in check_entry(three, locale="de")]
    assert "3 plural form(s) but de has 2" in message
    gap = EntryText("a", msgid_plural="b", msgstr_plural={0: "x", 2: "z"})
    messages = [d.message for d in check_entry(gap, locale="ar")]
    assert any("msgstr[1], msgstr[3], msgstr[4], msgstr[5] empty" in m for m in messages)


# ---------------------------------------------------------------------------------------------
# header


GOOD_HEADER = {
    "Language": "pt_BR",
    "Plural-Forms": "nplurals=2; plural=(n > 1);",
    "Content-Type": "text/plain; charset=UTF-8",
}


def test_good_header_passes() -> None:
    assert check_header(GOOD_HEADER, locale="pt_BR") == []
    assert check_header({**GOOD_HEADER, "Language": "pt-BR"}, locale="pt_BR") == []
    # Poedit writes a region: the same language in a folder without one is fine.
    pt = {**GOOD_HEADER, "Plural-Forms": plural_forms_header("pt")}
    for language in ("pt_BR", "pt-PT", "pt"):
        assert check_header({**pt, "Language": language}, locale="pt") == []


@pytest.mark.parametrize(
    "rule", ["nplurals=2; plural=n>1;", "nplurals=2; plural=(n == 0 || n == 1) ? 0 : 1;"]
)
def test_the_languages_plural_rule_spelled_another_way_passes(rule: str) -> None:
    assert check_header({**GOOD_HEADER, "Plural-Forms": rule}, locale="pt_BR") == []


def test_another_language_in_the_header_says_where_the_catalog_belongs() -> None:
    (found,) = check_header(
        {**GOOD_HEADER, "Language": "fr_FR", "Plural-Forms": plural_forms_header("de")},
        locale="de",
        path=Path("locales/de/LC_MESSAGES/messages.po"),
        configured=["en", "de", "fr"],
    )
    assert found.message == (
        "header says Language: fr_FR but this is the de catalog (not compiled, not updated) — "
        "move it to locales/fr/LC_MESSAGES/messages.po or fix the Language header if it really is de"
    )
    assert (
        check_header({**GOOD_HEADER, "Content-Type": "text/plain; charset=utf8"}, locale="pt_BR")
        == []
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Language": ""}, "header lacks Language"),
        ({"Language": "es"}, "header says Language: es but this is the pt_BR catalog"),
        ({"Plural-Forms": ""}, "header lacks Plural-Forms"),
        ({"Plural-Forms": "two forms"}, "is not 'nplurals=N; plural=EXPRESSION;'"),
        ({"Plural-Forms": "nplurals=1; plural=0;"}, "nplurals=1 but pt_BR has 2"),
        ({"Plural-Forms": "nplurals=2; plural=(n >;"}, "invalid plural expression"),
        ({"Plural-Forms": "nplurals=2; plural=(n % 0);"}, "invalid plural expression"),
        ({"Plural-Forms": "nplurals=2; plural=n;"}, "picks form 2 for n=2"),
        (
            {"Plural-Forms": "nplurals=2; plural=(n == 1);"},
            "rule '(n == 1)' is not the pt_BR rule: for n=1 it picks form 1, pt_BR uses form 0",
        ),
        (
            {"Plural-Forms": "nplurals=2; plural=(n != 1);"},
            "rule '(n != 1)' is not the pt_BR rule: for n=0 it picks form 1, pt_BR uses form 0",
        ),
        ({"Content-Type": "text/plain"}, "header lacks a charset"),
        ({"Content-Type": "text/plain; charset=CHARSET"}, "declares charset=CHARSET"),
    ],
)
def test_header_problems(change: dict[str, str], expected: str) -> None:
    metadata = {key: value for key, value in {**GOOD_HEADER, **change}.items() if value}
    diagnostics = check_header(
        metadata, locale="pt_BR", path=Path("pt_BR.po"), line=3, field_lines={"Plural-Forms": 9}
    )
    assert [d.check for d in diagnostics] == ["header"]
    assert expected in diagnostics[0].message
    field_specific = "Plural-Forms" in change and change["Plural-Forms"]
    assert diagnostics[0].line == (9 if field_specific else 3)


def test_header_check_for_unknown_locale_does_not_raise() -> None:
    diagnostics = check_header(GOOD_HEADER, locale="zz_ZZ")
    assert any("cannot tell the plural rule" in d.message for d in diagnostics)


def test_parse_plural_forms() -> None:
    assert parse_plural_forms("nplurals=2; plural=(n != 1);") == (2, "(n != 1)")
    assert parse_plural_forms(" nplurals = 1 ; plural = 0") == (1, "0")
    assert parse_plural_forms("plural=0;") is None


# ---------------------------------------------------------------------------------------------
# Never raise


_PIECES = [
    "%(name)s",
    "%(num)d",
    "%s",
    "%d",
    "%%",
    "% d",
    "%(",
    "{name}",
    "{}",
    "{0}",
    "{{",
    "}}",
    "{",
    '<a href="https://x.org/a">',
    "</a>",
    "<b>",
    "</b>",
    "<script>",
    "<img src=x onerror=y>",
    "<a href='java\tscript:x'>",
    "&amp;",
    "&#106;",
    "&",
    "<",
    ">",
    "<!--",
    "-->",
    "<![CDATA[",
    "\n",
    "\r",
    "\u2028",
    "\x85",
    " ",
    "https://example.com/p?q=1",
    "mailto:a@b.c",
    "(max 5 characters)",
    "(max 99999999999999 characters)",
    "é",
    "ب",
    "\x00",
    "\ud800",
    "nplurals=",
    ";",
    "plural=",
]
_TEXT = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=4)), max_size=8).map("".join)
_LOCALES = st.sampled_from(["de", "ar", "fr", "pt_BR", "ja", "en", "en_XA", "zz", "", "../x"])


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    msgid=_TEXT,
    msgstr=_TEXT,
    msgctxt=st.none() | _TEXT,
    plural=st.none() | _TEXT,
    forms=st.dictionaries(st.integers(-2, 8), _TEXT, max_size=7),
    locale=_LOCALES,
    flags=st.frozensets(
        st.sampled_from(["fuzzy", "python-format", "no-python-format", "python-brace-format"])
    ),
)
def test_checks_never_raise(
    msgid: str,
    msgstr: str,
    msgctxt: str | None,
    plural: str | None,
    forms: dict[int, str],
    locale: str,
    flags: frozenset[str],
) -> None:
    entry = EntryText(
        msgid,
        msgstr,
        plural,
        forms if plural is not None else {},
        msgctxt,
        "fuzzy" in flags,
        3,
        flags,
    )
    diagnostics = check_entry(entry, locale=locale, path=Path("x.po"))
    assert all(d.check in CHECKS and d.check != "internal" for d in diagnostics)
    assert all(isinstance(d.format(), str) for d in diagnostics)
    max_length(msgctxt)


@settings(max_examples=100, deadline=None, database=None)
@given(
    metadata=st.dictionaries(
        st.sampled_from(["Language", "Plural-Forms", "Content-Type", "X"]), _TEXT
    ),
    locale=_LOCALES,
)
def test_header_check_never_raises(metadata: dict[str, str], locale: str) -> None:
    diagnostics = check_header(metadata, locale=locale)
    assert all(d.check == "header" for d in diagnostics)
    assert "failed" not in " ".join(d.message for d in diagnostics)


def test_a_bidirectional_override_the_source_lacks_is_an_error() -> None:
    # "Trojan Source" text: U+202E shows what follows reversed ("moc.live" as "evil.com").
    found = check_entry(
        EntryText(msgid="Three ways to relief", msgstr="Drei \u202emoc.live Wege"), locale="de"
    )
    assert [(d.check, d.is_error) for d in found] == [("control", True)]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in found[0].message
    # The isolates and marks right-to-left writing needs stay allowed.
    fine = check_entry(
        EntryText(msgid="Read the FAQ", msgstr="اقرأ \u2066FAQ\u2069 \u200fالأسئلة"), locale="ar"
    )
    assert [d for d in fine if d.is_error] == []
