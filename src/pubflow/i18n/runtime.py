"""Runtime lookups for the renderers: what text to show for a msgid, and in which state.

Reads only the compiled files written by :mod:`pubflow.i18n.compile` (never a ``.po``):
``<domain>.mo`` (reviewed, valid), ``<domain>.machine.mo`` (valid machine suggestions) and
``<domain>.states.json`` (which msgids are machine, stale or invalid, and per-state counts).

Publishing rules, one per state of the entry in the catalog:

=========  =========================  ==========================================================
catalog    policy ``reviewed``        policy ``machine``
=========  =========================  ==========================================================
reviewed   translation, REVIEWED      translation, REVIEWED
machine    source text, **MISSING**   translation, MACHINE (the page shows a machine notice)
stale      source text, STALE         source text, STALE (the page may say "being updated")
invalid    source text, INVALID       source text, INVALID
missing    source text, MISSING       source text, MISSING
=========  =========================  ==========================================================

So :attr:`Lookup.state` describes the text *as published*: MACHINE only ever comes with machine
text on the page, and a suggestion that the policy hides reads as MISSING (the reader sees the
source exactly as for an untranslated string). Counts of the catalog's own states come from
:meth:`Translations.state_counts`. Whenever the source text is shown, :attr:`Lookup.lang` is the
source locale (for ``lang`` attributes) and :attr:`Lookup.fallback` is True.

Loaded translations are cached per process and reloaded when a compiled file changes on disk, so
rendering 1,000+ pages costs one ``stat`` per file per call, not a parse.
"""

from __future__ import annotations

import functools
import gettext
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple, get_args

import orjson

from pubflow.config import PublishPolicy, Settings
from pubflow.errors import CatalogError, ConfigError
from pubflow.fingerprint import Stamp, WrittenFile, is_racy, stamp
from pubflow.fsutil import validate_slug
from pubflow.i18n.mo import read_mo
from pubflow.i18n.states import State
from pubflow.locales import plural_forms_header, validate_locale

CONTEXT_SEPARATOR = "\x04"
"""gettext joins msgctxt and msgid with EOT in .mo keys."""


class Lookup(NamedTuple):
    """The text to show for one message, the state it is in, and the locale of that text.

    A named tuple, not a frozen dataclass: a site build makes one per content string shown
    (~50,000), and a frozen dataclass costs about three times as much to create."""

    text: str
    state: State
    lang: str

    @property
    def fallback(self) -> bool:
        """True when the source text is shown instead of a translation."""
        return self.state not in (State.REVIEWED, State.MACHINE)

    def __str__(self) -> str:
        return self.text


def message_key(msgid: str, context: str | None = None) -> str:
    """The key of a message in a .mo file and in the states sidecar (``ctxt\\x04msgid``)."""
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


def compiled_paths(settings: Settings, locale: str, domain: str) -> CompiledPaths:
    """Where the compiled files of one catalog live (ConfigError for a malformed domain)."""
    return _compiled_paths(settings.compiled_locales_path, locale, domain)


# A build asks for the same few thousand catalogs' paths in every stage; pathlib joins cost
# more than the lookups that use them.
@functools.lru_cache(maxsize=16384)
def _compiled_paths(base: Path, locale: str, domain: str) -> CompiledPaths:
    domain = validate_slug(domain, where="domain")
    folder = base / locale / "LC_MESSAGES"
    return CompiledPaths(
        mo=folder / f"{domain}.mo",
        machine_mo=folder / f"{domain}.machine.mo",
        states=folder / f"{domain}.states.json",
    )


@dataclass(frozen=True)
class CompiledPaths:
    """The three compiled files of one locale + domain."""

    mo: Path
    machine_mo: Path
    states: Path

    def all(self) -> tuple[Path, Path, Path]:
        return (self.mo, self.machine_mo, self.states)


@functools.lru_cache(maxsize=256)
def _plural_rule(header: str) -> Callable[[int], int]:
    """The plural-index function of a ``Plural-Forms`` header value (ValueError if unusable).

    Remembered: every catalog of a locale has the same rule, and compiling it again for each
    of 1,000+ catalogs (what ``GNUTranslations`` does) was a tenth of a site build."""
    _, found, expression = header.partition("plural=")
    if not found:
        raise ValueError(f"no plural= in Plural-Forms {header!r}")
    rule = gettext.c2py(expression.strip().rstrip(";"))
    _RULE_HEADERS[rule] = header
    return rule


# Plural rule → the Plural-Forms header it was made from (what Translations.shown_digest says
# of a rule: its behaviour on small counts alone could miss a difference at large ones).
_RULE_HEADERS: dict[Callable[[int], int], str] = {}


@dataclass
class Translations:
    """Lookups for one locale and one domain under one publish policy."""

    locale: str
    domain: str
    policy: PublishPolicy
    source_locale: str
    _reviewed: dict[object, str] = field(default_factory=dict, repr=False)
    _machine: dict[object, str] = field(default_factory=dict, repr=False)
    _stale_keys: frozenset[str] = field(default_factory=frozenset, repr=False)
    _invalid_keys: frozenset[str] = field(default_factory=frozenset, repr=False)
    _counts: dict[State, int] = field(default_factory=dict, repr=False)
    _plural: Callable[[int], int] = field(default=lambda n: int(n != 1), repr=False)
    _source_plural: Callable[[int], int] = field(default=lambda n: int(n != 1), repr=False)

    @property
    def is_source(self) -> bool:
        """True for the source locale: every lookup is the (reviewed) source text."""
        return self.locale == self.source_locale

    def gettext(self, msgid: str, *, context: str | None = None) -> Lookup:
        """The text to show for ``msgid`` (in ``context``), see the module's table."""
        if self.is_source:
            return Lookup(msgid, State.REVIEWED, self.locale)
        key = message_key(msgid, context)
        text = self._reviewed.get(key)
        if text is not None:
            return Lookup(text, State.REVIEWED, self.locale)
        if self.policy == "machine":
            text = self._machine.get(key)
            if text is not None:
                return Lookup(text, State.MACHINE, self.locale)
        return Lookup(msgid, self._fallback_state(key), self.source_locale)

    def ngettext(
        self, singular: str, plural: str, n: int, *, context: str | None = None
    ) -> Lookup:
        """The form for count ``n``; untranslated messages use the source language's rule."""
        if not self.is_source:
            key = message_key(singular, context)
            index = self._plural(n)
            text = self._reviewed.get((key, index))
            if text is not None:
                return Lookup(text, State.REVIEWED, self.locale)
            if self.policy == "machine":
                text = self._machine.get((key, index))
                if text is not None:
                    return Lookup(text, State.MACHINE, self.locale)
            state = self._fallback_state(key)
        else:
            state = State.REVIEWED
        text = singular if self._source_plural(n) == 0 else plural
        return Lookup(text, state, self.source_locale)

    def shown_digest(self, keys: Iterable[tuple[str, str | None, bool]]) -> str:
        """A hash of what lookups of ``keys`` — (msgid, context, plural) — show: the same for
        two catalogs exactly when every one of those messages looks up the same in both.

        A build that recorded which messages it looked up compares this instead of the whole
        catalog: a save that changed other messages leaves what it built as it is."""
        hasher = hashlib.sha256()
        for msgid, context, plural in sorted(keys, key=lookup_order):
            if not plural:
                found = self.gettext(msgid, context=context)
                shown: object = (found.text, found.state.value, found.lang)
            else:
                # Every form, and which form each count takes (the catalog's plural rule).
                forms = [self.ngettext(msgid, msgid, n, context=context) for n in range(_PLURAL_PROBES)]
                shown = [_RULE_HEADERS.get(self._plural), [(f.text, f.state.value, f.lang) for f in forms]]
            hasher.update(orjson.dumps([msgid, context, plural, shown]))
            hasher.update(b"\n")
        return hasher.hexdigest()

    def state_counts(self) -> dict[State, int]:
        """How many entries of the catalog are in each state (as compiled; every state listed)."""
        if self.is_source:
            return {state: 0 for state in State}
        return {state: self._counts.get(state, 0) for state in State}

    def _fallback_state(self, key: str) -> State:
        # A machine suggestion hidden by the "reviewed" policy reads as missing: see module doc.
        if key in self._stale_keys:
            return State.STALE
        if key in self._invalid_keys:
            return State.INVALID
        return State.MISSING


def lookup_order(key: tuple[str, str | None, bool]) -> tuple[str, str, bool]:
    """The order of looked-up messages (msgid, context, plural): msgid, then context, then plural."""
    return key[0], key[1] or "", key[2]


_PLURAL_PROBES = 201
"""Counts 0-200 tell apart every CLDR plural rule's forms (their cycles repeat within 100)."""


# Loading and caching ---------------------------------------------------------------------------

_POLICIES: tuple[str, ...] = get_args(PublishPolicy)
_cache: dict[tuple[object, ...], tuple[tuple[Path, ...], tuple[object, ...], Translations]] = {}
_cache_lock = threading.Lock()


def _signature(paths: Iterable[Path]) -> tuple[object, ...]:
    """Cheap identity of the compiled files: (mtime, size, inode) or None when absent."""
    result: list[object] = []
    for path in paths:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            result.append(None)
        else:
            result.append((info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(result)


def _read_mo(path: Path) -> tuple[dict[object, str], Callable[[int], int] | None]:
    """Messages and plural rule of a compiled .mo (empty when the file does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        raise _damaged(path, exc) from exc
    try:
        contents = read_mo(data)
        plural = _plural_rule(contents.plural_forms) if contents.plural_forms else None
    except ValueError as exc:  # UnicodeDecodeError included
        raise _damaged(path, exc) from exc
    return contents.messages, plural


def _damaged(path: Path, exc: Exception) -> CatalogError:
    return CatalogError(
        f"cannot read compiled catalog: {exc}",
        path=path,
        hint="delete the build/ folder and run `pubflow catalogs update` to recompile",
    )


def _read_states(path: Path) -> dict[str, object]:
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise CatalogError(
            f"cannot read compiled catalog states: {exc}",
            path=path,
            hint="delete the build/ folder and run `pubflow catalogs update` to recompile",
        ) from exc
    return data if isinstance(data, dict) else {}


def _load(
    paths: CompiledPaths, locale: str, domain: str, policy: PublishPolicy, source_locale: str
) -> Translations:
    reviewed, plural = _read_mo(paths.mo)
    machine: dict[object, str] = {}
    if policy == "machine":
        machine, machine_plural = _read_mo(paths.machine_mo)
        plural = plural or machine_plural
    states = _read_states(paths.states)
    counts = _counts_of(states)
    return Translations(
        locale=locale,
        domain=domain,
        policy=policy,
        source_locale=source_locale,
        _reviewed=reviewed,
        _machine=machine,
        _stale_keys=frozenset(states.get("stale", [])),  # type: ignore[arg-type]
        _invalid_keys=frozenset(states.get("invalid", [])),  # type: ignore[arg-type]
        _counts=counts,
        _plural=plural or _plural_rule(plural_forms_header(locale)),
        _source_plural=_plural_rule(plural_forms_header(source_locale)),
    )


def load_translations(
    settings: Settings,
    locale: str,
    domain: str,
    *,
    policy: Literal["reviewed", "machine"] | None = None,
) -> Translations:
    """Lookups for ``locale`` + ``domain`` from the compiled files (cached; see module doc).

    ``policy`` defaults to ``settings.publish_policy``. The source locale needs no compiled
    files: every lookup returns the source text as REVIEWED. A catalog that was never compiled
    (or could not be) gives source-text fallbacks (MISSING) for every message; call
    :func:`pubflow.i18n.compile.ensure_compiled` first.
    """
    chosen = policy or settings.publish_policy
    source = settings.source_locale
    # Cheap attributes only: this runs once per message lookup site on every page.
    key = (settings.root, settings.build_dir, locale, domain, chosen, source)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and _signature(cached[0]) == cached[1]:
        return cached[2]
    if chosen not in _POLICIES:
        raise ConfigError(
            f"unknown publish policy {chosen!r}", hint=f"use one of: {', '.join(_POLICIES)}"
        )
    validate_locale(locale)
    if locale not in settings.all_locales:
        raise ConfigError(
            f"locale {locale!r} is not configured",
            path=settings.root / "pyproject.toml",
            hint=f"add it to [tool.pubflow] locales (now: {', '.join(settings.all_locales)})",
        )
    if locale == source:
        files: tuple[Path, ...] = ()
        signature: tuple[object, ...] = ()
        loaded = Translations(
            locale,
            validate_slug(domain, where="domain"),
            chosen,
            source,
            _source_plural=_plural_rule(plural_forms_header(source)),
        )
    else:
        paths = compiled_paths(settings, locale, domain)
        files = paths.all() if chosen == "machine" else (paths.mo, paths.states)
        # Taken before reading: a file replaced while we read it is reloaded on the next call.
        signature = _signature(files)
        loaded = _load(paths, locale, domain, chosen, source)
    with _cache_lock:
        _cache[key] = (files, signature, loaded)
    return loaded


def compiled_state_counts(settings: Settings, locale: str, domain: str) -> dict[State, int]:
    """Entries per state of one compiled catalog, from its states sidecar alone (every state
    listed; all zero when it was never compiled). What :meth:`Translations.state_counts`
    gives, without reading the ``.mo`` files: publication planning needs only the counts."""
    if locale == settings.source_locale:
        return {state: 0 for state in State}
    path = os.fspath(compiled_paths(settings, locale, domain).states)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return {state: 0 for state in State}
    except OSError:
        status = None  # reading it names the problem
    known = _KNOWN_COUNTS.get(path)
    if known is not None and status is not None and known.stamp == stamp(status):
        return dict(known.counts)
    counts = _counts_of(_read_states(Path(path)))
    if status is not None and not is_racy(status.st_mtime_ns):
        _KNOWN_COUNTS[path] = _KnownCounts(stamp(status), counts, None)
    return dict(counts)


class _KnownCounts(NamedTuple):
    stamp: Stamp  # the sidecar's size, mtime and inode when the counts were learnt
    counts: dict[State, int]
    # SHA-256 of the .po the counts are of, when a compile of this process told it (None when
    # the counts were read from the sidecar).
    source_sha256: str | None


# Counts of the states sidecars this process read, or compiled itself (a sync tells them, see
# remember_compiled_counts), by path: a build plans its publication twice (site, newsletters),
# each time from every sidecar of every language, and a flow's statistics read them once more.
_KNOWN_COUNTS: dict[str, _KnownCounts] = {}


def remember_compiled_counts(
    sidecars: Iterable[tuple[WrittenFile, Mapping[State, int], str | None]],
) -> None:
    """Let :func:`compiled_state_counts` and :func:`told_counts` take these counts, of the
    ``.po`` with the given SHA-256 (None: a template's), while each sidecar keeps the stat it
    was written with (the compile that wrote it computed them; see
    :func:`pubflow.fingerprint.remember_written_files` for why recent files are trusted)."""
    for (name, size, mtime, inode, _sha), counts, source_sha256 in sidecars:
        every_state = {state: int(counts.get(state, 0)) for state in State}
        _KNOWN_COUNTS[name] = _KnownCounts((size, mtime, inode), every_state, source_sha256)


def told_counts(sidecar: Path) -> tuple[dict[State, int], str] | None:
    """The counts a compile of this process wrote to ``sidecar``, with the SHA-256 of the
    ``.po`` they count, while the sidecar is as that compile left it; else None (read it)."""
    known = _KNOWN_COUNTS.get(os.fspath(sidecar))
    if known is None or known.source_sha256 is None:
        return None
    try:
        status = os.stat(sidecar)
    except OSError:
        return None
    if known.stamp != stamp(status):
        return None
    return dict(known.counts), known.source_sha256


def _counts_of(states: Mapping[str, object]) -> dict[State, int]:
    """Every state's count in a states sidecar (0 where it has none)."""
    counts_raw = states.get("counts", {})
    if not isinstance(counts_raw, dict):
        counts_raw = {}
    return {state: int(counts_raw.get(state.value, 0)) for state in State}


def clear_cache() -> None:
    """Forget every loaded catalog (tests; long-running processes never need it)."""
    with _cache_lock:
        _cache.clear()


def coverage(settings: Settings, locale: str, domains: Iterable[str]) -> float:
    """Percent of entries that are reviewed across ``domains`` (0–100, not rounded).

    Weighted by entries (a long article counts more than a short one). The source locale is
    always 100. A domain that was never compiled makes the result 0: without counts there is
    nothing to claim (compile writes counts even for a locale that has no ``.po`` yet). When
    the domains hold no entry at all the result is 100 (there is nothing to translate).
    """
    if locale == settings.source_locale:
        return 100.0
    reviewed = total = 0
    for domain in domains:
        if not compiled_paths(settings, locale, domain).states.is_file():
            return 0.0
        counts = load_translations(settings, locale, domain, policy="reviewed").state_counts()
        reviewed += counts[State.REVIEWED]
        total += sum(counts.values())
    return 100.0 if total == 0 else 100.0 * reviewed / total
