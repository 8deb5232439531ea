"""EntryChecker (entry checks remembered per run) against check_entry, the reference."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.i18n.checks import EntryChecker, EntryText, check_entry
from pubflow.i18n.compile import classify_catalog

REPO = Path(__file__).resolve().parents[2]
LOCALES = ["de", "fr", "ar", "ja", "pt_BR", "en", None]


def reference(entry: polib.POEntry, locale: str | None, path: Path | None, source: str = "en") -> list:
    return check_entry(EntryText.from_polib(entry), locale=locale, path=path, source_locale=source)


def assert_same(entries: Iterable[polib.POEntry], locale: str | None, path: Path | None) -> int:
    """Every entry through one checker twice (misses, then hits) gives the reference's list."""
    checker = EntryChecker(locale=locale)
    entries = list(entries)
    found = 0
    for _ in range(2):
        for entry in entries:
            expected = reference(entry, locale, path)
            assert checker.check(entry, path) == expected
            found += len(expected)
    return found


def catalogs() -> list[Path]:
    folders = [REPO / "locales", REPO / "tests" / "hardening" / "po", REPO / "tests" / "i18n" / "broken"]
    return sorted(path for folder in folders for path in folder.rglob("*.po"))


def polib_or_none(path: Path) -> polib.POFile | None:
    try:
        return polib.pofile(str(path))
    except Exception:  # noqa: BLE001 — hostile samples polib cannot read at all
        return None


@pytest.mark.parametrize("path", catalogs(), ids=lambda p: str(p.relative_to(REPO)))
def test_repo_and_hostile_catalogs_check_the_same_remembered(path: Path) -> None:
    po = polib_or_none(path)
    if po is None:
        return
    locale = path.parent.parent.name if path.parent.name == "LC_MESSAGES" else None
    for chosen in {locale, "de", "ar", None}:
        assert_same((entry for entry in po if not entry.obsolete), chosen, path)


def test_broken_fixtures_find_something_so_the_comparison_means_something() -> None:
    total = 0
    for path in sorted((REPO / "tests" / "i18n" / "broken").glob("*.po")):
        po = polib_or_none(path)
        if po is not None:
            total += assert_same(po, "fr", path)
    assert total > 20


def test_a_repeat_reports_at_its_own_line_and_path() -> None:
    first = polib.POEntry(msgid="Hello %(name)s", msgstr="Hallo", flags=["python-format"], linenum=3)
    again = polib.POEntry(msgid="Hello %(name)s", msgstr="Hallo", flags=["python-format"], linenum=40)
    checker = EntryChecker(locale="de")
    a = checker.check(first, Path("a.po"))
    b = checker.check(again, Path("b.po"))
    assert a and [d.line for d in a] == [3] * len(a) and {d.path for d in a} == {Path("a.po")}
    assert b == reference(again, "de", Path("b.po"))
    assert [d.line for d in b] == [40] * len(b)


def test_flags_context_and_plural_forms_are_part_of_what_is_remembered() -> None:
    checker = EntryChecker(locale="de")
    variants = [
        polib.POEntry(msgid="50% off", msgstr="50% weg"),
        polib.POEntry(msgid="50% off", msgstr="50% weg", flags=["python-format"]),
        polib.POEntry(msgid="Subject", msgstr="Ein sehr langer Betreff", msgctxt="subject (max 5 characters)"),
        polib.POEntry(msgid="Subject", msgstr="Ein sehr langer Betreff", msgctxt="subject"),
        polib.POEntry(msgid="file", msgid_plural="files", msgstr_plural={0: "Datei", 1: "Dateien"}),
        polib.POEntry(msgid="file", msgid_plural="files", msgstr_plural={0: "Datei", 1: ""}),
        polib.POEntry(msgid="file", msgid_plural="files", msgstr_plural={0: "Datei"}),
        polib.POEntry(msgid="file", msgid_plural="other files", msgstr_plural={0: "Datei", 1: "Dateien"}),
    ]
    for _ in range(2):
        for entry in variants:
            assert checker.check(entry, None) == reference(entry, "de", None)


def test_entries_that_are_not_plain_strings_are_checked_afresh() -> None:
    class Odd:
        msgid = "Hello"
        msgstr = 1  # not a string: never remembered, the reference decides
        linenum = 7

    checker = EntryChecker(locale="de")
    for _ in range(2):
        assert checker.check(Odd(), None) == reference(Odd(), "de", None)  # type: ignore[arg-type]
    assert checker._memo == {}


def test_classify_uses_a_checker_only_for_its_own_locale() -> None:
    po = polib.POFile()
    po.metadata = {"Language": "ar", "Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="file", msgid_plural="files", msgstr_plural={0: "a", 1: "b"}))
    wrong = EntryChecker(locale="de")
    wrong.check(po[0], None)  # remembered for de: two forms are right there
    with_wrong = classify_catalog(po, locale="ar", path=None, checker=wrong)
    alone = classify_catalog(po, locale="ar", path=None)
    assert with_wrong.diagnostics == alone.diagnostics and with_wrong.counts == alone.counts
    assert alone.invalid  # ar has six forms: the entry is invalid there


# Generated entries: pieces every check reacts to, combined at random.
PIECES = [
    "Hello",
    " ",
    "%(name)s",
    "%(name)d",
    "%s",
    "%d",
    "%%",
    "%",
    "{name}",
    "{}",
    "<b>",
    "</b>",
    "<em>x</em>",
    '<a href="https://example.com/a">',
    "</a>",
    "<script>",
    "https://example.com/a",
    "https://evil.example/",
    "mailto:x@example.com",
    "\n",
    "\u2028",
    "\x07",
    "=?utf-8?q?x?=",
    "&amp;",
    "long words in a sentence here",
    "ä",
]
texts = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)
flags = st.lists(
    st.sampled_from(["python-format", "no-python-format", "python-brace-format", "fuzzy", "c-format"]),
    max_size=2,
)
contexts = st.sampled_from([None, "", "button", "subject (max 10 characters)", "x (max 3 chars)"])


@st.composite
def entries(draw: st.DrawFn) -> polib.POEntry:
    msgid = draw(texts)
    common = {
        "msgid": msgid,
        "msgctxt": draw(contexts),
        "flags": draw(flags),
        "linenum": draw(st.integers(1, 500)),
    }
    if draw(st.booleans()):
        forms = draw(st.dictionaries(st.integers(0, 6), st.one_of(texts, st.just(msgid)), max_size=6))
        return polib.POEntry(msgid_plural=draw(texts), msgstr_plural=forms, **common)
    return polib.POEntry(msgstr=draw(st.one_of(texts, st.just(msgid))), **common)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(entries(), min_size=1, max_size=8),
    st.sampled_from(LOCALES),
    st.sampled_from(["en", "de"]),
)
def test_generated_entries_check_the_same_remembered(
    chosen: list[polib.POEntry], locale: str | None, source: str
) -> None:
    checker = EntryChecker(locale=locale, source_locale=source)
    path = Path("locales/x/LC_MESSAGES/messages.po")
    # Repeats with other lines and the same texts: the memo's hits.
    copies = [
        polib.POEntry(
            msgid=e.msgid,
            msgctxt=e.msgctxt,
            msgid_plural=e.msgid_plural,
            msgstr=e.msgstr,
            msgstr_plural=dict(e.msgstr_plural),
            flags=list(e.flags),
            linenum=e.linenum + 1000,
        )
        for e in chosen
    ]
    for entry in [*chosen, *copies, *chosen]:
        assert checker.check(entry, path) == reference(entry, locale, path, source)


def _variant(entry: polib.POEntry, **change: object) -> polib.POEntry:
    fields = {
        "msgid": entry.msgid,
        "msgctxt": entry.msgctxt,
        "msgid_plural": entry.msgid_plural,
        "msgstr": entry.msgstr,
        "msgstr_plural": dict(entry.msgstr_plural),
        "flags": list(entry.flags),
        "linenum": entry.linenum,
    }
    fields.update(change)
    return polib.POEntry(**fields)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries(), texts, contexts, flags, st.sampled_from(LOCALES))
def test_entries_differing_in_one_field_are_not_confused(
    entry: polib.POEntry, text: str, context: str | None, other_flags: list[str], locale: str | None
) -> None:
    """One field changed at a time, all through one checker: each still gets its own findings."""
    plural = "plural " + text  # never empty: the entry stays plural
    variants = [
        entry,
        _variant(entry, msgid_plural=plural, msgstr_plural={0: text, 1: text}),
        _variant(entry, msgid_plural=plural + "https://example.com/b", msgstr_plural={0: text, 1: text}),
        _variant(entry, msgstr=text),
        _variant(entry, msgctxt=context),
        _variant(entry, flags=other_flags),
        _variant(entry, msgstr_plural={**entry.msgstr_plural, 1: text}),
    ]
    checker = EntryChecker(locale=locale)
    for _ in range(2):
        for variant in variants:
            assert checker.check(variant, None) == reference(variant, locale, None)


@pytest.mark.parametrize(
    "value, found",
    [
        ("nplurals=2; plural=(n != 1);", None),
        ("nplurals=2; plural=(n > 1 ? 2 : 0);", "picks form 2 for n=2, but only 0…1 exist"),
        ("nplurals=2; plural=(n == 7 ? 5 : 1);", "picks form 5 for n=7, but only 0…1 exist"),
        ("nplurals=2; plural=(n > 999 ? 2 : 1);", "picks form 2 for n=1000, but only 0…1 exist"),
        ("nplurals=2; plural=((n);", "invalid plural expression"),
    ],
)
def test_plural_rule_range_is_found_the_same_when_remembered(value: str, found: str | None) -> None:
    """The header check's scan for forms out of range, cached per expression: same message,
    whether first seen or remembered."""
    from pubflow.i18n.checks import check_header

    metadata = {"Language": "de", "Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": value}
    for _ in range(2):
        messages = [d.message for d in check_header(metadata, locale="de", field_lines={"Plural-Forms": 9})]
        if found is None:
            assert messages == []
        else:
            assert len(messages) == 1 and found in messages[0]


# The header's lines read from the top of the file only (compile's header check).

HEADER_PIECES = [
    'msgid ""', 'msgstr ""', '"Language: de\\n"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
    '"Content-Type: text/plain; charset=UTF-8\\n"', "# comment", "", " ", "\t", "é", "\u2028", "\x85",
    'msgid "a"', 'msgstr "b"', '"X-ö: ü\\n"',
    " x", "  é", '\t"Language: de\\n"',  # blank at first, text later: a cut must not end the header
]


@st.composite
def catalog_bytes(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.sampled_from(HEADER_PIECES), max_size=14))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    raw = ending.join(lines).encode()
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.booleans()) and raw:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\r", b"\n"])) + raw[at:]
    return raw


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalog_bytes(), st.integers(1, 40))
def test_header_lines_from_the_top_of_the_file_match_the_whole_file(raw: bytes, prefix: int) -> None:
    from pubflow.i18n import checks

    saved = checks._HEADER_PREFIX
    checks._HEADER_PREFIX = prefix  # tiny: every cut (mid-line, mid-character, CR|LF) happens
    try:
        assert checks.header_lines_of_bytes(raw) == checks.header_lines(raw.decode("utf-8", errors="replace"))
    finally:
        checks._HEADER_PREFIX = saved


@pytest.mark.parametrize("path", catalogs(), ids=lambda p: str(p.relative_to(REPO)))
def test_header_lines_of_repo_and_hostile_catalogs(path: Path) -> None:
    from pubflow.i18n.checks import header_lines, header_lines_of_bytes

    raw = path.read_bytes()
    assert header_lines_of_bytes(raw) == header_lines(raw.decode("utf-8", errors="replace"))
    padded = raw.replace(b'msgid ""', b"# " + b"x" * 9000 + b'\nmsgid ""', 1)  # header past the prefix
    assert header_lines_of_bytes(padded) == header_lines(padded.decode("utf-8", errors="replace"))


@pytest.mark.parametrize("prefix", range(1, 40))
def test_a_cut_that_looks_like_the_blank_line_ending_the_header_is_not_taken_for_it(prefix: int) -> None:
    from pubflow.i18n import checks

    raw = 'msgid ""\nmsgstr ""\n x\n"Language: de\\n"\n\nmsgid "a"\nmsgstr "b"\n'.encode()
    saved = checks._HEADER_PREFIX
    checks._HEADER_PREFIX = prefix
    try:
        assert checks.header_lines_of_bytes(raw) == checks.header_lines(raw.decode()) == (1, {"Language": 4})
    finally:
        checks._HEADER_PREFIX = saved
