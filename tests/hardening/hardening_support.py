"""Helpers of the hardening suite: a small throw-away project, a translator, output scanners.

The project is self-contained (its own article, newsletter issue and settings; templates copied
from the repository) so the hardening tests do not depend on other stages' test data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import polib

from pubflow.config import Settings, load_settings
from pubflow.i18n.pofile import edit_catalog, po_path, read_catalog
from pubflow.ingest.canonical import write_article
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "po"

ARTICLE_SLUG = "calm-harbour"
ISSUE = "2027-01"
NEWSLETTER_DOMAIN = f"newsletter-{ISSUE}"

MARKER = "PWNED"
"""Every hostile payload carries this word: it must never reach a page or an email."""

DEMO = Article(
    slug=ARTICLE_SLUG,
    lang="en",
    title="Calm Harbour: 2 Tips",
    summary="Two small habits for a calmer week.",
    date=dt.date(2027, 1, 4),
    intro=(
        "A calm week starts with a calm Monday.",
        "These two tips help you slow down.",
    ),
    tips=(
        Tip("Plan the Week on Sunday", ("Write down three priorities for the week.",)),
        Tip("Walk Every Morning", ("Ten minutes outside wake up body and mind.",)),
    ),
    faq=(FaqEntry("How long does it take?", ("Most people need two weeks.",)),),
    conclusion=("Small steps add up to a calm week.",),
    related=(RelatedArticle("Quiet Evenings", "quiet-evenings"),),
)

ISSUE_TOML = f"""\
id = "{ISSUE}"
date = 2027-01-04
article = "{ARTICLE_SLUG}"
subject = "Two habits for a calm week"
preheader = "Plan on Sunday, walk every morning."
intro = ["This month: two small habits that make a week calmer."]
"""


def pyproject_text(
    locales: Iterable[str] = ("de",), *, threshold: float = 0.0, extra: str = ""
) -> str:
    codes = ", ".join(f'"{code}"' for code in locales)
    return (
        "[project]\nname = \"hardening-demo\"\nversion = \"0\"\n\n"
        "[tool.pubflow]\n"
        'source_locale = "en"\n'
        f"locales = [{codes}]\n"
        f"coverage_threshold = {threshold}\n"
        'site_url = "https://hardening.example.org"\n'
        "mt_retries = 1\nmt_backoff = 0.01\nmt_timeout = 2.0\nmt_requests_per_second = 1000.0\n"
        f"{extra}"
    )


def make_project(
    root: Path,
    *,
    locales: Iterable[str] = ("de",),
    threshold: float = 0.0,
    articles: Iterable[Article] = (DEMO,),
    issue: bool = True,
    extra: str = "",
) -> Settings:
    """A project at ``root``: settings, templates, articles and (optionally) a newsletter issue."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        pyproject_text(locales, threshold=threshold, extra=extra), encoding="utf-8"
    )
    shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
    for article in articles:
        write_article(article, root / "content" / "articles")
    if issue:
        newsletters = root / "content" / "newsletters"
        newsletters.mkdir(parents=True, exist_ok=True)
        (newsletters / f"{ISSUE}.toml").write_text(ISSUE_TOML, encoding="utf-8")
    return load_settings(root)


def translation_of(text: str, locale: str) -> str:
    """A valid translation of ``text``: a prefix keeps placeholders, markup, URLs and edges."""
    if not text.strip():
        return text
    lead = text[: len(text) - len(text.lstrip())]
    return f"{lead}{locale.upper()}·{text[len(lead):]}"


def translate_entry(entry: polib.POEntry, locale: str, nplurals: int) -> None:
    """Fill ``entry`` as a translator who reviewed it would (not fuzzy)."""
    if entry.msgid_plural:
        entry.msgstr_plural = {
            index: translation_of(entry.msgid if index == 0 else entry.msgid_plural, locale)
            for index in range(nplurals)
        }
    else:
        entry.msgstr = translation_of(entry.msgid, locale)
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    entry.previous_msgid = entry.previous_msgctxt = entry.previous_msgid_plural = None


def translate_all(settings: Settings, locale: str, domains: Iterable[str] | None = None) -> None:
    """Review-translate every live entry of ``locale``'s catalogs (all domains by default)."""
    from pubflow.i18n.pofile import list_domains
    from pubflow.locales import plural_count

    for domain in domains if domains is not None else list_domains(settings):
        path = po_path(settings, locale, domain)
        with edit_catalog(path) as po:
            for entry in po:
                if not entry.obsolete:
                    translate_entry(entry, locale, plural_count(locale))


def output_files(root: Path) -> list[Path]:
    """Every regular file under ``root`` (hidden ones included)."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_inert_html(html: str, where: object) -> None:
    """No live script, event handler or script URL in an HTML document."""
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//script[not(@type='application/ld+json')]") == [], where
    assert tree.xpath("//iframe | //object | //embed | //svg | //math") == [], where
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (where, name)
            assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), (where, value)
            if name.lower() == "style":
                assert "url(" not in value.lower() and "expression" not in value.lower(), (where, value)
    for script in tree.xpath("//script[@type='application/ld+json']"):
        assert "<" not in (script.text or ""), where
        json.loads(script.text or "null")


# Subprocess helpers ------------------------------------------------------------------------------


def python_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment for a child Python process working on the project at ``root``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PUBFLOW_")}
    env.update({"PUBFLOW_ROOT": str(root), "PYTHONDONTWRITEBYTECODE": "1", **extra})
    return env


def spawn_python(code: str, root: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """Start ``python -c code args…`` in ``root`` (stdout/stderr captured)."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=root,
        env=python_env(root, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def all_translation_texts(path: Path) -> set[str]:
    """Every non-empty msgstr (any form) in a catalog, live or obsolete."""
    texts: set[str] = set()
    for entry in read_catalog(path):
        if entry.msgid_plural:
            texts.update(text for text in entry.msgstr_plural.values() if text)
        elif entry.msgstr:
            texts.add(entry.msgstr)
    return texts


@dataclass
class Timer:
    """Latency samples in seconds; percentiles for reports (never asserted on)."""

    samples: list[float]

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
        return ordered[index]

