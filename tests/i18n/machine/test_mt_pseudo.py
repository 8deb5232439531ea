"""The offline pseudo backend: the function, and a run on the seed article's real catalog."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.config import load_settings
from pubflow.i18n.checks import EntryText, check_entry
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.pofile import po_path, read_catalog, write_catalog
from pubflow.i18n.placeholders import placeholders_of
from pubflow.i18n.pseudo import pseudolocalize
from pubflow.i18n.states import State, entry_state
from pubflow.locales import PSEUDO_LOCALE, plural_forms_header

SLUG = "achieving-relief-with-ketamine-therapy"


def test_accented_longer_bracketed_and_placeholders_untouched() -> None:
    text = 'Read <a href="https://example.org/x">%(count)s tips</a> &amp; more'
    pseudo = pseudolocalize(text)
    assert pseudo.startswith("[Ŕéàđ ") and pseudo.endswith("]")
    assert '<a href="https://example.org/x">' in pseudo and "%(count)s" in pseudo and "&amp;" in pseudo
    assert len(pseudo) >= 1.3 * len(text)
    assert not any("a" <= char <= "z" for char in pseudo.replace('href="https://example.org/x"', "")
                   .replace("%(count)s", "").replace("&amp;", "").replace("<a", "").replace("</a>", ""))


def test_whitespace_edges_and_line_breaks_are_kept() -> None:
    assert pseudolocalize("  Next: \n") == "  [Ñéẋţ:] \n"
    assert pseudolocalize("one\ntwo").count("\n") == 1
    assert pseudolocalize("   ") == "   "


def test_a_context_length_limit_caps_the_padding() -> None:
    text = "Your weekly tips about ketamine therapy"  # 39 characters
    assert len(pseudolocalize(text)) > 45
    limited = pseudolocalize(text, max_length=45)
    assert len(limited) <= 45 and limited.startswith("[") and limited.endswith("]")
    no_room = pseudolocalize(text, max_length=39)  # accents only: still visibly pseudo
    assert len(no_room) == 39 and "[" not in no_room and no_room.startswith("Ýöûŕ")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc XYZ.%(){}s<>/b&;:\n")), max_size=40))
def test_placeholders_survive_any_text(text: str) -> None:
    assert placeholders_of(pseudolocalize(text)) == placeholders_of(text)


def _pseudo_catalog_from(real: polib.POFile) -> polib.POFile:
    """An empty en_XA catalog with the real catalog's messages (what `catalogs init` makes)."""
    po = polib.POFile(wrapwidth=79)
    po.metadata = dict(real.metadata)
    po.metadata["Language"] = PSEUDO_LOCALE
    po.metadata["Plural-Forms"] = plural_forms_header(PSEUDO_LOCALE)
    for entry in real:
        if entry.obsolete:
            continue
        po.append(polib.POEntry(msgid=entry.msgid, msgctxt=entry.msgctxt, msgstr="",
                                comment=entry.comment, occurrences=entry.occurrences))
    return po


@pytest.fixture
def pseudo_project(project: Path) -> Path:
    source = project / "locales" / "de" / "LC_MESSAGES" / f"{SLUG}.po"
    if not source.is_file():
        pytest.fail(f"the seed article's catalog is missing: {source}")
    settings = load_settings(project)
    write_catalog(_pseudo_catalog_from(read_catalog(source)), po_path(settings, PSEUDO_LOCALE, SLUG))
    return project


def test_pseudo_backend_fills_the_real_seed_catalog(pseudo_project: Path) -> None:
    settings = load_settings(pseudo_project, translation_memory=pseudo_project / "no-memory.sqlite3")
    report = prefill_catalogs(settings, None, "pseudo", today=date(2026, 11, 25))
    catalog = read_catalog(po_path(settings, PSEUDO_LOCALE, SLUG))
    live = [entry for entry in catalog if not entry.obsolete]
    assert report.ok and report.requests == 0
    assert report.locales[PSEUDO_LOCALE].filled == len(live) >= 40
    for entry in live:
        assert entry_state(entry, locale=PSEUDO_LOCALE) is State.MACHINE, entry.msgid
        assert entry.msgstr.startswith("[") and entry.msgstr.endswith("]")
        assert not [d for d in check_entry(EntryText.from_polib(entry), locale=PSEUDO_LOCALE) if d.is_error]
        assert "machine-translated: pseudo 2026-11-25" in entry.tcomment
    long_ones = [entry for entry in live if len(entry.msgid) > 40]
    assert all(len(entry.msgstr) >= 1.3 * len(entry.msgid) for entry in long_ones)
    assert not (pseudo_project / "no-memory.sqlite3").exists()  # offline: no memory either
    if shutil.which("msgfmt"):
        path = po_path(settings, PSEUDO_LOCALE, SLUG)
        check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_stale_pseudo_entries_are_regenerated_but_edited_ones_kept(pseudo_project: Path) -> None:
    settings = load_settings(pseudo_project)
    prefill_catalogs(settings, [PSEUDO_LOCALE], "pseudo")
    path = po_path(settings, PSEUDO_LOCALE, SLUG)
    catalog = read_catalog(path)
    live = [entry for entry in catalog if not entry.obsolete]
    untouched, edited = live[0], live[1]
    # The source changed (what a catalog update does): fuzzy, previous msgid, old text kept.
    for entry in (untouched, edited):
        entry.previous_msgid = entry.msgid
        entry.msgid = entry.msgid + " Updated."
    edited.msgstr = "[a QA engineer's own note]"
    write_catalog(catalog, path)

    report = prefill_catalogs(settings, [PSEUDO_LOCALE], "pseudo")
    after = {entry.msgid: entry for entry in read_catalog(path) if not entry.obsolete}
    refreshed = after[untouched.msgid]
    assert refreshed.msgstr == pseudolocalize(untouched.msgid)
    assert refreshed.previous_msgid is None and entry_state(refreshed) is State.MACHINE
    kept = after[edited.msgid]
    assert kept.msgstr == "[a QA engineer's own note]" and kept.previous_msgid is not None
    assert report.locales[PSEUDO_LOCALE].filled == 1
