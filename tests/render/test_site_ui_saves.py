"""Translators' saves at random, of the UI catalog and of the articles' catalogs: an
incremental site build always ends byte for byte where a build from scratch would (a
language follows the UI messages its pages looked up, each output the content catalogs it
showed, so a save that changes what a page shows must render it again)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polib
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from pubflow.config import load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.render.site import render_site
from render_site_data import EVENINGS, MORNINGS

LOCALES = ["de", "ar", "pt_BR", "en_XA"]
# Every catalog of the fixture site (locale, domain): the UI's and the articles'.
CATALOGS = [(locale, "messages") for locale in LOCALES] + [
    ("de", MORNINGS.slug), ("de", EVENINGS.slug), ("ar", MORNINGS.slug), ("pt_BR", MORNINGS.slug),
    ("pt_BR", EVENINGS.slug), ("es", MORNINGS.slug), ("en_XA", MORNINGS.slug), ("en_XA", EVENINGS.slug),
]
NEWSLETTER_ONLY = "Only the newsletter says this."  # in the catalog, on no site page

save = st.tuples(
    st.sampled_from(CATALOGS),
    st.integers(min_value=0, max_value=10_000),  # which entry (modulo the catalog's size)
    st.sampled_from(["text", "fuzzy", "clear", "restore"]),
    st.text(alphabet="abcäöü ", max_size=4),
)


def _apply(
    root: Path, catalog_of: tuple[str, str], which: int, how: str, extra: str, originals: dict[tuple[str, str, str], str]
) -> None:
    """One save, as an editor writes it: another text, the fuzzy flag toggled, or cleared."""
    locale, domain = catalog_of
    path = root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    entries = [entry for entry in catalog if not entry.obsolete]
    entry = entries[which % len(entries)]
    original = originals.setdefault((locale, domain, entry.msgid), entry.msgstr)
    if how == "text":
        entry.msgstr = f"{original or entry.msgid} ·{extra}"  # placeholders kept: appended
    elif how == "fuzzy":
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        else:
            entry.flags.append("fuzzy")
    elif how == "clear":
        entry.msgstr = ""
    else:
        entry.msgstr = original
    catalog.save(str(path))


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(saves=st.lists(save, min_size=1, max_size=3))
def test_incremental_builds_after_saves_equal_builds_from_scratch(
    site_project: Path, saves: list[tuple[tuple[str, str], int, str, str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        shutil.copytree(site_project, root, ignore=shutil.ignore_patterns("build", "dist"))
        for locale in LOCALES:
            path = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
            catalog = polib.pofile(str(path), wrapwidth=0)
            catalog.append(polib.POEntry(msgid=NEWSLETTER_ONLY, msgstr=f"{NEWSLETTER_ONLY} ({locale})"))
            catalog.save(str(path))
        clear_cache()
        render_site(load_settings(root, workers=1))
        originals: dict[tuple[str, str, str], str] = {}
        for catalog_of, which, how, extra in saves:
            _apply(root, catalog_of, which, how, extra, originals)
            clear_cache()
            incremental = render_site(load_settings(root, workers=1))
            clear_cache()
            forced = render_site(load_settings(root, workers=1), force=True)
            # Everything the forced build wrote is what the incremental one had left.
            assert forced.written == [], (catalog_of, which, how, [str(p) for p in forced.written])
            assert [(p.site_path, p.notices) for p in forced.pages] == [
                (p.site_path, p.notices) for p in incremental.pages
            ]
