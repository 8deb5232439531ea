"""Keeping catalogs in step with the sources: extract → templates → merge every language → compile.

:func:`sync_catalogs` is what ``pubflow catalogs update`` and the Prefect "sync catalogs" flow
run; :func:`init_catalog` starts a new language (``pubflow catalogs init``) and never
overwrites an existing catalog.

Each language's catalog is merged under its lock file and re-merged if a translator saves it
meanwhile (:func:`pubflow.i18n.pofile.update_catalog`), so no run loses anybody's edit. A
template whose source disappeared (an article was deleted) is left alone with its catalogs:
translations are never deleted; the report lists it as orphaned.

Settled catalogs are not merged again: when a merge changes nothing, ``build/catalog-sync.json``
records a hash of its inputs (the template's and the catalog's bytes, the locale, and the code
that merges and writes). A later run whose inputs hash the same skips that catalog — merging
it could only give the same bytes again — so a sync with nothing new costs a hash per catalog
instead of a parse, merge and re-wrap (seconds on a corpus of 1,000+ catalogs). Any change to
either file, a new pubflow version or a missing or damaged state file means a real merge.

Above that, a sync whose every input and output is as the last settled sync left them (the
sources messages come from, every ``.po``/``.pot``, the compiled files, the settings and the
code: ``build/incremental/sync.json``, hashes reused while a file's stat is unchanged) does
nothing and replays that sync's report: a no-op costs a ``stat`` per file.

Languages are independent: with ``workers`` > 1 each one's catalogs are merged and compiled
in a worker process (:mod:`pubflow.parallel`), and compiling reuses the catalogs the merge has
just read when it left them unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polib

from pubflow import buildview
from pubflow.collector import with_fewer_collections
from pubflow.errors import CatalogError, CatalogLockedError, PubflowError
from pubflow.fingerprint import (
    FileHashes,
    digest,
    now_ns,
    read_state,
    remember_written_files,
    settings_fingerprint,
    state_path,
    write_state,
)
from pubflow.fsutil import atomic_write_text, sweep_stale_temp_files
from pubflow.i18n.extract import Templates, content_extractors, extract_messages, write_templates
from pubflow.i18n.linebreak import PAGE_WIDTH
from pubflow.i18n.pofile import (
    LOCK_TIMEOUT,
    catalog_lock,
    list_domains,
    po_path,
    po_path_in,
    pot_path,
    read_catalog,
    same_catalog,
    update_catalog,
    write_catalog,
)
from pubflow.locales import (
    LOCALE_FACTS_NAME,
    display_name,
    foreign_language,
    load_locale_facts,
    plural_forms_header,
    save_locale_facts,
    validate_locale,
)
from pubflow.parallel import run_jobs, worker_count

if TYPE_CHECKING:
    from pubflow.config import Settings
    from pubflow.i18n.merge import MergeReport

Progress = Callable[[str], None]
"""Called with a short description before each step (the CLI advances a progress bar)."""


@dataclass(frozen=True)
class CatalogUpdate:
    """What an update did to one language's catalog of one domain."""

    locale: str
    domain: str
    path: Path
    added: int
    fuzzy: int
    obsoleted: int
    revived: int
    unchanged: int
    total: int
    created: bool
    written: bool


@dataclass
class SyncReport:
    """The outcome of :func:`sync_catalogs`."""

    templates: dict[str, bool] = field(default_factory=dict)
    """Domain → whether its ``.pot`` changed."""
    orphaned: list[str] = field(default_factory=list)
    """Domains with a ``.pot`` but no source any more (their catalogs are kept as they are)."""
    catalogs: list[CatalogUpdate] = field(default_factory=list)
    compiled: Any = None
    """The compile step's report (``pubflow.i18n.compile.CompileReport``), if it ran."""
    compile_skipped: str | None = None
    """Why compiling did not run, if it did not."""
    diagnostic_locales: list[str] = field(default_factory=list, repr=False)
    """The locale each of ``compiled.diagnostics`` came from (a later sync replays by locale)."""
    failed: list[CatalogError] = field(default_factory=list)
    """Catalogs that could not be read: left as they are, each with its file:line; every other
    catalog was merged and compiled. (A catalog locked by another run stops the sync.)"""

    @property
    def written(self) -> list[Path]:
        """Catalog files that changed on disk."""
        return [update.path for update in self.catalogs if update.written]


def target_locales(settings: Settings, locales: Iterable[str] | None = None) -> list[str]:
    """The languages to work on: ``locales`` (each must be configured) or every target locale."""
    configured = [code for code in settings.locales if code != settings.source_locale]
    if locales is None:
        return configured
    chosen: list[str] = []
    for code in locales:
        validate_locale(code)
        if code == settings.source_locale:
            raise CatalogError(
                f"{code} is the source language: it has no catalogs",
                hint=f"pick one of {', '.join(configured)}",
            )
        if code not in configured:
            raise CatalogError(
                f"locale {code!r} is not configured",
                path=settings.root / "pyproject.toml",
                hint=f"add it to [tool.pubflow] locales (now: {', '.join(configured)}) "
                f"and run `pubflow catalogs init --locale {code}`",
            )
        if code not in chosen:
            chosen.append(code)
    return chosen


def merge_catalog(po: polib.POFile, pot: polib.POFile, locale: str, **options: Any) -> MergeReport:
    """:func:`pubflow.i18n.merge.merge_catalog`, imported on first use (rapidfuzz): a sync whose
    catalogs are all settled merges nothing."""
    from pubflow.i18n import merge

    return merge.merge_catalog(po, pot, locale, **options)


def new_catalog(locale: str, domain: str) -> polib.POFile:
    """An empty catalog with pubflow's header for ``locale`` (merge fills in the rest)."""
    po = polib.POFile(wrapwidth=PAGE_WIDTH, encoding="utf-8")
    po.header = f"{display_name(locale)} ({locale}) translations of the pubflow domain {domain!r}."
    po.metadata = {
        "Project-Id-Version": "pubflow",
        "POT-Creation-Date": "",
        "PO-Revision-Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M+0000"),
        "Last-Translator": "",
        "Language-Team": "",
    }
    return po


def _replace_contents(target: polib.POFile, source: polib.POFile) -> None:
    """Make ``target`` hold ``source``'s header and entries (update_catalog writes ``target``)."""
    target[:] = list(source)
    target.header = source.header
    target.metadata = source.metadata
    target.metadata_is_fuzzy = source.metadata_is_fuzzy


SYNC_STATE_NAME = "catalog-sync.json"
"""Under the build folder: input hashes of the catalogs whose last merge changed nothing."""

_STATE_FORMAT = 1


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the code a merge's output depends on: a new version re-merges everything."""
    from pubflow import locales
    from pubflow.i18n import linebreak, merge, pofile

    digest = hashlib.sha256()
    for module in (linebreak, locales, merge, pofile, sys.modules[__name__]):
        source = getattr(module, "__file__", None)
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


def _merge_key(locale: str, template_digest: bytes, catalog: bytes) -> str:
    """Identity of one merge's input: format, code, locale, template and catalog bytes."""
    prefix = f"pubflow-sync/{_STATE_FORMAT}/{_code_fingerprint()}/{locale}\n".encode()
    digest = hashlib.sha256(prefix)
    digest.update(template_digest)
    digest.update(catalog)
    return digest.hexdigest()


def _state_path(settings: Settings) -> Path:
    return settings.build_path / SYNC_STATE_NAME


def _read_state(settings: Settings) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_state_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: every catalog is merged, nothing is lost
    if not isinstance(data, dict) or data.get("format") != _STATE_FORMAT:
        return {}
    catalogs = data.get("catalogs")
    return {k: v for k, v in catalogs.items() if isinstance(v, dict)} if isinstance(catalogs, dict) else {}


def _write_state(settings: Settings, catalogs: dict[str, dict[str, Any]]) -> None:
    # No indent: an indented dump goes through json's pure-Python encoder (~5x slower).
    text = json.dumps({"format": _STATE_FORMAT, "catalogs": dict(sorted(catalogs.items()))})
    try:
        atomic_write_text(_state_path(settings), text + "\n", durable=False)
    except OSError:
        pass  # only a cache: the next run merges again (a power cut may lose it too)


def _settled_update(
    settings: Settings, locale: str, domain: str, key: str | None, state: dict[str, dict[str, Any]]
) -> CatalogUpdate | None:
    """The report of a skipped merge, when the last merge of these very inputs changed nothing."""
    entry = state.get(f"{locale}/{domain}")
    if key is None or entry is None or entry.get("key") != key:
        return None
    total = int(entry.get("total", 0))
    return CatalogUpdate(
        locale=locale,
        domain=domain,
        path=po_path(settings, locale, domain),
        added=0,
        fuzzy=0,
        obsoleted=0,
        revived=0,
        unchanged=total,
        total=total,
        created=False,
        written=False,
    )


def _catalog_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CatalogError(f"cannot read catalog: {exc.strerror}", path=path) from None


def _refuse_foreign(settings: Settings, po: polib.POFile, locale: str, path: Path) -> None:
    """Raise CatalogError for another language's catalog in ``locale``'s folder.

    The merge would set its header's Language to ``locale`` and the mistake would vanish,
    leaving that language published on this one's pages: it is left as it is and reported
    (the compile step refuses it too, keeping the last good compile).
    """
    if foreign_language(po.metadata, locale) is None:
        return
    from pubflow.i18n.compile import foreign_catalog_error  # only for a misplaced catalog

    error = foreign_catalog_error(settings, po, locale, path)
    assert error is not None  # foreign_language said so
    raise error


def _merge_into(
    settings: Settings,
    locale: str,
    domain: str,
    pot: polib.POFile,
    *,
    lock_timeout: float,
) -> tuple[CatalogUpdate, polib.POFile | None]:
    """Merge one catalog; returns the update and, when nothing changed, the catalog as read."""
    path = po_path(settings, locale, domain)
    created = not path.exists()

    def apply(po: polib.POFile) -> tuple[MergeReport, polib.POFile | None]:
        # po: the file on disk, or new_catalog(). A catalog in step with its template (most
        # of them) is proven unchanged without building a merged copy (keep_if_unchanged).
        _refuse_foreign(settings, po, locale, path)
        report = merge_catalog(po, pot, locale, keep_if_unchanged=True)
        if report.catalog is po or same_catalog(po, report.catalog):
            return report, po  # untouched: the compile step can use it as it was read
        _replace_contents(po, report.catalog)
        return report, None

    # A merge that changes nothing writes nothing: the file keeps its bytes (and its layout,
    # if a translator's editor wrapped it differently), and no time goes into re-wrapping it.
    (report, unchanged), written = update_catalog(
        path,
        apply,
        create=lambda: new_catalog(locale, domain),
        timeout=lock_timeout,
        changed=lambda outcome: outcome[1] is None,
    )
    update = CatalogUpdate(
        locale=locale,
        domain=domain,
        path=path,
        added=report.added,
        fuzzy=report.fuzzy,
        obsoleted=report.obsoleted,
        revived=report.revived,
        unchanged=report.unchanged,
        total=report.total,
        created=created,
        written=written,
    )
    return update, (unchanged if not written else None)


@dataclass(frozen=True)
class _SyncInputs:
    """What every locale's job reads (shared with the worker processes, never changed)."""

    settings: Settings
    templates: Mapping[str, polib.POFile | Path]
    """Domain → template; a path: the ``.pot`` on disk holds it, read only if a merge needs it."""
    template_digests: dict[str, bytes]
    state: dict[str, dict[str, Any]]
    lock_timeout: float
    compile: bool


@dataclass
class _LocaleOutcome:
    """One locale's merges, its changes to the settled-catalog state, and its compile."""

    updates: list[CatalogUpdate]
    state: dict[str, dict[str, Any] | None]  # name → new entry, None: forget it
    compiled: Any = None
    failed: list[CatalogError] = field(default_factory=list)


def _sync_locale(inputs: _SyncInputs, locale: str) -> _LocaleOutcome:
    """Merge every domain of one locale, then compile that locale (a job of :func:`run_jobs`)."""
    settings = inputs.settings
    outcome = _LocaleOutcome([], {})
    # Catalogs a merge read and left unchanged, with the bytes they were read from: the
    # compile step takes them instead of parsing the same files a second time.
    parsed: dict[str, tuple[bytes, polib.POFile]] = {}
    for domain, pot in inputs.templates.items():
        name = f"{locale}/{domain}"
        try:
            before = _catalog_bytes(po_path(settings, locale, domain))
        except CatalogError as error:
            outcome.failed.append(error)
            outcome.state[name] = None
            continue
        key = None if before is None else _merge_key(locale, inputs.template_digests[domain], before)
        update = _settled_update(settings, locale, domain, key, inputs.state)
        if update is None:
            if isinstance(pot, Path):
                pot = read_catalog(pot)  # a translator's save: this domain's template only
            try:
                update, as_read = _merge_into(
                    settings, locale, domain, pot, lock_timeout=inputs.lock_timeout
                )
            except CatalogLockedError:
                raise  # another run is updating the catalogs: this one stops, in one line
            except CatalogError as error:
                # One unreadable catalog stops only its own merge: it is left as it is and
                # reported; its language's other catalogs, and the other languages, are
                # merged and compiled (its compiled files stay as last compiled).
                outcome.failed.append(error)
                outcome.state[name] = None
                continue
            # Record only a merge proven to be a no-op on the bytes we hashed: nothing
            # written, and the file still holds them (no save slipped in meanwhile).
            settled = key is not None and not update.written and _catalog_bytes(update.path) == before
            outcome.state[name] = {"key": key, "total": update.total} if settled else None
            if settled and before is not None and as_read is not None:
                parsed[domain] = (before, as_read)
        outcome.updates.append(update)
    if inputs.compile:
        from pubflow.i18n.compile import compile_catalogs

        # Every catalog of a template was merged above (or settled: a merge changed nothing),
        # so none needs comparing with its template again; a failed one is refused anyway.
        outcome.compiled = compile_catalogs(
            settings, locales=[locale], domains=None, parsed=parsed, merged=frozenset(inputs.templates)
        )
    return outcome


@with_fewer_collections
def sync_catalogs(
    settings: Settings,
    locales: Iterable[str] | None = None,
    *,
    compile: bool = True,
    lock_timeout: float = LOCK_TIMEOUT,
    progress: Progress | None = None,
) -> SyncReport:
    """Extract, write the templates, merge every language's catalogs, then compile them.

    ``locales`` defaults to every configured target locale; a catalog missing for a
    configured locale is created. Running it twice in a row changes no byte. Languages are
    independent: with ``workers`` > 1 they are merged and compiled side by side.
    """
    from pubflow.i18n.diagnostics import CompileReport

    chosen = target_locales(settings, locales)
    step = progress or (lambda _text: None)
    # This sync is the build's check of the catalogs from now on: an earlier one's no longer
    # stands (it offers its own below when it covers every language).
    buildview.forget()
    # Crash leftovers go first, even when nothing else is to do (a few ms: one folder walk):
    # the catalogs, the compiled files, every build's states and build/'s own files.
    sweep_stale_temp_files(
        settings.locales_path,
        settings.compiled_locales_path,
        state_path(settings),
        shallow=[settings.build_path],
    )
    state_file = state_path(settings, SYNC_INPUTS_NAME)
    previous = read_state(state_file, "sync")
    hashes = FileHashes(settings.root, previous.get("hashes"))
    # Without a recorded sync (a fresh clone, a deleted build/) there is nothing to compare
    # with: hashing every catalog here would only be done again when the result is recorded.
    keys = _inputs_key(settings, hashes, chosen, compile) if previous.get("key") else None
    every_locale = set(chosen) == set(target_locales(settings, None))
    if keys is not None and previous.get("key") == keys.whole:
        replayed = _replay(settings, previous.get("report"), compile)
        if replayed is not None:
            if compile and every_locale:
                _offer_view(settings, keys.catalogs, keys.compiled)
            step("nothing changed since the last sync")
            return replayed

    report = SyncReport()

    step("extracting messages")
    templates = _current_templates(settings, keys, previous)
    step("writing templates")
    report.templates = write_templates(settings, templates)
    kept = getattr(templates, "kept", frozenset())  # unreadable sources' domains: left alone
    report.orphaned = [
        domain for domain in list_domains(settings) if domain not in templates and domain not in kept
    ]
    for error in getattr(templates, "unreadable", ()):
        if error.path is not None and error.path.is_absolute() and error.path.is_relative_to(settings.root):
            error.path = error.path.relative_to(settings.root)  # as the catalogs' errors name it
        report.failed.append(error)

    # Plural-Forms headers (merges and compiles need them): from the build's cache of locale
    # facts, else derived here once, before the workers fork, instead of once per worker.
    facts = settings.cache_path / LOCALE_FACTS_NAME
    load_locale_facts(facts)
    for locale in chosen:
        plural_forms_header(locale)
    save_locale_facts(facts)

    state = _read_state(settings)
    inputs = _SyncInputs(
        settings=settings,
        templates=templates,
        template_digests={
            domain: hashlib.sha256(pot_path(settings, domain).read_bytes()).digest()
            for domain in templates
        },
        state=state,
        lock_timeout=lock_timeout,
        compile=compile,
    )
    done_text = "merged and compiled" if compile else "merged"
    # Only the languages whose catalogs or compiled files changed since the last sync, when
    # nothing else did (a translator's save): the others are as that sync left them.
    unchanged = _unchanged_locales(settings, keys, previous, chosen, compile)
    jobs = [locale for locale in chosen if locale not in unchanged]
    outcomes = dict(
        zip(
            jobs,
            run_jobs(
                _sync_locale,
                inputs,
                [(locale,) for locale in jobs],
                workers=worker_count(settings.workers, len(jobs)),
                on_done=lambda index, _outcome: step(f"{jobs[index]}: {done_text}"),
            ),
            strict=True,
        )
    )
    _learn_from_workers(settings, [outcomes.get(locale) or unchanged[locale] for locale in chosen])
    compiled = CompileReport()
    # What the catalogs hash to now, keyed as the site and newsletter builds look them up:
    # read once for both uses below (each is a stat of every catalog).
    catalogs_now = None
    if compile and (unchanged or every_locale):
        from pubflow.render.catalog_inputs import catalog_sources

        catalogs_now = catalog_sources(settings, hashes, None)
    if unchanged and catalogs_now is not None:
        _vouch_for_replayed(catalogs_now[0], unchanged)
    for locale in chosen:
        outcome = outcomes.get(locale) or unchanged[locale]
        report.catalogs.extend(outcome.updates)
        for error in outcome.failed:
            if error.path is not None and error.path.is_relative_to(settings.root):
                error.path = error.path.relative_to(settings.root)  # as the compile names it
            report.failed.append(error)
        for name, entry in outcome.state.items():
            if entry is None:
                state.pop(name, None)
            else:
                state[name] = entry
        if outcome.compiled is not None:
            compiled.results.extend(outcome.compiled.results)
            compiled.diagnostics.extend(outcome.compiled.diagnostics)
            report.diagnostic_locales.extend([locale] * len(outcome.compiled.diagnostics))
    _write_state(settings, state)
    if compile:
        report.compiled = compiled
        if every_locale:
            # The site and newsletter builds that follow in this process (make publish, the
            # publish flow) check every compiled catalog first: this compile is that check.
            from pubflow.render.catalog_inputs import compiled_fingerprints, remember_full_compile

            assert catalogs_now is not None  # read above for every_locale
            settings_key = settings_fingerprint(settings)
            compiled_now = compiled_fingerprints(settings, hashes, None)
            remember_full_compile(
                settings,
                hashes,
                compiled,
                settings_key=settings_key,
                catalogs=catalogs_now,
                compiled_now=compiled_now,
            )
            buildview.offer(buildview.CatalogView(settings_key, catalogs_now[0], compiled_now))
    else:
        report.compile_skipped = "not requested"
    _record_inputs(settings, state_file, hashes, keys, jobs, chosen, compile, report, previous)
    return report


def _offer_view(settings: Settings, catalogs: dict[str, str], compiled: dict[str, str]) -> None:
    """Offer the build (:mod:`pubflow.buildview`) this sync's check of every file, from the
    trees it hashed: ``.po``/``.pot`` files under ``locales/``, every compiled file."""
    if not buildview.building():
        return
    from pubflow.render.catalog_inputs import compiled_of_tree, sources_of_tree

    buildview.offer(
        buildview.CatalogView(
            settings_fingerprint(settings),
            sources_of_tree(settings, catalogs, with_paths=False)[0],
            compiled_of_tree(settings, compiled),
        )
    )


def _learn_from_workers(settings: Settings, outcomes: Iterable[_LocaleOutcome]) -> None:
    """Tell this process what the compile workers read and wrote: each catalog and compiled
    file by its hash, each states sidecar by its counts. Hashing them here again would read
    3,000+ files in this process alone, and publication planning reads every sidecar."""
    from pubflow.i18n.runtime import compiled_paths, remember_compiled_counts

    results = [
        result
        for outcome in outcomes
        if outcome.compiled is not None
        for result in outcome.compiled.results
    ]
    remember_written_files(result.source_file for result in results if result.source_file is not None)
    remember_written_files(found for result in results for found in result.outputs)
    remember_compiled_counts(
        (found, result.counts, result.source_sha256 if result.status == "compiled" else None)
        for result in results
        for found in result.outputs
        if found[0] == os.fspath(compiled_paths(settings, result.locale, result.domain).states)
    )


# The whole-sync shortcut ---------------------------------------------------------------------

SYNC_INPUTS_NAME = "sync.json"
"""Under ``build/incremental/``: the hash of a sync's inputs and outputs, and its report."""


@dataclass(frozen=True)
class _InputKeys:
    """What a sync reads, hashed: everything (``whole``), the message sources alone, and the
    templates (``.pot`` name → SHA-256)."""

    whole: str
    sources: str
    pots: dict[str, str]
    locales: dict[str, str] = field(default_factory=dict)
    """Locale → hash of its catalogs and compiled files (what its job reads and writes)."""
    catalogs: dict[str, str] = field(default_factory=dict)
    """Every ``.po``/``.pot`` under ``locales/`` (relative path → SHA-256)."""
    compiled: dict[str, str] = field(default_factory=dict)
    """Every file under ``build/locales/`` (relative path → SHA-256)."""


def _inputs_key(
    settings: Settings, hashes: FileHashes, chosen: list[str], compile: bool
) -> _InputKeys | None:
    """Hash of everything a sync reads and writes (None: cannot tell, so sync for real).

    The sources messages are extracted from (articles, newsletter issues, templates and
    babel.cfg), every ``.po``/``.pot``, the compiled files and the settings; pubflow's code
    is checked by the state file itself. An unchanged tree costs a ``stat`` per file.
    """
    from pubflow.i18n.extract import extract_article_messages, extract_newsletter_messages

    if content_extractors() != [extract_article_messages, extract_newsletter_messages]:
        return None  # a plug-in extractor reads files we do not know about
    sources = digest(
        "sources",
        settings_fingerprint(settings),
        hashes.tree(settings.articles_path),
        hashes.tree(settings.newsletters_path),
        hashes.tree(settings.templates_path),
        hashes.sha256(settings.root / "babel.cfg"),
    )
    catalogs = hashes.tree(settings.locales_path, (".po", ".pot"))
    return _with_compiled(settings, hashes, sources, catalogs, chosen, compile)


def _with_compiled(
    settings: Settings,
    hashes: FileHashes,
    sources: str,
    catalogs: dict[str, str],
    chosen: list[str],
    compile: bool,
    known: tuple[dict[str, str], Iterable[str]] | None = None,
) -> _InputKeys:
    """:func:`_inputs_key` from the hashed sources and catalogs, hashing the compiled files.

    ``known``: the compiled files as hashed earlier, and the locales whose compiled files
    changed since (only their folders are hashed again).
    """
    if not compile:
        compiled: dict[str, str] = {}
    elif known is None:
        compiled = hashes.tree(settings.compiled_locales_path)
    else:
        earlier, changed = known
        redo = set(changed)
        compiled = {name: sha for name, sha in earlier.items() if name.split("/", 1)[0] not in redo}
        for locale in sorted(redo):
            tree = hashes.tree(settings.compiled_locales_path / locale)
            compiled.update({f"{locale}/{name}": sha for name, sha in tree.items()})
    pots = {name: sha for name, sha in catalogs.items() if "/" not in name and name.endswith(".pot")}
    per_locale: dict[str, dict[str, str]] = {locale: {} for locale in chosen}
    for kind, tree in (("po", catalogs), ("compiled", compiled)):
        for name, sha in tree.items():
            locale = name.split("/", 1)[0]
            if locale in per_locale and "/" in name:
                per_locale[locale][f"{kind}/{name}"] = sha
    return _InputKeys(
        digest("sync", sources, chosen, compile, catalogs, compiled),
        sources,
        pots,
        {locale: digest(files) for locale, files in per_locale.items()},
        catalogs,
        compiled,
    )


def _unchanged_locales(
    settings: Settings,
    keys: _InputKeys | None,
    previous: dict[str, Any],
    chosen: list[str],
    compile: bool,
) -> dict[str, _LocaleOutcome]:
    """Locales a sync can skip, with the outcome the last one recorded for each.

    Only when the last sync was of the same locales and compile flag, no message source and
    no template changed since, and its report can be replayed: then a locale whose catalogs
    and compiled files are unchanged too would merge and compile to exactly what it has.
    """
    if (
        keys is None
        or previous.get("sources") != keys.sources
        or previous.get("pots") != keys.pots
        or previous.get("chosen") != chosen
        or previous.get("compile") is not compile
        or not isinstance(previous.get("locales"), dict)
    ):
        return {}
    same = [locale for locale in chosen if previous["locales"].get(locale) == keys.locales.get(locale)]
    data = previous.get("report")
    replayed = _replay(settings, data, compile) if same else None
    if replayed is None:
        return {}
    assert isinstance(data, dict)  # _replay checked it
    owners = data.get("diagnostic_locales") if compile else []
    diagnostics = replayed.compiled.diagnostics if compile else []
    if not isinstance(owners, list) or len(owners) != len(diagnostics):
        return {}
    from pubflow.i18n.diagnostics import CompileReport

    found: dict[str, _LocaleOutcome] = {}
    for locale in same:
        outcome = _LocaleOutcome([u for u in replayed.catalogs if u.locale == locale], {})
        if compile:
            outcome.compiled = CompileReport(
                [r for r in replayed.compiled.results if r.locale == locale],
                [d for d, owner in zip(diagnostics, owners, strict=True) if owner == locale],
            )
        found[locale] = outcome
    return found


def _vouch_for_replayed(sources: Mapping[str, str | None], unchanged: dict[str, _LocaleOutcome]) -> None:
    """Give each replayed compile result the SHA-256 of the catalog it stands for.

    A locale is replayed only when its catalogs and compiled files hash as the last sync left
    them, so each result's source is the file's current bytes: with these hashes the site and
    newsletter builds that follow in this process trust the replayed results as they trust the
    catalogs compiled now (:func:`~pubflow.render.catalog_inputs.remember_full_compile`).
    """
    from pubflow.render.catalog_inputs import ALL_LOCALES

    # ``sources``: catalog_sources's keys, as remember_full_compile checks them:
    # "<lang>/<domain>", "*/<domain>" (template).
    for outcome in unchanged.values():
        if outcome.compiled is None:
            continue
        outcome.compiled.results = [
            dataclasses.replace(
                result,
                source_sha256=sources.get(f"{result.locale}/{result.domain}")
                or sources.get(f"{ALL_LOCALES}/{result.domain}"),
            )
            if result.source_sha256 is None
            else result
            for result in outcome.compiled.results
        ]


def _current_templates(settings: Settings, keys: _InputKeys | None, previous: dict[str, Any]) -> Templates:
    """The templates: extracted, or — when no source changed since the last settled sync and
    its ``.pot`` files are as it left them — the paths of those files, to read back when a
    merge needs one (a translator's save changes no template, and extraction costs more)."""
    recorded = previous.get("pots")
    if keys is not None and previous.get("sources") == keys.sources and recorded == keys.pots and recorded:
        # Their hashes are the recorded ones, so they parse as they did: each is parsed only
        # when a catalog of its domain needs a merge (one save: one template of 100+).
        paths = {name.removesuffix(".pot"): settings.locales_path / name for name in sorted(recorded)}
        return Templates(paths, set(paths))  # type: ignore[arg-type]
    return extract_messages(settings, workers=settings.workers)


def _report_data(report: SyncReport) -> dict[str, Any]:
    from pubflow.i18n.diagnostics import diagnostic_to_dict

    data: dict[str, Any] = {
        "orphaned": report.orphaned,
        "templates": sorted(report.templates),
        "catalogs": [[u.locale, u.domain, u.total] for u in report.catalogs],
    }
    if report.compiled is not None:
        data["compiled"] = [
            [r.locale, r.domain, r.status, {state.value: n for state, n in r.counts.items()}]
            for r in report.compiled.results
            if r.status != "removed"
        ]
        data["diagnostics"] = [diagnostic_to_dict(d) for d in report.compiled.diagnostics]
        data["diagnostic_locales"] = list(report.diagnostic_locales)
    return data


def _replay(settings: Settings, data: object, compile: bool) -> SyncReport | None:
    """The report of a sync that found nothing to do, from the last one's (None: unusable)."""
    from pubflow.i18n.diagnostics import CatalogResult, CompileReport, diagnostic_from_dict
    from pubflow.i18n.states import State

    if not isinstance(data, dict) or (compile and "compiled" not in data):
        return None
    try:
        report = SyncReport(
            templates={str(domain): False for domain in data["templates"]},
            orphaned=[str(domain) for domain in data["orphaned"]],
        )
        base = settings.locales_path
        for locale, domain, total in data["catalogs"]:
            report.catalogs.append(
                CatalogUpdate(
                    locale,
                    domain,
                    po_path_in(base, locale, domain),
                    added=0,
                    fuzzy=0,
                    obsoleted=0,
                    revived=0,
                    unchanged=int(total),
                    total=int(total),
                    created=False,
                    written=False,
                )
            )
        if compile:
            states = {state.value: state for state in State}  # State(name) is slower x 5,000
            report.compiled = CompileReport(
                results=[
                    CatalogResult(
                        locale,
                        domain,
                        "unchanged" if status == "compiled" else status,
                        {states[name]: int(n) for name, n in counts.items()},
                    )
                    for locale, domain, status, counts in data["compiled"]
                ],
                diagnostics=[diagnostic_from_dict(item) for item in data["diagnostics"]],
            )
        else:
            report.compile_skipped = "not requested"
    except (KeyError, TypeError, ValueError, PubflowError):
        return None  # a damaged state: sync for real
    return report


def _record_inputs(
    settings: Settings,
    state_file: Path,
    hashes: FileHashes,
    before: _InputKeys | None,
    worked_on: list[str],
    chosen: list[str],
    compile: bool,
    report: SyncReport,
    previous: dict[str, Any],
) -> None:
    """Save what this sync worked from and left on disk, so the next one can tell that
    nothing changed.

    Only after a sync that wrote no catalog and no template: the catalogs it wrote are not
    settled yet (``catalog-sync.json``), and the next sync must settle them, or one changed
    file later would mean merging every catalog again. So the sources and catalogs are as
    they were hashed ``before`` the work (when they were): a catalog a translator saved
    meanwhile then differs from the record, and the next sync merges and compiles it. Only
    the compiled files of the locales ``worked_on``, this sync's own output, are hashed again.
    """
    if report.written or any(report.templates.values()) or report.failed:
        return  # (a catalog that failed is tried again by the next sync)
    saved_at = now_ns()
    records = hashes.records(saved_at)
    after = FileHashes(settings.root, records)  # re-reads only what changed
    if before is not None:
        keys: _InputKeys | None = _with_compiled(
            settings, after, before.sources, before.catalogs, chosen, compile,
            known=(before.compiled, worked_on),
        )
    else:
        keys = _inputs_key(settings, after, chosen, compile)
    if keys is None:
        return
    # The compiled folders hashed again replace their records from before; the sources' and
    # catalogs' records stand (so the next sync knows them by their stat).
    records.update(after.records(now_ns()))
    try:
        write_state(
            state_file,
            "sync",
            {
                "key": keys.whole,
                "sources": keys.sources,
                "pots": keys.pots,
                "locales": keys.locales,
                "chosen": chosen,
                "compile": compile,
                "hashes": records,
                "report": _report_data(report),
            },
            previous,
        )
    except OSError:
        pass  # only a shortcut: the next sync does the work again


def init_catalog(
    settings: Settings,
    locale: str,
    domains: Iterable[str] | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
) -> list[Path]:
    """Create the catalogs of a new language from the current templates; returns their paths.

    ``domains`` defaults to every domain (templates are extracted and written first). Refuses
    with CatalogError, before writing anything, if any of the catalogs already exists.
    """
    validate_locale(locale)
    if locale == settings.source_locale:
        raise CatalogError(
            f"{locale} is the source language: it needs no catalogs",
            hint="initialise a target language instead",
        )
    templates = extract_messages(settings)
    if templates.unreadable:
        raise templates.unreadable[0]  # a new language starts with every domain, or not at all
    write_templates(settings, templates)
    wanted = sorted(templates) if domains is None else list(domains)
    unknown = [domain for domain in wanted if domain not in templates]
    if unknown:
        raise CatalogError(
            f"no template for domain {unknown[0]!r}",
            path=settings.locales_path,
            hint=f"known domains: {', '.join(sorted(templates)) or '(none)'}",
        )
    paths = [po_path(settings, locale, domain) for domain in wanted]
    existing = [path for path in paths if path.exists()]
    if existing:
        raise CatalogError(
            f"a catalog for {locale} already exists"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""),
            path=existing[0],
            hint=_existing_hint(settings, locale),
        )
    created: list[Path] = []
    for domain, path in zip(wanted, paths, strict=True):
        with catalog_lock(path, timeout=lock_timeout):
            if path.exists():  # created by another run since we looked
                raise CatalogError(
                    f"a catalog for {locale} already exists",
                    path=path,
                    hint=_existing_hint(settings, locale),
                )
            merged = merge_catalog(new_catalog(locale, domain), templates[domain], locale).catalog
            write_catalog(merged, path)
        created.append(path)
    return created


def _existing_hint(settings: Settings, locale: str) -> str:
    """What to do about catalogs that already exist: update them (a configured language), or
    first configure the language (`catalogs update` refuses one that is not)."""
    if locale in settings.locales:
        return f"use `pubflow catalogs update --locale {locale}` to bring it up to date"
    return (
        f"add {locale!r} to `locales` in [tool.pubflow] of pyproject.toml, then run "
        f"`pubflow catalogs update --locale {locale}` to bring it up to date"
    )


__all__ = [
    "CatalogUpdate",
    "SyncReport",
    "init_catalog",
    "new_catalog",
    "sync_catalogs",
    "target_locales",
]
