"""Translators' saves of the UI catalog, at random: an incremental site build always ends
byte for byte where a build from scratch would (the groups follow the UI messages their
pages looked up, so a save that changes what a page shows must render it again)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polib
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from pubflow.config import load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.render.site import render_site

LOCALES = ["de", "ar", "pt_BR", "en_XA"]
NEWSLETTER_ONLY = "Only the newsletter says this."  # in the catalog, on no site page

save = st.tuples(
    st.sampled_from(LOCALES),
    st.integers(min_value=0, max_value=10_000),  # which entry (modulo the catalog's size)
    st.sampled_from(["text", "fuzzy", "clear", "restore"]),
    st.text(alphabet="abcäöü ", max_size=4),
)


def _apply(root: Path, locale: str, which: int, how: str, extra: str, originals: dict[tuple[str, str], str]) -> None:
    """One save, as an editor writes it: another text, the fuzzy flag toggled, or cleared."""
    path = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    entries = [entry for entry in catalog if not entry.obsolete]
    entry = entries[which % len(entries)]
    original = originals.setdefault((locale, entry.msgid), entry.msgstr)
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
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(saves=st.lists(save, min_size=1, max_size=3))
def test_incremental_builds_after_ui_saves_equal_builds_from_scratch(
    site_project: Path, saves: list[tuple[str, int, str, str]]
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
        originals: dict[tuple[str, str], str] = {}
        for locale, which, how, extra in saves:
            _apply(root, locale, which, how, extra, originals)
            clear_cache()
            incremental = render_site(load_settings(root, workers=1))
            clear_cache()
            forced = render_site(load_settings(root, workers=1), force=True)
            # Everything the forced build wrote is what the incremental one had left.
            assert forced.written == [], (locale, which, how, [str(p) for p in forced.written])
            assert [(p.site_path, p.notices) for p in forced.pages] == [
                (p.site_path, p.notices) for p in incremental.pages
            ]
