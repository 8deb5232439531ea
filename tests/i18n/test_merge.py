"""Merging a catalog with a new template: every case a translator meets, and scale."""

from __future__ import annotations

import copy
import random

import polib

from pubflow.i18n.merge import merge_catalog
from pubflow.i18n.pofile import dump_catalog
from pubflow.locales import plural_forms_header

PROVENANCE = "machine-translated: deepl 2026-01-02"


def template(*entries: polib.POEntry, date: str = "2026-01-01 10:00+0000") -> polib.POFile:
    pot = polib.POFile()
    pot.metadata = {"Project-Id-Version": "pubflow", "POT-Creation-Date": date}
    for entry in entries:
        pot.append(entry)
    return pot


def source(msgid: str, *, context: str | None = None, line: int = 1, comment: str = "", **more: object) -> polib.POEntry:
    return polib.POEntry(
        msgid=msgid,
        msgctxt=context,
        occurrences=[("content/articles/a.md", str(line))],
        comment=comment,
        **more,
    )


def catalog(*entries: polib.POEntry, revision: str = "2026-01-05 09:00+0000") -> polib.POFile:
    po = polib.POFile()
    po.metadata = {
        "Project-Id-Version": "pubflow",
        "PO-Revision-Date": revision,
        "Last-Translator": "Anna <anna@example.org>",
        "X-Generator": "Poedit 3.4",
        "Language": "de",
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": plural_forms_header("de"),
    }
    for entry in entries:
        po.append(entry)
    return po


def translated(msgid: str, msgstr: str, **more: object) -> polib.POEntry:
    return polib.POEntry(msgid=msgid, msgstr=msgstr, **more)


def by_msgid(po: polib.POFile) -> dict[str, polib.POEntry]:
    return {entry.msgid: entry for entry in po if not entry.obsolete}


def test_new_strings_are_added_empty_with_comments_and_references() -> None:
    pot = template(source("Hello", comment="title", line=3))
    report = merge_catalog(catalog(), pot, "de")
    entry = by_msgid(report.catalog)["Hello"]
    assert entry.msgstr == "" and not entry.fuzzy
    assert entry.comment == "title" and entry.occurrences == [("content/articles/a.md", "3")]
    assert (report.added, report.fuzzy, report.unchanged, report.obsoleted) == (1, 0, 0, 0)


def test_removed_strings_become_obsolete_with_their_translation() -> None:
    old = catalog(translated("Goodbye forever", "Auf Nimmerwiedersehen", tcomment="from Anna"))
    report = merge_catalog(old, template(source("Completely different text here")), "de")
    obsolete = [entry for entry in report.catalog if entry.obsolete]
    assert [(e.msgid, e.msgstr, e.tcomment) for e in obsolete] == [
        ("Goodbye forever", "Auf Nimmerwiedersehen", "from Anna")
    ]
    assert report.obsoleted == 1 and report.added == 1
    assert '#~ msgid "Goodbye forever"' in dump_catalog(report.catalog)


def test_removed_untranslated_strings_are_simply_dropped() -> None:
    report = merge_catalog(catalog(translated("Never translated", "")), template(source("Other")), "de")
    assert [entry.msgid for entry in report.catalog] == ["Other"]
    assert report.dropped_untranslated == 1 and report.obsoleted == 0


def test_changed_string_becomes_fuzzy_with_previous_msgid_and_old_translation() -> None:
    old = catalog(translated("Ketamine can relieve depression quickly.", "Ketamin kann Depressionen schnell lindern."))
    new = "Ketamine can relieve treatment-resistant depression quickly."
    report = merge_catalog(old, template(source(new, comment="intro, paragraph 1")), "de")
    entry = by_msgid(report.catalog)[new]
    assert entry.fuzzy
    assert entry.msgstr == "Ketamin kann Depressionen schnell lindern."
    assert entry.previous_msgid == "Ketamine can relieve depression quickly."
    assert entry.comment == "intro, paragraph 1"
    assert not any(e.obsolete for e in report.catalog)  # its translation moved, nothing left behind
    assert (report.fuzzy, report.added) == (1, 0)


def test_unchanged_entries_keep_translation_fuzzy_comments_and_take_template_metadata() -> None:
    old = catalog(
        translated(
            "Read more",
            "Weiterlesen",
            tcomment=PROVENANCE,
            flags=["fuzzy"],
            occurrences=[("templates/old.html", "9")],
            comment="old comment",
        ),
        translated("Hello %(name)s", "Hallo %(name)s", tcomment="reviewed by Anna"),
    )
    pot = template(
        source("Read more", comment="button label", line=12),
        source("Hello %(name)s", line=13, flags=["python-format"]),
    )
    report = merge_catalog(old, pot, "de")
    entries = by_msgid(report.catalog)
    assert entries["Read more"].msgstr == "Weiterlesen"
    assert entries["Read more"].fuzzy and entries["Read more"].tcomment == PROVENANCE
    assert entries["Read more"].previous_msgid is None  # machine state: fuzzy, marker, no #|
    assert entries["Read more"].comment == "button label"
    assert entries["Read more"].occurrences == [("content/articles/a.md", "12")]
    assert entries["Hello %(name)s"].flags == ["python-format"]
    assert entries["Hello %(name)s"].tcomment == "reviewed by Anna"
    assert report.unchanged == 2 and not report.changed


def test_reordered_template_reorders_catalog_and_keeps_translations() -> None:
    old = catalog(translated("One", "Eins"), translated("Two", "Zwei"), translated("Three", "Drei"))
    report = merge_catalog(old, template(source("Three"), source("One"), source("Two")), "de")
    assert [(e.msgid, e.msgstr) for e in report.catalog] == [("Three", "Drei"), ("One", "Eins"), ("Two", "Zwei")]
    assert report.unchanged == 3 and report.fuzzy == 0


def test_msgctxt_keeps_same_words_apart() -> None:
    old = catalog(
        translated("Open", "Öffnen", msgctxt="button"),
        translated("Open", "Geöffnet", msgctxt="opening hours"),
    )
    pot = template(source("Open", context="opening hours"), source("Open", context="button"))
    report = merge_catalog(old, pot, "de")
    translations = {(e.msgctxt, e.msgstr) for e in report.catalog}
    assert translations == {("opening hours", "Geöffnet"), ("button", "Öffnen")}
    assert report.unchanged == 2


def test_fuzzy_match_prefers_the_same_context() -> None:
    old = catalog(
        translated("Subscribe to our newsletter", "Newsletter abonnieren", msgctxt="button"),
        translated("Subscribe to our newsletter", "Abonnieren Sie unseren Newsletter", msgctxt="heading"),
    )
    report = merge_catalog(old, template(source("Subscribe to our newsletters", context="heading")), "de")
    entry = report.catalog[0]
    assert entry.fuzzy and entry.msgstr == "Abonnieren Sie unseren Newsletter"
    assert entry.previous_msgid == "Subscribe to our newsletter" and entry.previous_msgctxt is None


def test_obsolete_entry_that_comes_back_is_revived() -> None:
    old = catalog(translated("Welcome back", "Willkommen zurück", obsolete=True, tcomment="Anna"))
    report = merge_catalog(old, template(source("Welcome back", line=7)), "de")
    entry = report.catalog[0]
    assert (entry.obsolete, entry.fuzzy, entry.msgstr, entry.tcomment) == (False, False, "Willkommen zurück", "Anna")
    assert entry.occurrences == [("content/articles/a.md", "7")]
    assert report.revived == 1 and len(report.catalog) == 1


def test_fuzzy_match_never_replaces_a_reviewed_translation() -> None:
    """A new string similar to a live reviewed one must not borrow or disturb it."""
    old = catalog(
        translated("Save the file", "Datei speichern"),
        translated("Delete the file now", "Datei jetzt löschen"),
    )
    pot = template(source("Save the file"), source("Save the files"), source("Delete the file now"))
    report = merge_catalog(old, pot, "de")
    entries = by_msgid(report.catalog)
    assert entries["Save the file"].msgstr == "Datei speichern" and not entries["Save the file"].fuzzy
    assert entries["Delete the file now"].msgstr == "Datei jetzt löschen"
    # The live entries are not candidates: the new string starts empty rather than stealing one.
    assert entries["Save the files"].msgstr == "" and not entries["Save the files"].fuzzy


def test_provenance_comment_survives_a_fuzzy_match() -> None:
    old = catalog(translated("Take ketamine with care", "Ketamin mit Vorsicht nehmen", tcomment=PROVENANCE, flags=["fuzzy"]))
    report = merge_catalog(old, template(source("Take ketamine with great care")), "de")
    entry = report.catalog[0]
    assert entry.tcomment == PROVENANCE and entry.fuzzy
    assert entry.previous_msgid == "Take ketamine with care"  # the text it was translated from


def test_a_stale_entry_changed_again_keeps_the_text_its_translation_was_made_for() -> None:
    old = catalog(
        translated(
            "Ketamine is a fast treatment for severe depression",
            "Ketamin ist eine Behandlung für Depressionen",
            flags=["fuzzy"],
            previous_msgid="Ketamine is a treatment for depression",
        )
    )
    newest = "Ketamine is a fast, effective treatment for severe depression"
    report = merge_catalog(old, template(source(newest)), "de")
    entry = report.catalog[0]
    assert entry.fuzzy and entry.msgstr == "Ketamin ist eine Behandlung für Depressionen"
    assert entry.previous_msgid == "Ketamine is a treatment for depression"


def test_stale_entry_keeps_its_previous_msgid_when_unchanged() -> None:
    stale = translated("New wording", "Alte Formulierung", flags=["fuzzy"], previous_msgid="Old wording")
    report = merge_catalog(catalog(stale), template(source("New wording")), "de")
    assert report.catalog[0].previous_msgid == "Old wording" and report.catalog[0].fuzzy


def test_plural_entries_get_every_form_of_the_language() -> None:
    pot = template(source("%(n)s day", msgid_plural="%(n)s days", flags=["python-format"]))
    report = merge_catalog(None, pot, "ar")
    assert sorted(report.catalog[0].msgstr_plural) == [0, 1, 2, 3, 4, 5]
    kept = catalog(
        polib.POEntry(msgid="%(n)s day", msgid_plural="%(n)s days", msgstr_plural={0: "%(n)s Tag", 1: "%(n)s Tage"})
    )
    merged = merge_catalog(kept, pot, "de").catalog[0]
    assert merged.msgstr_plural == {0: "%(n)s Tag", 1: "%(n)s Tage"} and not merged.fuzzy


def test_header_sets_language_plural_forms_and_keeps_the_rest_in_place() -> None:
    old = catalog()
    pot = template(source("x"), date="2026-02-02 12:00+0000")
    merged = merge_catalog(old, pot, "ar").catalog
    assert merged.metadata["Language"] == "ar"
    assert merged.metadata["Plural-Forms"] == plural_forms_header("ar")
    assert merged.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert merged.metadata["POT-Creation-Date"] == "2026-02-02 12:00+0000"
    assert merged.metadata["PO-Revision-Date"] == "2026-01-05 09:00+0000"
    assert merged.metadata["X-Generator"] == "Poedit 3.4"
    keys = list(merged.metadata)
    assert keys.index("PO-Revision-Date") < keys.index("X-Generator") < keys.index("Language")


def test_merge_does_not_modify_its_inputs() -> None:
    old = catalog(translated("Alpha beta gamma delta", "A B C D"), translated("Gone", "Weg"))
    pot = template(source("Alpha beta gamma delta epsilon"), source("New"))
    before_old, before_pot = dump_catalog(copy.deepcopy(old)), dump_catalog(copy.deepcopy(pot))
    merge_catalog(old, pot, "de")
    assert dump_catalog(old) == before_old and dump_catalog(pot) == before_pot


def test_merging_twice_changes_nothing() -> None:
    old = catalog(translated("Ketamine therapy helps many people", "Ketamintherapie hilft vielen"), translated("Bye", "Tschüss"))
    pot = template(source("Ketamine therapy helps many patients"), source("Hello"))
    first = merge_catalog(old, pot, "de").catalog
    second = merge_catalog(first, pot, "de")
    assert dump_catalog(second.catalog) == dump_catalog(first)
    assert (second.added, second.fuzzy, second.obsoleted, second.revived) == (0, 0, 0, 0)


def _sentence(rng: random.Random, vocabulary: list[str]) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 25))).capitalize() + "."


def test_two_thousand_entries_with_changes_merge_correctly() -> None:
    """10% changed, 5% removed, 5% new: each changed string gets its own old translation."""
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(1500)]
    msgids = list(dict.fromkeys(_sentence(rng, vocabulary) for _ in range(2000)))
    old = catalog(*(translated(m, f"DE[{i}]", occurrences=[("a.md", str(i))]) for i, m in enumerate(msgids)))
    new_entries: list[polib.POEntry] = []
    changed: dict[str, int] = {}
    removed: set[str] = set()
    for index, msgid in enumerate(msgids):
        roll = rng.random()
        if roll < 0.10:
            words = msgid.rstrip(".").split()
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
            edited = " ".join(words) + " (revised)."
            changed[edited] = index
            new_entries.append(source(edited, line=index))
        elif roll < 0.15:
            removed.add(msgid)
        else:
            new_entries.append(source(msgid, line=index))
    fresh = [f"Brand new sentence number {n} about {rng.choice(vocabulary)} {rng.choice(vocabulary)}." for n in range(100)]
    new_entries.extend(source(text, line=5000 + n) for n, text in enumerate(fresh))

    report = merge_catalog(old, template(*new_entries), "de")
    entries = by_msgid(report.catalog)
    assert report.fuzzy == len(changed)
    assert report.added == len(fresh)
    assert report.obsoleted == len(removed)
    assert report.unchanged == len(msgids) - len(changed) - len(removed)
    for edited, index in changed.items():
        entry = entries[edited]
        assert entry.fuzzy and entry.msgstr == f"DE[{index}]" and entry.previous_msgid == msgids[index]
    for text in fresh:
        assert entries[text].msgstr == "" and not entries[text].fuzzy
    assert {e.msgid for e in report.catalog if e.obsolete} == removed
    assert [e.msgid for e in report.catalog if not e.obsolete] == [e.msgid for e in new_entries]
