"""The compiled catalogs a site or newsletter build reads: compile what changed, fingerprint the rest.

:func:`compile_if_changed` stands in for :func:`~pubflow.i18n.compile.ensure_compiled` in the
renderers. Compiling first reads and hashes every ``.po`` it covers (1,000+ on a large site),
so a rebuild with nothing new would spend most of its time there. Instead, the build records
what compiling read (the ``.po``/``.pot`` files, by content hash) and what it left
(:func:`compiled_fingerprints`), and next time

* calls nothing when both are unchanged (the recorded error diagnostics are replayed);
* compiles only the catalogs whose source or output changed, when no catalog file appeared
  or disappeared (one translator's save: one ``.po`` compiled, not a thousand);
* compiles everything as before otherwise (first build, new or removed catalogs, another
  pubflow, a diagnostic it cannot attribute to one catalog).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pubflow import buildview
from pubflow.config import Settings
from pubflow.fingerprint import FileHashes, digest, digest_files, settings_fingerprint
from pubflow.fsutil import validate_slug
from pubflow.i18n.diagnostics import (
    CatalogResult,
    CompileReport,
    Diagnostic,
    diagnostic_from_dict,
    diagnostic_to_dict,
)
from pubflow.i18n.pofile import po_path, pot_path
from pubflow.i18n.runtime import compiled_paths


def ensure_compiled(
    settings: Settings, locales: Iterable[str] | None = None, domains: Iterable[str] | None = None
) -> CompileReport:
    """:func:`pubflow.i18n.compile.ensure_compiled`, imported only when something compiles:
    the checkers it loads are ~20 ms of a build that finds every catalog up to date."""
    from pubflow.i18n.compile import ensure_compiled as compile_what_changed

    buildview.forget()  # compiled files may change: later stages check them themselves
    return compile_what_changed(settings, locales, domains)


TARGETED_LIMIT = 64
"""More changed catalogs than this: one full compile (cheaper than that many small calls)."""

ALL_LOCALES = "*"
"""Locale part of a template's key (``*/<domain>``): its change concerns every locale."""


@dataclass
class CatalogInputs:
    """What a build needs to know of the compiled catalogs, after compiling what changed."""

    compiled: dict[str, str]  # "<lang>/<domain>" → fingerprint of its compiled files
    errors: list[Diagnostic]  # error-level diagnostics of every catalog (file:line)
    failed: list[tuple[str, str]]  # (locale, domain) of catalogs that cannot be read at all
    record: dict[str, Any]  # what to save for the next build
    compiled_now: list[tuple[str, str]] | None = field(default=None)
    """Catalogs compiled by this call; ``[]``: none; None: all of them (a full compile)."""

    @property
    def skipped(self) -> bool:
        """True when nothing needed compiling."""
        return self.compiled_now == []

    def locale_keys(self) -> dict[str, str]:
        """Locale → hash of its compiled files (what its pages read); absent: no files."""
        return locale_keys(self.compiled)

    def report(self) -> CompileReport:
        """A :class:`CompileReport` of the failed catalogs and the error diagnostics."""
        return CompileReport(
            results=[CatalogResult(locale, domain, "failed") for locale, domain in self.failed],
            diagnostics=list(self.errors),
        )


def locale_keys(compiled: Mapping[str, str]) -> dict[str, str]:
    """Locale → hash of the compiled fingerprints (``<lang>/<domain>`` → …) given of it."""
    by_locale: dict[str, dict[str, str]] = {}
    for key, value in compiled.items():
        by_locale.setdefault(key.split("/", 1)[0], {})[key] = value
    return {locale: digest_files(files) for locale, files in by_locale.items()}


def catalog_sources(
    settings: Settings, hashes: FileHashes, domains: Sequence[str] | None
) -> tuple[dict[str, str | None], dict[str, str]]:
    """What compiling reads, by key (``<lang>/<domain>``, ``*/<domain>`` for a template).

    Returns key → SHA-256 (None: missing) and key → absolute path. With ``domains=None`` every
    ``.po``/``.pot`` under ``locales/`` counts; a file of another shape gets a ``?/`` key.
    """
    if domains is None:
        return sources_of_tree(settings, hashes.tree(settings.locales_path, CATALOG_SUFFIXES))
    hashes_by_key: dict[str, str | None] = {}
    paths: dict[str, str] = {}
    names = sorted({validate_slug(domain, where="domain") for domain in domains})
    if not names:
        return hashes_by_key, paths
    # Paths built from strings (thousands per build); the folders come from pofile itself.
    folder = os.fspath(pot_path(settings, names[0]).parent)
    for name in names:
        paths[f"{ALL_LOCALES}/{name}"] = os.path.join(folder, f"{name}.pot")
    shas = hashes.names(folder, [f"{name}.pot" for name in names])
    hashes_by_key.update({f"{ALL_LOCALES}/{name}": shas[f"{name}.pot"] for name in names})
    for locale in settings.all_locales:
        if locale == settings.source_locale:
            continue
        folder = os.fspath(po_path(settings, locale, names[0]).parent)
        shas = hashes.names(folder, [f"{name}.po" for name in names])
        for name in names:
            hashes_by_key[f"{locale}/{name}"] = shas[f"{name}.po"]
            paths[f"{locale}/{name}"] = os.path.join(folder, f"{name}.po")
    return hashes_by_key, paths


CATALOG_SUFFIXES = (".po", ".pot")
"""What :func:`catalog_sources` hashes under ``locales/`` (``FileHashes.tree``'s suffixes)."""


def sources_of_tree(
    settings: Settings, tree: Mapping[str, str], *, with_paths: bool = True
) -> tuple[dict[str, str | None], dict[str, str]]:
    """:func:`catalog_sources` of every domain from ``FileHashes.tree(locales/, CATALOG_SUFFIXES)``
    (without ``with_paths``, the paths are left empty)."""
    base = os.path.join(os.fspath(settings.locales_path), "")
    hashes_by_key: dict[str, str | None] = {}
    paths: dict[str, str] = {}
    for relative, sha in tree.items():
        locale, slash, rest = relative.partition("/")
        if not slash:
            key = f"{ALL_LOCALES}/{relative[: -len('.pot')]}" if relative.endswith(".pot") else f"?/{relative}"
        elif rest.startswith("LC_MESSAGES/") and rest.endswith(".po") and rest.count("/") == 1:
            key = f"{locale}/{rest[len('LC_MESSAGES/') : -len('.po')]}"
        else:
            key = f"?/{relative}"
        hashes_by_key[key] = sha
        if with_paths:
            paths[key] = base + relative
    return hashes_by_key, paths


def compiled_of_tree(settings: Settings, tree: Mapping[str, str]) -> dict[str, str]:
    """:func:`compiled_fingerprints` of every domain from ``FileHashes.tree`` of the compiled
    catalogs' folder (``build/locales/``): the same keys and values, read off the tree instead
    of listing and hashing the folders again."""
    sample = compiled_paths(settings, settings.source_locale, "messages")
    mo, machine, states = (path.name[len("messages") :] for path in sample.all())
    base = os.path.join(os.fspath(settings.compiled_locales_path), "")
    locale_of = {
        os.fspath(compiled_paths(settings, locale, "messages").mo.parent).removeprefix(base): locale
        for locale in settings.all_locales
    }
    # key → [SHA-256 of the states sidecar, has the .mo, has the machine .mo]
    parts: dict[str, list[Any]] = {}
    for relative, sha in tree.items():
        folder, _, name = relative.rpartition("/")
        locale = locale_of.get(folder)
        if locale is None or name.startswith("."):
            continue
        stem = name.split(".", 1)[0]
        found = parts.get(f"{locale}/{stem}")
        if found is None:
            found = parts[f"{locale}/{stem}"] = [None, False, False]
        suffix = name[len(stem) :]
        if suffix == states:
            found[0] = sha
        elif suffix == mo:
            found[1] = True
        elif suffix == machine:
            found[2] = True
    return {key: f"{sha}:{has_mo:d}{has_machine:d}" for key, (sha, has_mo, has_machine) in parts.items()}


def compiled_fingerprints(
    settings: Settings, hashes: FileHashes, domains: Sequence[str] | None
) -> dict[str, str]:
    """``<lang>/<domain>`` → the compile step's own fingerprint of that catalog's output.

    That is the SHA-256 of ``<domain>.states.json`` plus which of ``<domain>.mo`` and
    ``<domain>.machine.mo`` exist. The sidecar holds the hash of the ``.po`` (and of the
    compiling code) and is written after the ``.mo`` files, so the ``.mo`` bytes follow from
    it: hashing them too would triple the cost for nothing the compiler itself would notice.
    """
    sample = compiled_paths(settings, settings.source_locale, "messages")
    mo, machine, states = (path.name[len("messages") :] for path in sample.all())
    found: dict[str, str] = {}
    if domains is not None:
        # Only the sidecars are hashed; of the .mo files only whether they exist counts. For
        # a few domains a stat per file is cheaper than listing folders of thousands; for
        # many (every newsletter's articles: ~80) one listing per folder is.
        names = sorted({validate_slug(domain, where="domain") for domain in domains})
        files = [name + states for name in names]
        for locale in settings.all_locales:
            folder = os.fspath(compiled_paths(settings, locale, "messages").mo.parent)
            shas = hashes.names(folder, files)
            exists = _exists_in(folder, len(names) > _FEW_DOMAINS)
            for name in names:
                has_mo, has_machine = exists(name + mo), exists(name + machine)
                found[f"{locale}/{name}"] = f"{shas[name + states]}:{has_mo:d}{has_machine:d}"
        return found
    for locale in settings.all_locales:
        folder = os.fspath(compiled_paths(settings, locale, "messages").mo.parent)
        try:
            present = set(os.listdir(folder))
        except OSError:
            continue  # nothing compiled for this locale (or unreadable: its reader will say)
        every = sorted({name.split(".", 1)[0] for name in present if not name.startswith(".")})
        shas = hashes.names(folder, [name + states for name in every if name + states in present])
        for name in every:
            found[f"{locale}/{name}"] = (
                f"{shas.get(name + states)}:{name + mo in present:d}{name + machine in present:d}"
            )
    return found


_FEW_DOMAINS = 8
"""Up to this many domains, :func:`compiled_fingerprints` stats files instead of listing folders."""


def _exists_in(folder: str, listing: bool) -> Callable[[str], bool]:
    """Whether a regular file of a given name is in ``folder``: by one listing or a stat each."""
    if not listing:
        prefix = os.path.join(folder, "")
        return lambda name: os.path.isfile(prefix + name)
    try:
        with os.scandir(folder) as entries:
            present = {entry.name for entry in entries if entry.is_file()}
    except OSError:
        present = set()  # nothing compiled here (or unreadable: its reader will say)
    return present.__contains__


def compile_if_changed(
    settings: Settings,
    hashes: FileHashes,
    recorded: object,
    *,
    domains: Sequence[str] | None = None,
    before_compile: Callable[[], object] | None = None,
    settings_key: str | None = None,
) -> CatalogInputs:
    """Compile what changed since ``recorded`` (see the module doc); ``domains``: only those.

    The sources are hashed *before* compiling (a ``.po`` saved meanwhile then differs next
    time), the compiled files after. ``before_compile`` runs first when anything compiles.
    """
    settings_key = settings_key or settings_fingerprint(settings)
    scope = digest(settings_key, domains)
    own = _usable(recorded, scope)

    def unchanged(
        sources: dict[str, str | None], compiled: dict[str, str]
    ) -> tuple[CatalogInputs | None, dict[str, Any] | None]:
        """Inputs with nothing to compile, if this build's own record or one proven earlier in
        this process (a sync that just compiled what a translator saved) matches every file;
        else None and the record to compile from."""

        def matches(record: dict[str, Any] | None) -> bool:
            return record is not None and record["sources"] == sources and record["compiled"] == compiled

        old = own if matches(own) else _proven(settings, settings_key, domains)
        if old is None or not matches(old):
            return None, own or old
        found = CatalogInputs(
            compiled,
            _errors(settings, old["errors"]),
            [_pair(key) for key in old["failed"]],
            dict(old),
            compiled_now=[],
        )
        return found, old

    # In a publish run the sync's check of every file stands for this one (pubflow.buildview).
    view = buildview.current(settings_key)
    if view is not None:
        found, _ = unchanged(*_for_domains(settings, view.sources, view.compiled, domains))
        if found is not None:
            return found
    sources, paths = catalog_sources(settings, hashes, domains)
    compiled = compiled_fingerprints(settings, hashes, domains)
    found, old = unchanged(sources, compiled)
    if found is not None:
        return found
    if before_compile is not None:
        before_compile()
    targets = _changed(settings, old, sources, compiled) if old is not None else None
    owners = _owners(settings, paths)
    errors: dict[str, list[dict[str, Any]]] = {}
    failed: set[str] = set()
    if old is not None and targets is not None:
        errors = {key: list(found) for key, found in old["errors"].items()}
        failed = set(old["failed"])
        for locale, domain in targets:
            report = ensure_compiled(
                settings, None if locale == ALL_LOCALES else [locale], domains=[domain]
            )
            touched = {f"{r.locale}/{r.domain}" for r in report.results}
            touched.add(f"{locale}/{domain}")
            attributed = _attribute(report.diagnostics, owners)
            if attributed is None:
                targets = None  # cannot tell whose errors these are: compile everything
                break
            for key in touched:
                errors.pop(key, None)
                failed.discard(key)
            for key, found in attributed.items():
                errors.setdefault(key, []).extend(found)
            failed.update(f"{r.locale}/{r.domain}" for r in report.failed)
    if targets is None:
        report = ensure_compiled(settings, domains=domains)
        attributed = _attribute(report.diagnostics, owners)
        errors = attributed if attributed is not None else {"?": _dicts(report.diagnostics)}
        failed = {f"{r.locale}/{r.domain}" for r in report.failed}
    compiled = compiled_fingerprints(settings, hashes, domains)
    record = {
        "scope": scope,
        "sources": sources,
        "compiled": compiled,
        "errors": {key: found for key, found in errors.items() if found},
        "failed": sorted(failed),
        # Errors that belong to no single catalog: next time, compile everything again.
        "targeted": "?" not in errors,
    }
    _remember(record)
    return CatalogInputs(
        compiled,
        _errors(settings, record["errors"]),
        [_pair(key) for key in record["failed"]],
        record,
        compiled_now=None if targets is None else list(targets),
    )


# Compile records proven in this process, by scope: the catalogs a sync compiled a moment ago
# (remember_full_compile) or a site build checked. The next stage of the same build (site after
# sync, newsletters after the site) then trusts them as it would its own state file (each
# source and compiled file is still compared by hash) instead of reading 1,000+ catalogs again.
_PROVEN: dict[str, dict[str, Any]] = {}
_PROVEN_LIMIT = 32


def _remember(record: dict[str, Any]) -> None:
    _PROVEN.pop(record["scope"], None)
    if len(_PROVEN) >= _PROVEN_LIMIT:
        del _PROVEN[next(iter(_PROVEN))]
    _PROVEN[record["scope"]] = record


def _proven(
    settings: Settings, settings_key: str, domains: Sequence[str] | None
) -> dict[str, Any] | None:
    """A record proven in this process for these settings and domains (see :data:`_PROVEN`).

    A build of a few domains (a newsletter issue) can use one of every domain: its part for
    those domains is what a compile of just them would have recorded.
    """
    scope = digest(settings_key, domains)
    found = _usable(_PROVEN.get(scope), scope)
    if found is not None or domains is None:
        return found
    every = _usable(_PROVEN.get(digest(settings_key, None)), digest(settings_key, None))
    if every is None:
        return None
    names = {validate_slug(domain, where="domain") for domain in domains}

    def mine(key: str) -> bool:
        return key.split("/", 1)[-1] in names

    sources, compiled = _for_domains(settings, every["sources"], every["compiled"], domains)
    return {
        "scope": scope,
        "sources": sources,
        "compiled": compiled,
        "errors": {key: found for key, found in every["errors"].items() if mine(key)},
        "failed": [key for key in every["failed"] if mine(key)],
        "targeted": every.get("targeted", False),
    }


def _for_domains(
    settings: Settings,
    sources: dict[str, str | None],
    compiled: dict[str, str],
    domains: Sequence[str] | None,
) -> tuple[dict[str, str | None], dict[str, str]]:
    """What :func:`catalog_sources` and :func:`compiled_fingerprints` give for ``domains``,
    from what they gave for every domain (``domains=None``: those as they are)."""
    if domains is None:
        return sources, compiled
    names = sorted({validate_slug(domain, where="domain") for domain in domains})
    # Every key they give for these domains, a missing file included (None), where the ones
    # of every domain list existing files only.
    targets = [locale for locale in settings.all_locales if locale != settings.source_locale]
    source_keys = [f"{locale}/{name}" for locale in [ALL_LOCALES, *targets] for name in names]
    compiled_keys = [f"{locale}/{name}" for locale in settings.all_locales for name in names]
    return (
        {key: sources.get(key) for key in source_keys},
        {key: compiled.get(key, f"{None}:00") for key in compiled_keys},
    )


def remember_full_compile(
    settings: Settings,
    hashes: FileHashes,
    report: CompileReport,
    *,
    settings_key: str | None = None,
    catalogs: tuple[dict[str, str | None], dict[str, str]] | None = None,
    compiled_now: dict[str, str] | None = None,
) -> bool:
    """Let later builds in this process trust ``report``, a compile of every catalog of every
    target locale (what a sync does), as if they had compiled it themselves.

    Only when each catalog's file still holds the bytes the compile read and every error names
    its catalog; returns whether it was remembered. ``catalogs``: what
    ``catalog_sources(settings, hashes, None)`` gave after the compile, if the caller has it;
    ``compiled_now``: the same of ``compiled_fingerprints``.
    """
    sources, paths = catalogs if catalogs is not None else catalog_sources(settings, hashes, None)
    results = {
        f"{r.locale}/{r.domain}": r for r in report.results if r.status != "removed"
    }
    wanted = [locale for locale in settings.all_locales if locale != settings.source_locale]
    for key in sources:
        locale, _, domain = key.partition("/")
        if locale == "?":
            return False
        if locale == ALL_LOCALES:
            # A template is read for every locale without a catalog of its domain.
            covered = [f"{other}/{domain}" for other in wanted if f"{other}/{domain}" not in sources]
        else:
            covered = [key] if locale in wanted else []
        for name in covered:
            result = results.get(name)
            if result is None or result.status == "failed" or result.source_sha256 != sources[key]:
                return False  # not compiled here, unreadable, or saved again since
    errors = _attribute(report.diagnostics, _owners(settings, paths))
    if errors is None:
        return False
    _remember({
        "scope": digest(settings_key or settings_fingerprint(settings), None),
        "sources": sources,
        "compiled": (
            compiled_now if compiled_now is not None else compiled_fingerprints(settings, hashes, None)
        ),
        "errors": {key: found for key, found in errors.items() if found},
        "failed": [],
        "targeted": True,
    })
    return True


def _usable(recorded: object, scope: str) -> dict[str, Any] | None:
    """The recorded compile, if it is for the same settings, domains and in good shape."""
    if not isinstance(recorded, dict) or recorded.get("scope") != scope:
        return None
    if not all(isinstance(recorded.get(name), dict) for name in ("sources", "compiled", "errors")):
        return None
    if not isinstance(recorded.get("failed"), list):
        return None
    return recorded


def _changed(
    settings: Settings,
    old: Mapping[str, Any],
    sources: Mapping[str, str | None],
    compiled: Mapping[str, str],
) -> list[tuple[str, str]] | None:
    """The catalogs to compile again, or None when only a full compile will do.

    Keys of locales that are not configured targets are left out, as a full compile does.
    """
    previous_sources: Mapping[str, Any] = old["sources"]
    previous_compiled: Mapping[str, Any] = old["compiled"]
    if not old.get("targeted") or previous_sources.keys() != sources.keys():
        return None  # a catalog or template appeared or went: domains and orphans change
    keys = {key for key in sources if sources[key] != previous_sources[key]}
    keys |= {
        key
        for key in compiled.keys() | previous_compiled.keys()
        if compiled.get(key) != previous_compiled.get(key)
    }
    if any(key.startswith("?/") for key in keys) or len(keys) > TARGETED_LIMIT:
        return None
    wanted = {locale for locale in settings.all_locales if locale != settings.source_locale}
    pairs = [_pair(key) for key in sorted(keys)]
    return [(locale, domain) for locale, domain in pairs if locale == ALL_LOCALES or locale in wanted]


def _pair(key: str) -> tuple[str, str]:
    locale, domain = key.split("/", 1)
    return locale, domain


def _owners(settings: Settings, paths: Mapping[str, str]) -> dict[str, str]:
    """Catalog path (absolute, and as shown relative to the root) → its key."""
    root = os.fspath(settings.root).rstrip(os.sep) + os.sep
    owners: dict[str, str] = {}
    for key, path in paths.items():
        owners[path] = key
        if path.startswith(root):
            owners[path[len(root) :]] = key
    return owners


def _attribute(
    diagnostics: Sequence[Diagnostic], owners: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]] | None:
    """Error diagnostics by the catalog (key) their path names; None if one names none."""
    found: dict[str, list[dict[str, Any]]] = {}
    for diagnostic in diagnostics:
        if not diagnostic.is_error:
            continue
        key = owners.get(os.fspath(diagnostic.path)) if diagnostic.path is not None else None
        if key is None:
            return None
        found.setdefault(key, []).append(diagnostic_to_dict(diagnostic))
    return found


def _dicts(diagnostics: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    return [diagnostic_to_dict(d) for d in diagnostics if d.is_error]


def _errors(settings: Settings, by_key: Mapping[str, Any]) -> list[Diagnostic]:
    """Every recorded error, in the order a full compile reports them (locale, then domain)."""
    order = {locale: index for index, locale in enumerate(settings.all_locales)}

    def position(key: str) -> tuple[int, str]:
        locale, _, domain = key.partition("/")
        return order.get(locale, len(order)), domain

    return [diagnostic_from_dict(item) for key in sorted(by_key, key=position) for item in by_key[key]]
