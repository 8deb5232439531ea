"""Translation states of single entries, read from real ``.po`` text (as a translator writes it)."""

from __future__ import annotations

from datetime import date

import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.i18n.states import (
    PROVENANCE_PREFIX,
    State,
    entry_state,
    parse_provenance,
    provenance_comment,
)

HEADER = r'''msgid ""
msgstr ""
"Language: {locale}\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: {plural}\n"
'''
PLURALS = {
    "de": "nplurals=2; plural=(n != 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
    ": n%100>=11 ? 4 : 5);",
}


def entry(block: str, locale: str = "de") -> polib.POEntry:
    """The single entry of a catalog made of the header and ``block``."""
    catalog = polib.pofile(HEADER.format(locale=locale, plural=PLURALS[locale]) + "\n" + block)
    (only,) = list(catalog)
    return only


def test_translated_and_not_fuzzy_is_reviewed() -> None:
    assert entry_state(entry('msgid "Hello"\nmsgstr "Hallo"\n'), locale="de") is State.REVIEWED


def test_empty_msgstr_is_missing_even_when_fuzzy() -> None:
    assert entry_state(entry('msgid "Hello"\nmsgstr ""\n'), locale="de") is State.MISSING
    fuzzy_empty = '#, fuzzy\n#| msgid "Hi"\nmsgid "Hello"\nmsgstr ""\n'
    assert entry_state(entry(fuzzy_empty), locale="de") is State.MISSING


def test_fuzzy_with_provenance_and_no_previous_msgid_is_machine() -> None:
    block = '# machine-translated: google 2026-11-25\n#, fuzzy\nmsgid "Hello"\nmsgstr "Hallo"\n'
    assert entry_state(entry(block), locale="de") is State.MACHINE


def test_fuzzy_with_previous_msgid_is_stale_even_with_provenance() -> None:
    # A machine suggestion whose source then changed: the suggestion is for the old text.
    block = (
        "# machine-translated: google 2026-11-25\n"
        '#, fuzzy\n#| msgid "Hello there"\nmsgid "Hello"\nmsgstr "Hallo zusammen"\n'
    )
    assert entry_state(entry(block), locale="de") is State.STALE


def test_fuzzy_without_provenance_is_stale() -> None:
    assert entry_state(entry('#, fuzzy\nmsgid "Hello"\nmsgstr "Hallo"\n'), locale="de") is State.STALE
    changed = '#, fuzzy\n#| msgid "Old title"\nmsgid "New title"\nmsgstr "Alter Titel"\n'
    assert entry_state(entry(changed), locale="de") is State.STALE


def test_previous_context_alone_makes_a_machine_entry_stale() -> None:
    block = (
        "# machine-translated: google 2026-11-25\n"
        '#, fuzzy\n#| msgctxt "menu"\nmsgctxt "button"\nmsgid "Open"\nmsgstr "Öffnen"\n'
    )
    assert entry_state(entry(block), locale="de") is State.STALE


def test_clearing_fuzzy_on_a_machine_entry_makes_it_reviewed() -> None:
    # The translator approved the suggestion; the marker stays as history.
    block = '# machine-translated: deepl 2026-11-25\nmsgid "Hello"\nmsgstr "Hallo"\n'
    assert entry_state(entry(block), locale="de") is State.REVIEWED


def test_error_level_check_makes_an_entry_invalid_whatever_else_it_is() -> None:
    dropped = 'msgid "Hello %(name)s"\nmsgstr "Hallo"\n'
    assert entry_state(entry(dropped), locale="de") is State.INVALID
    machine = "# machine-translated: google 2026-11-25\n#, fuzzy\n" + dropped
    assert entry_state(entry(machine), locale="de") is State.INVALID
    script = 'msgid "Read more"\nmsgstr "Mehr <script>alert(1)</script>"\n'
    assert entry_state(entry(script), locale="de") is State.INVALID


def test_checks_false_skips_the_checks() -> None:
    dropped = entry('msgid "Hello %(name)s"\nmsgstr "Hallo"\n')
    assert entry_state(dropped, locale="de", checks=False) is State.REVIEWED


def test_warnings_do_not_make_an_entry_invalid() -> None:
    trailing = entry('msgid "Hello"\nmsgstr "Hallo "\n')  # whitespace: a warning only
    assert entry_state(trailing, locale="de") is State.REVIEWED


def test_arabic_plural_with_six_forms_is_reviewed_and_with_two_is_invalid() -> None:
    forms = "".join(f'msgstr[{i}] "ملف {i} %(count)d"\n' for i in range(6))
    six = f'#, python-format\nmsgid "%(count)d file"\nmsgid_plural "%(count)d files"\n{forms}'
    assert entry_state(entry(six, "ar"), locale="ar") is State.REVIEWED
    two = (
        '#, python-format\nmsgid "%(count)d file"\nmsgid_plural "%(count)d files"\n'
        'msgstr[0] "ملف %(count)d"\nmsgstr[1] "ملفات %(count)d"\n'
    )
    assert entry_state(entry(two, "ar"), locale="ar") is State.INVALID


def test_half_filled_plural_is_invalid_even_without_checks() -> None:
    block = 'msgid "file"\nmsgid_plural "files"\nmsgstr[0] "Datei"\nmsgstr[1] ""\n'
    assert entry_state(entry(block), locale="de", checks=False) is State.INVALID
    assert entry_state(entry(block), locale="de") is State.INVALID
    empty = 'msgid "file"\nmsgid_plural "files"\nmsgstr[0] ""\nmsgstr[1] ""\n'
    assert entry_state(entry(empty), locale="de") is State.MISSING


def test_provenance_comment_format_and_round_trip() -> None:
    text = provenance_comment("google", date(2026, 11, 25))
    assert text == "machine-translated: google 2026-11-25"
    assert text.startswith(PROVENANCE_PREFIX)
    made = polib.POEntry(msgid="Hello", msgstr="Hallo", tcomment=text, flags=["fuzzy"])
    assert parse_provenance(made) == ("google", date(2026, 11, 25))
    assert entry_state(made, locale="de") is State.MACHINE


def test_provenance_survives_a_write_and_read() -> None:
    made = polib.POEntry(
        msgid="Hello",
        msgstr="Hallo",
        tcomment="reviewed by Anna\n" + provenance_comment("libre", date(2025, 1, 2)),
        flags=["fuzzy"],
    )
    catalog = polib.POFile()
    catalog.append(made)
    (again,) = list(polib.pofile(str(catalog)))
    assert parse_provenance(again) == ("libre", date(2025, 1, 2))
    assert entry_state(again, locale="de") is State.MACHINE


def test_parse_provenance_without_marker_or_with_a_bad_date() -> None:
    assert parse_provenance(entry('msgid "Hello"\nmsgstr "Hallo"\n')) is None
    typo = entry('# machine-translated: google 2026-13-45\n#, fuzzy\nmsgid "Hello"\nmsgstr "Hallo"\n')
    assert parse_provenance(typo) is None
    # A typo in the date keeps the entry a machine suggestion, not "stale".
    assert entry_state(typo, locale="de") is State.MACHINE


def test_the_latest_provenance_marker_wins() -> None:
    block = (
        "# machine-translated: google 2025-01-01\n"
        "# machine-translated: deepl 2026-02-03\n"
        '#, fuzzy\nmsgid "Hello"\nmsgstr "Hallo"\n'
    )
    assert parse_provenance(entry(block)) == ("deepl", date(2026, 2, 3))


@pytest.mark.parametrize("backend", ["", "two words", "new\nline", "a:b"])
def test_provenance_comment_refuses_backend_names_that_would_not_parse(backend: str) -> None:
    with pytest.raises(ValueError):
        provenance_comment(backend, date(2026, 1, 1))


@settings(max_examples=150, deadline=None)
@given(
    backend=st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True),
    day=st.dates(min_value=date(1970, 1, 1), max_value=date(9999, 12, 31)),
)
def test_provenance_round_trips_for_any_backend_and_day(backend: str, day: date) -> None:
    made = polib.POEntry(msgid="x", msgstr="y", tcomment=provenance_comment(backend, day))
    assert parse_provenance(made) == (backend, day)
