"""Which locales are published, for which articles, under which policy.

Rules (per article, because each article has its own catalog):

* the source locale is always published;
* a target locale is published for an article when the coverage of ``messages`` + the
  article's domain is at least ``settings.coverage_threshold``; coverage counts reviewed
  entries, and under the ``machine`` publish policy machine suggestions too (they are shown);
* a target catalog that was never compiled counts as 0 % (no catalog, no publication);
* the pseudo-locale (``en_XA``) is always built, under the ``machine`` policy, for QA, but never
  advertised: no switcher, hreflang, sitemap, feed or root-chooser entry, and ``noindex``.

:class:`PublishPlan` is computed once per build from the compiled catalogs (cheap: counts come
from the compiled states files) and is the single answer every page, the sitemap and the feeds
use, so they cannot disagree.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pubflow.config import PublishPolicy, Settings
from pubflow.errors import ConfigError
from pubflow.fingerprint import digest
from pubflow.i18n.runtime import compiled_paths, compiled_state_counts
from pubflow.i18n.states import State
from pubflow.locales import PSEUDO_LOCALE
from pubflow.render.shown import UI_DOMAIN

# Addresses -------------------------------------------------------------------------------------
# Pages live in folders (``de/my-article/index.html``) and are linked as folders (``de/my-article/``).
# Links between pages are relative, so the site works under any base path, on any host and in
# the preview server; canonical, hreflang, sitemap and feed URLs are absolute (``site_url``).


FEED_NAME = "feed.xml"
"""Each advertised locale's Atom feed, in its folder."""
SITEMAP_NAME = "sitemap.xml"
"""The sitemap, at the site's root."""


def page_dir(locale: str | None = None, slug: str | None = None) -> str:
    """Site-relative folder of a page: ``""`` (root chooser), ``de/``, ``de/my-article/``."""
    parts = [part for part in (locale, slug) if part]
    return "".join(f"{part}/" for part in parts)


def absolute_url(settings: Settings, site_path: str) -> str:
    """``settings.site_url`` joined with a site-relative path (``de/my-article/``)."""
    return f"{settings.site_url.rstrip('/')}/{site_path}"


@lru_cache(maxsize=65536)
def relative_href(from_dir: str, to_path: str) -> str:
    """Link from the page in folder ``from_dir`` to the site-relative ``to_path``.

    Folder targets keep their trailing slash: ``("de/a/", "fr/a/") → "../../fr/a/"``.
    """
    target = to_path.rstrip("/") or "."
    start = from_dir.rstrip("/") or "."
    href = _relative_parts(target, start)
    if href is None:
        href = posixpath.relpath(target, start)
    if to_path.endswith("/") or not to_path:
        href = "./" if href == "." else f"{href}/"
    return href


def _relative_parts(target: str, start: str) -> str | None:
    """``posixpath.relpath`` for plain site paths (segments without ``.``/``..``/empties), by
    segments: every page links to every language of itself, and ``relpath`` makes both paths
    absolute first (a tenth of a site build). None for any other shape (then relpath)."""
    to_parts = [] if target == "." else target.split("/")
    from_parts = [] if start == "." else start.split("/")
    for part in (*to_parts, *from_parts):
        if part in ("", ".", ".."):
            return None
    common = 0
    for mine, theirs in zip(to_parts, from_parts):
        if mine != theirs:
            break
        common += 1
    return "/".join([".."] * (len(from_parts) - common) + to_parts[common:]) or "."


def policy_for(settings: Settings, locale: str) -> PublishPolicy:
    """The publish policy of ``locale``: the pseudo-locale always shows machine text."""
    return "machine" if locale == PSEUDO_LOCALE else settings.publish_policy


def is_advertised_locale(settings: Settings, locale: str) -> bool:
    """False for locales that are built but never linked or listed (the pseudo-locale)."""
    return locale != PSEUDO_LOCALE


def publish_coverage(
    settings: Settings,
    locale: str,
    domains: Iterable[str],
    *,
    policy: PublishPolicy,
    known: dict[str, float | None] | None = None,
) -> float:
    """Percent (0–100) that ``policy`` would show translated, for the worst of ``domains``.

    ``known``: per-domain results of earlier calls for the same locale and policy, reused and
    extended (a plan asks about the UI catalog once per article).

    Each domain counts on its own (the lowest wins): pooled counts would let a fully
    translated UI carry an untranslated article over the threshold. Reviewed entries count,
    plus machine entries under the ``machine`` policy. A target domain without compiled files
    gives 0: :func:`~pubflow.i18n.runtime.coverage` would call it "nothing to translate"
    (100 %) and publish a page that is entirely in the source language.
    """
    if locale == settings.source_locale:
        return 100.0
    lowest = 100.0
    for domain in domains:
        if known is not None and domain in known:
            percent = known[domain]
        else:
            percent = _domain_coverage(settings, locale, domain, policy)
            if known is not None:
                known[domain] = percent
        if percent is None:
            return 0.0
        lowest = min(lowest, percent)
    return lowest


def _domain_coverage(
    settings: Settings, locale: str, domain: str, policy: PublishPolicy
) -> float | None:
    """Percent of one target catalog that ``policy`` shows; None when it was never compiled."""
    states = compiled_paths(settings, locale, domain).states
    if not states.exists():
        return None
    counts = compiled_state_counts(settings, locale, domain)
    covered = counts[State.REVIEWED]
    if policy == "machine":
        covered += counts[State.MACHINE]
    total = sum(counts.values())
    return 100.0 * covered / total if total else 100.0


@dataclass(frozen=True)
class Skipped:
    """A locale left unpublished for one article, and why."""

    locale: str
    slug: str
    coverage: float
    threshold: float
    missing_domains: tuple[str, ...] = ()  # domains without any compiled catalog

    def describe(self) -> str:
        if self.missing_domains:
            names = ", ".join(self.missing_domains)
            return (
                f"{self.locale}: {self.slug} not published (no catalog for {names}; "
                "run `pubflow catalogs update`)"
            )
        return (
            f"{self.locale}: {self.slug} not published "
            f"({self.coverage:.1f}% translated, {self.threshold:g}% needed)"
        )


@dataclass(frozen=True)
class PublishPlan:
    """The published state of every (locale, article) pair of one build."""

    source_locale: str
    locales: tuple[str, ...]  # every configured locale, source first
    slugs: tuple[str, ...]
    policies: dict[str, PublishPolicy]
    coverage: dict[tuple[str, str], float]  # (locale, slug) → percent
    built: dict[str, tuple[str, ...]]  # locale → slugs that get a page (published or QA)
    advertised: frozenset[str]  # locales that may appear in switchers, hreflang, sitemap
    skipped: tuple[Skipped, ...] = field(default=())

    def is_built(self, locale: str, slug: str) -> bool:
        return slug in self.built.get(locale, ())

    def is_published(self, locale: str, slug: str) -> bool:
        """Built and advertised: the page exists for readers and search engines."""
        return locale in self.advertised and self.is_built(locale, slug)

    def alternates(self, slug: str) -> tuple[str, ...]:
        """Advertised locales where ``slug`` is published, in configured order (source first)."""
        return tuple(loc for loc in self.locales if self.is_published(loc, slug))

    def locale_alternates(self) -> tuple[str, ...]:
        """Advertised locales with at least one published article (root chooser, indexes)."""
        return tuple(loc for loc in self.locales if loc in self.advertised and self.built.get(loc))

    def policy(self, locale: str) -> PublishPolicy:
        return self.policies[locale]

    def publication_key(self) -> str:
        """Hash of what pages show of the plan: which pages exist, where, under which policy.

        Coverage percentages are left out (no page shows them), so translating one more
        string changes the key only when it changes what is published.
        """
        return digest(
            self.source_locale,
            self.locales,
            self.slugs,
            self.policies,
            {locale: list(slugs) for locale, slugs in self.built.items()},
            sorted(self.advertised),
        )

    def row(self, locale: str) -> dict[str, Any]:
        """One locale's part of the plan, JSON-ready (``plan_publication(reuse=...)`` takes it).

        A locale's row depends only on its own compiled catalogs, the slugs, the threshold and
        the policy: a build that changed one locale's catalog recomputes one row.
        """
        return {
            "built": list(self.built[locale]),
            "coverage": [self.coverage[(locale, slug)] for slug in self.slugs],
            "skipped": [
                [s.slug, s.coverage, s.threshold, list(s.missing_domains)]
                for s in self.skipped
                if s.locale == locale
            ],
        }


def plan_publication(
    settings: Settings,
    slugs: Sequence[str],
    *,
    threshold: float | None = None,
    reuse: Mapping[str, Mapping[str, Any]] | None = None,
) -> PublishPlan:
    """Decide, from the compiled catalogs, what each locale publishes (see the module doc).

    ``reuse``: locale → :meth:`PublishPlan.row` of an earlier plan made from the same compiled
    catalogs of that locale, slugs, threshold and settings (the caller checks that); such a
    row is taken as it is instead of reading the locale's catalogs again.
    """
    limit = settings.coverage_threshold if threshold is None else threshold
    locales = tuple(settings.all_locales)
    policies = {locale: policy_for(settings, locale) for locale in locales}
    coverage: dict[tuple[str, str], float] = {}
    built: dict[str, tuple[str, ...]] = {}
    skipped: list[Skipped] = []
    for locale in locales:
        known = (reuse or {}).get(locale)
        row = _row_from_dict(locale, slugs, known) if known is not None else None
        if row is None:
            row = _plan_locale(settings, locale, slugs, limit, policies[locale])
        built[locale], found, missed = row
        coverage.update(found)
        skipped.extend(missed)
    return PublishPlan(
        source_locale=settings.source_locale,
        locales=locales,
        slugs=tuple(slugs),
        policies=policies,
        coverage=coverage,
        built=built,
        advertised=frozenset(loc for loc in locales if is_advertised_locale(settings, loc)),
        skipped=tuple(skipped),
    )


def plan_publication_cached(
    settings: Settings, slugs: Sequence[str], row_keys: Mapping[str, str], recorded: object
) -> tuple[PublishPlan, dict[str, Any]]:
    """:func:`plan_publication`, reusing each locale row recorded under the same key.

    ``row_keys``: locale → hash of everything its row depends on (settings, slugs, the
    locale's compiled catalogs). Returns the plan and what to record for the next build.
    """
    rows = recorded if isinstance(recorded, dict) else {}
    reuse = {
        locale: row["row"]
        for locale, row in rows.items()
        if isinstance(row, dict)
        and row.get("key") == row_keys.get(locale)
        and isinstance(row.get("row"), dict)
    }
    plan = plan_publication(settings, slugs, reuse=reuse)
    record = {
        locale: rows[locale] if locale in reuse else {"key": row_keys[locale], "row": plan.row(locale)}
        for locale in plan.locales
    }
    return plan, record


_Row = tuple[tuple[str, ...], dict[tuple[str, str], float], list[Skipped]]


def _plan_locale(
    settings: Settings, locale: str, slugs: Sequence[str], limit: float, policy: PublishPolicy
) -> _Row:
    """One locale's row: its built slugs, coverage per slug, and why the others are not."""
    chosen: list[str] = []
    coverage: dict[tuple[str, str], float] = {}
    skipped: list[Skipped] = []
    # The UI catalog is on every page: its counts are read once per locale, not per article.
    known: dict[str, float | None] = {}
    for slug in slugs:
        percent = publish_coverage(settings, locale, [UI_DOMAIN, slug], policy=policy, known=known)
        coverage[(locale, slug)] = percent
        if locale == settings.source_locale or locale == PSEUDO_LOCALE or percent >= limit:
            chosen.append(slug)
        else:
            missing = tuple(
                domain
                for domain in (UI_DOMAIN, slug)
                if not compiled_paths(settings, locale, domain).states.exists()
            )
            skipped.append(Skipped(locale, slug, percent, limit, missing))
    return tuple(chosen), coverage, skipped


def _row_from_dict(locale: str, slugs: Sequence[str], data: Mapping[str, Any]) -> _Row | None:
    """A row saved by :meth:`PublishPlan.row` (None when it does not fit these slugs)."""
    try:
        values = [float(value) for value in data["coverage"]]
        built = tuple(str(slug) for slug in data["built"])
        skipped = [
            Skipped(locale, str(slug), float(percent), float(limit), tuple(map(str, missing)))
            for slug, percent, limit, missing in data["skipped"]
        ]
    except (KeyError, TypeError, ValueError):
        return None
    if len(values) != len(slugs) or not set(built) <= set(slugs):
        return None
    return built, {(locale, slug): value for slug, value in zip(slugs, values)}, skipped


def requested_locales(settings: Settings, locales: Sequence[str] | None) -> tuple[str, ...]:
    """The locales a build asked for, in configured order without duplicates (all when empty).

    An unconfigured code is refused before anything is built: it would become a folder name.
    """
    if not locales:
        return tuple(settings.all_locales)
    unknown = [loc for loc in locales if loc not in settings.all_locales]
    if unknown:
        raise ConfigError(
            f"locale {unknown[0]!r} is not configured",
            path=settings.root / "pyproject.toml",
            hint=f"choose from {', '.join(settings.all_locales)} or add it to [tool.pubflow] locales",
        )
    return tuple(loc for loc in settings.all_locales if loc in locales)
