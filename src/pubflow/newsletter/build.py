"""Build a newsletter issue for every published locale: MJML, HTML, plain text, .eml, web copy.

:func:`render_newsletter` works like the site build:

1. read and check the issue file and its article, compile catalogs that are out of date, and
   decide the locales: those where the featured article is published (the source locale
   always; the pseudo-locale too, for QA, never advertised);
2. per locale, render everything in memory — Jinja2 → MJML (checked against an allow-list of
   MJML tags and attributes, problems named by template and line) → HTML (mjml-python), the
   plain-text part, the ``.eml`` and the web archive copy — and run every check
   (:mod:`pubflow.newsletter.checks`). An error stops that locale only; nothing of it is written
   and files of an earlier good build stay as they were;
3. write each file of the locales that passed atomically, only when its bytes changed, then
   ``dist/newsletter/<issue>/manifest.json`` (files, sizes, check results per locale).

A locale built before is not rendered again while its inputs and files are unchanged (its
result is replayed; ``report.up_to_date``): see "Incremental rebuilds" at the end of this
module. A failed locale is always tried again.

:func:`render_newsletters` builds several issues in one pass: what they share (compiling
catalogs, the publication plan, the template check) is done once and every stale
(issue, locale) pair goes to one pool of workers, which also write the files; reports, files
and per-issue state are those of building each issue on its own.

Outputs::

    dist/newsletter/<issue>/<locale>/email.mjml   (for review)
    dist/newsletter/<issue>/<locale>/email.html
    dist/newsletter/<issue>/<locale>/email.txt
    dist/newsletter/<issue>/<locale>/email.eml    (generic: sending fills in the unsubscribe token)
    dist/site/<locale>/newsletter/<issue>/index.html   (web archive: the view-in-browser target)
    dist/newsletter/<issue>/manifest.json
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pubflow.collector import with_fewer_collections
from pubflow.config import Settings
from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER
from pubflow.errors import PubflowError, RenderError
from pubflow.fingerprint import (
    FileHashes,
    digest,
    finish_output_records,
    now_ns,
    output_intact,
    output_record,
    read_state,
    settings_fingerprint,
    state_path,
    write_state,
)
from pubflow.fsutil import atomic_write_bytes, readable_json, sweep_stale_temp_files, validate_slug
from pubflow.i18n.diagnostics import CompileReport
from pubflow.i18n.pofile import po_path
from pubflow.i18n.runtime import Translations
from pubflow.ingest.canonical import ARTICLE_CACHE_NAME, canonical_path, remember_cached_articles
from pubflow.ingest.newsletter import (
    PREHEADER_CONTEXT,
    SUBJECT_CONTEXT,
    LoadedIssue,
    issue_path,
    load_issue,
)
from pubflow.locales import PSEUDO_LOCALE, html_lang, preload_locale_data
from pubflow.newsletter.checks import (
    CHECK_NAMES,
    Finding,
    check_header_text,
    check_html,
    check_size,
    check_text_part,
    errors_of,
    render_problem_findings,
)
from pubflow.parallel import run_jobs, worker_count
from pubflow.render.catalog_inputs import compile_if_changed
from pubflow.render.catalog_inputs import locale_keys as catalog_locale_keys
from pubflow.render.publishing import (
    PublishPlan,
    Skipped,
    plan_publication_cached,
    requested_locales,
)
from pubflow.render.shown import UI_DOMAIN, Notice, TranslationRecord
from pubflow.render.ui_lookups import Key, ui_catalog, ui_record, ui_unchanged
from pubflow.writemarks import WRITERS_DIR, mark_name, marked_writes

if TYPE_CHECKING:
    from pubflow.newsletter.mjml_check import MjmlProblem
    from pubflow.render.environment import LocaleEnvironment

ProgressCallback = Callable[[int, int, str], None]
"""``progress(done, total, what)``: called after each locale is rendered, checked and written."""

EMAIL_TEMPLATE = "newsletter/email.mjml"
TEXT_TEMPLATE = "newsletter/email.txt"
ARCHIVE_TEMPLATE = "newsletter/archive.mjml"
MANIFEST_NAME = "manifest.json"
EMAIL_FILES = ("email.mjml", "email.html", "email.txt", "email.eml")

Status = Literal["built", "failed"]


@dataclass(frozen=True)
class OutputFile:
    """One written (or unchanged) output of a locale."""

    name: str  # "email.html", …, "archive"
    path: Path
    size: int
    sha256: str
    written: bool


@dataclass
class LocaleResult:
    """What happened to one locale: built (with warnings) or failed (with the errors)."""

    locale: str
    status: Status
    files: list[OutputFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    subject: str | None = None
    error: PubflowError | None = None

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def errors(self) -> list[Finding]:
        return errors_of(self.findings)

    def file(self, name: str) -> OutputFile:
        for output in self.files:
            if output.name == name:
                return output
        raise KeyError(name)

    def describe_failure(self) -> str:
        """One line per error (for the CLI and flow logs)."""
        if self.error is not None:
            return f"{self.locale}: {self.error.describe()}"
        return "\n".join(f"{self.locale}: {finding.describe()}" for finding in self.errors)


@dataclass
class NewsletterReport:
    """The result of one build of one issue."""

    issue_id: str
    out_dir: Path
    manifest_path: Path
    locales: list[LocaleResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Locales not rendered again: inputs unchanged since they were built, files intact.
    up_to_date: list[str] = field(default_factory=list)
    # Set by render_newsletters for an issue that could not be built at all (what
    # render_newsletter raises: a bad issue file or article, broken templates); then no locale
    # was built and nothing of the issue was written.
    error: PubflowError | None = None

    @property
    def built(self) -> list[LocaleResult]:
        return [result for result in self.locales if result.status == "built"]

    @property
    def failed(self) -> list[LocaleResult]:
        return [result for result in self.locales if result.status == "failed"]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed

    @property
    def written(self) -> list[Path]:
        return [f.path for result in self.locales for f in result.files if f.written]

    @property
    def unchanged(self) -> list[Path]:
        return [f.path for result in self.locales for f in result.files if not f.written]

    def result(self, locale: str) -> LocaleResult:
        for result in self.locales:
            if result.locale == locale:
                return result
        raise KeyError(locale)

    def summary(self) -> str:
        """One line for humans and Prefect artifacts."""
        if self.error is not None:
            return f"newsletter {self.issue_id}: not built: {self.error.describe()}"
        warnings = sum(len(result.warnings) for result in self.locales)
        return (
            f"newsletter {self.issue_id}: {len(self.built)} locales built "
            f"({len(self.up_to_date)} up to date), {len(self.failed)} failed, "
            f"{len(self.skipped)} not published; {len(self.written)} files written, "
            f"{len(self.unchanged)} unchanged; {warnings} warnings → {self.out_dir}"
        )


# Rendering one locale ---------------------------------------------------------------------------


@dataclass
class _Rendered:
    outputs: dict[str, tuple[Path, bytes]]  # name → (path, bytes)
    findings: list[Finding]
    subject: str


class _LocaleFailed(Exception):
    """Errors found while building one locale (the locale is left out of the build)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].describe() if findings else "failed")
        self.findings = findings


def _template_path(env: LocaleEnvironment, name: str) -> Path:
    for folder in env.template_dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return env.template_dirs[0] / name


def _mjml_findings(
    env: LocaleEnvironment,
    name: str,
    context: dict[str, Any],
    notices: frozenset[Notice],
    problems: list[MjmlProblem],
) -> list[Finding]:
    """MJML problems as findings that name the template file and line they come from."""
    settings = env.settings
    with env.recording():
        # The same context LocaleEnvironment.render_once passes (its per-render globals, when
        # the Jinja environment is shared between locales, plus ours).
        extra = getattr(env, "globals", {})
        from pubflow.newsletter.trace import trace_render  # only for a broken template

        trace = trace_render(env.jinja, name, {**extra, **context, "notices": notices})
    findings: list[Finding] = []
    for problem in problems:
        where = trace.locate(problem.offset)
        path: Path = _template_path(env, name)
        line: int | None = None
        if where is not None:
            template, filename, line = where
            path = Path(filename) if filename else _template_path(env, template)
        shown = path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
        findings.append(
            Finding(
                "error",
                "mjml",
                f"{problem.message} (locale {env.locale}; line {problem.line} of the generated MJML)",
                shown,
                line,
            )
        )
    return findings


def _untranslated(env: LocaleEnvironment, record: TranslationRecord, domain: str) -> list[Finding]:
    """One warning when some of the issue's own strings fall back to the source language."""
    if env.locale == env.settings.source_locale:
        return []
    missing = sorted(
        {m.msgid for m in record.shown if m.domain == domain and m.fallback and m.context is None}
    )
    if not missing:
        return []
    return [
        Finding(
            "warning",
            "translation",
            f"{len(missing)} of the issue's strings are not translated into {env.locale} and "
            f"are shown in the source language (first: {missing[0][:60]!r})",
        )
    ]


def _render(
    env: LocaleEnvironment, name: str, context: dict[str, Any], looked_up: TranslationRecord
) -> tuple[str, frozenset[Notice], TranslationRecord]:
    """Render until the notices are stable, counting the lookups made for the context too.

    (What :meth:`LocaleEnvironment.render` does, plus the lookups of ``looked_up``: the
    context holds finished strings, so the template alone would not see their states.)
    """
    notices = looked_up.notices()
    for _ in range(len(Notice) + 1):
        text, record = env.render_once(name, context, notices)
        wanted = notices | record.notices()
        if wanted == notices:
            break
        notices = wanted
    record.merge(looked_up)
    return text, notices, record


def _render_mjml(
    env: LocaleEnvironment,
    name: str,
    context: dict[str, Any],
    looked_up: TranslationRecord,
    domain: str | None = None,
) -> tuple[str, str, list[Finding]]:
    """Template → checked MJML → HTML; MJML problems raise :class:`_LocaleFailed`.

    With ``domain``, also warns about the issue's strings that are not translated.
    """
    from pubflow.newsletter.mjml_check import check_mjml, compile_mjml

    text, notices, record = _render(env, name, context, looked_up)
    findings = render_problem_findings(record.problems)
    if domain is not None:
        findings += _untranslated(env, record, domain)
    problems = check_mjml(text)
    if problems:
        raise _LocaleFailed(_mjml_findings(env, name, context, notices, problems))
    html = compile_mjml(text, template=_template_path(env, name), locale=env.locale)
    return text, html, findings


@dataclass(frozen=True)
class _IssueInputs:
    """What rendering one locale of an issue reads (shared with the worker processes)."""

    settings: Settings
    loaded: LoadedIssue
    plan: PublishPlan
    site_dir: Path
    out_dir: Path
    unreadable: dict[str, Finding]


def _render_job(
    inputs: _IssueInputs, locale: str, env: LocaleEnvironment | None = None
) -> tuple[str, Any]:
    """One locale, as ("built", rendered), ("failed", findings) or ("error", PubflowError).

    Failures come back as values: ``_LocaleFailed`` would not survive the trip from a worker
    process (its findings are not in its args).
    """
    try:
        if locale in inputs.unreadable:
            raise _LocaleFailed([inputs.unreadable[locale]])
        rendered = _render_locale(
            inputs.settings, inputs.loaded, inputs.plan, locale, inputs.site_dir, inputs.out_dir, env
        )
    except _LocaleFailed as failure:
        return "failed", failure.findings
    except PubflowError as exc:
        return "error", exc
    return "built", rendered


def _render_locale(
    settings: Settings,
    loaded: LoadedIssue,
    plan: PublishPlan,
    locale: str,
    site_dir: Path,
    out_dir: Path,
    env: LocaleEnvironment | None = None,
) -> _Rendered:
    """Everything of one locale, in memory and checked; errors raise :class:`_LocaleFailed`.

    ``env``: an environment of this locale and its policy to reuse (see :class:`_Jobs`).
    """
    # Imported here, not with the module: a build with nothing to render (the no-op rebuild)
    # never needs them, and they are ~35 ms of every process's start otherwise.
    from pubflow.newsletter.content import archive_path, build_content
    from pubflow.newsletter.export import EmailHeaders, build_email
    from pubflow.newsletter.plaintext import format_plain_text

    if env is None:
        from pubflow.render.environment import LocaleEnvironment

        env = LocaleEnvironment(settings, locale, policy=plan.policy(locale))
    issue = loaded.issue
    domain = loaded.source.domain
    content = build_content(env, loaded, plan)
    findings: list[Finding] = [Finding("warning", "related", text) for text in content.warnings]

    for field_name, msgid, msgctxt, shown in (
        ("subject", issue.subject, SUBJECT_CONTEXT, content.subject),
        ("preheader", issue.preheader, PREHEADER_CONTEXT, content.preheader),
    ):
        findings += check_header_text(
            settings, locale=locale, domain=domain, field=field_name, msgid=msgid,
            context=msgctxt, shown=shown,
        )
    if errors_of(findings):
        raise _LocaleFailed(findings)

    mjml_text, html, rendered_findings = _render_mjml(
        env, EMAIL_TEMPLATE, content.context, content.record, domain
    )
    findings += rendered_findings
    raw_text, _, text_record = _render(env, TEXT_TEMPLATE, content.context, content.record)
    text = format_plain_text(raw_text)
    findings += render_problem_findings(text_record.problems)

    archive = build_content(env, loaded, plan, archive=True)
    _, archive_html, archive_findings = _render_mjml(env, ARCHIVE_TEMPLATE, archive.context, archive.record)
    findings += archive_findings

    findings += check_size(html)
    findings += check_html(html, name="email.html", unsubscribe_url=content.unsubscribe_url, tracked=True)
    findings += check_html(archive_html, name="archive page", unsubscribe_url=None, tracked=False)
    findings += check_text_part(
        text, (url for _, url in content.footnotes.items()), unsubscribe_url=content.unsubscribe_url
    )
    if errors_of(findings):
        raise _LocaleFailed(findings)

    headers = EmailHeaders(
        issue_id=issue.id,
        locale=locale,
        language=html_lang(locale),
        date=issue.date,
        subject=content.subject.text,
        mail_from=settings.mail_from,
        reply_to=settings.reply_to,
        list_id=settings.list_id,
        unsubscribe_url=content.unsubscribe_url or "",
        unsubscribe_mailto=settings.unsubscribe_mailto,
        unsubscribe_token=UNSUBSCRIBE_TOKEN_PLACEHOLDER,
    )
    eml = build_email(headers, text, html)
    folder = out_dir / locale
    outputs = {
        "email.mjml": (folder / "email.mjml", mjml_text.encode("utf-8")),
        "email.html": (folder / "email.html", html.encode("utf-8")),
        "email.txt": (folder / "email.txt", text.encode("utf-8")),
        "email.eml": (folder / "email.eml", eml),
        "archive": (site_dir / archive_path(locale, issue.id) / "index.html", archive_html.encode("utf-8")),
    }
    # Deduplicate warnings (the same refused translation shows in HTML and text).
    unique = list(dict.fromkeys(findings))
    return _Rendered(outputs, unique, content.subject.text)


# The build --------------------------------------------------------------------------------------


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _locale_entry(settings: Settings, result: LocaleResult, checks: dict[str, str]) -> dict[str, Any]:
    dist = settings.dist_path
    entry: dict[str, Any] = {
        "status": result.status,
        "qa_only": result.locale == PSEUDO_LOCALE,
        "checks": checks,
        "findings": [finding.as_dict() for finding in result.findings],
    }
    if result.subject is not None:
        entry["subject"] = result.subject
    if result.error is not None:
        entry["error"] = result.error.describe()
    if result.files:
        entry["files"] = {
            output.name: {"path": _relative(output.path, dist), "bytes": output.size, "sha256": output.sha256}
            for output in result.files
        }
    return entry


def _check_summary(findings: Sequence[Finding], failed_early: bool) -> dict[str, str]:
    """Per check: ``ok``, ``warning`` or ``error`` (``not run`` after an earlier error)."""
    summary: dict[str, str] = {}
    for name in CHECK_NAMES:
        mine = [f for f in findings if f.check == name]
        if any(f.severity == "error" for f in mine):
            summary[name] = "error"
        elif mine:
            summary[name] = "warning"
        else:
            summary[name] = "not run" if failed_early else "ok"
    return summary


def _unreadable_catalogs(
    settings: Settings, compiled: CompileReport, domain: str
) -> dict[str, Finding]:
    """Locales whose catalog of this issue cannot be read: they would go out untranslated.

    (The site shows the source text for such a catalog; an email whose subject silently falls
    back to the source language is worse than no email in that language.)
    """
    found: dict[str, Finding] = {}
    for result in compiled.failed:
        if result.domain != domain:
            continue
        po = po_path(settings, result.locale, domain)
        shown = po.relative_to(settings.root) if po.is_relative_to(settings.root) else po
        diagnostic = next(
            (d for d in compiled.diagnostics if d.path is not None and Path(d.path) in (po, shown)),
            None,
        )
        reason = diagnostic.message if diagnostic is not None else "the catalog cannot be read"
        found[result.locale] = Finding(
            "error",
            "translation",
            f"the {result.locale} catalog of this issue cannot be read ({reason})",
            shown,
            diagnostic.line if diagnostic is not None else None,
        )
    return found


def render_newsletter(
    settings: Settings,
    issue_id: str,
    locales: Sequence[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> NewsletterReport:
    """Build issue ``issue_id`` for ``locales`` (default: every locale the article is published in).

    Raises :class:`~pubflow.errors.PubflowError` for problems that stop the whole build (the
    issue file, its article, the templates). A locale that fails a check is reported in the
    result (``status == "failed"``) and nothing of it is written. A locale built before whose
    inputs did not change and whose files are intact is not rendered again
    (``report.up_to_date``; see :func:`_issue_inputs` and :mod:`pubflow.fingerprint`);
    ``force`` renders every locale. :func:`render_newsletters` builds several issues at once.
    """
    on_item: _ItemProgress | None = None
    if progress is not None:
        callback = progress

        def on_item(done: int, total: int, issue: str, locale: str) -> None:
            callback(done, total, locale)

    [report] = _render_issues(settings, [issue_id], locales, on_item, force)
    if report.error is not None:
        raise report.error
    return report


def render_newsletters(
    settings: Settings,
    issue_ids: Sequence[str],
    locales: Sequence[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> list[NewsletterReport]:
    """Build every issue of ``issue_ids`` in one pass; one report per issue, in the order given.

    The same build as :func:`render_newsletter` per issue (same files, manifests, findings and
    per-issue incremental state), but what the issues share is done once: the catalogs of all
    of them are compiled (if changed) in one call, one publication plan covers all their
    articles, the templates are hashed and checked once, and one pool of workers renders every
    stale (issue, locale) pair — with 10 issues of 11 locales, 110 jobs instead of 10 pools of
    11 (two workers were idle at the end of each) and ten times the fixed costs.

    An issue that cannot be built at all (a bad id, an unreadable issue file or article: what
    :func:`render_newsletter` raises) does not stop the others: its report has ``error`` set
    (``ok`` is False) and nothing else. Problems every issue shares — an unknown locale in
    ``locales``, a catalog folder that cannot be compiled — are raised. ``progress(done, total,
    "<issue> <locale>")`` is called for every issue-locale, as it is finished.
    """
    on_item: _ItemProgress | None = None
    if progress is not None:
        callback = progress

        def on_item(done: int, total: int, issue: str, locale: str) -> None:
            callback(done, total, f"{issue} {locale}")

    return _render_issues(settings, list(dict.fromkeys(issue_ids)), locales, on_item, force)


_ItemProgress = Callable[[int, int, str, str], None]
"""``(done, total, issue, locale)``: what the two entry points turn into their progress calls."""

SHARED_STATE_PREFIX = "_shared-"
"""``build/incremental/newsletter/_shared-<key>.json``: what the issues built together share
(file hashes, the compile record, the publication plan's rows), one file per set of issue ids
(``build newsletter ISSUE`` and a build of every issue each find theirs). Issue ids are slugs
(lowercase, digits, hyphens), so no issue's own state can have such a name."""

MAX_SHARED_STATES = 16
"""Shared states kept (the most recently written): one per set of issues built together."""


@dataclass
class _Issue:
    """One issue on its way through :func:`_render_issues`."""

    issue_id: str
    state_file: Path
    previous: dict[str, Any]
    facts: dict[str, Any]
    loaded: LoadedIssue | None
    domains: list[str]  # the catalogs it reads: UI, its own, its articles'
    out_dir: Path
    # Set once the publication plan is known:
    plan: PublishPlan | None = None
    unreadable: dict[str, Finding] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    wanted: dict[str, str] = field(default_factory=dict)
    up_to_date: set[str] = field(default_factory=set)
    ui_compiled: dict[str, str | None] = field(default_factory=dict)  # locale → its UI catalog
    ui_kept: dict[str, dict[str, Any]] = field(default_factory=dict)  # up-to-date locales' UI records

    @property
    def stale(self) -> list[str]:
        return [loc for loc in self.chosen if loc not in self.up_to_date]


@dataclass
class _Written:
    """A built locale as its job left it: files written, what to report and record of them."""

    files: list[OutputFile]
    outputs: list[dict[str, Any]]  # output records, in the order of ``files``
    findings: list[Finding]
    subject: str
    # The UI messages looked up (at least: the worker's environment serves several issues).
    ui_lookups: frozenset[Key] = frozenset()


@dataclass
class _Jobs:
    """What the jobs of one build share: each issue's inputs, and environments per locale.

    One :class:`LocaleEnvironment` per (locale, policy) serves every issue a process renders
    in that locale, as the site build does for its pages: its Jinja templates, catalogs and
    remembered lookups (the UI strings every issue shows) are made once, not once per issue.
    Its catalogs are those of this build (the cache is made per build and, in a worker,
    lives in that worker's copy).
    """

    issues: dict[str, _IssueInputs]
    environments: dict[tuple[str, str], LocaleEnvironment] = field(default_factory=dict)

    def environment(self, inputs: _IssueInputs, locale: str) -> LocaleEnvironment:
        policy = inputs.plan.policy(locale)
        env = self.environments.get((locale, policy))
        if env is None:
            from pubflow.render.environment import LocaleEnvironment

            env = LocaleEnvironment(inputs.settings, locale, policy=policy)
            self.environments[(locale, policy)] = env
        return env


def _build_job(shared: _Jobs, issue_id: str, locale: str) -> tuple[str, Any]:
    """Render one issue-locale and, when every check passed, write its files (in the worker).

    Writing here rather than in the parent spreads the writes over the workers too and keeps
    the files' bytes (some 200 KB per locale) from being pickled back; only their records
    return. Nothing is written for a locale that failed, as before.
    """
    inputs = shared.issues[issue_id]
    env = shared.environment(inputs, locale)
    kind, value = _render_job(inputs, locale, env)
    if kind != "built":
        return kind, value
    rendered: _Rendered = value
    files: list[OutputFile] = []
    outputs: list[dict[str, Any]] = []
    for name, (path, data) in rendered.outputs.items():
        written = atomic_write_bytes(path, data, durable=False)  # dist/: rebuilt if lost
        record = output_record(path, data)
        files.append(OutputFile(name, path, record["bytes"], record["sha256"], written))
        outputs.append({"name": name, **record})
    # Every UI message this environment looked up so far: this issue's, and those of the issues
    # it rendered before in this locale (their lookups are remembered, so this one's hits on
    # them were not seen again). More than this issue needs only ever renders it once more.
    return "built", _Written(files, outputs, rendered.findings, rendered.subject, frozenset(env.ui_lookups))


def _prune_shared_states(folder: Path) -> None:
    """Keep the :data:`MAX_SHARED_STATES` most recently written shared states (a state only
    saves work: a set of issues whose state was dropped checks its catalogs once more)."""
    found = []
    for entry in os.scandir(folder):
        if entry.name.startswith(SHARED_STATE_PREFIX) and entry.name.endswith(".json"):
            try:
                found.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
    for _, path in sorted(found, reverse=True)[MAX_SHARED_STATES:]:
        try:
            os.unlink(path)
        except OSError:
            pass


@with_fewer_collections
def _render_issues(
    settings: Settings,
    issue_ids: list[str],
    locales: Sequence[str] | None,
    progress: _ItemProgress | None,
    force: bool,
) -> list[NewsletterReport]:
    """The build behind :func:`render_newsletter` and :func:`render_newsletters`."""
    # The archive pages go into the site's folder: its write mark, once taken, is held
    # until the build returns (see pubflow.writemarks).
    with ExitStack() as marks:
        return _render_issues_marked(settings, issue_ids, locales, progress, force, marks)


def _render_issues_marked(
    settings: Settings,
    issue_ids: list[str],
    locales: Sequence[str] | None,
    progress: _ItemProgress | None,
    force: bool,
    marks: ExitStack,
) -> list[NewsletterReport]:
    requested = requested_locales(settings, locales)
    settings_key = settings_fingerprint(settings)
    dist = settings.dist_path
    site_dir = dist / "site"
    shared_state = state_path(
        settings, "newsletter", f"{SHARED_STATE_PREFIX}{digest(sorted(issue_ids))[:16]}.json"
    )
    shared_previous = {} if force else read_state(shared_state, "newsletter-shared")
    hashes = FileHashes(settings.root, shared_previous.get("hashes"))
    swept = False

    def sweep() -> None:
        # Before the first write: take the site folder's write mark (archive pages) and remove
        # leftovers of crashed writes (in the site's page folders only if a writer died).
        nonlocal swept
        if not swept:
            site_marks = marks.enter_context(
                marked_writes(state_path(settings, WRITERS_DIR), mark_name("site", site_dir))
            )
            site_marks.sweep(site_dir)
            sweep_stale_temp_files(dist / "newsletter", settings.compiled_locales_path, settings.cache_path)
            swept = True

    # 1. Each issue: what it reads (from its state while the issue and its articles are
    # unchanged). An issue that cannot be read is reported and left out; the others go on.
    errors: dict[str, PubflowError] = {}
    issues: list[_Issue] = []
    articles: dict[str, str | None] | None = None
    warmed = False

    def read(issue_id: str) -> LoadedIssue:
        # The articles the site build kept parsed: issues read theirs without parsing them.
        nonlocal warmed
        if not warmed:
            remember_cached_articles(settings.articles_path, settings.cache_path / ARTICLE_CACHE_NAME)
            warmed = True
        return load_issue(settings.newsletters_path, settings.articles_path, issue_id)

    for issue_id in issue_ids:
        try:
            issue_file = issue_path(settings.newsletters_path, issue_id)  # checks the id
            state_file = state_path(settings, "newsletter", f"{issue_id}.json")
            previous = {} if force else read_state(state_file, "newsletter")
            loaded: LoadedIssue | None = None
            issue_sha = hashes.sha256(issue_file)
            facts = _issue_inputs(hashes, issue_sha, previous.get("issue"))
            if facts is None:
                if articles is None:
                    # Hashed before reading: a file saved meanwhile differs next time.
                    articles = hashes.files(sorted(settings.articles_path.glob("*.md")))
                loaded = read(issue_id)
                facts = _issue_facts(settings, issue_sha, articles, loaded)
        except PubflowError as exc:
            errors[issue_id] = exc
            continue
        slugs = [str(slug) for slug in facts["slugs"]]
        issues.append(
            _Issue(
                issue_id,
                state_file,
                previous,
                facts,
                loaded,
                list(dict.fromkeys([UI_DOMAIN, str(facts["domain"]), *slugs])),
                dist / "newsletter" / issue_id,
            )
        )

    # 2. Together: compile the catalogs of every issue (only those: checking every catalog of
    # the site dominated a multi-issue build), plan the publication of all their articles.
    shared_record: dict[str, Any] = {}
    if issues:
        domains = list(dict.fromkeys(domain for issue in issues for domain in issue.domains))
        all_slugs = list(dict.fromkeys(str(slug) for issue in issues for slug in issue.facts["slugs"]))
        catalogs = compile_if_changed(
            settings,
            hashes,
            shared_previous.get("compile"),
            domains=domains,
            before_compile=sweep,
            settings_key=settings_key,
        )
        compiled_keys = catalogs.locale_keys()
        row_keys = {
            loc: digest(settings_key, all_slugs, compiled_keys.get(loc)) for loc in settings.all_locales
        }
        plan, plan_rows = plan_publication_cached(settings, all_slugs, row_keys, shared_previous.get("plan"))
        shared_record = {"compile": catalogs.record, "plan": plan_rows}
        compile_report = catalogs.report()
        templates = hashes.tree(settings.templates_path)
        # The UI catalog counts through the messages each locale looked up (ui_lookups).
        ui_compiled = {loc: catalogs.compiled.get(f"{loc}/{UI_DOMAIN}") for loc in requested}
        for issue in issues:
            # Per issue, exactly what a build of that issue alone computes: its fingerprints
            # do not change with the set of issues built together.
            issue.plan = _sub_plan(plan, [str(slug) for slug in issue.facts["slugs"]])
            domain, article_slug = str(issue.facts["domain"]), str(issue.facts["article"])
            issue.unreadable = _unreadable_catalogs(settings, compile_report, domain)
            mine = {
                f"{loc}/{name}" for loc in settings.all_locales for name in issue.domains if name != UI_DOMAIN
            }
            locale_keys = catalog_locale_keys({k: v for k, v in catalogs.compiled.items() if k in mine})
            issue.ui_compiled = ui_compiled
            issue.chosen = [loc for loc in requested if issue.plan.is_built(loc, article_slug)]
            issue.skipped = [
                s for s in issue.plan.skipped if s.slug == article_slug and s.locale in requested
            ]
            common = digest(settings_key, templates, issue.facts, issue.plan.publication_key())
            issue.wanted = {
                loc: digest("newsletter", loc, common, locale_keys.get(loc), loc in issue.unreadable)
                for loc in issue.chosen
            }
            recorded_locales = issue.previous.get("locales")
            built_before = recorded_locales if isinstance(recorded_locales, dict) else {}
            for loc in issue.chosen:
                if not _locale_intact(dist, built_before.get(loc), issue.wanted[loc]):
                    continue
                kept = ui_unchanged(
                    built_before[loc].get("ui"),
                    issue.ui_compiled[loc],
                    partial(ui_catalog, settings, plan, loc),
                )
                if kept is not None:
                    issue.up_to_date.add(loc)
                    issue.ui_kept[loc] = kept

    # 3. Load what renders; broken templates stop every issue that has something to render.
    rendering = [issue for issue in issues if issue.stale]
    if rendering:
        sweep()
        try:
            from pubflow.render.environment import LocaleEnvironment

            probe = LocaleEnvironment(settings, settings.source_locale)
            for name in (EMAIL_TEMPLATE, TEXT_TEMPLATE, ARCHIVE_TEMPLATE):
                probe.get_template(name)
        except PubflowError as exc:
            for issue in rendering:
                errors[issue.issue_id] = exc
            rendering = []
    for issue in rendering:
        if issue.loaded is None:
            try:
                issue.loaded = read(issue.issue_id)
            except PubflowError as exc:
                errors[issue.issue_id] = exc
    issues = [issue for issue in issues if issue.issue_id not in errors]

    # 4. Every stale issue-locale in one pool (results in job order); up-to-date ones first.
    total = sum(len(issue.chosen) for issue in issues)
    done = 0

    def advance(issue_id: str, locale: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, issue_id, locale)

    for issue in issues:
        for locale in issue.chosen:
            if locale in issue.up_to_date:
                advance(issue.issue_id, locale)
    shared = _Jobs({})
    jobs: list[tuple[str, str]] = []
    for issue in issues:
        if issue.stale:
            assert issue.loaded is not None and issue.plan is not None  # loaded in step 3
            shared.issues[issue.issue_id] = _IssueInputs(
                settings, issue.loaded, issue.plan, site_dir, issue.out_dir, issue.unreadable
            )
            jobs.extend((issue.issue_id, locale) for locale in issue.stale)
    outcomes: dict[tuple[str, str], tuple[str, Any]] = {}
    ui_catalogs: dict[str, Translations] = {}
    if jobs:
        # Each locale's CLDR data (some 10 ms to load) and the rendering modules once here,
        # not once in every worker.
        for locale in dict.fromkeys(locale for _, locale in jobs):
            preload_locale_data(locale)
        import pubflow.newsletter.content  # noqa: F401
        import pubflow.newsletter.export  # noqa: F401
        import pubflow.newsletter.mjml_check  # noqa: F401
        import pubflow.newsletter.plaintext  # noqa: F401
        # Each language's UI catalog as the workers will read it (they inherit it): what each
        # built locale records of the messages it looked up. Loaded once per language: an
        # issue's plan is cut out of this one and keeps its publish policies.
        for locale in dict.fromkeys(locale for _issue_id, locale in jobs):
            ui_catalogs[locale] = ui_catalog(settings, plan, locale)
        results = run_jobs(
            _build_job,
            shared,
            jobs,
            workers=worker_count(settings.workers, len(jobs)),
            on_done=lambda index, _: advance(*jobs[index]),
        )
        outcomes = dict(zip(jobs, results, strict=True))

    # 5. Per issue: report, manifest and state, as a build of that issue alone leaves them.
    reports: dict[str, NewsletterReport] = {}
    finished: list[tuple[_Issue, dict[str, Any], dict[str, Any]]] = []
    for issue in issues:
        report, built_now, manifest_record = _finish_issue(
            settings, issue, requested, outcomes, ui_catalogs
        )
        reports[issue.issue_id] = report
        finished.append((issue, built_now, manifest_record))
    saved_at = now_ns()
    for issue, built_now, manifest_record in finished:
        finish_output_records(
            [manifest_record, *(output for record in built_now.values() for output in record["outputs"])],
            saved_at,
        )
        write_state(
            issue.state_file,
            "newsletter",
            {
                "issue": issue.facts,
                "locales": built_now,
                "manifest": manifest_record,
            },
            issue.previous,
        )
    if issues:
        new = not shared_state.exists()
        write_state(
            shared_state,
            "newsletter-shared",
            {"hashes": hashes.records(saved_at), **shared_record},
            shared_previous,
        )
        if new:
            _prune_shared_states(shared_state.parent)

    out: list[NewsletterReport] = []
    for issue_id in issue_ids:
        if issue_id in errors:
            folder = dist / "newsletter"
            try:
                folder /= validate_slug(issue_id)
            except PubflowError:
                pass  # a bad id: no folder of its own (nothing was written)
            out.append(NewsletterReport(issue_id, folder, folder / MANIFEST_NAME, error=errors[issue_id]))
        else:
            out.append(reports[issue_id])
    return out


def _sub_plan(plan: PublishPlan, slugs: Sequence[str]) -> PublishPlan:
    """The plan :func:`plan_publication` makes for ``slugs`` alone, cut out of a larger one.

    Each (locale, article) cell depends only on that locale's catalogs of the UI and the
    article, so cutting gives the same rows, in the same order (locales, then ``slugs``) —
    and the same :meth:`PublishPlan.publication_key` as a build of one issue.
    """
    wanted = tuple(slugs)
    by_cell: dict[tuple[str, str], list[Skipped]] = {}
    for item in plan.skipped:
        by_cell.setdefault((item.locale, item.slug), []).append(item)
    return dataclasses.replace(
        plan,
        slugs=wanted,
        coverage={(loc, slug): plan.coverage[(loc, slug)] for loc in plan.locales for slug in wanted},
        built={loc: tuple(slug for slug in wanted if plan.is_built(loc, slug)) for loc in plan.built},
        skipped=tuple(
            item for loc in plan.locales for slug in wanted for item in by_cell.get((loc, slug), ())
        ),
    )


def _finish_issue(
    settings: Settings,
    issue: _Issue,
    requested: Sequence[str],
    outcomes: dict[tuple[str, str], tuple[str, Any]],
    ui_catalogs: Mapping[str, Translations],
) -> tuple[NewsletterReport, dict[str, Any], dict[str, Any]]:
    """One issue's report and manifest; returns them with the records its state keeps."""
    dist = settings.dist_path
    facts = issue.facts
    article_slug = str(facts["article"])
    recorded = issue.previous.get("locales")
    built_before: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    report = NewsletterReport(issue.issue_id, issue.out_dir, issue.out_dir / MANIFEST_NAME, skipped=issue.skipped)
    manifest_locales: dict[str, Any] = {}
    built_now: dict[str, Any] = {}
    for locale in issue.chosen:
        if locale in issue.up_to_date:
            record = built_before[locale]
            report.locales.append(_replayed_result(dist, locale, record))
            report.up_to_date.append(locale)
            built_now[locale] = {**record, "ui": issue.ui_kept[locale]}
            manifest_locales[locale] = record["entry"]
            continue
        result = LocaleResult(locale, "built")
        outputs: list[dict[str, Any]] = []  # in the order of result.files
        kind, value = outcomes[(issue.issue_id, locale)]
        if kind == "failed":
            result.status, result.findings = "failed", value
        elif kind == "error":
            result.status, result.error = "failed", value
            result.findings = [Finding("error", "mjml" if isinstance(value, RenderError) else "render", value.describe())]
        else:
            written: _Written = value
            result.findings, result.subject = written.findings, written.subject
            result.files, outputs = written.files, written.outputs
        report.locales.append(result)
        manifest_locales[locale] = _locale_entry(
            settings, result, _check_summary(result.findings, result.status == "failed")
        )
        if result.status == "built":
            # Failed locales are not recorded: they render again (and fail or pass) next time.
            built_now[locale] = {
                "fingerprint": issue.wanted[locale],
                "entry": manifest_locales[locale],
                "outputs": outputs,
                "ui": ui_record(
                    ui_catalogs[locale], issue.ui_compiled[locale], written.ui_lookups
                ),
            }

    previous_manifest = _read_manifest(report.manifest_path).get("locales", {})
    kept = {
        loc: entry
        for loc, entry in (previous_manifest.items() if isinstance(previous_manifest, dict) else [])
        if loc not in requested and loc in settings.all_locales
    }
    for item in issue.skipped:
        manifest_locales[item.locale] = {"status": "not published", "reason": item.describe()}
        # An earlier build's email and web copy of this language go: their links lead to
        # pages the site no longer has (and sending never takes them: see the manifest).
        _remove_locale_outputs(dist, issue.out_dir, item.locale, issue.issue_id)
    manifest = {
        "issue": facts["id"],
        "date": facts["date"],
        "article": article_slug,
        "subject": facts["subject"],
        # What the issue file held when it was read: sending refuses an issue edited since.
        "source_sha256": facts["sha256"],
        "locales": dict(sorted({**kept, **manifest_locales}.items())),
    }
    # When the same manifest is still on disk, leave it (and its mtime) alone.
    manifest_key = digest(manifest)
    manifest_record = issue.previous.get("manifest")
    if not (
        isinstance(manifest_record, dict)
        and manifest_record.get("key") == manifest_key
        and output_intact(report.manifest_path, manifest_record)
    ):
        data = readable_json(manifest).encode("utf-8")
        atomic_write_bytes(report.manifest_path, data, durable=False)  # dist/: rebuilt if lost
        manifest_record = {"key": manifest_key, **output_record(report.manifest_path, data)}

    # Locales this build did not ask for keep what an earlier build recorded for them.
    for loc, record in built_before.items():
        if loc not in requested and loc in settings.all_locales:
            built_now[loc] = record
    return report, built_now, manifest_record


def _remove_locale_outputs(dist: Path, out_dir: Path, locale: str, issue_id: str) -> None:
    """Delete one locale's email files and web archive copy of an issue, if any are left."""
    from pubflow.newsletter.content import archive_path

    folder = out_dir / locale
    archive = dist / "site" / archive_path(locale, issue_id)
    for path in [*(folder / name for name in EMAIL_FILES), archive / "index.html"]:
        path.unlink(missing_ok=True)
    for empty in (folder, archive):
        try:
            empty.rmdir()
        except OSError:
            pass  # not there, or holds something that is not ours: left alone


# Incremental rebuilds ---------------------------------------------------------------------------
# ``build/incremental/newsletter/<issue>.json`` records what the issue read (its file and the
# canonical articles load_issue consulted, hashed before reading) and per built locale a
# fingerprint (code, settings, templates, issue inputs, publication plan, that locale's
# compiled catalogs of the issue's domains but the UI catalog) with its manifest entry, the
# hash of every file written (email.*, web archive page) and the UI messages it looked up with
# a hash of what they showed (``ui``: see pubflow.render.ui_lookups). What the issues built together share — file hashes, the
# compile record, the plan's rows — is in ``_shared-<key>.json`` next to them (one per set of
# issue ids; see SHARED_STATE_PREFIX). A locale's fingerprint only covers its own issue's
# inputs, so it is the same whichever issues were built with it.


def _issue_inputs(hashes: FileHashes, issue_sha: str | None, recorded: object) -> dict[str, Any] | None:
    """What an earlier build learnt from the issue, if the issue and what it read are unchanged.

    None: read the issue again (first build, or the issue file or a canonical article it read
    changed, appeared or disappeared).
    """
    if not isinstance(recorded, dict):
        return None
    reads = recorded.get("reads")
    if issue_sha is None or recorded.get("sha256") != issue_sha or not isinstance(reads, dict):
        return None
    for path, known in reads.items():
        if hashes.sha256(Path(path)) != known:
            return None
    return recorded


def _issue_facts(
    settings: Settings, issue_sha: str | None, articles: dict[str, str | None], loaded: LoadedIssue
) -> dict[str, Any]:
    """What the build needs of a freshly loaded issue, and the hashes of the files it read.

    ``issue_sha`` and ``articles`` (path → hash of every canonical article) were taken before
    the issue was read, so a file saved meanwhile differs from them next time.
    """
    issue = loaded.issue
    consulted = [issue.article, *issue.related, *loaded.related_slugs]
    reads = [str(canonical_path(settings.articles_path, slug)) for slug in dict.fromkeys(consulted)]
    return {
        "sha256": issue_sha,
        "reads": {path: articles.get(path) for path in reads},
        "id": issue.id,
        "date": issue.date.isoformat(),
        "subject": issue.subject,
        "article": loaded.article.article.slug,
        "domain": loaded.source.domain,
        "slugs": list(dict.fromkeys([loaded.article.article.slug, *loaded.related_articles])),
    }


def _locale_intact(dist: Path, record: object, fingerprint: str) -> bool:
    """True when a locale built before has the same fingerprint and every file as written."""
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    outputs, entry = record.get("outputs"), record.get("entry")
    if not isinstance(outputs, list) or not outputs or not isinstance(entry, dict):
        return False
    files = entry.get("files")
    try:
        if not isinstance(files, dict) or files.keys() != {output["name"] for output in outputs}:
            return False
        return all(
            output_intact(os.path.join(dist, files[output["name"]]["path"]), output)
            for output in outputs
        )
    except (KeyError, TypeError, AttributeError):
        return False  # a damaged state: render


def _finding_from_dict(data: dict[str, Any]) -> Finding:
    return Finding(
        data["severity"],
        str(data["check"]),
        str(data["message"]),
        Path(data["path"]) if data.get("path") else None,
        data.get("line"),
    )


def _replayed_result(dist: Path, locale: str, record: dict[str, Any]) -> LocaleResult:
    """The result of an up-to-date locale, from what its build recorded (nothing written)."""
    entry = record["entry"]
    files = []
    for output in record["outputs"]:
        name = output["name"]
        item = entry["files"][name]
        files.append(OutputFile(name, dist / item["path"], int(item["bytes"]), str(item["sha256"]), False))
    return LocaleResult(
        locale,
        "built",
        files=files,
        findings=[_finding_from_dict(found) for found in entry.get("findings", [])],
        subject=entry.get("subject"),
    )
