"""Translation statistics per locale and domain, read from the ``.po`` files (the source of truth).

When the compile step has counted a ``.po`` with these very bytes (its sidecar's fingerprint
matches), its counts are used: they are made by the same state rules.

Every live entry is counted in exactly one state (see :mod:`pubflow.i18n.states`); obsolete
entries are not counted, and fuzzy entries (machine or stale) are never counted as translated
(``pybabel --statistics`` counts them). A locale with a template but no ``.po`` yet counts
every template entry as missing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polib

from pubflow.config import Settings
from pubflow.errors import CatalogError
from pubflow.fingerprint import FileHashes
from pubflow.fsutil import validate_slug
from pubflow.i18n.compile import (
    catalog_domains,
    compiled_counts,
    target_locales,
    template_shortfall,
)
from pubflow.i18n.pofile import list_domains, po_path, pot_path, read_catalog
from pubflow.i18n.states import State, entry_state

STATS_KEYS = (
    "locale",
    "domain",
    "reviewed",
    "machine",
    "stale",
    "missing",
    "invalid",
    "total",
    "percent_reviewed",
)
"""The keys of one ``pubflow stats --json`` row, in order (a documented interface)."""


@dataclass(frozen=True)
class StatsRow:
    """Counts of one locale + domain."""

    locale: str
    domain: str
    reviewed: int = 0
    machine: int = 0
    stale: int = 0
    missing: int = 0
    invalid: int = 0

    @property
    def total(self) -> int:
        return self.reviewed + self.machine + self.stale + self.missing + self.invalid

    @property
    def percent_reviewed(self) -> float:
        """Reviewed share in percent, one decimal; 100 when there is nothing to translate."""
        return 100.0 if self.total == 0 else round(100.0 * self.reviewed / self.total, 1)

    def as_dict(self) -> dict[str, Any]:
        """The row as ``pubflow stats --json`` prints it (exactly :data:`STATS_KEYS`)."""
        return {key: getattr(self, key) for key in STATS_KEYS}


def count_states(
    po: polib.POFile, *, locale: str, domain: str, checks: bool = True
) -> StatsRow:
    """Count the live entries of a parsed catalog by state."""
    counts = {state: 0 for state in State}
    for entry in po:
        if not entry.obsolete:
            counts[entry_state(entry, locale=locale, checks=checks, domain=domain)] += 1
    return StatsRow(locale, domain, **{state.value: n for state, n in counts.items()})


def _counted(settings: Settings, po: polib.POFile, locale: str, domain: str) -> StatsRow:
    """:func:`count_states` plus the template's entries the catalog lacks, as missing: what
    the compile step counts, so stats and the published coverage agree."""
    row = count_states(po, locale=locale, domain=domain)
    missing, _ = template_shortfall(settings, domain, po, row.total)
    return dataclasses.replace(row, missing=row.missing + missing) if missing else row


def catalog_stats(
    settings: Settings,
    locales: Iterable[str] | None = None,
    domains: Iterable[str] | None = None,
    *,
    unreadable: list[CatalogError] | None = None,
) -> list[StatsRow]:
    """One row per target locale × domain, locales in configured order, domains sorted.

    Raises :class:`~pubflow.errors.CatalogError` (with file:line) for a catalog that cannot
    be read: run ``pubflow check`` to see every problem at once. With ``unreadable`` (a list)
    such a catalog is added to it instead and has no row (a publish run reports it already).
    """
    chosen_domains = (
        list(dict.fromkeys(validate_slug(name, where="domain") for name in domains))
        if domains is not None
        else None
    )
    rows: list[StatsRow] = []
    # Hashes of the catalogs known in this process (after a sync, all of them): the sidecars'
    # counts are then checked without reading each catalog again.
    hashes = FileHashes(settings.root)
    for locale in target_locales(settings, locales):
        names = chosen_domains if chosen_domains is not None else catalog_domains(settings, locale)
        for domain in names:
            catalog = po_path(settings, locale, domain)
            if catalog.is_file():
                # The compile step counted this very file already (same bytes, same checks):
                # reading its sidecar spares parsing and checking every entry again.
                counts = compiled_counts(settings, locale, domain, hashes)
                if counts is not None:
                    rows.append(StatsRow(locale, domain, **{state.value: n for state, n in counts.items()}))
                else:
                    try:
                        rows.append(_counted(settings, read_catalog(catalog), locale, domain))
                    except CatalogError as error:
                        if unreadable is None:
                            raise
                        unreadable.append(error)
                continue
            template = pot_path(settings, domain)
            if template.is_file():
                live = sum(1 for entry in read_catalog(template) if not entry.obsolete)
                rows.append(StatsRow(locale, domain, missing=live))
            elif chosen_domains is not None:
                raise CatalogError(
                    f"domain {domain!r} has neither a template nor a {locale} catalog",
                    path=template,
                    hint="known domains: " + (", ".join(list_domains(settings)) or "none yet")
                    + " (run `pubflow catalogs update` to extract them)",
                )
    return rows


def coverage_by_locale(rows: Iterable[StatsRow], threshold: float, *, listed: int = 5) -> list[dict[str, Any]]:
    """One row per locale (in the order given): its counts over every domain, the share
    reviewed, and the domains whose reviewed share is below ``threshold`` percent (the first
    ``listed`` by name, then how many more).

    What a run's coverage table shows: one row per language reads at a glance where one per
    language and domain (1,110 rows for 100 articles in 11 languages) does not; ``pubflow
    stats`` still lists every domain.
    """
    totals: dict[str, StatsRow] = {}
    below: dict[str, list[str]] = {}
    domains: dict[str, int] = {}
    for row in rows:
        seen = totals.get(row.locale) or StatsRow(row.locale, "*")
        totals[row.locale] = StatsRow(
            row.locale,
            "*",
            reviewed=seen.reviewed + row.reviewed,
            machine=seen.machine + row.machine,
            stale=seen.stale + row.stale,
            missing=seen.missing + row.missing,
            invalid=seen.invalid + row.invalid,
        )
        domains[row.locale] = domains.get(row.locale, 0) + 1
        if row.percent_reviewed < threshold:
            below.setdefault(row.locale, []).append(row.domain)
    table = []
    for locale, total in totals.items():
        names = sorted(below.get(locale, []))
        shown = ", ".join(names[:listed]) + (f" (+{len(names) - listed} more)" if len(names) > listed else "")
        table.append(
            {
                "locale": locale,
                "reviewed": total.reviewed,
                "machine": total.machine,
                "stale": total.stale,
                "missing": total.missing,
                "invalid": total.invalid,
                "total": total.total,
                "percent_reviewed": total.percent_reviewed,
                "domains": domains[locale],
                "below_threshold": shown or "none",
            }
        )
    return table


__all__ = ["STATS_KEYS", "StatsRow", "catalog_stats", "count_states", "coverage_by_locale"]
