"""Extraction: the translatable strings of templates and content, as one template per domain.

Domains (see docs/architecture.md): ``messages`` holds the UI strings of every template
(Babel's Jinja2 extractor, configured by ``babel.cfg`` at the project root, so that
``pybabel extract -F babel.cfg -c Translators: templates`` finds the same messages); each
canonical article is a domain named by its slug. More content kinds (newsletter issues,
``newsletter-<id>``) plug in as *content extractors*: functions ``settings → {domain: entries}``
registered with :func:`register_content_extractor` or passed to :func:`extract_messages`.

Output is deterministic: entries ordered by first reference, a fixed header, and the previous
``POT-Creation-Date`` kept when nothing but the date would change.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polib

from pubflow.errors import CatalogError, IngestError
from pubflow.i18n.placeholders import literal_text_flags
from pubflow.i18n.pofile import PAGE_WIDTH, parse_catalog, pot_path
from pubflow.parallel import side_job, worker_count

if TYPE_CHECKING:
    from pubflow.config import Settings
    from pubflow.ingest.canonical import CanonicalArticle

UI_DOMAIN = "messages"
"""The domain of every template's UI strings."""

COMMENT_TAGS = ("Translators:",)
"""Template comments starting with these become extracted comments (``{# Translators: … #}``)."""

JINJA_I18N_TRIMMED = True
"""Extraction uses jinja2's ``ext.i18n.trimmed`` policy; the renderer must use the same."""

# Used when the project has no babel.cfg; must stay equal to the shipped babel.cfg.
_DEFAULT_OPTIONS = {
    "encoding": "utf-8",
    "extensions": "jinja2.ext.i18n,jinja2.ext.do,jinja2.ext.loopcontrols",
    "trimmed": "true",
    "silent": "false",
}
DEFAULT_METHOD_MAP = [("**.html", "jinja2"), ("**.mjml", "jinja2"), ("**.txt", "jinja2")]

ContentExtractor = Callable[["Settings"], Mapping[str, list[polib.POEntry]]]
"""Gives, per domain, the entries of some content (with comments and references)."""

_CONTENT_EXTRACTORS: list[ContentExtractor] = []


def register_content_extractor(extractor: ContentExtractor) -> ContentExtractor:
    """Add a content extractor used by :func:`extract_messages` (usable as a decorator)."""
    if extractor not in _CONTENT_EXTRACTORS:
        _CONTENT_EXTRACTORS.append(extractor)
    return extractor


def content_extractors() -> list[ContentExtractor]:
    """The registered content extractors: articles first, then newsletter issues."""
    return list(_CONTENT_EXTRACTORS)


# Helpers -----------------------------------------------------------------------------------


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the project root, with forward slashes (stable across machines)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _reference_key(entry: polib.POEntry) -> tuple[str, int, str, str]:
    if not entry.occurrences:
        return ("", 0, entry.msgctxt or "", entry.msgid)
    file_name, line = entry.occurrences[0]
    return (file_name, int(line) if str(line).isdigit() else 0, entry.msgctxt or "", entry.msgid)


def _add(entries: dict[tuple[str | None, str], polib.POEntry], entry: polib.POEntry) -> None:
    """Add ``entry``; the same msgctxt+msgid again only adds its references and comments."""
    key = (entry.msgctxt, entry.msgid)
    existing = entries.get(key)
    if existing is None:
        entries[key] = entry
        return
    for occurrence in entry.occurrences:
        if occurrence not in existing.occurrences:
            existing.occurrences.append(occurrence)
    for line in entry.comment.split("\n") if entry.comment else []:
        if line not in existing.comment.split("\n"):
            existing.comment = f"{existing.comment}\n{line}" if existing.comment else line
    for flag in entry.flags:
        if flag not in existing.flags:
            existing.flags.append(flag)


def _ordered(entries: Iterable[polib.POEntry]) -> list[polib.POEntry]:
    return sorted(entries, key=_reference_key)


# UI strings (templates) --------------------------------------------------------------------


def _mapping(settings: Settings) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """Method map and options from the project's babel.cfg (or the built-in defaults)."""
    config = settings.root / "babel.cfg"
    if config.is_file():
        from babel.messages.frontend import parse_mapping_cfg

        try:
            with config.open(encoding="utf-8") as handle:
                method_map, options_map = parse_mapping_cfg(handle, str(config))
        except Exception as exc:  # configparser raises many kinds
            raise CatalogError(
                f"cannot read babel.cfg: {exc}", path=config, hint="fix the [method: pattern] sections"
            ) from None
        return list(method_map), dict(options_map)
    return list(DEFAULT_METHOD_MAP), {pattern: dict(_DEFAULT_OPTIONS) for pattern, _ in DEFAULT_METHOD_MAP}


def extract_ui_messages(settings: Settings) -> list[polib.POEntry]:
    """The UI strings of ``templates/`` (empty when the folder is missing or has no strings)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from jinja2 import TemplateSyntaxError

    folder = settings.templates_path
    if not folder.is_dir():
        return []
    method_map, options_map = _mapping(settings)
    prefix = _relative(folder, settings.root)
    current: dict[str, str] = {}

    def remember(filename: str, method: str, options: dict[str, Any]) -> None:
        current["file"] = filename

    catalog = Catalog(fuzzy=False)
    try:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder),
            method_map,
            options_map,
            comment_tags=COMMENT_TAGS,
            callback=remember,
        ):
            reference = os.path.normpath(os.path.join(prefix, filename)).replace(os.sep, "/")
            catalog.add(message, None, [(reference, lineno)], auto_comments=comments, context=context)
    except TemplateSyntaxError as exc:
        name = current.get("file")
        raise CatalogError(
            f"template syntax error: {exc.message}",
            path=folder / name if name else folder,
            line=exc.lineno,
            hint="fix the template; its strings cannot be extracted until it parses",
        ) from None
    except UnicodeDecodeError:
        name = current.get("file")
        raise CatalogError(
            "template is not UTF-8 text", path=folder / name if name else folder, hint="save it as UTF-8"
        ) from None

    entries: dict[tuple[str | None, str], polib.POEntry] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        if isinstance(message.id, tuple | list):
            msgid, msgid_plural = message.id[0], message.id[1]
        else:
            msgid, msgid_plural = message.id, ""
        entry = polib.POEntry(
            msgid=msgid,
            msgid_plural=msgid_plural,
            msgstr="",
            msgstr_plural={0: "", 1: ""} if msgid_plural else {},
            msgctxt=message.context,
            comment="\n".join(message.auto_comments),
            occurrences=[(path, str(line)) for path, line in message.locations],
            flags=sorted(message.flags - {"fuzzy"}),
        )
        _add(entries, entry)
    return _ordered(entries.values())


# Content strings (articles) ----------------------------------------------------------------


def _article_fields(article: CanonicalArticle) -> Iterable[tuple[str, str, str]]:
    """(field key, text, extracted comment) of every translatable string of an article."""
    model = article.article
    yield "title", model.title, "title"
    yield "summary", model.summary, "summary"
    for n, paragraph in enumerate(model.intro, start=1):
        yield f"intro.{n}", paragraph, f"intro, paragraph {n}"
    for n, tip in enumerate(model.tips, start=1):
        yield f"tip.{n}.heading", tip.heading, f"tip {n} — heading"
        for m, paragraph in enumerate(tip.paragraphs, start=1):
            yield f"tip.{n}.paragraph.{m}", paragraph, f"tip {n} — paragraph {m}"
    for n, item in enumerate(model.faq, start=1):
        yield f"faq.{n}.question", item.question, f"FAQ {n} — question"
        for m, paragraph in enumerate(item.answer, start=1):
            yield f"faq.{n}.answer.{m}", paragraph, f"FAQ {n} — answer, paragraph {m}"
    for n, paragraph in enumerate(model.conclusion, start=1):
        yield f"conclusion.{n}", paragraph, f"conclusion, paragraph {n}"
    for n, related in enumerate(model.related, start=1):
        yield f"related.{n}.title", related.title, f"related article {n} — title"


def article_entries(article: CanonicalArticle, root: Path) -> list[polib.POEntry]:
    """One entry per translatable string of an article, with what-it-is comment and file:line."""
    reference = _relative(article.path, root)
    entries: dict[tuple[str | None, str], polib.POEntry] = {}
    fields = sorted(_article_fields(article), key=lambda field: article.lines.get(field[0], 0))
    for key, text, comment in fields:  # by line, so an entry's first reference is its first use
        line = article.lines.get(key)
        entry = polib.POEntry(
            msgid=text,
            msgstr="",
            comment=comment,
            occurrences=[(reference, str(line) if line else "")],
            flags=literal_text_flags(text),  # an article's text is shown as written
        )
        _add(entries, entry)
    return _ordered(entries.values())


@register_content_extractor
def extract_article_messages(settings: Settings) -> dict[str, list[polib.POEntry]]:
    """Every canonical article under ``content/articles``, one domain per slug."""
    from pubflow.ingest.canonical import check_languages, load_articles

    folder = settings.articles_path
    if not folder.is_dir():
        return {}
    try:
        articles = load_articles(folder)
        check_languages(articles, settings.source_locale)
    except IngestError as exc:
        raise CatalogError(exc.message, path=exc.path, line=exc.line, hint=exc.hint) from None
    return {item.article.slug: article_entries(item, settings.root) for item in articles}


@register_content_extractor
def extract_newsletter_messages(settings: Settings) -> dict[str, list[polib.POEntry]]:
    """Every issue under ``content/newsletters``, one domain ``newsletter-<id>`` each."""
    from pubflow.newsletter.extract import newsletter_messages

    return newsletter_messages(settings)


# Templates ---------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M+0000")


def new_template(domain: str, entries: Iterable[polib.POEntry], creation_date: str) -> polib.POFile:
    """A ``.pot`` with pubflow's fixed header and ``entries`` in the given order."""
    pot = polib.POFile(wrapwidth=PAGE_WIDTH, encoding="utf-8")
    pot.header = (
        f"Translation template of the pubflow domain {domain!r}.\n"
        "Generated by `pubflow catalogs update`: edit the sources, not this file."
    )
    pot.metadata = {
        "Project-Id-Version": "pubflow",
        "POT-Creation-Date": creation_date,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    for entry in entries:
        pot.append(entry)
    return pot


def _stable_template(
    settings: Settings, domain: str, entries: list[polib.POEntry]
) -> tuple[polib.POFile, bool]:
    """The template, dated like the file on disk when only the date would differ; and
    whether the file on disk already holds exactly it (then it need not be written)."""
    from pubflow.i18n.pofile import same_catalog

    path = pot_path(settings, domain)
    try:
        raw = path.read_bytes()
        old = parse_catalog(raw, path)
    except (FileNotFoundError, CatalogError):
        raw, old = None, None
    old_date = old.metadata.get("POT-Creation-Date") if old is not None else None
    if raw is not None and old is not None and old_date:
        candidate = new_template(domain, entries, old_date)
        if same_catalog(candidate, old):
            # Compared as catalogs, not as text: no serialising of 100+ templates per sync
            # (and, as for catalogs, a file whose content is current is left as it is).
            return candidate, True
    return new_template(domain, entries, _now()), False


class UnreadableSources(CatalogError):
    """A content extractor's sources that could not be read, and what it read of the others.

    Raised instead of returning: ``found`` holds the domains of the readable sources, ``kept``
    the domains of the unreadable ones (their templates and catalogs are left as they are,
    never treated as gone), ``errors`` one error per unreadable source (file:line)."""

    def __init__(
        self,
        errors: list[CatalogError],
        found: dict[str, list[polib.POEntry]],
        kept: set[str],
    ) -> None:
        super().__init__(errors[0].message, path=errors[0].path, line=errors[0].line, hint=errors[0].hint)
        self.errors = errors
        self.found = found
        self.kept = kept


class Templates(dict[str, polib.POFile]):
    """Domain → template, and which ``.pot`` files on disk already hold exactly that template.

    ``unreadable``: sources that could not be read (a newsletter issue with a typo), each an
    error to report; ``kept``: their domains, whose templates and catalogs stay as they are."""

    def __init__(
        self,
        templates: dict[str, polib.POFile],
        on_disk: set[str],
        unreadable: list[CatalogError] | None = None,
        kept: set[str] | None = None,
    ) -> None:
        super().__init__(templates)
        self.on_disk = frozenset(on_disk)
        self.unreadable = list(unreadable or [])
        self.kept = frozenset(kept or ())


def extract_messages(
    settings: Settings,
    extractors: Iterable[ContentExtractor] | None = None,
    *,
    workers: int = 1,
) -> Templates:
    """Domain → template for the UI (``messages``) and every piece of content.

    ``extractors`` defaults to the registered content extractors. A domain produced twice
    (an article slug named ``messages``, say) is a CatalogError. With ``workers`` > 1 (the
    ``workers`` setting) and a sizeable content folder, the templates' UI strings are
    extracted in a worker process while this one extracts the content: each is about half of
    a 100-article project's extraction, which every other core otherwise waits for.
    """
    background = worker_count(workers, 2) > 1 and _sizeable(settings)
    with side_job(_ui_template, settings, background=background) as ui_template:
        try:
            content, unreadable = _content_templates(settings, extractors)
        except CatalogError:
            ui_template()  # a template's problem is reported first, as extraction goes
            raise
        ui = ui_template()
    stable = ({UI_DOMAIN: ui} if ui is not None else {}) | content
    return Templates(
        {domain: pot for domain, (pot, _) in sorted(stable.items())},
        {domain for domain, (_, on_disk) in stable.items() if on_disk},
        [error for problem in unreadable for error in problem.errors],
        {domain for problem in unreadable for domain in problem.kept},
    )


_ARTICLES_FOR_A_WORKER = 16
"""Fewer articles than this are extracted alongside the UI strings in one process: forking a
worker costs more than it saves."""


def _sizeable(settings: Settings) -> bool:
    found = islice(settings.articles_path.glob("*.md"), _ARTICLES_FOR_A_WORKER)
    return len(list(found)) == _ARTICLES_FOR_A_WORKER


def _ui_template(settings: Settings) -> tuple[polib.POFile, bool] | None:
    """The UI domain's template (see :func:`_stable_template`); None without UI strings."""
    ui = extract_ui_messages(settings)
    return _stable_template(settings, UI_DOMAIN, ui) if ui else None


def _content_templates(
    settings: Settings, extractors: Iterable[ContentExtractor] | None
) -> tuple[dict[str, tuple[polib.POFile, bool]], list[UnreadableSources]]:
    """Every content domain's template (see :func:`_stable_template`), and the sources that
    could not be read (their extractors' :class:`UnreadableSources`)."""
    domains: dict[str, list[polib.POEntry]] = {}
    unreadable: list[UnreadableSources] = []
    for extractor in content_extractors() if extractors is None else extractors:
        try:
            extracted = extractor(settings)
        except UnreadableSources as problem:
            unreadable.append(problem)
            extracted = problem.found
        for domain, entries in extracted.items():
            if domain == UI_DOMAIN:
                raise CatalogError(
                    f"content may not use the reserved domain {UI_DOMAIN!r}",
                    path=settings.articles_path / f"{domain}.md",
                    hint="rename the article (its slug is its translation domain)",
                )
            if domain in domains:
                raise CatalogError(
                    f"two sources produce the translation domain {domain!r}",
                    path=settings.locales_path,
                    hint="give the article or newsletter issue a unique slug",
                )
            domains[domain] = list(entries)
    templates = {
        domain: _stable_template(settings, domain, entries) for domain, entries in sorted(domains.items())
    }
    return templates, unreadable


def write_templates(settings: Settings, templates: Mapping[str, polib.POFile]) -> dict[str, bool]:
    """Write ``locales/<domain>.pot`` for each template; domain → whether the file changed.

    Templates that :func:`extract_messages` found already on disk (``Templates.on_disk``)
    are not serialised again.
    """
    from pubflow.i18n.pofile import write_catalog

    on_disk = templates.on_disk if isinstance(templates, Templates) else frozenset()
    return {
        domain: domain not in on_disk and write_catalog(pot, pot_path(settings, domain))
        for domain, pot in templates.items()
    }


__all__ = [
    "COMMENT_TAGS",
    "ContentExtractor",
    "DEFAULT_METHOD_MAP",
    "JINJA_I18N_TRIMMED",
    "Templates",
    "UI_DOMAIN",
    "article_entries",
    "content_extractors",
    "extract_article_messages",
    "extract_messages",
    "extract_newsletter_messages",
    "extract_ui_messages",
    "new_template",
    "register_content_extractor",
    "write_templates",
]
