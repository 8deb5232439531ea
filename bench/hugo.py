"""Figure 1's second baseline: Hugo building the same translated articles as a multilingual site.

Setup (not timed) writes a Hugo project: one page bundle per article with an ``index.<lang>.md``
per language holding the same text our pages show (the corpus's translations come from
:func:`bench.corpus.fake_translation`, exactly what the ``.po`` files hold), and a small layout
like ours (language switcher from ``.Translations``, hreflang alternates, description, related
links). The timed part is ``hugo --quiet`` (Markdown → HTML for every page and language, plus
Hugo's own list pages, sitemaps and RSS). Hugo renders on every core, and so does our build
(one worker process per core, the ``workers`` setting's default).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import fake_translation
from pubflow.config import Settings
from pubflow.ingest.canonical import load_articles
from pubflow.locales import html_lang, text_direction
from pubflow.model import Article

HUGO = shutil.which("hugo") or "/usr/bin/hugo"

_BASEOF = """<!DOCTYPE html>
<html lang="{{ .Language.Lang }}" dir="{{ .Language.LanguageDirection | default "ltr" }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} – {{ site.Title }}</title>
<meta name="description" content="{{ .Description }}">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">
{{ end }}</head>
<body>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><ul>{{ range .AllTranslations }}<li><a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.LanguageName }}</a></li>{{ end }}</ul></nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""
_SINGLE = """{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
{{ .Content }}
</article>{{ end }}
"""
_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
"""


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _markdown(article: Article, show: Callable[[str], str], lang: str, slugs: set[str]) -> str:
    blocks = [show(p) for p in article.intro]
    blocks.append("## Tips")
    for tip in article.tips:
        blocks.append(f"### {show(tip.heading)}")
        blocks.extend(show(p) for p in tip.paragraphs)
    if article.faq:
        blocks.append("## FAQ")
        for entry in article.faq:
            blocks.append(f"### {show(entry.question)}")
            blocks.extend(show(p) for p in entry.answer)
    if article.conclusion:
        blocks.append("## Conclusion")
        blocks.extend(show(p) for p in article.conclusion)
    related = [
        f"- [{show(item.title)}](/{lang}/{item.slug}/)" if item.slug in slugs else f"- {show(item.title)}"
        for item in article.related
    ]
    if related:
        blocks.append("## Related articles\n\n" + "\n".join(related))
    # Markdown would read a leading "#" or "1." of a paragraph as syntax; the texts have none.
    return "\n\n".join(blocks) + "\n"


def write_site(settings: Settings, folder: Path) -> int:
    """Write the Hugo project into ``folder``; returns how many article pages it has."""
    shutil.rmtree(folder, ignore_errors=True)
    locales = settings.all_locales
    langs = {code: html_lang(code).lower() for code in locales}
    config = [
        f'baseURL = "{settings.site_url.rstrip("/")}/"',
        f'title = "{settings.site_name}"',
        f'defaultContentLanguage = "{langs[settings.source_locale]}"',
        "defaultContentLanguageInSubdir = true",
        'disableKinds = ["taxonomy", "term"]',
        "[languages]",
    ]
    for weight, code in enumerate(locales, start=1):
        config += [
            f'[languages."{langs[code]}"]',
            f"weight = {weight}",
            f'languageName = "{code}"',
            f'languageDirection = "{text_direction(code)}"',
        ]
    (folder / "layouts" / "_default").mkdir(parents=True)
    (folder / "hugo.toml").write_text("\n".join(config) + "\n", encoding="utf-8")
    (folder / "layouts" / "_default" / "baseof.html").write_text(_BASEOF, encoding="utf-8")
    (folder / "layouts" / "_default" / "single.html").write_text(_SINGLE, encoding="utf-8")
    (folder / "layouts" / "_default" / "list.html").write_text(_LIST, encoding="utf-8")
    articles = [c.article for c in load_articles(settings.articles_path)]
    slugs = {a.slug for a in articles}
    pages = 0
    for article in articles:
        bundle = folder / "content" / article.slug
        bundle.mkdir(parents=True)
        for code in locales:
            if code == settings.source_locale:
                def show(text: str) -> str:
                    return text
            else:
                def show(text: str, code: str = code) -> str:
                    return fake_translation(text, code)
            front = (
                f"---\ntitle: {_yaml_text(show(article.title))}\n"
                f"description: {_yaml_text(show(article.summary))}\n"
                f"date: {(article.date.isoformat() if article.date else '2026-11-25')}\n"
                f"slug: {article.slug}\n---\n\n"
            )
            body = _markdown(article, show, langs[code], slugs)
            (bundle / f"index.{langs[code]}.md").write_text(front + body, encoding="utf-8")
            pages += 1
    return pages


def build(folder: Path) -> float:
    """Seconds of one ``hugo`` build of the project in ``folder`` (fresh output each time)."""
    out = folder / "public"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [HUGO, "--quiet", "--source", str(folder), "--destination", str(out)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def count_pages(folder: Path) -> int:
    """Article pages Hugo wrote (``public/<lang>/<slug>/index.html``)."""
    return sum(1 for path in (folder / "public").glob("*/*/index.html"))
