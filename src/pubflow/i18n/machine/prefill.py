"""Fill empty catalog entries with machine translations, marked for review, losing nothing.

One run, for a backend and some locales:

1. **plan** — read every catalog (no lock held while the network works); an entry is a
   candidate only when it is live and *every* msgstr is empty. Reviewed, machine, stale
   (fuzzy) and obsolete entries are skipped and counted. (One exception, for the pseudo-locale
   only: a stale entry whose text is still exactly the pseudo backend's output for its previous
   msgid is regenerated — nobody reviews ``en_XA`` and a stale pseudo string would look like a
   missed one.)
2. **translate** — each source text is looked up in the translation memory; the rest is masked
   (placeholders, markup, URLs → ``⟦n⟧``), split under the backend's length limit, and every
   distinct piece is sent once per language pair, whatever the domain or locale it came from.
3. **validate** — pieces are joined, tokens restored, edge whitespace put back; a result that
   is empty, ``None``, unchanged, truncated, lost a token or fails an error-level check of
   :mod:`pubflow.i18n.checks` is thrown away and reported with its reason.
4. **write** — under each catalog's lock (``update_catalog``: a save made meanwhile is re-read
   and we re-apply), entries still empty get the translation, ``fuzzy`` and the provenance
   comment ``# machine-translated: <backend> <date>``; accepted texts go to the memory.

A backend that cannot be reached halts the run early; entries stay empty and the report says
why. Credentials never appear in results, reports, logs or files.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polib

from pubflow.errors import CatalogError, ConfigError
from pubflow.i18n.checks import (
    EntryText,
    check_entry,
    for_domain,
    max_length,
    parse_plural_forms,
    plural_indexes,
)
from pubflow.i18n.machine.backends import (
    Backend,
    backend_language,
    get_backend,
    secret_values,
    translator_factory,
)
from pubflow.i18n.machine.client import (
    ClientOptions,
    Job,
    MachineClient,
    Outcome,
    TranslatorFactory,
    redacting_log_records,
)
from pubflow.i18n.machine.masking import (
    Masked,
    MaskError,
    has_words,
    mask,
    split_whitespace,
    unmask,
    without_tokens,
)
from pubflow.i18n.machine.memory import MemoryKey, TranslationMemory
from pubflow.i18n.machine.splitting import Piece, join_pieces, split_text
from pubflow.i18n.pofile import locale_domains, po_path, read_catalog, update_catalog
from pubflow.i18n.pseudo import pseudolocalize
from pubflow.i18n.states import (
    PROVENANCE_PREFIX,
    State,
    entry_state,
    parse_provenance,
    provenance_comment,
)
from pubflow.locales import plural_forms_header, validate_locale

if TYPE_CHECKING:
    from pubflow.config import Settings

log = logging.getLogger("pubflow.i18n.machine")

ProgressCallback = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases: ``reading``, ``translating``, ``writing``."""

# Below this share of the source's letters a result is taken as cut off (CJK scripts are denser).
_MIN_RATIO = 0.3
_MIN_RATIO_DENSE = 0.12
_DENSE_LANGUAGES = {"zh", "ja", "ko"}
_MAX_RATIO = 4.0
_RATIO_MIN_SOURCE = 20  # letters; short strings vary too much to judge


# --- report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFailure:
    """An entry left empty, where it is, and why."""

    locale: str
    domain: str
    path: Path
    line: int | None
    msgid: str
    reason: str

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        short = self.msgid if len(self.msgid) <= 60 else self.msgid[:57] + "…"
        return f"{where}: {short!r}: {self.reason}"


@dataclass
class LocaleReport:
    """What happened to one locale's catalogs."""

    locale: str
    filled: int = 0
    from_memory: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failures: list[EntryFailure] = field(default_factory=list)
    catalogs_written: int = 0

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def reasons(self) -> Counter[str]:
        """Failure reasons and how many entries each left empty."""
        return Counter(failure.reason for failure in self.failures)


@dataclass
class PrefillReport:
    """The outcome of :func:`prefill_catalogs`, per locale, plus what went over the wire."""

    backend: str
    locales: dict[str, LocaleReport] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    sent_texts: int = 0
    halted: str | None = None

    @property
    def filled(self) -> int:
        return sum(report.filled for report in self.locales.values())

    @property
    def failed(self) -> int:
        return sum(report.failed for report in self.locales.values())

    @property
    def skipped(self) -> int:
        return sum(report.skipped_total for report in self.locales.values())

    @property
    def ok(self) -> bool:
        """True when no entry failed (skipped entries are fine)."""
        return self.failed == 0


# --- planning -----------------------------------------------------------------------------------


_EntryKey = tuple[str | None, str, str | None]
"""``(msgctxt, msgid, msgid_plural)``: finds the same entry again after a re-read."""


@dataclass
class _Candidate:
    """An entry to fill, and where it lives."""

    locale: str
    domain: str
    path: Path
    entry: polib.POEntry
    forms: int  # 0: singular entry; else number of plural forms
    singular_forms: frozenset[int]  # plural indexes that get the singular text
    refresh: str | None = None  # pseudo only: the stale text we may replace

    @property
    def key(self) -> _EntryKey:
        return (self.entry.msgctxt, self.entry.msgid, self.entry.msgid_plural or None)

    def texts(self) -> list[str]:
        if not self.forms:
            return [self.entry.msgid]
        return [self.entry.msgid, self.entry.msgid_plural]


def _all_empty(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return not entry.msgstr and not any(entry.msgstr_plural.values())
    return not entry.msgstr


def _skip_reason(entry: polib.POEntry, locale: str) -> str:
    state = entry_state(entry, locale=locale, checks=False)
    if state is State.MISSING:
        return "partly translated plural"
    return {State.REVIEWED: "reviewed", State.MACHINE: "machine (already filled)"}.get(
        state, "stale (fuzzy)"
    )


def _plural_layout(po: polib.POFile, locale: str) -> tuple[int, frozenset[int]]:
    """Number of forms and which indexes serve n = 1 only-ish (they get the singular text)."""
    parsed = parse_plural_forms(po.metadata.get("Plural-Forms", "")) or parse_plural_forms(
        plural_forms_header(locale)
    )
    if parsed is None:
        return 2, frozenset({0})
    count, expression = parsed
    chosen = plural_indexes(expression)  # the form of n = 0, 1, 2, …
    if chosen is None:  # a broken header: the plural check reports it
        return count, frozenset({0})
    # A form gets the singular text when it serves n = 1 but not "many" (2 and 5): so French
    # form 0 (0 and 1), German form 0, Arabic form 1, Russian form 0 (1, 21, …); never the only
    # form of Japanese or Chinese.
    singular = frozenset(
        index for index in range(count) if chosen[1] == index and index not in (chosen[2], chosen[5])
    )
    return count, singular


def _stale_pseudo_text(entry: polib.POEntry) -> str | None:
    """For en_XA: the text a stale entry would have if untouched pseudo output, else None."""
    provenance = parse_provenance(entry)
    if not entry.fuzzy or entry.msgid_plural or not entry.previous_msgid:
        return None
    if provenance is None or provenance[0] != "pseudo":
        return None
    if entry.msgstr != pseudolocalize(entry.previous_msgid, max_length=max_length(entry.msgctxt)):
        return None  # someone edited it: a human's work, never touched
    return entry.msgstr


# --- translating --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TextPlan:
    """How one source text is translated: masked, cut in pieces, sent piece by piece."""

    source: str
    leading: str
    trailing: str
    masked_spans: tuple[str, ...]
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class _TextResult:
    text: str | None = None
    reason: str | None = None
    from_memory: bool = False


def _plan_text(text: str, limit: int) -> _TextPlan:
    leading, core, trailing = split_whitespace(text)
    masked = mask(core)
    pieces = tuple(split_text(masked.text, limit)) if core else ()
    return _TextPlan(text, leading, trailing, masked.spans, pieces)


def _letters(text: str) -> int:
    """Letters and digits of ``text`` outside placeholders, markup and URLs."""
    visible = without_tokens(mask(text).text)
    return sum(1 for char in visible if unicodedata.category(char)[0] in "LN")


def _assemble(
    plan: _TextPlan,
    outcomes: Sequence[Outcome | None],
    *,
    same_language: bool,
    dense_target: bool,
    secrets: Sequence[str],
) -> _TextResult:
    """Join piece results into the text's translation, or say why there is none."""
    translated: dict[int, str] = {}
    for index, (piece, outcome) in enumerate(zip(plan.pieces, outcomes, strict=True)):
        if not piece.send:
            continue
        assert outcome is not None
        if not outcome.ok:
            return _TextResult(reason=outcome.reason)
        value = outcome.value
        if value is None:
            return _TextResult(reason="the backend returned nothing (None)")
        if not isinstance(value, str):
            return _TextResult(reason=f"the backend returned a {type(value).__name__}, not text")
        if any(secret in value for secret in secrets):
            return _TextResult(reason="the backend echoed a credential; result discarded")
        if not value.strip():
            return _TextResult(reason="the backend returned an empty translation")
        translated[index] = value.strip()
    masked_result = join_pieces(list(plan.pieces), translated)
    try:
        core = unmask(masked_result, Masked(masked_result, plan.masked_spans))
    except MaskError as exc:
        return _TextResult(reason=f"placeholder, markup or URL damaged: {exc}")
    source_core = plan.source.strip()
    if not same_language and core == source_core and has_words(mask(source_core).text):
        return _TextResult(reason="the backend returned the source text unchanged")
    source_letters = _letters(source_core)
    result_letters = _letters(core)
    if source_letters >= _RATIO_MIN_SOURCE:
        ratio = result_letters / source_letters
        floor = _MIN_RATIO_DENSE if dense_target else _MIN_RATIO
        if ratio < floor:
            return _TextResult(
                reason=f"looks truncated ({result_letters} letters for {source_letters})"
            )
        if ratio > _MAX_RATIO:
            return _TextResult(
                reason=f"suspiciously long ({result_letters} letters for {source_letters})"
            )
    return _TextResult(text=f"{plan.leading}{core}{plan.trailing}")


# --- the run ------------------------------------------------------------------------------------


def prefill_catalogs(
    settings: Settings,
    locales: Iterable[str] | None,
    backend: str | None = None,
    *,
    base_url: str | None = None,
    domains: Iterable[str] | None = None,
    progress: ProgressCallback | None = None,
    today: date | None = None,
    options: ClientOptions | None = None,
    translator_for: TranslatorFactory | None = None,
) -> PrefillReport:
    """Fill empty entries of ``locales`` (default: the configured ones the backend can make).

    User errors (unknown backend or locale, missing key, missing catalog, pseudo backend for
    a real locale) raise :class:`~pubflow.errors.PubflowError` before anything is sent.
    Backend trouble never raises: it ends up in the report. ``translator_for`` replaces the
    deep-translator factory (tests, or a backend of your own); ``options`` the client settings.
    """
    spec = get_backend(backend or settings.mt_backend)
    wanted = _resolve_locales(settings, spec, locales)
    source_code = backend_language(spec.name, settings.source_locale, role="source")
    target_codes = {locale: backend_language(spec.name, locale) for locale in wanted}
    _refuse_unconfigured(settings, wanted)  # after the backend's own refusals: they say more
    if spec.network and translator_for is None:
        translator_for = translator_factory(spec, settings, base_url=base_url)
    elif base_url is not None and spec.name != "libre":
        raise ConfigError(
            f"--base-url only applies to the libre backend, not {spec.name}",
            hint="drop --base-url",
        )
    day = today or date.today()
    say = progress or (lambda phase, done, total: None)
    secrets = secret_values(settings)
    report = PrefillReport(backend=spec.name)

    with redacting_log_records(secrets):
        catalogs = _read_catalogs(settings, wanted, domains, say)
        plans = _plan(settings, spec, catalogs, report)
        if spec.network:
            assert translator_for is not None
            results = _translate_network(
                settings, spec, plans, source_code, target_codes, translator_for,
                options or ClientOptions.from_settings(settings), secrets, report, say,
            )  # fmt: skip
        else:
            results = {}
        accepted = _decide(settings, spec, plans, results, report)
        _write(spec, accepted, day, report, say)
        if spec.network and accepted:
            _remember(settings, spec, source_code, target_codes, accepted, results)
    for locale_report in report.locales.values():
        for failure in locale_report.failures:
            log.info("left empty: %s", failure.format())
    return report


def _resolve_locales(settings: Settings, spec: Backend, locales: Iterable[str] | None) -> list[str]:
    from pubflow.locales import PSEUDO_LOCALE

    requested = list(locales or ())
    if not requested:
        if spec.name == "pseudo":
            requested = [PSEUDO_LOCALE]  # checked below like a requested one
        else:
            return [
                code
                for code in settings.locales
                if code not in (settings.source_locale, PSEUDO_LOCALE)
            ]
    result: list[str] = []
    for code in requested:
        validate_locale(code, where="--locale")
        if code == settings.source_locale:
            raise ConfigError(
                f"{code} is the source locale: there is nothing to translate into it",
                hint="pass a target locale with --locale",
            )
        if code not in result:
            result.append(code)
    return result


def _refuse_unconfigured(settings: Settings, locales: Iterable[str]) -> None:
    """A language not in ``locales`` (a ``catalogs init`` not yet configured) is not filled:
    its catalogs are not kept in step with the articles (no `catalogs update`, no check), so
    suggestions made now could be for strings that are gone."""
    configured = [code for code in settings.locales if code != settings.source_locale]
    for code in locales:
        if code not in configured:
            raise ConfigError(
                f"locale {code!r} is not configured",
                path=settings.root / "pyproject.toml",
                hint=f"add it to [tool.pubflow] locales (now: {', '.join(configured)}), run "
                "`pubflow catalogs update`, then translate",
            )


def _catalog_domains(settings: Settings, locale: str) -> list[str]:
    return locale_domains(settings, locale)  # a stray .po (no domain's name) is skipped


def _read_catalogs(
    settings: Settings,
    locales: Sequence[str],
    domains: Iterable[str] | None,
    say: ProgressCallback,
) -> list[tuple[str, str, Path, polib.POFile]]:
    """Every catalog to work on; a missing or unreadable one stops the run before any request."""
    chosen = list(dict.fromkeys(domains)) if domains else None
    paths: list[tuple[str, str, Path]] = []
    for locale in locales:
        available = _catalog_domains(settings, locale)
        if chosen is None and not available:
            raise CatalogError(
                f"no catalogs for {locale}",
                path=settings.locales_path / locale / "LC_MESSAGES",
                hint=f"run `pubflow catalogs init --locale {locale}` "
                "(or `pubflow catalogs update` if the templates are missing)",
            )
        unknown = [domain for domain in chosen or [] if domain not in available]
        if unknown:
            # As `check` and `stats` say it: a domain with neither a template nor a catalog.
            raise CatalogError(
                f"domain {unknown[0]!r} has no template and no {locale} catalog",
                path=settings.locales_path,
                hint="known domains: " + (", ".join(available) or "none yet"),
            )
        for domain in chosen if chosen is not None else available:
            paths.append((locale, domain, po_path(settings, locale, domain)))
    if not paths:
        raise CatalogError(
            "no catalogs to fill",
            path=settings.locales_path,
            hint="run `pubflow catalogs update` first (or `pubflow catalogs init --locale L`)",
        )
    catalogs = []
    for done, (locale, domain, path) in enumerate(paths, start=1):
        if not path.is_file():
            raise CatalogError(
                "catalog not found",
                path=path,
                hint=f"run `pubflow catalogs update --locale {locale}` "
                f"(or `pubflow catalogs init --locale {locale}`) first",
            )
        catalogs.append((locale, domain, path, read_catalog(path)))
        say("reading", done, len(paths))
    return catalogs


def _plan(
    settings: Settings,
    spec: Backend,
    catalogs: Sequence[tuple[str, str, Path, polib.POFile]],
    report: PrefillReport,
) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for locale, domain, path, po in catalogs:
        locale_report = report.locales.setdefault(locale, LocaleReport(locale))
        forms, singular = _plural_layout(po, locale)
        for entry in po:
            if entry.obsolete or not entry.msgid:
                continue
            refresh = _stale_pseudo_text(entry) if spec.name == "pseudo" else None
            if not _all_empty(entry) and refresh is None:
                locale_report.skipped[_skip_reason(entry, locale)] += 1
                continue
            candidates.append(
                _Candidate(
                    locale, domain, path, entry,
                    forms if entry.msgid_plural else 0, singular, refresh,
                )
            )  # fmt: skip
    return candidates


_Pair = tuple[str, str]


def _translate_network(
    settings: Settings,
    spec: Backend,
    candidates: Sequence[_Candidate],
    source_code: str,
    target_codes: dict[str, str],
    translator_for: TranslatorFactory,
    options: ClientOptions,
    secrets: Sequence[str],
    report: PrefillReport,
    say: ProgressCallback,
) -> dict[tuple[_Pair, str], _TextResult]:
    """Translate every distinct (language pair, text): memory first, then the backend."""
    texts: dict[tuple[_Pair, str], str] = {}
    for candidate in candidates:
        pair = (source_code, target_codes[candidate.locale])
        for text in candidate.texts():
            texts.setdefault((pair, text), candidate.locale)

    results: dict[tuple[_Pair, str], _TextResult] = {}
    plans: dict[tuple[_Pair, str], _TextPlan] = {}
    with TranslationMemory(settings.translation_memory_path) as memory:
        for (pair, text), _locale in texts.items():
            remembered = memory.get((spec.name, pair[0], pair[1], text))
            if remembered is not None:
                results[(pair, text)] = _TextResult(text=remembered, from_memory=True)
            else:
                plans[(pair, text)] = _plan_text(text, spec.max_chars)

    jobs = [
        Job(pair[0], pair[1], piece.text)
        for (pair, _text), plan in plans.items()
        for piece in plan.pieces
        if piece.send
    ]
    unique_jobs = list(dict.fromkeys(jobs))
    report.sent_texts = len(unique_jobs)
    client = MachineClient(translator_for, options, logger=log)
    done = 0
    say("translating", 0, len(unique_jobs))

    def tick(job: Job, outcome: Outcome) -> None:
        nonlocal done
        done += 1
        say("translating", done, len(unique_jobs))

    outcomes = client.translate_all(unique_jobs, on_done=tick)
    report.requests = client.stats.requests
    report.retries = client.stats.retries
    report.halted = client.halted

    source_language = settings.source_locale.split("_")[0]
    for (pair, text), plan in plans.items():
        locale = texts[(pair, text)]
        language = locale.split("_")[0]
        piece_outcomes = [
            outcomes[Job(pair[0], pair[1], piece.text)] if piece.send else None
            for piece in plan.pieces
        ]
        results[(pair, text)] = _assemble(
            plan,
            piece_outcomes,
            same_language=language == source_language,
            dense_target=language in _DENSE_LANGUAGES,
            secrets=secrets,
        )
    return results


@dataclass
class _Accepted:
    candidate: _Candidate
    msgstr: str
    msgstr_plural: dict[int, str]
    texts: dict[str, str]  # source text → its accepted translation (for the memory)
    from_memory: bool


def _decide(
    settings: Settings,
    spec: Backend,
    candidates: Sequence[_Candidate],
    results: dict[tuple[_Pair, str], _TextResult],
    report: PrefillReport,
) -> list[_Accepted]:
    """Build each candidate's msgstr(s) and keep only those that pass every error-level check."""
    accepted: list[_Accepted] = []
    source_code = (
        backend_language(spec.name, settings.source_locale, role="source") if spec.network else ""
    )
    for candidate in candidates:
        locale_report = report.locales[candidate.locale]
        entry = candidate.entry
        translations: dict[str, str] = {}
        reason: str | None = None
        memory_only = True
        for text in candidate.texts():
            if spec.network:
                pair = (source_code, backend_language(spec.name, candidate.locale))
                result = results[(pair, text)]
                if result.text is None:
                    reason = result.reason
                    break
                translations[text] = result.text
                memory_only = memory_only and result.from_memory
            else:
                limit = max_length(entry.msgctxt)
                translations[text] = pseudolocalize(text, max_length=limit)
                memory_only = False
        if reason is None:
            msgstr, plural = _forms_for(candidate, translations)
            reason = _check(settings, candidate, msgstr, plural)
        if reason is not None:
            locale_report.failures.append(
                EntryFailure(
                    candidate.locale, candidate.domain, candidate.path, entry.linenum,
                    entry.msgid, reason,
                )
            )  # fmt: skip
            continue
        accepted.append(_Accepted(candidate, msgstr, plural, translations, memory_only))
    return accepted


def _forms_for(candidate: _Candidate, translations: dict[str, str]) -> tuple[str, dict[int, str]]:
    entry = candidate.entry
    if not candidate.forms:
        return translations[entry.msgid], {}
    singular = translations[entry.msgid]
    plural = translations[entry.msgid_plural]
    return "", {
        index: singular if index in candidate.singular_forms else plural
        for index in range(candidate.forms)
    }


def _check(
    settings: Settings, candidate: _Candidate, msgstr: str, plural: dict[int, str]
) -> str | None:
    entry = candidate.entry
    text = EntryText(
        msgid=entry.msgid,
        msgstr=msgstr,
        msgid_plural=entry.msgid_plural or None,
        msgstr_plural=plural,
        msgctxt=entry.msgctxt,
        fuzzy=True,
        line=entry.linenum,
        flags=frozenset(entry.flags) | {"fuzzy"},
    )
    # A UI string: an added placeholder would break the page; content: shown as written.
    diagnostics = check_entry(
        for_domain(text, candidate.domain),
        locale=candidate.locale,
        path=candidate.path,
        source_locale=settings.source_locale,
    )
    errors = [d for d in diagnostics if d.is_error]
    if not errors:
        return None
    first = errors[0]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"failed check {first.check}: {first.message}{more}"


def _write(
    spec: Backend,
    accepted: Sequence[_Accepted],
    day: date,
    report: PrefillReport,
    say: ProgressCallback,
) -> None:
    by_path: dict[Path, list[_Accepted]] = {}
    for item in accepted:
        by_path.setdefault(item.candidate.path, []).append(item)
    marker = provenance_comment(spec.name, day)
    for done, (path, items) in enumerate(by_path.items(), start=1):
        wanted = {item.candidate.key: item for item in items}

        def apply(po: polib.POFile, wanted: dict[_EntryKey, _Accepted] = wanted) -> list[_Accepted]:
            filled: list[_Accepted] = []
            for entry in po:
                if entry.obsolete:
                    continue
                item = wanted.get((entry.msgctxt, entry.msgid, entry.msgid_plural or None))
                if item is None:
                    continue
                # Re-checked under the lock: a translator may have filled it meanwhile.
                refresh = item.candidate.refresh
                if refresh is not None:
                    if _stale_pseudo_text(entry) != refresh:
                        continue
                elif not _all_empty(entry):
                    continue
                _fill(entry, item, marker)
                filled.append(item)
            return filled

        filled, written = update_catalog(path, apply)
        locale = items[0].candidate.locale
        locale_report = report.locales[locale]
        locale_report.filled += len(filled)
        locale_report.from_memory += sum(1 for item in filled if item.from_memory)
        locale_report.catalogs_written += int(written)
        skipped = len(items) - len(filled)
        if skipped:
            locale_report.skipped["filled by someone else meanwhile"] += skipped
        say("writing", done, len(by_path))


def _fill(entry: polib.POEntry, item: _Accepted, marker: str) -> None:
    if item.candidate.forms:
        entry.msgstr_plural = dict(item.msgstr_plural)
    else:
        entry.msgstr = item.msgstr
    if "fuzzy" not in entry.flags:
        entry.flags.insert(0, "fuzzy")
    # A machine entry has no previous msgid (that would make it "stale").
    entry.previous_msgid = None
    entry.previous_msgid_plural = None
    entry.previous_msgctxt = None
    kept = [
        line
        for line in (entry.tcomment or "").split("\n")
        if line and not line.strip().startswith(PROVENANCE_PREFIX)
    ]
    entry.tcomment = "\n".join([*kept, marker])


def _remember(
    settings: Settings,
    spec: Backend,
    source_code: str,
    target_codes: dict[str, str],
    accepted: Sequence[_Accepted],
    results: dict[tuple[_Pair, str], _TextResult],
) -> None:
    rows: dict[MemoryKey, str] = {}
    for item in accepted:
        target = target_codes[item.candidate.locale]
        for text, translation in item.texts.items():
            if not results[((source_code, target), text)].from_memory:
                rows[(spec.name, source_code, target, text)] = translation
    if rows:
        with TranslationMemory(settings.translation_memory_path) as memory:
            memory.put_many(rows.items())
