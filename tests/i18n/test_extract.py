"""Extraction: UI strings through Babel's Jinja2 extractor (like pybabel), content with context."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from pubflow.config import load_settings
from pubflow.errors import CatalogError
from pubflow.i18n.extract import UI_DOMAIN, extract_messages, extract_ui_messages, write_templates
from pubflow.i18n.pofile import dump_catalog, pot_path, read_catalog
from pubflow.ingest.canonical import write_article
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip

REPO = Path(__file__).resolve().parents[2]
PYBABEL = Path(sys.executable).with_name("pybabel")

TEMPLATES = {
    "site/page.html": (
        "{# Translators: the page's main heading #}\n"
        "<h1>{% trans %}Hello {{ name }}{% endtrans %}</h1>\n"
        "{% trans count=n %}One tip{% pluralize %}{{ count }} tips{% endtrans %}\n"
        '{{ pgettext("button", "Read more") }} {{ npgettext("menu", "%(num)s item", "%(num)s items", 3) }}\n'
        '{% trans "link" %}Read more{% endtrans %}\n'
        '{{ gettext("Read more") }} {{ ngettext("apple", "apples", 2) }} {{ _("100%% sure") }}\n'
        "{% trans %}\n    A long sentence\n    over two lines.\n{% endtrans %}\n"
    ),
    "base.html": '<p>{{ _("Top of the page") }}</p>\n',
    "newsletter/email.mjml": '<mj-text>{{ _("Unsubscribe") }}</mj-text>\n',
    "newsletter/email.txt": '{{ _("Unsubscribe") }}\n{{ _("View in browser") }}\n',
    "newsletter/notes.md": '{{ _("Not a template: ignored") }}\n',
}


def make_project(root: Path, templates: dict[str, str] | None = None) -> Path:
    """A minimal project: pyproject, babel.cfg and inline templates."""
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    for name, text in (TEMPLATES if templates is None else templates).items():
        path = root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def sample_article(slug: str = "relief-guide") -> Article:
    return Article(
        slug=slug,
        lang="en",
        title="Achieving Relief: 3 Tips",
        summary="How ketamine therapy can help.",
        intro=("Ketamine works differently.", "Ask your doctor first."),
        tips=(
            Tip("Find a clinic", ("Look for accredited clinics.",)),
            Tip("Prepare", ("Rest well.", "Bring a friend.")),
        ),
        faq=(FaqEntry("Is it safe?", ("Under supervision, yes.", "Side effects are short.")),),
        conclusion=("Relief is possible.",),
        related=(RelatedArticle("Understanding depression", "understanding-depression"),),
        date=dt.date(2026, 1, 1),
    )


def keyed(entries: list[polib.POEntry]) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(entry.msgctxt, entry.msgid): entry for entry in entries}


def test_ui_strings_of_every_template_kind(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    entries = keyed(extract_ui_messages(settings))
    assert entries[(None, "Hello %(name)s")].comment == "the page's main heading"
    assert entries[(None, "Hello %(name)s")].flags == ["python-format"]
    assert entries[(None, "Hello %(name)s")].occurrences == [("templates/site/page.html", "2")]
    assert entries[(None, "One tip")].msgid_plural == "%(count)s tips"
    assert entries[("button", "Read more")].occurrences == [("templates/site/page.html", "4")]
    assert entries[("menu", "%(num)s item")].msgid_plural == "%(num)s items"
    assert ("link", "Read more") in entries and (None, "Read more") in entries
    assert entries[(None, "apple")].msgid_plural == "apples"
    assert entries[(None, "A long sentence over two lines.")].occurrences  # trimmed
    assert entries[(None, "Unsubscribe")].occurrences == [
        ("templates/newsletter/email.mjml", "1"),
        ("templates/newsletter/email.txt", "1"),
    ]
    assert (None, "Not a template: ignored") not in entries
    # Ordered by first reference, so diffs follow the templates.
    order = [entry.occurrences[0] for entry in extract_ui_messages(settings)]
    assert order == sorted(order, key=lambda ref: (ref[0], int(ref[1])))


def test_pybabel_extract_with_babel_cfg_finds_the_same_messages(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    output = tmp_path / "pybabel.pot"
    subprocess.run(
        [str(PYBABEL), "extract", "-F", "babel.cfg", "-c", "Translators:", "-o", str(output), "templates"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    theirs = keyed([entry for entry in polib.pofile(str(output)) if entry.msgid])
    ours = keyed(list(extract_messages(load_settings(root))[UI_DOMAIN]))
    assert ours.keys() == theirs.keys()
    for key, entry in ours.items():
        other = theirs[key]
        assert entry.msgid_plural == other.msgid_plural, key
        assert sorted(entry.occurrences) == sorted(other.occurrences), key
        assert entry.comment == other.comment, key
        assert set(entry.flags) == set(other.flags), key


def test_no_templates_folder_means_no_ui_domain(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert extract_messages(load_settings(tmp_path)) == {}


def test_template_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"site/broken.html": "<p>ok</p>\n{% trans %}Hello{% endtrnas %}\n"})
    with pytest.raises(CatalogError) as caught:
        extract_messages(load_settings(root))
    assert caught.value.path == root / "templates" / "site" / "broken.html"
    assert caught.value.line == 2


def test_article_strings_carry_what_and_where(tmp_path: Path) -> None:
    root = make_project(tmp_path, {})
    path, _ = write_article(sample_article(), root / "content" / "articles")
    lines = path.read_text(encoding="utf-8").splitlines()
    pot = extract_messages(load_settings(root))["relief-guide"]
    entries = {entry.msgid: entry for entry in pot}

    def line_of(text: str) -> str:
        return str(next(number for number, line in enumerate(lines, start=1) if text in line))

    expected = {
        "Achieving Relief: 3 Tips": "title",
        "How ketamine therapy can help.": "summary",
        "Ask your doctor first.": "intro, paragraph 2",
        "Prepare": "tip 2 — heading",
        "Bring a friend.": "tip 2 — paragraph 2",
        "Is it safe?": "FAQ 1 — question",
        "Side effects are short.": "FAQ 1 — answer, paragraph 2",
        "Relief is possible.": "conclusion, paragraph 1",
        "Understanding depression": "related article 1 — title",
    }
    for text, comment in expected.items():
        assert entries[text].comment == comment
        assert entries[text].occurrences == [("content/articles/relief-guide.md", line_of(text))]
        assert entries[text].msgctxt is None and entries[text].flags == []
    assert len(pot) == 14
    assert [int(e.occurrences[0][1]) for e in pot] == sorted(int(e.occurrences[0][1]) for e in pot)


def test_templates_are_deterministic_and_keep_their_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path)
    write_article(sample_article(), root / "content" / "articles")
    settings = load_settings(root)
    assert write_templates(settings, extract_messages(settings)) == {"messages": True, "relief-guide": True}
    first = {domain: pot_path(settings, domain).read_bytes() for domain in ("messages", "relief-guide")}
    # Later runs: same content → same bytes (the creation date is kept), nothing written.
    import pubflow.i18n.extract as extract_module

    monkeypatch.setattr(extract_module, "_now", lambda: "2099-12-31 23:59+0000")
    assert write_templates(settings, extract_messages(settings)) == {"messages": False, "relief-guide": False}
    assert {domain: pot_path(settings, domain).read_bytes() for domain in first} == first
    # A real change gets a new date.
    (root / "templates" / "base.html").write_text('<p>{{ _("Top of every page") }}</p>\n', encoding="utf-8")
    assert write_templates(settings, extract_messages(settings)) == {"messages": True, "relief-guide": False}
    assert read_catalog(pot_path(settings, "messages")).metadata["POT-Creation-Date"] == "2099-12-31 23:59+0000"


def test_content_extractors_plug_in_more_domains(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path, {}))

    def newsletter(_settings: object) -> dict[str, list[polib.POEntry]]:
        subject = polib.POEntry(
            msgid="Three tips for relief",
            msgctxt="newsletter subject (max 80 characters)",
            comment="subject",
            occurrences=[("content/newsletters/2026-01.yaml", "2")],
        )
        return {"newsletter-2026-01": [subject]}

    templates = extract_messages(settings, extractors=[newsletter])
    assert list(templates) == ["newsletter-2026-01"]
    assert "newsletter subject (max 80 characters)" in dump_catalog(templates["newsletter-2026-01"])

    with pytest.raises(CatalogError, match="reserved"):
        extract_messages(settings, extractors=[lambda _s: {UI_DOMAIN: []}])
    with pytest.raises(CatalogError, match="two sources"):
        extract_messages(settings, extractors=[newsletter, newsletter])


def _many_articles(root: Path, count: int) -> None:
    for number in range(count):
        write_article(sample_article(f"guide-{number:02d}"), root / "content" / "articles")


def test_with_workers_the_ui_strings_are_extracted_alongside_the_same_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pubflow.i18n.extract as extract

    root = make_project(tmp_path)
    _many_articles(root, 20)
    settings = load_settings(root)
    write_templates(settings, extract_messages(settings))  # the second run finds them on disk
    pids: list[int] = []
    real = extract.extract_ui_messages
    monkeypatch.setattr(extract, "extract_ui_messages", lambda s: pids.append(os.getpid()) or real(s))
    alone = extract_messages(settings)
    together = extract_messages(settings, workers=2)
    assert pids[0] == os.getpid() and len(pids) == 1  # in the worker: not seen here
    assert {d: dump_catalog(p) for d, p in together.items()} == {d: dump_catalog(p) for d, p in alone.items()}
    assert together.on_disk == alone.on_disk == frozenset(together)
    assert len(together) == 21 and UI_DOMAIN in together


def test_with_workers_a_broken_template_is_still_the_error_reported_first(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"site/broken.html": "<p>ok</p>\n{% trans %}Hello{% endtrnas %}\n"})
    _many_articles(root, 20)
    (root / "content" / "articles" / "guide-03.md").write_bytes(b"\xff\xfe not UTF-8")
    for workers in (1, 2):
        with pytest.raises(CatalogError) as caught:
            extract_messages(load_settings(root), workers=workers)
        assert (caught.value.path, caught.value.line) == (root / "templates" / "site" / "broken.html", 2)
