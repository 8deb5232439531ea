"""The merge's in-step shortcut (keep_if_unchanged) against the full merge, the reference.

The shortcut must give a report only when the full merge gives back an equal catalog, with
exactly the full merge's counts; and on catalogs that are in step it must actually fire.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.i18n.merge import MergeReport, merge_catalog
from pubflow.i18n.pofile import dump_catalog, parse_catalog, read_catalog, same_catalog

REPO = Path(__file__).resolve().parents[2]
COUNTS = ("added", "fuzzy", "obsoleted", "revived", "unchanged", "dropped_untranslated", "fuzzy_sources", "total")


def counts(report: MergeReport) -> tuple[object, ...]:
    return tuple(getattr(report, name) for name in COUNTS)


def assert_agrees(po: polib.POFile, pot: polib.POFile, locale: str) -> bool:
    """The shortcut's answer equals the full merge's; True when the shortcut fired."""
    before = dump_catalog(po)
    full = merge_catalog(po, pot, locale)
    fast = merge_catalog(po, pot, locale, keep_if_unchanged=True)
    assert dump_catalog(po) == before  # neither path changes its input
    assert counts(fast) == counts(full)
    assert same_catalog(fast.catalog, full.catalog)
    if fast.catalog is po:
        assert same_catalog(po, full.catalog)
        return True
    return False


def repo_pairs() -> list[tuple[Path, Path, str]]:
    pairs = []
    for pot in sorted((REPO / "locales").glob("*.pot")):
        for po in sorted((REPO / "locales").glob(f"*/LC_MESSAGES/{pot.stem}.po")):
            pairs.append((po, pot, po.parent.parent.name))
    return pairs


@pytest.mark.parametrize("po_path, pot_path, locale", repo_pairs(), ids=lambda v: str(v)[-40:])
def test_repo_catalogs_as_committed_and_settled(po_path: Path, pot_path: Path, locale: str) -> None:
    po, pot = read_catalog(po_path), read_catalog(pot_path)
    assert_agrees(po, pot, locale)
    # Once merged and written, a catalog is in step: the shortcut must fire on it.
    settled = parse_catalog(dump_catalog(merge_catalog(po, pot, locale).catalog).encode(), po_path)
    assert assert_agrees(settled, pot, locale)


# Generated catalogs: a template, a catalog merged from it and then filled in the ways
# translators and tools do (settled: the shortcut fires), then one change at a time.

MSGIDS = ["Hello", "Open", "A longer sentence about therapy.", "%(count)d file", "Read more", "Close"]


@st.composite
def templates(draw: st.DrawFn) -> polib.POFile:
    pot = polib.POFile()
    pot.metadata = {"Project-Id-Version": "pubflow", "POT-Creation-Date": draw(st.sampled_from(["", "2026-01-01"]))}
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(MSGIDS), st.sampled_from([None, "button", ""])), min_size=1, max_size=6, unique=True
        )
    )
    for msgid, context in keys:
        plural = draw(st.sampled_from(["", "", f"{msgid} (many)"]))
        pot.append(
            polib.POEntry(
                msgid=msgid,
                msgctxt=context,
                msgid_plural=plural,
                msgstr_plural={0: "", 1: ""} if plural else {},
                comment=draw(st.sampled_from(["", "title", "tip 1 — heading"])),
                occurrences=draw(st.sampled_from([[], [("a.md", "3")], [("a.md", "3"), ("b.html", "")]])),
                flags=draw(st.sampled_from([[], ["python-format"], ["fuzzy"], ["python-format", "no-wrap"]])),
            )
        )
    return pot


def filled(pot: polib.POFile, locale: str, rng: random.Random) -> polib.POFile:
    """A catalog in step with ``pot``: merged, translated here and there, merged again."""
    po = merge_catalog(None, pot, locale).catalog
    for entry in po:
        choice = rng.random()
        if entry.msgid_plural:
            for index in entry.msgstr_plural:
                entry.msgstr_plural[index] = f"{entry.msgid} [{index}]" if choice < 0.7 else ""
        elif choice < 0.7:
            entry.msgstr = f"[{locale}] {entry.msgid}"
        if choice < 0.2:
            entry.flags.insert(0, "fuzzy")
            entry.tcomment = "machine-translated: pseudo 2026-01-01"
        elif choice < 0.3:
            entry.flags.insert(0, "fuzzy")
            entry.previous_msgid = "an older text"
    po.append(polib.POEntry(msgid="Gone", msgstr="Weg", obsolete=True))
    return merge_catalog(po, pot, locale).catalog


def _some(po: polib.POFile, rng: random.Random, live: bool = True) -> polib.POEntry | None:
    chosen = [entry for entry in po if entry.obsolete != live]
    return rng.choice(chosen) if chosen else None


def _mutate(po: polib.POFile, pot: polib.POFile, kind: str, rng: random.Random) -> None:  # noqa: C901
    entry = _some(po, rng)
    if kind == "flag-added" and entry is not None:
        entry.flags.append("no-wrap")
    elif kind == "fuzzy-toggled" and entry is not None:
        entry.flags = [f for f in entry.flags if f != "fuzzy"] if entry.fuzzy else ["fuzzy", *entry.flags]
    elif kind == "fuzzy-last" and entry is not None:
        entry.flags = [*[f for f in entry.flags if f != "fuzzy"], "fuzzy"]
    elif kind == "previous" and entry is not None:
        entry.previous_msgid = "old"
    elif kind == "previous-context" and entry is not None:
        entry.previous_msgctxt = "ctx"
    elif kind == "comment" and entry is not None:
        entry.comment = "another comment"
    elif kind == "occurrences" and entry is not None:
        entry.occurrences = [("z.md", "9")]
    elif kind == "occurrences-tuple" and entry is not None:
        entry.occurrences = tuple(entry.occurrences)
    elif kind == "translator-comment" and entry is not None:
        entry.tcomment = "note"
    elif kind == "swap" and len(po) > 1:
        i, j = rng.sample(range(len(po)), 2)
        po[i], po[j] = po[j], po[i]
    elif kind == "remove" and entry is not None:
        po.remove(entry)
    elif kind == "extra-live":
        po.insert(rng.randrange(len(po) + 1), polib.POEntry(msgid="Extra", msgstr=rng.choice(["", "x"])))
    elif kind == "duplicate" and entry is not None:
        po.insert(po.index(entry) + 1, copy.deepcopy(entry))
    elif kind == "duplicate-translated" and entry is not None:
        twin = copy.deepcopy(entry)
        twin.msgstr = "different"
        po.insert(po.index(entry) + 1, twin)
    elif kind == "obsolete-untranslated":
        po.append(polib.POEntry(msgid="Old", msgstr="", obsolete=True))
    elif kind == "obsolete-back-in-template":
        first = next(e for e in pot if not e.obsolete)
        po.append(polib.POEntry(msgid=first.msgid, msgctxt=first.msgctxt, msgstr="alt", obsolete=True))
    elif kind == "obsolete-with-comment":
        po.append(polib.POEntry(msgid="Old2", msgstr="Alt", comment="c", obsolete=True))
    elif kind == "obsolete-with-flags":
        po.append(polib.POEntry(msgid="Old3", msgstr="Alt", flags=["python-format"], obsolete=True))
    elif kind == "obsolete-fuzzy":
        po.append(polib.POEntry(msgid="Old4", msgstr="Alt", flags=["fuzzy"], obsolete=True))
    elif kind == "obsolete-previous":
        po.append(polib.POEntry(msgid="Old5", msgstr="Alt", previous_msgid="x", obsolete=True))
    elif kind == "obsolete-to-live":
        old = _some(po, rng, live=False)
        if old is not None:
            old.obsolete = False
    elif kind == "live-to-obsolete" and entry is not None:
        entry.obsolete = True
    elif kind == "plural-extra-form" and entry is not None and entry.msgid_plural:
        entry.msgstr_plural[7] = rng.choice(["", "seven"])
    elif kind == "plural-form-missing" and entry is not None and entry.msgstr_plural:
        entry.msgstr_plural.pop(max(entry.msgstr_plural))
    elif kind == "plural-string-keys" and entry is not None and entry.msgid_plural:
        entry.msgstr_plural = {str(k): v for k, v in entry.msgstr_plural.items()}
    elif kind == "plural-msgstr" and entry is not None and entry.msgid_plural:
        entry.msgstr = "singular too"
    elif kind == "plural-changed" and entry is not None:
        entry.msgid_plural = "" if entry.msgid_plural else "others"
    elif kind == "singular-forms" and entry is not None and not entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgstr}
    elif kind == "context-empty" and entry is not None:
        entry.msgctxt = "" if entry.msgctxt is None else None
    elif kind == "metadata-value":
        po.metadata["Language"] = "xx"
    elif kind == "metadata-order":
        po.metadata = dict(reversed(list(po.metadata.items())))
    elif kind == "metadata-extra":
        po.metadata["X-Generator"] = "Poedit"
    elif kind == "header-comment":
        po.header = "A header comment"
    elif kind == "header-fuzzy":
        po.metadata_is_fuzzy = not po.metadata_is_fuzzy
    elif kind == "template-fuzzy-flag":
        for template in pot:
            template.flags = ["fuzzy", *template.flags]
    elif kind == "template-duplicate":
        pot.append(copy.deepcopy(next(e for e in pot if not e.obsolete)))
    elif kind == "template-obsolete":
        pot.append(polib.POEntry(msgid="Gone", msgstr="", obsolete=True))
    elif kind == "template-header-entry":
        pot.append(polib.POEntry(msgid="", msgstr=""))
    elif kind == "template-date":
        pot.metadata["POT-Creation-Date"] = "2027-01-01"


MUTATIONS = [
    "none", "flag-added", "fuzzy-toggled", "fuzzy-last", "previous", "previous-context", "comment",
    "occurrences", "occurrences-tuple", "translator-comment", "swap", "remove", "extra-live", "duplicate",
    "duplicate-translated", "obsolete-untranslated", "obsolete-back-in-template", "obsolete-with-comment",
    "obsolete-with-flags", "obsolete-fuzzy", "obsolete-previous", "obsolete-to-live", "live-to-obsolete",
    "plural-extra-form", "plural-form-missing", "plural-string-keys", "plural-msgstr", "plural-changed",
    "singular-forms", "context-empty", "metadata-value", "metadata-order", "metadata-extra",
    "header-comment", "header-fuzzy", "template-fuzzy-flag", "template-duplicate", "template-obsolete",
    "template-header-entry", "template-date",
]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    templates(),
    st.sampled_from(["de", "ar", "ja", "pl"]),
    st.lists(st.sampled_from(MUTATIONS), min_size=0, max_size=3),
    st.randoms(use_true_random=False),
)
def test_generated_catalogs_and_their_variations(
    pot: polib.POFile, locale: str, kinds: list[str], rng: random.Random
) -> None:
    po = filled(pot, locale, rng)
    assert assert_agrees(po, pot, locale)  # settled: the shortcut fires
    for kind in kinds:
        _mutate(po, pot, kind, rng)
    assert_agrees(po, pot, locale)


def test_each_mutation_alone_on_a_rich_catalog() -> None:
    """Every variation once, deterministically, on a catalog with every kind of entry."""
    pot = polib.POFile()
    pot.metadata = {"Project-Id-Version": "pubflow", "POT-Creation-Date": "2026-01-01"}
    pot.append(polib.POEntry(msgid="Hello", comment="title", occurrences=[("a.md", "1")]))
    pot.append(polib.POEntry(msgid="Open", msgctxt="button", flags=["python-format"]))
    pot.append(polib.POEntry(msgid="file", msgid_plural="files", msgstr_plural={0: "", 1: ""}))
    fired = 0
    for kind in MUTATIONS:
        for seed in range(4):
            rng = random.Random(seed)
            template = copy.deepcopy(pot)
            po = filled(template, "de", rng)
            _mutate(po, template, kind, rng)
            fired += assert_agrees(po, template, "de")
    assert fired >= 4  # "none" at least: the shortcut is exercised, not just skipped


def test_a_new_catalog_is_never_taken_for_a_settled_one() -> None:
    pot = polib.POFile()
    pot.metadata = {"Project-Id-Version": "pubflow"}
    report = merge_catalog(polib.POFile(), pot, "de", keep_if_unchanged=True)
    assert counts(report) == counts(merge_catalog(polib.POFile(), pot, "de"))


def test_a_repeated_key_takes_the_first_entrys_translation_so_no_shortcut() -> None:
    """A template naming a message twice (never extracted, but merge_catalog accepts it): the
    merge fills both from the catalog's first entry, so a second, different one changes."""
    pot = polib.POFile()
    pot.metadata = {"Project-Id-Version": "pubflow"}
    for _ in range(2):
        pot.append(polib.POEntry(msgid="Hello", occurrences=[("a.md", "1")]))
    po = merge_catalog(None, pot, "de").catalog
    po[0].msgstr, po[1].msgstr = "Hallo", "Servus"
    assert not assert_agrees(po, pot, "de")
    po[1].msgstr = "Hallo"
    assert_agrees(po, pot, "de")  # equal now; the shortcut need not see it (it refuses repeats)
