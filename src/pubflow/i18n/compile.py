"""Compile ``.po`` catalogs into what the renderers read, leaving out everything unsafe.

For each target locale and domain, under ``build/locales/<lang>/LC_MESSAGES/``:

``<domain>.mo``
    a standard GNU ``.mo`` with only the **reviewed** entries that pass every error-level
    check, so any gettext consumer publishes only safe, reviewed text;
``<domain>.machine.mo``
    a standard ``.mo`` with the valid **machine** suggestions (read only under the ``machine``
    publish policy); absent when there are none, as in a fully reviewed catalog (readers take
    a missing file as empty: not writing 1,000+ empty files is a tenth of a cold compile);
``<domain>.states.json``
    the sidecar: a fingerprint of the input, per-state counts, the stale and invalid msgids
    (so pages can say "being updated"), and the error diagnostics of left-out entries.

Unlike ``pybabel compile``, a ``.mo`` never contains an entry that failed a check: the entry
is left out (its source text shows) and reported with ``file:line``. A bad entry never stops
the build; a catalog that cannot be read at all is reported, its compiled files are removed (the
locale falls back to the source for that domain) and the rest compiles.

Only catalogs whose input changed are compiled: the sidecar records a SHA-256 of the ``.po``
bytes (plus the format version, the locale and a hash of the checking code, so a new check
recompiles everything), which, unlike mtimes, also survives ``git checkout`` and copies. A target locale without a ``.po`` for a domain that has a template
gets a sidecar counting every template entry as missing, so coverage is honest; for the same
reason a ``.po`` that lacks some of its template's entries counts them as missing (see
:func:`template_shortfall`).

The ``.mo`` header is written by us (Language, UTF-8, and the locale's CLDR ``Plural-Forms``,
spelled as the catalog does when its rule is that one), not copied: header mistakes in a ``.po``
are reported but cannot mislead a gettext reader.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import polib

from pubflow.config import Settings
from pubflow.errors import CatalogError, ConfigError
from pubflow.fingerprint import FileHashes, WrittenFile, read_known, written_file
from pubflow.fsutil import atomic_write_bytes, validate_slug
from pubflow.i18n.checks import (
    ALWAYS_FORMATTED_DOMAINS,
    DomainKind,
    EntryChecker,
    check_catalog,
    check_header,
    domain_kind,
    header_lines,
    header_lines_of_bytes,
    parse_plural_forms,
    plural_indexes,
)
# Re-exported: CatalogResult & co. are this module's report types (defined apart, see there).
from pubflow.i18n.diagnostics import (
    CatalogResult,
    CompileReport,
    Diagnostic,
    Severity,
    diagnostic_from_dict,
    diagnostic_to_dict,
)
from pubflow.i18n.mo import mo_bytes
from pubflow.i18n.pofile import (
    list_domains,
    locale_domains,
    parse_catalog,
    po_path,
    pot_path,
    stray_catalogs,
)
from pubflow.i18n.runtime import CompiledPaths, compiled_paths, message_key, told_counts
from pubflow.i18n.states import State, entry_state, is_untranslated
from pubflow.locales import (
    foreign_language,
    foreign_language_hint,
    plural_count,
    plural_forms_header,
)

FORMAT_VERSION = 1
"""Bump when the compiled output changes for the same input: every catalog recompiles."""

# Selecting catalogs ----------------------------------------------------------------------------


def target_locales(settings: Settings, locales: Iterable[str] | None) -> list[str]:
    """The requested target locales (default: every configured target), source excluded."""
    if locales is None:
        return [code for code in settings.all_locales if code != settings.source_locale]
    chosen: list[str] = []
    for code in locales:
        if code not in settings.all_locales:
            raise ConfigError(
                f"locale {code!r} is not configured",
                path=settings.root / "pyproject.toml",
                hint=f"use one of: {', '.join(settings.all_locales)}",
            )
        if code != settings.source_locale and code not in chosen:
            chosen.append(code)
    return chosen


def catalog_domains(settings: Settings, locale: str) -> list[str]:
    """Domains with a template, plus any the locale has a ``.po`` for, sorted; a stray file
    (``messages (copy).po``: no template, no domain's name) is skipped, not taken for a domain."""
    return locale_domains(settings, locale)


def _checked_domains(domains: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(validate_slug(name, where="domain") for name in domains))


# The template's entries -----------------------------------------------------------------------
# Coverage is a share of what the template asks for, not of what the .po happens to hold: a
# catalog cut down to its header, or to its translated entries (``msgattrib --translated``),
# would otherwise count as 100 % and publish a page that is mostly English. A sync merges every
# catalog against its template first (then each holds every template entry: nothing to do); a
# build that compiles without a sync compares with the .pot, cheaply: its entries are counted
# from its bytes and it is parsed only when the catalog holds another number of entries.

_Stamp = tuple[int, int, int]
_TEMPLATE_COUNTS: dict[str, tuple[_Stamp, int]] = {}
_TEMPLATE_KEYS: dict[str, tuple[_Stamp, frozenset[tuple[str | None, str]]]] = {}


def _stamp(path: Path) -> _Stamp | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns, status.st_ino


def template_entries(path: Path) -> int | None:
    """How many live entries the template ``path`` holds (None: no readable template), counted
    from its ``msgid`` lines, not parsed; remembered while the file's stat is unchanged."""
    stamp = _stamp(path)
    if stamp is None:
        return None
    known = _TEMPLATE_COUNTS.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    starts = [index for index, line in enumerate(lines) if line.startswith(b"msgid ")]
    count = len(starts)
    if starts:
        # The header is the first entry when its msgid is "" on one line, followed by msgstr
        # (a long msgid also starts with `msgid ""`, but continues with a string line).
        first = starts[0]
        after = lines[first + 1] if first + 1 < len(lines) else b""
        if lines[first].rstrip() == b'msgid ""' and after.startswith(b"msgstr"):
            count -= 1
    _TEMPLATE_COUNTS[str(path)] = (stamp, count)
    return count


def _template_keys(path: Path) -> frozenset[tuple[str | None, str]] | None:
    """The (msgctxt, msgid) of every live entry of the template; parsed once per version."""
    stamp = _stamp(path)
    if stamp is None:
        return None
    known = _TEMPLATE_KEYS.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        pot = parse_catalog(path.read_bytes(), path)
    except (OSError, CatalogError):
        return None  # the sync reports a broken template; nothing to compare with here
    keys = frozenset((entry.msgctxt, entry.msgid) for entry in pot if not entry.obsolete and entry.msgid)
    _TEMPLATE_KEYS[str(path)] = (stamp, keys)
    return keys


def template_shortfall(
    settings: Settings, domain: str, po: polib.POFile, live: int | None = None
) -> tuple[int, int | None]:
    """``(entries of the domain's template missing from po, entries of the template)``;
    ``(0, None)`` without a template. ``live``: po's live entries, when already counted."""
    template = pot_path(settings, domain)
    wanted = template_entries(template)
    if wanted is None:
        return 0, None
    if live is None:
        live = sum(1 for entry in po if not entry.obsolete)
    if live == wanted:
        return 0, wanted  # the usual case: as many entries as the template, no parse
    keys = _template_keys(template)
    if keys is None:
        return 0, wanted
    present = {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}
    return len(keys - present), wanted


# Building the outputs --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the modules that decide what gets compiled: a changed check recompiles all."""
    from pubflow.i18n import checks, markup, mo, placeholders, states

    digest = hashlib.sha256()
    for module in (checks, markup, mo, placeholders, states, sys.modules[__name__]):
        source = getattr(module, "__file__", None)
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


def _fingerprint(kind: str, locale: str, raw: bytes) -> str:
    """Identity of one compile input: format version, code, kind, locale and the file's bytes."""
    prefix = f"pubflow-compile/{FORMAT_VERSION}/{_code_fingerprint()}/{kind}/{locale}\n"
    digest = hashlib.sha256(prefix.encode())
    digest.update(raw)
    return digest.hexdigest()


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return {}  # missing or damaged: recompile
    return data if isinstance(data, dict) else {}


def compiled_counts(
    settings: Settings, locale: str, domain: str, hashes: FileHashes | None = None
) -> dict[State, int] | None:
    """The per-state counts the last compile recorded for this very ``.po`` (bytes, code and
    locale unchanged); None when there is no such compile (then count from the file).

    ``hashes`` knows the ``.po`` files' hashes by their stat (in a build, the sync hashed them
    moments ago): then the catalog itself is not read again, only its sidecar, and not even
    that when a compile of this process wrote it (:func:`~pubflow.i18n.runtime.told_counts`).
    """
    paths = compiled_paths(settings, locale, domain)
    source = po_path(settings, locale, domain)
    if hashes is not None and (told := told_counts(paths.states)) is not None:
        counts, counted_sha256 = told
        return counts if hashes.sha256(source) == counted_sha256 else None
    sidecar = _read_sidecar(paths.states)
    if not _same_template(sidecar, pot_path(settings, domain)):
        return None  # counted against another template: count again
    recorded = sidecar.get("source_sha256")
    if (
        hashes is not None
        and isinstance(recorded, str)
        and sidecar.get("format") == FORMAT_VERSION
        and sidecar.get("input") == "po"
        and sidecar.get("locale") == locale
        and sidecar.get("code") == _code_fingerprint()
    ):
        return _recorded_counts(sidecar) if hashes.sha256(source) == recorded else None
    try:
        raw = source.read_bytes()
    except OSError:
        return None
    if sidecar.get("fingerprint") != _fingerprint("po", locale, raw):
        return None
    return _recorded_counts(sidecar)


def _recorded_counts(sidecar: Mapping[str, Any]) -> dict[State, int] | None:
    """The per-state counts a sidecar holds; None when they are missing or damaged."""
    counts = sidecar.get("counts")
    if not isinstance(counts, dict):
        return None
    try:
        return {state: int(counts.get(state.value, 0)) for state in State}
    except (TypeError, ValueError):
        return None


def mo_plural_forms(po: polib.POFile, locale: str) -> str:
    """The ``Plural-Forms`` for the .mo: always the locale's rule (CLDR's).

    The catalog's own is kept only when it is that rule spelled another way (it picks the same
    form for every n); a missing, broken or different one (reported by the header check) is
    replaced: a wrong rule would show the wrong form on every page ("1 artículos").
    """
    declared = po.metadata.get("Plural-Forms", "")
    if isinstance(declared, str):
        return _mo_plural_forms(declared, locale)
    return _mo_plural_forms.__wrapped__(declared, locale)  # odd metadata: not cacheable


@lru_cache(maxsize=256)
def _mo_plural_forms(declared: str, locale: str) -> str:
    """:func:`mo_plural_forms` by header text and locale: every catalog of a locale usually
    declares the same rule, and compiling it and trying it on many numbers for each of 1,000+
    catalogs was a tenth of a cold compile (:func:`~pubflow.i18n.checks.plural_indexes`, cached
    too, does both once per expression)."""
    standard = plural_forms_header(locale)
    parsed = parse_plural_forms(declared)
    if parsed is None or parsed[0] != plural_count(locale):
        return standard
    count, expression = parsed
    wanted = parse_plural_forms(standard)
    indexes = plural_indexes(expression)  # None: unusable, so "use the standard"
    same = wanted is not None and indexes is not None and indexes == plural_indexes(wanted[1])
    return f"nplurals={count}; plural={expression};" if same else standard


def _mo_bytes(locale: str, plural_forms: str, entries: Sequence[polib.POEntry]) -> bytes:
    """A GNU .mo holding ``entries`` (as translated, not fuzzy) and a header we control."""
    # No dates or versions: equal input gives equal bytes, so unchanged files are not rewritten.
    metadata = {
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms,
    }
    # The same bytes polib's to_binary() gives (pubflow.i18n.mo; tests compare the two).
    return mo_bytes(metadata, entries)


def _relative(settings: Settings, path: Path) -> Path:
    try:
        return path.relative_to(settings.root)
    except ValueError:
        return path


def catalog_error_diagnostic(error: CatalogError) -> Diagnostic:
    """An unreadable catalog as an error diagnostic (check name ``catalog``)."""
    message = error.message + (f" — {error.hint}" if error.hint else "")
    return Diagnostic(Severity.ERROR, "catalog", message, error.path, error.line)


@dataclass
class ClassifiedCatalog:
    """The live entries of a catalog sorted by state, with the errors that held entries back."""

    counts: dict[State, int]
    reviewed: list[polib.POEntry]
    machine: list[polib.POEntry]
    stale: list[str]
    invalid: list[str]
    diagnostics: list[Diagnostic]


def classify_catalog(
    po: polib.POFile,
    *,
    locale: str,
    path: Path | None,
    source_locale: str = "en",
    text: str | None = None,
    checker: EntryChecker | None = None,
    raw: bytes | None = None,
    kind: DomainKind | None = None,
) -> ClassifiedCatalog:
    """Sort every live entry into its state, running the checks once per entry.

    Header errors are reported but hold nothing back: the ``.mo`` header is ours. ``text``
    (the file's text) or ``raw`` (its bytes: only the top is decoded) lets header diagnostics
    name the line of the faulty field. ``checker``
    (for ``locale`` and ``source_locale``) remembers entry checks across the catalogs of a
    run; by default a new one serves this catalog alone.
    """
    wanted = (locale, source_locale, kind)
    if checker is None or (checker.locale, checker.source_locale, checker.kind) != wanted:
        checker = EntryChecker(locale=locale, source_locale=source_locale, kind=kind)
    counts = {state: 0 for state in State}
    result = ClassifiedCatalog(counts, [], [], [], [], [])
    if text is not None:
        line, field_lines = header_lines(text)
    elif raw is not None:
        line, field_lines = header_lines_of_bytes(raw)
    else:
        line, field_lines = None, {}
    header = check_header(
        po.metadata, locale=locale, path=path, line=line, field_lines=field_lines
    )
    result.diagnostics.extend(d for d in header if d.is_error)
    for entry in po:
        if entry.obsolete:
            continue
        found = checker.check(entry, path)
        errors = [d for d in found if d.is_error]
        if errors and not is_untranslated(entry):
            state = State.INVALID
        else:
            state = entry_state(entry, locale=locale, checks=False)
        counts[state] += 1
        if state is State.REVIEWED:
            result.reviewed.append(entry)
        elif state is State.MACHINE:
            result.machine.append(entry)
        elif state is State.STALE:
            result.stale.append(message_key(entry.msgid, entry.msgctxt))
        elif state is State.INVALID:
            result.invalid.append(message_key(entry.msgid, entry.msgctxt))
            result.diagnostics.extend(errors)
    return result


def _write_outputs(
    outputs: dict[Path, bytes | None],
) -> tuple[tuple[Path, ...], tuple[WrittenFile, ...]]:
    """Write (bytes) or remove (None) each output; return the paths that changed, and each
    file now on disk as :func:`written_file` tells it."""
    changed: list[Path] = []
    described: list[WrittenFile] = []
    for path, data in outputs.items():
        if data is None:
            if path.exists():
                path.unlink()
                changed.append(path)
            continue
        if atomic_write_bytes(path, data, durable=False):  # build/: regenerated if lost
            changed.append(path)
        found = written_file(path, data)
        if found is not None:
            described.append(found)
    return tuple(changed), tuple(described)


def _sidecar_bytes(data: dict[str, Any]) -> bytes:
    # orjson, not json.dumps(indent=...): json's indenting encoder is pure Python and leaves
    # a cycle of closures behind per call (1,000+ catalogs: ~40,000 objects for the cyclic
    # collector); indented and sorted all the same, for people reading it.
    return orjson.dumps(
        data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    )


def compile_catalog(
    settings: Settings,
    locale: str,
    domain: str,
    *,
    force: bool = False,
    parsed: tuple[bytes, polib.POFile] | None = None,
    checker: EntryChecker | None = None,
    merged: bool = False,
) -> tuple[CatalogResult, list[Diagnostic]]:
    """Compile one locale + domain when its input changed (or ``force``); see module doc.

    ``parsed``: the catalog already read by the caller, with the bytes it was read from;
    used only if the file still holds exactly those bytes. ``checker``: entry checks
    remembered across the catalogs of one locale (see :class:`EntryChecker`). ``merged``:
    the catalog was just merged against its template (a sync), so it holds every template
    entry; otherwise the template's entries it lacks count as missing.
    """
    paths = compiled_paths(settings, locale, domain)
    po_file = po_path(settings, locale, domain)
    template = pot_path(settings, domain)
    kind, source = ("po", po_file) if po_file.is_file() else ("pot", template)
    try:
        raw, source_file = read_known(source)
    except FileNotFoundError:
        # Neither a catalog nor a template (domain gone): drop stale compiled files.
        removed, _ = _write_outputs({path: None for path in paths.all()})
        return CatalogResult(locale, domain, "removed", written=removed), []
    except OSError as exc:
        error = CatalogError(f"cannot read catalog: {exc.strerror}", path=source)
        return _failed(settings, paths, locale, domain, error)

    fingerprint = _fingerprint(kind, locale, raw)
    previous = _read_sidecar(paths.states)
    recorded = _recorded_counts(previous)
    if (
        not force
        and previous.get("fingerprint") == fingerprint
        and recorded is not None
        and all(path.exists() for path in _expected_outputs(paths, kind, recorded))
        # The counts hold the template's missing entries: a new template counts again.
        and (merged or kind != "po" or _same_template(previous, template))
    ):
        replayed = [diagnostic_from_dict(item) for item in previous.get("diagnostics", [])]
        return CatalogResult(
            locale,
            domain,
            "unchanged",
            recorded,
            source_sha256=_sha256(raw, source_file),
            source_file=source_file,
        ), replayed

    shown = _relative(settings, source)
    if parsed is not None and kind == "po" and parsed[0] == raw:
        po = parsed[1]
    else:
        try:
            po = parse_catalog(raw, source)
        except CatalogError as error:
            return _failed(settings, paths, locale, domain, error)

    if kind == "po" and (refused := foreign_catalog_error(settings, po, locale, source, raw)):
        return _failed(settings, paths, locale, domain, refused)

    if kind == "pot":
        live = sum(1 for entry in po if not entry.obsolete)
        counts = {state: 0 for state in State} | {State.MISSING: live}
        sidecar = _sidecar(locale, domain, kind, fingerprint, counts, [], [], [])
        written, outputs = _write_outputs(
            {paths.mo: None, paths.machine_mo: None, paths.states: sidecar}
        )
        return CatalogResult(
            locale,
            domain,
            "template-only",
            counts,
            written,
            _sha256(raw, source_file),
            outputs,
            source_file,
        ), []

    compiled = classify_catalog(
        po,
        locale=locale,
        path=shown,
        source_locale=settings.source_locale,
        raw=raw,
        checker=checker,
        kind=domain_kind(domain),
    )
    live = sum(compiled.counts.values())
    if merged:
        missing, wanted = 0, live  # a merge leaves exactly the template's entries live
    else:
        missing, wanted = template_shortfall(settings, domain, po, live)
    compiled.counts[State.MISSING] += missing
    source_sha256 = _sha256(raw, source_file)
    sidecar = _sidecar(
        locale,
        domain,
        kind,
        fingerprint,
        compiled.counts,
        compiled.stale,
        compiled.invalid,
        compiled.diagnostics,
        source_sha256,
        wanted,
    )
    plural_forms = mo_plural_forms(po, locale)
    # The sidecar goes last: if we stop half-way, its old fingerprint forces a recompile.
    written, outputs = _write_outputs(
        {
            paths.mo: _mo_bytes(locale, plural_forms, compiled.reviewed),
            paths.machine_mo: (
                _mo_bytes(locale, plural_forms, compiled.machine) if compiled.machine else None
            ),
            paths.states: sidecar,
        },
    )
    return (
        CatalogResult(
            locale, domain, "compiled", compiled.counts, written, source_sha256, outputs, source_file
        ),
        compiled.diagnostics,
    )


def _sha256(raw: bytes, read: WrittenFile | None) -> str:
    """The SHA-256 of a catalog's bytes (already computed when :func:`read_known` vouched)."""
    return read[4] if read is not None else hashlib.sha256(raw).hexdigest()


def _expected_outputs(paths: CompiledPaths, kind: str, counts: Mapping[State, int]) -> tuple[Path, ...]:
    """The compiled files a compile of this kind with these counts leaves behind."""
    if kind != "po":
        return (paths.states,)
    if counts.get(State.MACHINE, 0):
        return (paths.mo, paths.machine_mo, paths.states)
    return (paths.mo, paths.states)


def _sidecar(
    locale: str,
    domain: str,
    kind: str,
    fingerprint: str,
    counts: dict[State, int],
    stale: list[str],
    invalid: list[str],
    diagnostics: list[Diagnostic],
    source_sha256: str | None = None,
    template_count: int | None = None,
) -> bytes:
    return _sidecar_bytes(
        {
            # The template's live entries the counts were made against (None: no template).
            "template_entries": template_count,
            "format": FORMAT_VERSION,
            "locale": locale,
            "domain": domain,
            "input": kind,
            "fingerprint": fingerprint,
            # The plain SHA-256 of the input and the code that compiled it: what the fingerprint
            # is made of, so a reader that knows the file's hash already needs not read it.
            "source_sha256": source_sha256,
            "code": _code_fingerprint(),
            "counts": {state.value: counts.get(state, 0) for state in State},
            "stale": sorted(stale),
            "invalid": sorted(invalid),
            "diagnostics": [diagnostic_to_dict(d) for d in diagnostics],
        }
    )


def foreign_catalog_error(
    settings: Settings, po: polib.POFile, locale: str, path: Path, raw: bytes | None = None
) -> CatalogError | None:
    """The error that makes a catalog of another language unusable in the ``locale`` folder
    (its header's Language has another language subtag), or None for a catalog of ``locale``.

    Compiling it would publish that language on this one's pages, and a merge would rewrite
    its header to ``locale`` and hide the mistake: so it is neither compiled nor merged, and
    is reported like an unreadable catalog. ``raw`` (the file's bytes, else read here, only
    for a refused catalog) finds the Language line.
    """
    declared = foreign_language(po.metadata, locale)
    if declared is None:
        return None
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b""
    start, fields = header_lines_of_bytes(raw)
    line = next((number for name, number in fields.items() if name.lower() == "language"), start)
    return CatalogError(
        f"header says Language: {declared} but this is the {locale} catalog",
        path=path,
        line=line,
        hint=foreign_language_hint(declared, locale, path.name, settings.all_locales),
    )


def _same_template(sidecar: Mapping[str, Any], template: Path) -> bool:
    """Whether the template has as many entries as when ``sidecar``'s counts were made."""
    return sidecar.get("template_entries") == template_entries(template)


def _failed(
    settings: Settings, paths: CompiledPaths, locale: str, domain: str, error: CatalogError
) -> tuple[CatalogResult, list[Diagnostic]]:
    """An unreadable catalog, reported; its compiled files from the last good compile stay.

    A translator's typo must not take a language off the site: pages keep showing the
    translations last compiled (and the next build tries again, as the catalog's bytes no
    longer match the fingerprint its compiled files were made from). Only a catalog that
    never compiled leaves its language without them, as before.
    """
    if error.path is not None:
        error.path = _relative(settings, error.path)
    if paths.states.exists():
        kept = "its last good compile is used until it is fixed"
        error.hint = f"{error.hint}; {kept}" if error.hint else kept
    return CatalogResult(locale, domain, "failed"), [catalog_error_diagnostic(error)]


def _orphans(settings: Settings, locale: str, domains: Sequence[str]) -> list[Path]:
    """Compiled files of domains that no longer have a catalog or template."""
    folder = settings.compiled_locales_path / locale / "LC_MESSAGES"
    if not folder.is_dir():
        return []
    keep = {name for domain in domains for name in (
        f"{domain}.mo", f"{domain}.machine.mo", f"{domain}.states.json"
    )}
    ours = ("*.mo", "*.states.json")
    return sorted(
        path for pattern in ours for path in folder.glob(pattern) if path.name not in keep
    )


def compile_catalogs(
    settings: Settings,
    locales: Iterable[str] | None = None,
    domains: Iterable[str] | None = None,
    *,
    force: bool = False,
    parsed: Mapping[str, tuple[bytes, polib.POFile]] | None = None,
    merged: Collection[str] = (),
) -> CompileReport:
    """Compile every changed catalog of ``locales`` × ``domains`` (default: all of them).

    ``force`` recompiles even unchanged catalogs (the bytes written are the same, so files
    whose content did not change are still not rewritten). With ``domains=None`` compiled
    files of domains that disappeared are removed too. ``parsed`` (domain → bytes and
    catalog, for a single locale) spares parsing catalogs the caller has just read.
    ``merged``: domains whose catalogs the caller has just merged against their templates
    (a sync): they are not compared with their templates again.
    """
    report = CompileReport()
    wanted = _checked_domains(domains) if domains is not None else None
    for locale in target_locales(settings, locales):
        names = wanted if wanted is not None else catalog_domains(settings, locale)
        # One memo of entry checks per locale and kind of domain: its catalogs share many
        # strings (the UI domain's own: its entries are checked as always formatted HTML).
        checker = EntryChecker(locale=locale, source_locale=settings.source_locale, kind="content")
        ui_checker = EntryChecker(locale=locale, source_locale=settings.source_locale, kind="ui")
        for domain in names:
            result, diagnostics = compile_catalog(
                settings,
                locale,
                domain,
                force=force,
                parsed=(parsed or {}).get(domain),
                checker=ui_checker if domain in ALWAYS_FORMATTED_DOMAINS else checker,
                merged=domain in merged,
            )
            report.results.append(result)
            report.diagnostics.extend(diagnostics)
        if wanted is None:
            orphans: dict[str, list[Path]] = {}
            for path in _orphans(settings, locale, names):
                path.unlink(missing_ok=True)
                orphans.setdefault(path.name.split(".", 1)[0], []).append(path)
            for domain, removed in orphans.items():
                report.results.append(CatalogResult(locale, domain, "removed", written=tuple(removed)))
    return report


@dataclass(frozen=True)
class CatalogCheck:
    """Every diagnostic of one catalog (``pubflow check``); ``path`` relative to the root."""

    locale: str
    domain: str
    path: Path
    diagnostics: list[Diagnostic]
    stray: bool = False  # a .po no template names: not a catalog, only its warning


def _stray_check(settings: Settings, locale: str, path: Path) -> CatalogCheck:
    shown = _relative(settings, path)
    message = f"not a catalog of this project (no template {path.stem}.pot): rename or remove it"
    warning = Diagnostic(Severity.WARNING, "catalog", message, shown, None)
    return CatalogCheck(locale, path.stem, shown, [warning], stray=True)


def check_catalogs(
    settings: Settings,
    locales: Iterable[str] | None = None,
    domains: Iterable[str] | None = None,
    *,
    on_catalog: Callable[[Path], None] | None = None,
) -> list[CatalogCheck]:
    """Run the header check and every entry check on each existing ``.po``, never raising.

    A catalog that cannot be read gives one ``catalog`` error diagnostic at its file:line.
    Asking for a domain that has neither a template nor any catalog is a CatalogError.
    ``on_catalog`` is called before each catalog (progress bars).
    """
    wanted = _checked_domains(domains) if domains is not None else None
    chosen = target_locales(settings, locales)
    if wanted is not None:
        for domain in wanted:
            if not pot_path(settings, domain).is_file() and not any(
                po_path(settings, locale, domain).is_file() for locale in chosen
            ):
                raise CatalogError(
                    f"domain {domain!r} has no template and no catalog",
                    path=_relative(settings, pot_path(settings, domain)),
                    hint="known domains: " + (", ".join(list_domains(settings)) or "none yet"),
                )
    plan = [
        (locale, domain, po_path(settings, locale, domain))
        for locale in chosen
        for domain in (wanted if wanted is not None else catalog_domains(settings, locale))
    ]
    results: list[CatalogCheck] = []
    if wanted is None:  # every catalog: name the files that are none
        templates = list_domains(settings)
        for locale in chosen:
            for stray in stray_catalogs(settings, locale, templates):
                results.append(_stray_check(settings, locale, stray))
    for locale, domain, path in plan:
        if not path.exists():
            continue  # nothing translated yet: nothing to check
        shown = _relative(settings, path)  # a folder in its place is reported below (OSError)
        if on_catalog is not None:
            on_catalog(shown)
        try:
            # The real path: the header check re-opens po.fpath to find the header's line.
            po = parse_catalog(path.read_bytes(), path)
        except CatalogError as error:
            error.path = shown
            found = [catalog_error_diagnostic(error)]
        except OSError as exc:
            error = CatalogError(f"cannot read catalog: {exc.strerror}", path=shown)
            found = [catalog_error_diagnostic(error)]
        else:
            found = check_catalog(
                po,
                locale=locale,
                path=shown,
                source_locale=settings.source_locale,
                domain=domain,
                configured=settings.all_locales,
            )
        results.append(CatalogCheck(locale, domain, shown, found))
    return results


def ensure_compiled(
    settings: Settings,
    locales: Iterable[str] | None = None,
    domains: Iterable[str] | None = None,
) -> CompileReport:
    """Compile whatever is missing or out of date (what site and newsletter builds call).

    ``domains`` limits the work to the catalogs a build reads (each unchanged catalog still
    costs a read and a hash, which adds up over 1,000+ catalogs and several builds).
    """
    return compile_catalogs(settings, locales, domains)


__all__ = [
    "CatalogCheck",
    "CatalogResult",
    "ClassifiedCatalog",
    "CompileReport",
    "FORMAT_VERSION",
    "catalog_domains",
    "catalog_error_diagnostic",
    "check_catalogs",
    "classify_catalog",
    "compile_catalog",
    "compile_catalogs",
    "compiled_counts",
    "diagnostic_from_dict",
    "diagnostic_to_dict",
    "ensure_compiled",
    "foreign_catalog_error",
    "mo_plural_forms",
    "target_locales",
    "template_entries",
    "template_shortfall",
]
