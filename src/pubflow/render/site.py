"""Render the static site: article pages, locale indexes, the language chooser, sitemap, feeds.

``render_site`` works in three steps so a failure never leaves a half-written site:

1. compile what is out of date, read the articles, decide what is published
   (:func:`~pubflow.render.publishing.plan_publication`);
2. render every output in memory (a template or data error stops here, before any write);
3. write each file atomically — only when its bytes changed, so a rebuild with nothing changed
   rewrites nothing and a catalog change rewrites only the pages it affects — and remove pages
   this tool wrote before that are no longer published (listed in ``.pubflow-manifest.json``).

Incremental rebuilds: ``build/incremental/site.json`` records, per locale, a fingerprint of
everything its files depend on and the SHA-256 of each file written (see
:mod:`pubflow.fingerprint`). A locale is rendered again unless all of these are
unchanged: pubflow's code and the rendering libraries' versions, the settings, every file under
``templates/``, every canonical article (content; and the mtime of an undated one, which dates
it), the publication plan (which pages exist in which locale under which policy — every page's
language switcher and hreflang links list the others, so any change rebuilds every locale),
that locale's compiled catalogs (``build/locales/<lang>/``), and its files in the output
folder. The chooser and the sitemap form one more group (plan, articles, templates, settings,
the source locale's catalogs). Compiling only touches what changed
(:func:`~pubflow.render.catalog_inputs.compile_if_changed`; its error diagnostics are
replayed) and each locale's row of the plan is reused while its catalogs are unchanged.
Up-to-date locales are listed in ``report.up_to_date``; their pages are reported as unchanged
with the notices and problems recorded when they were rendered.

Layout of ``dist/site/``: ``index.html`` (language chooser), ``sitemap.xml``,
``<locale>/index.html``, ``<locale>/feed.xml``, ``<locale>/<slug>/index.html``; ``<locale>`` is the
gettext code (``pt_BR``), as everywhere else in pubflow.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from babel.core import get_global

from pubflow.collector import with_fewer_collections
from pubflow.config import Settings
from pubflow.errors import RenderError
from pubflow.fingerprint import (
    FileHashes,
    digest,
    finish_output_records,
    now_ns,
    output_intact,
    output_record,
    output_record_of,
    read_state,
    settings_fingerprint,
    state_path,
    write_state,
)
from pubflow.fsutil import atomic_write_bytes, readable_json, sweep_stale_temp_files
from pubflow.i18n.diagnostics import Diagnostic
from pubflow.ingest.canonical import (
    ARTICLE_CACHE_NAME,
    CanonicalArticle,
    check_languages,
    load_articles,
)
from pubflow.model import is_image_url
from pubflow.locales import (
    LOCALE_FACTS_NAME,
    PSEUDO_LOCALE,
    display_name,
    html_lang,
    load_locale_facts,
    preload_locale_data,
    save_locale_facts,
    text_direction,
)
from pubflow.parallel import run_jobs, worker_count
from pubflow.render.shown import UI_DOMAIN, Notice, RenderProblem, TranslationRecord
from pubflow.render.ui_lookups import Key, recorded_keys, ui_catalog, ui_record, ui_unchanged
from pubflow.staging import StagedFile, StagedWrites
from pubflow.writemarks import WRITERS_DIR, mark_name, marked_writes

if TYPE_CHECKING:
    from pubflow.render.environment import LocaleEnvironment
from pubflow.render.catalog_inputs import compile_if_changed
from pubflow.render.publishing import (
    FEED_NAME,
    SITEMAP_NAME,
    PublishPlan,
    absolute_url,
    page_dir,
    plan_publication_cached,
    relative_href,
    requested_locales,
)

ProgressCallback = Callable[[int, int, str], None]
"""``progress(done, total, what)``: called after each output is rendered (``what``: its path)."""

MANIFEST_NAME = ".pubflow-manifest.json"

ARTICLE_CACHE = ARTICLE_CACHE_NAME
"""Under ``build/cache/``: the parsed articles, for the next build (see ``load_articles``)."""

ARTICLE_TEMPLATE = "site/article.html"
INDEX_TEMPLATE = "site/index.html"
CHOOSER_TEMPLATE = "site/chooser.html"



@dataclass(frozen=True)
class PageResult:
    """One output file of the site."""

    site_path: str  # relative to the site folder, e.g. "de/my-article/index.html"
    path: Path
    kind: str  # "article", "index", "chooser", "feed" or "sitemap"
    locale: str | None
    slug: str | None
    notices: frozenset[Notice]
    written: bool


@dataclass(frozen=True)
class PageProblem:
    """A translation the renderer refused to show as is, and the page it was on."""

    site_path: str
    problem: RenderProblem

    def describe(self) -> str:
        return f"{self.site_path}: {self.problem.describe()}"


@dataclass
class SiteReport:
    """What a build produced: pages, what was written, removed, skipped and refused."""

    out_dir: Path
    plan: PublishPlan
    built_locales: tuple[str, ...]
    pages: list[PageResult] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    problems: list[PageProblem] = field(default_factory=list)
    # Error-level findings of the catalog compile (file:line): entries left out, unreadable .po.
    catalog_errors: list[Diagnostic] = field(default_factory=list)
    # Locales (and "*" for the chooser and sitemap) not rendered: inputs and files unchanged.
    up_to_date: list[str] = field(default_factory=list)
    # Outputs rendered by this build; the others were replayed as up to date (a language whose
    # article catalog changed renders that page, its index and feed, and replays the rest).
    rendered: int = 0

    @property
    def written(self) -> list[Path]:
        return [page.path for page in self.pages if page.written]

    @property
    def unchanged(self) -> list[Path]:
        return [page.path for page in self.pages if not page.written]

    @property
    def published(self) -> dict[str, tuple[str, ...]]:
        """Advertised locale → slugs published in it (what readers and crawlers can find)."""
        return {
            loc: tuple(s for s in self.plan.slugs if self.plan.is_published(loc, s))
            for loc in self.plan.locale_alternates()
        }

    def page(self, site_path: str) -> PageResult:
        """The result for one output (``"de/my-article/index.html"``)."""
        for page in self.pages:
            if page.site_path == site_path:
                return page
        raise KeyError(site_path)

    def summary(self) -> str:
        """One line for humans and Prefect artifacts."""
        articles = sum(1 for page in self.pages if page.kind == "article")
        rendered = [loc for loc in self.built_locales if loc not in self.up_to_date]
        return (
            f"{articles} article pages in {len(self.built_locales)} locales "
            f"({len(rendered)} rendered, {len(self.built_locales) - len(rendered)} up to date): "
            f"{len(self.written)} files written, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed"
        )


@dataclass(frozen=True)
class SiteOutput:
    """One rendered output, in memory (written by :func:`render_site`)."""

    site_path: str
    kind: str
    locale: str | None
    slug: str | None
    text: str
    notices: frozenset[Notice] = frozenset()
    problems: tuple[RenderProblem, ...] = ()
    domains: frozenset[str] = frozenset()  # content catalogs it showed messages of (not the UI's)


@with_fewer_collections
def render_site(
    settings: Settings,
    locales: Sequence[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    out_dir: Path | None = None,
    force: bool = False,
) -> SiteReport:
    """Build ``dist/site/`` (or ``out_dir``) for ``locales`` (default: every configured one).

    Pages of locales that are not published (coverage below the threshold) are not built, and
    pages a previous build wrote for them are removed. A locale whose inputs did not change
    since the last build, and whose files are still as that build wrote them, is not rendered
    again (``report.up_to_date``; see "Incremental rebuilds" in the module doc); ``force``
    renders everything.
    """
    # The write mark on the site's folder, once taken, is held until the build returns.
    with ExitStack() as marks:
        return _render_site(settings, locales, progress, out_dir, force, marks)


def _render_site(
    settings: Settings,
    locales: Sequence[str] | None,
    progress: ProgressCallback | None,
    out_dir: Path | None,
    force: bool,
    marks: ExitStack,
) -> SiteReport:
    requested = requested_locales(settings, locales)
    site_dir = out_dir or settings.dist_path / "site"
    state_file = _state_file(settings, site_dir)
    previous = {} if force else read_state(state_file, "site")
    hashes = FileHashes(settings.root, previous.get("hashes"))
    swept = False

    def sweep() -> None:
        # Before the first write: take the site folder's write mark, and remove leftovers of
        # crashed writes. The page folders (a listing each) only when a writer of them died.
        nonlocal swept
        if not swept:
            site_marks = marks.enter_context(
                marked_writes(state_path(settings, WRITERS_DIR), mark_name("site", site_dir))
            )
            site_marks.sweep(site_dir)
            sweep_stale_temp_files(settings.compiled_locales_path, settings.cache_path)
            swept = True

    settings_key = settings_fingerprint(settings)
    catalogs = compile_if_changed(
        settings, hashes, previous.get("compile"), before_compile=sweep, settings_key=settings_key
    )
    catalog_errors = catalogs.errors

    undated = {str(name) for name in previous.get("undated", [])}
    article_files = _article_files(settings, hashes, undated)
    if not article_files:
        raise RenderError(
            "no articles to render",
            path=settings.articles_path,
            hint="run `pubflow ingest content/sources/*` first",
        )
    templates = hashes.tree(settings.templates_path)
    compiled_keys = catalogs.locale_keys()
    # A locale's pages depend on its UI catalog only through the messages they look up (each
    # group records them, see _ui_intact), and each page on the content catalogs it showed
    # messages of (see _stale_outputs): compiled fingerprints by locale and domain.
    ui_compiled = {loc: catalogs.compiled.get(f"{loc}/{UI_DOMAIN}") for loc in settings.all_locales}
    content_now: dict[str, dict[str, str]] = {loc: {} for loc in settings.all_locales}
    for key, value in catalogs.compiled.items():
        loc, _, domain = key.partition("/")
        if domain != UI_DOMAIN and loc in content_now:
            content_now[loc][domain] = value
    articles: list[CanonicalArticle] = []

    # The slugs come from the articles' front matter: known without reading them when no
    # article changed. Each locale's row of the plan is reused while its catalogs are the same.
    slugs_key = digest({name: sha for name, (sha, _) in article_files.items()})
    recorded_slugs = previous.get("slugs")
    if isinstance(recorded_slugs, dict) and recorded_slugs.get("key") == slugs_key:
        slugs = [str(slug) for slug in recorded_slugs.get("slugs", [])]
    else:
        articles = _load_articles(settings)
        slugs = [c.article.slug for c in articles]
    row_keys = {loc: digest(settings_key, slugs, compiled_keys.get(loc)) for loc in settings.all_locales}
    plan, plan_rows = plan_publication_cached(settings, slugs, row_keys, previous.get("plan"))

    def fingerprints() -> dict[str, str]:
        common = digest(settings_key, templates, article_files, plan.publication_key())
        keys = {loc: digest("locale", loc, common) for loc in requested}
        # The language chooser and the sitemap read no catalog (the chooser is in the source
        # language), but a change of the source locale's would still count.
        keys[SITE_WIDE] = digest("site-wide", common, compiled_keys.get(settings.source_locale))
        return keys

    wanted = fingerprints()
    recorded = previous.get("groups")
    groups: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    # The UI records of groups found up to date after their UI catalog changed (see _ui_intact).
    ui_kept: dict[str, dict[str, Any]] = {}
    # Languages otherwise up to date whose outputs that showed a changed content catalog (one
    # article's: its page, the index and the feed) render again: their site paths.
    partial: dict[str, set[str]] = {}

    def intact(key: str, value: str) -> bool:
        if not _group_intact(site_dir, groups.get(key), value):
            return False
        if key == SITE_WIDE:
            return True
        kept = _ui_intact(settings, plan, key, groups[key], ui_compiled[key])
        stale_paths = _stale_outputs(groups[key], content_now[key])
        if kept is None or stale_paths is None:
            return False
        ui_kept[key] = kept
        if stale_paths:
            partial[key] = stale_paths
        return not stale_paths

    up_to_date = {key for key, value in wanted.items() if intact(key, value)}
    stale = [key for key in wanted if key not in up_to_date]
    if stale:
        sweep()
        if not articles:
            articles = _load_articles(settings)
        now_undated = _undated(settings, articles)
        if now_undated != undated:
            # Only happens with changed articles (every group renders anyway): record the keys
            # the next build will compute.
            undated = now_undated
            article_files = _article_files(settings, hashes, undated)
            wanted = fingerprints()
    by_slug = {c.article.slug: c for c in articles}

    planned = _count_outputs(plan, requested)
    done = 0

    def step(what: str, count: int = 1) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, planned, what)

    pending: list[SiteOutput | StagedOutput | PageResult] = []
    problems: dict[str, list[RenderProblem]] = {}
    # Locales render side by side (``workers``); their outputs are written here, in order,
    # and progress is reported per output in that order as the locales finish.
    to_render = [locale for locale in requested if locale not in up_to_date and locale not in partial]
    rendering = [*to_render, *partial]  # every locale with something to render
    finished: dict[int, list[StagedOutput]] = {}
    reported = 0

    def locale_done(index: int, result: _Rendered) -> None:
        nonlocal reported
        finished[index] = result.outputs
        while reported in finished:
            for output in finished[reported]:
                step(output.site_path)
            reported += 1

    # Each locale's files are staged by the process that rendered them and renamed into
    # place below, once every locale has rendered (a failure leaves the site as it was).
    staging = StagedWrites.new()
    # A job: (locale, part, parts, only these outputs' site paths or None for all of them).
    whole = _page_jobs(plan, to_render, worker_count(settings.workers, 1_000))
    jobs: list[tuple[str, int, int, tuple[str, ...] | None]] = [(*job, None) for job in whole]
    split = len(jobs) > len(to_render)  # some language's pages go to several workers
    jobs.extend((locale, 0, 1, tuple(sorted(partial[locale]))) for locale in requested if locale in partial)
    # The language chooser and the sitemap are one more job, the last (it is the smallest):
    # the first worker to run out of languages takes it, instead of every core but this
    # process's waiting for it after the pool (its outputs come last, as they are reported).
    if SITE_WIDE not in up_to_date:
        jobs.append((SITE_WIDE, 0, 1, None))
    load_locale_facts(settings.cache_path / LOCALE_FACTS_NAME)
    if to_render:
        _load_before_forking(settings, plan, to_render if split else [])
    try:
        # Each language's UI catalog as its pages will read it (the workers inherit it): what
        # the group records of the messages they looked up (see _ui_intact).
        ui_catalogs = {locale: ui_catalog(settings, plan, locale) for locale in rendering}
        results = run_jobs(
            _render_locale_outputs,
            _LocaleInputs(settings, plan, articles, by_slug, site_dir, staging),
            jobs,
            workers=worker_count(settings.workers, len(jobs)),
            on_done=locale_done,
        )
    except BaseException:
        staging.discard(site_dir)
        raise
    rendered: dict[str, list[StagedOutput]] = {locale: [] for locale in [SITE_WIDE, *rendering]}
    looked_up: dict[str, set[Key]] = {locale: set() for locale in rendering}
    for (locale, _part, _parts, _only), result in zip(jobs, results, strict=True):
        rendered[locale].extend(result.outputs)  # the parts in order: as one job renders them
        if locale != SITE_WIDE:
            looked_up[locale] |= result.ui_lookups
    kept: dict[str, dict[str, Any]] = {}  # the recorded files partly rendered groups replay
    for locale in requested:
        if locale in up_to_date:
            replayed = _replay(site_dir, locale, groups[locale]["files"], problems)
            pending.extend(replayed)
            step(f"{page_dir(locale)} (up to date)", len(replayed))
        elif locale in partial:
            # In the order a whole render gives (the group's), the new outputs in their places.
            now = {output.site_path: output for output in rendered[locale]}
            for record in groups[locale]["files"]:
                output = now.get(record["path"])
                if output is not None:
                    pending.append(output)
                else:
                    pending.extend(_replay(site_dir, locale, [record], problems))
                    kept[record["path"]] = record
            step(f"{page_dir(locale)} (up to date)", len(groups[locale]["files"]) - len(now))
        else:
            pending.extend(rendered[locale])
    if SITE_WIDE in up_to_date:
        replayed = _replay(site_dir, SITE_WIDE, groups[SITE_WIDE]["files"], problems)
        pending.extend(replayed)
        step("site-wide files (up to date)", len(replayed))
    else:
        pending.extend(rendered[SITE_WIDE])  # reported as its job finished

    report = SiteReport(
        out_dir=site_dir,
        plan=plan,
        built_locales=requested,
        catalog_errors=catalog_errors,
        up_to_date=[key for key in wanted if key in up_to_date],
        rendered=sum(len(outputs) for outputs in rendered.values()),
    )
    new_groups = {
        key: {**groups[key], "ui": ui_kept[key]} if key in ui_kept else groups[key] for key in up_to_date
    }
    new_groups.update({key: {"fingerprint": wanted[key], "files": []} for key in stale})
    for locale in rendering:
        # A partly rendered group also shows what its replayed outputs looked up before.
        keys = looked_up[locale] | (set(recorded_keys(ui_kept[locale])) if locale in partial else set())
        new_groups[locale]["ui"] = ui_record(ui_catalogs[locale], ui_compiled[locale], keys)
        new_groups[locale]["catalogs"] = content_now[locale]
    try:
        _write(site_dir, pending, problems, report, new_groups, staging, kept)
    except BaseException:
        # What was not renamed (an error while writing) must not linger as a leftover.
        staging.discard(site_dir)
        raise
    current = {
        page.site_path: {"kind": page.kind, "locale": page.locale, "slug": page.slug}
        for page in report.pages
    }
    manifest_path = site_dir / MANIFEST_NAME
    manifest = previous.get("manifest")
    # Nothing rendered and the manifest is as this tool last wrote it: the plan is the same as
    # then (every group's fingerprint holds it), so pruning would find nothing to do.
    if stale or not isinstance(manifest, dict) or not output_intact(manifest_path, manifest):
        sweep()
        removed, manifest_bytes = _prune(settings, site_dir, plan, requested, current)
        report.removed.extend(removed)
        manifest = output_record(manifest_path, manifest_bytes)

    # Locales this build did not ask for keep what an earlier build recorded for them.
    for key, group in groups.items():
        if key not in new_groups and key in settings.all_locales and key not in requested:
            new_groups[key] = group
    saved_at = now_ns()
    outputs = [record for group in new_groups.values() for record in group["files"]]
    finish_output_records([*outputs, manifest], saved_at)
    write_state(
        state_file,
        "site",
        {
            "hashes": hashes.records(saved_at),
            "compile": catalogs.record,
            "slugs": {"key": slugs_key, "slugs": slugs},
            "plan": plan_rows,
            "undated": sorted(undated),
            "groups": new_groups,
            "manifest": manifest,
        },
        previous,
    )
    save_locale_facts(settings.cache_path / LOCALE_FACTS_NAME)
    return report


@dataclass(frozen=True)
class _LocaleInputs:
    """What rendering one locale reads (shared with the worker processes, never changed)."""

    settings: Settings
    plan: PublishPlan
    articles: list[CanonicalArticle]
    by_slug: dict[str, CanonicalArticle]
    site_dir: Path
    staging: StagedWrites


@dataclass(frozen=True)
class StagedOutput:
    """One rendered output, staged on disk beside its target (see :mod:`pubflow.staging`)."""

    site_path: str
    kind: str
    locale: str | None
    slug: str | None
    file: StagedFile
    notices: frozenset[Notice] = frozenset()
    problems: tuple[RenderProblem, ...] = ()
    domains: frozenset[str] = frozenset()


# A locale's pages are split over the workers only when there are fewer locales to render
# than workers (a translator's save: one language), and each part keeps at least this many
# pages, so a part is worth its share of the fork and of the per-job set-up.
_MIN_PAGES_PER_PART = 20


def _page_jobs(plan: PublishPlan, to_render: Sequence[str], workers: int) -> list[tuple[str, int, int]]:
    """The render jobs: ``(locale, part, parts)``, one per locale, or each locale in ``parts``
    runs of its pages when fewer locales than workers render (the idle cores take a share)."""
    if not to_render or len(to_render) >= workers:
        return [(locale, 0, 1) for locale in to_render]
    wanted = -(-workers // len(to_render))
    jobs = []
    for locale in to_render:
        parts = max(1, min(wanted, len(plan.built[locale]) // _MIN_PAGES_PER_PART))
        jobs.extend((locale, part, parts) for part in range(parts))
    return jobs


_LISTING_WEIGHT = 0.2
"""What a locale's index and feed cost to render, in article pages per article they list
(measured with 100 articles: ~50 ms, the titles of articles whose pages another part rendered
included, against ~2.5 ms a page): the part that renders them gets that many fewer pages."""


def part_bounds(count: int, part: int, parts: int) -> tuple[int, int]:
    """The pages (``start``, ``end``) of part ``part`` of ``parts`` of a locale's ``count``
    pages. The last part also renders the index and feed, so it gets fewer pages and every
    part about the same work (one pool waits for its slowest part)."""
    if parts <= 1:
        return 0, count
    size = -(-round(count * (1 + _LISTING_WEIGHT)) // parts)
    start = min(part * size, count)
    end = count if part == parts - 1 else min(start + size, count)
    return start, end


def _load_before_forking(settings: Settings, plan: PublishPlan, split: Sequence[str]) -> None:
    """What every worker needs: loaded now, the workers forked next inherit it instead of each
    loading it again (the template engine, and the autonyms and directions of the switchers:
    from the locale facts file, or else from every language's CLDR data, ~0.3 s per worker).

    For each locale in ``split`` (rendered by several workers), also its CLDR data and page
    templates, which every part would otherwise load again (the UI catalogs of the languages
    to render are loaded by the caller: see ui_catalog)."""
    from pubflow.render.environment import LocaleEnvironment

    for locale in plan.locale_alternates():
        display_name(locale)
        text_direction(locale)
    for locale in split:
        preload_locale_data(locale)
        env = LocaleEnvironment(settings, locale, policy=plan.policy(locale))
        for name in (ARTICLE_TEMPLATE, INDEX_TEMPLATE):
            env.get_template(name)


class _Rendered(NamedTuple):
    """What one render job gives back: its staged outputs, and the UI messages it looked up."""

    outputs: list[StagedOutput]
    ui_lookups: set[Key]


def _load_articles(settings: Settings) -> list[CanonicalArticle]:
    """Every canonical article (each slug once, each in the source language)."""
    articles = load_articles(settings.articles_path, settings.cache_path / ARTICLE_CACHE)
    check_languages(articles, settings.source_locale)
    return articles


def _render_locale_outputs(
    inputs: _LocaleInputs,
    locale: str,
    part: int = 0,
    parts: int = 1,
    only: tuple[str, ...] | None = None,
) -> _Rendered:
    """One locale's article pages, index and feed (or part ``part`` of ``parts`` of them), or
    with ``locale`` :data:`SITE_WIDE` the language chooser and the sitemap: rendered, then
    staged (a job of :func:`run_jobs`; a render error stops the job before it stages
    anything)."""
    ui_lookups: set[Key] = set()
    if locale == SITE_WIDE:
        outputs = _render_site_wide(inputs)
    else:
        outputs = _render_locale(inputs, locale, part, parts, ui_lookups, only)
    staged = [
        StagedOutput(
            output.site_path,
            output.kind,
            output.locale,
            output.slug,
            inputs.staging.stage(inputs.site_dir / output.site_path, output.text.encode("utf-8")),
            output.notices,
            output.problems,
            output.domains,
        )
        for output in outputs
    ]
    return _Rendered(staged, ui_lookups)


def _render_site_wide(inputs: _LocaleInputs) -> list[SiteOutput]:
    """The files of no language: the language chooser (in the source locale) and the sitemap."""
    from pubflow.render.environment import LocaleEnvironment

    settings, plan = inputs.settings, inputs.plan
    chooser = render_chooser(LocaleEnvironment(settings, settings.source_locale), plan)
    sitemap = build_sitemap(settings, plan, inputs.articles)
    return [chooser, SiteOutput(SITEMAP_NAME, "sitemap", None, None, sitemap)]


def _render_locale(
    inputs: _LocaleInputs,
    locale: str,
    part: int = 0,
    parts: int = 1,
    ui_lookups: set[Key] | None = None,
    only: Sequence[str] | None = None,
) -> list[SiteOutput]:
    """One locale's article pages, index and feed, in memory; with ``parts``, the ``part``-th
    run of its pages (the last part also renders the index and feed). The UI messages they
    looked up are added to ``ui_lookups``."""
    from pubflow.render.environment import LocaleEnvironment

    plan, articles, by_slug = inputs.plan, inputs.articles, inputs.by_slug
    env = LocaleEnvironment(inputs.settings, locale, policy=plan.policy(locale))
    if ui_lookups is not None:
        env.ui_lookups = ui_lookups  # filled as the pages render
    built = plan.built[locale]
    start, end = part_bounds(len(built), part, parts)
    mine = built[start:end]
    wanted = set(only) if only is not None else None  # site paths: only these outputs
    if wanted is not None:
        mine = tuple(slug for slug in mine if page_dir(locale, slug) + "index.html" in wanted)
    outputs = [render_article_page(env, plan, by_slug[slug], by_slug) for slug in mine]
    if part < parts - 1:
        return outputs
    if built and (wanted is None or page_dir(locale) + "index.html" in wanted):
        outputs.append(render_locale_index(env, plan, articles))
    if has_feed(plan, locale) and (wanted is None or page_dir(locale) + FEED_NAME in wanted):
        with env.recording() as record:
            feed = build_feed(env, plan, articles)
        outputs.append(
            SiteOutput(
                page_dir(locale) + FEED_NAME,
                "feed",
                locale,
                None,
                feed,
                problems=tuple(record.problems),
                domains=_content_domains(record),
            )
        )
    return outputs


def _write(
    site_dir: Path,
    pending: Sequence[SiteOutput | StagedOutput | PageResult],
    problems: Mapping[str, list[RenderProblem]],
    report: SiteReport,
    groups: dict[str, Any],
    staging: StagedWrites,
    kept: Mapping[str, dict[str, Any]] | None = None,
) -> None:
    """Write the rendered outputs, report every page, record each written one in its group.

    ``kept``: the recorded files (by site path) of the outputs a partly rendered group replays;
    they are recorded in its group again, in order with the ones rendered now."""
    for item in pending:
        if isinstance(item, PageResult):  # up to date: replayed from the state
            report.pages.append(item)
            report.problems.extend(PageProblem(item.site_path, p) for p in problems[item.site_path])
            if kept is not None and item.site_path in kept:
                groups[item.locale or SITE_WIDE]["files"].append(kept[item.site_path])
            continue
        path = site_dir / item.site_path
        if isinstance(item, StagedOutput):
            written = staging.commit(item.file)
            file_record = output_record_of(path, item.file.sha256, item.file.size)
        else:
            data = item.text.encode("utf-8")
            written = atomic_write_bytes(path, data, durable=False)  # dist/: rebuilt if ever lost
            file_record = output_record(path, data)
        report.pages.append(
            PageResult(item.site_path, path, item.kind, item.locale, item.slug, item.notices, written)
        )
        report.problems.extend(PageProblem(item.site_path, p) for p in item.problems)
        record: dict[str, Any] = {"path": item.site_path, "kind": item.kind, "slug": item.slug}
        if item.notices:
            record["notices"] = sorted(notice.value for notice in item.notices)
        if item.problems:
            record["problems"] = [dataclasses.asdict(problem) for problem in item.problems]
        if item.domains:
            record["domains"] = sorted(item.domains)
        groups[item.locale or SITE_WIDE]["files"].append({**record, **file_record})


def _count_outputs(plan: PublishPlan, locales: Sequence[str]) -> int:
    total = 2  # chooser + sitemap
    for locale in locales:
        built = plan.built[locale]
        total += len(built) + (1 if built else 0)
        total += 1 if has_feed(plan, locale) else 0
    return total


# Pages -----------------------------------------------------------------------------------------


def _og_locale(locale: str) -> str:
    """Open Graph wants ``language_TERRITORY``: ``de`` → ``de_DE`` (CLDR likely subtags)."""
    if "_" in locale and locale != PSEUDO_LOCALE:
        return locale
    likely = get_global("likely_subtags").get(locale.split("_")[0], "")
    parts = likely.split("_")
    territory = next((p for p in parts[1:] if len(p) == 2 and p.isupper()), None)
    language = locale.split("_")[0]
    return f"{language}_{territory}" if territory else language


def image_src(image: str | None) -> str | None:
    """A usable ``src`` for a content image, or None (the page shows a CSS placeholder).

    Only absolute http(s) URLs qualify: the site does not copy image files, so a relative path
    would be a broken image, and other schemes (``javascript:``, ``data:``) are never used.
    """
    if not image:
        return None
    value = image.strip()
    return value if is_image_url(value) else None


def build_feed(env: LocaleEnvironment, plan: PublishPlan, articles: Sequence[CanonicalArticle]) -> str:
    """:func:`pubflow.render.feeds.build_feed` (imported when a feed is built: lxml)."""
    from pubflow.render import feeds

    return feeds.build_feed(env, plan, articles)


def build_sitemap(settings: Settings, plan: PublishPlan, articles: Sequence[CanonicalArticle]) -> str:
    """:func:`pubflow.render.feeds.build_sitemap` (imported when the sitemap is built)."""
    from pubflow.render import feeds

    return feeds.build_sitemap(settings, plan, articles)


def has_feed(plan: PublishPlan, locale: str) -> bool:
    """Advertised locales with at least one article get an Atom feed."""
    return locale in plan.advertised and bool(plan.built.get(locale))


def _switcher(plan: PublishPlan, locale: str, from_dir: str, slug: str | None) -> list[dict[str, Any]]:
    """Language links to the same page in every other published locale (current one marked)."""
    if slug is None:
        shown = list(plan.locale_alternates())
    else:
        shown = list(plan.alternates(slug))
    if locale not in shown:
        shown.append(locale)  # a QA locale still sees itself as current
    return [
        {
            "locale": loc,
            "lang": html_lang(loc),
            "name": display_name(loc),
            "href": relative_href(from_dir, page_dir(loc, slug)),
            "current": loc == locale,
        }
        for loc in shown
    ]


def _alternates(
    settings: Settings, pages: Sequence[tuple[str, str]], default_path: str
) -> list[dict[str, str]]:
    links = [{"hreflang": lang, "href": absolute_url(settings, path)} for lang, path in pages]
    links.append({"hreflang": "x-default", "href": absolute_url(settings, default_path)})
    return links


def render_article_page(
    env: LocaleEnvironment,
    plan: PublishPlan,
    canonical: CanonicalArticle,
    by_slug: Mapping[str, CanonicalArticle],
) -> SiteOutput:
    """The page of one article in ``env.locale``."""
    settings, locale = env.settings, env.locale
    article = canonical.article
    here = page_dir(locale, article.slug)
    advertised = plan.is_published(locale, article.slug)
    url = absolute_url(settings, here)
    published = plan.alternates(article.slug)
    alternates = (
        _alternates(
            settings,
            [(html_lang(loc), page_dir(loc, article.slug)) for loc in published],
            page_dir(plan.source_locale, article.slug),
        )
        if advertised
        else []
    )
    related = []
    for item in article.related:
        target_locale = None
        if item.slug in by_slug:
            if plan.is_built(locale, item.slug):
                target_locale = locale
            elif plan.is_published(plan.source_locale, item.slug):
                target_locale = plan.source_locale
        related.append(
            {
                "title": item.title,
                "href": relative_href(here, page_dir(target_locale, item.slug)) if target_locale else None,
                "hreflang": html_lang(target_locale) if target_locale and target_locale != locale else None,
                "image": image_src(item.image),
            }
        )
    def structured_data() -> list[dict[str, Any]]:
        return _structured_data(env, canonical, url)

    context = {
        "article": article,
        "content_domain": article.slug,
        "url": url,
        "canonical": url if advertised else None,
        "noindex": not advertised,
        "alternates": alternates,
        "switcher": _switcher(plan, locale, here, article.slug),
        "home_href": relative_href(here, page_dir(locale)),
        "chooser_href": relative_href(here, page_dir()) if plan.locale_alternates() else None,
        "feed_href": relative_href(here, page_dir(locale) + FEED_NAME) if advertised else None,
        "image": image_src(article.image),
        "related": related,
        "date": article.date,
        "og_locale": _og_locale(locale),
        "og_alternates": [_og_locale(loc) for loc in published if loc != locale],
        "structured_data": structured_data,
    }
    rendered = env.render(ARTICLE_TEMPLATE, **context)
    return SiteOutput(
        here + "index.html",
        "article",
        locale,
        article.slug,
        rendered.text,
        rendered.notices,
        tuple(rendered.record.problems),
        _content_domains(rendered.record),
    )


def _structured_data(
    env: LocaleEnvironment, canonical: CanonicalArticle, url: str
) -> list[dict[str, Any]]:
    """JSON-LD ``Article`` and (when there is a FAQ) ``FAQPage``, in the page's language."""
    article, domain = canonical.article, canonical.article.slug

    def text(msgid: str) -> str:
        return env.lookup(msgid, domain=domain).text

    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": text(article.title),
        "description": text(article.summary),
        "inLanguage": env.lang,
        "url": url,
        "mainEntityOfPage": url,
        "author": {"@type": "Organization", "name": env.settings.site_name},
        "publisher": {"@type": "Organization", "name": env.settings.site_name},
    }
    if article.date is not None:
        data["datePublished"] = article.date.isoformat()
    image = image_src(article.image)
    if image:
        data["image"] = image
    items = [data]
    if article.faq:
        items.append(
            {
                "@context": "https://schema.org",
                "@type": "FAQPage",
                "inLanguage": env.lang,
                "url": url,
                "mainEntity": [
                    {
                        "@type": "Question",
                        "name": text(entry.question),
                        "acceptedAnswer": {
                            "@type": "Answer",
                            "text": "\n\n".join(text(p) for p in entry.answer),
                        },
                    }
                    for entry in article.faq
                ],
            }
        )
    return items


def render_locale_index(
    env: LocaleEnvironment, plan: PublishPlan, articles: Sequence[CanonicalArticle]
) -> SiteOutput:
    """``<locale>/index.html``: the articles published in ``env.locale``, newest first."""
    settings, locale = env.settings, env.locale
    here = page_dir(locale)
    advertised = locale in plan.locale_alternates()
    listed = [c for c in articles if plan.is_built(locale, c.article.slug)]
    from pubflow.render.feeds import article_timestamp

    listed.sort(key=lambda c: (-article_timestamp(c).timestamp(), c.article.slug))
    alternates = (
        _alternates(
            settings,
            [(html_lang(loc), page_dir(loc)) for loc in plan.locale_alternates()],
            page_dir(),
        )
        if advertised
        else []
    )
    context = {
        "articles": [
            {
                "article": c.article,
                "href": relative_href(here, page_dir(locale, c.article.slug)),
                "date": c.article.date,
                "image": image_src(c.article.image),
            }
            for c in listed
        ],
        "url": absolute_url(settings, here),
        "canonical": absolute_url(settings, here) if advertised else None,
        "noindex": not advertised,
        "alternates": alternates,
        "switcher": _switcher(plan, locale, here, None),
        "home_href": "./",
        "chooser_href": relative_href(here, page_dir()) if plan.locale_alternates() else None,
        "feed_href": FEED_NAME if advertised else None,
        "og_locale": _og_locale(locale),
    }
    rendered = env.render(INDEX_TEMPLATE, **context)
    return SiteOutput(
        here + "index.html",
        "index",
        locale,
        None,
        rendered.text,
        rendered.notices,
        tuple(rendered.record.problems),
        _content_domains(rendered.record),
    )


def render_chooser(env: LocaleEnvironment, plan: PublishPlan) -> SiteOutput:
    """``index.html`` at the site root: one link per published language, each in itself."""
    settings = env.settings
    locales = plan.locale_alternates()
    context = {
        "languages": [
            {
                "locale": loc,
                "lang": html_lang(loc),
                "name": display_name(loc),
                "href": page_dir(loc),
                "direction": text_direction(loc),
            }
            for loc in locales
        ],
        "url": absolute_url(settings, page_dir()),
        "canonical": absolute_url(settings, page_dir()),
        "noindex": False,
        "alternates": _alternates(
            settings, [(html_lang(loc), page_dir(loc)) for loc in locales], page_dir()
        ),
        "switcher": [],
        "home_href": "./",
        "chooser_href": None,
        "feed_href": None,
        "og_locale": _og_locale(env.locale),
    }
    rendered = env.render(CHOOSER_TEMPLATE, **context)
    return SiteOutput(
        "index.html",
        "chooser",
        None,
        None,
        rendered.text,
        rendered.notices,
        tuple(rendered.record.problems),
    )


# Incremental rebuilds --------------------------------------------------------------------------

SITE_WIDE = "*"
"""Group of the files that list every locale (root chooser, sitemap) in the build state."""


def _state_file(settings: Settings, site_dir: Path) -> Path:
    """``build/incremental/site.json``; another output folder gets a state of its own."""
    default = (settings.dist_path / "site").resolve()
    if site_dir.resolve() == default:
        return state_path(settings, "site.json")
    return state_path(settings, f"site-{digest(str(site_dir.resolve()))[:16]}.json")


def _article_files(settings: Settings, hashes: FileHashes, undated: set[str]) -> dict[str, Any]:
    """File name → hash of every canonical article (what ``load_articles`` reads).

    An article without a date is dated by its file's mtime (feeds, index order), so for those
    the mtime in whole seconds counts too.
    """
    found: dict[str, Any] = {}
    for path in sorted(settings.articles_path.glob("*.md")):
        sha = hashes.sha256(path)
        if sha is None:
            continue
        seconds: int | None = None
        if path.name in undated:
            try:
                seconds = int(path.stat().st_mtime)
            except OSError:
                seconds = None
        found[path.name] = [sha, seconds]
    return found


def _undated(settings: Settings, articles: Sequence[CanonicalArticle]) -> set[str]:
    return {c.path.name for c in articles if c.article.date is None}


def _content_domains(record: TranslationRecord) -> frozenset[str]:
    """The content catalogs a render showed messages of (the UI catalog is followed apart)."""
    return record.domains() - {UI_DOMAIN}


def _stale_outputs(group: dict[str, Any], catalogs_now: Mapping[str, str]) -> set[str] | None:
    """The outputs of an otherwise intact group that showed messages of a content catalog
    changed since the group was rendered (by site path; empty: none), or None when the group
    cannot tell (then the whole language renders)."""
    recorded = group.get("catalogs")
    if not isinstance(recorded, dict):
        return None
    changed = {
        domain
        for domain in recorded.keys() | catalogs_now.keys()
        if recorded.get(domain) != catalogs_now.get(domain)
    }
    if not changed:
        return set()
    stale: set[str] = set()
    try:
        for record in group["files"]:
            if not changed.isdisjoint(record.get("domains", ())):
                stale.add(str(record["path"]))
    except (KeyError, TypeError, AttributeError):
        return None
    return stale


def _ui_intact(
    settings: Settings, plan: PublishPlan, locale: str, group: dict[str, Any], compiled_now: str | None
) -> dict[str, Any] | None:
    """The group's UI record to keep if a language's pages still show what they showed of its
    UI catalog, else None (see :mod:`pubflow.render.ui_lookups`): a save of messages they
    never looked up (the newsletters', say) leaves them as they are."""
    return ui_unchanged(group.get("ui"), compiled_now, lambda: ui_catalog(settings, plan, locale))


def _group_intact(site_dir: Path, group: object, fingerprint: str) -> bool:
    """True when a group's inputs are unchanged and every file it wrote is still as written."""
    if not isinstance(group, dict) or group.get("fingerprint") != fingerprint:
        return False
    files = group.get("files")
    if not isinstance(files, list):
        return False
    base = os.fspath(site_dir)
    try:
        return all(output_intact(os.path.join(base, record["path"]), record) for record in files)
    except (KeyError, TypeError, AttributeError, ValueError):
        return False  # a damaged state: render


def _replay(
    site_dir: Path, key: str, records: Sequence[dict[str, Any]], problems: dict[str, list[RenderProblem]]
) -> list[PageResult]:
    """The results an earlier build recorded of group ``key``'s files ``records`` (problems too)."""
    pages: list[PageResult] = []
    locale = None if key == SITE_WIDE else key
    for record in records:
        site_path = record["path"]
        pages.append(
            PageResult(
                site_path,
                site_dir / site_path,
                record["kind"],
                locale,
                record["slug"],
                frozenset(Notice(value) for value in record.get("notices", ())),
                False,
            )
        )
        problems[site_path] = [RenderProblem(**found) for found in record.get("problems", ())]
    return pages


# Manifest and pruning --------------------------------------------------------------------------


def _wanted(plan: PublishPlan, entry: Mapping[str, Any]) -> bool:
    """Whether the plan still wants an output a previous build wrote."""
    locale, slug, kind = entry.get("locale"), entry.get("slug"), entry.get("kind")
    if not locale:
        return kind in ("chooser", "sitemap")
    if locale not in plan.locales:
        return False
    built = plan.built.get(locale, ())
    if kind == "article":
        return slug in built
    if kind == "index":
        return bool(built)
    if kind == "feed":
        return has_feed(plan, locale)
    return False


def _prune(
    settings: Settings,
    site_dir: Path,
    plan: PublishPlan,
    requested: Sequence[str],
    current: Mapping[str, dict[str, Any]],
) -> tuple[list[Path], bytes]:
    """Delete outputs of earlier builds that this build no longer wants; update the manifest.

    ``current``: site path → kind, locale and slug of every output of this build. Only files
    listed in the manifest are ever deleted (never anything a person put there). Returns the
    removed files and the manifest's bytes.
    """
    manifest_path = site_dir / MANIFEST_NAME
    try:
        previous: dict[str, dict[str, Any]] = json.loads(manifest_path.read_text("utf-8"))["files"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        previous = {}
    removed: list[Path] = []
    kept: dict[str, dict[str, Any]] = {}
    for site_path, entry in sorted(previous.items()):
        if site_path in current or not isinstance(entry, dict):
            continue
        stale = entry.get("locale") in requested or not _wanted(plan, entry)
        target = (site_dir / site_path).resolve()
        if stale and site_dir.resolve() in target.parents:
            try:
                target.unlink()
                removed.append(target)
            except FileNotFoundError:
                pass
            _remove_empty_parents(target.parent, site_dir.resolve())
        elif not stale:
            kept[site_path] = entry
    manifest = {"files": dict(sorted({**kept, **current}.items()))}
    data = readable_json(manifest).encode("utf-8")
    atomic_write_bytes(manifest_path, data, durable=False)  # dist/: rebuilt if ever lost
    return removed, data


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
