"""GNU msgfmt --check as the outside judge: change → update → update keeps `#|` and stays valid."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from pubflow.config import load_settings
from pubflow.i18n.pofile import edit_catalog, po_path, read_catalog
from pubflow.i18n.sync import sync_catalogs
from pubflow.ingest.canonical import write_article
from pubflow.model import Article, Tip

REPO = Path(__file__).resolve().parents[2]
MSGFMT = "/usr/bin/msgfmt"

LONG = (
    "Ketamine therapy is an emerging treatment for depression, anxiety, and chronic pain that "
    "works differently from traditional antidepressants, often bringing relief within hours "
    "rather than weeks — “a new hope” for 60% of patients."
)
LONG_TRANSLATION = (
    "Die Ketamintherapie ist eine neue Behandlung für Depressionen, Angstzustände und "
    "chronische Schmerzen, die anders wirkt als herkömmliche Antidepressiva und oft binnen "
    "Stunden statt Wochen Linderung bringt — „eine neue Hoffnung“ für 60 % der Patienten."
)


def write(root: Path, intro: str, heading: str = "Find a clinic") -> None:
    model = Article(
        slug="relief-guide",
        lang="en",
        title="Achieving Relief",
        summary="How ketamine therapy can help.",
        intro=(intro,),
        tips=(Tip(heading, ("Look for accredited clinics near you.",)),),
        date=dt.date(2026, 1, 1),
    )
    write_article(model, root / "content" / "articles")


def msgfmt_check(path: Path) -> None:
    result = subprocess.run([MSGFMT, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_change_update_update_round_trip_keeps_previous_msgid_and_passes_msgfmt(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    write(tmp_path, LONG)
    settings = load_settings(tmp_path)
    sync_catalogs(settings, ["de", "ar"], compile=False)
    path = po_path(settings, "de", "relief-guide")
    with edit_catalog(path) as po:
        for entry in po:
            entry.msgstr = LONG_TRANSLATION if entry.msgid == LONG else f"[de] {entry.msgid}"
    msgfmt_check(path)

    changed = LONG.replace("emerging", "established").replace("60%", "70%")
    write(tmp_path, changed, heading="Find a good clinic")
    sync_catalogs(settings, ["de", "ar"], compile=False)
    after_first = path.read_bytes()
    entries = {entry.msgid: entry for entry in read_catalog(path)}
    assert entries[changed].fuzzy and entries[changed].previous_msgid == LONG
    assert entries[changed].msgstr == LONG_TRANSLATION
    assert entries["Find a good clinic"].previous_msgid == "Find a clinic"
    text = after_first.decode("utf-8")
    assert '#| msgid ""\n#| "Ketamine therapy is an emerging treatment' in text  # wrapped like msgmerge
    assert all(len(line) <= 79 for line in text.splitlines())
    msgfmt_check(path)
    msgfmt_check(po_path(settings, "ar", "relief-guide"))

    sync_catalogs(settings, ["de", "ar"], compile=False)
    assert path.read_bytes() == after_first  # the second update keeps #| and every byte
    msgfmt_check(path)


def test_msgmerge_agrees_with_our_wrapping_of_the_updated_catalog(tmp_path: Path) -> None:
    """GNU msgmerge on our .po and .pot reproduces our file: the formats are the same."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    write(tmp_path, LONG)
    settings = load_settings(tmp_path)
    sync_catalogs(settings, ["de"], compile=False)
    path = po_path(settings, "de", "relief-guide")
    with edit_catalog(path) as po:
        for entry in po:
            entry.msgstr = LONG_TRANSLATION if entry.msgid == LONG else f"[de] {entry.msgid}"
    write(tmp_path, LONG.replace("emerging", "established"))
    sync_catalogs(settings, ["de"], compile=False)
    pot = tmp_path / "locales" / "relief-guide.pot"
    result = subprocess.run(
        ["msgmerge", "--quiet", "--previous", "-o", "-", str(path), str(pot)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == path.read_text(encoding="utf-8")
