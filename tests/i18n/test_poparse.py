"""The fast ``.po`` reader gives exactly what polib + the strict checks give, or steps aside.

``parse_catalog`` tries :func:`pubflow.i18n.poparse.parse_po_text` first and falls back to
``parse_text_strictly`` (polib and every strict check). Whatever the input, the two paths
must agree: the same objects (every field, line numbers included) or the same error at the
same line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.errors import CatalogError
from pubflow.i18n.pofile import dump_catalog, parse_catalog, parse_text_strictly
from pubflow.i18n.poparse import parse_po_text

REPO = Path(__file__).resolve().parents[2]
PATH = Path("locales/de/LC_MESSAGES/x.po")
FIELDS = (
    "msgid", "msgstr", "msgid_plural", "msgstr_plural", "msgctxt", "obsolete", "comment",
    "tcomment", "occurrences", "flags", "previous_msgctxt", "previous_msgid",
    "previous_msgid_plural", "linenum", "encoding",
)  # fmt: skip


def signature(po: polib.POFile) -> tuple[Any, ...]:
    """Everything a stage can read from a parsed catalog."""
    return (
        po.header,
        list(po.metadata.items()),
        po.metadata_is_fuzzy,
        po.wrapwidth,
        po.encoding,
        po.fpath,
        [tuple((name, getattr(entry, name)) for name in FIELDS) for entry in po],
    )


def outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", signature(parse(text))
    except CatalogError as error:
        return "error", (error.message, error.line)


def both_paths_agree(text: str) -> tuple[str, Any]:
    fast = outcome(lambda t: parse_catalog(t.encode("utf-8"), PATH), text)
    strict = outcome(lambda t: parse_text_strictly(t.replace("\r\n", "\n"), PATH), text)
    assert fast == strict
    return fast


def repository_catalogs() -> list[Path]:
    found = sorted((REPO / "locales").rglob("*.po")) + sorted((REPO / "locales").glob("*.pot"))
    return found + sorted((REPO / "tests").rglob("*.po"))


def test_every_catalog_in_the_repository_reads_the_same_both_ways() -> None:
    catalogs = repository_catalogs()
    fast_path = 0
    for path in catalogs:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue  # hostile encodings: refused before either reader runs
        both_paths_agree(text)
        fast_path += parse_po_text(text.replace("\r\n", "\n")) is not None
    assert len(catalogs) >= 40
    # The project's own catalogs are all well formed: every one of them takes the fast path.
    own = [p for p in catalogs if "locales" in p.relative_to(REPO).parts[:1]]
    assert all(parse_po_text(p.read_text(encoding="utf-8")) is not None for p in own)
    assert fast_path >= len(own)


def test_the_hostile_corpus_still_gets_the_strict_readers_errors() -> None:
    hostile = sorted((REPO / "tests" / "hardening" / "po").glob("r*.po"))
    assert hostile, "the hardening corpus moved?"
    refused = 0
    for path in hostile:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        kind, _ = both_paths_agree(text)
        refused += kind == "error"
    assert refused >= 8


# Text with everything that needs care: quotes, backslashes (also before "n"), tabs,
# newlines, the escapes polib leaves alone (\a), non-ASCII, % directives, a colon.
TEXT = st.lists(
    st.sampled_from(list('ab cé"\\\n\t\a%:(s)#~|xÄ中ض ') + ["%(name)s", "\\n", '\\"', "word "]),
    max_size=60,
).map("".join)
SMALL = st.text(alphabet=st.sampled_from(list("abc é#:,.")), min_size=1, max_size=20).map(str.strip).filter(bool)


@st.composite
def entries(draw: st.DrawFn) -> polib.POEntry:
    plural = draw(st.booleans())
    entry = polib.POEntry(
        msgid=draw(TEXT.filter(bool)),
        msgctxt=draw(st.one_of(st.none(), TEXT)),
        tcomment=draw(st.one_of(st.just(""), SMALL)),
        comment=draw(st.one_of(st.just(""), SMALL)),
        occurrences=draw(st.lists(st.tuples(st.sampled_from(["a.md", "t/x.html"]), st.sampled_from(["", "3", "12"])), max_size=3)),
        flags=draw(st.lists(st.sampled_from(["fuzzy", "python-format", "no-wrap"]), max_size=2, unique=True)),
        obsolete=draw(st.booleans()),
    )
    if plural:
        entry.msgid_plural = draw(TEXT.filter(bool))
        forms = draw(st.integers(min_value=1, max_value=6))
        entry.msgstr_plural = {index: draw(TEXT) for index in range(forms)}
    else:
        entry.msgstr = draw(TEXT)
    if not entry.obsolete and draw(st.booleans()):
        entry.previous_msgid = draw(TEXT)
        entry.previous_msgctxt = draw(st.one_of(st.none(), TEXT))
        if plural:
            entry.previous_msgid_plural = draw(TEXT)
    if entry.obsolete:
        entry.msgstr = entry.msgstr or "x"  # the writer drops untranslated obsolete entries
    return entry


@st.composite
def catalogs(draw: st.DrawFn) -> str:
    po = polib.POFile(wrapwidth=79)
    po.header = draw(st.sampled_from(["", "Title.", "Title.\n\nCopyright"]))
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "de"}
    po.metadata_is_fuzzy = draw(st.booleans())
    seen: set[tuple[str | None, str]] = set()
    for entry in draw(st.lists(entries(), max_size=6)):
        if (entry.msgctxt, entry.msgid) not in seen:
            seen.add((entry.msgctxt, entry.msgid))
            po.append(entry)
    return dump_catalog(po)


@settings(max_examples=150, deadline=None)
@given(catalogs())
def test_written_catalogs_take_the_fast_path_and_read_the_same(text: str) -> None:
    assert parse_po_text(text) is not None
    kind, _ = both_paths_agree(text)
    assert kind == "ok"


FRAGMENTS = [
    '"', 'msgid "x"', 'msgstr "y"', 'msgstr[0] "z"', 'msgstr[1] "w"', 'msgid_plural "p"',
    'msgctxt "c"', "#~ msgid \"o\"", '#~ msgstr "o"', '#| msgid "q"', '#| "r"', "#, fuzzy",
    "# note", "#. extracted", "#: a.md:3", "#", "#x", " msgid \"x\"", 'msgid "x" ', "\t",
    'msgstr "a\\"', 'msgstr "a"b"', 'msgid ""', '"Content-Type: text/plain; charset=latin1\\n"',
    "\x04", "msgstr[10] \"y\"", '#~| msgid "x"', "\r",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(catalogs(), st.data())
def test_damaged_catalogs_give_the_same_result_both_ways(text: str, data: st.DataObject) -> None:
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        where = data.draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)))
        action = data.draw(st.sampled_from(["drop", "insert", "duplicate", "swap", "cut"]))
        if action == "drop" and lines:
            del lines[where]
        elif action == "insert":
            lines.insert(where, data.draw(st.sampled_from(FRAGMENTS)))
        elif action == "duplicate" and lines:
            lines.insert(where, lines[where])
        elif action == "swap" and len(lines) > 1:
            other = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
        elif action == "cut" and lines and lines[where]:
            lines[where] = lines[where][: data.draw(st.integers(0, len(lines[where]) - 1))]
    both_paths_agree("\n".join(lines))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n',
        # no header: polib files the first entry's comments as the file's header
        '# a note\nmsgid "a"\nmsgstr "b"\n',
        # two headers, an entry with an empty msgid after the first
        'msgid ""\nmsgstr ""\n\nmsgid ""\nmsgstr "x"\n',
        # comments after the last entry, and an obsolete entry last
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "b"\n\n# dangling\n',
        'msgid ""\nmsgstr ""\n\n#~ msgid "a"\n#~ msgstr "b"\n',
        # a previous msgid continued, a plural with every form
        'msgid ""\nmsgstr ""\n\n#| msgid "old "\n#| "text"\nmsgid "a"\nmsgid_plural "as"\n'
        'msgstr[0] "b"\nmsgstr[1] "bs"\n',
        # CRLF line ends (accepted) and a bare CR (the strict reader decides)
        'msgid ""\r\nmsgstr ""\r\n\r\nmsgid "a"\r\nmsgstr "b"\r\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a\rb"\nmsgstr "b"\n',
        # metadata with a continued value and a line without a colon
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"no colon here\\n"\n"X: 1\\n"\n',

        # continuation lines: a bare quote inside, an escaped one, an unclosed one, a lone quote
        'msgid ""\nmsgstr ""\n\nmsgid "a"\n"b"c"\nmsgstr "x"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "x"\n"y"z"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "x"\n"y\\"z\\n"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "x"\n"y\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "x"\n"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "x"\n""\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgid_plural "as"\n"more"\nmsgstr[0] "b"\n"c"\nmsgstr[1] "d"\n',
        # runs of continuation lines (read at once when all plain): plain, an escape or a
        # quote inside one line, a blank after a closing quote, a lone quote, empty strings
        'msgid ""\nmsgstr ""\n\nmsgid ""\n"one "\n"two "\n"three"\nmsgstr ""\n"eins "\n"zwei"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n"one "\n"t\\"wo "\n"three\\n"\n"four"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n"one "\n"t"wo "\n"three"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n"one" \n"two"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n"one"\n"\n"two"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n""\n""\n"two"x\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr ""\n"one"\n""\n"two"\n\n#~ msgid "b"\n#~ msgstr ""\n"x"\n"y"\n',

        # an obsolete msgid with a live msgstr, and the other way round
        'msgid ""\nmsgstr ""\n\n#~ msgid "a"\nmsgstr "b"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\n#~ msgstr "b"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "b\\"c"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "b"c"\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "\n',
        'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "b" x\n',
    ],
)
def test_edge_cases_read_the_same_both_ways(text: str) -> None:
    both_paths_agree(text)
