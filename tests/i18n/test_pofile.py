"""Reading and writing catalogs: strict reads with file:line, output identical to GNU msgcat."""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import subprocess
from pathlib import Path

import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.config import load_settings
from pubflow.errors import CatalogError
from pubflow.i18n.linebreak import (
    MANDATORY,
    POSSIBLE,
    _wrap_points_full,
    _wrap_points_local,
    break_opportunities,
)
from pubflow.i18n.pofile import (
    dump_catalog,
    list_domains,
    parse_catalog,
    po_path,
    pot_path,
    read_catalog,
    same_catalog,
    write_catalog,
)

MSGCAT = "/usr/bin/msgcat"
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'

# Characters our locales use (Latin with accents, Arabic, the pseudo-locale) plus the
# punctuation, symbols and spaces whose line-breaking rules differ.
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789     "
    ",.;:!?-()[]{}\"'/%$+<>=|&*#@_~\\"
    "éüßñçàœ«»¿¡—–…’“”\u00a0\u202f"
    "عربيةنصطويل،؟؛٠١٢\u064b\u0651"
    "Ƥšéûðö\u0301"
)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# Paths ---------------------------------------------------------------------------------------


def test_paths_follow_the_gettext_layout(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert pot_path(settings, "messages") == tmp_path / "locales" / "messages.pot"
    assert po_path(settings, "pt_BR", "my-article") == (
        tmp_path / "locales" / "pt_BR" / "LC_MESSAGES" / "my-article.po"
    )
    assert list_domains(settings) == []
    (tmp_path / "locales").mkdir()
    for name in ("zeta.pot", "messages.pot", "notes.txt"):
        (tmp_path / "locales" / name).write_text("")
    assert list_domains(settings) == ["messages", "zeta"]


@pytest.mark.parametrize("domain", ["../etc", "Messages", "a/b", ""])
def test_paths_refuse_unsafe_domains(tmp_path: Path, domain: str) -> None:
    settings = load_settings(tmp_path)
    with pytest.raises(Exception, match="slug|domain"):
        pot_path(settings, domain)


# Strict reading ------------------------------------------------------------------------------


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.po", HEADER + 'msgid "a"\nmsgstr "b"c"\n')
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.path == path
    assert caught.value.line == 6
    assert "quote" in caught.value.message and caught.value.hint
    assert caught.value.describe().startswith(f"{path}:6: ")


def test_garbage_line_is_a_syntax_error_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.po", HEADER + 'msgid "a"\nmsgstr ""\n\nthis is not gettext\n')
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.line == 8
    assert "syntax" in caught.value.message


def test_duplicate_message_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "dup.po", HEADER + 'msgid "a"\nmsgstr ""\n\nmsgid "b"\nmsgstr ""\n\nmsgid "a"\nmsgstr "x"\n'
    )
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.line == 11
    assert "line 5" in caught.value.message and "duplicate" in caught.value.message


def test_same_msgid_in_two_contexts_is_not_a_duplicate(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ctx.po",
        HEADER + 'msgctxt "button"\nmsgid "Open"\nmsgstr ""\n\nmsgctxt "state"\nmsgid "Open"\nmsgstr ""\n',
    )
    assert [entry.msgctxt for entry in read_catalog(path)] == ["button", "state"]


def test_non_utf8_bytes_are_reported_at_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.po", (HEADER + 'msgid "a"\nmsgstr "caf\xe9"\n').encode("latin-1"))
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.line == 6
    assert "UTF-8" in caught.value.message


def test_declared_charset_must_be_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "charset.po",
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=ISO-8859-1\\n"\n',
    )
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.line == 4
    assert "iso-8859-1" in caught.value.message
    assert "UTF-8" in (caught.value.hint or "")


def test_missing_catalog_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        read_catalog(tmp_path / "nope.po")
    assert "not found" in caught.value.message and "catalogs" in (caught.value.hint or "")


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \n"])
def test_an_emptied_catalog_is_refused_not_replaced(tmp_path: Path, content: bytes) -> None:
    from pubflow.i18n.pofile import update_catalog

    path = tmp_path / "de.po"
    path.write_bytes(content)
    with pytest.raises(CatalogError) as caught:
        update_catalog(path, lambda po: None, create=lambda: polib.POFile())
    assert caught.value.message == "catalog is empty" and "version control" in (caught.value.hint or "")
    assert path.read_bytes() == content  # not replaced by a fresh catalog


def test_bom_and_windows_line_ends_are_tolerated(tmp_path: Path) -> None:
    text = "\ufeff" + (HEADER + 'msgid "a"\nmsgstr "b"\n').replace("\n", "\r\n")
    path = write(tmp_path, "bom.po", text)
    catalog = read_catalog(path)
    assert [(entry.msgid, entry.msgstr) for entry in catalog] == [("a", "b")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # an old Mac editor's line ends: read at LF only, the whole file was one comment
        ("# German\n" + HEADER + 'msgid "a"\nmsgstr "b"\n', 1),
        (HEADER + 'msgid "a"\nmsgstr "b"\n', 1),
        # mixed: CRLF and LF lines, then one ending in a lone CR (after a string, in a comment)
        (HEADER.replace("\n\n", "\r\n\r\n") + 'msgid "a"\nmsgstr "b"\r"c"\n', 6),
        (HEADER + "# note\rmsgid \"a\"\nmsgstr \"b\"\n", 5),
    ],
)
def test_a_lone_cr_line_end_is_refused_at_its_line_not_read_as_one_line(
    tmp_path: Path, text: str, line: int
) -> None:
    from pubflow.i18n.pofile import update_catalog

    if line == 1:
        text = text.replace("\n", "\r")
    path = write(tmp_path, "de.po", text)
    raw = path.read_bytes()
    with pytest.raises(CatalogError) as caught:
        update_catalog(path, lambda po: None)
    assert "lone CR" in caught.value.message and caught.value.line == line
    assert "LF (or CRLF) line endings" in (caught.value.hint or "")
    assert path.read_bytes() == raw  # never rewritten (it was, with every translation emptied)


def test_a_raw_cr_inside_a_string_is_a_character_as_msgfmt_reads_it(tmp_path: Path) -> None:
    path = write(tmp_path, "de.po", HEADER + 'msgid "a"\nmsgstr "b\rc \\"d\r"\n')
    assert [entry.msgstr for entry in read_catalog(path)] == ['b\rc "d\r']
    assert subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], check=False).returncode == 0


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize(
    ("conflict", "line", "marker"),
    [
        ('<<<<<<< HEAD\nmsgstr "b"\n=======\nmsgstr "c"\n>>>>>>> de-review\n', 6, "<<<<<<<"),
        ('<<<<<<< ours\nmsgstr "b"\n||||||| base\nmsgstr ""\n=======\nmsgstr "c"\n>>>>>>>\n', 6, "<<<<<<<"),
        ('msgstr "b"\n=======\nmsgstr "c"\n>>>>>>> de-review\n', 7, "======="),  # half resolved
    ],
)
def test_git_conflict_markers_are_named_at_their_line(
    tmp_path: Path, conflict: str, line: int, marker: str, ending: str
) -> None:
    from pubflow.i18n.pofile import update_catalog

    text = HEADER + 'msgid "x"\nmsgstr "y"\n\nmsgid "a"\n' + conflict
    path = write(tmp_path, "de.po", text.replace("\n", ending))
    raw = path.read_bytes()
    with pytest.raises(CatalogError) as caught:
        update_catalog(path, lambda po: None)
    assert caught.value.message.startswith(f"git merge conflict markers ({marker})")
    assert caught.value.line == line + 3 and "<<<<<<< and >>>>>>>" in (caught.value.hint or "")
    assert path.read_bytes() == raw


def test_reading_keeps_previous_msgids_obsolete_entries_comments_and_flags(tmp_path: Path) -> None:
    text = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        + "# machine-translated: pseudo 2026-01-02\n"
        + "# second translator line\n"
        + "#. tip 2 — heading\n"
        + "#: content/articles/a.md:12\n"
        + "#, fuzzy, python-format\n"
        + '#| msgid "Old %(name)s"\n'
        + 'msgid "New %(name)s"\n'
        + 'msgstr "Neu %(name)s"\n\n'
        + "# kept\n"
        + '#~ msgid "Gone"\n'
        + '#~ msgstr "Weg"\n'
    )
    path = write(tmp_path, "keep.po", text)
    catalog = read_catalog(path)
    live, gone = catalog[0], catalog[1]
    assert live.previous_msgid == "Old %(name)s"
    assert live.tcomment == "machine-translated: pseudo 2026-01-02\nsecond translator line"
    assert live.comment == "tip 2 — heading"
    assert live.occurrences == [("content/articles/a.md", "12")]
    assert live.flags == ["fuzzy", "python-format"]
    assert gone.obsolete and gone.msgstr == "Weg" and gone.tcomment == "kept"
    assert dump_catalog(catalog) == text


# Writing ------------------------------------------------------------------------------------


def test_write_returns_false_and_keeps_the_file_when_nothing_changed(tmp_path: Path) -> None:
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalog.append(polib.POEntry(msgid="Hello", msgstr="Hallo"))
    path = tmp_path / "x" / "de.po"
    assert write_catalog(catalog, path) is True
    before = path.stat().st_mtime_ns
    assert write_catalog(read_catalog(path), path) is False
    assert path.stat().st_mtime_ns == before
    catalog[0].msgstr = "Servus"
    assert write_catalog(catalog, path) is True
    assert read_catalog(path)[0].msgstr == "Servus"


def test_untranslated_obsolete_entries_are_dropped_and_fuzzy_needs_a_translation() -> None:
    catalog = polib.POFile()
    catalog.append(polib.POEntry(msgid="kept", msgstr="", flags=["fuzzy", "python-format"]))
    catalog.append(polib.POEntry(msgid="empty", msgstr="", obsolete=True))
    catalog.append(polib.POEntry(msgid="old", msgstr="alt", obsolete=True, flags=["fuzzy"]))
    text = dump_catalog(catalog)
    assert "#, python-format\nmsgid \"kept\"" in text
    assert "empty" not in text
    assert '#, fuzzy\n#~ msgid "old"\n#~ msgstr "alt"' in text


def test_long_previous_msgid_is_wrapped_like_msgmerge(tmp_path: Path) -> None:
    long_text = (
        "Ketamine therapy is an emerging treatment for depression, anxiety, and chronic pain "
        "that works differently from traditional antidepressants."
    )
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalog.append(
        polib.POEntry(
            msgid=long_text.replace("emerging", "established"),
            msgstr="Die Ketamintherapie ist eine neue Behandlung.",
            flags=["fuzzy"],
            previous_msgid=long_text,
        )
    )
    text = dump_catalog(catalog)
    assert '#| msgid ""\n#| "Ketamine therapy is an emerging treatment for depression, anxiety, and "\n' in text
    assert all(len(line) <= 79 for line in text.splitlines())
    path = write(tmp_path, "prev.po", text)
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _random_text(rng: random.Random) -> str:
    words = (
        "ketamine therapy relief depression anxiety self-care well-known http://example.com/a/b?x=1 "
        '%(name)s {count} <a href="https://x.org"> </a> — – … « » ¿ ¡ “quoted” (note) [x] 3.5 '
        "mg/kg 100% $20 Straße Behandlung névralgie عربي العلاج بالكيتامين، ؟ Ƥšéûðö"
    ).split()
    parts = []
    for _ in range(rng.randint(0, 40)):
        word = rng.choice(words)
        roll = rng.random()
        if roll < 0.05:
            word += "\n"
        elif roll < 0.07:
            word += "\t"
        elif roll < 0.09:
            word = "x" * rng.randint(60, 90)
        parts.append(word)
    text = " ".join(parts)
    return text + "\n" if rng.random() < 0.1 else text


def _random_catalog(seed: int) -> polib.POFile:
    rng = random.Random(seed)
    catalog = polib.POFile()
    catalog.header = "German translations.\nCopyright nobody"
    catalog.metadata = {
        "Project-Id-Version": "pubflow",
        "Language": "de",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    seen: set[tuple[str | None, str]] = set()
    for _ in range(150):
        msgid = _random_text(rng) or "x"
        context = rng.choice([None, None, "button", "newsletter subject (max 80 characters)"])
        if (context, msgid) in seen:
            continue
        seen.add((context, msgid))
        entry = polib.POEntry(msgid=msgid, msgctxt=context, msgstr=rng.choice(["", _random_text(rng)]))
        if rng.random() < 0.3:
            entry.comment = rng.choice(["tip 2 — heading", ("a very long extracted comment " * 4).strip()])
        if rng.random() < 0.6:
            entry.occurrences = [
                (f"t/{'x' * rng.randint(1, 40)}.html", str(rng.randint(1, 400)) if rng.random() < 0.8 else "")
                for _ in range(rng.randint(1, 6))
            ]
        if rng.random() < 0.3:
            entry.tcomment = "machine-translated: pseudo 2026-01-02"
        if rng.random() < 0.3 and entry.msgstr:
            entry.flags = ["fuzzy"]
            if rng.random() < 0.6:
                entry.previous_msgid = _random_text(rng) or "y"
        if rng.random() < 0.25:
            entry.flags.append("python-format")
        if rng.random() < 0.1:
            entry.msgid_plural = _random_text(rng) or "z"
            entry.msgstr_plural = {0: entry.msgstr, 1: _random_text(rng)}
            entry.msgstr = ""
        # (msgcat drops an obsolete entry whose first msgstr is empty; we keep any translation.)
        if rng.random() < 0.1 and (entry.msgstr or entry.msgstr_plural.get(0)):
            entry.obsolete, entry.previous_msgid = True, None
        catalog.append(entry)
    return catalog


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_output_is_exactly_what_gnu_msgcat_writes(tmp_path: Path, seed: int) -> None:
    """The outside judge for wrapping, escapes, references, flags and obsolete entries."""
    ours = dump_catalog(_random_catalog(seed))
    path = write(tmp_path, "ours.po", ours)
    result = subprocess.run([MSGCAT, str(path)], capture_output=True, text=True, check=True)
    assert result.stdout == ours
    assert dump_catalog(parse_catalog(ours.encode(), path)) == ours  # and reading it back is exact


# Line breaking ------------------------------------------------------------------------------


def _libunistring() -> ctypes.CDLL:
    """GNU libunistring, which msgcat/msgmerge use for line breaking (installed with gettext)."""
    name = ctypes.util.find_library("unistring") or "libunistring.so.2"
    library = ctypes.CDLL(name)
    library.u8_possible_linebreaks.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p]
    return library


def _gnu_opportunities(library: ctypes.CDLL, text: str) -> list[int]:
    data = text.encode("utf-8")
    out = ctypes.create_string_buffer(len(data))
    library.u8_possible_linebreaks(data, len(data), b"UTF-8", out)
    result, offset = [], 0
    for char in text:
        value = out.raw[offset]
        result.append(POSSIBLE if value == 2 else MANDATORY if value == 3 else 0)
        offset += len(char.encode("utf-8"))
    return result


LIBUNISTRING = _libunistring()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET + "\u200b\u2028", max_size=60))
def test_break_opportunities_match_libunistring(text: str) -> None:
    assert break_opportunities(text) == _gnu_opportunities(LIBUNISTRING, text)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=ALPHABET.replace("\u064b", "").replace("\u0651", "").replace("\u0301", ""), max_size=300),
    st.integers(min_value=5, max_value=80),
    st.integers(min_value=0, max_value=12),
    st.randoms(use_true_random=False),
)
def test_fast_line_layout_equals_the_full_one(text: str, width: int, start: int, rng: random.Random) -> None:
    overrides = [rng.random() < 0.05 for _ in text]
    assert _wrap_points_local(text, width, start, overrides) == _wrap_points_full(text, width, start, overrides)


def test_fast_line_layout_classifies_characters_it_has_not_seen() -> None:
    from pubflow.i18n import linebreak

    text = "ꙮꙮꙮ ꙮꙮ ꙮꙮꙮꙮ " * 4  # U+A66E: classified by no other test
    linebreak._CLASS_CACHE.pop("ꙮ", None)
    assert _wrap_points_local(text, 10, 0, None) == _wrap_points_full(text, 10, 0, None) != []


def test_gettext_bell_escape_reads_as_bel_in_strings_only(tmp_path: Path) -> None:
    # GNU tools write BEL as \a; polib alone reads a backslash and an "a".
    source = tmp_path / "source.po"
    source.write_text(
        HEADER + "#: src\\app.py:1\nmsgid \"ring\"\nmsgstr \"bell\a here, slash \\\\a there\"\n\n"
        "#, fuzzy\n#| msgid \"old\a\"\nmsgid \"two\"\nmsgstr \"\"\n\"\a at the start\"\n\n"
        "#~ msgid \"gone\"\n#~ msgstr \"was\a\"\n",
        encoding="utf-8",
    )
    written_by_gnu = tmp_path / "gnu.po"
    subprocess.run([MSGCAT, "-o", str(written_by_gnu), str(source)], check=True)
    text = written_by_gnu.read_text("utf-8")
    assert '"bell\\a here, slash \\\\a there"' in text and "#: src\\app.py:1" in text
    for path in (written_by_gnu, source):
        # As written, with Windows line ends, and with a trailing space (polib's reader).
        slow = path.read_bytes().replace(b'msgid "ring"', b'msgid "ring" ')
        for raw in (path.read_bytes(), path.read_bytes().replace(b"\n", b"\r\n"), slow):
            po = parse_catalog(raw, path)
            assert po.find("ring").msgstr == "bell\a here, slash \\a there"
            assert po.find("ring").occurrences == [("src\\app.py", "1")]
            assert po.find("two").msgstr == "\a at the start"
            assert po.find("two").previous_msgid == "old\a"
            assert [e.msgstr for e in po.obsolete_entries()] == ["was\a"]
    # Written back by us, it reads the same again and GNU tools accept it.
    again = tmp_path / "again.po"
    again.write_text(dump_catalog(parse_catalog(written_by_gnu.read_bytes(), written_by_gnu)), "utf-8")
    assert parse_catalog(again.read_bytes(), again).find("ring").msgstr == "bell\a here, slash \\a there"
    subprocess.run([MSGCAT, "-o", str(tmp_path / "check.po"), str(again)], check=True)
    assert (tmp_path / "check.po").read_text("utf-8") == text


# Escapes GNU tools read in a string: octal and hex give bytes (UTF-8 together), \a is BEL.
GNU_ESCAPES = [
    r"\101\x41\x4A",  # AAJ
    r"\303\244 \xc3\xa4 \xC3\xA4",  # ä three times: bytes that spell one character
    r"\1011 \x0041 \x414",  # octal takes 3 digits at most, hex every digit (low byte kept)
    r"quote \042 \x22, slash \134 \x5c, line\012break",  # what our writer escapes again
    r"slash \\101 \\x41 \\q",  # an escaped backslash: the rest is text
    r"bell \a, escape \033 \x1b",  # control characters: for the checks
]


def gnu_compiled(tmp_path: Path, po: Path) -> dict[str, str]:
    """What msgfmt makes of a catalog's strings: the translations of its .mo."""
    import gettext

    mo = tmp_path / "gnu.mo"
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in catalog.items() if key}


def test_octal_hex_and_bell_escapes_read_as_msgfmt_reads_them(tmp_path: Path) -> None:
    entries = "".join(f'msgid "k{n}"\nmsgstr "{text}"\n\n' for n, text in enumerate(GNU_ESCAPES))
    path = write(tmp_path, "de.po", HEADER + entries + '#~ msgid "gone"\n#~ msgstr "\\x41"\n')
    po = read_catalog(path)
    live = {entry.msgid: entry.msgstr for entry in po if not entry.obsolete}
    assert live == gnu_compiled(tmp_path, path)
    assert po.find("k1").msgstr == "ä ä ä" and po.obsolete_entries()[0].msgstr == "A"
    # Written back as GNU writes it (the characters themselves), never as "\\x41".
    written = dump_catalog(po)
    assert 'msgstr "AAJ"' in written and '#~ msgstr "A"' in written
    assert 'msgstr "slash \\\\101 \\\\x41 \\\\q"' in written  # as it was: a backslash, not doubled
    assert parse_catalog(written.encode(), path).find("k5").msgstr == "bell \a, escape \x1b \x1b"
    assert same_catalog(parse_catalog(written.encode(), path), po)


@pytest.mark.parametrize(
    ("string", "shown"),
    [(r"\q", r"\q"), (r"no\ebreak", r"\e"), (r"nbsp\u00A0", r"\u"), (r"x\x", r"\x"), (r"\8", r"\8")],
)
def test_an_escape_msgfmt_refuses_makes_the_catalog_unreadable_at_its_line(
    tmp_path: Path, string: str, shown: str
) -> None:
    from pubflow.i18n.pofile import update_catalog

    path = write(tmp_path, "de.po", HEADER + f'msgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgstr ""\n"{string}"\n')
    raw = path.read_bytes()
    with pytest.raises(CatalogError) as caught:
        update_catalog(path, lambda po: None)
    assert caught.value.line == 10 and f"invalid escape {shown} " in caught.value.message
    assert "write \\\\ for a backslash" in (caught.value.hint or "")
    assert path.read_bytes() == raw  # never rewritten with the backslash doubled
    failed = subprocess.run(["msgfmt", "-o", "/dev/null", str(path)], capture_output=True, text=True, check=False)
    assert failed.returncode != 0 and "invalid control sequence" in failed.stderr


def test_byte_escapes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "de.po", HEADER + 'msgid "a"\nmsgstr "\\344"\n')
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert caught.value.line == 6 and "not UTF-8" in caught.value.message


def test_control_characters_spelt_as_escapes_are_caught_by_the_control_check(tmp_path: Path) -> None:
    from pubflow.i18n.checks import check_catalog

    strings = [r"nul\000", r"nul\x0", r"esc\033[31m", r"eot\x04", r"bell\a", r"del\177"]
    entries = "".join(f'msgid "k{n}"\nmsgstr "{text}"\n\n' for n, text in enumerate(strings))
    path = write(tmp_path, "de.po", HEADER.replace('"\n\n', '"\n"Language: de\\n"\n\n') + entries)
    found = [d for d in check_catalog(read_catalog(path), locale="de", path=path) if d.check == "control"]
    assert [d.line for d in found] == [6 + 3 * n for n in range(len(strings))]  # msgid lines
    assert all(d.severity == "error" for d in found)


def test_every_control_character_reads_back_as_written(tmp_path: Path) -> None:
    # Found by the hardening fuzzer: BEL was written as gettext's \a, which polib's reading
    # (and so ours) takes for a backslash and an "a": the catalog read back altered.
    text = "bell\a back\b feed\f tab\t line\n return\r vertical\v quote\" slash\\ end"
    catalog = polib.POFile(wrapwidth=79)
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "de"}
    catalog.append(polib.POEntry(msgid="x", msgstr=text))
    catalog.append(polib.POEntry(msgid="old", msgstr=text, obsolete=True))
    path = tmp_path / "de.po"
    path.write_text(dump_catalog(catalog), encoding="utf-8")
    again = parse_catalog(path.read_bytes(), path)
    assert [(e.msgid, e.msgstr, e.obsolete) for e in again] == [("x", text, 0), ("old", text, 1)]
    assert polib.pofile(str(path)).find("x").msgstr == text
    checked = subprocess.run(["msgfmt", "-o", str(tmp_path / "de.mo"), str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert polib.mofile(str(tmp_path / "de.mo")).find("x").msgstr == text
